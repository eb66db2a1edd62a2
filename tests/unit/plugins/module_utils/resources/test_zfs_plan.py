"""The ZFS planners: names, property normalisation, inherited vs local, sizes, destroy guards, snapshots."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.storage import dataset_row, pool_row, to_bytes
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import storage_info
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import zfs_snapshot
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import zone_snapshot
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zfs_dataset import (
    check_dataset_name, check_snapshot_name, current, destroy_blockers, normalize_spec, normalize_value,
    plan_properties, source_kind, view, wire_value)

G = 1024 ** 3


def spec(**params):
    params.setdefault("name", "rpool/data")
    return normalize_spec(params)


def props(**entries):
    """{prop: {value, source}} as `zfs get -H -p all` reports it; entries are (value, source)."""
    return {k: {"value": v, "source": s} for k, (v, s) in entries.items()}


ACTUAL = props(type=("filesystem", "-"), compression=("lz4", "inherited from rpool"), atime=("on", "default"),
               quota=("0", "default"), recordsize=("131072", "default"), mountpoint=("/data", "default"),
               readonly=("off", "local"), written=("0", "-"))
VOLUME = props(type=("volume", "-"), volsize=(str(10 * G), "local"), volblocksize=("8192", "default"),
               refreservation=("0", "local"), compression=("off", "default"))


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize("name", ["rpool", "rpool/data", "Array-0/zones/0001--web01.example.com/boot",
                                  "tank/a_b.c:d-e"])
def test_good_dataset_names(name):
    assert check_dataset_name(name) == name


@pytest.mark.parametrize("name, needle", [
    ("", "invalid name"), ("/rpool/data", "leading"), ("rpool/data/", "trailing"), ("rpool/data@snap", "'@'"),
    ("rpool/../etc", "'..'"), ("rpool//data", "invalid name"), ("rpool/da ta", "component"),
    ("rpool/data;reboot", "component"), ("1pool/data", "start with a letter"), ("rpool/$(id)", "component"),
    ("r" * 256, "at most 255"),
])
def test_bad_dataset_names(name, needle):
    with pytest.raises(InputError) as err:
        check_dataset_name(name)
    assert needle in str(err.value)


def test_snapshot_names():
    assert check_snapshot_name("rpool/data@before-upgrade_1.2:x") == ("rpool/data", "before-upgrade_1.2:x")
    for bad in ("rpool/data", "rpool/data@", "rpool/data@a b", "rpool/data@a@b", "/x@y", "rpool/data@a;b"):
        with pytest.raises(InputError):
            check_snapshot_name(bad)


# --------------------------------------------------------------------------- values
def test_sizes_compare_as_bytes():
    assert normalize_value("volsize", "10G") == normalize_value("volsize", "10240M") == 10 * G
    assert normalize_value("volsize", str(10 * G)) == normalize_value("volsize", 10 * G) == 10 * G
    assert normalize_value("recordsize", "128K") == 131072
    assert normalize_value("quota", "none") == normalize_value("quota", "0") == 0


def test_bad_sizes_are_refused_with_the_property_named():
    with pytest.raises(InputError) as err:
        normalize_value("volsize", "lots")
    assert "properties.volsize" in str(err.value) and "lots" in str(err.value)
    with pytest.raises(InputError):
        normalize_value("volsize", "none")  # only quotas and reservations take none


def test_booleans_and_strings():
    assert normalize_value("atime", False) == "off" and normalize_value("atime", "yes") == "on"
    assert normalize_value("readonly", "on") == "on"
    assert normalize_value("compression", True) == "on" and normalize_value("compression", "lz4") == "lz4"
    assert normalize_value("copies", 2) == "2"
    assert normalize_value("mountpoint", "/export/data/") == "/export/data"


def test_wire_values_are_exact_zfs_strings():
    assert wire_value("volsize", 10 * G) == "10G" and wire_value("quota", 0) == "none"
    assert wire_value("recordsize", 131072) == "128K" and wire_value("volsize", 1000) == "1000"


def test_sources():
    assert source_kind("inherited from rpool") == "inherited"
    assert [source_kind(s) for s in ("local", "default", "received", "temporary", "-", None)] == \
        ["local", "default", "received", "temporary", "none", "none"]


def test_current_reads_agent_strings():
    assert current(VOLUME, "volsize") == (10 * G, "local")
    assert current(ACTUAL, "quota") == (0, "default")
    assert current(ACTUAL, "com.example:owner") == (None, None)
    assert current(props(**{"com.example:owner": ("-", "-")}), "com.example:owner") == (None, "-")


# --------------------------------------------------------------------------- spec
def test_spec_refuses_bad_input_before_anything():
    cases = [
        ({"properties": {"volsize": "lots"}}, "volsize"),
        ({"properties": {"used": "1G"}}, "read-only"),
        ({"properties": {"Compression": "lz4"}}, "invalid property name"),
        ({"properties": {"com.example:note": "a b"}}, "no blanks"),
        ({"properties": {"mountpoint": "/x;reboot"}}, "cannot pass to zfs safely"),
        ({"properties": {"compression": None}}, "inherit"),
        ({"properties": {"atime": ""}}, "is empty"),
        ({"force_local": ["compression"]}, "not in properties"),
        ({"properties": {"compression": "lz4"}, "inherit": ["compression"]}, "both set"),
        ({"inherit": ["quota"]}, "set it to none"),
        ({"type": "filesystem", "properties": {"volsize": "1G"}}, "only applies to volumes"),
        ({"type": "volume", "properties": {"volsize": "1G", "recordsize": "128K"}}, "file systems"),
        ({"properties": {"volsize": "0"}}, "larger than 0"),
    ]
    for params, needle in cases:
        with pytest.raises(InputError) as err:
            spec(**params)
        assert needle in str(err.value), (params, str(err.value))


def test_type_follows_volsize():
    assert spec(properties={"volsize": "1G"})["type"] == "volume"
    assert spec()["type"] is None


# --------------------------------------------------------------------------- inherited vs local
def test_value_equal_to_the_inherited_one_is_unchanged():
    to_set, to_inherit, before, after = plan_properties(
        spec(properties={"compression": "lz4", "atime": True, "quota": "none", "recordsize": "128K",
                         "mountpoint": "/data/"}), ACTUAL)
    assert to_set == {} and to_inherit == [] and before == {} and after == {}


def test_force_local_makes_an_inherited_value_local():
    to_set, _inherit, before, after = plan_properties(
        spec(properties={"compression": "lz4", "readonly": False}, force_local=["compression", "readonly"]), ACTUAL)
    assert to_set == {"compression": "lz4"}  # readonly is already local
    assert before == {"compression": {"value": "lz4", "source": "inherited from rpool"}}
    assert after == {"compression": {"value": "lz4", "source": "local"}}


def test_different_value_is_set_whatever_the_source():
    to_set, _inherit, before, after = plan_properties(spec(properties={"compression": "gzip", "quota": "10G"}), ACTUAL)
    assert to_set == {"compression": "gzip", "quota": 10 * G}
    assert before["quota"] == {"value": "none", "source": "default"}
    assert after["quota"] == {"value": "10G", "source": "local"}


def test_inherit_only_acts_on_local_values():
    assert plan_properties(spec(inherit=["compression", "atime"]), ACTUAL)[1] == []
    to_inherit, before = plan_properties(spec(inherit=["readonly"]), ACTUAL)[1:3]
    assert to_inherit == ["readonly"] and before["readonly"]["source"] == "local"


def test_unset_user_property_is_set():
    to_set = plan_properties(spec(properties={"com.example:owner": "ops"}), ACTUAL)[0]
    assert to_set == {"com.example:owner": "ops"}


# --------------------------------------------------------------------------- sizes on volumes
def test_volsize_same_size_other_spelling_is_unchanged():
    assert plan_properties(spec(properties={"volsize": "10240M"}), VOLUME)[0] == {}


def test_volsize_grow_is_planned_and_shrink_refused():
    assert plan_properties(spec(properties={"volsize": "20G"}), VOLUME)[0] == {"volsize": 20 * G}
    with pytest.raises(InputError) as err:
        plan_properties(spec(properties={"volsize": "5G"}), VOLUME)
    assert "shrink" in str(err.value) and "10G" in str(err.value) and "allow_shrink" in str(err.value)
    assert plan_properties(spec(properties={"volsize": "5G"}, allow_shrink=True), VOLUME)[0] == {"volsize": 5 * G}


def test_create_only_property_cannot_change():
    assert plan_properties(spec(properties={"volblocksize": "8K"}), VOLUME)[0] == {}
    with pytest.raises(InputError) as err:
        plan_properties(spec(properties={"volblocksize": "16K"}), VOLUME)
    assert "only be chosen when the dataset is created" in str(err.value)


# --------------------------------------------------------------------------- destroy guards
def test_destroy_blockers_name_children_snapshots_and_outside_clones():
    tree = [{"name": "rpool/data"}, {"name": "rpool/data/a"}, {"name": "rpool/data/a/b"}, {"name": "rpool/database"}]
    snaps = [{"name": "rpool/data@s1"}, {"name": "rpool/data/a@s2"}, {"name": "rpool/database@x"}]
    clones = {"rpool/data@s1": ["rpool/other", "rpool/data/a/inner"]}
    blockers = destroy_blockers("rpool/data", tree, snaps, clones)
    assert blockers == {"children": ["rpool/data/a", "rpool/data/a/b"], "snapshots": ["rpool/data@s1", "rpool/data/a@s2"],
                        "clones": ["rpool/other"]}
    assert destroy_blockers("rpool/data", [{"name": "rpool/data"}], []) == {"children": [], "snapshots": [], "clones": []}


def test_view_keeps_value_and_source():
    shown = view({"name": "rpool/data", "properties": ACTUAL})
    assert shown["type"] == "filesystem" and shown["properties"]["compression"] == {
        "value": "lz4", "source": "inherited from rpool"}
    assert view(None) == {}


# --------------------------------------------------------------------------- agent rows
def test_agent_byte_strings_become_integers():
    assert to_bytes("1234") == 1234 and to_bytes("-") is None and to_bytes(None) is None and to_bytes("1.5K") == 1536
    row = dataset_row({"name": "rpool/v", "type": "volume", "used": "8192", "avail": "100", "refer": "0",
                       "mountpoint": "-", "in_use_by": None})
    assert row["used"] == 8192 and row["mountpoint"] is None and row["in_use_by"] is None
    pool = pool_row({"name": "rpool", "size": "249108103168", "alloc": "1", "free": "2", "capacity_percent": "21",
                     "dedup_ratio": "1.00x", "health": "ONLINE", "altroot": "-"})
    assert pool["size"] == 249108103168 and pool["capacity_percent"] == 21 and pool["dedup_ratio"] == "1.00"
    assert pool["altroot"] is None


# --------------------------------------------------------------------------- snapshots
def test_snapshot_spec():
    s = zfs_snapshot.normalize_spec({"name": "rpool/data@s1", "holds": ["b", "a", "a"]})
    assert s["dataset"] == "rpool/data" and s["snapshot"] == "s1" and s["holds"] == ["a", "b"]
    for params, needle in (({"name": "rpool/data@s1", "holds": ["a b"]}, "hold tag"),
                           ({"name": "rpool/data@s1", "state": "absent", "rollback": True}, "state=present"),
                           ({"name": "rpool/data@s1", "force_rollback": True}, "rollback: true"),
                           ({"name": "rpool/data"}, "dataset@snapshot")):
        with pytest.raises(InputError) as err:
            zfs_snapshot.normalize_spec(params)
        assert needle in str(err.value)


def test_newer_snapshots_follow_zfs_list_order_of_the_same_dataset():
    rows = [{"name": "rpool/data@a"}, {"name": "rpool/data@b"}, {"name": "rpool/data/child@c"}, {"name": "rpool/data@c"}]
    assert zfs_snapshot.newer_snapshots("rpool/data@a", rows) == ["rpool/data@b", "rpool/data@c"]
    assert zfs_snapshot.newer_snapshots("rpool/data@c", rows) == []


def test_holds_and_rollback_plans():
    assert zfs_snapshot.plan_holds(None, ["x"]) == ([], [])
    assert zfs_snapshot.plan_holds(["a", "b"], ["b", "c"]) == (["a"], ["c"])
    assert zfs_snapshot.plan_holds([], ["b"]) == ([], ["b"])
    assert zfs_snapshot.rollback_needed([], 0) is False
    assert zfs_snapshot.rollback_needed([], 4096) is True
    assert zfs_snapshot.rollback_needed(["rpool/data@b"], 0) is True
    assert zfs_snapshot.rollback_needed([], None) is True


def test_zone_snapshot_spec_and_ordering():
    s = zone_snapshot.normalize_spec({"machine": "0001--web01.example.com", "name": "before-upgrade"})
    assert s["state"] == "present" and s["description"] is None
    for params, needle in (({"machine": "web;01", "name": "x"}, "zone name"),
                           ({"machine": "web01", "name": "-x"}, "snapshot name"),
                           ({"machine": "web01", "name": "x" * 257}, "snapshot name"),
                           ({"machine": "web01", "name": "x", "state": "absent", "description": "d"}, "description"),
                           ({"machine": "web01", "name": "x", "force_restore": True}, "state=restored")):
        with pytest.raises(InputError) as err:
            zone_snapshot.normalize_spec(params)
        assert needle in str(err.value)
    snaps = [{"name": "b", "created": "2026-01-02T00:00:00.000Z"}, {"name": "a", "created": "2026-01-01T00:00:00Z"},
             {"name": "c", "created": "2026-01-03T00:00:00.000Z"}]
    assert zone_snapshot.newer_than("a", snaps) == ["b", "c"] and zone_snapshot.newer_than("c", snaps) == []


def test_storage_info_query_and_filters():
    q = storage_info.normalize_query({"pool": "rpool/zones", "type": "volume", "name_prefix": "rpool/zones/0001--"})
    assert q["sections"] == ["pools", "datasets"]
    rows = [{"name": "rpool/zones", "type": "filesystem"}, {"name": "rpool/zones/0001--a/boot", "type": "volume"},
            {"name": "rpool/zonesx/v", "type": "volume"}, {"name": "rpool/zones/0002--b/boot", "type": "volume"}]
    assert [r["name"] for r in storage_info.filter_datasets(rows, q)] == ["rpool/zones/0001--a/boot"]
    for params, needle in (({"pool": "rpool/../x"}, "'..'"), ({"name_prefix": "a b"}, "name_prefix"),
                           ({"sections": ["pools"], "type": "volume"}, "leaves out"),
                           ({"sections": ["disks"]}, "sections"), ({"dataset": "rpool/x@a b"}, "snapshot part")):
        with pytest.raises(InputError) as err:
            storage_info.normalize_query(params)
        assert needle in str(err.value)
