"""zoneweaver.illumos.zone_snapshot against both simulator generations, through ansible-playbook."""

ZONE = "0001--snap01.example.com"


def conn(sim, options):
    """The connection is given explicitly so the test does not depend on meta/runtime.yml's action group."""
    return dict({"api_url": sim.url, "api_key": sim.admin_key}, **options)


def snap_task(sim, title, check=False, ignore=False, **options):
    task = {"name": title, "zoneweaver.illumos.zone_snapshot": conn(sim, dict({"machine": ZONE}, **options)),
            "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


def test_machine_snapshot_lifecycle(play, sim):
    if sim.generation == "0.2":
        run = play([snap_task(sim, "snapshot", ignore=True, name="s1")])
        assert run.outcome("snapshot") == "failed"
        assert "has no machine snapshots" in run["snapshot"]["msg"]
        assert "zfs_snapshot" in run["snapshot"]["msg"]
        assert sim.mutations() == []
        return

    setup = play([{"name": "zone", "zoneweaver.illumos.zone": conn(sim, {
        "name": ZONE, "state": "present", "boot_disk": {"type": "blank", "size": "1G"}})},
        snap_task(sim, "check create", check=True, name="s1", description="first")], extra_args=["--diff"])
    assert setup.rc == 0, setup.output
    assert setup["check create"]["changed"] is True
    assert setup["check create"]["diff"]["after"] == {"state": "present", "description": "first"}
    assert not [m for m in sim.mutations() if "/snapshots" in m["path"]], "check mode sent a mutating request"

    sim.clear_log()
    run = play([
        snap_task(sim, "create", name="s1", description="first"),
        snap_task(sim, "again", name="s1", description="first"),
        snap_task(sim, "describe", name="s1", description="the first one"),
        snap_task(sim, "restore newest unchanged", name="s1", state="restored"),
        snap_task(sim, "second", name="s2"),
        snap_task(sim, "restore past newer", ignore=True, name="s1", state="restored"),
        snap_task(sim, "restore forced", name="s1", state="restored", force_restore=True),
        snap_task(sim, "remove", name="s1", state="absent"),
        snap_task(sim, "remove again", name="s1", state="absent"),
        snap_task(sim, "restore missing", ignore=True, name="s1", state="restored"),
        snap_task(sim, "unknown zone", ignore=True, machine="0009--nothere.example.com", name="s1"),
    ], extra_args=["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["snapshot"]["name"] == "s1"
    assert [t["step"] for t in created["tasks"]] == ["snapshot_take"]
    assert created["snapshot"]["description"] == "first" and created["snapshot"]["datasets"]
    assert run["again"]["changed"] is False
    assert run["describe"]["changed"] is True and run["describe"]["snapshot"]["description"] == "the first one"
    assert run["restore newest unchanged"]["changed"] is False
    refused = run["restore past newer"]
    assert run.outcome("restore past newer") == "failed" and "s2" in refused["msg"] and "force_restore" in refused["msg"]
    assert run["restore forced"]["changed"] is True
    assert run["remove"]["changed"] is True and run["remove"]["snapshot"] == {}
    assert run["remove again"]["changed"] is False
    assert "does not exist" in run["restore missing"]["msg"]
    assert "does not exist" in run["unknown zone"]["msg"]
    calls = [(m["method"], m["path"].rsplit("/snapshots", 1)[-1]) for m in sim.mutations()]
    assert calls == [("POST", ""), ("PUT", "/s1"), ("POST", ""), ("POST", "/s1/restore"), ("DELETE", "/s1")], calls


def test_bad_input_is_refused_before_any_request(play, sim):
    run = play([snap_task(sim, "bad machine", ignore=True, machine="web;01", name="s1"),
                snap_task(sim, "bad snapshot", ignore=True, name="-s1"),
                snap_task(sim, "description on absent", ignore=True, name="s1", state="absent", description="x")])
    assert "zone name" in run["bad machine"]["msg"]
    assert "snapshot name" in run["bad snapshot"]["msg"]
    assert "description" in run["description on absent"]["msg"]
    assert sim.mutations() == []
    assert not [e for e in sim.log if e["path"] != "/status"], "bad input cost a request"
