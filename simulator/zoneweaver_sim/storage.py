"""Storage routes (agent-api.md section 5): pools, datasets, snapshots, holds.

Reads are live `zfs` calls on the host state (no lag).  Mutations are tasks
(scope "system", category zfs_dataset) answering 202; the zfs refusals
(children without recursive, newer snapshots without -r, holds, clones...)
happen inside the task, with zfs's text as error_message.

Addressing one dataset differs by generation:
- 0.2: path style, `/storage/datasets/:name` (the '/' in the name sent as %2F)
  and `/storage/snapshots/:snapshot[/rollback|/holds[/:tag]]`;
- 0.3.9: query style, `/storage/dataset[/properties|clone|promote|rename|snapshots]?name=`
  and `/storage/snapshot[/rollback|/holds]?name=[&tag=]`.
The other generation's paths answer Express's HTML 404.
"""
from __future__ import annotations

from . import zfs
from .network import body_of, truthy
from .server import Response, error
from .tasks import TaskFailure, add_line, queue_host_task, task_created
from .util import parse_size


def _out(t, *lines):
    for line in lines:
        add_line(t, line)


def _noop(sim, t):
    pass


def _commands_begin(sim, t):
    _out(t, *t["_ctx"].get("commands", []))


def _run(t, fn, *args, **kwargs):
    """Run one zfs operation; print what it adds beyond the announced command."""
    lines: list[str] = []
    fn(*args, lines=lines, **kwargs)
    _out(t, *[ln for ln in lines if ln not in t["_ctx"].get("commands", [])])


def create_finish(sim, t):
    c = t["_ctx"]
    _run(t, zfs.create, sim.state, c["name"], c["type"], c["properties"])


def destroy_finish(sim, t):
    c = t["_ctx"]
    _run(t, zfs.destroy, sim.state, c["name"], c["recursive"], c["force"])


def set_props_finish(sim, t):
    c = t["_ctx"]
    st = sim.state
    ds = zfs.require(st, c["name"])
    # 0.2 runs zfs set as asked: no shrink guard (zfs itself allows shrinking volsize) [guess]
    if sim.dialect.is_a and "volsize" in c["properties"] and not c.get("allow_shrink"):
        new = parse_size(c["properties"]["volsize"]) or 0
        if new < (ds.get("volsize") or 0):   # re-checked: the size may have changed since the request
            raise TaskFailure(f"refusing to shrink volsize of '{c['name']}' without allow_shrink")
    _run(t, zfs.set_properties, st, c["name"], c["properties"])


def clone_finish(sim, t):
    c = t["_ctx"]
    _run(t, zfs.clone, sim.state, c["snapshot"], c["target"], c.get("properties"))


def promote_finish(sim, t):
    _run(t, zfs.promote, sim.state, t["_ctx"]["name"])


def rename_finish(sim, t):
    c = t["_ctx"]
    _run(t, zfs.rename, sim.state, c["name"], c["new_name"], c["recursive"])


def snapshot_finish(sim, t):
    c = t["_ctx"]
    _run(t, zfs.snapshot, sim.state, c["name"], c["snapshot_name"], c["recursive"], c.get("properties"))


def destroy_snapshot_finish(sim, t):
    c = t["_ctx"]
    _run(t, zfs.destroy_snapshot, sim.state, c["snapshot"], c["recursive"], c["defer"])


def rollback_finish(sim, t):
    c = t["_ctx"]
    _run(t, zfs.rollback, sim.state, c["snapshot"], c["recursive"])


def hold_finish(sim, t):
    c = t["_ctx"]
    _run(t, zfs.hold, sim.state, c["snapshot"], c["tag"], c["recursive"])


def release_finish(sim, t):
    c = t["_ctx"]
    _run(t, zfs.release, sim.state, c["snapshot"], c["tag"], c["recursive"])


