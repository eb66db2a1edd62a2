"""task_info against the simulator, both generations."""

from __future__ import annotations

import pytest

from zoneweaver_sim import Simulator

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect as dialects
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    InputError, NotFoundError, TaskError, TaskTimeoutError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import zone as zone_resource
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.task_info import (
    normalize_task, run)

ADMIN = {"0.3.9": "hw_TaskInfoAdmin001.adminSecretValue", "0.2": "wh_TaskInfoAdminSecretValue"}
WEB = "0001--web01.example.com"


def _params(sim, **params):
    base = {"api_url": sim.url, "api_key": ADMIN[sim.generation], "timeout": 10, "wait": False,
            "wait_timeout": 60, "output": False, "fail_on_error": True, "limit": 50}
    base.update(params)
    return base


@pytest.fixture(params=["0.3.9", "0.2"])
def sim(request):
    sim = Simulator(generation=request.param, timing="fast", admin_key=ADMIN[request.param]).start()
    dialects.forget(sim.url)  # a port reused by an earlier simulator of another generation
    zone_resource.run(_params(sim, name=WEB, state="stopped", ram="1G", wait=True, force=False,
                              cleanup_disks=True, cleanup_networking=True), RunContext())
    sim.clear_log()
    yield sim
    sim.stop()
    dialects.forget(sim.url)


@pytest.fixture(scope="module", params=["0.3.9", "0.2"])
def bare_sim(request):
    """A simulator without zones, shared by tests that must not reach it."""
    sim = Simulator(generation=request.param, timing="fast", admin_key=ADMIN[request.param]).start()
    dialects.forget(sim.url)
    yield sim
    sim.stop()
    dialects.forget(sim.url)


def _run(sim, check_mode=False, **params):
    ctx = RunContext(check_mode=check_mode)
    return run(_params(sim, **params), ctx), ctx


def _power(sim, action):
    """Queue a start/stop directly, the way a module with wait=false leaves it."""
    api = AgentApi.from_params(_params(sim))
    answer = api.client.post(api.dialect.machine_path(WEB, action), body={})
    return answer["task_id"]


def test_list_normalises_tasks(sim):
    result, _ctx = _run(sim, check_mode=True)
    tasks = result["tasks"]
    assert result["changed"] is False and isinstance(result["running_count"], int)
    assert {t["operation"] for t in tasks} >= {"zone_create_orchestration", "zone_create_finalize"}
    for task in tasks:
        assert task["machine"] == WEB
        assert "output" not in task
        assert task["metadata"] is None or isinstance(task["metadata"], (dict, list))
    assert sim.mutations() == []


def test_list_filters_and_limit(sim):
    _power(sim, "start")
    first, _ctx = _run(sim, task_id=None, machine=WEB, operation="start", wait=True)  # wait ignored: no task id
    assert [t["operation"] for t in first["tasks"]] == ["start"]
    sent = [e for e in sim.log if e["path"] == "/tasks"][-1]["query"]
    name_key = "machine_name" if sim.generation != "0.2" else "zone_name"
    assert sent.get(name_key) == WEB and sent.get("operation") == "start"
    limited, _ctx = _run(sim, limit=2)
    assert len(limited["tasks"]) == 2
    assert _run(sim, status="failed")[0]["tasks"] == []
    assert _run(sim, machine="0099--other.example.com")[0]["tasks"] == []


def test_one_task_with_output(sim):
    task_id = _power(sim, "start")
    result, _ctx = _run(sim, task_id=task_id, wait=True, output=True)
    task = result["task"]
    assert "tasks" not in result
    assert task["id"] == task_id and task["status"] == "completed"
    assert task["machine"] == WEB and task["operation"] == "start"
    assert task["output"], "the simulator writes output lines for a start"
    for line in task["output"]:
        assert set(line) == {"stream", "data", "timestamp"}
    assert isinstance(task["output_text"], str) and task["output_text"]
    assert "\n".join(str(line["data"]).rstrip("\n") for line in task["output"]) == task["output_text"]


def test_without_output_the_task_has_no_output_key(sim):
    task_id = _power(sim, "start")
    task = _run(sim, task_id=task_id)[0]["task"]
    assert "output" not in task and "output_text" not in task


def test_wait_in_check_mode_only_reads(sim):
    sim.knobs.task_duration = 0.3
    task_id = _power(sim, "start")
    sim.clear_log()
    result, _ctx = _run(sim, check_mode=True, task_id=task_id, wait=True)
    assert result["task"]["status"] == "completed"
    assert sim.mutations() == []


def test_unknown_task_is_a_clear_failure(sim):
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFoundError) as err:
        _run(sim, task_id=missing)
    assert str(err.value).startswith("no task %s on this agent" % missing)
    with pytest.raises(NotFoundError):
        _run(sim, task_id=missing, wait=True)


def test_wait_on_a_failing_task(sim):
    sim.knobs.fail_operations = {"start": "Simulated bhyve failure"}
    task_id = _power(sim, "start")
    with pytest.raises(TaskError) as err:
        _run(sim, task_id=task_id, wait=True)
    assert task_id in str(err.value) and "Simulated bhyve failure" in str(err.value)
    assert err.value.status == "failed"

    result, ctx = _run(sim, task_id=task_id, wait=True, fail_on_error=False, output=True)
    assert result["task"]["status"] == "failed"
    assert result["task"]["error_message"] == "Simulated bhyve failure"
    assert ctx.warnings == ["task %s ended failed" % task_id]
    # Without wait, a failed task is simply reported.
    assert _run(sim, task_id=task_id)[0]["task"]["status"] == "failed"


def test_wait_timeout_always_fails(sim):
    sim.knobs.hang_operations = ["start"]
    task_id = _power(sim, "start")
    for fail_on_error in (True, False):
        with pytest.raises(TaskTimeoutError) as err:
            _run(sim, task_id=task_id, wait=True, wait_timeout=1, fail_on_error=fail_on_error)
        assert task_id in str(err.value) and "wait_timeout=1" in str(err.value)
    sim.knobs.hang_operations = []


@pytest.mark.parametrize("params, match", [
    ({"task_id": "../etc"}, "invalid task_id"),
    ({"task_id": "abc", "status": "failed"}, "use one or the other"),
    ({"output": True}, "output needs task_id"),
    ({"status": "done"}, "status must be one of"),
    ({"operation": "rm -rf"}, "invalid operation"),
    ({"machine": "bad name"}, "invalid zone name"),
    ({"limit": 0}, "limit must be between"),
])
def test_bad_input_refused_before_any_request(bare_sim, params, match):
    bare_sim.clear_log()
    with pytest.raises(InputError, match=match):
        _run(bare_sim, **params)
    assert bare_sim.log == []


def test_normalize_task_shapes():
    assert normalize_task({"zone_name": "a", "metadata": '{"x": 1}'}) == {
        "zone_name": "a", "machine": "a", "metadata": {"x": 1}}
    assert normalize_task({"machine_name": "b", "metadata": {"y": 2}})["metadata"] == {"y": 2}
    assert normalize_task({"machine_name": "b", "metadata": "plain text"})["metadata"] == "plain text"
    assert normalize_task({"machine_name": "b", "metadata": "{broken"})["metadata"] == "{broken"
    assert normalize_task({"zone_name": "system"})["machine"] == "system"
