"""CommandRunner: argv only, C locale, pfexec, check mode, error quoting with secrets masked."""

import shlex

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native import notfound
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import CommandError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import (
    MASK, CommandRunner, mask, quote_command)


class FakeRun:
    """Stands in for AnsibleModule.run_command; answers by argv prefix."""

    def __init__(self, answers=None, default=(0, "", "")):
        self.answers = answers or {}
        self.default = default
        self.calls = []

    def __call__(self, args, check_rc=False, data=None, environ_update=None):
        self.calls.append({"args": list(args), "check_rc": check_rc, "data": data, "env": environ_update})
        for prefix, answer in self.answers.items():
            if tuple(args[:len(prefix)]) == prefix:
                return answer
        return self.default


def test_read_runs_with_c_locale_and_returns_output():
    run = FakeRun({("zoneadm",): (0, "0:global:running:/::ipkg:shared:0\n", "")})
    runner = CommandRunner(run)
    result = runner.read(["zoneadm", "list", "-cp"])
    assert result.rc == 0 and result.stdout.startswith("0:global")
    call = run.calls[0]
    assert call["args"] == ["zoneadm", "list", "-cp"]
    assert call["env"] == {"LC_ALL": "C", "LANG": "C"}
    assert call["check_rc"] is False


@pytest.mark.parametrize("bad", ["zoneadm list -cp", b"zoneadm list", []])
def test_refuses_strings_and_empty(bad):
    with pytest.raises(TypeError):
        CommandRunner(FakeRun()).read(bad)


@pytest.mark.parametrize("bad", [["zfs", None], ["zfs", True], ["zfs", 1.5], ["zfs", "a\x00b"]])
def test_refuses_bad_arguments(bad):
    with pytest.raises(TypeError):
        CommandRunner(FakeRun()).read(bad)


def test_integers_become_strings():
    run = FakeRun()
    CommandRunner(run).change(["dladm", "create-vnic", "-l", "igb0", "-v", 10, "vnic10"])
    assert run.calls[0]["args"] == ["dladm", "create-vnic", "-l", "igb0", "-v", "10", "vnic10"]


def test_pfexec_prefix():
    run = FakeRun()
    runner = CommandRunner(run, pfexec=True)
    runner.read(["zoneadm", "list", "-cp"])
    assert run.calls[0]["args"] == ["pfexec", "zoneadm", "list", "-cp"]
    assert runner.describe(["zoneadm", "list"]) == "pfexec zoneadm list"


def test_check_mode_skips_and_records_mutations_but_runs_reads():
    run = FakeRun({("dladm", "show-vnic"): (0, "", "")})
    runner = CommandRunner(run, check_mode=True)
    runner.read(["dladm", "show-vnic", "-p", "-o", "link"])
    result = runner.change(["dladm", "create-vnic", "-l", "stub0", "vnic0"])
    runner.run(["zoneadm", "-z", "web", "boot"], mutating=True)
    assert result.skipped and result.rc == 0 and result.stdout == ""
    assert [c["args"][0:2] for c in run.calls] == [["dladm", "show-vnic"]]
    assert runner.planned == ["dladm create-vnic -l stub0 vnic0", "zoneadm -z web boot"]
    assert runner.executed == ["dladm show-vnic -p -o link"]


def test_mutations_run_outside_check_mode():
    run = FakeRun()
    runner = CommandRunner(run)
    runner.change(["zoneadm", "-z", "web", "boot"])
    assert runner.planned == [] and run.calls[0]["args"] == ["zoneadm", "-z", "web", "boot"]


def test_stdin_data_is_passed_and_never_quoted():
    run = FakeRun({("zonecfg",): (1, "", "On line 3:\nsyntax error\n")})
    runner = CommandRunner(run)
    with pytest.raises(CommandError) as err:
        runner.change(["zonecfg", "-z", "web", "-f", "-"], data='add attr\nset name="password"\nset value="hunter2"\n')
    assert run.calls[0]["data"].startswith("add attr")
    assert "hunter2" not in str(err.value)
    assert err.value.command == "zonecfg -z web -f -"


def test_error_quotes_command_rc_and_stderr():
    run = FakeRun({("zoneadm",): (1, "", "zoneadm: zone 'web': must be installed before boot.\n")})
    with pytest.raises(CommandError) as err:
        CommandRunner(run).change(["zoneadm", "-z", "web", "boot"])
    error = err.value
    assert isinstance(error, ZoneweaverError)
    assert error.rc == 1
    assert error.command == "zoneadm -z web boot"
    assert "exit code 1" in str(error) and "must be installed before boot" in str(error)
    result = error.to_result()
    assert result["rc"] == 1 and result["command"] == "zoneadm -z web boot"
    assert result["error_type"] == "CommandError"


