#!/usr/bin/env bash
# `make docs`: lint the plugin and role documentation, then generate the reference.
#   tools/docs.sh VENV_DIR [lint]
# lint   antsibull-docs lint-collection-docs --plugin-docs, and the guides' links (what `make docs-lint` runs)
# else   lint, then .build/docs/rst (antsibull-docs collection: every module and plugin -- inventory,
#        connection, filter, lookup -- and the roles' argument specs) and .build/docs/html (Sphinx).
# The hand-written guides are Markdown in docs/ and read as they are (README.md links them).
set -euo pipefail
venv=$1 mode=${2:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
cd "$root"

antsibull-docs lint-collection-docs --plugin-docs .
python3 tools/check_doc_links.py   # relative links and anchors of README.md and docs/*.md
[ "$mode" = lint ] && exit 0

out="$root/.build/docs"
rm -rf "$out"
mkdir -p "$out/rst"
chmod og-w "$out/rst"   # antsibull-docs insists that only its owner can write there
antsibull-docs collection --use-current --squash-hierarchy --fail-on-error --dest-dir "$out/rst" zoneweaver.illumos
sphinx-build -q -W --keep-going -b html -c "$root/docs/sphinx" "$out/rst" "$out/html"
echo "plugin reference: $out/html/index.html (RST sources in $out/rst)"
