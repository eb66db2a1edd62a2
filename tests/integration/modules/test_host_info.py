"""zoneweaver.illumos.host_info through the agent (both generations), from the controller, through
ansible-playbook: the native keys and shapes from the agent's monitoring and lists, figures that move with
the zones, and check mode that sends nothing but reads."""

GIB = 1 << 30


def test_host_info_reads_the_agents_monitoring(play, sim):
    sim.set_hardware(memory="48G", cpus=12)
    sim.clear_log()
    run = play([{"name": "all", "zoneweaver.illumos.host_info": {}, "register": "out"},
                {"name": "some", "zoneweaver.illumos.host_info": {"gather": ["memory", "cpu"]}, "register": "out"}])
    assert run.rc == 0, run.output
    info = run["all"]
    assert info["changed"] is False
    assert info["memory"]["total_bytes"] == 48 * GIB and 0 < info["memory"]["free_bytes"] < 48 * GIB
    assert 0 < info["memory"]["used_percent"] < 100
    assert info["cpu"]["count"] == 12 and info["cpu"]["free"] == 12 - info["cpu"]["load_1m"]
    rpool = next(p for p in info["pools"] if p["name"] == "rpool")
    assert rpool["size"] == 1 << 40 and rpool["health"] == "ONLINE" and rpool["allocated"] + rpool["free"] == 1 << 40
    assert info["os"] == {"name": "SunOS", "release": "5.11", "version": None, "machine": None, "release_text": None}
    assert info["zones"] == []
    assert {"link": "igb0", "class": "phys", "mtu": 1500, "state": "up", "bridge": None, "over": None} in info["links"]
    assert set(run["some"]) >= {"memory", "cpu"} and "pools" not in run["some"] and "zones" not in run["some"]
    # one GET per section, all from the controller, nothing else
    assert sim.mutations() == []
    assert {e["path"] for e in sim.log if e["path"] != "/status"} == {
        "/monitoring/system/memory", "/monitoring/system/cpu", "/monitoring/host", "/storage/pools",
        "/monitoring/network/interfaces", "/machines" if sim.generation == "0.3.9" else "/zones"}


def test_figures_follow_a_running_zone(play, sim):
    before = play([{"name": "read", "zoneweaver.illumos.host_info": {"gather": ["memory", "cpu", "pools", "zones"]},
                    "register": "out"}])
    assert before.rc == 0, before.output
    made = play([{"name": "zone", "zoneweaver.illumos.zone": {
        "name": "0001--big.example.com", "state": "running", "vcpus": 4, "ram": "8G",
        "boot_disk": {"type": "blank", "size": "50G", "sparse": False}}}])
    assert made.rc == 0, made.output
    sim.clear_log()
    after = play([{"name": "read", "zoneweaver.illumos.host_info": {"gather": ["memory", "cpu", "pools", "zones"]},
                   "register": "out"}], extra_args=["--check"])
    assert after.rc == 0, after.output
    old, new = before["read"], after["read"]
    # the zone's 8G are wired (and the ARC gives up part of what it held); 4 vCPUs add load
    assert new["memory"]["free_bytes"] < old["memory"]["free_bytes"] - 4 * GIB
    assert new["cpu"]["load_1m"] > old["cpu"]["load_1m"]
    assert new["memory"]["total_bytes"] == old["memory"]["total_bytes"]
    rpool_old = next(p for p in old["pools"] if p["name"] == "rpool")
    rpool_new = next(p for p in new["pools"] if p["name"] == "rpool")
    assert rpool_new["free"] <= rpool_old["free"] - 50 * GIB          # the thick 50G volume
    zone = next(z for z in new["zones"] if z["name"] == "0001--big.example.com")
    assert zone["state"] == "running" and zone["brand"] == "bhyve" and zone["zoneid"] is None
    assert zone["zonepath"].endswith("/0001--big.example.com/path") and zone["ip_type"] == "excl"
    # check mode: reads only
    assert sim.mutations() == [] and all(e["method"] == "GET" for e in sim.log)


def test_host_info_refuses_bad_input_and_names_a_missing_url(play, sim):
    run = play([{"name": "bad", "zoneweaver.illumos.host_info": {"gather": ["disks"]}, "ignore_errors": True},
                {"name": "nourl", "zoneweaver.illumos.host_info": {"backend": "agent", "api_url": ""},
                 "ignore_errors": True}])
    assert "gather" in run["bad"]["msg"] and "disks" in run["bad"]["msg"]
    assert "api_url is required" in run["nourl"]["msg"]
    assert sim.log == [] or all(e["method"] == "GET" for e in sim.log)
