# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Machine snapshots: one name across every dataset of a zone (agent 0.3.9+, feature `machine-snapshots`).

GET {M}/snapshots lists them (grouped by snapshot name, with the datasets
carrying each); POST takes one, PUT edits its description, DELETE removes it,
POST .../restore rolls every dataset carrying it back (the machine must be
powered off; later snapshots are destroyed by the rollback).

state=restored is idempotent: nothing is done when the snapshot is the
machine's newest and none of its datasets was written since (`written` is 0).
Restoring past newer snapshots destroys them, so it needs `force_restore`.

With backend=native the same operations are `zfs snapshot -r` / `zfs destroy`
/ `zfs rollback -r` on the zone's datasets (native/storage.py), and snapshot
rows carry `createtxg`, which orders snapshots taken within the same second.
"""

from __future__ import annotations

import re
from datetime import datetime

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import task_ids_of
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result, reconcile
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zfs_dataset import numeric, storage_backend

SNAPSHOT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,255}$")
STATES = ("present", "absent", "restored")
STOPPED = frozenset(("installed", "configured", "incomplete", "down"))
NO_MACHINE_SNAPSHOTS = ("this agent generation (%s) has no machine snapshots; use zoneweaver.illumos.zfs_snapshot "
                        "on the zone's datasets")


def normalize_spec(params):
    """Validate and normalise the user's options. Raises InputError before any call."""
    machine = values.check_zone_name(params.get("machine"))
    name = values.check_pattern(params.get("name"), SNAPSHOT_NAME_RE, "snapshot name",
                                "start with a letter or digit, then letters, digits and _.:- (at most 256)")
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    description = params.get("description")
    if description is not None and state == "absent":
        raise InputError("description cannot be set on a snapshot that is being removed (state=absent)")
    if params.get("force_restore") and state != "restored":
        raise InputError("force_restore only applies with state=restored")
    return {"machine": machine, "name": name, "state": state, "description": description,
            "force_restore": bool(params.get("force_restore"))}


def _when(text):
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def newer_than(name, snapshots):
    """Names of the machine's snapshots created after `name`, oldest first.

    By createtxg when every row has one (native rows: creation times have whole seconds), else by creation time.
    """
    own = next((s for s in snapshots if s.get("name") == name), None)
    if own is not None and all(isinstance(s.get("createtxg"), int) for s in snapshots):
        later = sorted((s["createtxg"], s.get("name")) for s in snapshots if s["createtxg"] > own["createtxg"])
        return [n for _txg, n in later]
    mine = _when(own.get("created")) if own else None
    if mine is None:
        return []
    later = [(_when(s.get("created")), s.get("name")) for s in snapshots if s.get("name") != name]
    return [n for when, n in sorted((w, n) for w, n in later if w is not None and w > mine)]


def view(row, machine):
    if not row:
        return {}
    out = {"machine": machine, "name": row.get("name"), "description": row.get("description"),
           "created": row.get("created"), "datasets": row.get("dataset_names") or [],
           "used_bytes": row.get("used_bytes"), "holds": row.get("holds")}
    if isinstance(out["used_bytes"], str) and out["used_bytes"].isdigit():
        out["used_bytes"] = int(out["used_bytes"])
    return out


class ZoneSnapshotResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx
        self.tasks = []

    def _record(self, answer):
        """Keep the agent's task ids, so wait=false runs can be followed with task_info."""
        self.tasks.extend({"step": step, "task_id": task_id} for step, task_id in task_ids_of(answer))
        return answer

    def ensure(self, spec, params):
        if not self.backend.has_machine_snapshots:
            raise ZoneweaverError(NO_MACHINE_SNAPSHOTS % self.backend.dialect.version,
                                  hint="machine snapshots need agent 0.3.9 or later (feature machine-snapshots)")
        return reconcile(self.ctx, lambda: self._ensure_once(spec, params))

    def _find(self, spec):
        snapshots = self.backend.list_machine_snapshots(spec["machine"])
        if snapshots is None:
            return None, None
        return snapshots, next((s for s in snapshots if s.get("name") == spec["name"]), None)

    def _ensure_once(self, spec, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        machine, name, state = spec["machine"], spec["name"], spec["state"]
        snapshots, row = self._find(spec)
        result = new_result()
        if snapshots is None:
            if state == "absent":
                return self._finish(result, {}, {}, None, machine)
            where = "host" if self.backend.dialect.generation == "native" else "agent"
            raise InputError("machine %s does not exist on this %s" % (machine, where),
                             hint="check the name with zoneweaver.illumos.zone_info")
        before, after, steps = {}, {}, []
        if state == "absent":
            if row is not None:
                steps.append("delete")
                result["actions"].append("delete")
                before["state"], after["state"] = "present", "absent"
        elif row is None:
            if state == "restored":
                raise InputError("cannot restore %s to snapshot %s: it does not exist" % (machine, name),
                                 hint="take it first with state=present")
            steps.append("create")
            result["actions"].append("create")
            before["state"], after["state"] = "absent", "present"
            if spec["description"] is not None:
                after["description"] = spec["description"]
        else:
            if spec["description"] is not None and (row.get("description") or "") != spec["description"]:
                steps.append("describe")
                result["actions"].append("set description")
                before["description"], after["description"] = row.get("description"), spec["description"]
            if state == "restored":
                newer = newer_than(name, snapshots)
                if newer and not spec["force_restore"]:
                    raise InputError("refusing to restore %s to %s: newer snapshots exist (%s) and restoring destroys "
                                     "them" % (machine, name, ", ".join(newer)),
                                     hint="set force_restore: true to destroy them", newer_snapshots=newer)
                written = self._written_since(row)
                if newer or written is None or written:
                    status = self.backend.machine_status(machine)
                    if status not in STOPPED:
                        raise InputError("cannot restore %s to %s while it is %s: a restore needs the machine "
                                         "powered off" % (machine, name, status or "in an unknown state"),
                                         hint="stop it first with zoneweaver.illumos.zone state=stopped")
                    steps.append("restore")
                    result["actions"].append("restore" + (" destroying %s" % ", ".join(newer) if newer else ""))
                    before["restore"] = {"newer_snapshots": newer, "written_since": _size(written)}
                    after["restore"] = {"newer_snapshots": [], "written_since": "0"}
        if self.ctx.check_mode or not steps:
            return self._finish(result, before, after, row, machine)
        for index, step in enumerate(steps):
            now = wait or index < len(steps) - 1
            if step == "create":
                self._record(self.backend.create_machine_snapshot(machine, name, spec["description"], wait=now, timeout=timeout))
            elif step == "describe":
                self._record(self.backend.modify_machine_snapshot(machine, name, spec["description"], wait=now, timeout=timeout))
            elif step == "restore":
                self._record(self.backend.restore_machine_snapshot(machine, name, wait=now, timeout=timeout))
            else:
                self._record(self.backend.delete_machine_snapshot(machine, name, wait=now, timeout=timeout))
        if not wait:
            return self._finish(result, before, after, None, machine)
        row = self._find(spec)[1]
        if (row is None) != (state == "absent"):
            raise ZoneweaverError("the agent reported %s of snapshot %s of %s as done, but the snapshot %s"
                                  % (", ".join(result["actions"]), name, machine,
                                     "still exists" if row else "does not exist"))
        return self._finish(result, before, after, row, machine)

    def _written_since(self, row):
        """Bytes written to the snapshot's datasets since it was taken (None when unknown)."""
        total = 0
        for dataset in row.get("dataset_names") or ():
            detail = self.backend.get_dataset(dataset)
            written = numeric(detail["properties"], "written") if detail else None
            if written is None:
                return None
            total += written
        return total if row.get("dataset_names") else None

    def _finish(self, result, before, after, row, machine):
        result["snapshot"] = view(row, machine)
        result["tasks"] = self.tasks
        return finish(self.ctx, result, before, after)


def _size(value):
    return None if value is None else values.format_size(value) if value else "0"


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zone_snapshot)."""
    spec = normalize_spec(params)
    return ZoneSnapshotResource(storage_backend(params, ctx), ctx).ensure(spec, params)
