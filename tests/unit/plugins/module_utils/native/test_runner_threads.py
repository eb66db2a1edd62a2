"""CommandRunner from several threads (the zones module natively): process starts take turns, the
commands themselves run side by side, and each job's runner keeps its own records."""

import json
import threading
import time

import pytest

from ansible.module_utils import basic

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import CommandError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner, SerialStart


class FakeRunCommand:
    """Shaped like AnsibleModule.run_command: a 'start' phase (before the callback) and a 'run' phase.
    Records how many calls were in each phase at once; `gate` (a Barrier) holds the run phase."""

    def __init__(self, gate=None, call_back=True):
        self.gate = gate
        self.call_back = call_back
        self.lock = threading.Lock()
        self.starting = self.running = 0
        self.most_starting = self.most_running = 0
        self.kwargs = []

    def _enter(self, phase):
        with self.lock:
            setattr(self, phase, getattr(self, phase) + 1)
            most = "most_" + phase
            setattr(self, most, max(getattr(self, most), getattr(self, phase)))

    def _leave(self, phase):
        with self.lock:
            setattr(self, phase, getattr(self, phase) - 1)

    def __call__(self, args, check_rc=False, data=None, environ_update=None, before_communicate_callback=None,
                 **kwargs):
        self.kwargs.append(dict(kwargs, callback=before_communicate_callback is not None))
        self._enter("starting")
        time.sleep(0.02)                     # the fork/exec window that must not overlap
        self._leave("starting")
        if self.call_back and before_communicate_callback is not None:
            before_communicate_callback(object())
        self._enter("running")
        try:
            if self.gate is not None:
                self.gate.wait(timeout=5)    # BrokenBarrierError unless all are running at once
        finally:
            self._leave("running")
        return 0, " ".join(args), ""


def run_in_threads(count, job):
    errors, threads = [], []

    def wrapped(i):
        try:
            job(i)
        except Exception as exc:   # reported below: an assertion in a thread would be lost
            errors.append(exc)
    for i in range(count):
        threads.append(threading.Thread(target=wrapped, args=(i,)))
        threads[-1].start()
    for thread in threads:
        thread.join(10)
    return errors


def test_commands_run_side_by_side_but_start_one_at_a_time():
    fake = FakeRunCommand(gate=threading.Barrier(4))
    new_runner = CommandRunner(fake).for_threads()
    outputs = {}

    def job(i):
        outputs[i] = new_runner().read(["zoneadm", "-z", "z%d" % i, "list", "-p"]).stdout
    assert run_in_threads(4, job) == []
    assert fake.most_running == 4, "the commands did not run at the same time"
    assert fake.most_starting == 1, "two process starts overlapped"
    assert outputs == {i: "zoneadm -z z%d list -p" % i for i in range(4)}
    assert all(k["handle_exceptions"] is False and k["callback"] for k in fake.kwargs)


def test_the_turn_is_given_back_when_a_start_fails_or_the_callback_is_never_called():
    calls = []

    def broken(args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise FileNotFoundError(2, "No such file or directory", args[0])
        return 0, "ok", ""
    runner = CommandRunner(broken, secrets=["hunter2"])
    new_runner = runner.for_threads()
    with pytest.raises(CommandError, match="cannot run zoneadm list: No such file or directory") as caught:
        runner.read(["zoneadm", "list"])
    assert "installed" in caught.value.hint
    assert new_runner().read(["zoneadm", "list"]).stdout == "ok"     # the lock was released

    silent = FakeRunCommand(call_back=False)
    new_runner = CommandRunner(silent).for_threads()
    assert run_in_threads(3, lambda i: new_runner().read(["true"])) == []
    assert silent.most_running == 1      # without the callback the whole call is serialised, never stuck


def test_each_job_keeps_its_own_records_and_shares_mode_and_secrets():
    fake = FakeRunCommand()
    main = CommandRunner(fake, check_mode=True, pfexec=True, secrets=["s3cret"])
    new_runner = main.for_threads()
    first, second = new_runner(), new_runner()
    first.change(["zoneadm", "-z", "a", "boot"])
    second.add_secret("other")
    assert first.planned == ["pfexec zoneadm -z a boot"] and second.planned == [] and main.planned == []
    assert first.check_mode and first.pfexec and "s3cret" in first.secrets and "other" not in first.secrets
    assert fake.kwargs == []             # check mode: nothing ran
    main.for_threads()                   # a second call does not wrap twice
    assert isinstance(main._run, SerialStart) and not isinstance(main._run._run, SerialStart)


@pytest.fixture
def module(monkeypatch):
    """A real AnsibleModule, as a module on the host has (its run_command is what runs the commands)."""
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": {}}).encode())
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    return basic.AnsibleModule(argument_spec={})


def test_real_run_command_from_threads(module):
    """Six 0.4 s commands from six threads finish in well under the 2.4 s they take one after the
    other, each thread gets its own output, and a command that cannot start is a CommandError
    (run_command would otherwise fail_json from the thread)."""
    new_runner = CommandRunner.from_module(module).for_threads()
    outputs = {}

    def job(i):
        outputs[i] = new_runner().read(["sh", "-c", "sleep 0.4; echo \"$1\"", "sh", "job%d" % i]).stdout
    started = time.monotonic()
    assert run_in_threads(6, job) == []
    elapsed = time.monotonic() - started
    assert outputs == {i: "job%d\n" % i for i in range(6)}
    assert elapsed < 2.0, "the commands ran one after the other (%.2f s)" % elapsed
    with pytest.raises(CommandError, match="cannot run"):
        new_runner().read(["/nonexistent/zoneadm", "list"])
