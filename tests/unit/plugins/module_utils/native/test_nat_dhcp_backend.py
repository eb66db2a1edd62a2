"""The native NAT/DHCP backend: managed blocks in real (temp) files, validation,
service reloads only on change, check mode and diff (fake run_command)."""

import os

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native import nat_dhcp as native
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import FileValidationError, ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.nat_dhcp import (
    DHCP_FMRI, IPFILTER_FMRI, NatDhcpNativeBackend, find_tool, listen_values, managed_rule_id)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import dhcp_host, dhcp_service, dhcp_subnet
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import nat_rule, nat_rule_info
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import NatRuleResource, complete

RULE = "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"
HAND = "bimap igb0 192.168.50.0/24 -> 203.0.113.0/24"
HAND_IPNAT = "# written by hand\n%s   # a comment\n\n# end of the hand-written part\n" % HAND
HAND_DHCPD = ('authoritative;\n'
              'subnet 10.0.0.0 netmask 255.255.255.0 { option routers 10.0.0.1; }\n'
              'host vm1 { option host-name "vm1"; hardware ethernet 02:08:20:ab:cd:ef; fixed-address 10.0.0.5; }\n')
BEGIN_NAT = "# BEGIN zoneweaver.illumos managed nat_rule"
END_NAT = "# END zoneweaver.illumos managed nat_rule"
SUBNET = {"subnet": "10.190.190.0/24", "router": "10.190.190.1", "range_start": "10.190.190.10",
          "range_end": "10.190.190.254"}


class FakeHost:
    """run_command for a host with ipfilter and dhcp:ipv4: svcadm moves their states,
    svccfg keeps listen_ifnames, validators read the temp file they are given."""

    STARTS = {"enable": "online", "clear": "online", "restart": None, "refresh": None, "disable": "disabled"}

    def __init__(self, ipfilter="online", dhcp="online", listen=(), refuse=None, active=None, fail_start=()):
        self.states = {IPFILTER_FMRI: ipfilter, DHCP_FMRI: dhcp}
        self.listen = list(listen)
        self.refuse = refuse
        self.active = active
        self.fail_start = set(fail_start)
        self.calls = []
        self.validated = []

    def __call__(self, args, check_rc=False, data=None, environ_update=None, **kwargs):
        argv = list(args)
        self.calls.append(argv)
        tool = os.path.basename(argv[0])
        if tool == "svcs":
            state = self.states.get(argv[-1])
            if state is None:
                return 1, "", "svcs: Pattern '%s' doesn't match any instances\n" % argv[-1]
            return 0, "%-14s %s\n" % (state, argv[-1]), ""
        if tool == "svcadm":
            verb, fmri = argv[1], argv[2]
            target = self.STARTS[verb]
            if verb == "restart" and self.states[fmri] == "online":
                target = "online"
            if target == "online" and fmri in self.fail_start:
                target = "maintenance"
            if target:
                self.states[fmri] = target
            return 0, "", ""
        if (tool == "ipnat" and argv[1:3] == ["-n", "-f"]) or (tool == "dhcpd" and "-t" in argv):
            with open(argv[-1]) as handle:
                content = handle.read()
            self.validated.append((argv, content))
            if self.refuse and self.refuse in content:
                return 1, "", "%s: syntax error on line 3" % tool
            return 0, "", ""
        if tool == "ipnat" and argv[1:] == ["-l"]:
            if self.active is None:
                return 1, "", "ipnat: ioctl(SIOCGNATS): I/O error\n"
            return 0, self.active, ""
        if tool == "svccfg" and argv[3] == "listprop":
            values = " ".join('"%s"' % v for v in self.listen)
            return 0, "config/listen_ifnames  astring" + ("  " + values if values else "") + "\n", ""
        if tool == "svccfg" and argv[3] == "setprop":
            self.listen = [argv[-1]]
            return 0, "", ""
        return 0, "", ""

    def mutations(self):
        return [c for c in self.calls if c[0] == "svcadm" or (c[0] == "svccfg" and c[3] == "setprop")]

    def tools(self):
        return [os.path.basename(c[0]) for c in self.calls]


