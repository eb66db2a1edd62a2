"""The native network backend: what it reads, which commands it plans, in which order,
and what it refuses before any change (fake run_command, no simulator)."""

from __future__ import annotations

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import CommandError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.network import (
    HostDisagrees, NetworkNativeBackend, vlan_name)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import (
    etherstub, ip_address, ip_forwarding, network_info, vlan, vnic)

SHOW_LINK = ("dladm", "show-link", "-p", "-o", "link,class,mtu,state,bridge,over")
SHOW_VNIC = ("dladm", "show-vnic", "-p", "-o", "link,over,speed,macaddress,macaddrtype,vid,zone")
SHOW_VLAN = ("dladm", "show-vlan", "-p", "-o", "link,vid,over,flags")
SHOW_IF = ("ipadm", "show-if", "-p", "-o", "ifname")
SHOW_ADDR = ("ipadm", "show-addr", "-p", "-o", "addrobj,type,state,addr")
ROUTEADM = ("routeadm", "-p")
SHOW_IFPROP = ("ipadm", "show-ifprop", "-c", "-o", "ifname,current,persistent", "-p", "forwarding", "-m", "ipv4")

LINKS = ("igb0:phys:1500:up:--:--\n"
         "stub0:etherstub:9000:unknown:--:--\n"
         "web0:vnic:1400:unknown:--:stub0\n"
         "db0:vnic:9000:unknown:--:stub0\n"
         "igb20000:vlan:1500:up:--:igb0\n")
VNICS = ("web0:stub0:0:2\\:8\\:20\\:a\\:b\\:c:fixed:20:--\n"
         "db0:stub0:0:2\\:8\\:20\\:1\\:2\\:3:random:0:0001--db01\n")
ROUTES = ("ipv4-forwarding persistent=enabled default=disabled current=enabled\n"
          "ipv4-routing persistent=default default=enabled current=disabled\n"
          "ipv6-forwarding persistent=default default=disabled current=disabled\n"
          "ipv6-routing persistent=default default=disabled current=disabled\n"
          'routing-svcs persistent="route:default ripng:default" default="route:default ripng:default" \n')


def ok(text=""):
    return (0, text, "")


class FakeHost:
    """Stands in for AnsibleModule.run_command: answers by exact argv (the last answer
    repeats); unknown commands answer (0, "", ""). Every call is recorded."""

    def __init__(self, **answers):
        self.answers = {}
        self.calls = []
        self.on(SHOW_LINK, ok(LINKS)).on(SHOW_VNIC, ok(VNICS)).on(SHOW_VLAN, ok("igb20000:20:igb0:-----\n"))
        self.on(SHOW_IF, ok("lo0\nigb0\nweb0\n")).on(ROUTEADM, ok(ROUTES))
        self.on(SHOW_ADDR, ok("lo0/v4:static:ok:127.0.0.1/8\nweb0/v4:static:ok:10.0.0.1/24\n"
                              "web0/v6:static:disabled:fd00\\:\\:1/64\n"))
        self.on(SHOW_IFPROP, ok("lo0:off:--\nigb0:on:on\nweb0:off:--\n"))

    def on(self, argv, *answers):
        self.answers[tuple(argv)] = list(answers)
        return self

    def __call__(self, args, check_rc=False, data=None, environ_update=None, **kwargs):
        self.calls.append(list(args))
        assert environ_update == {"LC_ALL": "C", "LANG": "C"}
        queue = self.answers.get(tuple(args))
        if not queue:
            return ok()
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def changes(self):
        """The commands that change the host (everything but show-* and routeadm -p)."""
        return [c for c in self.calls if not (c[1].startswith("show-") or c[:2] == ["routeadm", "-p"])]


def backend(host, check_mode=False, warnings=None):
    runner = CommandRunner(host, check_mode=check_mode)
    return NetworkNativeBackend(runner, warn=(warnings.append if warnings is not None else None))


def context(host, check_mode=False, diff=True):
    return RunContext(check_mode=check_mode, diff=diff, run_command=host)


# --------------------------------------------------------------------------- reads


