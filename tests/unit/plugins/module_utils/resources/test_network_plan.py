"""Planners of the etherstub, VLAN, forwarding and network_info resources; the network
backend's requests; and the resources' flow against an in-memory backend (check mode,
lists that lag, "already exists" answers, uncertain mutations)."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import (
    NetworkAgentBackend, already_exists, unique_rows)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.values import check_addrobj, check_link_name
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AmbiguousMutationError, InputError, NotFoundError, ZoneweaverError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import etherstub, ip_forwarding, vlan, vnic
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.network_info import normalize_query


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize("name", ["stub0", "igb0", "e1000g0", "aggr_1", "provisioning_0"])
def test_link_names(name):
    assert check_link_name(name) == name


@pytest.mark.parametrize("name", ["stub", "0stub", "stub-0", "a" * 31 + "0", "igb0 x", "", None])
def test_bad_link_names(name):
    with pytest.raises(InputError, match="datalink name"):
        check_link_name(name)


def test_addrobj_split():
    assert check_addrobj("vnic0/v4") == ("vnic0", "v4")


def test_unique_rows_keep_the_newest_scan():
    rows = [{"link": "a0", "vid": 2}, {"link": "a0", "vid": 1}, {"link": "b0"}, {"nolink": 1}]
    assert unique_rows(rows) == [{"link": "a0", "vid": 2}, {"link": "b0"}]


def test_already_exists_is_the_agents_400_for_that_kind_and_name():
    exists = AgentError("POST /network/vnics failed with HTTP 400: VNIC web0 already exists", status=400)
    assert already_exists(exists, "VNIC", "web0")
    assert not already_exists(exists, "VNIC", "web1")
    assert not already_exists(AgentError("POST /network/etherstubs failed with HTTP 400: Datalink stub0 already "
                                         "exists (class vnic)", status=400), "Etherstub", "stub0")
    assert not already_exists(AgentError("POST /network/vnics failed with HTTP 400: name and link are required",
                                         status=400), "VNIC", "web0")
    assert not already_exists(InputError("VNIC web0 already exists"), "VNIC", "web0")


# --------------------------------------------------------------------------- etherstub
def test_etherstub_spec_and_blocking_vnics():
    assert etherstub.normalize_spec({"name": "stub0"}) == {"name": "stub0", "state": "present", "force": False}
    with pytest.raises(InputError):
        etherstub.normalize_spec({"name": "stub"})
    rows = [{"link": "b1", "over": "stub0"}, {"link": "a1", "over": "stub0"}, {"link": "c1", "over": "igb0"}]
    assert etherstub.vnics_over(rows, "stub0") == ["a1", "b1"]


# --------------------------------------------------------------------------- VLAN
VLANS = [{"link": "igb20000", "class": "vlan", "vid": 20, "over": "igb0", "flags": "", "source": "live"},
         {"link": "storage30", "class": "vlan", "vid": "30", "over": "igb1"}]


def test_vlan_spec_rules():
    with pytest.raises(InputError, match="vid and link"):
        vlan.normalize_spec({"vid": 20})
    with pytest.raises(InputError, match="name, or its link and vid"):
        vlan.normalize_spec({"state": "absent", "vid": 20})
    with pytest.raises(InputError, match="vid"):
        vlan.normalize_spec({"vid": 5000, "link": "igb0"})
    assert vlan.normalize_spec({"state": "absent", "name": "storage30"})["name"] == "storage30"


def test_vlan_identity_by_name_else_link_and_vid():
    by_pair = vlan.find(VLANS, vlan.normalize_spec({"vid": 20, "link": "igb0"}))
    assert by_pair == {"name": "igb20000", "link": "igb0", "vid": 20, "state": None, "mtu": None}
    by_name = vlan.find(VLANS, vlan.normalize_spec({"name": "storage30", "vid": 31, "link": "igb1"}))
    assert by_name["vid"] == 30
    assert vlan.mismatches(vlan.normalize_spec({"name": "storage30", "vid": 31, "link": "igb1"}), by_name) == \
        {"vid": (30, 31)}
    assert vlan.find(VLANS, vlan.normalize_spec({"name": "web20", "vid": 20, "link": "igb0"})) is None
    assert vlan.holder_of(VLANS, "igb0", 20)["name"] == "igb20000"


# --------------------------------------------------------------------------- forwarding
def fw_answer(ipv4=("enabled", "enabled"), ipv6=("disabled", "disabled"), interfaces=()):
    return {"forwarding": {"ipv4": {"current": ipv4[0], "persistent": ipv4[1]},
                           "ipv6": {"current": ipv6[0], "persistent": ipv6[1]}},
            "interfaces": [{"interface": n, "current": c, "persistent": p} for n, c, p in interfaces],
            "raw": "ipv4-forwarding persistent=enabled default=disabled current=enabled"}


def fw_plan(answer, **params):
    return ip_forwarding.plan(ip_forwarding.normalize_spec(params), ip_forwarding.forwarding_view(answer))


def test_forwarding_view():
    view = ip_forwarding.forwarding_view(fw_answer(ipv4=("enabled", "disabled"), interfaces=[
        ("igb0", "on", "on"), ("igb0", "off", ""), ("vnic1", "off", ""), ("vnic2", "on", "")]))
    assert view == {"ipv4": None, "ipv6": False,
                    "interfaces": [{"name": "igb0", "enabled": True}, {"name": "vnic1", "enabled": False},
                                   {"name": "vnic2", "enabled": True}]}


def test_forwarding_unchanged_when_only_set_keys_match():
    answer = fw_answer(interfaces=[("igb0", "on", "on")])
    assert fw_plan(answer, ipv4=True, ipv6=False, interfaces=[{"name": "igb0"}, {"name": "vnic9", "enabled": False}]) \
        == ([], {}, {}, [])
    assert fw_plan(answer) == ([], {}, {}, [])


def test_forwarding_enable_global_and_interfaces_in_one_request():
    requests, before, after, actions = fw_plan(fw_answer(ipv4=("disabled", "disabled")), ipv4=True,
                                               interfaces=[{"name": "igb0"}])
    assert requests == [{"enabled": True, "interfaces": ["igb0"]}]
    assert before == {"ipv4": False, "interfaces": {"igb0": None}}
    assert after == {"ipv4": True, "interfaces": {"igb0": True}}
    assert actions == ["enable IPv4 forwarding", "enable forwarding on igb0"]


def test_forwarding_interface_off_restores_global():
    warnings = []
    requests = ip_forwarding.plan(ip_forwarding.normalize_spec({"interfaces": [{"name": "igb0", "enabled": False}]}),
                                  ip_forwarding.forwarding_view(fw_answer(interfaces=[("igb0", "on", "on")])),
                                  warn=warnings.append)[0]
    assert requests == [{"enabled": False, "interfaces": ["igb0"]}, {"enabled": True}]
    assert warnings and "turned on again" in warnings[0]


def test_forwarding_interface_on_while_global_goes_off():
    requests = fw_plan(fw_answer(), ipv4=False, interfaces=[{"name": "vnic1"}])[0]
    assert requests == [{"interfaces": ["vnic1"]}, {"enabled": False}]


def test_forwarding_ipv6_cannot_change_through_the_agent():
    with pytest.raises(ZoneweaverError) as err:
        fw_plan(fw_answer(), ipv6=True)
    assert "IPv6 forwarding is disabled" in str(err.value) and "routeadm -u -e ipv6-forwarding" in str(err.value)


def test_forwarding_spec_refuses_contradictions():
    with pytest.raises(InputError, match="both enabled and disabled"):
        ip_forwarding.normalize_spec({"interfaces": [{"name": "igb0"}, {"name": "igb0", "enabled": False}]})
    with pytest.raises(InputError, match="datalink"):
        ip_forwarding.normalize_spec({"interfaces": [{"name": "igb0;reboot"}]})


# --------------------------------------------------------------------------- network_info
def test_gather():
    assert normalize_query({}) == ["links", "vnics", "etherstubs", "vlans", "addresses", "forwarding", "nat", "dhcp"]
    assert normalize_query({"gather": ["vnics", "forwarding"]}) == ["vnics", "forwarding"]
    with pytest.raises(InputError, match="unknown section"):
        normalize_query({"gather": ["vnics", "routes"]})


# --------------------------------------------------------------------------- backend requests
class FakeClient:
    def __init__(self, answers=None):
        self.calls = []
        self.answers = answers or {}

    @staticmethod
    def segment(value):
        return str(value).replace("/", "%2F")

    def get(self, path, params=None, **kw):
        self.calls.append(("GET", path, params))
        return self.answers.get(path, {})

    def request(self, method, path, params=None, body=None):
        self.calls.append((method, path, params, body))
        return {"success": True, "task_id": "t-%d" % len(self.calls)}


class FakeApi:
    def __init__(self, client):
        self.client = client
        self.waited = []

    def wait_for(self, answer, timeout=None):
        self.waited.append(answer.get("task_id"))
        return []


def test_backend_reads_whole_lists_and_live_flags():
    client = FakeClient({"/network/vnics": {"vnics": [{"link": "a0"}, {"link": "a0"}]}})
    backend = NetworkAgentBackend(FakeApi(client))
    assert backend.vnics() == [{"link": "a0"}]
    backend.vlans()
    backend.addresses()
    backend.etherstubs()
    assert client.calls[0] == ("GET", "/network/vnics", {"limit": 10000})
    assert client.calls[1] == ("GET", "/network/vlans", {"limit": 10000, "live": "true"})
    assert client.calls[2] == ("GET", "/network/addresses", {"limit": 10000, "live": "true"})
    assert client.calls[3] == ("GET", "/network/etherstubs", {"limit": 10000})


def test_backend_mutations_and_their_tasks():
    client = FakeClient()
    backend = NetworkAgentBackend(FakeApi(client))
    backend.delete_address("vnic0/v4")
    backend.disable_address("vnic0/v4")
    backend.delete_etherstub("stub0", force=True)
    backend.delete_etherstub("stub1")
    backend.set_vnic_properties("web0", {"mtu": "9000"})
    assert client.calls[0][:3] == ("DELETE", "/network/addresses/vnic0/v4", {"release": None})
    assert client.calls[1][:2] == ("PUT", "/network/addresses/vnic0/v4/disable")
    assert client.calls[2][2] == {"force": "true"} and client.calls[3][2] == {"force": None}
    assert client.calls[4][3] == {"properties": {"mtu": "9000"}, "temporary": False}
    assert [t["task_id"] for t in backend.tasks] == ["t-1", "t-2", "t-3", "t-4", "t-5"]


# --------------------------------------------------------------------------- flow against an in-memory host
class Host:
    """An in-memory network backend whose lists lag by `lag` reads after a change."""

    def __init__(self, vnics=(), etherstubs=(), lag=0):
        self.vnic_rows = {row["link"]: dict(row) for row in vnics}
        self.stub_rows = {row["link"]: dict(row) for row in etherstubs}
        self.props = {}
        self.lag = lag
        self.pending = 0
        self.listed_vnics = dict(self.vnic_rows)
        self.mutations = []
        self.tasks = []
        self.drop_next = False

    def _changed(self):
        self.pending = self.lag
        if not self.lag:
            self.listed_vnics = dict(self.vnic_rows)

    def vnics(self):
        if self.pending:
            self.pending -= 1
            if not self.pending:
                self.listed_vnics = dict(self.vnic_rows)
        return list(self.listed_vnics.values())

    def etherstubs(self):
        return list(self.stub_rows.values())

    def vnic_properties(self, name, names=None):
        return {n: self.props.get(name, {}).get(n) for n in names or ()}

    def create_vnic(self, body):
        self.mutations.append(("create", body))
        if body["name"] in self.vnic_rows:
            raise AgentError("POST /network/vnics failed with HTTP 400: VNIC %s already exists" % body["name"],
                             status=400)
        self.vnic_rows[body["name"]] = {"link": body["name"], "over": body["link"], "vid": body.get("vlan_id", 0),
                                        "macaddress": "2:8:20:1:2:3", "macaddrtype": "random", "zone": "--"}
        self.props[body["name"]] = dict(body.get("properties") or {})
        self._changed()
        if self.drop_next:
            self.drop_next = False
            raise AmbiguousMutationError("the connection broke during POST /network/vnics")
        return {"task_id": "t-create"}

    def delete_vnic(self, name):
        self.mutations.append(("delete", name))
        if name not in self.vnic_rows:
            raise NotFoundError("DELETE /network/vnics/%s: VNIC %s not found" % (name, name), status=404)
        del self.vnic_rows[name]
        self._changed()
        return {"task_id": "t-delete"}

    def set_vnic_properties(self, name, properties):
        self.mutations.append(("properties", name, dict(properties)))
        self.props.setdefault(name, {}).update(properties)
        return {"task_id": "t-props"}

    def delete_etherstub(self, name, force=False):
        self.mutations.append(("delete etherstub", name, force))
        del self.stub_rows[name]
        if force:  # the agent's task deletes the VNICs on it first
            for link in [row["link"] for row in self.vnic_rows.values() if row.get("over") == name]:
                del self.vnic_rows[link]
            self._changed()
        return {"task_id": "t-stub"}

    def wait(self, answer, timeout):
        return []

    def settle(self, answer, read, present, timeout, what):
        for _attempt in range(20):
            current = read()
            if (current is not None) == present:
                return current
        raise AssertionError("never settled: %s" % what)


BASE = {"wait": True, "wait_timeout": 5, "state": "present", "recreate": False}


def run_vnic(host, check_mode=False, diff=True, **params):
    ctx = RunContext(check_mode=check_mode, diff=diff)
    return vnic.VnicResource(host, ctx).ensure(dict(BASE, **params))


def test_create_waits_through_list_lag_then_is_idempotent():
    host = Host(lag=3)
    result = run_vnic(host, name="web0", link="igb0", vlan_id=20, properties={"mtu": 9000})
    assert result["changed"] is True and result["actions"] == ["create"]
    assert result["vnic"]["link"] == "igb0" and result["vnic"]["properties"] == {"mtu": "9000"}
    again = run_vnic(host, name="web0", link="igb0", vlan_id=20, properties={"mtu": "9000"})
    assert again["changed"] is False and again["actions"] == []
    assert [m[0] for m in host.mutations] == ["create"]


def test_check_mode_sends_nothing_and_predicts():
    host = Host(vnics=[{"link": "web0", "over": "igb0", "vid": 0}])
    result = run_vnic(host, check_mode=True, name="db0", link="igb0")
    assert result["changed"] is True and result["diff"]["before"] == {"state": "absent"}
    result = run_vnic(host, check_mode=True, name="web0", properties={"mtu": 9000})
    assert result["actions"] == ["set properties mtu"]
    assert result["diff"] == {"before": {"properties": {"mtu": None}}, "after": {"properties": {"mtu": "9000"}}}
    assert host.mutations == []


def test_existing_but_not_yet_listed_is_compared_not_recreated():
    host = Host(lag=2)
    host.vnic_rows["web0"] = {"link": "web0", "over": "igb0", "vid": 0}  # on the host, not in the list yet
    host.pending = 2
    result = run_vnic(host, name="web0", link="igb0")
    assert result["changed"] is False and result["vnic"]["name"] == "web0"


def test_wrong_link_fails_naming_both_without_recreate():
    host = Host(vnics=[{"link": "web0", "over": "igb0", "vid": 20, "zone": "0001--web01.example.com"}])
    with pytest.raises(ZoneweaverError) as err:
        run_vnic(host, name="web0", link="stub0", vlan_id=20)
    assert "link igb0 (wanted stub0)" in str(err.value) and "0001--web01.example.com" in str(err.value)
    assert err.value.details["mismatches"] == {"link": {"actual": "igb0", "wanted": "stub0"}}
    assert host.mutations == []


def test_recreate_deletes_then_creates():
    host = Host(vnics=[{"link": "web0", "over": "igb0", "vid": 20}], lag=2)
    result = run_vnic(host, name="web0", link="stub0", recreate=True)
    assert result["actions"] == ["recreate (link igb0 (wanted stub0))"]
    assert [m[0] for m in host.mutations] == ["delete", "create"]
    assert result["vnic"]["link"] == "stub0"
    assert result["diff"] == {"before": {"state": "present", "link": "igb0"},
                              "after": {"state": "present", "link": "stub0"}}


def test_uncertain_create_is_reconciled_not_resent_blindly():
    host = Host(lag=3)
    host.drop_next = True
    result = run_vnic(host, name="web0", link="igb0")
    assert result["vnic"]["name"] == "web0"
    # The second attempt re-read, still saw nothing (lag), asked once more and was told it exists.
    assert [m[0] for m in host.mutations] == ["create", "create"]
    assert len(host.vnic_rows) == 1


def test_delete_of_a_vnic_already_gone_on_the_host():
    host = Host(vnics=[{"link": "web0", "over": "igb0"}], lag=2)
    del host.vnic_rows["web0"]  # gone on the host, still listed for two more reads
    host.pending = 2
    result = run_vnic(host, name="web0", state="absent")
    assert result["changed"] is True and result["vnic"] == {}
    assert host.mutations == [("delete", "web0")]


def test_etherstub_removal_names_blocking_vnics_before_any_request():
    host = Host(vnics=[{"link": "b1", "over": "stub0"}, {"link": "a1", "over": "stub0"}],
                etherstubs=[{"link": "stub0", "class": "etherstub"}])
    ctx = RunContext()
    with pytest.raises(ZoneweaverError) as err:
        etherstub.EtherstubResource(host, ctx).ensure(dict(BASE, name="stub0", state="absent", force=False))
    assert "a1, b1" in str(err.value) and err.value.details["vnics"] == ["a1", "b1"]
    assert host.mutations == []
    result = etherstub.EtherstubResource(host, ctx).ensure(dict(BASE, name="stub0", state="absent", force=True))
    assert result["changed"] and host.mutations == [("delete etherstub", "stub0", True)]


def test_forced_etherstub_removal_waits_for_its_vnics_to_leave_the_list():
    # The agent's delete task drops the etherstub's rows at once; the VNICs it removed with
    # force stay in GET /network/vnics until the collector's next refresh.
    host = Host(vnics=[{"link": "a1", "over": "stub0"}], etherstubs=[{"link": "stub0", "class": "etherstub"}], lag=2)
    result = etherstub.EtherstubResource(host, RunContext()).ensure(dict(BASE, name="stub0", state="absent", force=True))
    assert result["changed"] and host.listed_vnics == {}
