"""zoneweaver.illumos.etherstub against both simulator generations, through ansible-playbook."""

NETWORK_MODULES = ("vnic", "etherstub", "vlan", "ip_address", "ip_forwarding", "network_info")


def defaults(sim):
    """The connection for each network module, given per module so the test does not depend on
    the action group listing in meta/runtime.yml."""
    return {"zoneweaver.illumos." + m: {"api_url": sim.url, "api_key": sim.admin_key} for m in NETWORK_MODULES}


def stub_task(title, check=False, ignore=False, **options):
    task = {"name": title, "zoneweaver.illumos.etherstub": dict({"name": "stub0"}, **options), "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


def test_lifecycle_and_removal_blocked_by_vnics(play, sim):
    checked = play([stub_task("check create", check=True)], module_defaults=defaults(sim), extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    assert checked["check create"]["changed"] is True
    assert checked["check create"]["diff"] == {"before": {"state": "absent"}, "after": {"state": "present"}}
    assert sim.mutations() == [], "check mode sent a mutating request"

    sim.knobs.list_lag = 1
    run = play([
        stub_task("create"),
        stub_task("again"),
        {"name": "vnic on it", "zoneweaver.illumos.vnic": {"name": "tenant1", "link": "stub0"}},
        {"name": "another", "zoneweaver.illumos.vnic": {"name": "tenant2", "link": "stub0"}},
        stub_task("remove blocked", ignore=True, state="absent"),
        stub_task("remove forced check", check=True, state="absent", force=True),
        stub_task("remove forced", state="absent", force=True),
        stub_task("remove again", state="absent"),
        {"name": "info", "zoneweaver.illumos.network_info": {"gather": ["etherstubs", "vnics"]}, "register": "info"},
    ], module_defaults=defaults(sim), extra_args=["--diff"])
    assert run.rc == 0, run.output
    assert run["create"]["changed"] is True and run["create"]["etherstub"]["name"] == "stub0"
    assert run["again"]["changed"] is False
    blocked = run["remove blocked"]
    assert run.outcome("remove blocked") == "failed"
    assert "tenant1, tenant2" in blocked["msg"] and "force" in blocked["msg"]
    assert blocked["vnics"] == ["tenant1", "tenant2"]
    assert run["remove forced check"]["changed"] is True
    assert run["remove forced check"]["diff"]["before"] == {"state": "present", "vnics": ["tenant1", "tenant2"]}
    assert run["remove forced"]["changed"] is True and run["remove forced"]["etherstub"] == {}
    assert run["remove again"]["changed"] is False
    assert run["info"]["etherstubs"] == [] and run["info"]["vnics"] == []
    deletes = [m for m in sim.mutations() if m["method"] == "DELETE"]
    assert len(deletes) == 1, "the blocked removal reached the agent"


def test_bad_name_is_refused_before_any_request(play, sim):
    run = play([stub_task("no digit", ignore=True, name="stub"), stub_task("dash", ignore=True, name="stub-0")],
               module_defaults=defaults(sim))
    for name in ("no digit", "dash"):
        assert run.outcome(name) == "failed"
        assert "etherstub name" in run[name]["msg"]
    assert [e for e in sim.log if not e["path"].startswith("/_sim/")] == []