def which_all(name, path=None):
    return "/usr/sbin/" + name if path is None else None


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def make(host, tmp_path, check_mode=False, ctx=None, which=which_all, **kw):
    runner = CommandRunner(host, check_mode=check_mode)
    clock = Clock()
    kw.setdefault("ipnat_conf", str(tmp_path / "ipnat.conf"))
    kw.setdefault("dhcpd_conf", str(tmp_path / "dhcpd.conf"))
    return NatDhcpNativeBackend(runner, warn=ctx.warn if ctx else None, which=which, clock=clock, sleep=clock.sleep,
                                **kw)


def ensure(resource_class, host, tmp_path, check_mode=False, diff=False, **params):
    ctx = RunContext(check_mode=check_mode, diff=diff)
    backend = make(host, tmp_path, check_mode=check_mode, ctx=ctx, backup=params.pop("backup", False),
                   read_active=resource_class is not NatRuleResource)   # as nat_rule.run() builds it
    result = resource_class(backend, ctx).ensure(dict(params, wait=True))
    return complete(backend, ctx, result), ctx, backend


def nat(host, tmp_path, **params):
    params.setdefault("bridge", "igb0")
    params.setdefault("subnet", "10.190.190.0/24")
    return ensure(NatRuleResource, host, tmp_path, **params)


# --------------------------------------------------------------------------- NAT
def test_nat_rule_goes_into_a_block_and_ipfilter_is_refreshed(tmp_path):
    conf = tmp_path / "ipnat.conf"
    conf.write_text(HAND_IPNAT)
    os.chmod(str(conf), 0o600)
    host = FakeHost(ipfilter="online")
    result, ctx, backend = nat(host, tmp_path)
    assert result["changed"] is True
    assert result["actions"] == ["create " + RULE, "svcadm refresh network/ipfilter"]
    assert result["rule"]["raw_rule"] == RULE and result["rule"]["id"] == managed_rule_id(RULE)
    text = conf.read_text()
    assert text == HAND_IPNAT + BEGIN_NAT + "\n" + RULE + "\n" + END_NAT + "\n"   # the other lines byte for byte
    assert oct(os.stat(str(conf)).st_mode & 0o777) == "0o600"                     # mode kept
    argv, content = host.validated[0]
    assert argv[:3] == ["ipnat", "-n", "-f"] and argv[3] != str(conf) and content == text
    assert host.mutations() == [["svcadm", "refresh", IPFILTER_FMRI]]
    assert ctx.warnings == [] and "backup_file" not in result


def test_unchanged_rule_is_neither_written_nor_reloaded(tmp_path):
    host = FakeHost()
    nat(host, tmp_path)
    conf = tmp_path / "ipnat.conf"
    before = os.stat(str(conf))
    host.calls.clear()
    result = nat(host, tmp_path, target="0.0.0.0/32")[0]   # the same rule, another spelling
    assert result["changed"] is False and result["actions"] == []
    assert os.stat(str(conf)).st_ino == before.st_ino and os.stat(str(conf)).st_mtime_ns == before.st_mtime_ns
    assert host.mutations() == [] and "ipnat" not in host.tools()


def test_a_hand_written_rule_counts_as_configured(tmp_path):
    conf = tmp_path / "ipnat.conf"
    conf.write_text(HAND_IPNAT)
    host = FakeHost()
    result = nat(host, tmp_path, subnet="192.168.50.0/24", target="203.0.113.0/24", type="bimap")[0]
    assert result["changed"] is False and result["rule"]["id"] == "line:2"
    assert result["rule"]["description"] == "a comment"
    assert conf.read_text() == HAND_IPNAT and host.mutations() == []
    rows = make(FakeHost(), tmp_path).nat_rules()["configured_rules"]
    assert [(r["id"], r["raw_rule"], r["managed"]) for r in rows] == [("line:2", HAND, False)]


