"""zoneweaver.illumos.zfs_snapshot against both simulator generations, through ansible-playbook."""

DATASET = "rpool/snaptest"
S1 = DATASET + "@s1"
S2 = DATASET + "@s2"


def conn(sim, options):
    """The connection is given explicitly so the test does not depend on meta/runtime.yml's action group."""
    return dict({"api_url": sim.url, "api_key": sim.admin_key}, **options)


def snap_task(sim, title, check=False, ignore=False, **options):
    task = {"name": title, "zoneweaver.illumos.zfs_snapshot": conn(sim, options), "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


def dataset_task(sim, title, **options):
    return {"name": title, "zoneweaver.illumos.zfs_dataset": conn(sim, options)}


def test_snapshot_holds_rollback_and_removal(play, sim):
    setup = play([dataset_task(sim, "dataset", name=DATASET),
                  snap_task(sim, "check create", check=True, name=S1, holds=["keep"])], extra_args=["--diff"])
    assert setup.rc == 0, setup.output
    checked = setup["check create"]
    assert checked["changed"] is True and checked["actions"] == ["create", "hold keep"]
    assert checked["diff"]["before"] == {"state": "absent", "holds": []}
    assert checked["diff"]["after"] == {"state": "present", "holds": ["keep"]}
    assert [m["method"] for m in sim.mutations()] == ["POST"], "check mode sent a mutating request"

    sim.clear_log()
    run = play([
        snap_task(sim, "create", name=S1, holds=["keep"]),
        snap_task(sim, "again", name=S1, holds=["keep"]),
        snap_task(sim, "holds left alone", name=S1),
        snap_task(sim, "second", name=S2),
        snap_task(sim, "rollback past newer", ignore=True, name=S1, rollback=True),
        snap_task(sim, "rollback forced check", check=True, name=S1, rollback=True, force_rollback=True),
        snap_task(sim, "rollback forced", name=S1, rollback=True, force_rollback=True),
        snap_task(sim, "rollback again", name=S1, rollback=True),
        snap_task(sim, "destroy held", ignore=True, name=S1, state="absent"),
        snap_task(sim, "destroy releasing holds", name=S1, state="absent", holds=[]),
        snap_task(sim, "destroy again", name=S1, state="absent"),
        snap_task(sim, "rollback to missing", ignore=True, name=S1, rollback=True),
    ], extra_args=["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["snapshot"]["holds"] == ["keep"] and len(created["tasks"]) == 2
    assert created["snapshot"]["name"] == S1 and created["snapshot"]["dataset"] == DATASET
    assert run["again"]["changed"] is False and run["holds left alone"]["changed"] is False
    assert run["second"]["changed"] is True

    refused = run["rollback past newer"]
    assert run.outcome("rollback past newer") == "failed"
    assert S2 in refused["msg"] and "force_rollback" in refused["msg"]
    assert run["rollback forced check"]["changed"] is True
    assert run["rollback forced check"]["diff"]["before"]["rollback"]["newer_snapshots"] == [S2]
    forced = run["rollback forced"]
    assert forced["changed"] is True and forced["snapshot"]["newer_snapshots"] == []
    assert run["rollback again"]["changed"] is False, "rollback to the newest unchanged snapshot reported a change"

    held = run["destroy held"]
    assert run.outcome("destroy held") == "failed" and "held (keep)" in held["msg"] and "holds: []" in held["msg"]
    released = run["destroy releasing holds"]
    assert released["changed"] is True and released["actions"] == ["release keep", "destroy"]
    assert run["destroy again"]["changed"] is False
    assert "does not exist" in run["rollback to missing"]["msg"]

    methods = [(m["method"], m["path"]) for m in sim.mutations()]
    # create+hold, second, rollback, release+destroy: nothing for refusals, re-runs or check mode
    assert len(methods) == 6, methods
    rollback = [m for m in sim.mutations() if "rollback" in m["path"]]
    assert len(rollback) == 1 and rollback[0]["body"] == {"recursive": True, "force": False}
    if sim.generation == "0.2":
        assert any(p == "/storage/snapshots/%s/holds/keep" % S1 and m == "DELETE" for m, p in methods), methods
        assert any(p == "/storage/datasets/%s/snapshots" % DATASET for _m, p in methods), methods
    else:
        release = [m for m in sim.mutations() if m["method"] == "DELETE" and m["path"] == "/storage/snapshot/holds"]
        assert len(release) == 1 and release[0]["query"] == {"name": S1, "tag": "keep"}
        assert any(p == "/storage/dataset/snapshots" for _m, p in methods), methods


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("no at", {"name": DATASET}, "dataset@snapshot"),
        ("bad snapshot part", {"name": DATASET + "@a b"}, "snapshot part"),
        ("bad dataset part", {"name": "rpool/../x@s"}, "'..'"),
        ("bad hold tag", {"name": S1, "holds": ["a;b"]}, "hold tag"),
        ("rollback absent", {"name": S1, "state": "absent", "rollback": True}, "state=present"),
        ("missing dataset", {"name": "rpool/nothere@s1"}, "does not exist"),
    ]
    run = play([snap_task(sim, n, ignore=True, **o) for n, o, _needle in bad])
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed", name
        assert needle in run[name]["msg"], run[name]["msg"]
    assert sim.mutations() == []
