"""Every module of the collection has an entry in the reliability matrix (trust_matrix.MATRIX), so
none escapes the check-mode, idempotence and secrets tests."""

import os

import trust_matrix

MODULES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "plugins", "modules")


def modules():
    return {name[:-3] for name in os.listdir(MODULES_DIR) if name.endswith(".py") and name != "__init__.py"}


def test_every_module_has_a_matrix_entry():
    covered = {entry.module for entry in trust_matrix.MATRIX}
    missing = sorted(modules() - covered - trust_matrix.PENDING)
    assert not missing, "modules without an entry in tests/trust/trust_matrix.py MATRIX: %s" % ", ".join(missing)


def test_matrix_names_only_existing_modules_and_says_what_to_do():
    stale = sorted({entry.module for entry in trust_matrix.MATRIX} - modules())
    assert not stale, "MATRIX entries for modules that do not exist: %s" % ", ".join(stale)
    for entry in trust_matrix.MATRIX:
        assert entry.present is not None or entry.info is not None, entry.module
        assert entry.absent is None or entry.present is not None, entry.module
        assert set(entry.backends) <= {"agent", "native"} and set(entry.absent_backends) <= {"agent", "native"}
        # an action says in words what idempotence means for it; the host's own modules run natively only
        assert not entry.action or (entry.behaviour and entry.absent is None), entry.module
        assert not entry.host_module or entry.backends == ("native",), entry.module


def test_no_module_waits_for_an_entry():
    assert not trust_matrix.PENDING, "modules still without an entry: %s" % ", ".join(sorted(trust_matrix.PENDING))
