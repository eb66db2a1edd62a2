"""ipf.conf rules: rendering structured options, parsing lines back, the managed block
of ipf.conf (native/ipfilter.py) with validation, reload only on change, check mode."""

import os

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import FileValidationError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.ipfilter import IpfRuleNativeBackend
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.nat_dhcp import IPFILTER_FMRI
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import ipf
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import ipfilter_rule

BEGIN = "# BEGIN zoneweaver.illumos managed ipfilter_rule"
END = "# END zoneweaver.illumos managed ipfilter_rule"
HAND = "# written by hand\npass in all   # default\n\n"
BLOCK_RULE = "block in quick from 10.190.190.20 to any"


def spec(**kw):
    return ipf.check_spec(dict({"action": "block", "direction": "in"}, **kw))


# --------------------------------------------------------------------------- render / parse
def test_structured_options_render_one_canonical_line():
    assert ipf.render_rule(spec(quick=True, source="10.190.190.20")) == BLOCK_RULE
    line = ipf.render_rule(spec(action="pass", direction="out", quick=True, interface="igb0", protocol="TCP",
                                destination="10.190.190.0/24", port=22, keep_state=True))
    assert line == "pass out quick on igb0 proto tcp from any to 10.190.190.0/24 port = 22 keep state"
    assert ipf.render_rule(spec(source="10.1.2.3/32")) == "block in from 10.1.2.3 to any"   # /32 is the address


