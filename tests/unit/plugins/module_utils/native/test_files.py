"""Atomic config writes: unchanged -> no write, mode kept, backups, validation without leftovers."""

import os
import stat

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import FileValidationError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.files import atomic_write, backup_path, read_file
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner


class Validator:
    """A run_command stand-in: validates by reading the temp file it is given."""

    def __init__(self, refuse_if=None, stderr="ipnat: syntax error on line 3"):
        self.refuse_if = refuse_if
        self.stderr = stderr
        self.seen = []

    def __call__(self, args, check_rc=False, data=None, environ_update=None):
        path = args[-1]
        with open(path) as handle:
            content = handle.read()
        self.seen.append((list(args), content, stat.S_IMODE(os.stat(path).st_mode)))
        if self.refuse_if and self.refuse_if in content:
            return 1, "", self.stderr
        return 0, "", ""


def _leftovers(directory):
    return [n for n in os.listdir(directory) if n.endswith(".zwtmp")]


def test_new_file(tmp_path):
    path = tmp_path / "ipnat.conf"
    result = atomic_write(str(path), "map igb0 10.0.0.0/24 -> 0/32\n")
    assert result["changed"] and result["backup_file"] is None
    assert path.read_text() == "map igb0 10.0.0.0/24 -> 0/32\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert _leftovers(tmp_path) == []


def test_new_file_mode(tmp_path):
    path = tmp_path / "dhcpd.conf"
    atomic_write(str(path), "authoritative;\n", mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unchanged_content_is_not_written(tmp_path):
    path = tmp_path / "ipnat.conf"
    path.write_text("same\n")
    os.utime(path, (1000000000, 1000000000))
    result = atomic_write(str(path), "same\n", backup=True)
    assert result == {"changed": False, "backup_file": None, "path": str(path)}
    assert path.stat().st_mtime == 1000000000
    assert sorted(os.listdir(tmp_path)) == ["ipnat.conf"]


def test_existing_mode_and_owner_preserved_and_backup(tmp_path):
    path = tmp_path / "ipnat.conf"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    before = path.stat()
    result = atomic_write(str(path), "new\n", backup=True, mode=0o777)
    after = path.stat()
    assert result["changed"] and path.read_text() == "new\n"
    assert stat.S_IMODE(after.st_mode) == 0o640  # the old file's mode wins over `mode`
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert after.st_ino != before.st_ino  # replaced by rename, never rewritten in place
    assert read_file(result["backup_file"]) == "old\n"
    assert os.path.basename(result["backup_file"]).startswith("ipnat.conf.")


def test_backup_names_do_not_collide(tmp_path):
    path = str(tmp_path / "f")
    first = backup_path(path, now=0)
    open(first, "w").close()
    assert backup_path(path, now=0) == first + ".1"


def test_validation_sees_the_new_content_with_final_mode(tmp_path):
    path = tmp_path / "ipnat.conf"
    path.write_text("old\n")
    os.chmod(path, 0o600)
    validator = Validator()
    atomic_write(str(path), "map igb0 10.0.0.0/24 -> 0/32\n", validate=["ipnat", "-n", "-f", "%s"],
                 runner=CommandRunner(validator))
    args, content, mode = validator.seen[0]
    assert args[:3] == ["ipnat", "-n", "-f"] and args[3] != str(path) and args[3].startswith(str(tmp_path))
    assert content == "map igb0 10.0.0.0/24 -> 0/32\n" and mode == 0o600


def test_validation_failure_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "ipnat.conf"
    path.write_text("old\n")
    validator = Validator(refuse_if="bogus")
    with pytest.raises(FileValidationError) as err:
        atomic_write(str(path), "bogus rule\n", validate=["ipnat", "-n", "-f", "%s"], backup=True,
                     runner=CommandRunner(validator))
    assert path.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["ipnat.conf"]  # no temp file, no backup
    assert err.value.path == str(path) and err.value.rc == 1
    assert "syntax error on line 3" in str(err.value)
    assert err.value.command == "ipnat -n -f %s" % path  # names the real file, not the temp file


def test_check_mode_neither_writes_nor_validates(tmp_path):
    path = tmp_path / "ipnat.conf"
    path.write_text("old\n")
    validator = Validator()
    result = atomic_write(str(path), "new\n", validate=["ipnat", "-n", "-f", "%s"],
                          runner=CommandRunner(validator, check_mode=True), check_mode=True)
    assert result["changed"] and path.read_text() == "old\n" and validator.seen == []


def test_validate_needs_placeholder_and_runner(tmp_path):
    with pytest.raises(ValueError):
        atomic_write(str(tmp_path / "x"), "y", validate=["ipnat", "-n"], runner=CommandRunner(Validator()))
    with pytest.raises(ValueError):
        atomic_write(str(tmp_path / "x"), "y", validate=["ipnat", "-n", "-f", "%s"])
    assert _leftovers(tmp_path) == []


def test_symlink_target_is_written_and_link_kept(tmp_path):
    target = tmp_path / "real.conf"
    target.write_text("old\n")
    link = tmp_path / "link.conf"
    link.symlink_to(target)
    atomic_write(str(link), "new\n")
    assert link.is_symlink() and target.read_text() == "new\n"


def test_refuses_non_regular_file(tmp_path):
    with pytest.raises(ZoneweaverError):
        atomic_write(str(tmp_path), "x")


def test_bytes_content(tmp_path):
    path = tmp_path / "b"
    assert atomic_write(str(path), b"\x00raw")["changed"] and path.read_bytes() == b"\x00raw"
    assert read_file(str(tmp_path / "missing")) is None