@pytest.mark.parametrize("state, verb", [("online", "refresh"), ("disabled", "enable"), ("maintenance", "clear")])
def test_ipfilter_is_brought_to_load_the_file(tmp_path, state, verb):
    host = FakeHost(ipfilter=state)
    result, ctx, _backend = nat(host, tmp_path)
    assert host.mutations() == [["svcadm", verb, IPFILTER_FMRI]]
    assert result["actions"][-1] == "svcadm %s network/ipfilter" % verb and ctx.warnings == []


def test_ipfilter_in_maintenance_after_the_reload_is_reported(tmp_path):
    host = FakeHost(ipfilter="disabled", fail_start=[IPFILTER_FMRI])
    ctx = nat(host, tmp_path)[1]
    assert any("network/ipfilter is in maintenance" in w for w in ctx.warnings), ctx.warnings


def test_offline_ipfilter_is_left_to_start_by_itself(tmp_path):
    host = FakeHost(ipfilter="offline")
    result, ctx, _backend = nat(host, tmp_path)
    assert host.mutations() == [] and result["changed"] is True
    assert any("offline" in w and "loads them when it starts" in w for w in ctx.warnings)


def test_check_mode_writes_nothing_and_runs_nothing_but_plans_and_diffs(tmp_path):
    conf = tmp_path / "ipnat.conf"
    conf.write_text(HAND_IPNAT)
    host = FakeHost(ipfilter="disabled")
    result, _ctx, backend = nat(host, tmp_path, check_mode=True, diff=True)
    assert conf.read_text() == HAND_IPNAT and not [n for n in os.listdir(str(tmp_path)) if n.endswith(".zwtmp")]
    assert result["changed"] is True
    assert result["actions"] == ["create " + RULE, "svcadm enable network/ipfilter"]
    assert host.mutations() == [] and host.validated == []
    assert backend.runner.planned == ["svcadm enable " + IPFILTER_FMRI]
    assert result["rule"]["raw_rule"] == RULE
    assert result["diff"] == [{"before": "", "after": RULE + "\n",
                               "before_header": "%s (zoneweaver.illumos managed nat_rule)" % conf,
                               "after_header": "%s (zoneweaver.illumos managed nat_rule)" % conf}]


def test_diff_of_a_real_run_shows_the_block(tmp_path):
    host = FakeHost()
    nat(host, tmp_path)
    result = nat(host, tmp_path, subnet="10.190.191.0/24", diff=True)[0]
    other = RULE.replace("190.0/24", "191.0/24")
    assert result["diff"][0]["before"] == RULE + "\n" and result["diff"][0]["after"] == RULE + "\n" + other + "\n"


def test_removal_empties_the_block_away_and_leaves_the_rest(tmp_path):
    conf = tmp_path / "ipnat.conf"
    conf.write_text(HAND_IPNAT)
    host = FakeHost()
    nat(host, tmp_path)
    host.calls.clear()
    result = nat(host, tmp_path, state="absent", diff=True)[0]
    assert result["changed"] is True and result["actions"] == ["delete " + RULE, "svcadm refresh network/ipfilter"]
    assert result["rule"] == {} and result["diff"][0]["after"] == ""
    assert conf.read_text() == HAND_IPNAT
    again = nat(host, tmp_path, state="absent")[0]
    assert again["changed"] is False


def test_removing_a_rule_outside_the_block_is_refused_naming_its_line(tmp_path):
    conf = tmp_path / "ipnat.conf"
    conf.write_text(HAND_IPNAT)
    host = FakeHost()
    with pytest.raises(ConflictError) as info:
        nat(host, tmp_path, subnet="192.168.50.0/24", target="203.0.113.0/24", type="bimap", state="absent")
    assert "line 2 of %s" % conf in str(info.value) and "by hand" in str(info.value)
    assert conf.read_text() == HAND_IPNAT and host.mutations() == []