def test_vnic_rows_make_the_agent_views():
    rows = backend(FakeHost()).vnics()
    views = {v["name"]: v for v in (vnic.vnic_view(r) for r in rows)}
    assert views["web0"] == {"name": "web0", "link": "stub0", "vlan_id": 20, "mac_address": "02:08:20:0a:0b:0c",
                             "mac_address_type": "fixed", "zone": None, "state": "unknown", "mtu": 1400}
    assert views["db0"]["zone"] == "0001--db01" and views["db0"]["vlan_id"] is None


def test_etherstubs_vlans_addresses():
    nb = backend(FakeHost())
    assert [etherstub.etherstub_view(r) for r in nb.etherstubs()] == [{"name": "stub0", "state": "unknown"}]
    assert [vlan.vlan_view(r) for r in nb.vlans()] == [{"name": "igb20000", "link": "igb0", "vid": 20, "state": "up",
                                                        "mtu": 1500}]
    views = {v["addrobj"]: v for v in (ip_address.address_view(r) for r in nb.addresses())}
    assert views["web0/v4"]["address"] == "10.0.0.1/24" and views["web0/v4"]["ip_version"] == "v4"
    # IPv6 colons arrive escaped and are read whole (the agent's live parse cuts them)
    assert views["web0/v6"]["address"] == "fd00::1/64" and views["web0/v6"]["ip_version"] == "v6"
    assert views["web0/v6"]["enabled"] is False


def test_links_merge_speed_and_macs():
    host = FakeHost()
    host.on(("dladm", "show-phys", "-p", "-o", "link,speed"), ok("igb0:1000\n"))
    host.on(("dladm", "show-phys", "-m", "-p", "-o", "link,slot,address"),
            ok("igb0:primary:0\\:25\\:90\\:5a\\:1c\\:e0\nigb0:1:0\\:25\\:90\\:5a\\:1c\\:e1\n"))
    host.on(("dladm", "show-vnic", "-p", "-o", "link,speed,macaddress"), ok("web0:0:2\\:8\\:20\\:a\\:b\\:c\n"))
    views = {v["name"]: v for v in (network_info.link_view(r) for r in backend(host).links())}
    assert views["igb0"] == {"name": "igb0", "class": "phys", "state": "up", "over": None, "speed": 1000, "mtu": 1500,
                             "mac_address": "00:25:90:5a:1c:e0"}
    assert views["web0"]["mac_address"] == "02:08:20:0a:0b:0c" and views["web0"]["over"] == "stub0"
    assert views["stub0"]["mac_address"] is None and views["igb20000"]["class"] == "vlan"


def test_vnic_properties_unset_and_escaped():
    host = FakeHost().on(("dladm", "show-linkprop", "-c", "-o", "property,value", "-p", "allowed-ips,maxbw,mtu", "web0"),
                         ok("allowed-ips:fd00\\:\\:5\nmaxbw:--\nmtu:1400\n"))
    assert backend(host).vnic_properties("web0", ["allowed-ips", "maxbw", "mtu"]) == {
        "allowed-ips": "fd00::5", "maxbw": None, "mtu": "1400"}


def test_forwarding_in_the_agent_shape():
    answer = backend(FakeHost()).forwarding()
    assert answer["forwarding"] == {"ipv4": {"current": "enabled", "persistent": "enabled"},
                                    "ipv6": {"current": "disabled", "persistent": "disabled"}}   # default resolved
    assert answer["interfaces"][1] == {"interface": "igb0", "current": "on", "persistent": "on"}
    assert answer["interfaces"][0]["persistent"] is None       # '--'
    interfaces = [{"name": "igb0", "enabled": True}, {"name": "lo0", "enabled": False}, {"name": "web0", "enabled": False}]
    assert ip_forwarding.forwarding_view(answer) == {"ipv4": True, "ipv6": False, "interfaces": interfaces}


def test_nothing_lags():
    nb = backend(FakeHost())
    assert nb.wait({}, 5) == [] and nb.tasks == []
    assert nb.settle({}, lambda: {"name": "x"}, True, 5, "VNIC x in GET /network/vnics") == {"name": "x"}
    assert nb.settle({}, lambda: None, False, 5, "VNIC x") is None
    with pytest.raises(HostDisagrees) as err:
        nb.settle({}, lambda: None, True, 5, "VNIC x in GET /network/vnics")
    assert "VNIC x is missing on the host" in str(err.value) and "GET" not in str(err.value)


# --------------------------------------------------------------------------- changes


