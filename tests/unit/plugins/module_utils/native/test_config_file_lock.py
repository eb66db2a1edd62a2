"""The lock around a native read-modify-write of a config file (files.FileLock and its use by the
NAT/DHCP backend): parallel runs on one host serialise instead of dropping each other's entries.
POSIX record locks belong to a process, so the other party is always a child process here."""

import os
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native import files
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.nat_dhcp import NatDhcpNativeBackend
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner

# A child that tries the lock without waiting: exit 0 if it got it, 3 if another process holds it.
TRY_LOCK = textwrap.dedent("""
    import errno, fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        sys.exit(3 if exc.errno in (errno.EACCES, errno.EAGAIN) else 1)
    sys.exit(0)
""")
# A child that holds the lock until its stdin closes.
HOLD_LOCK = textwrap.dedent("""
    import fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    print("locked", flush=True)
    sys.stdin.read()
""")


def others_can_lock(path):
    code = subprocess.run([sys.executable, "-c", TRY_LOCK, files.lock_path(path)], check=False).returncode
    assert code in (0, 3), code
    return code == 0


def quiet_host(args, check_rc=False, data=None, **kwargs):
    """run_command of a host where every service is online and every tool succeeds."""
    if os.path.basename(args[0]) == "svcs":
        return 0, "online         %s\n" % args[-1], ""
    return 0, "", ""


def backend(tmp_path, check_mode=False, locking=True):
    return NatDhcpNativeBackend(CommandRunner(quiet_host, check_mode=check_mode), ipnat_conf=str(tmp_path / "ipnat.conf"),
                                dhcpd_conf=str(tmp_path / "dhcpd.conf"), read_active=False, which=lambda name, path=None: None,
                                locking=locking)


def test_lock_file_sits_beside_the_config_hidden(tmp_path):
    assert files.lock_path(str(tmp_path / "ipnat.conf")) == str(tmp_path / ".ipnat.conf.zwlock")


def test_a_held_lock_makes_the_other_run_wait_then_fail_clearly(tmp_path):
    config = str(tmp_path / "dhcpd.conf")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, files.lock_path(config)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        lock = files.FileLock(config, timeout=0.3, poll=0.05)
        with pytest.raises(ZoneweaverError) as info:
            lock.acquire()
        assert config in str(info.value) and "another run" in str(info.value)
        assert not lock.held
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    lock = files.FileLock(config, timeout=5)
    assert lock.acquire() and lock.held     # the holder's exit released it
    assert not others_can_lock(config)
    lock.release()
    assert others_can_lock(config)


def test_no_permission_for_the_lock_file_means_read_only_not_failure(tmp_path):
    missing = str(tmp_path / "no-such-dir" / "ipnat.conf")
    assert files.FileLock(missing).acquire() is False


def test_the_backend_holds_the_lock_from_the_first_read_to_the_write(tmp_path):
    nat = backend(tmp_path)
    assert others_can_lock(nat.ipnat_conf)
    nat.create_nat_rule({"bridge": "igb0", "subnet": "10.1.0.0/24", "target": "0/32", "protocol": "tcp/udp",
                         "type": "portmap"})   # reads the file, plans the rule
    assert not others_can_lock(nat.ipnat_conf), "another run could read the file before this one wrote it"
    nat.commit()
    assert others_can_lock(nat.ipnat_conf)
    with open(nat.ipnat_conf) as handle:
        assert "10.1.0.0/24" in handle.read()


def test_check_mode_and_read_only_runs_take_no_lock_and_create_no_file(tmp_path):
    for nat in (backend(tmp_path, check_mode=True), backend(tmp_path, locking=False)):
        nat.nat_rules()
        assert nat._locks == {}
        nat.commit()
    assert os.listdir(str(tmp_path)) == []
