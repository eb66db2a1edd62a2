"""A run that fails after it changed the host reports changed=true (resources/common.py
report_partial_change): which failures count as 'the host changed', and what the result says."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import TaskWaiter
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, InputError, TaskError, TaskTimeoutError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import zone as zone_resource
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    backend_applied, left_changes, report_partial_change)


class ScriptedTasks:
    """GET /tasks/{id}: a fixed status per task."""

    def __init__(self, statuses):
        self.statuses = statuses

    @staticmethod
    def segment(value):
        return value

    def get(self, path, **_):
        parts = path.strip("/").split("/")
        if len(parts) == 3:
            return {"output": []}
        return {"id": parts[1], "operation": "op-" + parts[1], "status": self.statuses[parts[1]]}


def waiter(statuses):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
    return TaskWaiter(ScriptedTasks(statuses), clock=lambda: now[0], sleep=sleep)


def test_a_chain_failing_at_a_later_step_names_the_steps_it_applied():
    chain = [("storage", "t1"), ("config", "t2"), ("install", "t3"), ("finalize", "t4")]
    with pytest.raises(TaskError) as caught:
        waiter({"t1": "completed", "t2": "completed", "t3": "failed", "t4": "cancelled"}).wait_all(chain, 5)
    assert caught.value.steps_done == ["storage", "config"] and left_changes(caught.value)


def test_a_first_step_failing_left_nothing_but_a_timeout_always_did():
    with pytest.raises(TaskError) as first:
        waiter({"t1": "failed", "t2": "cancelled"}).wait_all([("stop", "t1"), ("delete", "t2")], 5)
    assert first.value.steps_done == [] and not left_changes(first.value)
    with pytest.raises(TaskTimeoutError) as slow:
        waiter({"t1": "running"}).wait_all([("start", "t1")], 1)
    assert left_changes(slow.value), "a task still running will change the host"


class Backend:
    def __init__(self, tasks=(), applied=()):
        self.tasks = [{"step": "s", "task_id": t} for t in tasks]
        self.runner = type("Runner", (), {"applied": list(applied)})()


def test_backend_applied_counts_only_steps_before_the_failing_one():
    failing_second = TaskError("delete failed", task_id="t2")
    assert backend_applied(Backend(["t1", "t2"]), failing_second), "t1 completed before t2 failed"
    assert not backend_applied(Backend(["t1"]), TaskError("create failed", task_id="t1"))
    assert backend_applied(Backend(["t1"]), AgentError("POST refused", status=400)), "t1 was applied before"
    assert not backend_applied(Backend(), AgentError("POST refused", status=400))
    assert backend_applied(Backend(applied=["dladm delete-vnic web0"]), InputError("later refusal"))


def test_the_failure_still_fails_and_says_changed_only_when_the_host_changed():
    with pytest.raises(TaskError) as caught:
        with report_partial_change(lambda exc: True):
            raise TaskError("install failed", task_id="t3")
    result = caught.value.to_result()
    assert result["changed"] is True and result["msg"] == "install failed"
    with pytest.raises(AgentError) as refused:
        with report_partial_change(lambda exc: False):
            raise AgentError("bad body", status=400)
    assert "changed" not in refused.value.to_result()


class SlowCreateBackend:
    """A zone backend whose creation is accepted, then outlives wait_timeout."""

    dialect = type("Dialect", (), {"name_key": "machine_name"})

    def read(self, name):
        return None

    def create(self, spec, start, wait, timeout):
        raise TaskTimeoutError("task z1 (zone_create_orchestration) did not finish within wait_timeout=2s",
                               task_id="z1", status="running")


def test_a_zone_creation_that_times_out_fails_with_changed_true():
    resource = zone_resource.ZoneResource(SlowCreateBackend(), RunContext())
    params = {"name": "0001--web01.example.com", "state": "present", "boot_disk": {"type": "blank", "size": "1G"},
              "wait_timeout": 2}
    with pytest.raises(TaskTimeoutError) as caught:
        resource.ensure(params)
    assert caught.value.to_result()["changed"] is True
