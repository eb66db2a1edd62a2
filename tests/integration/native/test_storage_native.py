"""zfs_dataset, zfs_snapshot, storage_info and zone_snapshot with backend=native, through ansible-playbook.

As in test_zone_native.py, the play runs on localhost over the local connection
with the simulator's fake `zfs`/`zpool`/`zoneadm`/`zonecfg` first in PATH, so the
module's run_command reaches the same simulated host as the agent face.
"""

import pytest

from zw_harness import GENERATIONS, native_play, simulated_host

PARENT = "rpool/ntest"
CHILD = PARENT + "/child"
VOLUME = "rpool/ntest-vol"
G = 1024 ** 3
PROPS = {"compression": "lz4", "quota": "10G", "atime": "off", "com.example:owner": "ops"}
ZONE = "0001--snap01.example.com"


def task(module, title, check=False, ignore=False, **options):
    out = {"name": title, "zoneweaver.illumos." + module: dict({"backend": "native"}, **options), "register": "out"}
    if check:
        out["check_mode"] = True
    if ignore:
        out["ignore_errors"] = True
    return out


def ds(title, **options):
    return task("zfs_dataset", title, **options)


def snap(title, **options):
    return task("zfs_snapshot", title, **options)


def mutations(sim):
    return [c["argv"] for c in sim.command_mutations()]


# --------------------------------------------------------------------------- zfs_dataset

