"""Knobs, the request log, restart recovery and persistence."""
from __future__ import annotations

import time

import pytest
import requests

from sim_helpers import Api, Simulator, bootstrap


def test_error_rate_never_mutates(api):
    api.sim.clear_log()
    api.sim.knobs.error_rate = 1.0
    seen = set()
    for i in range(12):
        r = api.post(f"/{api.noun}", json=api.create_body(f"web{i}", f"{i + 1:04d}"))
        assert r.status_code in (500, 502, 503)
        assert r.headers["Content-Type"].startswith("application/json") and "error" in r.json()
        seen.add(r.status_code)
    assert len(seen) >= 2
    api.sim.knobs.error_rate = 0.0
    assert api.get("/tasks").json()["tasks"] == []
    assert api.get(f"/{api.noun}").json()["total"] == 0
    statuses = [e["status"] for e in api.sim.mutations()]
    assert len(statuses) == 12 and all(s in (500, 502, 503) for s in statuses)


def test_drop_closes_socket_before_applying(api):
    api.sim.clear_log()
    api.sim.knobs.drop_rate = 1.0
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post(f"/{api.noun}", json=api.create_body())
    api.sim.knobs.drop_rate = 0.0
    assert api.get("/tasks").json()["tasks"] == []
    m = api.sim.mutations()
    assert len(m) == 1 and m[0]["status"] == 0


def test_lost_reply_applies_then_closes_without_answer(api):
    api.sim.clear_log()
    api.sim.knobs.lost_reply_rate = 1.0
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post(f"/{api.noun}", json=api.create_body())
    api.sim.knobs.lost_reply_rate = 0.0
    assert len(api.get("/tasks").json()["tasks"]) >= 1       # the creation was accepted all the same
    m = api.sim.mutations()
    assert len(m) == 1 and m[0]["status"] in (200, 202) and m[0]["reply_lost"] is True
    assert api.sim.knobs.to_dict()["lost_reply_rate"] == 0.0
    with pytest.raises(ValueError):
        api.sim.knobs.update({"lost_reply_rate": 1.5})


def test_lose_reply_to_loses_the_answer_of_the_next_matching_request_once(api):
    api.sim.clear_log()
    api.sim.knobs.update({"lose_reply_to": [f"post /{api.noun}"]})
    assert api.sim.knobs.to_dict()["lose_reply_to"] == [f"POST /{api.noun}"]
    assert api.get(f"/{api.noun}").status_code == 200       # another request is answered
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post(f"/{api.noun}", json=api.create_body("web1", "0001"))
    assert api.sim.knobs.to_dict()["lose_reply_to"] == []
    second = api.post(f"/{api.noun}", json=api.create_body("web2", "0002"))
    assert second.status_code in (200, 202)
    assert [bool(e.get("reply_lost")) for e in api.sim.mutations()] == [True, False]
    for bad in ("POST /machines", ["/machines"], [1]):
        with pytest.raises(ValueError):
            api.sim.knobs.update({"lose_reply_to": bad})


def test_seed_makes_the_fault_sequence_reproducible(api):
    knobs = api.sim.knobs
    knobs.update({"latency": [0.0, 0.001], "error_rate": 0.3, "drop_rate": 0.2})

    def sequence():
        knobs.seed(7)
        return [(knobs.sample_latency(), knobs.roll(knobs.drop_rate), knobs.roll(knobs.error_rate))
                for i in range(30)]

    first = sequence()
    assert first == sequence()
    assert any(roll[1] for roll in first) and any(roll[2] for roll in first)
    knobs.update({"latency": 0.0, "error_rate": 0.0, "drop_rate": 0.0})


def test_latency(api):
    api.sim.knobs.latency = 0.3
    t0 = time.monotonic()
    assert api.get("/tasks").status_code == 200
    assert time.monotonic() - t0 >= 0.3
    api.sim.knobs.latency = (0.1, 0.2)
    t0 = time.monotonic()
    api.get("/tasks")
    assert 0.1 <= time.monotonic() - t0 < 1.5
    with pytest.raises(ValueError):
        api.sim.knobs.latency = (0.5, 0.1)
    with pytest.raises(ValueError):
        api.sim.knobs.error_rate = 2


def test_task_duration_and_hang(api):
    name = api.create()[api.nk]
    api.sim.knobs.task_duration = 0.4
    tid = api.post(api.m(name, "/start")).json()["task_id"]
    api.wait(tid, statuses={"running"})
    assert api.machine(name)["status"] == "ready"     # booting: the transition is observable
    t = api.wait(tid)
    started = t["started_at"]
    assert t["status"] == "completed" and t["completed_at"] > started


def test_restart_recovery(api, gen):
    api.sim.knobs.hang_operations = {"zone_create_install"}
    body = api.create(wait=False)
    api.wait(body["sub_tasks"]["install"], statuses={"running"})
    api.sim.restart()
    install = api.task(body["sub_tasks"]["install"])
    assert install["status"] == "failed" and install["error_message"] == "Agent restarted while task was running"
    assert api.task(body["sub_tasks"]["finalize"])["status"] == "cancelled"
    anchor = api.task(body["parent_task_id"])
    assert anchor["status"] in (("failed",) if gen == "0.3.9" else ("failed", "completed_with_errors"))
    assert api.get("/tasks/stats").json()["task_processor_running"] is True
    # state kept: the key still works, new tasks run
    api.sim.knobs.hang_operations = set()
    assert api.create("web02", "0002")["parent_task_id"]


def test_restart_via_admin_endpoint(api):
    api.sim.knobs.hang_operations = {"zone_create_storage"}
    body = api.create(wait=False)
    api.wait(body["sub_tasks"]["storage"], statuses={"running"})
    assert requests.post(api.url + "/_sim/restart", timeout=10).json()["success"] is True
    assert api.task(body["sub_tasks"]["storage"])["status"] == "failed"
    assert api.task(body["sub_tasks"]["config"])["error_message"] in (None, "Dependency failed")


