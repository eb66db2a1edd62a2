"""Machine (zone) routes, both generations (agent-api.md §3): list, detail,
config, server ids, power operations, delete, notes and tags; create and
modify live in machine_create.py / machine_modify.py (mixins).

`{M}` is /machines/:machineName on 0.3.9 and /zones/:zoneName on 0.2; the
dialect supplies the nouns and JSON keys."""
from __future__ import annotations

import copy

from . import zonecfg
from .machine_create import CreateMixin
from .machine_modify import ModifyMixin, redact_changes
from .server import Response, error
from .tasks import TERMINAL, create_task, task_json
from .util import now_iso

DOC_SECTIONS = ("settings", "zones", "networks", "disks", "provisioner", "provisioner_ref",
                "provisioner_state", "pending_changes", "guest_info", "snapshots", "metadata")


class Machines(CreateMixin, ModifyMixin):
    def __init__(self, sim):
        self.sim = sim
        self.d = sim.dialect
        self.st = sim.state

    # ------------------------------------------------------------------ helpers
    def row_or_404(self, name: str) -> dict:
        if not zonecfg.valid_zone_name(name):
            raise error(400, "Invalid zone name")
        row = self.st.machines.get(name)
        if row is None:
            raise error(404, "Zone not found")
        return row

    def merged_config(self, row: dict) -> dict:
        hz = self.st.host_zones.get(row["name"])
        cfg = copy.deepcopy(hz["config"]) if hz else {}
        doc = row.get("document") or {}
        if self.d.document_overlay:
            for k in DOC_SECTIONS:
                if k in doc:
                    cfg[k] = copy.deepcopy(doc[k])
        elif "provisioner" in doc:
            cfg["provisioner"] = copy.deepcopy(doc["provisioner"])
        return cfg

    def zone_json(self, row: dict) -> dict:
        keys = ("id", "name", "zone_id", "host", "status", "brand", "vnc_port", "is_orphaned", "auto_discovered",
                "last_seen", "server_id", "vm_type", "notes", "tags")
        out = {k: copy.deepcopy(row.get(k)) for k in keys}
        out["configuration"] = self.merged_config(row)
        out["createdAt"], out["updatedAt"] = row["createdAt"], row["updatedAt"]
        return out

    def refresh(self, row: dict) -> None:
        """Detail GETs refresh the DB row from the live zoneadm state."""
        hz = self.st.host_zones.get(row["name"])
        if hz is None:
            if not row.get("is_orphaned"):
                row["is_orphaned"] = True
                self.st.dirty = True
        elif row["status"] != hz["state"]:
            row["status"] = hz["state"]
            row["last_seen"] = row["updatedAt"] = now_iso()
            self.st.dirty = True

    def tasks_for(self, name: str, ops=None, statuses=("pending", "running")) -> list[dict]:
        return [t for t in self.st.tasks.values()
                if t["zone_name"] == name and t["status"] in statuses and (ops is None or t["operation"] in ops)]

    def answer(self, **body) -> Response:
        return Response(200, body)

    def doc(self, row: dict) -> dict:
        return row.setdefault("document", {})

    # ------------------------------------------------------------------ reads
    def list(self, req):
        rows = list(self.st.machines.values())
        status = req.q("status")
        if status:
            rows = [r for r in rows if r["status"] == status]
        tag = req.q("tag")
        if tag:
            rows = [r for r in rows if tag in (r.get("tags") or [])]
        orphaned = req.q("orphaned")
        if orphaned in ("true", "false"):
            rows = [r for r in rows if bool(r.get("is_orphaned")) == (orphaned == "true")]
        rows.sort(key=lambda r: r["name"])
        return Response(200, {self.d.list_key: [self.zone_json(r) for r in rows], "total": len(rows)})

    def detail(self, req):
        row = self.row_or_404(req.params["name"])
        self.refresh(row)
        hz = self.st.host_zones.get(row["name"])
        pending = sorted(self.tasks_for(row["name"]), key=lambda t: t["_seq"])[:10]
        body = {self.d.info_key: self.zone_json(row), "configuration": self.merged_config(row),
                "active_vnc_session": None, "pending_tasks": [task_json(self.sim, t, "embedded") for t in pending],
                "system_status": hz["state"] if hz else "not_found"}
        if self.d.pending_changes:
            body["pending_changes"] = copy.deepcopy(self.doc(row).get("pending_changes")) or None
            body["knob_current"] = zonecfg.knob_current(hz["config"] if hz else {})
        return Response(200, body)

    def config(self, req):
        row = self.row_or_404(req.params["name"])
        if row["name"] not in self.st.host_zones:
            raise error(404, "Zone not found")
        return Response(200, {self.d.name_key: row["name"], "configuration": self.merged_config(row)})

    def used_ids(self) -> dict[str, str]:
        used = {r["server_id"]: r["name"] for r in self.st.machines.values() if r.get("server_id")}
        # creates still in flight have claimed their id too
        for t in self.st.tasks.values():
            if t["operation"] == "zone_create_orchestration" and t["status"] not in TERMINAL:
                sid = t["_ctx"].get("server_id")
                if sid and sid not in used:
                    used[sid] = t["zone_name"]
        return used

    def next_id(self) -> str:
        used = {int(s) for s in self.used_ids() if s.isdigit()}
        n = 1
        while n in used:
            n += 1
        return f"{n:04d}"

    def ids(self, req):
        used = [{"server_id": r["server_id"], self.d.name_key: r["name"], "status": r["status"]}
                for r in sorted(self.st.machines.values(), key=lambda r: r.get("server_id") or "")
                if r.get("server_id")]
        return Response(200, {"used": used,
                              "constraints": {"format": "numeric", "min_length": 4, "max_length": 8,
                                              "min_value": 1, "max_value": 99999999},
                              "next_available": self.next_id(), "total_used": len(used)})

    def ids_next(self, req):
        return Response(200, {"server_id": self.next_id()})

    # ------------------------------------------------------------------ power
    def _apply_pending(self, req, row, depends_on=None) -> str | None:
        """A: accrued modify changes ride the next agent-driven power cycle."""
        if not self.d.pending_changes:
            return None
        doc = self.doc(row)
        changes = doc.get("pending_changes")
        if not changes:
            return None
        t = create_task(self.sim, row["name"], "zone_modify", created_by=req.actor, depends_on=depends_on,
                        metadata={self.d.name_key: row["name"], "changes": redact_changes(changes), "pending_apply": True},
                        ctx={"changes": changes})
        doc.pop("pending_changes", None)
        self.st.dirty = True
        return t["id"]

    def start(self, req):
        row = self.row_or_404(req.params["name"])
        name, nk = row["name"], self.d.name_key
        if row["status"] == "running":
            return self.answer(success=True, **{nk: name}, operation="start", status="already_running",
                               message="Zone is already running")
        queued = self.tasks_for(name, ops=("start",))
        if queued:
            return self.answer(success=True, task_id=queued[0]["id"], **{nk: name}, operation="start",
                               status="pending", message="Start task already queued")
        apply_id = self._apply_pending(req, row)
        t = create_task(self.sim, name, "start", created_by=req.actor, depends_on=apply_id, metadata={nk: name})
        return self.answer(success=True, task_id=t["id"], **{nk: name}, operation="start", status="pending",
                           message="Start task queued successfully")

    def stop(self, req):
        row = self.row_or_404(req.params["name"])
        name, nk = row["name"], self.d.name_key
        force = req.q("force") == "true"
        if row["status"] in ("configured", "installed"):
            return self.answer(success=True, **{nk: name}, operation="stop", status="already_stopped",
                               message="Zone is already stopped")
        for t in self.tasks_for(name, ops=("start",), statuses=("pending",)):
            self.sim.engine.cancel(t)   # a stop supersedes queued starts
        queued = self.tasks_for(name, ops=("stop",))
        if queued:
            return self.answer(success=True, task_id=queued[0]["id"], **{nk: name}, operation="stop",
                               status="pending", message="Stop task already queued", force=force)
        t = create_task(self.sim, name, "stop", created_by=req.actor, metadata={nk: name, "force": force},
                        ctx={"force": force})
        self._apply_pending(req, row, depends_on=t["id"])
        return self.answer(success=True, task_id=t["id"], **{nk: name}, operation="stop", status="pending",
                           message="Stop task queued successfully", force=force)

    def restart(self, req):
        row = self.row_or_404(req.params["name"])
        name, nk = row["name"], self.d.name_key
        stop = create_task(self.sim, name, "stop", created_by=req.actor, metadata={nk: name, "restart": True})
        apply_id = self._apply_pending(req, row, depends_on=stop["id"])
        start = create_task(self.sim, name, "start", created_by=req.actor, depends_on=apply_id or stop["id"],
                            metadata={nk: name, "restart": True})
        return self.answer(success=True, restart_tasks={"stop_task_id": stop["id"], "start_task_id": start["id"]},
                           **{nk: name}, operation="restart", status="pending",
                           message="Restart tasks queued successfully")

    def delete(self, req):
        row = self.row_or_404(req.params["name"])
        name, nk = row["name"], self.d.name_key
        force = bool(req.q("force"))          # any non-empty string, "false" included
        cleanup = req.q(self.d.cleanup_flag) == "true"
        cleanup_net = req.q("cleanup_networking") == "true"
        if row["status"] == "running" and not force:
            raise error(400, "Zone is running. Use force=true to stop and delete", current_status=row["status"])
        ids, prev = [], None
        if row["status"] == "running":
            stop = create_task(self.sim, name, "stop", created_by=req.actor, metadata={nk: name, "force": True},
                               ctx={"force": True})
            ids.append(stop["id"])
            prev = stop["id"]
        hz = self.st.host_zones.get(name)
        root = executors_root(hz)
        t = create_task(self.sim, name, "delete", created_by=req.actor, depends_on=prev,
                        metadata={nk: name, "force": force, self.d.cleanup_flag: cleanup,
                                  "cleanup_networking": cleanup_net},
                        ctx={"cleanup": cleanup, "cleanup_networking": cleanup_net, "root": root})
        ids.append(t["id"])
        return self.answer(success=True, delete_tasks=ids, **{nk: name}, operation="delete", status="pending",
                           message="Delete tasks queued successfully", force=force)

    # ------------------------------------------------------------------ notes / tags
    def notes_get(self, req):
        row = self.row_or_404(req.params["name"])
        return self.answer(**{self.d.name_key: row["name"]}, notes=row.get("notes"))

    def notes_put(self, req):
        row = self.row_or_404(req.params["name"])
        body = req.body if isinstance(req.body, dict) else {}
        notes = body.get("notes")
        if notes is not None and not isinstance(notes, str):
            raise error(400, "notes must be a string or null")
        row["notes"] = notes if notes != "" else None
        row["updatedAt"] = now_iso()
        self.st.dirty = True
        return self.answer(success=True, **{self.d.name_key: row["name"]}, notes=row["notes"])

    def tags_get(self, req):
        row = self.row_or_404(req.params["name"])
        return self.answer(**{self.d.name_key: row["name"]}, tags=list(row.get("tags") or []))

    def tags_put(self, req):
        row = self.row_or_404(req.params["name"])
        body = req.body if isinstance(req.body, dict) else {}
        tags = body.get("tags")
        if tags is not None and not (isinstance(tags, list) and all(isinstance(x, str) for x in tags)):
            raise error(400, "tags must be an array of strings or null")
        row["tags"] = [t.strip() for t in tags if t.strip()] if tags else None
        row["updatedAt"] = now_iso()
        self.st.dirty = True
        return self.answer(success=True, **{self.d.name_key: row["name"]}, tags=list(row["tags"] or []))