def test_dataset_lifecycle_inheritance_and_guards(tmp_path, host):
    checked = native_play(tmp_path, host, [ds("check create", check=True, name=PARENT, properties=PROPS)], ["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check create"]
    assert result["changed"] is True and result["actions"] == ["create filesystem"]
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["properties"]["quota"] == {"value": "10G", "source": "local"}
    assert host.command_mutations() == [], "check mode ran a mutating command"
    assert PARENT not in host.state.datasets

    run = native_play(tmp_path, host, [
        ds("create", name=PARENT, properties=PROPS),
        ds("again", name=PARENT, properties=PROPS),
        ds("same values other forms", name=PARENT,
           properties={"compression": "lz4", "quota": "10240M", "atime": False, "com.example:owner": "ops"}),
        ds("child", name=CHILD, properties={"atime": "on"}),
        ds("child inherits lz4", name=CHILD, properties={"compression": "lz4"}),
        ds("child inherit already inherited", name=CHILD, inherit=["compression"]),
        ds("child force local", name=CHILD, properties={"compression": "lz4"}, force_local=["compression"]),
        ds("child inherit check", check=True, name=CHILD, inherit=["compression", "atime"]),
    ], ["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["tasks"] == []
    props = created["dataset"]["properties"]
    assert created["dataset"]["type"] == "filesystem" and props["compression"] == {"value": "lz4", "source": "local"}
    assert props["quota"]["value"] == str(10 * G) and props["com.example:owner"] == {"value": "ops", "source": "local"}
    assert run["again"]["changed"] is False and run["again"]["actions"] == []
    assert run["same values other forms"]["changed"] is False
    inherited = run["child inherits lz4"]
    assert inherited["changed"] is False, "an inherited value equal to the wanted one was reported as a change"
    assert inherited["dataset"]["properties"]["compression"]["source"] == "inherited from " + PARENT
    assert run["child inherit already inherited"]["changed"] is False
    assert run["child force local"]["dataset"]["properties"]["compression"]["source"] == "local"
    check = run["child inherit check"]
    assert check["changed"] is True and check["actions"] == ["inherit atime compression"]
    assert check["diff"]["after"]["properties"]["atime"] == {"value": None, "source": "inherited"}
    assert host.state.datasets[CHILD]["properties"]["atime"] == "on", "check mode inherited"

    host.clear_commands()
    run = native_play(tmp_path, host, [
        ds("child inherit", name=CHILD, inherit=["compression", "atime"]),
        ds("child inherit again", name=CHILD, inherit=["compression", "atime"]),
        ds("volume", name=VOLUME, properties={"volsize": "1G", "refreservation": "none"}),
        ds("grow", name=VOLUME, properties={"volsize": "2G"}),
        ds("shrink refused", ignore=True, name=VOLUME, properties={"volsize": "1G"}),
        ds("destroy parent without recursive", ignore=True, name=PARENT, state="absent"),
        ds("destroy check", check=True, name=PARENT, state="absent", recursive=True),
    ], ["--diff"])
    assert run.rc == 0, run.output
    done = run["child inherit"]
    assert done["changed"] is True and done["actions"] == ["inherit atime compression"]
    assert done["dataset"]["properties"]["compression"] == {"value": "lz4", "source": "inherited from " + PARENT}
    assert done["dataset"]["properties"]["atime"] == {"value": "off", "source": "inherited from " + PARENT}
    assert run["child inherit again"]["changed"] is False
    assert run["volume"]["dataset"]["type"] == "volume"
    assert run["grow"]["changed"] is True and host.state.datasets[VOLUME]["volsize"] == 2 * G
    assert run.outcome("shrink refused") == "failed" and "allow_shrink" in run["shrink refused"]["msg"]
    blocked = run["destroy parent without recursive"]
    assert run.outcome("destroy parent without recursive") == "failed"
    assert "refusing to destroy " + PARENT in blocked["msg"] and CHILD in blocked["msg"]
    assert blocked["blocking_children"] == [CHILD]
    assert run["destroy check"]["changed"] is True and run["destroy check"]["actions"] == ["destroy recursively"]
    assert mutations(host) == [["inherit", "atime", CHILD], ["inherit", "compression", CHILD],
                               ["create", "-o", "refreservation=none", "-V", "1G", VOLUME],
                               ["set", "volsize=2G", VOLUME]]

    run = native_play(tmp_path, host, [
        ds("destroy", name=PARENT, state="absent", recursive=True),
        ds("destroy again", name=PARENT, state="absent", recursive=True),
        ds("destroy volume", name=VOLUME, state="absent"),
    ], ["--diff"])
    assert run.rc == 0, run.output
    assert run["destroy"]["changed"] is True and run["destroy"]["diff"]["before"]["destroyed_with_it"] == [CHILD]
    assert run["destroy again"]["changed"] is False
    assert not [d for d in host.state.datasets if d.startswith(PARENT)]
    assert ["destroy", "-r", PARENT] in mutations(host)


def test_dataset_bad_input_is_refused_before_any_change(tmp_path, host):
    bad = [
        ("bad name", {"name": "rpool/x;reboot"}, "invalid name"),
        ("read-only property", {"name": PARENT, "properties": {"used": "1G"}}, "read-only"),
        ("blank in a value", {"name": PARENT, "properties": {"com.example:note": "two words"}}, "no blanks"),
        ("inherit quota", {"name": PARENT, "inherit": ["quota"]}, "set it to none"),
        ("volume without size", {"name": VOLUME, "type": "volume"}, "volsize"),
        ("missing parent", {"name": "rpool/nope/deeper"}, "parent rpool/nope does not exist"),
        ("pool root", {"name": "rpool", "state": "absent"}, "pool's root dataset"),
        ("zfs refuses a value", {"name": PARENT, "properties": {"compression": "fast"}}, "must be one of"),
    ]
    run = native_play(tmp_path, host, [ds(t, ignore=True, **o) for t, o, _n in bad])
    for title, _options, needle in bad:
        assert run.outcome(title) == "failed", (title, run[title])
        assert needle in run[title]["msg"], (title, run[title]["msg"])
    refused = run["zfs refuses a value"]
    assert refused["error_type"] == "CommandError" and refused["rc"] == 1
    assert "zfs create -o compression=fast " + PARENT in refused["msg"]
    assert [c["argv"][0] for c in host.command_mutations()] == ["create"], "only zfs itself may refuse"
    assert PARENT not in host.state.datasets


# --------------------------------------------------------------------------- zfs_snapshot

def test_snapshot_lifecycle(tmp_path, host):
    name = PARENT + "@s1"
    run = native_play(tmp_path, host, [
        ds("dataset", name=PARENT),
        ds("child", name=CHILD),
        snap("check create", check=True, name=name, recursive=True, holds=["keep"]),
    ], ["--diff"])
    assert run.rc == 0, run.output
    assert run["check create"]["actions"] == ["create recursively", "hold keep"]
    assert run["check create"]["diff"]["after"] == {"state": "present", "holds": ["keep"]}
    assert not [m for m in mutations(host) if m[0] in ("snapshot", "hold")], "check mode ran a mutating command"

    host.clear_commands()
    run = native_play(tmp_path, host, [
        snap("create", name=name, recursive=True, holds=["keep"]),
        snap("again", name=name, recursive=True, holds=["keep"]),
        snap("second", name=PARENT + "@s2"),
        snap("rollback past newer", ignore=True, name=name, rollback=True),
        snap("destroy held", ignore=True, name=name, state="absent"),
        snap("rehold check", check=True, name=name, recursive=True, holds=["pin"]),
        snap("rehold", name=name, recursive=True, holds=["pin"]),
        snap("forced rollback", name=name, rollback=True, force_rollback=True),
        snap("rollback again", name=name, rollback=True),
        snap("missing dataset", ignore=True, name="rpool/nope@s1"),
        snap("bad tag", ignore=True, name=name, holds=["two words"]),
    ], ["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["snapshot"]["holds"] == ["keep"] and created["tasks"] == []
    assert run["again"]["changed"] is False
    refused = run["rollback past newer"]
    assert run.outcome("rollback past newer") == "failed" and refused["newer_snapshots"] == [PARENT + "@s2"]
    assert run.outcome("destroy held") == "failed" and "holds: []" in run["destroy held"]["msg"]
    assert run["rehold check"]["diff"] == {"before": {"holds": ["keep"]}, "after": {"holds": ["pin"]}}
    assert run["rehold"]["actions"] == ["hold pin", "release keep"] and run["rehold"]["snapshot"]["holds"] == ["pin"]
    forced = run["forced rollback"]
    assert forced["changed"] is True and forced["snapshot"]["newer_snapshots"] == []
    assert PARENT + "@s2" not in host.state.datasets
    assert run["rollback again"]["changed"] is False
    assert "does not exist" in run["missing dataset"]["msg"] and run.outcome("bad tag") == "failed"
    assert list(host.state.datasets[CHILD + "@s1"]["holds"]) == ["pin"], "with recursive, holds are recursive too"
    assert mutations(host) == [["snapshot", "-r", name], ["hold", "-r", "keep", name], ["snapshot", PARENT + "@s2"],
                               ["hold", "-r", "pin", name], ["release", "-r", "keep", name], ["rollback", "-r", name]]

    host.clear_commands()
    run = native_play(tmp_path, host, [
        snap("remove check", check=True, name=name, state="absent", holds=[]),
        snap("remove", name=name, state="absent", holds=[], recursive=True),
        snap("remove again", name=name, state="absent"),
        ds("parent still has a child", ignore=True, name=PARENT, state="absent"),
    ], ["--diff"])
    assert run.rc == 0, run.output
    assert run["remove check"]["actions"] == ["release pin", "destroy"]
    assert run["remove"]["changed"] is True and run["remove again"]["changed"] is False
    assert name not in host.state.datasets and CHILD + "@s1" not in host.state.datasets
    assert mutations(host) == [["release", "-r", "pin", name], ["destroy", "-r", name]]
    assert run.outcome("parent still has a child") == "failed"


# --------------------------------------------------------------------------- storage_info

def test_storage_info(tmp_path, host):
    run = native_play(tmp_path, host, [
        ds("dataset", name=PARENT, properties={"quota": "5G"}),
        ds("volume", name=PARENT + "/vol", properties={"volsize": "1G"}),
        snap("snapshot", name=PARENT + "@s1"),
        {"name": "all", "zoneweaver.illumos.storage_info": {}, "register": "out"},
        {"name": "tree", "zoneweaver.illumos.storage_info": {"backend": "native", "sections": ["datasets"],
                                                             "pool": PARENT, "dataset": PARENT}, "register": "out"},
        {"name": "volumes", "zoneweaver.illumos.storage_info": {"backend": "native", "type": "volume",
                                                                "name_prefix": "rpool/nt"}, "register": "out"},
        {"name": "snapshots", "zoneweaver.illumos.storage_info": {"backend": "native", "type": "snapshot",
                                                                  "pool": PARENT}, "register": "out"},
        {"name": "missing pool", "zoneweaver.illumos.storage_info": {"backend": "native", "pool": "rpool/nope"},
         "register": "out", "ignore_errors": True},
        {"name": "missing dataset", "zoneweaver.illumos.storage_info": {"backend": "native", "dataset": "rpool/nope"},
         "register": "out"},
    ])
    assert run.rc == 0, run.output
    everything = run["all"]
    assert everything["generation"] == "native" and everything["changed"] is False
    assert [p["name"] for p in everything["pools"]] == ["data", "rpool"]
    rpool = everything["pools"][1]
    assert isinstance(rpool["size"], int) and rpool["dedup_ratio"] == "1.00" and rpool["health"] == "ONLINE"
    assert PARENT in [d["name"] for d in everything["datasets"]]
    tree = run["tree"]
    assert [d["name"] for d in tree["datasets"]] == [PARENT, PARENT + "/vol"] and "pools" not in tree
    assert tree["dataset"]["properties"]["quota"] == {"value": str(5 * G), "source": "local"}
    assert tree["datasets"][1]["mountpoint"] is None and isinstance(tree["datasets"][0]["used"], int)
    assert [d["name"] for d in run["volumes"]["datasets"]] == [PARENT + "/vol"]
    assert [d["name"] for d in run["snapshots"]["datasets"]] == [PARENT + "@s1"]
    assert run.outcome("missing pool") == "failed"
    assert "cannot list the datasets under rpool/nope" in run["missing pool"]["msg"]
    assert run["missing dataset"]["dataset"] == {}


# --------------------------------------------------------------------------- zone_snapshot

def test_zone_snapshot_natively(tmp_path, host):
    def zs(title, **options):
        return task("zone_snapshot", title, **dict({"machine": ZONE}, **options))

    root = "rpool/zones/" + ZONE
    run = native_play(tmp_path, host, [
        task("zone", "zone", name=ZONE, state="present", boot_disk={"type": "blank", "size": "1G"},
             disks=[{"size": "1G"}]),
        zs("check create", check=True, name="s1", description="first"),
    ], ["--diff"])
    assert run.rc == 0, run.output
    assert run["check create"]["diff"]["after"] == {"state": "present", "description": "first"}
    assert not [m for m in mutations(host) if m[0] == "snapshot"]

    host.clear_commands()
    run = native_play(tmp_path, host, [
        zs("create", name="s1", description="first"),
        zs("again", name="s1", description="first"),
        zs("describe", name="s1", description="the first one"),
        zs("restore newest unchanged", name="s1", state="restored"),
        zs("second", name="s2"),
        zs("restore past newer", ignore=True, name="s1", state="restored"),
        zs("restore forced", name="s1", state="restored", force_restore=True),
        zs("remove", name="s1", state="absent"),
        zs("remove again", name="s1", state="absent"),
        zs("restore missing", ignore=True, name="s1", state="restored"),
        zs("unknown zone", ignore=True, machine="0009--nothere.example.com", name="s1"),
    ], ["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["snapshot"]["description"] == "first"
    assert created["snapshot"]["datasets"] == [root, root + "/boot", root + "/disk0", root + "/path"]
    assert run["again"]["changed"] is False
    assert run["describe"]["changed"] is True and run["describe"]["snapshot"]["description"] == "the first one"
    assert run["restore newest unchanged"]["changed"] is False
    assert run.outcome("restore past newer") == "failed"
    assert run["restore past newer"]["newer_snapshots"] == ["s2"]
    assert run["restore forced"]["changed"] is True and not [d for d in host.state.datasets if d.endswith("@s2")]
    assert run["remove"]["changed"] is True and run["remove again"]["changed"] is False
    assert not [d for d in host.state.datasets if d.endswith("@s1")]
    assert run.outcome("restore missing") == "failed" and run.outcome("unknown zone") == "failed"
    assert mutations(host)[:2] == [["snapshot", "-r", root + "@s1"],
                                   ["set", "zoneweaver:description=first", root + "@s1"]]

    # one host, two faces: the agent sees the natively taken snapshot, and removes it
    agent = {"backend": "agent", "api_url": host.url, "api_key": host.admin_key}
    run = native_play(tmp_path, host, [
        zs("native takes s3", name="s3", description="cross"),
        zs("agent sees s3", **dict(agent, name="s3", description="cross")),
        zs("agent removes s3", **dict(agent, name="s3", state="absent")),
        zs("native sees it gone", name="s3", state="absent"),
    ])
    assert run.rc == 0, run.output
    assert run["agent sees s3"]["changed"] is False and run["agent sees s3"]["snapshot"]["description"] == "cross"
    assert run["agent removes s3"]["changed"] is True and run["native sees it gone"]["changed"] is False


# --------------------------------------------------------------------------- both backends

def scenario(connection):
    """The same storage changes, through either backend."""
    def t(module, title, **options):
        return {"name": title, "zoneweaver.illumos." + module: dict(connection, **options)}
    return [
        t("zfs_dataset", "parent", name=PARENT,
          properties={"compression": "gzip", "quota": "5G", "com.example:role": "web"}),
        t("zfs_dataset", "child", name=CHILD, properties={"compression": "gzip", "atime": "off"}),
        t("zfs_dataset", "volume", name=PARENT + "/vol", properties={"volsize": "1G", "refreservation": "none"}),
        t("zfs_dataset", "grow", name=PARENT + "/vol", properties={"volsize": "2G"}),
        t("zfs_snapshot", "snapshot", name=PARENT + "@base", recursive=True, holds=["keep"]),
        t("zfs_snapshot", "later", name=CHILD + "@later"),
        t("zfs_snapshot", "back", name=CHILD + "@base", rollback=True, force_rollback=True),
        t("zfs_dataset", "quota off", name=PARENT, properties={"quota": "none"}),
        t("zfs_dataset", "child again", name=CHILD, properties={"compression": "gzip", "atime": "off"}),
    ]


def end_state(sim):
    out = {}
    for name, record in sorted(sim.state.datasets.items()):
        if name == PARENT or name.startswith((PARENT + "/", PARENT + "@")):
            out[name] = {"type": record["type"], "properties": record["properties"], "volsize": record.get("volsize"),
                         "holds": sorted(record.get("holds") or {}), "origin": record.get("origin")}
    return out


@pytest.mark.parametrize("generation", GENERATIONS, ids=lambda g: "agent-" + g)
def test_both_backends_reach_the_same_end_state(tmp_path, generation):
    with simulated_host(generation) as agent_host, simulated_host("0.3.9") as native_host:
        (tmp_path / "agent").mkdir()
        (tmp_path / "native").mkdir()
        by_agent = native_play(tmp_path / "agent", agent_host,
                               scenario({"backend": "agent", "api_url": agent_host.url, "api_key": agent_host.admin_key}))
        by_native = native_play(tmp_path / "native", native_host, scenario({"backend": "native"}))
        assert by_agent.rc == 0, by_agent.output
        assert by_native.rc == 0, by_native.output
        for title in ("parent", "child", "volume", "grow", "snapshot", "later", "back", "quota off"):
            assert by_agent[title]["changed"] is True and by_native[title]["changed"] is True, title
            assert by_agent[title]["actions"] == by_native[title]["actions"], title
        assert by_agent["child again"]["changed"] is False and by_native["child again"]["changed"] is False
        # a new dataset gets every given property as a local value, with either backend
        assert by_agent["child"]["dataset"]["properties"]["compression"] == \
            by_native["child"]["dataset"]["properties"]["compression"] == {"value": "gzip", "source": "local"}
        assert by_agent["quota off"]["dataset"]["properties"]["quota"] == \
            by_native["quota off"]["dataset"]["properties"]["quota"] == {"value": "0", "source": "default"}
        assert agent_host.command_log.entries() == [], "the agent scenario ran host commands"
        assert end_state(agent_host) == end_state(native_host)
        assert set(end_state(native_host)) == {PARENT, PARENT + "@base", PARENT + "/child", PARENT + "/child@base",
                                               PARENT + "/vol", PARENT + "/vol@base"}
