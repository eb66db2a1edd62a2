"""The async task model (agent-api.md §2): task rows, the poller that
dispatches them, dependencies, parent anchors, cancellation, restart recovery,
and the /tasks routes."""
from __future__ import annotations

import json
import math
import threading
import time

from .server import HTTPError, Response
from .util import epoch_ms, new_uuid, now_iso, parse_iso

# TaskQueue priorities
CRITICAL, HIGH, MEDIUM, SERVICE, LOW, BACKGROUND = 100, 80, 60, 50, 40, 20

TERMINAL = {"completed", "completed_with_errors", "failed", "cancelled"}
STATUSES = ("pending", "prepared", "running", "completed", "completed_with_errors", "failed", "cancelled")
EXEMPT_SCOPES = {"system", "artifact", "filesystem"}   # serialised by category locks instead
MAX_CONCURRENT = 5

FIELD_ORDER = ("id", "zone_name", "operation", "status", "priority", "created_by", "depends_on",
               "parent_task_id", "error_message", "created_at", "started_at", "completed_at",
               "metadata", "progress_percent", "progress_info", "output", "createdAt", "updatedAt")

# Category locks (A OperationCategories.js): at most one running task per
# category, whatever its zone_name.  The category names are the reference's
# (agent-api.md section 2); which operation sits in which category is read
# from the operation names [guess: IP addresses and forwarding share
# "network_ip"].
_CATEGORY_OPS = {
    "network_datalink": ("create_vnic", "delete_vnic", "set_vnic_properties", "create_aggregate",
                         "delete_aggregate", "modify_aggregate_links", "create_etherstub", "delete_etherstub",
                         "create_vlan", "delete_vlan", "create_bridge", "delete_bridge", "modify_bridge_links"),
    "network_ip": ("create_ip_address", "delete_ip_address", "enable_ip_address", "disable_ip_address",
                   "configure_forwarding"),
    "network_nat": ("create_nat_rule", "delete_nat_rule"),
    "network_dhcp": ("dhcp_update_config", "dhcp_add_host", "dhcp_remove_host", "dhcp_service_control"),
    "zfs_dataset": ("zfs_create_dataset", "zfs_destroy_dataset", "zfs_set_properties", "zfs_clone_dataset",
                    "zfs_promote_dataset", "zfs_rename_dataset", "zfs_create_snapshot", "zfs_destroy_snapshot",
                    "zfs_rollback_snapshot", "zfs_hold_snapshot", "zfs_release_snapshot"),
    "template": ("template_download", "template_delete", "template_upload", "template_export", "template_move"),
}
OPERATION_CATEGORIES = {op: cat for cat, ops in _CATEGORY_OPS.items() for op in ops}


def category_of(operation: str) -> str | None:
    if operation.startswith("zpool_"):
        return "zfs_pool"
    return OPERATION_CATEGORIES.get(operation)


def is_anchor(task: dict) -> bool:
    op = task["operation"]
    return op.endswith("_orchestration") or op.endswith("_parent")


class TaskFailure(Exception):
    """An executor's error string; becomes the task's error_message."""


def add_line(task: dict, data: str, stream: str = "stdout") -> None:
    task.setdefault("_lines", []).append({"stream": stream, "data": data, "timestamp": epoch_ms()})


def create_task(sim, zone_name: str, operation: str, *, created_by: str, priority: int = MEDIUM,
                depends_on: str | None = None, parent_task_id: str | None = None,
                metadata: dict | None = None, ctx: dict | None = None) -> dict:
    now = now_iso()
    anchor_running = sim.dialect.anchors_born_running and operation.endswith(("_orchestration", "_parent"))
    t = {
        "id": new_uuid(), "zone_name": zone_name, "operation": operation,
        "status": "running" if anchor_running else "pending", "priority": priority,
        "created_by": created_by, "depends_on": depends_on, "parent_task_id": parent_task_id,
        "error_message": None, "created_at": now, "started_at": now if anchor_running else None,
        "completed_at": None, "metadata": json.dumps(metadata, separators=(",", ":")) if metadata is not None else None,
        "progress_percent": 0, "progress_info": None, "output": None,
        "createdAt": now, "updatedAt": now,
        "_seq": sim.next_seq(), "_ctx": ctx or {}, "_lines": [],
    }
    if anchor_running:
        t["progress_info"] = {"completed_tasks": 0, "failed_tasks": 0, "total_tasks": 0, "status": "running"}
    sim.state.tasks[t["id"]] = t
    sim.state.dirty = True
    return t