@pytest.mark.parametrize("body, flags", [
    ({"mac_address": "auto"}, []),
    ({"mac_address": "random"}, ["-m", "random"]),
    ({"mac_address": "02:08:20:0a:0b:0c", "vlan_id": 20}, ["-m", "02:08:20:0a:0b:0c", "-v", "20"]),
    ({"mac_address": "factory", "slot": 2}, ["-m", "factory", "-n", "2"]),
    ({"properties": {"protection": "mac-nospoof,ip-nospoof", "mtu": "1400"}},
     ["-p", "mtu=1400,protection=mac-nospoof,ip-nospoof"]),
])
def test_create_vnic_argv(body, flags):
    host = FakeHost()
    backend(host).create_vnic(dict({"name": "app0", "link": "igb0", "temporary": False}, **body))
    assert host.changes() == [["dladm", "create-vnic", "-l", "igb0"] + flags + ["app0"]]


@pytest.mark.parametrize("body, error, needle", [
    ({"name": "app0", "link": "nope0"}, InputError, "link nope0, the VNIC's link, does not exist"),
    ({"name": "app0", "link": "web0"}, InputError, "a link of class vnic"),
    ({"name": "igb0", "link": "stub0"}, ConflictError, "taken by a link of class phys"),
    ({"name": "stub0", "link": "igb0"}, ConflictError, "taken by a link of class etherstub"),
])
def test_create_vnic_refusals_come_before_any_change(body, error, needle):
    host = FakeHost()
    with pytest.raises(error) as err:
        backend(host).create_vnic(body)
    assert needle in str(err.value)
    assert host.changes() == []


def test_missing_link_is_a_warning_in_check_mode():
    warnings = []
    host = FakeHost()
    backend(host, check_mode=True, warnings=warnings).check_create_vnic({"name": "app0", "link": "stub9"})
    assert "link stub9" in warnings[0] and "check mode" in warnings[0]


def test_delete_vnic_busy():
    host = FakeHost()
    nb = backend(host)
    with pytest.raises(ConflictError, match="in use by zone 0001--db01"):
        nb.delete_vnic("db0")
    with pytest.raises(ConflictError, match="web0 carries an IP interface"):
        nb.delete_vnic("web0")
    assert host.changes() == []
    host.on(SHOW_IF, ok("lo0\n"))
    nb.delete_vnic("web0")
    assert host.changes() == [["dladm", "delete-vnic", "web0"]]


def test_delete_etherstub_with_force_checks_every_vnic_first():
    host = FakeHost()
    nb = backend(host)
    with pytest.raises(ConflictError, match="still carries VNICs db0, web0"):
        nb.delete_etherstub("stub0")
    with pytest.raises(ConflictError, match="in use by zone"):
        nb.delete_etherstub("stub0", force=True)
    assert host.changes() == []
    host.on(SHOW_VNIC, ok("web0:stub0:0:2\\:8\\:20\\:a\\:b\\:c:fixed:20:--\n"))
    host.on(SHOW_IF, ok("lo0\n"))
    nb.delete_etherstub("stub0", force=True)
    assert host.changes() == [["dladm", "delete-vnic", "web0"], ["dladm", "delete-etherstub", "stub0"]]


def test_vlan_names_follow_the_agent():
    assert vlan_name("igb0", 20) == "igb20000"
    assert vlan_name("ixgbe1", 7) == "ixgbe7001"
    assert vlan_name("e1000g1", 3) == "vlan3"       # not <letters><digits>
    host = FakeHost()
    nb = backend(host)
    assert nb.create_vlan({"vid": 5, "link": "igb0", "force": True}) == {"vlan_name": "igb5000"}
    assert host.changes() == [["dladm", "create-vlan", "-f", "-l", "igb0", "-v", "5", "igb5000"]]
    with pytest.raises(InputError, match="a link of class etherstub"):
        nb.create_vlan({"vid": 5, "link": "stub0", "name": "tag5"})
    with pytest.raises(ConflictError, match="taken by a link of class vnic"):
        nb.create_vlan({"vid": 5, "link": "igb0", "name": "web0"})


