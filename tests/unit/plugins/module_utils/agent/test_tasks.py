import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import (
    TaskWaiter, chain_in_flight, task_ids_of)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import TaskError, TaskTimeoutError


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeClient:
    """Answers GET /tasks/{id} from a script of statuses, one per poll."""

    def __init__(self, scripts, output=None):
        self.scripts = {k: list(v) for k, v in scripts.items()}
        self.output = output or {}
        self.calls = []

    @staticmethod
    def segment(value):
        return value

    def get(self, path, **_):
        self.calls.append(path)
        parts = path.strip("/").split("/")
        task_id = parts[1]
        if len(parts) == 3:
            return {"task_id": task_id, "output": self.output.get(task_id, [])}
        script = self.scripts[task_id]
        status = script.pop(0) if len(script) > 1 else script[0]
        row = {"id": task_id, "operation": "start", "status": status}
        if status == "failed":
            row["error_message"] = "zoneadm: zone 'web': boot failed"
        if status == "cancelled":
            row["error_message"] = "Dependency failed"
        return row


def waiter(client, clock):
    return TaskWaiter(client, clock=clock.clock, sleep=clock.sleep)


def test_waits_until_completed_with_backoff():
    clock = FakeClock()
    client = FakeClient({"t1": ["pending", "running", "running", "completed"]})
    task = waiter(client, clock).wait("t1", 60)
    assert task["status"] == "completed"
    assert clock.sleeps[0] == pytest.approx(0.05)
    assert clock.sleeps == sorted(clock.sleeps)  # backs off, never speeds up


def test_first_polls_are_fast_so_completion_is_noticed_quickly():
    clock = FakeClock()
    client = FakeClient({"t1": ["running"] * 4 + ["completed"]})
    waiter(client, clock).wait("t1", 60)
    assert sum(clock.sleeps) < 0.5


def test_long_task_is_still_noticed_within_250ms():
    # The gap between two polls bounds how late a finish is seen (bench/task_detection.py measures it live).
    clock = FakeClock()
    client = FakeClient({"t1": ["running"] * 200 + ["completed"]})
    waiter(client, clock).wait("t1", 600)
    assert clock.now > 30
    assert max(clock.sleeps) <= 0.25


def test_timeout_names_task_and_uses_wall_clock():
    clock = FakeClock()
    client = FakeClient({"t1": ["running"]}, output={"t1": [{"stream": "stdout", "data": "still booting\n"}]})
    with pytest.raises(TaskTimeoutError) as err:
        waiter(client, clock).wait("t1", 5)
    assert "t1" in str(err.value) and "wait_timeout=5" in str(err.value)
    assert "still booting" in str(err.value)
    assert clock.now == pytest.approx(5, abs=0.01)
    assert err.value.task_id == "t1"


def test_failure_carries_output_tail():
    clock = FakeClock()
    lines = [{"stream": "stdout", "data": "line %d\n" % i} for i in range(40)]
    client = FakeClient({"t1": ["running", "failed"]}, output={"t1": lines})
    with pytest.raises(TaskError) as err:
        waiter(client, clock).wait("t1", 60)
    assert "boot failed" in str(err.value)
    assert err.value.output[-1] == "line 39" and len(err.value.output) == 20
    assert err.value.status == "failed"


def test_chain_reports_root_failure_not_cascade():
    clock = FakeClock()
    client = FakeClient({"a": ["completed"], "b": ["failed"], "c": ["cancelled"]})
    with pytest.raises(TaskError) as err:
        waiter(client, clock).wait_all([("storage", "a"), ("config", "b"), ("install", "c")], 60)
    assert err.value.task_id == "b"
    assert "step config" in str(err.value)


@pytest.mark.parametrize("status", ["completed_with_errors", "cancelled"])
def test_unsuccessful_terminal_statuses_fail(status):
    clock = FakeClock()
    with pytest.raises(TaskError):
        waiter(FakeClient({"t": [status]}), clock).wait("t", 10)