def test_error_quotes_arguments_with_spaces_shell_style():
    run = FakeRun(default=(2, "", "bad"))
    with pytest.raises(CommandError) as err:
        CommandRunner(run).change(["svccfg", "-s", "dhcp:ipv4", "setprop", "config/listen_ifnames", "=", "astring: h_vnic0"])
    assert err.value.command == "svccfg -s dhcp:ipv4 setprop config/listen_ifnames = 'astring: h_vnic0'"


def test_secrets_masked_in_command_stderr_and_stdout():
    run = FakeRun(default=(1, "token=abc123 echoed", "cannot use abc123: denied"))
    runner = CommandRunner(run, secrets=["abc123"])
    runner.add_secret("pa ss")
    with pytest.raises(CommandError) as err:
        runner.change(["tool", "--key=abc123", "--password", "pa ss"])
    text = str(err.value) + repr(err.value.to_result())
    assert "abc123" not in text and "pa ss" not in text
    assert err.value.command == "tool %s --password %s" % (shlex.quote("--key=" + MASK), shlex.quote(MASK))
    assert MASK in err.value.stderr
    assert "abc123" not in " ".join(runner.executed)


def test_masked_in_planned_commands_too():
    runner = CommandRunner(FakeRun(), check_mode=True, secrets=["s3cret"])
    runner.change(["svccfg", "-s", "x", "setprop", "config/pw", "=", "astring:", "s3cret"])
    assert runner.planned == ["svccfg -s x setprop config/pw = astring: %s" % shlex.quote(MASK)]


def test_mask_longest_first():
    assert mask("abcdef", ["abc", "abcdef"]) == MASK
    assert quote_command(["a", "it's"], []) == "a 'it'\"'\"'s'"


def test_not_found_returns_none_for_reads():
    run = FakeRun({("zoneadm",): (1, "", "zoneadm: nope: No such zone configured\n"),
                   ("dladm",): (1, "", "dladm: invalid vnic name 'vnic9': object not found\n"),
                   ("zfs",): (1, "", "cannot open 'rpool/x': dataset does not exist\n"),
                   ("svcs",): (1, "", "svcs: Pattern 'x' doesn't match any instances\n")})
    runner = CommandRunner(run)
    assert runner.read(["zoneadm", "-z", "nope", "list", "-p"], missing="zoneadm") is None
    assert runner.read(["dladm", "show-vnic", "vnic9"], missing=notfound.not_found("dladm")) is None
    assert runner.read(["zfs", "list", "rpool/x"], missing="zfs") is None
    assert runner.read(["svcs", "-Ho", "state", "x"], missing="svcs") is None


def test_other_failures_still_raise_with_missing_predicate():
    run = FakeRun({("zfs",): (1, "", "cannot open 'rpool/x': permission denied\n")})
    with pytest.raises(CommandError):
        CommandRunner(run).read(["zfs", "list", "rpool/x"], missing="zfs")


def test_ok_rcs_and_check_false():
    run = FakeRun(default=(3, "out", "err"))
    runner = CommandRunner(run)
    assert runner.read(["x"], ok_rcs=(0, 3)).rc == 3
    assert runner.run(["x"], check=False).rc == 3


@pytest.mark.parametrize("tool,stderr,expected", [
    ("zoneadm", "zoneadm: web: No such zone configured", True),
    ("zonecfg", "web: No such zone configured", True),
    ("dladm", "dladm: invalid vnic name 'x': object not found", True),
    ("dladm", "dladm: invalid link name 'x'", True),
    ("zfs", "cannot open 'tank/x': dataset does not exist", True),
    ("zpool", "cannot open 'tank': no such pool", True),
    ("svcs", "svcs: Pattern 'nope' doesn't match any instances", True),
    ("dladm", "dladm: insufficient privileges", False),
    ("zfs", "cannot destroy 'tank/x': dataset is busy", False),
])
def test_not_found_texts(tool, stderr, expected):
    assert notfound.is_not_found(tool, 1, stderr) is expected
    assert notfound.is_not_found(tool, 0, stderr) is False


def test_not_found_unknown_tool():
    with pytest.raises(KeyError):
        notfound.not_found("frobadm")


def test_from_module_switches_off_variable_expansion():
    calls = []

    class Module:
        check_mode = True

        def run_command(self, args, check_rc=False, data=None, environ_update=None, expand_user_and_vars=True):
            calls.append(expand_user_and_vars)
            return 0, "", ""

    runner = CommandRunner.from_module(Module(), pfexec=True)
    assert runner.check_mode and runner.pfexec
    runner.read(["zonecfg", "-z", "web", "info", "attr", "name=sshkey"])
    assert calls == [False]


def test_long_stderr_is_cut_to_its_tail():
    run = FakeRun(default=(1, "", "x" * 5000 + "THE END"))
    with pytest.raises(CommandError) as err:
        CommandRunner(run).change(["tool"])
    assert err.value.stderr.endswith("THE END") and len(err.value.stderr) < 2100
