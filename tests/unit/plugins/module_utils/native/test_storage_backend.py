"""The native storage backend: the commands it runs and the agent-shaped answers it builds (fake run_command)."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import CommandError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.storage import (
    StorageNativeBackend, iso_time, wire_entry)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import storage_info
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zfs_dataset import (
    ZfsDatasetResource, normalize_spec)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zfs_snapshot import (
    ZfsSnapshotResource, normalize_spec as snapshot_spec)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_snapshot import (
    ZoneSnapshotResource, newer_than, normalize_spec as zone_snapshot_spec)

LIST = ("zfs", "list", "-H", "-p", "-o", "name,type,used,avail,refer,mountpoint,createtxg")
LIST_SNAPSHOTS = ("zfs", "list", "-H", "-p", "-o", "name,type,used,avail,refer,mountpoint,createtxg,userrefs")
GET = ("zfs", "get", "-H", "-p", "-o", "name,property,value,source", "all")
NO_DATASET = (1, "", "cannot open 'rpool/x': dataset does not exist\n")
ZONE = "0001--web01.example.com"
ROOT = "rpool/zones/" + ZONE


class FakeHost:
    """Stands in for AnsibleModule.run_command: answers by exact argv, in order (the last answer repeats).
    Unknown commands answer (0, "", ""). Every call is recorded."""

    def __init__(self):
        self.answers = {}
        self.calls = []

    def on(self, *argv, answers=((0, "", ""),)):
        self.answers[tuple(argv)] = list(answers)
        return self

    def __call__(self, args, check_rc=False, data=None, environ_update=None, **kwargs):
        self.calls.append(list(args))
        queue = self.answers.get(tuple(args))
        if not queue:
            return (0, "", "")
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def changes(self):
        reads = ("list", "get", "holds")
        return [c for c in self.calls if c[0] in ("zfs", "zpool") and c[1] not in reads]


class Ctx:
    def __init__(self, check_mode=False, diff=False):
        self.check_mode = check_mode
        self.diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def native(host, check_mode=False):
    return StorageNativeBackend(CommandRunner(host, check_mode=check_mode))


def get_answer(name, *rows):
    return (0, "".join("%s\t%s\t%s\t%s\n" % ((name,) + tuple(row)) for row in rows), "")


# --------------------------------------------------------------------------- reads

def test_pools_in_the_agent_shape():
    text = "rpool\t1000\t250\t750\t25\t1.00x\tONLINE\t-\ntank\t4000\t0\t4000\t0\t1.50\tDEGRADED\t/a\n"
    host = FakeHost().on("zpool", "list", "-H", "-p", "-o", "name,size,allocated,free,capacity,dedupratio,health,altroot",
                         answers=[(0, text, "")])
    assert native(host).list_pools() == [
        {"name": "rpool", "size": 1000, "alloc": 250, "free": 750, "capacity_percent": 25, "dedup_ratio": "1.00",
         "health": "ONLINE", "altroot": None},
        {"name": "tank", "size": 4000, "alloc": 0, "free": 4000, "capacity_percent": 0, "dedup_ratio": "1.50",
         "health": "DEGRADED", "altroot": "/a"}]


def test_list_datasets_commands_and_agent_order():
    # printed in a different order than the agent's: the backend sorts (name components, snapshots by createtxg)
    text = ("rpool/a@zeta\tsnapshot\t0\t-\t100\t-\t7\t0\n"
            "rpool/a-b\tfilesystem\t10\t90\t10\t/rpool/a-b\t3\t-\n"
            "rpool/a\tfilesystem\t200\t900\t100\t/rpool/a\t2\t-\n"
            "rpool/a@alpha\tsnapshot\t0\t-\t100\t-\t9\t1\n"
            "rpool/a/vol\tvolume\t50\t900\t50\t-\t4\t-\n")
    host = FakeHost().on(*LIST_SNAPSHOTS + ("-r", "-t", "snapshot", "rpool/a"), answers=[(0, text, "")])
    rows = native(host).list_datasets(root="rpool/a", kind="snapshot", recursive=True)
    assert [r["name"] for r in rows] == ["rpool/a", "rpool/a@zeta", "rpool/a@alpha", "rpool/a/vol", "rpool/a-b"]
    assert rows[0] == {"name": "rpool/a", "type": "filesystem", "used": 200, "avail": 900, "refer": 100,
                       "mountpoint": "/rpool/a", "userrefs": None}
    assert rows[1]["userrefs"] == 0 and rows[2]["userrefs"] == 1
    assert rows[1]["avail"] is None and rows[1]["mountpoint"] is None and rows[3]["mountpoint"] is None
    backend = native(FakeHost())
    backend.list_datasets()
    backend.list_datasets(root="rpool/a")
    backend.list_datasets(root="rpool/a", kind="snapshot")
    backend.list_datasets(root="rpool/a", recursive=True)
    backend.list_datasets(kind="volume")
    assert backend.runner.executed == [
        "zfs list -H -p -o name,type,used,avail,refer,mountpoint,createtxg -t filesystem,volume",
        "zfs list -H -p -o name,type,used,avail,refer,mountpoint,createtxg -t filesystem,volume rpool/a",
        "zfs list -H -p -o name,type,used,avail,refer,mountpoint,createtxg,userrefs -d 1 -t snapshot rpool/a",
        "zfs list -H -p -o name,type,used,avail,refer,mountpoint,createtxg -r -t filesystem,volume rpool/a",
        "zfs list -H -p -o name,type,used,avail,refer,mountpoint,createtxg -t volume"]


def test_list_of_a_missing_root_raises_zfs_words():
    host = FakeHost().on(*LIST + ("-r", "-t", "filesystem,volume", "rpool/x"), answers=[NO_DATASET])
    with pytest.raises(CommandError, match="dataset does not exist"):
        native(host).list_datasets(root="rpool/x", recursive=True)


def test_get_dataset_keeps_zfs_get_strings_and_sources():
    host = FakeHost().on(*GET + ("rpool/a",), answers=[get_answer(
        "rpool/a", ("type", "filesystem", "-"), ("quota", "10737418240", "local"),
        ("compression", "lz4", "inherited from rpool"), ("compressratio", "1.50x", "-"),
        ("origin", "-", "-"), ("recordsize", "131072", "default"), ("com.example:owner", "ops", "local"))])
    dataset = native(host).get_dataset("rpool/a")
    assert dataset == {"name": "rpool/a", "properties": {
        "type": {"value": "filesystem", "source": "-"}, "quota": {"value": "10737418240", "source": "local"},
        "compression": {"value": "lz4", "source": "inherited from rpool"},
        "compressratio": {"value": "1.50", "source": "-"}, "origin": {"value": "-", "source": "-"},
        "recordsize": {"value": "131072", "source": "default"},
        "com.example:owner": {"value": "ops", "source": "local"}}}
    host.on(*GET + ("rpool/x",), answers=[NO_DATASET])
    assert native(host).get_dataset("rpool/x") is None
    host.on(*GET + ("rpool/y",), answers=[(1, "", "cannot open 'rpool/y': permission denied\n")])
    with pytest.raises(CommandError, match="permission denied"):
        native(host).get_dataset("rpool/y")


def test_wire_entry_round_trips_parser_output():
    assert wire_entry({"value": None, "source": None, "inherited_from": None}) == {"value": "-", "source": "-"}
    assert wire_entry({"value": 1.0, "source": "default", "inherited_from": None}) == {"value": "1.00", "source": "default"}
    assert wire_entry({"value": 5, "source": "inherited", "inherited_from": "rpool/a b"}) == {
        "value": "5", "source": "inherited from rpool/a b"}
    assert iso_time(0) == "1970-01-01T00:00:00.000Z" and iso_time(None) is None


def test_holds_of_the_snapshot_only():
    host = FakeHost().on("zfs", "holds", "-H", "rpool/a@s", answers=[(0, (
        "rpool/a@s\tkeep\tWed Nov 22 07:52 2023\n"
        "rpool/a@s\tpin\tWed Nov 22 07:53 2023\n"
        "rpool/a/kid@s\tother\tWed Nov 22 07:53 2023\n"), "")])
    assert native(host).list_holds("rpool/a@s") == ["keep", "pin"]
    host.on("zfs", "holds", "-H", "rpool/a@none", answers=[(1, "", "cannot open 'rpool/a@none': dataset does not exist\n")])
    assert native(host).list_holds("rpool/a@none") is None


# --------------------------------------------------------------------------- changes

def test_mutation_commands():
    host = FakeHost()
    backend = native(host)
    assert backend.create_dataset("rpool/fs", "filesystem", {"quota": "10G", "compression": "lz4"}) == {}
    backend.create_dataset("rpool/vol", "volume", {"volsize": "20G", "refreservation": "none"})
    backend.destroy_dataset("rpool/fs", recursive=True, force=True)
    backend.set_properties("rpool/fs", {"quota": "none", "atime": "off"}, allow_shrink=True)
    backend.inherit_properties("rpool/fs", ["compression", "com.example:owner"])
    backend.create_snapshot("rpool/fs@s", recursive=True)
    backend.destroy_snapshot("rpool/fs@s", recursive=True, defer=True)
    backend.rollback("rpool/fs@s", destroy_newer=True, force=True)
    backend.rollback("rpool/fs@s")
    backend.hold("rpool/fs@s", "keep", recursive=True)
    backend.release("rpool/fs@s", "keep")
    assert host.calls == [
        ["zfs", "create", "-o", "compression=lz4", "-o", "quota=10G", "rpool/fs"],
        ["zfs", "create", "-o", "refreservation=none", "-V", "20G", "rpool/vol"],
        ["zfs", "destroy", "-r", "-f", "rpool/fs"],
        ["zfs", "set", "atime=off", "rpool/fs"], ["zfs", "set", "quota=none", "rpool/fs"],
        ["zfs", "inherit", "compression", "rpool/fs"], ["zfs", "inherit", "com.example:owner", "rpool/fs"],
        ["zfs", "snapshot", "-r", "rpool/fs@s"],
        ["zfs", "destroy", "-r", "-d", "rpool/fs@s"],
        ["zfs", "rollback", "-r", "-f", "rpool/fs@s"], ["zfs", "rollback", "rpool/fs@s"],
        ["zfs", "hold", "-r", "keep", "rpool/fs@s"], ["zfs", "release", "keep", "rpool/fs@s"]]


def test_check_mode_runs_no_change():
    host = FakeHost()
    backend = native(host, check_mode=True)
    backend.create_dataset("rpool/fs", "filesystem", {})
    backend.get_dataset("rpool/fs")
    assert host.calls == [list(GET + ("rpool/fs",))]
    assert backend.runner.planned == ["zfs create rpool/fs"]


# --------------------------------------------------------------------------- through the resources

FS_PROPS = (("type", "filesystem", "-"), ("compression", "lz4", "inherited from rpool"), ("atime", "off", "local"),
            ("quota", "0", "default"))


def test_dataset_resource_inherits_natively_and_leaves_inherited_values_alone():
    after = tuple(p if p[0] != "atime" else ("atime", "on", "default") for p in FS_PROPS)
    host = FakeHost().on(*GET + ("rpool/a",), answers=[get_answer("rpool/a", *FS_PROPS), get_answer("rpool/a", *after)])
    ctx = Ctx(diff=True)
    spec = normalize_spec({"name": "rpool/a", "properties": {"compression": "lz4"}, "inherit": ["atime"]})
    result = ZfsDatasetResource(native(host), ctx).ensure(spec, {})
    assert result["changed"] is True and result["actions"] == ["inherit atime"]
    assert host.changes() == [["zfs", "inherit", "atime", "rpool/a"]]
    assert result["diff"]["before"] == {"properties": {"atime": {"value": "off", "source": "local"}}}
    assert result["diff"]["after"] == {"properties": {"atime": {"value": None, "source": "inherited"}}}
    assert result["dataset"]["properties"]["atime"] == {"value": "on", "source": "default"}
    assert result["tasks"] == []
    # a second run: nothing to do (compression is inherited and equal, atime no longer local)
    again = ZfsDatasetResource(native(host), Ctx()).ensure(spec, {})
    assert again["changed"] is False and len(host.changes()) == 1


def test_dataset_resource_fails_when_inherit_did_not_take():
    host = FakeHost().on(*GET + ("rpool/a",), answers=[get_answer("rpool/a", *FS_PROPS)])
    spec = normalize_spec({"name": "rpool/a", "inherit": ["atime"]})
    with pytest.raises(ZoneweaverError, match="atime is still local"):
        ZfsDatasetResource(native(host), Ctx()).ensure(spec, {})


def test_dataset_resource_check_mode_runs_reads_only():
    host = FakeHost().on(*GET + ("rpool/a",), answers=[get_answer("rpool/a", *FS_PROPS)])
    backend = native(host, check_mode=True)
    spec = normalize_spec({"name": "rpool/a", "properties": {"quota": "1G"}, "inherit": ["atime"]})
    result = ZfsDatasetResource(backend, Ctx(check_mode=True)).ensure(spec, {})
    assert result["actions"] == ["set quota=1G", "inherit atime"] and host.changes() == []


def test_dataset_resource_refuses_destroy_with_children_before_any_change():
    host = FakeHost().on(*GET + ("rpool/a",), answers=[get_answer("rpool/a", *FS_PROPS)])
    host.on(*LIST + ("-r", "-t", "filesystem,volume", "rpool/a"), answers=[(0, (
        "rpool/a\tfilesystem\t1\t1\t1\t/rpool/a\t2\nrpool/a/kid\tfilesystem\t1\t1\t1\t/rpool/a/kid\t3\n"), "")])
    spec = normalize_spec({"name": "rpool/a", "state": "absent"})
    with pytest.raises(InputError, match="refusing to destroy rpool/a: it has child datasets rpool/a/kid"):
        ZfsDatasetResource(native(host), Ctx()).ensure(spec, {})
    assert host.changes() == []


def test_snapshot_resource_rollback_guard_and_holds():
    host = FakeHost().on(*GET + ("rpool/a",), answers=[get_answer("rpool/a", *FS_PROPS + (("written", "4096", "-"),))])
    host.on(*LIST_SNAPSHOTS + ("-r", "-t", "snapshot", "rpool/a"), answers=[(0, (
        "rpool/a@new\tsnapshot\t0\t-\t1\t-\t9\t0\nrpool/a@old\tsnapshot\t0\t-\t1\t-\t5\t1\n"), "")])
    host.on("zfs", "holds", "-H", "rpool/a@old", answers=[(0, "rpool/a@old\tkeep\tWed Nov 22 07:52 2023\n", "")])
    spec = snapshot_spec({"name": "rpool/a@old", "rollback": True})
    with pytest.raises(InputError, match=r"newer snapshots exist \(rpool/a@new\)"):
        ZfsSnapshotResource(native(host), Ctx()).ensure(spec, {})
    spec = snapshot_spec({"name": "rpool/a@old", "rollback": True, "force_rollback": True, "holds": ["pin"]})
    result = ZfsSnapshotResource(native(host), Ctx()).ensure(spec, {})
    assert result["actions"] == ["roll back rpool/a to old destroying rpool/a@new", "hold pin", "release keep"]
    assert host.changes() == [["zfs", "rollback", "-r", "rpool/a@old"], ["zfs", "hold", "pin", "rpool/a@old"],
                              ["zfs", "release", "keep", "rpool/a@old"]]


def test_snapshot_without_holds_is_read_without_zfs_holds():
    host = FakeHost().on(*GET + ("rpool/a",), answers=[get_answer("rpool/a", *FS_PROPS)])
    host.on(*LIST_SNAPSHOTS + ("-r", "-t", "snapshot", "rpool/a"), answers=[(0, "rpool/a@s\tsnapshot\t0\t-\t1\t-\t5\t0\n", "")])
    result = ZfsSnapshotResource(native(host), Ctx()).ensure(snapshot_spec({"name": "rpool/a@s"}), {})
    assert result["changed"] is False
    assert [c[:2] for c in host.calls] == [["zfs", "get"], ["zfs", "list"]]   # two reads, no `zfs holds`


def test_storage_info_natively_without_any_agent_option():
    host = FakeHost().on(*LIST + ("-r", "-t", "filesystem,volume", "rpool/x"), answers=[NO_DATASET])
    ctx = RunContext(run_command=host)
    with pytest.raises(InputError, match="cannot list the datasets under rpool/x: cannot open 'rpool/x': dataset"):
        storage_info.run({"backend": "native", "sections": ["datasets"], "pool": "rpool/x"}, ctx)
    host.on(*LIST + ("-t", "filesystem,volume"), answers=[(0, "rpool\tfilesystem\t1\t2\t3\t/rpool\t1\n", "")])
    result = storage_info.run({"backend": "auto", "sections": ["datasets"], "dataset": "rpool/gone"}, ctx)
    assert result == {"changed": False, "datasets": [{"name": "rpool", "type": "filesystem", "used": 1, "avail": 2,
                                                      "refer": 3, "mountpoint": "/rpool"}],
                      "dataset": {}, "generation": "native"}


# --------------------------------------------------------------------------- machine snapshots

EXPORT = """create -b
set zonepath=/%s/path
set brand=bhyve
add attr
set name="bootdisk"
set type="string"
set value="%s/boot"
end
add attr
set name="disk0"
set type="string"
set value="rpool/vols/data"
end
""" % (ROOT, ROOT)
TREE = ("zfs", "list", "-H", "-p", "-o", "name", "-t", "filesystem,volume", "-r", ROOT)
SNAPSHOT_LISTING = ("zfs", "list", "-H", "-p", "-o", "name,used,userrefs,createtxg,creation,zoneweaver:description",
                    "-t", "filesystem,volume,snapshot")
DATASET_ROW = "%s\t0\t-\t1\t1700000000\t-\n"


def zone_host(snapshots=""):
    """A zone whose root has a boot child, plus an outside zvol; `snapshots` as (root tree rows, zvol rows)."""
    inside, outside = snapshots or ("", "")
    host = FakeHost().on("zoneadm", "-z", ZONE, "list", "-p",
                         answers=[(0, "-:%s:installed:/%s/path:1c9d:bhyve:excl:3\n" % (ZONE, ROOT), "")])
    host.on("zonecfg", "-z", ZONE, "export", answers=[(0, EXPORT, "")])
    host.on(*TREE, answers=[(0, "%s\n%s/boot\n" % (ROOT, ROOT), "")])
    host.on(*SNAPSHOT_LISTING + ("-r", ROOT),
            answers=[(0, DATASET_ROW % ROOT + DATASET_ROW % (ROOT + "/boot") + inside, "")])
    host.on(*SNAPSHOT_LISTING + ("-d", "1", "rpool/vols/data"),
            answers=[(0, DATASET_ROW % "rpool/vols/data" + outside, "")])
    return host


SNAPSHOT_ROWS = ("%s@s1\t0\t0\t10\t1700000000\tfirst\n%s/boot@s1\t4096\t1\t10\t1700000000\t-\n"
                 "%s@s2\t0\t0\t12\t1700000000\t-\n" % (ROOT, ROOT, ROOT),
                 "rpool/vols/data@s1\t100\t0\t10\t1700000000\t-\n")


def test_machine_snapshots_are_grouped_like_the_agents():
    host = zone_host(SNAPSHOT_ROWS)
    rows = native(host).list_machine_snapshots(ZONE)
    # zonecfg, then datasets and snapshots together: one listing of the root tree, one of the outside zvol
    assert [argv[:2] for argv in host.calls] == [["zonecfg", "-z"], ["zfs", "list"], ["zfs", "list"]]
    assert rows == [
        {"name": "s1", "description": "first", "created": "2023-11-14T22:13:20.000Z", "createtxg": 10, "datasets": 3,
         "dataset_names": [ROOT, ROOT + "/boot", "rpool/vols/data"], "used_bytes": 4196, "holds": 1},
        {"name": "s2", "description": None, "created": "2023-11-14T22:13:20.000Z", "createtxg": 12, "datasets": 1,
         "dataset_names": [ROOT], "used_bytes": 0, "holds": 0}]
    # same second: only createtxg tells s2 is newer
    assert newer_than("s1", rows) == ["s2"] and newer_than("s2", rows) == []
    # zonecfg alone tells an unknown zone (one read fewer than asking zoneadm too)
    gone = (1, "", "%s: No such zone configured\n" % ZONE)
    missing = FakeHost().on("zonecfg", "-z", ZONE, "export", answers=[gone])
    assert native(missing).list_machine_snapshots(ZONE) is None
    assert [argv[0] for argv in missing.calls] == ["zonecfg"]


def test_machine_snapshot_create_describe_delete_restore_commands():
    previous = zone_host()
    previous.on("zfs", "list", "-H", "-p", "-o", "name", "rpool/vols/data", answers=[(0, "rpool/vols/data\n", "")])
    native(previous).create_machine_snapshot(ZONE, "s1", "before upgrade")
    host = zone_host(SNAPSHOT_ROWS)
    host.calls = previous.calls
    backend = native(host)
    backend.modify_machine_snapshot(ZONE, "s1", "")
    backend.restore_machine_snapshot(ZONE, "s1")
    backend.delete_machine_snapshot(ZONE, "s1")
    assert host.changes() == [
        ["zfs", "snapshot", "-r", ROOT + "@s1", "rpool/vols/data@s1"],
        ["zfs", "set", "zoneweaver:description=before upgrade", ROOT + "@s1"],
        ["zfs", "inherit", "zoneweaver:description", ROOT + "@s1"],
        ["zfs", "rollback", "-r", ROOT + "@s1"], ["zfs", "rollback", "-r", ROOT + "/boot@s1"],
        ["zfs", "rollback", "-r", "rpool/vols/data@s1"],
        ["zfs", "destroy", "-r", ROOT + "@s1"], ["zfs", "destroy", "rpool/vols/data@s1"]]


def test_machine_snapshot_delete_refuses_held_before_destroying_any():
    host = zone_host(SNAPSHOT_ROWS)
    host.on("zfs", "get", "-H", "-p", "-o", "name,property,value,source", "userrefs,clones", ROOT + "@s1",
            ROOT + "/boot@s1", "rpool/vols/data@s1", answers=[(0, (
                "%s@s1\tuserrefs\t0\t-\n%s@s1\tclones\t\t-\n%s/boot@s1\tuserrefs\t1\t-\n%s/boot@s1\tclones\t\t-\n"
                "rpool/vols/data@s1\tuserrefs\t0\t-\nrpool/vols/data@s1\tclones\trpool/c\t-\n")
                % (ROOT, ROOT, ROOT, ROOT), "")])
    with pytest.raises(ZoneweaverError, match="held: %s/boot@s1; has clones: rpool/vols/data@s1" % ROOT):
        native(host).delete_machine_snapshot(ZONE, "s1")
    assert host.changes() == []


def test_zone_snapshot_resource_restores_natively_only_when_stopped():
    host = zone_host(SNAPSHOT_ROWS)
    host.on(*GET + (ROOT,), answers=[get_answer(ROOT, ("written", "0", "-"))])
    spec = zone_snapshot_spec({"machine": ZONE, "name": "s2", "state": "restored"})
    result = ZoneSnapshotResource(native(host), Ctx()).ensure(spec, {})
    assert result["changed"] is False and host.changes() == []
    spec = zone_snapshot_spec({"machine": ZONE, "name": "s1", "state": "restored", "force_restore": True})
    host.on("zoneadm", "-z", ZONE, "list", "-p", answers=[(0, "3:%s:running:/%s/path:1c9d:bhyve:excl:3\n" % (ZONE, ROOT), "")])
    with pytest.raises(InputError, match="while it is running"):
        ZoneSnapshotResource(native(host), Ctx()).ensure(spec, {})
    assert host.changes() == []