def test_create_address_plumbs_the_interface_first():
    host = FakeHost()
    nb = backend(host)
    nb.create_address({"interface": "igb0", "type": "static", "addrobj": "igb0/v4", "address": "10.1.1.1/24"})
    host.on(SHOW_LINK, ok(LINKS + "app0:vnic:1500:up:--:igb0\n"))
    host.on(SHOW_VNIC, ok(VNICS + "app0:igb0:1000:2\\:8\\:20\\:9\\:9\\:9:random:0:--\n"))
    nb.create_address({"interface": "app0", "type": "dhcp", "addrobj": "app0/dhcp"})
    nb.create_address({"interface": "lo0", "type": "static", "addrobj": "lo0/v9", "address": "127.0.0.9/8"})
    assert host.changes() == [["ipadm", "create-addr", "-T", "static", "-a", "local=10.1.1.1/24", "igb0/v4"],
                              ["ipadm", "create-if", "app0"], ["ipadm", "create-addr", "-T", "dhcp", "app0/dhcp"],
                              ["ipadm", "create-addr", "-T", "static", "-a", "local=127.0.0.9/8", "lo0/v9"]]
    with pytest.raises(InputError, match="stub0 is an etherstub"):
        nb.create_address({"interface": "stub0", "type": "dhcp", "addrobj": "stub0/v4"})
    with pytest.raises(ConflictError, match="in use by zone 0001--db01"):
        nb.create_address({"interface": "db0", "type": "dhcp", "addrobj": "db0/v4"})
    with pytest.raises(InputError, match="datalink nope0 does not exist"):
        nb.create_address({"interface": "nope0", "type": "dhcp", "addrobj": "nope0/v4"})


def test_delete_address_takes_the_last_one_with_the_interface():
    host = FakeHost()
    host.on(("ipadm", "show-addr", "-p", "-o", "addrobj", "web0"), ok("web0/v6\n"), ok(""))
    nb = backend(host)
    nb.delete_address("web0/v4")
    nb.delete_address("web0/v6", release=True)
    nb.delete_address("lo0/v9")
    assert host.changes() == [["ipadm", "delete-addr", "web0/v4"], ["ipadm", "delete-addr", "-r", "web0/v6"],
                              ["ipadm", "delete-if", "web0"], ["ipadm", "delete-addr", "lo0/v9"]]


def test_enable_disable_are_temporary():
    host = FakeHost()
    nb = backend(host)
    nb.disable_address("web0/v4")
    nb.enable_address("web0/v4")
    assert host.changes() == [["ipadm", "disable-addr", "-t", "web0/v4"], ["ipadm", "enable-addr", "-t", "web0/v4"]]


def test_set_forwarding():
    host = FakeHost()
    nb = backend(host)
    nb.set_forwarding({"ipv4": False, "ipv6": True, "interfaces": {"web0": True, "igb0": False}})
    assert host.changes() == [["routeadm", "-u", "-d", "ipv4-forwarding"], ["routeadm", "-u", "-e", "ipv6-forwarding"],
                              ["ipadm", "set-ifprop", "-p", "forwarding=off", "-m", "ipv4", "igb0"],
                              ["ipadm", "set-ifprop", "-p", "forwarding=on", "-m", "ipv4", "web0"]]
    with pytest.raises(InputError, match="igb1, ixgbe0: no such IP interface"):
        nb.set_forwarding({"ipv4": True, "interfaces": {"igb1": True, "ixgbe0": True}})
    assert len(host.changes()) == 4


def test_a_failing_command_is_a_command_error():
    host = FakeHost().on(("dladm", "delete-vnic", "web0"), (1, "", "dladm: vnic deletion failed: link busy\n"))
    host.on(SHOW_IF, ok("lo0\n"))
    with pytest.raises(CommandError) as err:
        backend(host).delete_vnic("web0")
    assert err.value.rc == 1 and "dladm delete-vnic web0" in err.value.msg and "link busy" in err.value.msg


# --------------------------------------------------------------------------- the resources' plans


def native_params(**options):
    return dict({"backend": "native", "wait": True, "wait_timeout": 30}, **options)


def test_forwarding_plan_direct_changes_ipv6_and_keeps_global_on():
    view = {"ipv4": True, "ipv6": False, "interfaces": [{"name": "igb0", "enabled": True}]}
    spec = ip_forwarding.normalize_spec({"ipv4": True, "ipv6": True, "interfaces": [{"name": "igb0", "enabled": False}]})
    requests, before, after, actions = ip_forwarding.plan(spec, view, direct=True)
    assert requests == [{"ipv6": True, "interfaces": {"igb0": False}}]
    assert before == {"ipv6": False, "interfaces": {"igb0": True}} and after == {"ipv6": True, "interfaces": {"igb0": False}}
    assert actions == ["enable IPv6 forwarding", "disable forwarding on igb0"]
    assert ip_forwarding.plan(ip_forwarding.normalize_spec({"ipv4": True}), view, direct=True)[0] == []


