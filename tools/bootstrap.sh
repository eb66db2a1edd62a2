#!/usr/bin/env bash
# Create (or refresh) a pinned virtualenv for one Python and prepare what the
# test tools need offline. Idempotent: a venv is rebuilt only when its lock
# file changes.
#   tools/bootstrap.sh VENV_DIR PYTHON LOCK_FILE
set -euo pipefail
venv=$1 python=$2 lock=$3
root=$(cd "$(dirname "$0")/.." && pwd)
stamp="$venv/.lock.sha256"
want=$( (cat "$lock"; cat "$root/simulator/pyproject.toml") | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$lock" 2>&1 | grep -v "is ignored: it is neither" || true
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -e "$root/simulator" \
    2>&1 | grep -v "is ignored: it is neither" || true
  "$venv/bin/python" -c "import ansible, requests, yaml, pytest, zoneweaver_sim" 
  echo "$want" > "$stamp"
fi
# ansible-test's offline get-pip stand-in, under the name this ansible-core asks for.
pip_version=$(grep -o "pip='[0-9.]*'" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py \
  | head -1 | tr -dc '0-9.')
mkdir -p "$HOME/.ansible/test/cache"
cp "$root/tools/get_pip_standin.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
# The collection as Ansible expects to find it: .build/collections/ansible_collections/zoneweaver/illumos
mkdir -p "$root/.build/collections/ansible_collections/zoneweaver"
ln -sfn "$root" "$root/.build/collections/ansible_collections/zoneweaver/illumos"
