"""zoneweaver.illumos.network_info against both simulator generations, through ansible-playbook."""

NETWORK_MODULES = ("vnic", "etherstub", "vlan", "ip_address", "ip_forwarding", "network_info")
SECTIONS = ("links", "vnics", "etherstubs", "vlans", "addresses", "forwarding", "nat", "dhcp")


def defaults(sim):
    """The connection for each network module, given per module so the test does not depend on
    the action group listing in meta/runtime.yml."""
    return {"zoneweaver.illumos." + m: {"api_url": sim.url, "api_key": sim.admin_key} for m in NETWORK_MODULES}


def agent_requests(sim):
    return [e for e in sim.log if not e["path"].startswith("/_sim/")]


def test_all_sections_and_module_shapes(play, sim):
    setup = play([
        {"name": "stub", "zoneweaver.illumos.etherstub": {"name": "stub0"}},
        {"name": "vnic", "zoneweaver.illumos.vnic": {"name": "web0", "link": "stub0"}, "register": "vnic"},
        {"name": "vlan", "zoneweaver.illumos.vlan": {"link": "igb0", "vid": 20}},
    ], module_defaults=defaults(sim))
    assert setup.rc == 0, setup.output
    sim.clear_log()
    run = play([
        {"name": "all", "zoneweaver.illumos.network_info": {}, "register": "all"},
        {"name": "check mode too", "zoneweaver.illumos.network_info": {"gather": ["forwarding"]}, "check_mode": True},
    ], module_defaults=defaults(sim))
    assert run.rc == 0, run.output
    info = run["all"]
    assert info["changed"] is False and info["unavailable"] == []
    for section in SECTIONS:
        assert section in info, section
    assert [v["name"] for v in info["vnics"]] == ["web0"] and info["vnics"][0]["link"] == "stub0"
    assert [e["name"] for e in info["etherstubs"]] == ["stub0"]
    assert info["vlans"][0]["vid"] == 20 and info["vlans"][0]["link"] == "igb0"
    assert {"igb0", "stub0", "web0"} <= {link["name"] for link in info["links"]}
    assert "igb0/v4" in [a["addrobj"] for a in info["addresses"]]
    assert set(info["forwarding"]) == {"ipv4", "ipv6", "interfaces"}
    assert "rules" in info["nat"] and "subnets" in info["dhcp"]
    assert run["check mode too"]["forwarding"]["ipv4"] is False
    # One request per section, and nothing else.
    gets = [e for e in agent_requests(sim) if e["path"].startswith(("/network", "/monitoring"))]
    assert len(gets) == len(SECTIONS) + 1, [e["path"] for e in gets]
    assert sim.mutations() == []


def test_gather_reads_only_what_is_asked(play, sim):
    run = play([{"name": "two", "zoneweaver.illumos.network_info": {"gather": ["vnics", "forwarding"]},
                 "register": "two"},
                {"name": "unknown section", "zoneweaver.illumos.network_info": {"gather": ["routes"]},
                 "ignore_errors": True}], module_defaults=defaults(sim))
    result = run["two"]
    assert set(result) & set(SECTIONS) == {"vnics", "forwarding"}
    paths = sorted(e["path"].split("?")[0] for e in agent_requests(sim) if e["path"].startswith("/network"))
    assert paths == ["/network/forwarding", "/network/vnics"]
    assert run.outcome("unknown section") == "failed" and "routes" in run["unknown section"]["msg"]
