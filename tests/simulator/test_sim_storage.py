"""Storage surface (agent-api.md section 5), both generations, and 0.3.9's
machine snapshots (section 3)."""
from __future__ import annotations

import time
from urllib.parse import quote

import pytest


@pytest.fixture(autouse=True)
def quick_tasks(request):
    """These modules queue many short tasks: poll and finish them faster than
    the 'fast' timing does (it only changes how soon tasks end)."""
    for fixture in ("sim", "sim_a", "sim_z"):
        if fixture in request.fixturenames:
            s = request.getfixturevalue(fixture)
            s.poll_interval = 0.01
            s.knobs.task_duration = 0.01


def done(api, resp, status="completed") -> dict:
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["success"] is True and body["task_id"] and body["status"] == "pending"
    t = api.wait(body["task_id"])
    assert t["status"] == status, t
    return t


def ds_addr(api, name, action=None):
    """(path, params) of one dataset: 0.3.9 query style, 0.2 path style with %2F."""
    if api.is_a:
        return "/storage/dataset" + (f"/{action}" if action else ""), {"name": name}
    return f"/storage/datasets/{quote(name, safe='')}" + (f"/{action}" if action else ""), {}


def snap_addr(api, name, action=None, tag=None):
    if api.is_a:
        params = {"name": name}
        if tag:
            params["tag"] = tag
        return "/storage/snapshot" + (f"/{action}" if action else ""), params
    path = f"/storage/snapshots/{quote(name, safe='')}" + (f"/{action}" if action else "")
    return path + (f"/{quote(tag, safe='')}" if tag else ""), {}


def detail(api, name):
    path, params = ds_addr(api, name)
    return api.get(path, params=params)


def props(api, name):
    r = detail(api, name)
    assert r.status_code == 200, r.text
    return r.json()["properties"]


def create(api, name, dtype="filesystem", status="completed", **properties):
    return done(api, api.post("/storage/datasets", json={"name": name, "type": dtype, "properties": properties}), status)


def snapshot(api, dataset, snap, status="completed", **body):
    path, params = ds_addr(api, dataset, "snapshots")
    return done(api, api.post(path, params=params, json={"snapshot_name": snap, **body}), status)


def listing(api, **params):
    r = api.get("/storage/datasets", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["datasets"])
    return body["datasets"]


def test_pools(api):
    body = api.get("/storage/pools").json()
    pools = {p["name"]: p for p in body["pools"]}
    assert set(pools) == {"rpool", "data"} and body["total"] == 2
    rpool = pools["rpool"]
    assert rpool["size"] == str(1 << 40) and rpool["health"] == "ONLINE" and rpool["altroot"] is None
    assert int(rpool["alloc"]) + int(rpool["free"]) == 1 << 40
    assert all(isinstance(rpool[k], str) for k in ("size", "alloc", "free", "capacity_percent", "dedup_ratio"))
    detail_body = api.get("/storage/pools/rpool").json()
    assert detail_body["name"] == "rpool" and detail_body["properties"]["health"] == {"value": "ONLINE", "source": "-"}
    assert api.get("/storage/pools/tank").json()["error"] == "Pool tank not found"


def test_list_rows_and_filters(api):
    rows = listing(api)
    assert "rpool" in [r["name"] for r in rows] and "data" in [r["name"] for r in rows]
    for row in rows:
        assert all(isinstance(row[k], str) for k in ("used", "avail", "refer")), row
        assert row["used"].isdigit() and row["refer"].isdigit()
    assert [r["name"] for r in listing(api, pool="rpool")] == ["rpool"]        # zfs list rpool: just itself
    tree = [r["name"] for r in listing(api, pool="rpool", recursive="true")]
    assert tree[0] == "rpool" and "rpool/zones" in tree and "data" not in tree
    vols = listing(api, type="volume")
    assert {r["name"] for r in vols} == {"rpool/dump", "rpool/swap"}
    assert all(r["mountpoint"] == "-" for r in vols)
    assert ("in_use_by" in vols[0]) is api.is_a                                # A only, volume rows only
    assert "in_use_by" not in listing(api, pool="rpool")[0]
    swap = next(r for r in vols if r["name"] == "rpool/swap")
    assert int(swap["used"]) >= 4 << 30                                        # a thick zvol reserves its size
    assert listing(api, type="snapshot") == []
    assert api.get("/storage/datasets", params={"pool": "tank"}).status_code == 500