@pytest.mark.parametrize("options, message", [
    ({"action": "drop"}, "action must be one of block, pass"),
    ({"direction": "both"}, "direction must be one of in, out"),
    ({"source": "10.190.190.1/24"}, "host bits set"),
    ({"destination": "fe80::1"}, "is not 'any', an IPv4 address"),
    ({"interface": "igb"}, "is not a link name"),
    ({"protocol": "tcp; rm"}, "is not a protocol name"),
    ({"port": 22}, "port needs protocol tcp, udp or tcp/udp"),
    ({"port": 70000, "protocol": "tcp"}, "port must be a number from 1 to 65535"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(InputError, match=message):
        spec(**options)


def test_raw_rules_are_checked_and_normalised():
    assert ipf.check_raw("  block   in  all   # note") == "block in all"
    for bad, message in (("blok in all", "must start with"), ("# only a comment", "is empty"),
                         ("block in all\npass out all", "line break"),
                         ("# BEGIN zoneweaver.illumos managed x", "block marker")):
        with pytest.raises(InputError, match=message):
            ipf.check_raw(bad)


def test_rule_keys_ignore_comment_and_spacing_not_case():
    assert ipf.rule_key("block  in quick from 10.190.190.20 to any # x") == ipf.rule_key(BLOCK_RULE)
    assert ipf.rule_key(BLOCK_RULE) != ipf.rule_key("block in from 10.190.190.20 to any")
    assert ipf.rule_key("block in on IGB0 all") != ipf.rule_key("block in on igb0 all")


def test_parse_rule_reads_back_what_render_wrote():
    options = spec(action="pass", direction="out", quick=True, interface="igb0", protocol="tcp",
                   destination="10.190.190.20", port=22, keep_state=True)
    view = ipf.parse_rule(ipf.render_rule(options))
    assert view == {"action": "pass", "direction": "out", "quick": True, "interface": "igb0", "protocol": "tcp",
                    "source": "any", "destination": "10.190.190.20", "port": 22, "keep_state": True}
    assert ipf.parse_rule("pass in all")["source"] == "any"


def test_resource_refuses_mixing_raw_and_structured_and_missing_parts():
    with pytest.raises(InputError, match="cannot be combined with action, quick"):
        ipfilter_rule.rule_line({"rule": BLOCK_RULE, "action": "block", "quick": True, "source": "any"})
    with pytest.raises(InputError, match="give either rule"):
        ipfilter_rule.rule_line({"action": "block", "source": "any"})


# --------------------------------------------------------------------------- the managed block
class FakeHost:
    """run_command for a host with ipfilter: svcs answers its state, svcadm moves it,
    `ipf -n -f` reads the temp file and refuses content holding `refuse`."""

    def __init__(self, state="online", refuse=None):
        self.state = state
        self.refuse = refuse
        self.calls = []

    def __call__(self, args, check_rc=False, data=None, environ_update=None, **kwargs):
        argv = list(args)
        self.calls.append(argv)
        tool = os.path.basename(argv[0])
        if tool == "svcs":
            return 0, "%-14s %s\n" % (self.state, IPFILTER_FMRI), ""
        if tool == "svcadm":
            self.state = "online"
            return 0, "", ""
        if tool == "ipf" and argv[1:3] == ["-n", "-f"]:
            with open(argv[-1]) as handle:
                if self.refuse and self.refuse in handle.read():
                    return 1, "", "ipf: 2: syntax error\n"
            return 0, "", ""
        return 1, "", "unexpected %r" % argv

    def mutations(self):
        return [c for c in self.calls if c[0] == "svcadm"]


def which_all(name, path=None):
    return "/usr/sbin/" + name if path is None else None


def apply(host, path, line, state="present", check_mode=False, backup=False):
    backend = IpfRuleNativeBackend(CommandRunner(host, check_mode=check_mode), ipf_conf=str(path), backup=backup,
                                   which=which_all)
    changed = backend.add_rule(line) if state == "present" else backend.remove_rule(line)
    result = backend.complete({"changed": changed, "actions": []}, diff=True)
    return result, backend


def test_block_is_added_validated_and_ipfilter_refreshed_once(tmp_path):
    path = tmp_path / "ipf.conf"
    path.write_text(HAND)
    host = FakeHost()
    result, _backend = apply(host, path, BLOCK_RULE)
    assert path.read_text() == HAND + "%s\n%s\n%s\n" % (BEGIN, BLOCK_RULE, END)
    assert result["actions"] == ["svcadm refresh network/ipfilter"]
    assert result["diff"][0]["before"] == "" and result["diff"][0]["after"] == BLOCK_RULE + "\n"
    assert [c[:3] for c in host.calls if c[0].endswith("ipf")] == [["ipf", "-n", "-f"]]
    again, _backend = apply(host, path, "block  in quick from 10.190.190.20 to any  # same rule")
    assert again["actions"] == [] and len(host.mutations()) == 1


def test_a_refused_file_is_not_written_and_nothing_is_reloaded(tmp_path):
    path = tmp_path / "ipf.conf"
    path.write_text(HAND)
    host = FakeHost(refuse="bogus")
    backend = IpfRuleNativeBackend(CommandRunner(host), ipf_conf=str(path), which=which_all)
    backend.add_rule("block in bogus")
    with pytest.raises(FileValidationError, match="refused by `ipf -n -f %s`: ipf: 2: syntax error" % path):
        backend.commit()
    assert path.read_text() == HAND and host.mutations() == []
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".zwtmp")]


def test_check_mode_plans_without_writing_or_reloading(tmp_path):
    path = tmp_path / "ipf.conf"
    path.write_text(HAND)
    host = FakeHost(state="disabled")
    result, _backend = apply(host, path, BLOCK_RULE, check_mode=True)
    assert result["actions"] == ["svcadm enable network/ipfilter"] and result["diff"][0]["after"] == BLOCK_RULE + "\n"
    assert path.read_text() == HAND and host.mutations() == []
    assert not [c for c in host.calls if os.path.basename(c[0]) == "ipf"]


def test_removal_keeps_other_lines_and_refuses_hand_written_rules(tmp_path):
    path = tmp_path / "ipf.conf"
    path.write_text(HAND)
    host = FakeHost()
    apply(host, path, BLOCK_RULE, backup=True)
    apply(host, path, "pass out quick from any to 10.190.190.20 keep state")
    result, _backend = apply(host, path, BLOCK_RULE, state="absent", backup=True)
    assert path.read_text() == HAND + "%s\npass out quick from any to 10.190.190.20 keep state\n%s\n" % (BEGIN, END)
    assert result["backup_file"].startswith(str(path) + ".")
    result, _backend = apply(host, path, "pass out quick from any to 10.190.190.20 keep state", state="absent")
    assert path.read_text() == HAND        # an empty block goes away with its markers
    with pytest.raises(ConflictError, match="on line 2 of .*outside the block"):
        apply(host, path, "pass in all", state="absent")
    assert apply(host, path, "pass in all")[0]["actions"] == []       # configured by hand counts as present


def test_module_entry_point_runs_through_the_context(tmp_path):
    path = tmp_path / "ipf.conf"
    host = FakeHost()
    ctx = RunContext(diff=True, run_command=host)
    params = {"action": "block", "direction": "in", "quick": True, "source": "10.190.190.20",
              "destination": "any", "state": "present", "config_file": str(path), "backup": False}
    result = ipfilter_rule.run(params, ctx)
    assert result["changed"] is True and result["rule"]["rule"] == BLOCK_RULE and result["rule"]["managed"] is True
    assert result["actions"][0] == "add " + BLOCK_RULE and path.read_text() == "%s\n%s\n%s\n" % (BEGIN, BLOCK_RULE, END)