def executors_root(hz) -> str | None:
    if not hz:
        return None
    return hz["config"].get("zonepath", "").lstrip("/").rsplit("/path", 1)[0] or None


def register(router, sim):
    m = Machines(sim)
    d = sim.dialect
    base = f"/{d.noun}"
    item = f"{base}/:name"

    def destructure(prop, what):
        return {"error": f"Failed to {what}",
                "details": f"Cannot destructure property '{prop}' of 'req.body' as it is undefined."}

    router.add("GET", base, m.list)
    router.add("POST", base, m.create, needs_body=True, body_fail=destructure("settings", "queue creation task"))
    router.add("GET", f"{base}/ids", m.ids)
    router.add("GET", f"{base}/ids/next", m.ids_next)
    router.add("GET", item, m.detail)
    router.add("PUT", item, m.modify, needs_body=True, body_fail=destructure("ram", "queue modification task"))
    router.add("DELETE", item, m.delete)
    router.add("GET", f"{item}/config", m.config)
    router.add("POST", f"{item}/start", m.start)
    router.add("POST", f"{item}/stop", m.stop)
    router.add("POST", f"{item}/restart", m.restart)
    if d.pending_changes:
        router.add("DELETE", f"{item}/pending-changes", m.pending_clear)
        router.add("POST", f"{item}/pending-changes/apply", m.pending_apply)
    router.add("GET", f"{item}/notes", m.notes_get)
    router.add("PUT", f"{item}/notes", m.notes_put, needs_body=True, body_fail=destructure("notes", "update notes"))
    router.add("GET", f"{item}/tags", m.tags_get)
    router.add("PUT", f"{item}/tags", m.tags_put, needs_body=True, body_fail=destructure("tags", "update tags"))
    return m