def queue_host_task(sim, req, operation: str, *, metadata: dict, ctx: dict | None = None,
                    zone_name: str = "system", priority: int = MEDIUM) -> dict:
    """A task of the network/storage controllers: scope "system" (serialised by
    its category lock), metadata = the request's parameters.  Z takes a
    client-supplied created_by (agent-api.md section 4; the 0.2 spec has it in
    bodies and in DELETE queries)."""
    created_by = req.actor
    body = req.body if isinstance(req.body, dict) else {}
    if not sim.dialect.is_a:   # Z: from the body, or the query of a DELETE
        given = body.get("created_by") or req.q("created_by")
        if isinstance(given, str) and given:
            created_by = given
    t = create_task(sim, zone_name, operation, created_by=created_by, priority=priority, metadata=metadata, ctx=ctx)
    sim.engine.wake()
    return t


def task_created(t: dict, message: str, **echo) -> Response:
    """The TaskCreatedEnvelope: 202 {success, message, task_id, status, created_at, ...echoed fields}."""
    return Response(202, {"success": True, "message": message, "task_id": t["id"], "status": t["status"],
                          "created_at": t["created_at"], **echo})


def task_json(sim, t: dict, mode: str = "detail") -> dict:
    """mode: list (GET /tasks rows), detail (GET /tasks/:id), embedded
    (pending_tasks etc., which go through the model's toJSON)."""
    d = sim.dialect
    out = {}
    for k in FIELD_ORDER:
        if k == "zone_name":
            out[d.name_key] = t["zone_name"]   # 0.3.7-0.3.9 toJSON renames it
        elif k == "output":
            if d.list_omits_output and mode == "list":
                continue
            out["output"] = None if (d.list_omits_output and mode == "detail") else t.get("output")
        else:
            out[k] = t.get(k)
    return out


def _touch(t):
    t["updatedAt"] = now_iso()


def _store_output(t):
    t["output"] = json.dumps(t.get("_lines", []), separators=(",", ":"))


def finish_task(sim, t: dict, status: str, error_message: str | None = None) -> None:
    now = now_iso()
    t["status"] = status
    if error_message is not None:
        t["error_message"] = error_message
    t["completed_at"] = now
    if status == "completed":
        t["progress_percent"] = 100
    t["updatedAt"] = now
    _store_output(t)
    sim.state.dirty = True
    sim.engine.forget(t["id"])