def test_task_ids_of_every_answer_shape():
    assert task_ids_of({"task_id": "t", "operation": "start"}) == [("start", "t")]
    assert task_ids_of({"parent_task_id": "p", "sub_tasks": {"storage": "a", "config": "b"}}) == [
        ("storage", "a"), ("config", "b")]
    assert task_ids_of({"restart_tasks": {"stop_task_id": "s", "start_task_id": "t"}}) == [("stop", "s"), ("start", "t")]
    assert task_ids_of({"delete_tasks": ["s", "d"]}) == [("stop", "s"), ("delete", "d")]
    assert task_ids_of({"status": "already_running"}) == []
    assert task_ids_of({"task_chain": [{"step": "boot", "task_id": "b"}, {"step": "setup_skipped"}]}) == [("boot", "b")]


def test_wait_visible_polls_until_the_list_catches_up():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.lists import wait_visible
    clock = FakeClock()
    answers = [None, None, None, {"name": "vnic0"}]
    got = wait_visible(lambda: answers.pop(0), True, 30, "VNIC vnic0", clock=clock.clock, sleep=clock.sleep)
    assert got == {"name": "vnic0"} and clock.now < 1.0


def test_wait_visible_times_out_with_the_reason():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.lists import wait_visible
    clock = FakeClock()
    with pytest.raises(TaskTimeoutError) as err:
        wait_visible(lambda: {"name": "vnic0"}, False, 3, "VNIC vnic0", clock=clock.clock, sleep=clock.sleep)
    assert "still listed" in str(err.value) and "~10 s" in str(err.value)


class TaskListClient:
    """Answers GET /tasks from a list of task rows, filtering as the agent does (by zone name and
    operation, newest first; or by parent, oldest first)."""

    def __init__(self, rows):
        self.rows = rows

    def get(self, path, params=None):
        assert path == "/tasks"
        params = params or {}
        if "parent_task_id" in params:
            rows = [r for r in self.rows if r.get("parent_task_id") == params["parent_task_id"]]
            return {"tasks": sorted(rows, key=lambda r: r["created_at"])}
        rows = [r for r in self.rows if r.get("zone_name") == params["machine_name"]
                and r["operation"] == params["operation"]]
        return {"tasks": sorted(rows, key=lambda r: r["created_at"], reverse=True)[:params["limit"]]}


def creation(anchor, created, statuses):
    rows = [{"id": anchor, "zone_name": "web", "operation": "zone_create_orchestration", "created_at": created,
             "status": "running"}]
    previous = None
    for index, (operation, status) in enumerate(statuses):
        task_id = "%s-%d" % (anchor, index)
        rows.append({"id": task_id, "zone_name": "web", "operation": operation, "status": status,
                     "parent_task_id": anchor, "depends_on": previous, "created_at": "%s.%d" % (created, index)})
        previous = task_id
    return rows


def test_chain_in_flight_answers_the_newest_running_chain_in_order():
    old = creation("a1", "2026-11-01", [("zone_create_storage", "completed"), ("zone_create_config", "failed")])
    new = creation("a2", "2026-11-22", [("zone_create_storage", "completed"), ("zone_create_config", "running"),
                                        ("zone_create_install", "pending")])
    found = chain_in_flight(TaskListClient(old + new), "machine_name", "web", "zone_create_orchestration")
    assert found is not None
    anchor, chain = found
    assert anchor == "a2"
    assert [t["operation"] for t in chain] == ["zone_create_storage", "zone_create_config", "zone_create_install"]


def test_chain_in_flight_is_none_when_nothing_was_queued_or_the_chain_has_ended():
    ended = creation("a1", "2026-11-22", [("zone_create_storage", "completed"), ("zone_create_config", "failed")])
    assert chain_in_flight(TaskListClient([]), "machine_name", "web", "zone_create_orchestration") is None
    assert chain_in_flight(TaskListClient(ended), "machine_name", "web", "zone_create_orchestration") is None
