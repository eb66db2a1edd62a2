"""zoneweaver.illumos.nat_rule_info against both simulator generations, through ansible-playbook."""

PORTMAP = "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"
BIMAP = "bimap vioif1 10.190.190.20/32 -> 203.0.113.20/32"


def connection(sim):
    """Given explicitly so the test does not depend on the action group listing in meta/runtime.yml."""
    return {"api_url": sim.url, "api_key": sim.admin_key}


def test_configured_active_and_service(play, sim):
    run = play([
        {"name": "empty", "zoneweaver.illumos.nat_rule_info": connection(sim), "register": "r"},
        {"name": "portmap",
         "zoneweaver.illumos.nat_rule": dict(connection(sim), bridge="igb0", subnet="10.190.190.0/24")},
        {"name": "bimap",
         "zoneweaver.illumos.nat_rule": dict(connection(sim), bridge="vioif1", type="bimap", subnet="10.190.190.20/32",
                                             target="203.0.113.20/32")},
        {"name": "all", "zoneweaver.illumos.nat_rule_info": connection(sim), "register": "r"},
        {"name": "one bridge", "zoneweaver.illumos.nat_rule_info": dict(connection(sim), bridge="vioif1"),
         "register": "r", "check_mode": True},
    ])
    assert run.rc == 0, run.output
    empty = run["empty"]
    assert empty["changed"] is False and empty["configured_rules"] == []
    assert empty["config_file"] == "/etc/ipf/ipnat.conf"
    assert set(empty["service"]) == {"service", "state", "since", "raw"}
    assert empty["service"]["service"] == "network/ipfilter"

    every = run["all"]
    rules = {r["raw_rule"]: r for r in every["configured_rules"]}
    assert set(rules) == {PORTMAP, BIMAP}
    assert all(r["id"] for r in rules.values())
    assert (rules[BIMAP]["type"], rules[BIMAP]["bridge"], rules[BIMAP]["target"]) == ("bimap", "vioif1",
                                                                                      "203.0.113.20/32")
    if every["active_rules_text"] is not None:  # the agent ran ipnat -l
        assert all(r["active"] is True for r in rules.values()), every["active_rules_text"]
        assert {r["type"] for r in every["active_rules"]} == {"portmap", "bimap"}
    assert every["service"]["state"] == "online", "ipfilter is not online after adding rules"

    one = run["one bridge"]
    assert [r["raw_rule"] for r in one["configured_rules"]] == [BIMAP]
    assert all(r["bridge"] == "vioif1" for r in one["active_rules"])
    assert sim.mutations() and all(m["path"] == "/network/nat/rules" for m in sim.mutations())
