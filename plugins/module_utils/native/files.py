# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atomic writes of host config files (/etc/ipf/ipnat.conf, /etc/dhcpd.conf, ...).

A service may read the file at any moment (svcadm refresh, a reboot), so it
must see either the old or the new content, never half of one:
temp file in the same directory -> write -> fsync -> owner/mode of the old
file -> optional validation of the temp file -> rename over the old file ->
fsync the directory. Unchanged content is not written at all (mtime kept,
no backup, changed=False). On any failure the temp file is removed and the
old file is untouched.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import stat
import tempfile
import time

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import FileValidationError

DEFAULT_MODE = 0o644
LOCK_TIMEOUT = 120.0


def lock_path(path):
    """The lock file beside a config file: '<dir>/.<name>.zwlock'."""
    path = os.path.realpath(path)
    return os.path.join(os.path.dirname(path), ".%s.zwlock" % os.path.basename(path))


class FileLock:
    """An exclusive lock for one read-modify-write of a config file.

    Two runs on the same host (parallel forks of one play, two controllers)
    must not both read the file, edit their copy and write it back: the later
    rename would drop the other's change. The lock is taken before the first
    read and released after the write. It lives on a separate file beside the
    config, because the config itself is replaced by a rename (a lock on the
    old inode would not stop a writer that opens the new one). POSIX record
    locks (lockf) are released by the kernel when the process ends, so a
    killed run never leaves the file locked.
    """

    def __init__(self, path, timeout=LOCK_TIMEOUT, poll=0.05, clock=time.monotonic, sleep=time.sleep):
        self.path = lock_path(path)
        self.config = path
        self.timeout = timeout
        self.poll = poll
        self.clock = clock
        self.sleep = sleep
        self._fd = None

    def acquire(self):
        """Take the lock. False when the lock file cannot be created for lack of permission:
        such a run could not write the config either, so it only reads it."""
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except (PermissionError, FileNotFoundError):
            return False
        deadline = self.clock() + self.timeout
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return True
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    os.close(fd)
                    raise
            if self.clock() >= deadline:
                os.close(fd)
                raise ZoneweaverError("%s is being changed by another run: its lock %s was not released within %ds"
                                      % (self.config, self.path, self.timeout),
                                      hint="wait for the other run to finish; a lock is released when its "
                                           "process ends, so a stale lock file is harmless")
            self.sleep(self.poll)

    def release(self):
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.lockf(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @property
    def held(self):
        return self._fd is not None


def _as_bytes(content):
    if isinstance(content, bytes):
        return content
    return str(content).encode("utf-8")


def read_file(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except FileNotFoundError:
        return None


def backup_path(path, now=None):
    """'<path>.<YYYYmmddTHHMMSS>', with '.N' added if that name is taken."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now))
    candidate = "%s.%s" % (path, stamp)
    counter = 1
    while os.path.lexists(candidate):
        candidate = "%s.%s.%d" % (path, stamp, counter)
        counter += 1
    return candidate


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename is still atomic
    finally:
        os.close(fd)


def _copy_owner(tmp, old):
    try:
        os.chown(tmp, old.st_uid, old.st_gid)
    except PermissionError:
        now = os.stat(tmp)
        if (now.st_uid, now.st_gid) != (old.st_uid, old.st_gid):
            raise ZoneweaverError("cannot give the new file the owner %d:%d of the old one" % (old.st_uid, old.st_gid),
                                  hint="run the task with become: true")


def _validate(runner, validate, tmp, path):
    argv = [arg.replace("%s", tmp) for arg in validate]
    if argv == list(validate):
        raise ValueError("validate needs a '%s' argument for the file to check")
    result = runner.run(argv, mutating=False, check=False)
    if result.rc != 0:
        # Name the real file, not the temp file, so the message makes sense to the user.
        shown = runner.describe([arg.replace("%s", path) for arg in validate])
        error = runner.error(result)
        raise FileValidationError("the new content of %s was refused by `%s`: %s" % (path, shown, error.stderr or error.stdout),
                                  path=path, command=shown, rc=result.rc, stderr=error.stderr,
                                  hint="nothing was written; fix the rule or entry that the validator names")


def atomic_write(path, content, mode=None, backup=False, validate=None, runner=None, check_mode=False):
    """Write `content` to `path` atomically. Returns {changed, backup_file, path}.

    mode: for a new file (default 0644); an existing file keeps its mode and owner.
    validate: argv with a '%s' element for the temp file, run through `runner`
    (a CommandRunner) before the rename, e.g. ['ipnat', '-n', '-f', '%s'].
    check_mode: nothing is written or validated; only `changed` is computed.
    """
    path = os.path.realpath(path)  # write through a symlink to its target, keeping the link
    data = _as_bytes(content)
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise ZoneweaverError("%s exists and is not a regular file" % path)
    if old is not None:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return {"changed": False, "backup_file": None, "path": path}
    if check_mode:
        return {"changed": True, "backup_file": None, "path": path}
    if validate is not None and runner is None:
        raise ValueError("validate needs a runner")
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".zwtmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if old is not None:
            _copy_owner(tmp, old)
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
        else:
            os.chmod(tmp, DEFAULT_MODE if mode is None else mode)
        if validate is not None:
            _validate(runner, validate, tmp, path)
        backup_file = None
        if backup and old is not None:
            backup_file = backup_path(path)
            shutil.copy2(path, backup_file)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
        raise
    _fsync_dir(directory)
    return {"changed": True, "backup_file": backup_file, "path": path}