EXECUTORS = {
    "zfs_create_dataset": (_commands_begin, create_finish, _noop),
    "zfs_destroy_dataset": (_commands_begin, destroy_finish, _noop),
    "zfs_set_properties": (_commands_begin, set_props_finish, _noop),
    "zfs_clone_dataset": (_commands_begin, clone_finish, _noop),
    "zfs_promote_dataset": (_commands_begin, promote_finish, _noop),
    "zfs_rename_dataset": (_commands_begin, rename_finish, _noop),
    "zfs_create_snapshot": (_commands_begin, snapshot_finish, _noop),
    "zfs_destroy_snapshot": (_commands_begin, destroy_snapshot_finish, _noop),
    "zfs_rollback_snapshot": (_commands_begin, rollback_finish, _noop),
    "zfs_hold_snapshot": (_commands_begin, hold_finish, _noop),
    "zfs_release_snapshot": (_commands_begin, release_finish, _noop),
}


def _sort_key(st, name):
    ds_name, _sep, _snap = name.partition("@")
    return (tuple(ds_name.split("/")), 1 if "@" in name else 0, st.datasets[name].get("createtxg", 0))


class Storage:
    def __init__(self, sim):
        self.sim = sim
        self.st = sim.state
        self.query_style = sim.dialect.is_a

    # ---- addressing
    def _name(self, req, param="name") -> str:
        if self.query_style:
            name = req.q("name")
            if not name:
                raise error(400, "name query parameter is required")
            return str(name)
        return req.params[param]

    def _dataset_or_404(self, name: str) -> dict:
        ds = self.st.datasets.get(name)
        if ds is None:
            raise error(404, f"Dataset {name} not found", details=f"cannot open '{name}': dataset does not exist")
        return ds

    def _snapshot_or_404(self, name: str) -> dict:
        if not zfs.valid_snapshot_name(name):
            raise error(400, f"Invalid snapshot name: {name} (expected dataset@snapshot)")
        return self._dataset_or_404(name)

    def _props(self, value, name, dtype, creating=False) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise error(400, "properties must be an object")
        if self.query_style:   # A validates before queueing; 0.2 lets zfs refuse inside the task [guess]
            for k, v in value.items():
                problem = zfs.check_property(self.st, name, dtype, k, v, creating=creating)
                if problem:
                    raise error(400, f"Invalid property {k}={v}", details=problem)
        return {str(k): v for k, v in value.items()}

    # ---- pools
    def pools(self, req):
        use = zfs.usage(self.st)
        rows = [zfs.pool_row(self.st, p, use) for p in sorted(self.st.pools)]
        return Response(200, {"pools": rows, "total": len(rows)})

    def pool_detail(self, req):
        pool = req.params["pool"]
        if pool not in self.st.pools:
            raise error(404, f"Pool {pool} not found", details=f"cannot open '{pool}': no such pool")
        return Response(200, {"name": pool, "properties": zfs.pool_properties(self.st, pool)})

    # ---- reads
    def datasets(self, req):
        st = self.st
        root, dtype = req.q("pool"), req.q("type")
        recursive = truthy(req.q("recursive"))
        if dtype and dtype not in ("filesystem", "volume", "snapshot", "bookmark", "all"):
            raise error(400, f"Invalid type: {dtype}")
        if root:
            if root not in st.datasets:
                raise error(500, "Failed to list datasets", details=f"cannot open '{root}': dataset does not exist")
            if recursive:
                names = [n for n in st.datasets if n == root or n.startswith(root + "/") or n.startswith(root + "@")]
            elif dtype == "snapshot":
                names = [s["name"] for s in zfs.snapshots_of(st, root)]
            else:
                names = [root]
        else:
            names = list(st.datasets)
        if dtype and dtype != "all":
            names = [n for n in names if st.datasets[n]["type"] == dtype]
        elif not dtype:
            names = [n for n in names if st.datasets[n]["type"] != "snapshot" or n == root]
        use = zfs.usage(st)
        rows = [zfs.list_row(st, n, use, self.sim.dialect.is_a) for n in sorted(names, key=lambda n: _sort_key(st, n))]
        return Response(200, {"datasets": rows, "total": len(rows)})

    def dataset_detail(self, req):
        name = self._name(req)
        self._dataset_or_404(name)
        return Response(200, {"name": name, "properties": zfs.get_properties(self.st, name)})

    def holds(self, req):
        name = self._name(req, "snapshot")
        self._snapshot_or_404(name)
        rows = zfs.holds_rows(self.st, name, truthy(req.q("recursive")))
        return Response(200, {"snapshot": name, "holds": rows, "total": len(rows)})

    # ---- mutations
    def create(self, req):
        body = body_of(req)
        name, dtype = body.get("name"), body.get("type") or "filesystem"
        if not name:
            raise error(400, "name is required")
        if not zfs.valid_dataset_name(name) or "/" not in name:
            raise error(400, f"Invalid dataset name: {name}")
        if dtype not in ("filesystem", "volume"):
            raise error(400, "type must be 'filesystem' or 'volume'")
        props = self._props(body.get("properties"), name, dtype, creating=True)
        if dtype == "volume":
            if props.get("volsize") in (None, ""):
                raise error(400, "volsize property is required for volumes")
            if not parse_size(props["volsize"]):
                raise error(400, f"Invalid volsize: {props['volsize']}")
        opts = " ".join(f"-o {k}={v}" for k, v in props.items() if k != "volsize")
        cmd = "zfs create " + (opts + " " if opts else "") + (f"-V {props['volsize']} " if dtype == "volume" else "") + name
        t = queue_host_task(self.sim, req, "zfs_create_dataset",
                            metadata={"name": name, "type": dtype, "properties": props},
                            ctx={"name": name, "type": dtype, "properties": props, "commands": [cmd]})
        return task_created(t, "Dataset creation task created", name=name, type=dtype)

    def destroy(self, req):
        name = self._name(req)
        self._dataset_or_404(name)
        body = body_of(req)   # [guess] a DELETE without a body counts as {} (no 500)
        recursive, force = truthy(body.get("recursive")), truthy(body.get("force"))
        cmd = f"zfs destroy {'-r ' if recursive else ''}{'-f ' if force else ''}{name}"
        t = queue_host_task(self.sim, req, "zfs_destroy_dataset",
                            metadata={"name": name, "recursive": recursive, "force": force},
                            ctx={"name": name, "recursive": recursive, "force": force, "commands": [cmd]})
        return task_created(t, "Destruction task created", name=name, recursive=recursive, force=force)

    def set_properties(self, req):
        name = self._name(req)
        ds = self._dataset_or_404(name)
        body = body_of(req)
        if not isinstance(body.get("properties"), dict) or not body["properties"]:
            raise error(400, "properties object is required")
        props = self._props(body["properties"], name, ds["type"])
        allow_shrink = truthy(body.get("allow_shrink"))
        if self.query_style and "volsize" in props and not allow_shrink:
            new, cur = parse_size(props["volsize"]) or 0, ds.get("volsize") or 0
            if new < cur:
                raise error(400, f"Refusing to shrink volsize of {name} from {cur} to {new} bytes: data beyond the "
                                 "new size is lost. Set allow_shrink: true to confirm")
        t = queue_host_task(self.sim, req, "zfs_set_properties",
                            metadata={"name": name, "properties": props, "allow_shrink": allow_shrink},
                            ctx={"name": name, "properties": props, "allow_shrink": allow_shrink,
                                 "commands": [f"zfs set {k}={v} {name}" for k, v in props.items()]})
        return task_created(t, "Property update task created", name=name, properties=props)

    def clone(self, req):
        snap = self._name(req)
        if not zfs.is_snap(snap):
            raise error(400, f"Clone source must be a snapshot (dataset@snapshot), got {snap}")
        src = self._snapshot_or_404(snap)
        body = body_of(req)
        target = body.get("target")
        if not target:
            raise error(400, "target is required")
        if not zfs.valid_dataset_name(target) or "/" not in target:
            raise error(400, f"Invalid target dataset name: {target}")
        props = self._props(body.get("properties"), target,
                            self.st.datasets.get(zfs.split_snap(snap)[0], src)["type"], creating=True)
        t = queue_host_task(self.sim, req, "zfs_clone_dataset",
                            metadata={"snapshot": snap, "target": target, "properties": props},
                            ctx={"snapshot": snap, "target": target, "properties": props,
                                 "commands": [f"zfs clone {snap} {target}"]})
        return task_created(t, "Clone task created", snapshot=snap, target=target)

    def promote(self, req):
        name = self._name(req)
        self._dataset_or_404(name)
        t = queue_host_task(self.sim, req, "zfs_promote_dataset", metadata={"name": name},
                            ctx={"name": name, "commands": [f"zfs promote {name}"]})
        return task_created(t, "Promote task created", name=name)

    def rename(self, req):
        name = self._name(req)
        self._dataset_or_404(name)
        body = body_of(req)
        new_name = body.get("new_name")
        if not new_name:
            raise error(400, "new_name is required")
        if zfs.is_snap(name):   # a snapshot renames to ds@new or just new
            ok = zfs.valid_snapshot_name(new_name) or bool(zfs.SNAP_COMPONENT_RE.match(str(new_name)))
        else:
            ok = zfs.valid_dataset_name(new_name)
        if not ok:
            raise error(400, f"Invalid new_name: {new_name}")
        recursive, force = truthy(body.get("recursive")), truthy(body.get("force"))
        t = queue_host_task(self.sim, req, "zfs_rename_dataset",
                            metadata={"name": name, "new_name": new_name, "recursive": recursive, "force": force},
                            ctx={"name": name, "new_name": new_name, "recursive": recursive,
                                 "commands": [f"zfs rename {'-r ' if recursive else ''}{'-f ' if force else ''}"
                                              f"{name} {new_name}"]})
        return task_created(t, "Rename task created", name=name, new_name=new_name)

    def snapshot(self, req):
        name = self._name(req)
        ds = self._dataset_or_404(name)
        if ds["type"] == "snapshot":
            raise error(400, f"{name} is a snapshot")
        body = body_of(req)
        snap = body.get("snapshot_name")
        if not snap:
            raise error(400, "snapshot_name is required")
        if not zfs.SNAP_COMPONENT_RE.match(str(snap)) or len(name) + len(str(snap)) >= 255:
            raise error(400, f"Invalid snapshot_name: {snap}")
        props = body.get("properties") or {}
        if not isinstance(props, dict):
            raise error(400, "properties must be an object")
        recursive = truthy(body.get("recursive"))
        full = f"{name}@{snap}"
        t = queue_host_task(self.sim, req, "zfs_create_snapshot",
                            metadata={"name": name, "snapshot_name": snap, "recursive": recursive, "properties": props},
                            ctx={"name": name, "snapshot_name": snap, "recursive": recursive, "properties": props,
                                 "commands": [f"zfs snapshot {'-r ' if recursive else ''}{full}"]})
        return task_created(t, "Snapshot task created", name=name, snapshot=full, recursive=recursive)

    def destroy_snapshot(self, req):
        snap = self._name(req, "snapshot")
        self._snapshot_or_404(snap)
        body = body_of(req)
        recursive, defer = truthy(body.get("recursive")), truthy(body.get("defer"))
        t = queue_host_task(self.sim, req, "zfs_destroy_snapshot",
                            metadata={"snapshot": snap, "recursive": recursive, "defer": defer},
                            ctx={"snapshot": snap, "recursive": recursive, "defer": defer,
                                 "commands": [f"zfs destroy {'-r ' if recursive else ''}{'-d ' if defer else ''}{snap}"]})
        return task_created(t, "Destruction task created", snapshot=snap, recursive=recursive, defer=defer)

    def rollback(self, req):
        snap = self._name(req, "snapshot")
        self._snapshot_or_404(snap)
        body = body_of(req)
        recursive, force = truthy(body.get("recursive")), truthy(body.get("force"))
        t = queue_host_task(self.sim, req, "zfs_rollback_snapshot",
                            metadata={"snapshot": snap, "recursive": recursive, "force": force},
                            ctx={"snapshot": snap, "recursive": recursive,
                                 "commands": [f"zfs rollback {'-r ' if recursive else ''}{'-f ' if force else ''}{snap}"]})
        return task_created(t, "Rollback task created", snapshot=snap, recursive=recursive)

    def hold(self, req):
        snap = self._name(req, "snapshot")
        self._snapshot_or_404(snap)
        body = body_of(req)
        tag = body.get("tag")
        if not tag or not isinstance(tag, str) or len(tag) > 255:
            raise error(400, "tag is required")
        recursive = truthy(body.get("recursive"))
        t = queue_host_task(self.sim, req, "zfs_hold_snapshot",
                            metadata={"snapshot": snap, "tag": tag, "recursive": recursive},
                            ctx={"snapshot": snap, "tag": tag, "recursive": recursive,
                                 "commands": [f"zfs hold {'-r ' if recursive else ''}{tag} {snap}"]})
        return task_created(t, "Hold task created", snapshot=snap, tag=tag)

    def release(self, req):
        snap = self._name(req, "snapshot")
        tag = req.q("tag") if self.query_style else req.params.get("tag")
        if not tag:
            raise error(400, "tag is required")
        self._snapshot_or_404(snap)
        recursive = truthy(body_of(req).get("recursive"))
        t = queue_host_task(self.sim, req, "zfs_release_snapshot",
                            metadata={"snapshot": snap, "tag": tag, "recursive": recursive},
                            ctx={"snapshot": snap, "tag": tag, "recursive": recursive,
                                 "commands": [f"zfs release {'-r ' if recursive else ''}{tag} {snap}"]})
        return task_created(t, "Release task created", snapshot=snap, tag=tag)