class TaskEngine:
    """The TaskQueue poller: every poll it cancels dependents of failed tasks
    and dispatches runnable ones; running tasks end after the task_duration
    knob; anchors follow their children."""

    def __init__(self, sim):
        self.sim = sim
        self._deadlines: dict[str, float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def poll_interval(self) -> float:
        return self.sim.poll_interval

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="zoneweaver-sim-tasks", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self):
        self._wake.set()

    def forget(self, task_id: str):
        self._deadlines.pop(task_id, None)

    def _loop(self):
        next_poll = 0.0
        lock = self.sim.state.lock
        while not self._stop.is_set():
            now = time.monotonic()
            with lock:
                try:
                    self._finish_due(now)
                    if now >= next_poll:
                        self._resolve_dependencies()
                        self._dispatch(now)
                        next_poll = now + self.poll_interval
                    self.update_anchors()
                except Exception:   # never let the poller die
                    import traceback
                    traceback.print_exc()
                timeout = next_poll - now
                if self._deadlines:
                    timeout = min(timeout, min(self._deadlines.values()) - now)
            try:
                self.sim.state.save()
            except OSError:
                pass
            self._wake.wait(max(0.002, min(timeout, 1.0)))
            self._wake.clear()

    # ---------------------------------------------------------------- steps
    def _resolve_dependencies(self):
        tasks = self.sim.state.tasks
        changed = True
        while changed:   # cascade down a chain within one poll
            changed = False
            for t in tasks.values():
                if t["status"] != "pending" or not t["depends_on"]:
                    continue
                dep = tasks.get(t["depends_on"])
                if dep is None or dep["status"] in ("failed", "cancelled"):
                    finish_task(self.sim, t, "cancelled", "Dependency failed")
                    changed = True

    def _dispatch(self, now: float):
        from . import executors
        tasks = self.sim.state.tasks
        running = [t for t in tasks.values() if t["status"] == "running" and not is_anchor(t)]
        busy = {t["zone_name"] for t in running if t["zone_name"] not in EXEMPT_SCOPES}
        locked = {category_of(t["operation"]) for t in running} - {None}
        slots = MAX_CONCURRENT - len(running)
        pending = [t for t in tasks.values() if t["status"] == "pending"]
        pending.sort(key=lambda t: (-t["priority"], t["created_at"], t["_seq"]))
        for t in pending:
            if t["depends_on"]:
                dep = tasks.get(t["depends_on"])
                if dep is None or dep["status"] != "completed":
                    continue   # completed_with_errors deps leave it pending forever (as upstream)
            if is_anchor(t):
                # Z: the parent is dispatched as a no-op that keeps running
                t["status"] = "running"
                t["started_at"] = now_iso()
                _touch(t)
                self.sim.state.dirty = True
                continue
            if slots <= 0:
                break
            if t["zone_name"] in busy:
                continue
            cat = category_of(t["operation"])
            if cat is not None and cat in locked:
                continue
            self._start(t, now, executors)
            if t["status"] == "running":
                slots -= 1
                if t["zone_name"] not in EXEMPT_SCOPES:
                    busy.add(t["zone_name"])
                if cat is not None:
                    locked.add(cat)

    def _start(self, t, now, executors):
        t["status"] = "running"
        t["started_at"] = now_iso()
        _touch(t)
        self.sim.state.dirty = True
        add_line(t, f"Starting task {t['operation']} for {t['zone_name']}", "system")
        try:
            executors.begin(self.sim, t)
        except TaskFailure as exc:
            add_line(t, str(exc), "stderr")
            executors.on_fail(self.sim, t)
            finish_task(self.sim, t, "failed", str(exc))
            return
        knobs = self.sim.knobs
        if t["operation"] in knobs.hang_operations:
            self._deadlines[t["id"]] = math.inf
        else:
            self._deadlines[t["id"]] = now + knobs.task_duration

    def _finish_due(self, now: float):
        from . import executors
        tasks = self.sim.state.tasks
        hang = self.sim.knobs.hang_operations
        for tid, deadline in list(self._deadlines.items()):
            if deadline == math.inf and tasks.get(tid, {}).get("operation") not in hang:
                # released from hang_operations: run out a normal duration from now
                self._deadlines[tid] = now + self.sim.knobs.task_duration
                continue
            if deadline > now:
                continue
            self._deadlines.pop(tid, None)
            t = tasks.get(tid)
            if t is None or t["status"] != "running":
                continue
            injected = self.sim.knobs.fail_operations.get(t["operation"])
            try:
                if injected is not None:
                    raise TaskFailure(injected)
                executors.finish(self.sim, t)
            except TaskFailure as exc:
                add_line(t, str(exc), "stderr")
                executors.on_fail(self.sim, t)
                add_line(t, f"Task {t['operation']} failed", "system")
                finish_task(self.sim, t, "failed", str(exc))
                continue
            add_line(t, f"Task {t['operation']} completed successfully", "system")
            finish_task(self.sim, t, "completed")

    def update_anchors(self):
        tasks = self.sim.state.tasks
        can_fail = self.sim.dialect.anchor_can_fail
        for a in tasks.values():
            if a["status"] != "running" or not is_anchor(a):
                continue
            kids = [t for t in tasks.values() if t["parent_task_id"] == a["id"]]
            if not kids:
                continue
            done = sum(1 for k in kids if k["status"] == "completed")
            bad = sum(1 for k in kids if k["status"] in ("failed", "cancelled"))
            terminal = sum(1 for k in kids if k["status"] in TERMINAL)
            info = {"completed_tasks": done, "failed_tasks": bad, "total_tasks": len(kids), "status": "running"}
            pct = int(100 * terminal / len(kids))
            if terminal < len(kids):
                if info != a.get("progress_info") or pct != a.get("progress_percent"):
                    a["progress_info"], a["progress_percent"] = info, pct
                    _touch(a)
                    self.sim.state.dirty = True
                continue
            if done == len(kids):
                status = "completed"
            elif bad == len(kids) and can_fail:
                status = "failed"
            else:
                status = "completed_with_errors"
            info["status"] = status
            a["progress_info"] = info
            a["progress_percent"] = 100
            add_line(a, f"{done}/{len(kids)} sub-tasks completed, {bad} failed", "system")
            finish_task(self.sim, a, status, None if status == "completed" else
                        f"{bad} of {len(kids)} sub-tasks failed")

    # ---------------------------------------------------------------- control
    def cancel(self, t: dict) -> bool:
        """DELETE /tasks/:id.  Returns was_running."""
        from . import executors
        was_running = t["status"] == "running"
        if was_running and not is_anchor(t):
            add_line(t, "Task cancelled: sending SIGTERM to child processes", "system")
            executors.on_fail(self.sim, t)
        finish_task(self.sim, t, "cancelled")
        if is_anchor(t):   # cascade over the whole pipeline
            for k in self.sim.state.tasks.values():
                if k["parent_task_id"] == t["id"] and k["status"] not in TERMINAL:
                    self.cancel(k)
        return was_running

    def recover_after_restart(self):
        """index.js startup recovery (resume_pending_tasks_on_start off)."""
        self._deadlines.clear()
        for t in self.sim.state.tasks.values():
            if t["status"] == "running":
                finish_task(self.sim, t, "failed", "Agent restarted while task was running")
            elif t["status"] in ("pending", "prepared"):
                finish_task(self.sim, t, "cancelled")


