"""The task model (agent-api.md §2): rows, lifecycle, output, filters,
cancellation, dependencies and parent anchors."""
from __future__ import annotations

import json
import time

A_FIELDS = {"id", "machine_name", "operation", "status", "priority", "created_by", "depends_on", "parent_task_id",
            "error_message", "created_at", "started_at", "completed_at", "metadata", "progress_percent",
            "progress_info", "output", "createdAt", "updatedAt"}


def _wait_status(api, task_id, status, timeout=5.0):
    return api.wait(task_id, timeout=timeout, statuses={status})


def test_task_row_shape(api, gen):
    body = api.create()
    name = body[api.nk]
    r = api.post(api.m(name, "/start"))
    t = api.wait(r.json()["task_id"])
    assert t["status"] == "completed"
    expected = A_FIELDS if gen == "0.3.9" else (A_FIELDS - {"machine_name"}) | {"zone_name"}
    assert set(t) == expected
    assert t[api.nk] == name and t["operation"] == "start" and t["created_by"] == "test-admin"
    assert t["priority"] == 60 and t["progress_percent"] == 100
    assert isinstance(t["metadata"], str) and json.loads(t["metadata"])[api.nk] == name
    assert t["started_at"] and t["completed_at"] and t["error_message"] is None
    if gen == "0.3.9":
        assert t["output"] is None            # A nulls it in the detail
        row = api.get("/tasks", params={"limit": 1}).json()["tasks"][0]
        assert "output" not in row            # and omits it from list rows
    else:
        assert isinstance(t["output"], str) and json.loads(t["output"])


def test_task_output_lines(api):
    body = api.create()
    out = api.get(f"/tasks/{body['sub_tasks']['install']}/output").json()
    assert out["task_id"] == body["sub_tasks"]["install"] and out["status"] == "completed"
    assert all(set(line) == {"stream", "data", "timestamp"} for line in out["output"])
    assert all(isinstance(line["timestamp"], int) and line["timestamp"] > 1e12 for line in out["output"])
    assert any(line["data"] == f"zoneadm -z {body[api.nk]} install" for line in out["output"])
    assert {line["stream"] for line in out["output"]} <= {"stdout", "stderr", "system"}


def test_unknown_task(api):
    assert api.get("/tasks/nope").status_code == 404
    assert api.get("/tasks/nope").json() == {"error": "Task not found"}
    assert api.delete("/tasks/nope").status_code == 404
    assert api.get("/tasks/nope/output").status_code == 404


def test_list_filters(api):
    a = api.create("web01", "0001")
    api.create("web02", "0002")
    name = a[api.nk]
    tasks = api.get("/tasks", params={api.nk: name}).json()
    assert tasks["running_count"] == 0 and "total" not in tasks
    assert {t[api.nk] for t in tasks["tasks"]} == {name}
    ops = api.get("/tasks", params={"operation": "zone_create_install"}).json()["tasks"]
    assert len(ops) == 2
    ne = api.get("/tasks", params={"operation_ne": "zone_create_install", "include_count": "true"}).json()
    assert ne["total"] == 8 and all(t["operation"] != "zone_create_install" for t in ne["tasks"])
    assert len(api.get("/tasks", params={"limit": 3}).json()["tasks"]) == 3
    kids = api.get("/tasks", params={"parent_task_id": a["parent_task_id"], "sort": "created_at",
                                     "order": "ASC"}).json()["tasks"]
    assert [t["operation"] for t in kids] == ["zone_create_storage", "zone_create_config", "zone_create_install",
                                              "zone_create_finalize"]
    desc = api.get("/tasks").json()["tasks"]
    assert desc[0]["created_at"] >= desc[-1]["created_at"]
    assert api.get("/tasks", params={"status": "failed"}).json()["tasks"] == []
    future = api.get("/tasks", params={"since": "2999-01-01T00:00:00.000Z"}).json()["tasks"]
    assert future == []


def test_anchor_and_chain(api, gen):
    api.sim.knobs.hang_operations = {"zone_create_storage"}
    body = api.create(wait=False)
    anchor = api.task(body["parent_task_id"])
    if gen == "0.3.9":
        assert anchor["status"] == "running" and anchor["started_at"]   # born running, never dispatched
    kids = [api.task(body["sub_tasks"][k]) for k in ("storage", "config", "install", "finalize")]
    assert all(k["parent_task_id"] == anchor["id"] for k in kids)
    assert kids[0]["depends_on"] is None
    assert [k["depends_on"] for k in kids[1:]] == [k["id"] for k in kids[:-1]]
    _wait_status(api, kids[0]["id"], "running")
    api.sim.knobs.hang_operations = set()
    done = api.wait(anchor["id"])
    assert done["status"] == "completed"
    assert done["progress_info"] == {"completed_tasks": 4, "failed_tasks": 0, "total_tasks": 4, "status": "completed"}


