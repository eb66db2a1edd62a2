"""zoneweaver.illumos.vnic against both simulator generations, through ansible-playbook."""

NETWORK_MODULES = ("vnic", "etherstub", "vlan", "ip_address", "ip_forwarding", "network_info")


def defaults(sim):
    """The connection for each network module, given per module so the test does not depend on
    the action group listing in meta/runtime.yml."""
    return {"zoneweaver.illumos." + m: {"api_url": sim.url, "api_key": sim.admin_key} for m in NETWORK_MODULES}


def vnic_task(title, check=False, ignore=False, **options):
    task = {"name": title, "zoneweaver.illumos.vnic": dict({"name": "web0"}, **options), "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


CREATE = dict(link="igb0", vlan_id=20, mac_address="02:08:20:0a:0b:0c",
              properties={"mtu": 1400, "priority": "medium", "protection": ["mac-nospoof", "ip-nospoof"]})


def agent_requests(sim):
    return [e for e in sim.log if not e["path"].startswith("/_sim/")]


def test_lifecycle_check_apply_idempotent_remove(play, sim):
    checked = play([vnic_task("check create", check=True, **CREATE)], module_defaults=defaults(sim),
                   extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check create"]
    assert result["changed"] is True and result["actions"] == ["create"]
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["link"] == "igb0" and result["diff"]["after"]["vlan_id"] == 20
    assert result["vnic"] == {}
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([
        vnic_task("create", **CREATE),
        vnic_task("again", **CREATE),
        vnic_task("same values other forms", link="igb0", vlan_id="20", mac_address="2:8:20:A:B:C",
                  properties={"mtu": "1400", "PRIORITY": "MEDIUM", "protection": "ip-nospoof,mac-nospoof"}),
        vnic_task("change a property check", check=True, properties={"priority": "low"}),
        vnic_task("change a property", properties={"priority": "low"}),
        vnic_task("property again", properties={"priority": "low"}),
        vnic_task("remove check", check=True, state="absent"),
        vnic_task("remove", state="absent"),
        vnic_task("remove again", state="absent"),
        {"name": "gone", "zoneweaver.illumos.network_info": {"gather": ["vnics"]}, "register": "info"},
    ], module_defaults=defaults(sim), extra_args=["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["actions"] == ["create"]
    vnic = created["vnic"]
    assert (vnic["name"], vnic["link"], vnic["vlan_id"], vnic["mac_address"]) == ("web0", "igb0", 20, "02:08:20:0a:0b:0c")
    assert vnic["properties"]["priority"] == "medium" and vnic["properties"]["mtu"] == "1400"
    assert created["tasks"] and created["tasks"][0]["task_id"]
    assert run["again"]["changed"] is False and run["again"]["actions"] == []
    assert run["same values other forms"]["changed"] is False
    assert run["change a property check"]["changed"] is True
    assert run["change a property check"]["diff"] == {"before": {"properties": {"priority": "medium"}},
                                                      "after": {"properties": {"priority": "low"}}}
    assert run["change a property"]["actions"] == ["set properties priority"]
    assert run["change a property"]["vnic"]["properties"] == {"priority": "low"}
    assert run["property again"]["changed"] is False
    assert run["remove check"]["changed"] is True
    assert run["remove"]["changed"] is True and run["remove again"]["changed"] is False
    assert [v["name"] for v in run["gone"]["vnics"]] == []
    posts = [m for m in sim.mutations() if m["method"] == "POST"]
    puts = [m for m in sim.mutations() if m["method"] == "PUT"]
    deletes = [m for m in sim.mutations() if m["method"] == "DELETE"]
    assert (len(posts), len(puts), len(deletes)) == (1, 1, 1)


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("digit first", {"name": "1vnic", "link": "igb0"}, "VNIC name"),
        ("no digit last", {"name": "vnic", "link": "igb0"}, "VNIC name"),
        ("vlan out of range", {"link": "igb0", "vlan_id": 5000}, "vlan_id"),
        ("malformed mac", {"link": "igb0", "mac_address": "02:08:20:0a:0b"}, "mac_address"),
        ("shell in a link", {"link": "igb0;reboot"}, "link"),
        ("shell in a property", {"link": "igb0", "properties": {"maxbw": "1G $(reboot)"}}, "property"),
    ]
    tasks = [{"name": n, "zoneweaver.illumos.vnic": dict({"name": "web0"}, **o), "ignore_errors": True}
             for n, o, _needle in bad]
    run = play(tasks, module_defaults=defaults(sim))
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed", name
        assert needle in run[name]["msg"], run[name]["msg"]
    assert agent_requests(sim) == [], "bad input cost a request"


def test_wrong_link_fails_then_recreate_and_list_lag(play, sim):
    sim.knobs.list_lag = 2
    run = play([
        vnic_task("create with lag", link="igb0", vlan_id=20),
        vnic_task("right after", link="igb0", vlan_id=20),
        vnic_task("wrong link", ignore=True, link="ixgbe0", vlan_id=30),
        vnic_task("recreate check", check=True, link="ixgbe0", vlan_id=30, recreate=True),
        vnic_task("recreate", link="ixgbe0", vlan_id=30, recreate=True),
        vnic_task("recreated again", link="ixgbe0", vlan_id=30),
    ], module_defaults=defaults(sim), extra_args=["--diff"])
    assert run.rc == 0, run.output
    created = run["create with lag"]
    assert created["changed"] is True and created["vnic"]["name"] == "web0", run.output
    assert created["vnic"]["link"] == "igb0"
    assert run["right after"]["changed"] is False, "the lagging list made the next run create it again"
    wrong = run["wrong link"]
    assert run.outcome("wrong link") == "failed"
    assert "link igb0 (wanted ixgbe0)" in wrong["msg"] and "VLAN id 20 (wanted 30)" in wrong["msg"]
    assert "recreate" in wrong["msg"]
    assert wrong["mismatches"]["link"] == {"actual": "igb0", "wanted": "ixgbe0"}
    assert run["recreate check"]["changed"] is True
    assert run["recreate check"]["diff"] == {"before": {"state": "present", "link": "igb0", "vlan_id": 20},
                                             "after": {"state": "present", "link": "ixgbe0", "vlan_id": 30}}
    recreated = run["recreate"]
    assert recreated["changed"] is True and recreated["actions"][0].startswith("recreate")
    assert (recreated["vnic"]["link"], recreated["vnic"]["vlan_id"]) == ("ixgbe0", 30)
    assert run["recreated again"]["changed"] is False
