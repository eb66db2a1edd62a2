"""NAT rules: rendering the agent's line, content normalisation, parsing, and the plan."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AgentError, InputError, TaskError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import (
    NatRuleResource, canonical_address, normalize_spec, parse_active, parse_rule, post_body, rule_key)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule_info import nat_facts

IPNAT_L = """List of active MAP/Redirect filters:
map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto
rdr igb0 0.0.0.0/0 port 8080 -> 10.190.190.20 port 80 tcp

List of active sessions:
MAP 10.190.190.20 43183 <- -> 192.168.1.2 43183 [1.1.1.1 53]
"""


def spec(**params):
    params.setdefault("bridge", "igb0")
    params.setdefault("subnet", "10.190.190.0/24")
    return normalize_spec(params)


# --------------------------------------------------------------------------- rendering
def test_renders_the_line_the_agent_writes():
    assert spec()["raw_rule"] == "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"
    assert spec(protocol="tcp", target="203.0.113.10/32")["raw_rule"] == \
        "map igb0 10.190.190.0/24 -> 203.0.113.10/32 portmap tcp auto"
    assert spec(type="bimap", subnet="10.190.190.20/32", target="203.0.113.20/32")["raw_rule"] == \
        "bimap igb0 10.190.190.20/32 -> 203.0.113.20/32"
    assert spec(type="rdr", subnet="0.0.0.0/0", target="10.190.190.20")["raw_rule"] == \
        "rdr igb0 0.0.0.0/0 -> 10.190.190.20"


def test_post_body_sends_protocol_only_for_portmap():
    assert post_body(spec()) == {"bridge": "igb0", "subnet": "10.190.190.0/24", "target": "0/32",
                                 "type": "portmap", "protocol": "tcp/udp"}
    assert "protocol" not in post_body(spec(type="bimap", target="203.0.113.20/32"))
    assert post_body(spec(description="zones out"))["description"] == "zones out"


def test_target_forms_are_normalised():
    assert spec(target="0.0.0.0/32")["target"] == "0/32"
    assert spec(target="203.0.113.0/255.255.255.240")["target"] == "203.0.113.0/28"
    assert spec(subnet="10.190.190.0/255.255.255.0")["subnet"] == "10.190.190.0/24"


# --------------------------------------------------------------------------- comparison
@pytest.mark.parametrize("listed", [
    "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto",
    "map  igb0   10.190.190.0/24 -> 0/32  portmap tcp/udp auto",  # the two spaces some tools write
    "map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto",  # how ipnat -l shows 0/32
    "map igb0 10.190.190.0/255.255.255.0 -> 0/32 portmap tcp/udp auto # zones",
    "\tmap igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto\n",
])
def test_same_rule_in_other_forms_has_the_same_key(listed):
    assert rule_key(listed) == spec()["key"]


@pytest.mark.parametrize("listed", [
    "map igb0 10.190.190.0/24 -> 0/32 portmap tcp auto",
    "map igb1 10.190.190.0/24 -> 0/32 portmap tcp/udp auto",
    "map igb0 10.190.191.0/24 -> 0/32 portmap tcp/udp auto",
    "map igb0 10.190.190.0/24 -> 0/32",
    "bimap igb0 10.190.190.0/24 -> 0/32",
])
def test_different_rules_have_different_keys(listed):
    assert rule_key(listed) != spec()["key"]


def test_canonical_address_leaves_other_words_alone():
    assert canonical_address("0/32") == "0.0.0.0/32"
    assert canonical_address("10.0.0.5") == "10.0.0.5/32"
    assert canonical_address("igb0") == "igb0"
    assert canonical_address("80") == "80"
    assert canonical_address("tcp/udp") == "tcp/udp"


# --------------------------------------------------------------------------- parsing
def test_parse_rule_splits_the_parts():
    assert parse_rule("map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto # zones") == {
        "raw_rule": "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto", "type": "portmap", "bridge": "igb0",
        "subnet": "10.190.190.0/24", "target": "0/32", "protocol": "tcp/udp"}
    rdr = parse_rule("rdr igb0 0.0.0.0/0 port 8080 -> 10.190.190.20 port 80 tcp")
    assert (rdr["type"], rdr["target"], rdr["match_port"], rdr["target_port"], rdr["protocol"]) == \
        ("rdr", "10.190.190.20", "8080", "80", "tcp")
    assert parse_rule("map igb0 10.0.0.0/24 -> 0/32")["type"] == "map"


def test_parse_active_reads_rules_and_sessions():
    rules, sessions = parse_active(IPNAT_L)
    assert [r["type"] for r in rules] == ["portmap", "rdr"]
    assert sessions == ["MAP 10.190.190.20 43183 <- -> 192.168.1.2 43183 [1.1.1.1 53]"]
    assert parse_active("List of active MAP/Redirect filters:\n\nList of active sessions:\n") == ([], [])


def test_info_marks_configured_rules_active_or_not():
    rows = [{"id": "a", "raw_rule": "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto", "bridge": "igb0"},
            {"id": "b", "raw_rule": "bimap igb1 10.0.0.5/32 -> 203.0.113.5/32", "bridge": "igb1"}]
    facts = nat_facts({"active_rules": IPNAT_L, "configured_rules": rows, "config_file": "/etc/ipf/ipnat.conf"},
                      {"service": "network/ipfilter", "state": "online", "since": "10:00:00", "raw": "online 10:00:00"})
    assert [(r["id"], r["active"]) for r in facts["configured_rules"]] == [("a", True), ("b", False)]
    assert facts["service"]["state"] == "online" and len(facts["active_rules"]) == 2
    only = nat_facts({"active_rules": None, "configured_rules": rows}, {}, bridge="igb1")
    assert [r["id"] for r in only["configured_rules"]] == ["b"] and only["configured_rules"][0]["active"] is None
    assert only["active_rules_text"] is None and only["active_rules"] == []


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("params, needle", [
    ({"subnet": "10.190.190.0"}, "needs a prefix length"),
    ({"subnet": "10.190.190.5/24"}, "did you mean 10.190.190.0/24"),
    ({"subnet": "fd00::/64"}, "IPv4"),
    ({"subnet": "10.190.190.0/33"}, "IPv4"),
    ({"bridge": "igb0; reboot"}, "invalid bridge"),
    ({"bridge": "0igb"}, "invalid bridge"),
    ({"type": "bimap", "protocol": "tcp"}, "only to type=portmap"),
    ({"protocol": "icmp"}, "protocol must be one of"),
    ({"target": "somewhere"}, "target"),
    ({"description": "it's"}, "description"),
])
def test_bad_input_is_refused(params, needle):
    with pytest.raises(InputError) as info:
        spec(**params)
    assert needle in str(info.value)


# --------------------------------------------------------------------------- plan and apply (fake agent)
class FakeAgent:
    """The NAT part of the agent as the backend sees it; records mutations."""

    def __init__(self, rules=(), vanish_on_delete=False):
        self.rules = [dict(r) for r in rules]
        self.mutations = []
        self.vanish_on_delete = vanish_on_delete

    def nat_rules(self):
        return {"active_rules": None, "configured_rules": [dict(r) for r in self.rules]}

    def create_nat_rule(self, body, wait, timeout):
        self.mutations.append(("POST", body))
        raw = normalize_spec(body)["raw_rule"]
        if not any(r["raw_rule"] == raw for r in self.rules):
            self.rules.append({"id": "id-%d" % len(self.mutations), "raw_rule": raw})
        return {"task_id": "t-%d" % len(self.mutations)}

    def delete_nat_rule(self, rule_id, wait, timeout):
        self.mutations.append(("DELETE", rule_id))
        if self.vanish_on_delete:  # someone else removed it between our read and our delete
            self.rules = [r for r in self.rules if r["id"] != rule_id]
        if not any(r["id"] == rule_id for r in self.rules):
            raise TaskError("task t (delete_nat_rule) failed: NAT rule not found: %s" % rule_id, task_id="t")
        self.rules = [r for r in self.rules if r["id"] != rule_id]
        return {"task_id": "t-%d" % len(self.mutations)}


def ensure(agent, check_mode=False, diff=False, **params):
    params.setdefault("bridge", "igb0")
    params.setdefault("subnet", "10.190.190.0/24")
    params.setdefault("wait", True)
    ctx = RunContext(check_mode=check_mode, diff=diff)
    return NatRuleResource(agent, ctx).ensure(params), ctx


def test_create_then_idempotent():
    agent = FakeAgent()
    result = ensure(agent, diff=True)[0]
    assert result["changed"] and result["rule"]["id"] == "id-1"
    assert result["diff"] == {"before": {"state": "absent"}, "after": {
        "state": "present", "raw_rule": "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"}}
    again = ensure(agent, target="0.0.0.0/32")[0]
    assert again["changed"] is False and again["actions"] == [] and len(agent.mutations) == 1


def test_existing_rule_written_by_hand_is_recognised():
    agent = FakeAgent([{"id": "x", "raw_rule": "map  igb0 10.190.190.0/24 -> 0.0.0.0/32  portmap tcp/udp auto"}])
    result = ensure(agent)[0]
    assert result["changed"] is False and result["rule"]["id"] == "x" and agent.mutations == []


def test_check_mode_sends_nothing():
    agent = FakeAgent([{"id": "x", "raw_rule": "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"}])
    created = ensure(agent, check_mode=True, subnet="10.190.191.0/24")[0]
    assert created["changed"] and created["rule"]["id"] is None
    removed = ensure(agent, check_mode=True, state="absent")[0]
    assert removed["changed"] and removed["actions"] == ["delete map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"]
    assert agent.mutations == []


def test_removal_by_content_deletes_every_copy():
    agent = FakeAgent([{"id": "x", "raw_rule": "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"},
                       {"id": "y", "raw_rule": "map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto"},
                       {"id": "z", "raw_rule": "bimap igb0 10.0.0.5/32 -> 203.0.113.5/32"}])
    result = ensure(agent, state="absent")[0]
    assert result["changed"] and result["rule"] == {}
    assert agent.mutations == [("DELETE", "x"), ("DELETE", "y")] and [r["id"] for r in agent.rules] == ["z"]
    assert ensure(agent, state="absent")[0]["changed"] is False


def test_rule_that_vanished_during_delete_is_not_an_error():
    agent = FakeAgent([{"id": "x", "raw_rule": "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"}],
                      vanish_on_delete=True)
    result, ctx = ensure(agent, state="absent")
    assert result["changed"] and agent.rules == []
    assert any("disappeared" in w for w in ctx.warnings)


def test_failed_delete_of_a_rule_still_listed_fails():
    class Stuck(FakeAgent):
        def delete_nat_rule(self, rule_id, wait, timeout):
            raise TaskError("task t (delete_nat_rule) failed: ipfilter refresh failed", task_id="t")

    agent = Stuck([{"id": "x", "raw_rule": "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"}])
    with pytest.raises(TaskError):
        ensure(agent, state="absent")


def test_completed_task_without_the_rule_is_reported():
    class Elsewhere(FakeAgent):
        def create_nat_rule(self, body, wait, timeout):
            self.rules.append({"id": "q", "raw_rule": "map igb0 10.190.190.0/24 -> 0/32 portmap tcp auto"})
            return {"task_id": "t"}

    with pytest.raises(AgentError) as info:
        ensure(Elsewhere())
    assert "lists no rule" in str(info.value)


def test_no_wait_returns_the_planned_rule_and_task():
    agent = FakeAgent()
    result = ensure(agent, wait=False)[0]
    assert result["changed"] and result["rule"]["id"] is None and result["task_ids"] == ["t-1"]
