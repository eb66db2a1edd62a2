# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CommandRunner: the only way the native backend runs an illumos command.

It takes a `run` callable shaped like AnsibleModule.run_command
(args, check_rc=False, data=None, environ_update=None) -> (rc, out, err),
so it works inside a module and in plain unit tests. It guarantees:
- argument lists only, never a shell string (no quoting bugs, no injection);
- LC_ALL=C and LANG=C, because every parser expects the C locale's texts;
- an optional pfexec prefix for hosts where the login user holds an RBAC profile;
- check mode: `mutating` commands are not run, only recorded in `planned`;
- failures raise CommandError quoting the command, exit code and stderr,
  with every registered secret masked.

Several threads may run commands at once through runners made by
for_threads() (see SerialStart for what is serialised and why).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import threading

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import CommandError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.notfound import not_found

MASK = "********"
C_LOCALE = {"LC_ALL": "C", "LANG": "C"}
# Keep errors readable: the tail of a long stderr is what explains the failure.
MAX_ERROR_CHARS = 2000


def _widen_pipe(stream):
    """A 1 MiB pipe where the system allows it (Linux F_SETPIPE_SZ): a stream written in
    1 MiB chunks then wakes the reader once per chunk instead of once per 64 KiB."""
    try:
        import fcntl
        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ"), 1 << 20)
    except (ImportError, AttributeError, OSError, ValueError):
        pass


class CommandResult:
    """What a command returned; `skipped` is True for a mutating call in check mode."""

    def __init__(self, argv, rc, stdout, stderr, skipped=False):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.skipped = skipped

    def __repr__(self):
        return "CommandResult(argv=%r, rc=%r, skipped=%r)" % (self.argv, self.rc, self.skipped)


