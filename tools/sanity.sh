#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection placed at
# .../ansible_collections/zoneweaver/illumos (ansible-test resolves the real
# path of its working directory, so a symlink is not enough). Only files git
# would track are copied, so venvs and test output are never scanned.
#   tools/sanity.sh VENV_DIR PYTHON_VERSION
set -euo pipefail
venv=$1 pyver=$2
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.build/sanity/ansible_collections/zoneweaver/illumos"
rm -rf "$dest" && mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'if test -e "{}"; then printf "%s\0" "{}"; fi' \
  | tar --null -T - -cf - ) | tar -xf - -C "$dest"
cd "$dest"
# ansible-test lists the files to test with git.
git init -q . && git add -A
PATH="$venv/bin:$PATH" ansible-test sanity --color no --python "$pyver"