def test_state_persists_across_simulators(tmp_path, gen):
    s1 = Simulator(generation=gen, state_dir=str(tmp_path)).start()
    api = Api(s1)
    api.key = bootstrap(api)
    name = api.create()[api.nk]
    s1.stop()
    s2 = Simulator(generation=gen, state_dir=str(tmp_path)).start()
    try:
        api2 = Api(s2, api.key)
        assert s2.setup_token == s1.setup_token
        assert api2.machine(name)["status"] == "installed"
        assert api2.post("/api-keys/bootstrap", key=None, json={"setupToken": s2.setup_token}).status_code == 403
        api2.wait(api2.post(api2.m(name, "/start")).json()["task_id"])
    finally:
        s2.stop()
    with pytest.raises(ValueError):
        Simulator(generation="0.2" if gen == "0.3.9" else "0.3.9", state_dir=str(tmp_path))


def test_log_redaction_covers_every_spelling_of_a_secret_name():
    from zoneweaver_sim.log import MASK, redact
    body = {"apiKey": "k1", "api-key": "k2", "authToken": "t1", "auth_token": "t2", "newPassword": "p1",
            "nested": [{"Password": "p2", "setupToken": "s1"}], "token_type": "Bearer", "keyName": "ops"}
    out = redact(body)
    assert "k1" not in repr(out) and "t2" not in repr(out) and "p2" not in repr(out) and "s1" not in repr(out)
    assert out["apiKey"] == out["api-key"] == out["authToken"] == out["newPassword"] == MASK
    assert out["token_type"] == "Bearer" and out["keyName"] == "ops"      # look-alike names are kept


def test_log_redaction_and_auth_kind(api):
    sim = api.sim
    body = api.create_body(cloud_init={"password": "hunter2", "sshkey": "ssh-ed25519 K"})
    body["settings"]["vagrant_user_pass"] = "vagrant-secret"
    api.post(f"/{api.noun}", json=body)
    api.get("/tasks", key=None, headers={"X-API-Key": api.key})
    api.get("/tasks", key=None)
    api.post("/api-keys/generate", json={"name": "x", "api_key": "leak", "token": "leak2"})
    log = sim.log
    text = repr(log)
    for secret in (api.key, sim.setup_token, "hunter2", "vagrant-secret", "leak"):
        assert secret not in text
    boot = log[0]
    assert boot["path"] == "/api-keys/bootstrap" and boot["body"]["setupToken"] == "********"
    assert boot["auth"] == "none" and boot["status"] == 200
    create = log[1]
    assert create["body"]["cloud_init"] == {"password": "********", "sshkey": "ssh-ed25519 K"}
    assert create["body"]["settings"]["vagrant_user_pass"] == "********"
    assert create["auth"] == "bearer"
    assert [e["auth"] for e in log[2:4]] == ["x-api-key", "none"] and log[3]["status"] == 401
    assert set(log[2]) == {"method", "path", "query", "body", "status", "auth"}


def test_mutations_and_admin_endpoints(api):
    api.get("/tasks", params={"limit": 1})
    api.put(f"/{api.noun}/nope/notes", json={"notes": "x"})
    requests.get(api.url + "/_sim/log", timeout=10)
    m = api.sim.mutations()
    assert [(e["method"], e["path"]) for e in m] == [("POST", "/api-keys/bootstrap"),
                                                     ("PUT", f"/{api.noun}/nope/notes")]
    remote = requests.get(api.url + "/_sim/mutations", timeout=10).json()
    assert remote == m
    log = requests.get(api.url + "/_sim/log", timeout=10).json()
    assert not any(e["path"].startswith("/_sim") for e in log) and log[1]["query"] == {"limit": "1"}
    assert requests.delete(api.url + "/_sim/log", timeout=10).json()["cleared"] == 3
    assert api.sim.log == []
    api.get("/tasks")
    api.sim.clear_log()
    assert api.sim.log == []
    k = requests.put(api.url + "/_sim/knobs", timeout=10,
                     json={"latency": [0, 0.01], "fail_operations": {"start": "boom"}, "hang_operations": ["stop"]}).json()
    assert k["latency"] == [0.0, 0.01] and k["fail_operations"] == {"start": "boom"} and k["hang_operations"] == ["stop"]
    assert requests.get(api.url + "/_sim/knobs", timeout=10).json() == k
    assert api.sim.knobs.hang_operations == {"stop"}
    r = requests.put(api.url + "/_sim/knobs", json={"error_rate": 5}, timeout=10)
    assert r.status_code == 400 and api.sim.knobs.error_rate == 0
    assert requests.put(api.url + "/_sim/knobs", json={"nope": 1}, timeout=10).status_code == 400
    state = requests.get(api.url + "/_sim/state", timeout=10).json()
    assert state["generation"] == api.sim.generation
    assert all("api_key_hash" not in k for k in state["keys"])
    assert requests.get(api.url + "/_sim/nope", timeout=10).status_code == 404


def test_fail_operations_knob(api):
    name = api.create()[api.nk]
    api.sim.knobs.fail_operations = {"start": "zoneadm: zone 'x': boot failed"}
    t = api.wait(api.post(api.m(name, "/start")).json()["task_id"])
    assert t["status"] == "failed" and t["error_message"] == "zoneadm: zone 'x': boot failed"
    assert api.machine(name)["status"] == "installed"
    out = api.get(f"/tasks/{t['id']}/output").json()["output"]
    assert any(line["stream"] == "stderr" and line["data"] == t["error_message"] for line in out)