def test_properties_show_inherited_and_local_sources(api):
    create(api, "rpool/app", compression="gzip", **{"com.example:team": "web"})
    create(api, "rpool/app/db", recordsize="8K", atime="off")
    app, db = props(api, "rpool/app"), props(api, "rpool/app/db")
    assert app["compression"] == {"value": "gzip", "source": "local"}
    assert db["compression"] == {"value": "gzip", "source": "inherited from rpool/app"}
    assert db["com.example:team"] == {"value": "web", "source": "inherited from rpool/app"}
    assert db["recordsize"] == {"value": "8192", "source": "local"}            # zfs get -p: bytes
    assert db["atime"] == {"value": "off", "source": "local"}
    assert app["atime"] == {"value": "on", "source": "default"}
    assert db["type"] == {"value": "filesystem", "source": "-"} and db["used"]["source"] == "-"
    assert db["mountpoint"] == {"value": "/rpool/app/db", "source": "default"}
    home = props(api, "rpool/export/home")
    assert home["compression"] == {"value": "lz4", "source": "inherited from rpool"}
    assert home["mountpoint"] == {"value": "/export/home", "source": "inherited from rpool/export"}
    assert props(api, "rpool/export")["mountpoint"] == {"value": "/export", "source": "local"}
    swap = props(api, "rpool/swap")
    assert swap["volsize"] == {"value": str(4 << 30), "source": "local"} and "mountpoint" not in swap
    assert swap["refreservation"] == {"value": str(4 << 30), "source": "local"}


def test_addressing_by_generation(api):
    r = detail(api, "rpool/zones")
    assert r.status_code == 200 and r.json()["name"] == "rpool/zones"
    if api.is_a:
        assert api.get("/storage/datasets/rpool%2Fzones").status_code == 404
        assert api.get("/storage/datasets/rpool%2Fzones").headers["Content-Type"].startswith("text/html")
        assert api.get("/storage/dataset").status_code == 400                  # name is required
    else:
        assert api.get("/storage/dataset", params={"name": "rpool/zones"}).headers["Content-Type"].startswith("text/html")
        assert api.get("/storage/datasets/rpool/zones").status_code == 404      # an unencoded '/' splits the path
    missing = detail(api, "rpool/nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Dataset rpool/nope not found",
                              "details": "cannot open 'rpool/nope': dataset does not exist"}
    path, params = ds_addr(api, "rpool/nope")
    assert api.delete(path, params=params, json={}).status_code == 404
    path, params = snap_addr(api, "rpool/zones@nope", "rollback")
    assert api.post(path, params=params, json={}).status_code == 404
    path, params = snap_addr(api, "rpool/zones", "rollback")
    assert api.post(path, params=params, json={}).status_code == 400            # not dataset@snapshot


def test_create_validation_and_zfs_refusals(api):
    for body, text in (({"type": "filesystem"}, "name is required"), ({"name": "rpool/a b"}, "Invalid dataset name"),
                       ({"name": "rpool/v", "type": "volume"}, "volsize"),
                       ({"name": "rpool/v", "type": "volume", "properties": {"volsize": "huge"}}, "volsize"),
                       ({"name": "rpool/x", "type": "snapshot"}, "type")):
        r = api.post("/storage/datasets", json=body)
        assert r.status_code == 400 and text in r.json()["error"], (body, r.text)
    t = create(api, "rpool/a/b", status="failed")
    assert t["error_message"] == "cannot create 'rpool/a/b': parent does not exist"
    assert create(api, "rpool/zones", status="failed")["error_message"] == \
        "cannot create 'rpool/zones': dataset already exists"
    assert "no such pool" in create(api, "tank/x", status="failed")["error_message"]
    t = create(api, "data/vol0", "volume", volsize="1G", volblocksize="16K")
    out = [e["data"] for e in api.get(f"/tasks/{t['id']}/output").json()["output"]]
    assert "zfs create -o volblocksize=16K -V 1G data/vol0" in out
    p = props(api, "data/vol0")
    assert p["volsize"]["value"] == str(1 << 30) and p["volblocksize"]["value"] == "16384"
    assert int(p["used"]["value"]) >= 1 << 30


