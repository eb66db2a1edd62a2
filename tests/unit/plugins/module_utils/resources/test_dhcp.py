"""DHCP: subnet validation and comparison, host conflicts, the service's plan."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, TaskError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import dhcp_host, dhcp_service, dhcp_subnet

SUBNET = {"subnet": "10.190.190.0", "netmask": "255.255.255.0", "range_start": "10.190.190.10",
          "range_end": "10.190.190.254", "options": {"routers": "10.190.190.1", "dns": "9.9.9.9, 1.1.1.1"}}


def subnet_spec(**params):
    params.setdefault("subnet", "10.190.190.0/24")
    params.setdefault("router", "10.190.190.1")
    params.setdefault("range_start", "10.190.190.10")
    params.setdefault("range_end", "10.190.190.254")
    return dhcp_subnet.normalize_spec(params)


# --------------------------------------------------------------------------- subnet: input
@pytest.mark.parametrize("subnet, netmask", [
    ("10.190.190.0/24", None), ("10.190.190.0", "255.255.255.0"), ("10.190.190.0", "24"),
    ("10.190.190.0", "/24"), ("10.190.190.0/24", "255.255.255.0"), ("10.190.190.0/255.255.255.0", None),
])
def test_subnet_forms_normalise_alike(subnet, netmask):
    spec = subnet_spec(subnet=subnet, netmask=netmask)
    assert (spec["subnet"], spec["netmask"], spec["prefix"]) == ("10.190.190.0", "255.255.255.0", 24)


@pytest.mark.parametrize("params, needle", [
    ({"subnet": "10.190.190.0"}, "needs a netmask"),
    ({"subnet": "10.190.190.0/24", "netmask": "255.255.0.0"}, "disagree"),
    ({"subnet": "10.190.190.7/24"}, "did you mean 10.190.190.0/24"),
    ({"subnet": "10.190.190.0", "netmask": "255.0.255.0"}, "not a valid IPv4 netmask"),
    ({"subnet": "tenbox/24"}, "not an IPv4 network"),
    ({"router": "10.190.191.1"}, "router 10.190.191.1 is outside the subnet 10.190.190.0/24"),
    ({"range_start": "10.190.189.10"}, "range_start 10.190.189.10 is outside the subnet"),
    ({"range_end": "10.190.191.254"}, "range_end 10.190.191.254 is outside the subnet"),
    ({"range_end": "10.190.190.255"}, "broadcast address"),
    ({"range_start": "10.190.190.0"}, "network address"),
    ({"range_start": "10.190.190.200", "range_end": "10.190.190.100"}, "range_start 10.190.190.200 is after range_end"),
    ({"router": "gateway"}, "router must be an IPv4 address"),
    ({"router": None}, "router is required"),
    ({"range_start": None, "range_end": None}, "range_start, range_end are required"),
    ({"dns": ["9.9.9.9", "bad server!"]}, "dns server"),
    ({"listen_interface": "provisioning 0"}, "listen_interface"),
    ({"state": "absent"}, "no way to remove"),
])
def test_bad_subnet_input_is_refused(params, needle):
    with pytest.raises(InputError) as info:
        subnet_spec(**params)
    assert needle in str(info.value)


# --------------------------------------------------------------------------- subnet: plan
def test_same_subnet_is_no_change():
    spec = subnet_spec(subnet="10.190.190.0", netmask="24", dns=["9.9.9.9", "1.1.1.1"],
                       listen_interface="provisioning_0")
    differing = dhcp_subnet.plan(spec, {"subnets": [SUBNET]}, {"listen_interface": '"provisioning_0"'})[4]
    assert differing == []


def test_only_set_keys_are_compared_and_unset_dns_is_carried_over():
    spec = subnet_spec(range_start="10.190.190.50")
    current, others, before, after, differing = dhcp_subnet.plan(spec, {"subnets": [SUBNET]}, None)
    assert differing == ["range_start"] and others == []
    assert dhcp_subnet.put_body(spec, dhcp_subnet.subnet_view(current)) == {
        "subnet": "10.190.190.0", "netmask": "255.255.255.0", "router": "10.190.190.1",
        "range_start": "10.190.190.50", "range_end": "10.190.190.254", "dns": "9.9.9.9, 1.1.1.1"}
    assert before["subnets"][0]["range_start"] == "10.190.190.10" and after["subnets"][0]["range_start"] == "10.190.190.50"


def test_dns_order_and_removal_count():
    assert dhcp_subnet.plan(subnet_spec(dns=["1.1.1.1", "9.9.9.9"]), {"subnets": [SUBNET]}, None)[4] == ["dns"]
    spec = subnet_spec(dns=[])
    assert dhcp_subnet.plan(spec, {"subnets": [SUBNET]}, None)[4] == ["dns"]
    assert "dns" not in dhcp_subnet.put_body(spec, dhcp_subnet.subnet_view(SUBNET))


def test_other_subnet_is_replaced_with_a_warning():
    other = dict(SUBNET, subnet="10.0.0.0", netmask="255.255.0.0", range_start="10.0.0.10", range_end="10.0.0.20",
                 options={"routers": "10.0.0.1"})

    class Agent:
        def dhcp_config(self):
            return {"subnets": [other], "hosts": []}

    ctx = RunContext(check_mode=True, diff=True)
    result = dhcp_subnet.DhcpSubnetResource(Agent(), ctx).ensure(
        {"subnet": "10.190.190.0/24", "router": "10.190.190.1", "range_start": "10.190.190.10",
         "range_end": "10.190.190.254"})
    assert result["actions"] == ["write subnet 10.190.190.0/24", "drop subnet 10.0.0.0/255.255.0.0"]
    assert "replaces 10.0.0.0/255.255.0.0" in ctx.warnings[0]
    assert result["diff"]["before"]["subnets"][0]["subnet"] == "10.0.0.0"
    assert result["subnet"]["range_end"] == "10.190.190.254"


def test_listen_interface_read_unquoted():
    spec = subnet_spec(listen_interface="provisioning_0")
    assert dhcp_subnet.plan(spec, {"subnets": [SUBNET]}, {"listen_interface": "vnic0"})[4] == ["listen_interface"]
    assert dhcp_subnet.unquote('"provisioning_0"') == "provisioning_0" and dhcp_subnet.unquote('""') is None


# --------------------------------------------------------------------------- hosts
HOSTS = [{"hostname": "old01", "mac": "2:8:20:a:b:c", "ip": "10.190.190.30"},
         {"hostname": "db01", "mac": "02:08:20:0a:0b:0e", "ip": "10.190.190.40"}]


def host_spec(**params):
    params.setdefault("hostname", "web01")
    params.setdefault("mac", "02:08:20:0A:0B:0C")
    params.setdefault("ip", "10.190.190.20")
    return dhcp_host.normalize_spec(params)


def views(hosts):
    return [dhcp_host.host_view(h) for h in hosts]


def test_mac_is_normalised():
    assert host_spec(mac="2-8-20-a-b-c")["mac"] == "02:08:20:0a:0b:0c"
    assert views(HOSTS)[0]["mac"] == "02:08:20:0a:0b:0c"


@pytest.mark.parametrize("params, needle", [
    ({"mac": "02:08:20:0a:0b"}, "mac must be a MAC address"),
    ({"mac": "zz:08:20:0a:0b:0c"}, "mac must be a MAC address"),
    ({"ip": "10.190.190"}, "ip must be an IPv4 address"),
    ({"hostname": "web 01"}, "invalid hostname"),
    ({"hostname": "web01;reboot"}, "invalid hostname"),
    ({"mac": None}, "mac is required"),
])
def test_bad_host_input_is_refused(params, needle):
    with pytest.raises(InputError) as info:
        host_spec(**params)
    assert needle in str(info.value)


def test_absent_needs_only_the_hostname():
    assert dhcp_host.normalize_spec({"hostname": "web01", "state": "absent"}) == {"hostname": "web01"}


def test_conflict_names_the_entry_and_what_it_shares():
    spec = host_spec(mac="02:08:20:0a:0b:0c", ip="10.190.190.40")
    with pytest.raises(InputError) as info:
        dhcp_host.plan(spec, views(HOSTS), "present", replace=False)
    text = str(info.value)
    assert "old01 (mac 02:08:20:0a:0b:0c, ip 10.190.190.30) shares the mac" in text
    assert "db01 (mac 02:08:20:0a:0b:0e, ip 10.190.190.40) shares the ip" in text
    assert "replace: true" in text
    assert [c["hostname"] for c in info.value.details["conflicts"]] == ["old01", "db01"]


def test_replace_removes_conflicts_first():
    spec = host_spec(mac="02:08:20:0a:0b:0c", ip="10.190.190.40")
    removals, add, warnings = dhcp_host.plan(spec, views(HOSTS), "present", replace=True)
    assert removals == [("old01", "conflicting mac"), ("db01", "conflicting ip")] and add and warnings == []


def test_changed_entry_is_removed_and_added_again():
    hosts = views([{"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.21"}])
    removals, add = dhcp_host.plan(host_spec(), hosts, "present", replace=False)[:2]
    assert removals == [("web01", "ip changed; the agent has no update")] and add


def test_entry_in_place_is_no_change():
    hosts = views([{"hostname": "web01", "mac": "2:8:20:A:B:C", "ip": "10.190.190.20"}])
    assert dhcp_host.plan(host_spec(), hosts, "present", replace=False) == ([], False, [])


def test_entry_in_place_with_a_duplicate_elsewhere_only_warns():
    hosts = views([{"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20"},
                   {"hostname": "copy", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.99"}])
    removals, add, warnings = dhcp_host.plan(host_spec(), hosts, "present", replace=False)
    assert (removals, add) == ([], False) and "copy" in warnings[0]


class FakeDhcp:
    def __init__(self, hosts=(), vanish=False):
        self.hosts = [dict(h) for h in hosts]
        self.mutations = []
        self.vanish = vanish

    def dhcp_config(self):
        return {"subnets": [], "hosts": [dict(h) for h in self.hosts]}

    def add_dhcp_host(self, body, wait, timeout):
        self.mutations.append(("POST", body["hostname"]))
        for host in self.hosts:
            if host["hostname"] == body["hostname"] or host["mac"] == body["mac"] or host["ip"] == body["ip"]:
                raise TaskError("task t (dhcp_add_host) failed: Host entry conflict", task_id="t")
        self.hosts.append(dict(body))
        return {"task_id": "t%d" % len(self.mutations)}

    def remove_dhcp_host(self, hostname, wait, timeout):
        self.mutations.append(("DELETE", hostname))
        if self.vanish:
            self.hosts = [h for h in self.hosts if h["hostname"] != hostname]
        if not any(h["hostname"] == hostname for h in self.hosts):
            raise TaskError("task t (dhcp_remove_host) failed: Host entry '%s' not found" % hostname, task_id="t")
        self.hosts = [h for h in self.hosts if h["hostname"] != hostname]
        return {"task_id": "t%d" % len(self.mutations)}


def host_run(agent, check_mode=False, **params):
    params.setdefault("hostname", "web01")
    params.setdefault("wait", True)
    if params.get("state", "present") == "present":
        params.setdefault("mac", "02:08:20:0a:0b:0c")
        params.setdefault("ip", "10.190.190.20")
    ctx = RunContext(check_mode=check_mode, diff=True)
    return dhcp_host.DhcpHostResource(agent, ctx).ensure(params), ctx


def test_host_apply_with_replace_converges():
    agent = FakeDhcp(HOSTS)
    with pytest.raises(InputError):
        host_run(agent)
    assert agent.mutations == []
    checked = host_run(agent, check_mode=True, replace=True)[0]
    assert checked["actions"] == ["remove old01 (conflicting mac)", "add web01"] and agent.mutations == []
    result = host_run(agent, replace=True)[0]
    assert agent.mutations == [("DELETE", "old01"), ("POST", "web01")]
    assert result["host"] == {"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20"}
    assert result["diff"]["after"]["hosts"] == [result["host"]]
    assert host_run(agent, replace=True)[0]["changed"] is False


def test_host_removal_that_vanished_meanwhile_is_not_an_error():
    agent = FakeDhcp([{"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20"}], vanish=True)
    result, ctx = host_run(agent, state="absent")
    assert result["changed"] and result["host"] == {} and "disappeared" in ctx.warnings[0]


# --------------------------------------------------------------------------- service
@pytest.mark.parametrize("state, smf, acts", [
    ("started", "online", False), ("started", "disabled", True), ("started", "offline*", False),
    ("started", "maintenance", True), ("started", "unknown", True),
    ("stopped", "disabled", False), ("stopped", "online", True), ("stopped", "unknown", False),
    ("restarted", "online", True), ("refreshed", "disabled", True),
])
def test_service_acts_only_when_needed(state, smf, acts):
    assert dhcp_service.needs_action(state, dhcp_service.service_view({"state": smf})) is acts


def test_service_check_mode_and_apply():
    class Agent:
        def __init__(self):
            self.state, self.sent = "disabled", []

        def dhcp_status(self):
            return {"service": "network/service/dhcp:ipv4", "state": self.state, "since": None}

        def dhcp_service(self, action, wait, timeout):
            self.sent.append(action)
            self.state = "disabled" if action == "stop" else "online"
            return {"task_id": "t"}

    agent = Agent()
    ctx = RunContext(check_mode=True, diff=True)
    checked = dhcp_service.DhcpServiceResource(agent, ctx).ensure({"state": "started"})
    assert checked["changed"] and agent.sent == [] and checked["diff"]["after"] == {"state": "online"}
    ctx = RunContext()
    started = dhcp_service.DhcpServiceResource(agent, ctx).ensure({"state": "started", "wait": True})
    assert started["service"]["state"] == "online" and agent.sent == ["start"]
    again = dhcp_service.DhcpServiceResource(agent, ctx).ensure({"state": "started"})
    assert again["changed"] is False
    assert dhcp_service.DhcpServiceResource(agent, ctx).ensure({"state": "restarted"})["changed"] is True