# --------------------------------------------------------------------------- routes


def register(router, sim):
    d = sim.dialect
    st = sim.state

    def _get(req):
        t = st.tasks.get(req.params["taskId"])
        if t is None:
            raise HTTPError(404, {"error": "Task not found"})
        return t

    def list_tasks(req):
        rows = list(st.tasks.values())
        status = req.q("status")
        if status:
            rows = [t for t in rows if t["status"] == status]
        name = req.q(d.name_key)
        if name:
            rows = [t for t in rows if t["zone_name"] == name]
        op = req.q("operation")
        if op:
            rows = [t for t in rows if t["operation"] == op]
        op_ne = req.q("operation_ne")
        if op_ne:
            rows = [t for t in rows if t["operation"] != op_ne]
        parent = req.q("parent_task_id")
        if parent:
            rows = [t for t in rows if t["parent_task_id"] == parent]
        min_pri = req.q("min_priority")
        if min_pri not in (None, ""):
            try:
                rows = [t for t in rows if t["priority"] >= int(min_pri)]
            except ValueError:
                pass
        since = parse_iso(req.q("since") or "")
        if since is not None:
            rows = [t for t in rows if (parse_iso(t["updatedAt"]) or since) >= since]
        sort = req.q("sort") or "created_at"
        col = "zone_name" if sort == d.name_key else sort
        if col not in ("created_at", "priority", "status", "zone_name", "operation", "started_at", "completed_at"):
            col = "created_at"
        desc = (req.q("order") or "DESC").upper() != "ASC"
        rows.sort(key=lambda t: (t.get(col) if t.get(col) is not None else "" if col != "priority" else 0,
                                 t["_seq"]), reverse=desc)
        total = len(rows)
        try:
            limit = int(req.q("limit") or 50)
        except ValueError:
            limit = 50
        if limit > 0:
            rows = rows[:limit]
        body = {"tasks": [task_json(sim, t, "list") for t in rows],
                "running_count": sum(1 for t in st.tasks.values() if t["status"] == "running")}
        if req.q("include_count") == "true":
            body["total"] = total
        return Response(200, body)

    def stats(req):
        counts = {s: 0 for s in STATUSES}
        for t in st.tasks.values():
            counts[t["status"]] = counts.get(t["status"], 0) + 1
        return Response(200, {
            "pending_tasks": counts["pending"], "running_tasks": counts["running"],
            "completed_tasks": counts["completed"], "completed_with_errors_tasks": counts["completed_with_errors"],
            "failed_tasks": counts["failed"], "cancelled_tasks": counts["cancelled"],
            "max_concurrent_tasks": MAX_CONCURRENT, "task_processor_running": sim.engine.running})

    def clear_completed(req):
        doomed = [tid for tid, t in st.tasks.items() if t["status"] in TERMINAL]
        for tid in doomed:
            del st.tasks[tid]
        st.dirty = True
        return Response(200, {"success": True, "message": f"Deleted {len(doomed)} completed tasks",
                              "deleted_count": len(doomed)})

    def detail(req):
        return Response(200, task_json(sim, _get(req), "detail"))

    def output(req):
        t = _get(req)
        return Response(200, {"task_id": t["id"], "status": t["status"], "output": list(t.get("_lines", []))})

    def cancel(req):
        t = _get(req)
        if t["status"] in TERMINAL:
            raise HTTPError(400, {"error": f"Task is {t['status']}", "current_status": t["status"]})
        was_running = sim.engine.cancel(t)
        sim.engine.update_anchors()
        return Response(200, {"success": True, "task_id": t["id"], "was_running": was_running,
                              "message": "Running task cancelled" if was_running else "Task cancelled successfully"})

    router.add("GET", "/tasks", list_tasks)
    router.add("GET", "/tasks/stats", stats)
    router.add("DELETE", "/tasks/completed", clear_completed)
    router.add("GET", "/tasks/:taskId", detail)
    router.add("GET", "/tasks/:taskId/output", output)
    router.add("DELETE", "/tasks/:taskId", cancel)