def test_a_copy_outside_the_block_stops_the_removal_before_anything_is_written(tmp_path):
    conf = tmp_path / "ipnat.conf"
    host = FakeHost()
    nat(host, tmp_path)
    text = conf.read_text() + RULE.replace("0/32", "0.0.0.0/32") + "\n"
    conf.write_text(text)
    host.calls.clear()
    with pytest.raises(ConflictError):
        nat(host, tmp_path, state="absent")
    assert conf.read_text() == text and host.mutations() == []


def test_refused_validation_leaves_the_file_and_the_service_alone(tmp_path):
    conf = tmp_path / "ipnat.conf"
    conf.write_text(HAND_IPNAT)
    host = FakeHost(refuse="10.190.190.0/24")
    with pytest.raises(FileValidationError) as info:
        nat(host, tmp_path)
    assert "ipnat -n -f %s" % conf in str(info.value)
    assert conf.read_text() == HAND_IPNAT and host.mutations() == []
    assert not [n for n in os.listdir(str(tmp_path)) if n.endswith(".zwtmp")]


def test_backup_keeps_the_previous_file(tmp_path):
    conf = tmp_path / "ipnat.conf"
    conf.write_text(HAND_IPNAT)
    result = nat(FakeHost(), tmp_path, backup=True)[0]
    assert result["backup_file"].startswith(str(conf) + ".")
    with open(result["backup_file"]) as handle:
        assert handle.read() == HAND_IPNAT
    assert nat(FakeHost(), tmp_path, backup=True)[0].get("backup_file") is None   # unchanged: no backup


def test_damaged_markers_fail_before_anything_is_planned(tmp_path):
    (tmp_path / "ipnat.conf").write_text(BEGIN_NAT + "\n" + RULE + "\n")
    host = FakeHost()
    with pytest.raises(ParseError):
        nat(host, tmp_path, subnet="10.190.191.0/24")
    assert host.mutations() == []


def test_missing_directory_is_an_error_not_a_traceback(tmp_path):
    host = FakeHost()
    ctx = RunContext()
    backend = make(host, tmp_path, ctx=ctx, ipnat_conf=str(tmp_path / "nope" / "ipnat.conf"))
    result = NatRuleResource(backend, ctx).ensure({"bridge": "igb0", "subnet": "10.190.190.0/24", "wait": True})
    with pytest.raises(ZoneweaverError) as info:
        complete(backend, ctx, result)
    assert "does not exist" in str(info.value)


def test_nat_rule_info_natively(tmp_path):
    (tmp_path / "ipnat.conf").write_text(HAND_IPNAT)
    nat(FakeHost(), tmp_path)
    active = ("List of active MAP/Redirect filters:\nmap igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto\n\n"
              "List of active sessions:\n")
    backend = make(FakeHost(active=active), tmp_path)
    facts = nat_rule_info.nat_facts(backend.nat_rules(), backend.nat_status())
    rules = {r["raw_rule"]: r for r in facts["configured_rules"]}
    assert rules[RULE]["active"] is True and rules[RULE]["id"].startswith("zw-")
    assert rules[HAND]["active"] is False and rules[HAND]["id"] == "line:2"
    assert facts["config_file"] == str(tmp_path / "ipnat.conf")
    assert facts["service"]["state"] == "online" and facts["service"]["service"] == "network/ipfilter"
    down = make(FakeHost(ipfilter="disabled"), tmp_path)
    facts = nat_rule_info.nat_facts(down.nat_rules(), down.nat_status())
    assert facts["active_rules_text"] is None and all(r["active"] is None for r in facts["configured_rules"])


def test_no_file_means_no_rules(tmp_path):
    assert make(FakeHost(), tmp_path).nat_rules()["configured_rules"] == []


# --------------------------------------------------------------------------- DHCP subnet
def subnet(host, tmp_path, **params):
    return ensure(dhcp_subnet.DhcpSubnetResource, host, tmp_path, **dict(SUBNET, **params))