def test_destroy_refuses_children_snapshots_and_clones(api):
    create(api, "rpool/app")
    create(api, "rpool/app/db")
    path, params = ds_addr(api, "rpool/app")
    t = done(api, api.delete(path, params=params, json={"recursive": False, "force": False}), "failed")
    assert t["error_message"] == ("cannot destroy 'rpool/app': filesystem has children\n"
                                  "use '-r' to destroy the following datasets:\nrpool/app/db")
    snapshot(api, "rpool/app/db", "s1")
    path, params = ds_addr(api, "rpool/app/db")
    t = done(api, api.delete(path, params=params, json={}), "failed")
    assert "filesystem has children" in t["error_message"] and "rpool/app/db@s1" in t["error_message"]
    path, params = ds_addr(api, "rpool/app/db@s1", "clone")
    done(api, api.post(path, params=params, json={"target": "rpool/copy"}))
    assert props(api, "rpool/copy")["origin"] == {"value": "rpool/app/db@s1", "source": "-"}
    path, params = ds_addr(api, "rpool/app")
    t = done(api, api.delete(path, params=params, json={"recursive": True}), "failed")
    assert "dependent clones" in t["error_message"] and "rpool/copy" in t["error_message"]
    path, params = ds_addr(api, "rpool/copy", "promote")
    done(api, api.post(path, params=params, json={}))
    assert props(api, "rpool/app/db")["origin"]["value"] == "rpool/copy@s1"
    assert props(api, "rpool/copy")["origin"]["value"] == "-"
    path, params = ds_addr(api, "rpool/app")
    done(api, api.delete(path, params=params, json={"recursive": True}))
    assert detail(api, "rpool/app").status_code == 404 and detail(api, "rpool/copy@s1").status_code == 200
    path, params = ds_addr(api, "rpool")
    assert "operation does not apply to pools" in done(api, api.delete(path, params=params, json={"recursive": True}),
                                                       "failed")["error_message"]


def test_set_properties(api):
    create(api, "rpool/vol0", "volume", volsize="2G")
    create(api, "rpool/fs0")
    path, params = ds_addr(api, "rpool/vol0", "properties")
    assert api.put(path, params=params, json={}).status_code == 400
    shrink = api.put(path, params=params, json={"properties": {"volsize": "1G"}})
    if api.is_a:
        assert shrink.status_code == 400 and "allow_shrink" in shrink.json()["error"]
        done(api, api.put(path, params=params, json={"properties": {"volsize": "1G"}, "allow_shrink": True}))
    else:
        done(api, shrink)                       # 0.2 has no allow_shrink guard: zfs shrinks
    assert props(api, "rpool/vol0")["volsize"]["value"] == str(1 << 30)
    done(api, api.put(path, params=params, json={"properties": {"volsize": "3G"}}))
    path, params = ds_addr(api, "rpool/fs0", "properties")
    bad = api.put(path, params=params, json={"properties": {"compression": "fast"}})
    if api.is_a:
        assert bad.status_code == 400 and "'compression' must be one of" in bad.json()["details"]
    else:
        assert "'compression' must be one of" in done(api, bad, "failed")["error_message"]
    done(api, api.put(path, params=params, json={"properties": {"compression": "lz4", "quota": "10G",
                                                                "org.example:owner": "ops"}}))
    p = props(api, "rpool/fs0")
    assert p["compression"] == {"value": "lz4", "source": "local"}
    assert p["quota"] == {"value": str(10 << 30), "source": "local"}
    assert int(p["available"]["value"]) <= 10 << 30
    assert p["org.example:owner"] == {"value": "ops", "source": "local"}
    done(api, api.put(path, params=params, json={"properties": {"quota": "none"}}))
    assert props(api, "rpool/fs0")["quota"] == {"value": "0", "source": "default"}


