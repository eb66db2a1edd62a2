# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ZFS snapshot resource: create/destroy `dataset@snap`, match its holds, roll back to it.

Reads: the dataset's detail (it must exist; `written` tells whether it changed
since its latest snapshot), its snapshots in creation order (`zfs list -t
snapshot` sorts a dataset's snapshots by creation), and the snapshot's holds.

Guards, all checked before any change:
- a held snapshot is not destroyed unless `holds: []` releases the holds first;
- a snapshot with clones is not destroyed (the agent cannot destroy dependent clones);
- rollback refuses when newer snapshots exist, because `zfs rollback -r`
  destroys them; `force_rollback: true` allows it.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import task_ids_of
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result, reconcile
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zfs_dataset import (
    HOLD_TAG_RE, check_snapshot_name, clone_names, numeric, storage_backend)

STATES = ("present", "absent")


def normalize_spec(params):
    """Validate and normalise the user's options. Raises InputError before any call."""
    dataset, snap = check_snapshot_name(params.get("name"))
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state must be present or absent, got %r" % state)
    holds = params.get("holds")
    if holds is not None:
        holds = sorted({values.check_pattern(tag, HOLD_TAG_RE, "hold tag", "letters, digits and _.:- (at most 255)")
                        for tag in holds})
    rollback = bool(params.get("rollback"))
    if rollback and state == "absent":
        raise InputError("rollback needs state=present: a snapshot cannot be rolled back to and destroyed at once")
    if params.get("force_rollback") and not rollback:
        raise InputError("force_rollback only applies with rollback: true")
    return {"name": "%s@%s" % (dataset, snap), "dataset": dataset, "snapshot": snap, "state": state, "holds": holds,
            "recursive": bool(params.get("recursive")), "rollback": rollback,
            "force_rollback": bool(params.get("force_rollback"))}


def newer_snapshots(name, rows):
    """Snapshots of the same dataset listed after `name` (zfs lists a dataset's snapshots oldest first)."""
    dataset = name.split("@", 1)[0]
    own = [r["name"] for r in rows if str(r.get("name", "")).split("@", 1)[0] == dataset]
    if name not in own:
        return []
    return own[own.index(name) + 1:]


def plan_holds(want, have):
    """(to_hold, to_release) to make the snapshot's hold tags equal `want` (None: leave them alone)."""
    if want is None:
        return [], []
    have = set(have or ())
    return sorted(set(want) - have), sorted(have - set(want))


def rollback_needed(newer, written):
    """True when rolling back would change something: newer snapshots, or data written since the snapshot
    (`written` of the dataset; None when unknown counts as written)."""
    return bool(newer) or written is None or written > 0


class ZfsSnapshotResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx
        self.tasks = []

    def _record(self, answer):
        """Keep the agent's task ids, so wait=false runs can be followed with task_info."""
        self.tasks.extend({"step": step, "task_id": task_id} for step, task_id in task_ids_of(answer))
        return answer

    def ensure(self, spec, params):
        return reconcile(self.ctx, lambda: self._ensure_once(spec, params))

    def read(self, spec):
        """(dataset detail, snapshot view or None, snapshot rows of the dataset); dataset None when it is missing."""
        dataset = self.backend.get_dataset(spec["dataset"])
        if dataset is None:
            return None, None, []
        rows = self.backend.list_datasets(root=spec["dataset"], kind="snapshot", recursive=True)
        row = next((r for r in rows if r.get("name") == spec["name"]), None)
        if row is None:
            return dataset, None, rows
        # A listing that carries the hold count (native) saves the holds read when there are none.
        holds = [] if row.get("userrefs") == 0 else self.backend.list_holds(spec["name"])
        snap = {"name": spec["name"], "dataset": spec["dataset"], "snapshot": spec["snapshot"],
                "used": row.get("used"), "refer": row.get("refer"), "holds": holds or [],
                "newer_snapshots": newer_snapshots(spec["name"], rows)}
        return dataset, snap, rows

    def _ensure_once(self, spec, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        name = spec["name"]
        dataset, snap, _rows = self.read(spec)
        result = new_result()
        if dataset is None:
            if spec["state"] == "absent":
                return self._finish(result, {}, {}, None)
            raise InputError("cannot snapshot %s: dataset %s does not exist" % (name, spec["dataset"]),
                             hint="create it first with zoneweaver.illumos.zfs_dataset")
        if spec["state"] == "absent":
            return self._absent(spec, snap, result, wait, timeout)

        before, after = {}, {}
        steps = []
        if snap is None:
            if spec["rollback"]:
                raise InputError("cannot roll back to %s: it does not exist" % name,
                                 hint="nothing was created; take the snapshot first without rollback")
            steps.append(("create", None))
            result["actions"].append("create" + (" recursively" if spec["recursive"] else ""))
            before["state"], after["state"] = "absent", "present"
            to_hold, to_release = plan_holds(spec["holds"], [])
        else:
            to_hold, to_release = plan_holds(spec["holds"], snap["holds"])
            if spec["rollback"]:
                newer = snap["newer_snapshots"]
                written = numeric(dataset["properties"], "written")
                if newer and not spec["force_rollback"]:
                    raise InputError("refusing to roll back %s to %s: newer snapshots exist (%s) and rolling back "
                                     "destroys them" % (spec["dataset"], name, ", ".join(newer)),
                                     hint="set force_rollback: true to destroy them", newer_snapshots=newer)
                if rollback_needed(newer, written):
                    steps.append(("rollback", bool(newer)))
                    result["actions"].append("roll back %s to %s%s" % (
                        spec["dataset"], spec["snapshot"], " destroying %s" % ", ".join(newer) if newer else ""))
                    before["rollback"] = {"newer_snapshots": newer, "written_since": _size(written)}
                    after["rollback"] = {"newer_snapshots": [], "written_since": "0"}
        for tag in to_hold:
            steps.append(("hold", tag))
        for tag in to_release:
            steps.append(("release", tag))
        if to_hold or to_release:
            if to_hold:
                result["actions"].append("hold " + ", ".join(to_hold))
            if to_release:
                result["actions"].append("release " + ", ".join(to_release))
            before["holds"] = snap["holds"] if snap else []
            after["holds"] = spec["holds"]
        if self.ctx.check_mode or not steps:
            return self._finish(result, before, after, snap)
        for index, (step, arg) in enumerate(steps):
            # Each step needs the previous one done (a hold needs the snapshot); wait=false spares only the last wait.
            now = wait or index < len(steps) - 1
            if step == "create":
                self._record(self.backend.create_snapshot(name, recursive=spec["recursive"], wait=now, timeout=timeout))
            elif step == "rollback":
                self._record(self.backend.rollback(name, destroy_newer=arg, wait=now, timeout=timeout))
            elif step == "hold":
                self._record(self.backend.hold(name, arg, recursive=spec["recursive"], wait=now, timeout=timeout))
            else:
                self._record(self.backend.release(name, arg, recursive=spec["recursive"], wait=now, timeout=timeout))
        if not wait:
            return self._finish(result, before, after, None)
        reread = self.read(spec)[1]
        if reread is None:
            raise ZoneweaverError("the agent reported %s as done, but snapshot %s does not exist" %
                                  (", ".join(result["actions"]), name))
        return self._finish(result, before, after, reread)

    def _absent(self, spec, snap, result, wait, timeout):
        name = spec["name"]
        if snap is None:
            return self._finish(result, {}, {}, None)
        to_release = plan_holds(spec["holds"], snap["holds"])[1] if spec["holds"] is not None else []
        kept = sorted(set(snap["holds"]) - set(to_release))
        if kept:
            raise InputError("refusing to destroy %s: it is held (%s) and ZFS keeps held snapshots" %
                             (name, ", ".join(kept)), hint="add holds: [] to release the holds first")
        detail = self.backend.get_dataset(name)
        clones = clone_names(detail["properties"]) if detail else []
        if clones:
            raise InputError("refusing to destroy %s: clones depend on it (%s)" % (name, ", ".join(clones)),
                             hint="destroy the clones first, or promote them (zfs promote)", clones=clones)
        for tag in to_release:
            result["actions"].append("release " + tag)
        result["actions"].append("destroy" + (" recursively" if spec["recursive"] else ""))
        before = {"state": "present", "holds": snap["holds"]}
        after = {"state": "absent"}
        if not self.ctx.check_mode:
            for tag in to_release:
                self._record(self.backend.release(name, tag, recursive=spec["recursive"], wait=True, timeout=timeout))
            self._record(self.backend.destroy_snapshot(name, recursive=spec["recursive"], wait=wait, timeout=timeout))
        return self._finish(result, before, after, None)

    def _finish(self, result, before, after, snap):
        result["snapshot"] = dict(snap) if snap else {}
        result["tasks"] = self.tasks
        return finish(self.ctx, result, before, after)


def _size(value):
    return None if value is None else values.format_size(value) if value else "0"


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zfs_snapshot)."""
    spec = normalize_spec(params)
    return ZfsSnapshotResource(storage_backend(params, ctx), ctx).ensure(spec, params)