def mask(text, secrets):
    """`text` with every secret replaced by MASK (longest first, so overlaps stay hidden)."""
    if text is None:
        return None
    text = str(text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def quote_command(argv, secrets=()):
    """The argv as one shell-quoted string, for messages only (never executed)."""
    return " ".join(shlex.quote(mask(arg, secrets)) for arg in argv)


def _check_argv(args):
    if isinstance(args, (str, bytes)):
        raise TypeError("CommandRunner takes an argument list, not a string: %r" % (args,))
    argv = list(args)
    if not argv:
        raise TypeError("CommandRunner needs at least the command name")
    checked = []
    for arg in argv:
        if isinstance(arg, bool) or arg is None or not isinstance(arg, (str, int)):
            raise TypeError("command arguments must be strings or integers, got %r in %r" % (arg, argv))
        text = str(arg)
        if "\x00" in text:
            raise TypeError("command argument contains a NUL byte: %r" % (text,))
        checked.append(text)
    return checked


def _tail(text):
    text = (text or "").strip()
    if len(text) > MAX_ERROR_CHARS:
        return "..." + text[-MAX_ERROR_CHARS:]
    return text


class SerialStart:
    """A run_command-like callable that several threads may call at once.

    AnsibleModule.run_command is not thread-safe as a whole: it resets and
    fills one shared attribute of the module (`_clean`, the printable command
    of its debug log and error messages), so two threads can report each
    other's command; it forks with a Python `preexec_fn`, which Python only
    promises to be safe without other threads; and on an OSError it calls
    fail_json, which from a worker thread would print a module result while
    the other threads go on. So each call here holds one lock from its start
    until the process exists (run_command's `before_communicate_callback`),
    and asks for OSError to be raised (`handle_exceptions=False`; the runner
    turns it into a CommandError). The command itself, and the reading of its
    output, run unlocked: zones boot, install and halt side by side; only
    the few milliseconds of process start-up take turns.
    """

    def __init__(self, run):
        self._run = run
        self._lock = threading.Lock()

    def __call__(self, argv, **kwargs):
        held = [True]

        def started(_process):
            if held[0]:
                held[0] = False
                self._lock.release()

        self._lock.acquire()
        try:
            return self._run(argv, before_communicate_callback=started, handle_exceptions=False, **kwargs)
        finally:
            started(None)   # the process never started (or the run function has no callback)


class CommandRunner:
    """Run illumos commands through a run_command-like callable.

    `secrets` are values that must never appear in a message (passwords,
    keys); add more later with add_secret(). `run_kwargs` are passed to every
    call (from_module() uses it to switch off run_command's $VAR/~ expansion).
    """

    def __init__(self, run, check_mode=False, pfexec=False, secrets=(), pfexec_command="pfexec", run_kwargs=None,
                 popen=None):
        if not callable(run):
            raise TypeError("run must be callable like AnsibleModule.run_command")
        self._run = run
        self._popen = popen or subprocess.Popen   # feed() streams through a pipe itself
        self.check_mode = bool(check_mode)
        self.pfexec = bool(pfexec)
        self.pfexec_command = pfexec_command
        self.secrets = [str(s) for s in secrets if s]
        self.run_kwargs = dict(run_kwargs or {})
        self.planned = []   # mutating commands skipped in check mode (quoted, masked)
        self.executed = []  # every command actually run (quoted, masked), in order
        self.applied = []   # mutating commands that ran and succeeded: the host has changed

    @classmethod
    def from_module(cls, module, pfexec=False, secrets=()):
        """A runner for an AnsibleModule (duck-typed: run_command and check_mode)."""
        # run_command expands $VARS and ~ in list arguments by default: a value
        # such as an ssh key comment must reach the tool exactly as given.
        return cls(module.run_command, check_mode=getattr(module, "check_mode", False), pfexec=pfexec,
                   secrets=secrets, run_kwargs={"expand_user_and_vars": False})

    def for_threads(self):
        """A factory of runners that may run commands at the same time as each other and as this
        one, one per worker thread or job: same host, check mode, pfexec and secrets (so far), each
        with its own records (`planned`, `executed`, `applied` say what that job did). From now on
        this runner's calls are serialised the same way (SerialStart)."""
        if not isinstance(self._run, SerialStart):
            self._run = SerialStart(self._run)

        def new_runner():
            return CommandRunner(self._run, check_mode=self.check_mode, pfexec=self.pfexec, secrets=self.secrets,
                                 pfexec_command=self.pfexec_command, run_kwargs=self.run_kwargs, popen=self._popen)
        return new_runner

    def add_secret(self, value):
        if value not in (None, ""):
            self.secrets.append(str(value))

    def describe(self, args):
        """The command as it would appear in a message: quoted, secrets masked."""
        return quote_command(self._full_argv(_check_argv(args)), self.secrets)

    def _full_argv(self, argv):
        return [self.pfexec_command] + argv if self.pfexec else argv

    # --- the two kinds of call -------------------------------------------------
    def read(self, args, data=None, ok_rcs=(0,), missing=None):
        """Run a command that changes nothing; runs in check mode too.

        `missing` is a tool name (see notfound.py) or a predicate (rc, stderr):
        when it matches a failure, None is returned instead of raising.
        """
        return self.run(args, mutating=False, data=data, ok_rcs=ok_rcs, missing=missing)

    def change(self, args, data=None, ok_rcs=(0,)):
        """Run a command that changes the host; only recorded in check mode."""
        return self.run(args, mutating=True, data=data, ok_rcs=ok_rcs)

    def run(self, args, mutating=False, data=None, ok_rcs=(0,), missing=None, check=True):
        """Run one command. With check=False a failing exit code is returned, not raised."""
        argv = self._full_argv(_check_argv(args))
        if data is not None and not isinstance(data, str):
            raise TypeError("data (stdin) must be text")
        shown = quote_command(argv, self.secrets)
        if mutating and self.check_mode:
            self.planned.append(shown)
            return CommandResult(argv, 0, "", "", skipped=True)
        self.executed.append(shown)
        try:
            rc, out, err = self._run(argv, check_rc=False, data=data, environ_update=dict(C_LOCALE),
                                     **self.run_kwargs)
        except OSError as exc:   # the command could not be started (SerialStart lets this through)
            reason = mask(exc.strerror or exc, self.secrets)
            raise CommandError("cannot run %s: %s" % (shown, reason), command=shown, rc=None, stderr=reason,
                               hint="is %s installed on the host, and on its PATH?" % argv[0])
        result = CommandResult(argv, rc, out or "", err or "")
        if mutating and rc in ok_rcs:
            self.applied.append(shown)
        if rc in ok_rcs or not check:
            return result
        predicate = not_found(missing) if isinstance(missing, str) else missing
        if predicate is not None and predicate(rc, result.stderr):
            return None
        raise self.error(result)

    def feed(self, args, produce, ok_rcs=(0,)):
        """Run a mutating command whose standard input is a byte stream (`zfs recv`).

        produce(write) is called with a function taking bytes; it writes the
        stream chunk by chunk, so nothing is held in memory or on disk here.
        When produce raises, the command is killed and the exception passes on
        (the caller rolls back what the command may have created). A command
        that exits early (a refused stream) raises CommandError with its stderr.
        In check mode nothing runs and produce is not called.
        """
        argv = self._full_argv(_check_argv(args))
        shown = quote_command(argv, self.secrets)
        if self.check_mode:
            self.planned.append(shown)
            return CommandResult(argv, 0, "", "", skipped=True)
        self.executed.append(shown)
        env = dict(os.environ, **C_LOCALE)
        # stdout/stderr go to unlinked temporary files: a chatty command can never block
        # on a full pipe while we are busy writing its input.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = self._popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=err, env=env, close_fds=True)
            _widen_pipe(proc.stdin)
            broken = False
            try:
                def write(data):
                    proc.stdin.write(data)
                try:
                    produce(write)
                except (BrokenPipeError, ConnectionResetError):
                    broken = True   # the command stopped reading: its exit code and stderr say why
                try:
                    proc.stdin.close()
                except (BrokenPipeError, ConnectionResetError):
                    broken = True
            except BaseException:
                proc.kill()
                proc.wait()
                try:
                    proc.stdin.close()      # now, quietly: later its buffered rest would hit the broken pipe
                except OSError:
                    pass
                raise
            rc = proc.wait()
            out.seek(0)
            err.seek(0)
            result = CommandResult(argv, rc, out.read().decode("utf-8", "replace"),
                                   err.read().decode("utf-8", "replace"))
        if rc in ok_rcs and not broken:
            return result
        if rc in ok_rcs:
            result.stderr = (result.stderr + "\nthe command stopped reading its input early").strip()
            result.rc = rc if rc else 1
        raise self.error(result)

    def error(self, result, hint=None):
        """The CommandError for a failed result (masked, quoted)."""
        shown = quote_command(result.argv, self.secrets)
        stderr = _tail(mask(result.stderr, self.secrets))
        stdout = _tail(mask(result.stdout, self.secrets))
        msg = "command failed with exit code %s: %s" % (result.rc, shown)
        if stderr:
            msg = "%s: %s" % (msg, stderr)
        elif stdout:
            msg = "%s: %s" % (msg, stdout)
        return CommandError(msg, command=shown, rc=result.rc, stderr=stderr, stdout=stdout or None, hint=hint)
