"""Machine snapshots (0.3.9 only, feature `machine-snapshots`; agent-api.md
section 3): one snapshot name across the machine's whole ZFS tree (the zone
root dataset recursively, plus zvols attached from outside it), kept as
ordinary snapshots in the storage table.  Mutations answer 200 with a
task_id; the tasks (scope: the machine, so they serialise with its power
operations) run the zfs commands.  0.2 has none of these routes."""
from __future__ import annotations

import re
import time

from . import zfs
from .network import body_of
from .server import Response, error
from .tasks import TaskFailure, add_line, create_task
from .zonecfg import POWERED_OFF, valid_zone_name, zone_datasets

SNAP_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}$")
DESCRIPTION_PROP = "zoneweaver:description"


def machine_tree(st, name: str) -> tuple[str | None, list[str]]:
    """(root dataset, every dataset of the machine): the root recursively,
    then out-of-tree media (image disks living elsewhere)."""
    hz = st.host_zones.get(name)
    root = zfs.zone_root(hz)
    tree = []
    if root and root in st.datasets:
        tree = [root] + zfs.descendants(st, root)
    for ds in zone_datasets(hz["config"]) if hz else []:
        if ds in st.datasets and ds not in tree:
            tree.append(ds)
    return root, tree


def grouped(st, name: str) -> list[dict]:
    root, tree = machine_tree(st, name)
    groups: dict[str, dict] = {}
    for ds in tree:
        for snap in zfs.snapshots_of(st, ds):
            sname = zfs.split_snap(snap["name"])[1]
            g = groups.setdefault(sname, {"name": sname, "description": None, "created": snap.get("created_at"),
                                          "datasets": 0, "dataset_names": [], "used_bytes": 0, "holds": 0,
                                          "_txg": snap.get("createtxg", 0)})
            g["datasets"] += 1
            g["dataset_names"].append(ds)
            g["used_bytes"] += int(snap.get("used", 0))
            g["holds"] += len(snap.get("holds") or {})
            if snap.get("createtxg", 0) < g["_txg"]:
                g["_txg"], g["created"] = snap.get("createtxg", 0), snap.get("created_at")
            desc = snap["properties"].get(DESCRIPTION_PROP)
            if desc is not None and (ds == root or g["description"] is None):
                g["description"] = desc
    out = sorted(groups.values(), key=lambda g: g["_txg"])
    for g in out:
        del g["_txg"]
    return out


def _out(t, *lines):
    for line in lines:
        add_line(t, line)


def _noop(sim, t):
    pass


def _carriers(st, name: str, snap: str) -> list[str]:
    return [ds for ds in machine_tree(st, name)[1] if f"{ds}@{snap}" in st.datasets]


def take_finish(sim, t):
    st = sim.state
    c = t["_ctx"]
    name, snap = t["zone_name"], c["snapshot"]
    root, tree = machine_tree(st, name)
    if not tree:
        raise TaskFailure(f"Machine {name} has no datasets to snapshot")
    if c.get("quiesce"):
        _out(t, "Guest agent not answering; snapshot taken without fsfreeze")
    for ds in tree:     # all or nothing: zfs snapshot -r refuses before creating any
        if f"{ds}@{snap}" in st.datasets:
            raise TaskFailure(f"cannot create snapshot '{ds}@{snap}': dataset already exists")
    lines: list[str] = []
    in_root = [d for d in tree if root and (d == root or d.startswith(root + "/"))]
    for ds in [root] if in_root else []:
        zfs.snapshot(st, ds, snap, True, None, lines)
    for ds in tree:
        if ds not in in_root:
            zfs.snapshot(st, ds, snap, False, None, lines)
    first = root if in_root else tree[0]
    if c.get("description"):
        st.datasets[f"{first}@{snap}"]["properties"][DESCRIPTION_PROP] = c["description"]
        lines.append(f"zfs set {DESCRIPTION_PROP}={c['description']!r} {first}@{snap}")
    _out(t, *lines)
    if c.get("retention") and c.get("prefix"):
        mine = [g for g in grouped(st, name) if g["name"].startswith(c["prefix"] + "-")]
        for g in mine[:max(0, len(mine) - int(c["retention"]))]:
            pruned: list[str] = []
            for ds in _carriers(st, name, g["name"]):
                zfs.destroy_snapshot(st, f"{ds}@{g['name']}", False, False, pruned)
            _out(t, *pruned, f"Pruned {g['name']} (retention {c['retention']})")


