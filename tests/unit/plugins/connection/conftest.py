"""Load connection plugins through Ansible's plugin loader, as ansible-playbook does.

Other unit tests import the collection as a plain namespace package from
.build/collections (tests/conftest.py); the collection finder then refuses it for
want of the metadata it attaches when it imports the package itself, so that
metadata is attached here (as in tests/unit/plugins/inventory/conftest.py).
"""

import importlib
import os

import pytest

from ansible.plugins.loader import init_plugin_loader

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


@pytest.fixture(scope="session", autouse=True)
def collection_loader():
    init_plugin_loader()
    package = importlib.import_module("ansible_collections.zoneweaver.illumos")
    if getattr(package, "_collection_meta", None) is None:
        from ansible.utils.collection_loader._collection_meta import _meta_yml_to_dict
        with open(os.path.join(ROOT, "meta", "runtime.yml"), "rb") as handle:
            package._collection_meta = _meta_yml_to_dict(handle.read(), ("zoneweaver.illumos", "runtime.yml"))