def test_subnet_block_keeps_the_rest_and_restarts_a_running_server(tmp_path):
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(HAND_DHCPD)
    host = FakeHost(dhcp="online")
    result, ctx, _backend = subnet(host, tmp_path, dns=["9.9.9.9"])
    assert result["changed"] is True
    assert result["actions"] == ["write subnet 10.190.190.0/24", "svcadm restart network/service/dhcp:ipv4"]
    text = conf.read_text()
    assert text.startswith(HAND_DHCPD)
    assert text[len(HAND_DHCPD):] == (
        "# BEGIN zoneweaver.illumos managed dhcp_subnet\n"
        "subnet 10.190.190.0 netmask 255.255.255.0 {\n  option routers 10.190.190.1;\n"
        "  range 10.190.190.10 10.190.190.254;\n  option domain-name-servers 9.9.9.9;\n}\n"
        "# END zoneweaver.illumos managed dhcp_subnet\n")
    assert host.validated[0][0][:3] == ["/usr/sbin/dhcpd", "-t", "-cf"] or host.validated[0][0][:3] == ["dhcpd", "-t", "-cf"]
    assert result["subnet"]["router"] == "10.190.190.1" and result["subnet"]["dns"] == ["9.9.9.9"]
    assert ctx.warnings == []   # the subnet outside the block is another network: kept, not "dropped"
    host.calls.clear()
    assert subnet(host, tmp_path, dns=["9.9.9.9"])[0]["changed"] is False
    assert host.mutations() == []


def test_a_second_network_is_added_and_the_first_kept(tmp_path):
    host = FakeHost(dhcp="disabled")
    subnet(host, tmp_path)
    result = subnet(host, tmp_path, subnet="10.190.191.0/24", router="10.190.191.1", range_start="10.190.191.10",
                    range_end="10.190.191.20")[0]
    assert result["actions"] == ["write subnet 10.190.191.0/24"]   # disabled: no restart
    parsed = make(FakeHost(), tmp_path).dhcp_config()["subnets"]
    assert [s["subnet"] for s in parsed] == ["10.190.190.0", "10.190.191.0"]
    assert host.mutations() == []


def test_router_change_rewrites_the_declaration_in_place(tmp_path):
    host = FakeHost()
    subnet(host, tmp_path, dns=["9.9.9.9"])
    result = subnet(host, tmp_path, router="10.190.190.2", diff=True)[0]
    assert result["actions"][0] == "update subnet 10.190.190.0/24"
    assert "option routers 10.190.190.1;" in result["diff"][0]["before"]
    assert "option routers 10.190.190.2;" in result["diff"][0]["after"]
    assert "domain-name-servers 9.9.9.9" in result["diff"][0]["after"]   # dns not given: kept


def test_listen_interface_is_set_with_svccfg_then_refreshed(tmp_path):
    host = FakeHost(dhcp="disabled", listen=["old0"])
    subnet(host, tmp_path)
    host.calls.clear()
    result = subnet(host, tmp_path, listen_interface="provisioning0", diff=True)[0]
    assert result["actions"] == ["update subnet 10.190.190.0/24",
                                 "svccfg setprop config/listen_ifnames = provisioning0",
                                 "svcadm refresh network/service/dhcp:ipv4"]
    assert host.mutations() == [
        ["svccfg", "-s", DHCP_FMRI, "setprop", "config/listen_ifnames", "=", "astring:", "provisioning0"],
        ["svcadm", "refresh", DHCP_FMRI]]
    assert result["subnet"]["listen_interface"] == "provisioning0"
    assert result["diff"] == [{"before": "config/listen_ifnames = old0\n",
                               "after": "config/listen_ifnames = provisioning0\n",
                               "before_header": DHCP_FMRI + " config/listen_ifnames",
                               "after_header": DHCP_FMRI + " config/listen_ifnames"}]
    host.calls.clear()
    assert subnet(host, tmp_path, listen_interface="provisioning0")[0]["changed"] is False
    assert host.mutations() == []