def restore_finish(sim, t):
    st = sim.state
    name, snap = t["zone_name"], t["_ctx"]["snapshot"]
    hz = st.host_zones.get(name)
    if hz and hz["state"] not in POWERED_OFF:
        raise TaskFailure(f"Machine {name} must be powered off to restore a snapshot (state: {hz['state']})")
    carriers = _carriers(st, name, snap)
    if not carriers:
        raise TaskFailure(f"Snapshot {snap} not found on machine {name}")
    lines: list[str] = []
    for ds in carriers:
        zfs.rollback(st, f"{ds}@{snap}", True, lines)
    _out(t, *lines)


def modify_finish(sim, t):
    st = sim.state
    c = t["_ctx"]
    name, snap = t["zone_name"], c["snapshot"]
    root = machine_tree(st, name)[0]
    carriers = _carriers(st, name, snap)
    if not carriers:
        raise TaskFailure(f"Snapshot {snap} not found on machine {name}")
    lines: list[str] = []
    if c.get("new_name"):
        new = c["new_name"]
        for ds in carriers:
            if f"{ds}@{new}" in st.datasets:
                raise TaskFailure(f"cannot rename to '{ds}@{new}': dataset already exists")
        for ds in carriers:
            if root and ds.startswith(root + "/"):
                continue     # renamed by the recursive rename of the root
            zfs.rename(st, f"{ds}@{snap}", new, ds == root, lines)
        snap = new
    if "description" in c and c["description"] is not None:
        target = f"{root}@{snap}" if root and f"{root}@{snap}" in st.datasets else f"{carriers[0]}@{snap}"
        props = st.datasets[target]["properties"]
        if c["description"] == "":
            props.pop(DESCRIPTION_PROP, None)
            lines.append(f"zfs inherit {DESCRIPTION_PROP} {target}")
        else:
            props[DESCRIPTION_PROP] = c["description"]
            lines.append(f"zfs set {DESCRIPTION_PROP}={c['description']!r} {target}")
    st.dirty = True
    _out(t, *lines)


def delete_finish(sim, t):
    st = sim.state
    name, snap = t["zone_name"], t["_ctx"]["snapshot"]
    carriers = _carriers(st, name, snap)
    if not carriers:
        raise TaskFailure(f"Snapshot {snap} not found on machine {name}")
    for ds in carriers:   # check everything first: all or nothing
        rec = st.datasets[f"{ds}@{snap}"]
        if rec.get("holds"):
            raise TaskFailure(f"cannot destroy snapshot {ds}@{snap}: dataset is busy")
        clones = zfs.clones_of(st, f"{ds}@{snap}")
        if clones:
            raise TaskFailure(f"cannot destroy '{ds}@{snap}': snapshot has dependent clones\n"
                              "use '-R' to destroy the following datasets:\n" + "\n".join(clones))
    lines: list[str] = []
    for ds in carriers:
        zfs.destroy_snapshot(st, f"{ds}@{snap}", False, False, lines)
    _out(t, *lines)


EXECUTORS = {
    "snapshot_take": (_noop, take_finish, _noop),
    "snapshot_restore": (_noop, restore_finish, _noop),
    "snapshot_modify": (_noop, modify_finish, _noop),
    "snapshot_delete": (_noop, delete_finish, _noop),
}


