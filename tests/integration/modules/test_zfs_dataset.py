"""zoneweaver.illumos.zfs_dataset against both simulator generations, through ansible-playbook."""

PARENT = "rpool/itest"
CHILD = PARENT + "/child"
VOLUME = "rpool/itest-vol"
G = 1024 ** 3


def ds_task(sim, title, check=False, ignore=False, **options):
    """A zfs_dataset task. The connection is given explicitly so the test does not depend on the
    action group listing in meta/runtime.yml."""
    args = dict({"api_url": sim.url, "api_key": sim.admin_key}, **options)
    task = {"name": title, "zoneweaver.illumos.zfs_dataset": args, "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


PROPS = {"compression": "lz4", "quota": "10G", "atime": "off", "com.example:owner": "ops"}


def test_filesystem_lifecycle_inheritance_and_guards(play, sim):
    checked = play([ds_task(sim, "check create", check=True, name=PARENT, properties=PROPS)], extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check create"]
    assert result["changed"] is True and result["actions"] == ["create filesystem"]
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["properties"]["quota"] == {"value": "10G", "source": "local"}
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([
        ds_task(sim, "create", name=PARENT, properties=PROPS),
        ds_task(sim, "again", name=PARENT, properties=PROPS),
        ds_task(sim, "same values other forms", name=PARENT,
                properties={"compression": "lz4", "quota": "10240M", "atime": False, "com.example:owner": "ops"}),
        ds_task(sim, "child", name=CHILD),
        ds_task(sim, "child inherits lz4", name=CHILD, properties={"compression": "lz4"}),
        ds_task(sim, "child inherit already inherited", name=CHILD, inherit=["compression"]),
        ds_task(sim, "child force local check", check=True, name=CHILD, properties={"compression": "lz4"},
                force_local=["compression"]),
        ds_task(sim, "child force local", name=CHILD, properties={"compression": "lz4"}, force_local=["compression"]),
        ds_task(sim, "child force local again", name=CHILD, properties={"compression": "lz4"},
                force_local=["compression"]),
        ds_task(sim, "child inherit a local value", ignore=True, name=CHILD, inherit=["compression"]),
        ds_task(sim, "destroy parent without recursive", ignore=True, name=PARENT, state="absent"),
        ds_task(sim, "destroy check", check=True, name=PARENT, state="absent", recursive=True),
    ], extra_args=["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and len(created["tasks"]) == 1 and created["tasks"][0]["task_id"]
    props = created["dataset"]["properties"]
    assert created["dataset"]["name"] == PARENT and created["dataset"]["type"] == "filesystem"
    assert props["compression"] == {"value": "lz4", "source": "local"}
    assert props["quota"]["value"] == str(10 * G) and props["com.example:owner"]["value"] == "ops"
    assert run["again"]["changed"] is False and run["again"]["actions"] == [] and run["again"]["tasks"] == []
    assert run["same values other forms"]["changed"] is False

    assert run["child"]["changed"] is True
    inherited = run["child inherits lz4"]
    assert inherited["changed"] is False, "an inherited value equal to the wanted one was reported as a change"
    assert inherited["dataset"]["properties"]["compression"]["source"] == "inherited from " + PARENT
    assert run["child inherit already inherited"]["changed"] is False
    assert run["child force local check"]["changed"] is True
    assert run["child force local check"]["diff"]["before"]["properties"]["compression"]["source"].startswith("inherited")
    forced = run["child force local"]
    assert forced["changed"] is True and forced["dataset"]["properties"]["compression"]["source"] == "local"
    assert run["child force local again"]["changed"] is False

    cannot = run["child inherit a local value"]
    assert run.outcome("child inherit a local value") == "failed"
    assert "zfs inherit compression " + CHILD in cannot["msg"]

    blocked = run["destroy parent without recursive"]
    assert run.outcome("destroy parent without recursive") == "failed"
    assert "refusing to destroy " + PARENT in blocked["msg"] and CHILD in blocked["msg"]
    assert "recursive: true" in blocked["msg"]
    assert run["destroy check"]["changed"] is True and run["destroy check"]["actions"] == ["destroy recursively"]
    mutations = sim.mutations()
    assert [m["method"] for m in mutations] == ["POST", "POST", "PUT"], mutations

    sim.clear_log()
    removed = play([
        ds_task(sim, "destroy", name=PARENT, state="absent", recursive=True),
        ds_task(sim, "destroy again", name=PARENT, state="absent", recursive=True),
    ])
    assert removed.rc == 0, removed.output
    assert removed["destroy"]["changed"] is True and removed["destroy"]["dataset"] == {}
    assert removed["destroy again"]["changed"] is False
    deletes = [m for m in sim.mutations() if m["method"] == "DELETE"]
    assert len(deletes) == 1 and deletes[0]["body"] == {"recursive": True, "force": False}


def test_volume_sizes_grow_and_guarded_shrink(play, sim):
    run = play([
        ds_task(sim, "create", name=VOLUME, type="volume", properties={"volsize": "1G", "refreservation": "none"}),
        ds_task(sim, "same size in MiB", name=VOLUME, properties={"volsize": "1024M"}),
        ds_task(sim, "same size in bytes", name=VOLUME, properties={"volsize": str(G)}),
        ds_task(sim, "grow", name=VOLUME, properties={"volsize": "2G"}),
        ds_task(sim, "shrink refused", ignore=True, name=VOLUME, properties={"volsize": "1G"}),
        ds_task(sim, "shrink allowed", name=VOLUME, properties={"volsize": "1G"}, allow_shrink=True),
        ds_task(sim, "remove without waiting", name=VOLUME, state="absent", wait=False),
        {"name": "follow", "zoneweaver.illumos.task_info": {
            "api_url": sim.url, "api_key": sim.admin_key, "task_id": "{{ out.tasks[0].task_id }}", "wait": True}},
        ds_task(sim, "removed", name=VOLUME, state="absent"),
    ], extra_args=["--diff"])
    assert run.rc == 0, run.output
    assert run["create"]["changed"] is True and run["create"]["dataset"]["type"] == "volume"
    assert run["create"]["dataset"]["properties"]["volsize"]["value"] == str(G)
    assert run["same size in MiB"]["changed"] is False and run["same size in bytes"]["changed"] is False
    grow = run["grow"]
    assert grow["changed"] is True and grow["actions"] == ["set volsize=2G"]
    assert grow["diff"]["before"]["properties"]["volsize"]["value"] == "1G"
    assert grow["diff"]["after"]["properties"]["volsize"]["value"] == "2G"
    assert run.outcome("shrink refused") == "failed"
    assert "refusing to shrink" in run["shrink refused"]["msg"] and "allow_shrink" in run["shrink refused"]["msg"]
    assert run["shrink allowed"]["changed"] is True
    assert run["shrink allowed"]["dataset"]["properties"]["volsize"]["value"] == str(G)
    assert run["remove without waiting"]["changed"] is True and len(run["remove without waiting"]["tasks"]) == 1
    assert run["removed"]["changed"] is False, "the task followed with task_info did not remove the volume"
    puts = [m for m in sim.mutations() if m["method"] == "PUT"]
    assert len(puts) == 2, "the refused shrink sent a request"
    assert puts[0]["body"] == {"properties": {"volsize": "2G"}}
    assert puts[1]["body"] == {"properties": {"volsize": "1G"}, "allow_shrink": True}


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("bad name", {"name": "rpool/../etc"}, "invalid name"),
        ("shell in name", {"name": "rpool/x;reboot"}, "invalid name"),
        ("snapshot name", {"name": "rpool/x@s1"}, "'@'"),
        ("volsize lots", {"name": VOLUME, "properties": {"volsize": "lots"}}, "properties.volsize"),
        ("read-only property", {"name": PARENT, "properties": {"used": "1G"}}, "read-only"),
        ("unsafe value", {"name": PARENT, "properties": {"mountpoint": "/x $(id)"}}, "cannot pass to zfs safely"),
        ("volume prop on filesystem", {"name": PARENT, "type": "filesystem", "properties": {"volsize": "1G"}},
         "volumes"),
    ]
    run = play([ds_task(sim, n, ignore=True, **o) for n, o, _needle in bad] + [
        ds_task(sim, "volume without volsize", ignore=True, name=VOLUME, type="volume"),
        ds_task(sim, "missing parent", ignore=True, name="rpool/nothere/x"),
    ])
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed", name
        assert needle in run[name]["msg"], run[name]["msg"]
    assert "needs properties.volsize" in run["volume without volsize"]["msg"]
    assert "parent rpool/nothere does not exist" in run["missing parent"]["msg"]
    assert sim.mutations() == []


def test_addressing_style_follows_the_generation(play, sim):
    run = play([ds_task(sim, "create", name=PARENT, properties={"compression": "lz4"}),
                ds_task(sim, "set", name=PARENT, properties={"compression": "gzip"}),
                ds_task(sim, "remove", name=PARENT, state="absent")])
    assert run.rc == 0, run.output
    single = [e for e in sim.log if e["path"].startswith("/storage/dataset") and e["path"] != "/storage/datasets"]
    assert single, sim.log
    if sim.generation == "0.2":
        assert all(e["path"].startswith("/storage/datasets/" + PARENT) or e["path"].startswith("/storage/datasets/rpool")
                   for e in single), [e["path"] for e in single]
        assert not any(e["query"].get("name") for e in single)
        assert any(e["method"] == "PUT" and e["path"] == "/storage/datasets/%s/properties" % PARENT for e in single)
    else:
        assert {e["path"] for e in single} <= {"/storage/dataset", "/storage/dataset/properties"}
        assert all(e["query"].get("name") for e in single)
        assert any(e["method"] == "PUT" and e["path"] == "/storage/dataset/properties" and e["query"]["name"] == PARENT
                   for e in single)
    delete = [e for e in single if e["method"] == "DELETE"]
    assert len(delete) == 1 and delete[0]["body"] == {"recursive": False, "force": False}