def test_cancel_running_cascades_dependency_failed(api, gen):
    api.sim.knobs.hang_operations = {"zone_create_storage"}
    body = api.create(wait=False)
    storage = body["sub_tasks"]["storage"]
    _wait_status(api, storage, "running")
    r = api.delete(f"/tasks/{storage}")
    assert r.status_code == 200
    assert r.json()["success"] is True and r.json()["was_running"] is True and r.json()["task_id"] == storage
    for key in ("config", "install", "finalize"):
        t = api.wait(body["sub_tasks"][key])
        assert t["status"] == "cancelled" and t["error_message"] == "Dependency failed"
    anchor = api.wait(body["parent_task_id"])
    # A: every child failed/cancelled -> failed; Z's parent never ends failed
    assert anchor["status"] == ("failed" if gen == "0.3.9" else "completed_with_errors")
    r = api.delete(f"/tasks/{storage}")
    assert r.status_code == 400 and r.json() == {"error": "Task is cancelled", "current_status": "cancelled"}
    assert api.get(api.m(body[api.nk])).status_code == 404


def test_failed_task_mixed_anchor(api):
    api.sim.knobs.fail_operations = {"zone_create_install": "zoneadm: zone install failed: simulated"}
    body = api.create(wait=False)
    anchor = api.wait(body["parent_task_id"])
    assert anchor["status"] == "completed_with_errors"
    install = api.task(body["sub_tasks"]["install"])
    assert install["status"] == "failed" and install["error_message"] == "zoneadm: zone install failed: simulated"
    out = api.get(f"/tasks/{install['id']}/output").json()["output"]
    assert {"stream": "stderr", "data": "zoneadm: zone install failed: simulated"}.items() <= \
        [line for line in out if line["stream"] == "stderr"][0].items()
    assert api.task(body["sub_tasks"]["finalize"])["error_message"] == "Dependency failed"
    # the zone exists on the host, half installed, but never reached the DB
    assert api.get(api.m(body[api.nk])).status_code == 404
    state = api.get("/_sim/state").json()
    assert state["host_zones"][body[api.nk]]["state"] == "incomplete"


def test_cancel_pending_anchor_cascades(api_a):
    api = api_a
    api.sim.knobs.hang_operations = {"zone_create_storage"}
    body = api.create(wait=False)
    r = api.delete(f"/tasks/{body['parent_task_id']}")
    assert r.status_code == 200
    for key in ("storage", "config", "install", "finalize"):
        assert api.wait(body["sub_tasks"][key])["status"] == "cancelled"
    assert api.task(body["parent_task_id"])["status"] == "cancelled"


def test_one_running_task_per_machine(api):
    a = api.create("web01", "0001")[api.nk]
    b = api.create("web02", "0002")[api.nk]
    api.sim.knobs.hang_operations = {"zone_modify"}
    m1 = api.put(api.m(a), json={"ram": "4G"}).json()["task_id"]
    _wait_status(api, m1, "running")
    s1 = api.post(api.m(a, "/start")).json()["task_id"]
    s2 = api.post(api.m(b, "/start")).json()["task_id"]
    assert api.wait(s2)["status"] == "completed"      # other machine is not blocked
    time.sleep(0.2)
    assert api.task(s1)["status"] == "pending"         # same machine waits
    stats = api.get("/tasks/stats").json()
    assert stats["running_tasks"] == 1 and stats["pending_tasks"] == 1 and stats["max_concurrent_tasks"] == 5
    assert stats["task_processor_running"] is True
    api.sim.knobs.hang_operations = set()
    assert api.wait(m1)["status"] == "completed"
    assert api.wait(s1)["status"] == "completed"


def test_clear_completed(api):
    api.create()
    r = api.delete("/tasks/completed")
    assert r.status_code == 200 and r.json()["success"] is True and r.json()["deleted_count"] == 5
    assert api.get("/tasks").json()["tasks"] == []


def test_priority_then_age_ordering(api):
    """The poller picks the highest priority first, then the oldest."""
    from zoneweaver_sim.tasks import create_task
    sim = api.sim
    sim.knobs.hang_operations = {"discover"}
    with sim.state.lock:
        blocker = create_task(sim, "zone-x", "discover", created_by="t")
    api.wait(blocker["id"], statuses={"running"})
    with sim.state.lock:   # all queued behind the blocker on the same machine
        low = create_task(sim, "zone-x", "vnc_start", created_by="t", priority=40)
        old = create_task(sim, "zone-x", "vnc_start", created_by="t", priority=80)
        new = create_task(sim, "zone-x", "vnc_start", created_by="t", priority=80)
    sim.knobs.hang_operations = set()
    for t in (blocker, low, old, new):
        api.wait(t["id"])
    started = sorted((api.task(t["id"])["started_at"], name) for name, t in
                     (("low", low), ("old", old), ("new", new)))
    assert [name for _when, name in started] == ["old", "new", "low"]