class MachineSnapshots:
    def __init__(self, sim):
        self.sim = sim
        self.st = sim.state

    def _machine(self, req) -> str:
        name = req.params["name"]
        if not valid_zone_name(name):
            raise error(400, "Invalid zone name")
        if name not in self.st.machines:
            raise error(404, "Machine not found")
        return name

    def _existing(self, name: str, snap: str) -> None:
        if not SNAP_NAME_RE.match(snap):
            raise error(400, f"Invalid snapshot name: {snap}")
        if not any(g["name"] == snap for g in grouped(self.st, name)):
            # [guess] the spec documents only 200 here; an unknown snapshot answers 404 before queueing
            raise error(404, f"Snapshot {snap} not found on machine {name}")

    def _queued(self, req, name, operation, snap, meta, message):
        t = create_task(self.sim, name, operation, created_by=req.actor,
                        metadata={"machine_name": name, "snapshot_name": snap, **meta},
                        ctx={"snapshot": snap, **meta})
        self.sim.engine.wake()
        return Response(200, {"success": True, "task_id": t["id"], "machine_name": name, "operation": operation,
                              "status": "pending", "message": message, "snapshot_name": snap})

    def list(self, req):
        name = self._machine(req)
        snaps = grouped(self.st, name)
        return Response(200, {"machine_name": name, "snapshots": snaps, "total": len(snaps)})

    def take(self, req):
        name = self._machine(req)
        body = body_of(req)
        snap, prefix = body.get("name"), body.get("prefix")
        if not snap and not prefix:
            raise error(400, "name or prefix is required")
        if snap and prefix:
            raise error(400, "Give either name or prefix, not both")
        retention = body.get("retention")
        if retention is not None and (isinstance(retention, bool) or not isinstance(retention, int) or retention < 1):
            raise error(400, "retention must be a positive integer")
        if prefix:
            # Snapshoter-style rotation names: <prefix>-<UTC stamp> [guess]
            snap = f"{prefix}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
        if not isinstance(snap, str) or not SNAP_NAME_RE.match(snap):
            raise error(400, f"Invalid snapshot name: {snap}")
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise error(400, "description must be a string")
        meta = {"description": description, "prefix": prefix, "retention": retention,
                "quiesce": bool(body.get("quiesce")), "live": body.get("live")}
        return self._queued(req, name, "snapshot_take", snap, meta, "Snapshot task queued")

    def restore(self, req):
        name = self._machine(req)
        snap = req.params["snap"]
        self._existing(name, snap)
        return self._queued(req, name, "snapshot_restore", snap, {}, "Restore task queued")

    def modify(self, req):
        name = self._machine(req)
        snap = req.params["snap"]
        body = body_of(req)
        new_name, description = body.get("new_name"), body.get("description")
        if new_name is None and description is None:
            raise error(400, "Neither new_name nor description provided")
        if new_name is not None and (not isinstance(new_name, str) or not SNAP_NAME_RE.match(new_name)):
            raise error(400, f"Invalid snapshot name: {new_name}")
        if description is not None and not isinstance(description, str):
            raise error(400, "description must be a string")
        self._existing(name, snap)
        return self._queued(req, name, "snapshot_modify", snap, {"new_name": new_name, "description": description},
                            "Modify task queued")

    def delete(self, req):
        name = self._machine(req)
        snap = req.params["snap"]
        self._existing(name, snap)
        return self._queued(req, name, "snapshot_delete", snap, {}, "Delete task queued")


def register(router, sim):
    if not sim.dialect.is_a:
        return None     # 0.2: Express's HTML 404
    m = MachineSnapshots(sim)
    base = f"/{sim.dialect.noun}/:name/snapshots"
    router.add("GET", base, m.list)
    router.add("POST", base, m.take)
    router.add("POST", f"{base}/:snap/restore", m.restore)
    router.add("PUT", f"{base}/:snap", m.modify)
    router.add("DELETE", f"{base}/:snap", m.delete)
    return m