def test_subnet_of_the_same_network_outside_the_block_is_a_conflict(tmp_path):
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(HAND_DHCPD)
    host = FakeHost()
    with pytest.raises(ConflictError) as info:
        subnet(host, tmp_path, subnet="10.0.0.0/24", router="10.0.0.2", range_start="10.0.0.10",
               range_end="10.0.0.20")
    assert "outside the blocks" in str(info.value) and conf.read_text() == HAND_DHCPD


def test_subnet_absent_natively(tmp_path):
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(HAND_DHCPD)
    host = FakeHost(dhcp="online")
    subnet(host, tmp_path)
    host.calls.clear()
    checked, _ctx, backend = ensure(dhcp_subnet.DhcpSubnetResource, host, tmp_path, check_mode=True,
                                    subnet="10.190.190.0/24", state="absent")
    assert checked["changed"] is True and host.mutations() == [] and HAND_DHCPD != conf.read_text()
    assert backend.runner.planned == ["svcadm restart " + DHCP_FMRI]
    removed = ensure(dhcp_subnet.DhcpSubnetResource, host, tmp_path, subnet="10.190.190.0/24", state="absent")[0]
    assert removed["actions"] == ["remove subnet 10.190.190.0/24", "svcadm restart network/service/dhcp:ipv4"]
    assert removed["subnet"] == {} and conf.read_text() == HAND_DHCPD
    again = ensure(dhcp_subnet.DhcpSubnetResource, host, tmp_path, subnet="10.190.190.0/24", state="absent")[0]
    assert again["changed"] is False


def test_absent_is_refused_for_the_agent_only():
    with pytest.raises(InputError, match="no way to remove"):
        dhcp_subnet.normalize_spec({"subnet": "10.190.190.0/24", "state": "absent"})
    spec = dhcp_subnet.normalize_spec({"subnet": "10.190.190.0/24", "state": "absent"}, native=True)
    assert (spec["subnet"], spec["prefix"]) == ("10.190.190.0", 24)


def test_dhcpd_missing_warns_and_writes_unvalidated(tmp_path):
    host = FakeHost()
    ctx = RunContext()
    backend = make(host, tmp_path, ctx=ctx, which=lambda name, path=None: None if name == "dhcpd" else "/x/" + name)
    result = dhcp_subnet.DhcpSubnetResource(backend, ctx).ensure(dict(SUBNET, wait=True))
    complete(backend, ctx, result)
    assert host.validated == [] and (tmp_path / "dhcpd.conf").exists()
    assert any("dhcpd was not found" in w for w in ctx.warnings)


def test_find_tool_looks_beyond_path():
    def which(name, path=None):
        return "/opt/ooce/sbin/dhcpd" if path == "/opt/ooce/sbin" else None
    assert find_tool("dhcpd", which) == "/opt/ooce/sbin/dhcpd"
    assert find_tool("ipnat", lambda name, path=None: "/usr/sbin/ipnat" if path is None else None) == "ipnat"
    assert find_tool("dhcpd", lambda name, path=None: None) is None


def test_listen_values():
    assert listen_values('config/listen_ifnames  astring  "e1000g0"\n') == ["e1000g0"]
    assert listen_values('config/listen_ifnames  astring  "a" "b"\n') == ["a", "b"]
    assert listen_values("config/listen_ifnames  astring\n") == [] and listen_values("") == []


# --------------------------------------------------------------------------- DHCP hosts
def host_entry(host, tmp_path, **params):
    params.setdefault("hostname", "web01")
    return ensure(dhcp_host.DhcpHostResource, host, tmp_path, **params)


def test_host_entries_in_their_own_block(tmp_path):
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(HAND_DHCPD)
    host = FakeHost(dhcp="online")
    result = host_entry(host, tmp_path, mac="2:8:20:a:b:c", ip="10.0.0.20")[0]
    assert result["actions"] == ["add web01", "svcadm restart network/service/dhcp:ipv4"]
    assert result["host"] == {"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.0.0.20"}
    assert conf.read_text() == HAND_DHCPD + (
        "# BEGIN zoneweaver.illumos managed dhcp_host\nhost web01 {\n  hardware ethernet 02:08:20:0a:0b:0c;\n"
        "  fixed-address 10.0.0.20;\n}\n# END zoneweaver.illumos managed dhcp_host\n")
    host.calls.clear()
    assert host_entry(host, tmp_path, mac="02:08:20:0A:0B:0C", ip="10.0.0.20")[0]["changed"] is False
    assert host.mutations() == []


