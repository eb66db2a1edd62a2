"""zoneweaver.illumos.zone_info against both simulator generations, through ansible-playbook."""

DB01 = "0001--db01.example.com"
WEB01 = "0002--web01.example.com"
WEB02 = "0003--web02.example.com"
ALL = [DB01, WEB01, WEB02]  # sorted by name (the agent wants one zone per server id)


def create(name, state="present", tags=()):
    return {"name": "create " + name, "zoneweaver.illumos.zone": {
        "name": name, "state": state, "boot_disk": {"type": "none"}, "tags": list(tags)}}


def zone_info(title, check=False, ignore_errors=False, **options):
    task = {"name": title, "zoneweaver.illumos.zone_info": options}
    if check:
        task["check_mode"] = True
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def names(result):
    return [zone["name"] for zone in result["zones"]]


def test_list_filter_and_read(play, sim):
    # Created out of name order, one of them running.
    run = play([
        zone_info("empty"),
        create(WEB02, state="running", tags=["web"]),
        create(WEB01, tags=["web"]),
        create(DB01, tags=["db"]),
        zone_info("all"),
        zone_info("running", status="running"),
        zone_info("installed", status="installed"),
        zone_info("tag web", tag="web"),
        zone_info("pattern", name_pattern="^0001--|web01"),
        zone_info("web and running", name_pattern="web", tag="web", status="running"),
        zone_info("no match", tag="nothing"),
        zone_info("details", details=True),
        zone_info("one", name=DB01),
        zone_info("missing", name="0001--missing.example.com"),
        zone_info("check mode", check=True),
        zone_info("name and a filter", ignore_errors=True, name=DB01, tag="db"),
        zone_info("bad pattern", ignore_errors=True, name_pattern="web("),
    ])
    assert run["empty"]["zones"] == [], run.output
    for created in (WEB02, WEB01, DB01):
        assert run.outcome("create " + created) == "ok", run.output

    generation = "0.2" if sim.generation == "0.2" else "0.3.9"
    listed = run["all"]
    assert names(listed) == ALL and listed["changed"] is False and listed["generation"] == generation
    by_name = {zone["name"]: zone for zone in listed["zones"]}
    assert by_name[WEB02]["status"] == "running" and by_name[DB01]["status"] == "installed"
    assert by_name[WEB02]["tags"] == ["web"] and by_name[DB01]["tags"] == ["db"]

    assert names(run["running"]) == [WEB02]
    assert names(run["installed"]) == [DB01, WEB01]
    assert names(run["tag web"]) == [WEB01, WEB02]
    assert names(run["pattern"]) == [DB01, WEB01]
    assert names(run["web and running"]) == [WEB02]
    assert run["no match"]["zones"] == []

    detailed = run["details"]
    assert names(detailed) == ALL
    assert [z["status"] for z in detailed["zones"]] == [z["status"] for z in listed["zones"]]
    assert [z["tags"] for z in detailed["zones"]] == [z["tags"] for z in listed["zones"]]

    one = run["one"]["zones"]
    assert names(run["one"]) == [DB01]
    assert one[0] == detailed["zones"][0], "the detail of one zone differs from details: true"
    assert one[0]["status"] == "installed" and one[0]["tags"] == ["db"]
    assert one[0] == run["create " + DB01]["zone"], "zone_info and the zone module disagree on the same zone"
    assert run.outcome("missing") == "ok" and run["missing"]["zones"] == []
    assert run.outcome("check mode") == "ok" and names(run["check mode"]) == ALL

    assert run.outcome("name and a filter") == "failed"
    assert "use one or the other" in run["name and a filter"]["msg"]
    assert run.outcome("bad pattern") == "failed" and "name_pattern" in run["bad pattern"]["msg"]

    # Only the three creations changed anything: zone_info never mutates, not even the failing ones.
    machines = "/zones" if sim.generation == "0.2" else "/machines"
    assert [(e["method"], e["path"]) for e in sim.mutations()] == [("POST", machines)] * 3


def test_list_is_one_request(play, sim):
    setup = play([create(WEB02, state="running", tags=["web"]), create(DB01, tags=["db"]), create(WEB01)])
    assert setup.rc == 0, setup.output
    machines = "/zones" if sim.generation == "0.2" else "/machines"

    before = len(sim.log)
    run = play([zone_info("list")])
    assert names(run["list"]) == ALL
    requests = [(e["method"], e["path"]) for e in sim.log[before:]]
    assert requests == [("GET", "/status"), ("GET", machines)], requests

    before = len(sim.log)
    run = play([zone_info("details", details=True)])
    assert names(run["details"]) == ALL
    requests = sorted((e["method"], e["path"]) for e in sim.log[before:])
    assert requests == sorted([("GET", "/status"), ("GET", machines)]
                              + [("GET", "%s/%s" % (machines, name)) for name in ALL]), requests