# Routes on one dataset or snapshot: (method, path, handler, required body field). The addressing
# style fills the path in: 0.3.9+ names the object in the query (?name=, release: ?tag=), older
# generations in the path.
ADDRESSING = {"query": {"dataset": "/storage/dataset", "snapshot": "/storage/snapshot", "tag": ""},
              "path": {"dataset": "/storage/datasets/:name", "snapshot": "/storage/snapshots/:snapshot",
                       "tag": "/:tag"}}
OBJECT_ROUTES = (("GET", "{dataset}", "dataset_detail", None), ("DELETE", "{dataset}", "destroy", None),
                 ("PUT", "{dataset}/properties", "set_properties", "properties"),
                 ("POST", "{dataset}/clone", "clone", "target"), ("POST", "{dataset}/promote", "promote", None),
                 ("POST", "{dataset}/rename", "rename", "new_name"),
                 ("POST", "{dataset}/snapshots", "snapshot", "snapshot_name"),
                 ("DELETE", "{snapshot}", "destroy_snapshot", None), ("POST", "{snapshot}/rollback", "rollback", None),
                 ("GET", "{snapshot}/holds", "holds", None), ("POST", "{snapshot}/holds", "hold", "tag"),
                 ("DELETE", "{snapshot}/holds{tag}", "release", None))


def register(router, sim):
    s = Storage(sim)

    def destructure(prop, what):
        return {"error": f"Failed to {what}",
                "details": f"Cannot destructure property '{prop}' of 'req.body' as it is undefined."}

    router.add("GET", "/storage/pools", s.pools)
    router.add("GET", "/storage/pools/:pool", s.pool_detail)
    router.add("GET", "/storage/datasets", s.datasets)
    router.add("POST", "/storage/datasets", s.create, needs_body=True, body_fail=destructure("name", "create task"))
    addressing = ADDRESSING["query" if s.query_style else "path"]
    for method, path, handler, field in OBJECT_ROUTES:
        router.add(method, path.format(**addressing), getattr(s, handler), needs_body=field is not None,
                   body_fail=destructure(field, "create task") if field else None)
    return s