def test_changed_mac_is_one_write_and_one_restart(tmp_path):
    host = FakeHost(dhcp="online")
    host_entry(host, tmp_path, mac="02:08:20:0a:0b:0c", ip="10.0.0.20")
    host.calls.clear()
    host.validated.clear()
    result = host_entry(host, tmp_path, mac="02:08:20:0a:0b:0d", ip="10.0.0.20", backup=True)[0]
    assert result["actions"] == ["remove web01 (mac changed; the agent has no update)", "add web01",
                                 "svcadm restart network/service/dhcp:ipv4"]
    assert host.mutations() == [["svcadm", "restart", DHCP_FMRI]] and len(host.validated) == 1
    assert "0b:0d" in (tmp_path / "dhcpd.conf").read_text() and "backup_file" in result


def test_conflict_with_an_entry_outside_the_block(tmp_path):
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(HAND_DHCPD)
    host = FakeHost()
    with pytest.raises(InputError, match="conflicts with an existing entry: vm1"):
        host_entry(host, tmp_path, mac="02:08:20:ab:cd:ef", ip="10.0.0.30")
    with pytest.raises(ConflictError, match="host vm1 is declared"):
        host_entry(host, tmp_path, mac="02:08:20:ab:cd:ef", ip="10.0.0.30", replace=True)
    assert conf.read_text() == HAND_DHCPD and host.mutations() == []


def test_host_removal_and_check_mode(tmp_path):
    conf = tmp_path / "dhcpd.conf"
    host = FakeHost(dhcp="disabled")
    host_entry(host, tmp_path, mac="02:08:20:0a:0b:0c", ip="10.0.0.20")
    text = conf.read_text()
    checked = host_entry(host, tmp_path, state="absent", check_mode=True, diff=True)[0]
    assert checked["changed"] is True and conf.read_text() == text
    assert checked["diff"][0]["after"] == "" and "host web01 {" in checked["diff"][0]["before"]
    removed = host_entry(host, tmp_path, state="absent")[0]
    assert removed["changed"] is True and removed["host"] == {}
    assert conf.read_text() == "" and host.mutations() == []   # disabled server: nothing to restart


# --------------------------------------------------------------------------- DHCP service
def service(host, state, check_mode=False, tmp_path=None, **params):
    ctx = RunContext(check_mode=check_mode)
    backend = make(host, tmp_path, check_mode=check_mode, ctx=ctx)
    return dhcp_service.DhcpServiceResource(backend, ctx).ensure(dict({"state": state, "wait": True}, **params)), ctx


@pytest.mark.parametrize("before, state, verb, after", [
    ("disabled", "started", "enable", "online"),
    ("maintenance", "started", "clear", "online"),
    ("online", "stopped", "disable", "disabled"),
    ("maintenance", "stopped", "disable", "disabled"),
    ("online", "restarted", "restart", "online"),
    ("disabled", "restarted", "enable", "online"),
    ("maintenance", "restarted", "clear", "online"),
    ("online", "refreshed", "refresh", "online"),
])
def test_service_actions(tmp_path, before, state, verb, after):
    host = FakeHost(dhcp=before)
    result = service(host, state, tmp_path=tmp_path)[0]
    assert result["changed"] is True and host.mutations() == [["svcadm", verb, DHCP_FMRI]]
    assert result["service"]["state"] == after and result["service"]["service"] == "network/service/dhcp:ipv4"