def test_snapshots_rollback_and_holds(api):
    create(api, "rpool/app")
    create(api, "rpool/app/logs")
    snapshot(api, "rpool/app", "s1", recursive=True)
    snapshot(api, "rpool/app", "s2")
    assert "already exists" in snapshot(api, "rpool/app", "s2", status="failed")["error_message"]
    path, params = ds_addr(api, "rpool/app", "snapshots")
    assert api.post(path, params=params, json={"snapshot_name": "bad name"}).status_code == 400
    snaps = [r["name"] for r in listing(api, pool="rpool/app", recursive="true", type="snapshot")]
    assert snaps == ["rpool/app@s1", "rpool/app@s2", "rpool/app/logs@s1"]
    assert [r["name"] for r in listing(api, pool="rpool/app", type="snapshot")] == ["rpool/app@s1", "rpool/app@s2"]
    snap_row = listing(api, pool="rpool/app", type="snapshot")[0]
    assert snap_row["avail"] == "-" and snap_row["mountpoint"] == "-"
    path, params = snap_addr(api, "rpool/app@s1", "rollback")
    t = done(api, api.post(path, params=params, json={}), "failed")
    assert t["error_message"] == ("cannot rollback to 'rpool/app@s1': more recent snapshots or bookmarks exist\n"
                                  "use '-r' to force deletion of the following snapshots and bookmarks:\nrpool/app@s2")
    # holds
    path, params = snap_addr(api, "rpool/app@s1", "holds")
    assert api.post(path, params=params, json={}).status_code == 400
    done(api, api.post(path, params=params, json={"tag": "keep", "recursive": True}))
    assert "tag already exists" in done(api, api.post(path, params=params, json={"tag": "keep"}), "failed")["error_message"]
    holds = api.get(path, params=params).json()
    assert holds["snapshot"] == "rpool/app@s1" and holds["total"] == 1
    assert holds["holds"][0]["name"] == "rpool/app@s1" and holds["holds"][0]["tag"] == "keep"
    assert api.get(path, params={**params, "recursive": "true"}).json()["total"] == 2
    assert props(api, "rpool/app@s1")["userrefs"] == {"value": "1", "source": "-"}
    path, params = snap_addr(api, "rpool/app@s1")
    t = done(api, api.delete(path, params=params, json={}), "failed")
    assert t["error_message"] == "cannot destroy snapshot rpool/app@s1: dataset is busy"
    path, params = snap_addr(api, "rpool/app@s1", "holds", tag="keep")
    done(api, api.delete(path, params=params, json={"recursive": True}))
    assert "no such tag" in done(api, api.delete(path, params=params, json={}), "failed")["error_message"]
    # rollback -r destroys the later snapshots
    path, params = snap_addr(api, "rpool/app@s1", "rollback")
    done(api, api.post(path, params=params, json={"recursive": True}))
    assert [r["name"] for r in listing(api, pool="rpool/app", type="snapshot")] == ["rpool/app@s1"]
    assert props(api, "rpool/app")["written"]["value"] == "0"
    path, params = snap_addr(api, "rpool/app@s1")
    done(api, api.delete(path, params=params, json={"recursive": True}))
    assert listing(api, pool="rpool/app", recursive="true", type="snapshot") == []


def test_rename(api):
    create(api, "rpool/app")
    create(api, "rpool/app/db")
    snapshot(api, "rpool/app", "s1", recursive=True)
    path, params = ds_addr(api, "rpool/app", "rename")
    assert api.post(path, params=params, json={}).status_code == 400
    assert "parent does not exist" in done(api, api.post(path, params=params, json={"new_name": "rpool/x/y"}),
                                           "failed")["error_message"]
    done(api, api.post(path, params=params, json={"new_name": "rpool/web"}))
    assert detail(api, "rpool/web/db@s1").status_code == 200 and detail(api, "rpool/app").status_code == 404
    path, params = ds_addr(api, "rpool/web@s1", "rename")
    done(api, api.post(path, params=params, json={"new_name": "first", "recursive": True}))
    assert detail(api, "rpool/web/db@first").status_code == 200


def test_machine_datasets_live_in_the_storage_table(api):
    name = api.create()[api.nk]
    boot = f"rpool/zones/{name}/boot"
    row = next(r for r in listing(api, type="volume") if r["name"] == boot)
    if api.is_a:
        assert row["in_use_by"] == name
    assert props(api, boot)["volsize"]["value"] == str(20 << 30)
    api.wait(api.post(api.m(name, "/start")).json()["task_id"])
    path, params = ds_addr(api, boot)
    t = done(api, api.delete(path, params=params, json={}), "failed")
    assert t["error_message"] == f"cannot destroy '{boot}': dataset is busy"


# --------------------------------------------------------------------------- machine snapshots (0.3.9)


def ok200(api, resp, status="completed") -> dict:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is True and body["status"] == "pending" and body["machine_name"]
    t = api.wait(body["task_id"])
    assert t["status"] == status, t
    return t


