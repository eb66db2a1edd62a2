"""The simulator's command face for storage: `zfs` and `zpool` as the storage modules run them.

Formats are checked by the collection's own parsers (what the native backend
reads), refusals by their texts and exit codes (illumos-native.md 1.8), and
the shared state against the agent face: a dataset made with `zfs` is in
GET /storage/datasets, and one made through the agent is in `zfs list`.
"""
from __future__ import annotations

import pytest
import requests

from sim_helpers import Api, Simulator, bootstrap

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.notfound import is_not_found
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zfs as zfs_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zpool as zpool_parser

LIST = ("name", "type", "used", "avail", "refer", "mountpoint", "createtxg")
GET = ("get", "-H", "-p", "-o", "name,property,value,source")


@pytest.fixture
def host():
    sim = Simulator(generation="0.3.9").start()
    yield sim
    sim.stop()


def run(sim, tool, *argv):
    answer = requests.post(sim.url + "/_sim/exec", json={"tool": tool, "argv": list(argv)}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["rc"], body["stdout"], body["stderr"]


def ok(sim, *argv, tool="zfs"):
    rc, out, err = run(sim, tool, *argv)
    assert rc == 0, (tool, argv, rc, err)
    return out


def refused(sim, *argv, tool="zfs", rc=1):
    code, out, err = run(sim, tool, *argv)
    assert code == rc, (argv, code, out, err)
    return err


def listing(sim, *argv, fields=LIST):
    return zfs_parser.parse_list(ok(sim, "list", "-H", "-p", "-o", ",".join(fields), *argv), fields=fields)


def props(sim, name, wanted="all"):
    return zfs_parser.parse_get(ok(sim, *GET, wanted, name))[name]


def names(rows):
    return [r["name"] for r in rows]


# --------------------------------------------------------------------------- formats

def test_list_rows_parse_and_follow_zfs_order(host):
    ok(host, "create", "-p", "-o", "compression=off", "rpool/st/b")
    ok(host, "create", "-s", "-V", "1G", "rpool/st/a-vol")
    ok(host, "snapshot", "rpool/st@zeta")
    ok(host, "snapshot", "rpool/st@alpha")        # newer, but sorts before zeta by name
    rows = listing(host, "-r", "-t", "all", "rpool/st")
    assert names(rows) == ["rpool/st", "rpool/st@zeta", "rpool/st@alpha", "rpool/st/a-vol", "rpool/st/b"]
    by = {r["name"]: r for r in rows}
    assert by["rpool/st/a-vol"]["type"] == "volume" and by["rpool/st/a-vol"]["mountpoint"] is None
    assert by["rpool/st/b"]["mountpoint"] == "/rpool/st/b" and isinstance(by["rpool/st/b"]["avail"], int)
    assert by["rpool/st@zeta"]["avail"] is None and by["rpool/st@zeta"]["mountpoint"] is None
    assert by["rpool/st@zeta"]["createtxg"] < by["rpool/st@alpha"]["createtxg"]
    # default types: file systems and volumes only
    assert names(listing(host, "-r", "rpool/st")) == ["rpool/st", "rpool/st/a-vol", "rpool/st/b"]
    # snapshots: -d 1 is the dataset's own, -t snapshot NAME alone too
    assert names(listing(host, "-d", "1", "-t", "snapshot", "rpool/st")) == ["rpool/st@zeta", "rpool/st@alpha"]
    assert names(listing(host, "-t", "snapshot", "rpool/st")) == ["rpool/st@zeta", "rpool/st@alpha"]
    assert names(listing(host, "-t", "filesystem", "-d", "1", "rpool/st")) == ["rpool/st", "rpool/st/b"]
    # -s / -S sort on any property, even one not printed
    assert names(listing(host, "-t", "snapshot", "-S", "createtxg", "rpool/st", fields=("name",))) == [
        "rpool/st@alpha", "rpool/st@zeta"]
    assert names(listing(host, "-t", "snapshot", "-s", "name", "rpool/st", fields=("name",))) == [
        "rpool/st@alpha", "rpool/st@zeta"]
    # a user property as a column: '-' when unset
    rows = listing(host, "-r", "rpool/st", fields=("name", "zoneweaver:description"))
    assert rows[0]["zoneweaver:description"] is None


def test_get_sources_and_values_parse(host):
    ok(host, "create", "-o", "quota=10G", "-o", "com.example:owner=ops", "-o", "atime=off", "rpool/g")
    ok(host, "create", "rpool/g/child")
    got = props(host, "rpool/g")
    assert got["quota"] == {"value": 10 << 30, "source": "local", "inherited_from": None}
    assert got["compression"] == {"value": "lz4", "source": "inherited", "inherited_from": "rpool"}
    assert got["recordsize"]["source"] == "default" and got["recordsize"]["value"] == 131072
    assert got["type"] == {"value": "filesystem", "source": None, "inherited_from": None}
    assert got["compressratio"]["value"] == 1.0 and got["com.example:owner"]["source"] == "local"
    child = props(host, "rpool/g/child")
    assert child["com.example:owner"] == {"value": "ops", "source": "inherited", "inherited_from": "rpool/g"}
    assert child["atime"]["inherited_from"] == "rpool/g" and child["quota"]["value"] == 0
    # -s filters sources; -r walks the tree
    local = zfs_parser.parse_get(ok(host, *GET[:1], "-r", "-s", "local", *GET[1:], "all", "rpool/g"))
    assert set(local) == {"rpool/g"} and set(local["rpool/g"]) == {"quota", "atime", "com.example:owner"}
    unset = props(host, "rpool/g/child", "volsize,com.example:missing")
    assert unset["volsize"]["value"] is None and unset["com.example:missing"]["source"] is None


def test_zpool_list_parses_and_agrees_with_the_agent(host):
    fields = ("name", "size", "allocated", "free", "capacity", "dedupratio", "health", "altroot")
    pools = zpool_parser.parse_list(ok(host, "list", "-H", "-p", "-o", ",".join(fields), tool="zpool"), fields=fields)
    default = zpool_parser.parse_list(ok(host, "list", "-H", "-p", tool="zpool"))
    assert [p["name"] for p in pools] == [p["name"] for p in default] == ["data", "rpool"]
    api = Api(host)
    api.key = bootstrap(api)
    agent = {p["name"]: p for p in api.get("/storage/pools").json()["pools"]}
    for pool in pools:
        assert str(pool["size"]) == agent[pool["name"]]["size"] and str(pool["allocated"]) == agent[pool["name"]]["alloc"]
        assert pool["dedupratio"] == 1.0 and pool["health"] == "ONLINE" and pool["altroot"] is None
        assert str(pool["capacity"]) == agent[pool["name"]]["capacity_percent"]


# --------------------------------------------------------------------------- create, set, inherit

def test_create_options_and_both_faces_agree(host):
    ok(host, "create", "-p", "-o", "compression=gzip", "rpool/faces/deep/fs")
    assert host.state.datasets["rpool/faces"]["properties"] == {}       # -p parents get no -o
    assert host.state.datasets["rpool/faces/deep/fs"]["properties"]["compression"] == "gzip"
    ok(host, "create", "-s", "-b", "16K", "-V", "2G", "rpool/faces/thin")
    thin = props(host, "rpool/faces/thin", "volsize,refreservation,volblocksize")
    assert thin["volsize"]["value"] == 2 << 30 and thin["refreservation"]["value"] == 0
    assert thin["volblocksize"]["value"] == 16384
    ok(host, "create", "-V", "1G", "rpool/faces/thick")
    assert props(host, "rpool/faces/thick", "refreservation")["refreservation"]["value"] == 1 << 30
    assert "invalid character" in refused(host, "create", "rpool/faces/bad name")
    assert "parent does not exist" in refused(host, "create", "rpool/nope/x")
    assert "dataset already exists" in refused(host, "create", "rpool/faces")
    assert "must be one of" in refused(host, "create", "-o", "compression=fast", "rpool/faces/c")
    api = Api(host)
    api.key = bootstrap(api)
    agent = {r["name"]: r for r in api.get("/storage/datasets", params={"pool": "rpool/faces", "recursive": "true"})
             .json()["datasets"]}
    assert set(agent) == set(names(listing(host, "-r", "rpool/faces")))
    assert agent["rpool/faces/thin"]["type"] == "volume"
    # and the other way: created through the agent, seen by zfs
    answer = api.post("/storage/datasets", json={"name": "rpool/faces/by-agent", "type": "filesystem",
                                                 "properties": {"atime": "off"}})
    api.wait(answer.json()["task_id"])
    assert props(host, "rpool/faces/by-agent", "atime")["atime"]["source"] == "local"


def test_set_and_inherit(host):
    ok(host, "create", "-p", "rpool/inh/child")
    ok(host, "set", "compression=gzip", "com.example:k=v", "rpool/inh")
    ok(host, "set", "compression=off", "atime=off", "rpool/inh/child")
    assert props(host, "rpool/inh/child", "compression")["compression"]["source"] == "local"
    ok(host, "inherit", "compression", "rpool/inh/child")
    got = props(host, "rpool/inh/child", "compression,atime")
    assert got["compression"] == {"value": "gzip", "source": "inherited", "inherited_from": "rpool/inh"}
    assert got["atime"]["source"] == "local"
    ok(host, "inherit", "-r", "atime", "rpool/inh")
    assert props(host, "rpool/inh/child", "atime")["atime"]["source"] == "default"
    ok(host, "inherit", "compression", "rpool/inh")        # to the pool's value
    assert props(host, "rpool/inh", "compression")["compression"]["inherited_from"] == "rpool"
    ok(host, "inherit", "com.example:k", "rpool/inh")
    assert props(host, "rpool/inh", "com.example:k")["com.example:k"]["source"] is None
    err = refused(host, "inherit", "quota", "rpool/inh")
    assert err.splitlines()[:2] == ["'quota' property cannot be inherited", "use 'zfs set quota=none' to clear"]
    assert refused(host, "inherit", "used", "rpool/inh").strip() == "used property is read-only"
    assert "invalid property 'bogus'" in refused(host, "inherit", "bogus", "rpool/inh", rc=2)
    assert is_not_found("zfs", 1, refused(host, "inherit", "compression", "rpool/nope"))
    assert "bad numeric value" in refused(host, "set", "quota=lots", "rpool/inh")
    assert "readonly" in refused(host, "set", "used=1", "rpool/inh")


# --------------------------------------------------------------------------- destroy

def test_destroy_refusals_texts_and_codes(host):
    ok(host, "create", "-p", "rpool/d/child")
    err = refused(host, "destroy", "rpool/d")
    assert err.splitlines() == ["cannot destroy 'rpool/d': filesystem has children",
                                "use '-r' to destroy the following datasets:", "rpool/d/child"]
    ok(host, "snapshot", "rpool/d/child@s1")
    err = refused(host, "destroy", "rpool/d/child")
    assert "filesystem has children" in err and "rpool/d/child@s1" in err
    ok(host, "clone", "rpool/d/child@s1", "rpool/d-clone")
    err = refused(host, "destroy", "-r", "rpool/d")
    assert "dependent clones" in err and "use '-R'" in err and "rpool/d-clone" in err
    assert "snapshot has dependent clones" in refused(host, "destroy", "rpool/d/child@s1")
    assert "operation does not apply to pools" in refused(host, "destroy", "rpool")
    assert is_not_found("zfs", 1, refused(host, "destroy", "rpool/none"))
    ok(host, "destroy", "-n", "-R", "rpool/d")                 # dry run: nothing goes
    assert "rpool/d-clone" in host.state.datasets
    ok(host, "destroy", "-R", "rpool/d")
    assert not [d for d in host.state.datasets if d.startswith(("rpool/d/", "rpool/d@", "rpool/d-")) or d == "rpool/d"]


# --------------------------------------------------------------------------- snapshots

def test_snapshot_rollback_holds(host):
    ok(host, "create", "-p", "rpool/s/kid")
    ok(host, "snapshot", "-r", "rpool/s@one")
    assert {"rpool/s@one", "rpool/s/kid@one"} <= set(host.state.datasets)
    # all or nothing: one existing target refuses the whole command
    ok(host, "snapshot", "rpool/s/kid@two")
    err = refused(host, "snapshot", "-r", "rpool/s@two")
    assert "cannot create snapshot 'rpool/s/kid@two': dataset already exists" in err
    assert "rpool/s@two" not in host.state.datasets
    ok(host, "snapshot", "-o", "zoneweaver:description=a b", "rpool/s@two", "rpool/s/kid@three")
    assert props(host, "rpool/s@two", "zoneweaver:description")["zoneweaver:description"]["value"] == "a b"
    # rollback past a newer snapshot needs -r
    err = refused(host, "rollback", "rpool/s@one")
    assert "more recent snapshots or bookmarks exist" in err and "rpool/s@two" in err
    assert "not applicable to datasets of this type" in refused(host, "rollback", "rpool/s")
    assert is_not_found("zfs", 1, refused(host, "rollback", "rpool/s@nope"))
    # holds: parse, block destroy and rollback -r, release
    ok(host, "hold", "-r", "keep", "rpool/s@one")
    ok(host, "hold", "pin", "rpool/s@one")
    holds = zfs_parser.parse_holds(ok(host, "holds", "-H", "-r", "rpool/s@one"))
    assert sorted((h["name"], h["tag"]) for h in holds) == [
        ("rpool/s/kid@one", "keep"), ("rpool/s@one", "keep"), ("rpool/s@one", "pin")]
    assert zfs_parser.parse_holds(ok(host, "holds", "-H", "-p", "rpool/s@one"))[0]["timestamp"].isdigit()
    assert "tag already exists" in refused(host, "hold", "pin", "rpool/s@one")
    assert "dataset is busy" in refused(host, "destroy", "rpool/s@one")
    assert props(host, "rpool/s@one", "userrefs")["userrefs"]["value"] == 2
    assert "no such tag" in refused(host, "release", "nope", "rpool/s@one")
    ok(host, "release", "-r", "keep", "rpool/s@one")
    ok(host, "release", "pin", "rpool/s@one")
    assert ok(host, "holds", "-H", "rpool/s@one") == ""
    ok(host, "rollback", "-r", "rpool/s@one")
    assert "rpool/s@two" not in host.state.datasets and host.state.datasets["rpool/s"]["written"] == 0
    # rollback -R also destroys clones of the newer snapshots
    ok(host, "snapshot", "rpool/s@later")
    ok(host, "clone", "rpool/s@later", "rpool/s-clone")
    assert "clones of previous snapshots exist" in refused(host, "rollback", "-r", "rpool/s@one")
    ok(host, "rollback", "-R", "rpool/s@one")
    assert "rpool/s-clone" not in host.state.datasets


def test_clone_promote_rename(host):
    ok(host, "create", "rpool/origin")
    ok(host, "snapshot", "rpool/origin@base")
    ok(host, "clone", "-p", "rpool/origin@base", "rpool/cl/work")
    assert props(host, "rpool/cl/work", "origin")["origin"]["value"] == "rpool/origin@base"
    ok(host, "promote", "rpool/cl/work")
    assert "rpool/cl/work@base" in host.state.datasets
    assert props(host, "rpool/origin", "origin")["origin"]["value"] == "rpool/cl/work@base"
    assert "not a cloned filesystem" in refused(host, "promote", "rpool/export")
    ok(host, "rename", "-p", "rpool/origin", "rpool/moved/origin")
    assert "rpool/moved/origin" in host.state.datasets and "rpool/origin" not in host.state.datasets
    ok(host, "rename", "rpool/cl/work@base", "rpool/cl/work@renamed")
    assert "rpool/cl/work@renamed" in host.state.datasets
    assert "dataset already exists" in refused(host, "rename", "rpool/moved/origin", "rpool/export")


def test_mutations_are_classified(host):
    ok(host, "create", "rpool/m")
    ok(host, "snapshot", "rpool/m@s")
    host.clear_commands()
    ok(host, "holds", "-H", "rpool/m@s")
    ok(host, *GET, "all", "rpool/m")
    ok(host, "list", "-H", "rpool/m")
    ok(host, "list", "-H", tool="zpool")
    assert host.command_mutations() == []
    ok(host, "hold", "k", "rpool/m@s")
    ok(host, "release", "k", "rpool/m@s")
    ok(host, "inherit", "atime", "rpool/m")
    ok(host, "rollback", "rpool/m@s")
    ok(host, "destroy", "-n", "rpool/m@s")
    assert [e["argv"][0] for e in host.command_mutations()] == ["hold", "release", "inherit", "rollback"]
    assert refused(host, "send", "rpool/m@s").startswith("zfs: send: not supported")