def test_check_mode_runs_only_reads_and_refuses_what_the_run_would():
    host = FakeHost()
    ctx = context(host, check_mode=True)
    result = vnic.run(native_params(name="app0", link="igb0", vlan_id=5), ctx)
    assert result["changed"] is True and result["actions"] == ["create"] and result["tasks"] == []
    result = etherstub.run(native_params(name="stub1", state="present"), ctx)
    assert result["actions"] == ["create"]
    result = ip_forwarding.run(native_params(ipv6=True, interfaces=[{"name": "web0"}]), ctx)
    assert result["actions"] == ["enable IPv6 forwarding", "enable forwarding on web0"]
    with pytest.raises(ConflictError, match="carries an IP interface"):
        vnic.run(native_params(name="web0", state="absent"), ctx)
    with pytest.raises(ConflictError, match="taken by a link of class phys"):
        etherstub.run(native_params(name="igb0", state="present"), ctx)
    with pytest.raises(InputError, match="a link of class etherstub"):
        vlan.run(native_params(link="stub0", vid=9, state="present"), ctx)
    with pytest.raises(InputError, match="stub0 is an etherstub"):
        ip_address.run(native_params(addrobj="stub0/v4", address="10.0.0.9/24", state="present"), ctx)
    assert host.changes() == []


def test_vnic_resource_creates_and_reads_back():
    host = FakeHost()
    new = "app0:igb0:1000:2\\:8\\:20\\:0\\:0\\:5:fixed:5:--\n"
    host.on(SHOW_VNIC, ok(VNICS), ok(VNICS + new))
    host.on(SHOW_LINK, ok(LINKS), ok(LINKS), ok(LINKS + "app0:vnic:1500:up:--:igb0\n"))
    result = vnic.run(native_params(name="app0", link="igb0", vlan_id=5, mac_address="2:8:20:0:0:5"), context(host))
    assert result["changed"] is True and result["diff"]["before"] == {"state": "absent"}
    assert result["vnic"]["mac_address"] == "02:08:20:00:00:05" and result["vnic"]["vlan_id"] == 5
    assert host.changes() == [["dladm", "create-vnic", "-l", "igb0", "-m", "02:08:20:00:00:05", "-v", "5", "app0"]]


def test_vnic_recreate_keeps_the_link_it_had():
    host = FakeHost().on(SHOW_IF, ok("lo0\n"))
    moved = "web0:stub0:0:2\\:8\\:20\\:a\\:b\\:c:random:30:--\n"
    gone = VNICS.split("\n", 1)[1]
    # read, the deletion's check, the read after the deletion, the read after the creation
    host.on(SHOW_VNIC, ok(VNICS), ok(VNICS), ok(gone), ok(gone + moved))
    result = vnic.run(native_params(name="web0", vlan_id=30, recreate=True), context(host))
    assert result["actions"] == ["recreate (VLAN id 20 (wanted 30))"]
    assert host.changes() == [["dladm", "delete-vnic", "web0"], ["dladm", "create-vnic", "-l", "stub0", "-v", "30", "web0"]]


def test_network_info_native_without_nat_dhcp_backend():
    info = network_info.NetworkInfo(backend(FakeHost()), network_info.NoNatDhcp(), concurrency=1)
    warnings = []
    result = info.read(["etherstubs", "nat", "dhcp"], warn=warnings.append)
    assert result["etherstubs"] == [{"name": "stub0", "state": "unknown"}]
    assert result["unavailable"] == ["nat", "dhcp"]
    assert warnings[0] == "network_info: nat is not available from this host: not read with backend=native"


def test_network_info_selects_the_native_backend():
    host = FakeHost()
    result = network_info.run({"backend": "native", "gather": ["vlans", "forwarding"]}, context(host))
    assert result["vlans"][0]["name"] == "igb20000" and result["forwarding"]["ipv4"] is True
    assert result["changed"] is False and ["dladm", "show-link", "-p", "-o", "link,class,mtu,state,bridge,over"] in host.calls