def test_machine_snapshots(api_a):
    api = api_a
    name = api.create()[api.nk]
    base = api.m(name, "/snapshots")
    assert api.get(base).json() == {"machine_name": name, "snapshots": [], "total": 0}
    assert api.get(api.m("nope", "/snapshots")).json() == {"error": "Machine not found"}
    for body in ({}, {"name": "-bad"}, {"name": "a b"}, {"name": "x", "prefix": "y"}, {"prefix": "p", "retention": 0}):
        assert api.post(base, json=body).status_code == 400, body
    r = api.post(base, json={"name": "before-upgrade", "description": "pre 2.0"})
    assert r.json()["operation"] == "snapshot_take"
    t = ok200(api, r)
    assert t[api.nk] == name
    snaps = api.get(base).json()["snapshots"]
    assert len(snaps) == 1
    s = snaps[0]
    assert (s["name"], s["description"], s["datasets"], s["holds"]) == ("before-upgrade", "pre 2.0", 3, 0)
    assert sorted(s["dataset_names"]) == [f"rpool/zones/{name}", f"rpool/zones/{name}/boot", f"rpool/zones/{name}/path"]
    assert s["created"] and isinstance(s["used_bytes"], int)
    assert detail(api, f"rpool/zones/{name}/boot@before-upgrade").status_code == 200   # plain zfs snapshots underneath
    assert "already exists" in ok200(api, api.post(base, json={"name": "before-upgrade"}), "failed")["error_message"]
    ok200(api, api.post(base, json={"name": "later"}))
    # edit
    assert api.put(f"{base}/later", json={}).status_code == 400
    assert api.put(f"{base}/later", json={"new_name": "bad name"}).status_code == 400
    assert api.put(f"{base}/nope", json={"description": "x"}).status_code == 404
    ok200(api, api.put(f"{base}/later", json={"new_name": "after", "description": "post"}))
    assert [(s["name"], s["description"]) for s in api.get(base).json()["snapshots"]] == \
        [("before-upgrade", "pre 2.0"), ("after", "post")]
    # restore needs a powered-off machine, and destroys later snapshots
    api.wait(api.post(api.m(name, "/start")).json()["task_id"])
    t = ok200(api, api.post(f"{base}/before-upgrade/restore"), "failed")
    assert "must be powered off" in t["error_message"]
    api.wait(api.post(api.m(name, "/stop")).json()["task_id"])
    assert props(api, f"rpool/zones/{name}/boot")["written"]["value"] != "0"            # the boot wrote data
    assert api.post(f"{base}/nope/restore").status_code == 404
    ok200(api, api.post(f"{base}/before-upgrade/restore"))
    assert [s["name"] for s in api.get(base).json()["snapshots"]] == ["before-upgrade"]
    assert props(api, f"rpool/zones/{name}/boot")["written"]["value"] == "0"
    # delete refuses a held snapshot, like zfs
    path, params = snap_addr(api, f"rpool/zones/{name}/boot@before-upgrade", "holds")
    done(api, api.post(path, params=params, json={"tag": "keep"}))
    assert api.get(base).json()["snapshots"][0]["holds"] == 1
    assert "dataset is busy" in ok200(api, api.delete(f"{base}/before-upgrade"), "failed")["error_message"]
    path, params = snap_addr(api, f"rpool/zones/{name}/boot@before-upgrade", "holds", tag="keep")
    done(api, api.delete(path, params=params, json={}))
    ok200(api, api.delete(f"{base}/before-upgrade"))
    assert api.get(base).json()["total"] == 0
    assert api.delete(f"{base}/before-upgrade").status_code == 404


def test_machine_snapshot_rotation(api_a):
    api = api_a
    name = api.create()[api.nk]
    base = api.m(name, "/snapshots")
    ok200(api, api.post(base, json={"prefix": "daily", "retention": 1}))
    first = api.get(base).json()["snapshots"][0]["name"]
    time.sleep(1.05)       # rotation names carry a UTC stamp with one-second resolution
    ok200(api, api.post(base, json={"prefix": "daily", "retention": 1}))
    snaps = [s["name"] for s in api.get(base).json()["snapshots"]]
    assert len(snaps) == 1 and snaps[0].startswith("daily-") and snaps[0] != first


def test_no_machine_snapshots_on_0_2(api_z):
    name = api_z.create()[api_z.nk]
    for method in ("GET", "POST"):
        r = api_z.req(method, api_z.m(name, "/snapshots"))
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")
    assert api_z.delete(api_z.m(name, "/snapshots/x")).headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("token", ["machine-snapshots", "zfs", "vnics", "ip-addresses"])
def test_status_features(api_a, token):
    assert token in api_a.get("/status", key=None).json()["features"]
