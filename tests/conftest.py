"""Make the collection and the simulator importable however pytest is started."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "zoneweaver", "illumos")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
for path in (COLLECTIONS, os.path.join(ROOT, "simulator")):
    if path not in sys.path:
        sys.path.insert(0, path)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS)