def test_service_started_is_idempotent_and_check_mode_runs_nothing(tmp_path):
    host = FakeHost(dhcp="online", listen=["vnic0"])
    result = service(host, "started", tmp_path=tmp_path)[0]
    assert result["changed"] is False and result["service"]["listen_interface"] == "vnic0"
    host = FakeHost(dhcp="disabled")
    checked = service(host, "started", check_mode=True, tmp_path=tmp_path)[0]
    assert checked["changed"] is True and host.mutations() == []


def test_service_that_fails_to_start_is_reported(tmp_path):
    host = FakeHost(dhcp="disabled", fail_start=[DHCP_FMRI])
    result, ctx = service(host, "started", tmp_path=tmp_path)
    assert result["service"]["state"] == "maintenance" and any("maintenance" in w for w in ctx.warnings)


def test_service_that_never_settles_times_out(tmp_path):
    class Stuck(FakeHost):
        """Once asked to start, the service stays on its way (offline*)."""
        def __call__(self, args, **kwargs):
            answer = super().__call__(args, **kwargs)
            if args[0] == "svcs" and any(c[0] == "svcadm" for c in self.calls):
                return 0, "offline*       %s\n" % args[-1], ""
            return answer
    host = Stuck(dhcp="disabled")
    with pytest.raises(ZoneweaverError, match="still offline"):
        service(host, "started", tmp_path=tmp_path, wait_timeout=3)
    assert service(Stuck(dhcp="disabled"), "started", tmp_path=tmp_path, wait=False)[0]["changed"] is True


def test_missing_dhcp_service_is_explained(tmp_path):
    host = FakeHost()
    del host.states[DHCP_FMRI]
    with pytest.raises(ZoneweaverError, match="no svc:/network/service/dhcp:ipv4 service"):
        service(host, "started", tmp_path=tmp_path)
    result, ctx = service(host, "stopped", tmp_path=tmp_path)
    assert result["changed"] is False and any("unknown" in w for w in ctx.warnings)


# --------------------------------------------------------------------------- module entry points
def test_run_wires_the_native_backend_and_its_options(tmp_path, monkeypatch):
    monkeypatch.setattr(native.shutil, "which", which_all)
    host = FakeHost(ipfilter="disabled")
    ctx = RunContext(run_command=host, diff=True)
    params = {"backend": "native", "bridge": "igb0", "subnet": "10.190.190.0/24", "target": "0/32", "type": "portmap",
              "state": "present", "wait": False, "config_file": str(tmp_path / "nat.conf"), "backup": False}
    result = nat_rule.run(params, ctx)
    assert result["changed"] is True and result["rule"]["id"].startswith("zw-")   # wait=false: still read back
    assert RULE in (tmp_path / "nat.conf").read_text()
    assert result["diff"][0]["after"] == RULE + "\n"
    assert [c[:2] for c in host.calls if c[0] == "svcadm"] == [["svcadm", "enable"]]


def test_bad_input_costs_no_command(tmp_path):
    host = FakeHost()
    ctx = RunContext(run_command=host)
    with pytest.raises(InputError):
        nat_rule.run({"backend": "native", "bridge": "igb0", "subnet": "10.190.190.1/24"}, ctx)
    with pytest.raises(InputError):
        dhcp_host.run({"backend": "native", "hostname": "web01", "mac": "nope", "ip": "10.0.0.1"}, ctx)
    with pytest.raises(InputError):
        dhcp_subnet.run({"backend": "native", "subnet": "10.190.190.0/24", "router": "10.1.1.1",
                         "range_start": "10.190.190.10", "range_end": "10.190.190.20"}, ctx)
    assert host.calls == []


def test_native_options_warn_with_the_agent(tmp_path):
    ctx = RunContext()
    nat_rule.native_only({"config_file": "/x", "backup": True}, ctx, object(), ("config_file", "backup"))
    assert len(ctx.warnings) == 2 and "native backend" in ctx.warnings[0]
    ctx = RunContext()
    nat_rule.native_only({"config_file": "/x"}, ctx, make(FakeHost(), tmp_path), ("config_file",))
    assert ctx.warnings == []
