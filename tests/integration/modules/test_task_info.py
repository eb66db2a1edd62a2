"""zoneweaver.illumos.task_info against both simulator generations, through ansible-playbook."""

ZONE = "0001--tasks01.example.com"
UNKNOWN_TASK = "00000000-0000-4000-8000-000000000000"


def create_zone(name=ZONE, **options):
    """The zone module, returning once the agent accepted the work (wait: false)."""
    return {"name": "create " + name, "zoneweaver.illumos.zone": dict(
        {"name": name, "state": "running", "boot_disk": {"type": "none"}, "wait": False}, **options),
        "register": "created"}


def task_info(title, check=False, ignore_errors=False, **options):
    task = {"name": title, "zoneweaver.illumos.task_info": options, "register": "info"}
    if check:
        task["check_mode"] = True
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def test_list_follow_and_read_output(play, sim):
    start_id = "{{ starts.tasks[0].id }}"
    run = play([
        create_zone(),
        task_info("all of the zone", machine=ZONE),
        dict(task_info("its start", machine=ZONE, operation="start"), register="starts"),
        task_info("wait for the start", task_id=start_id, wait=True, output=True),
        task_info("read it again in check mode", check=True, task_id=start_id),
        task_info("completed ones", machine=ZONE, status="completed"),
        task_info("newest two", machine=ZONE, limit=2),
        task_info("another zone", machine="0001--nothing.example.com"),
        {"name": "the zone", "zoneweaver.illumos.zone_info": {"name": ZONE}},
    ])
    assert run.rc == 0, run.output
    assert run["create " + ZONE]["changed"] is True and run["create " + ZONE]["zone"] == {}

    listed = run["all of the zone"]["tasks"]
    operations = [t["operation"] for t in listed]
    assert operations[0] == "start", "newest first: the start is queued last"
    assert {"zone_create_orchestration", "zone_create_install", "start"} <= set(operations), operations
    assert all(t["machine"] == ZONE for t in listed)
    assert all("output" not in t for t in listed)
    assert isinstance(run["all of the zone"]["running_count"], int)

    starts = run["its start"]["tasks"]
    assert [t["operation"] for t in starts] == ["start"]
    done = run["wait for the start"]
    assert done["changed"] is False
    task = done["task"]
    assert task["id"] == starts[0]["id"] and task["status"] == "completed"
    assert task["machine"] == ZONE and task["operation"] == "start"
    assert isinstance(task["metadata"], dict), "metadata should be parsed from the agent's JSON text"
    assert task["output"] and all(set(line) == {"stream", "data", "timestamp"} for line in task["output"])
    assert task["output_text"] == "\n".join(line["data"] for line in task["output"])
    assert "start" in task["output_text"]

    again = run["read it again in check mode"]["task"]
    assert again["id"] == task["id"] and again["status"] == "completed" and "output" not in again

    completed = run["completed ones"]["tasks"]
    assert completed and all(t["status"] == "completed" for t in completed)
    assert task["id"] in [t["id"] for t in completed]
    assert [t["id"] for t in run["newest two"]["tasks"]] == [t["id"] for t in listed[:2]]
    assert run["another zone"]["tasks"] == []
    assert run["the zone"]["zones"][0]["status"] == "running"
    # Only the zone module changed anything: task_info only reads.
    assert [e["method"] for e in sim.mutations()] == ["POST"]


def test_failed_task_follows_fail_on_error(play, sim):
    sim.knobs.fail_operations = {"start": "zoneadm: zone '%s': boot failed" % ZONE}
    start_id = "{{ starts.tasks[0].id }}"
    run = play([
        create_zone(),
        dict(task_info("its start", machine=ZONE, operation="start"), register="starts"),
        task_info("wait and fail", ignore_errors=True, task_id=start_id, wait=True),
        task_info("wait, do not fail", task_id=start_id, wait=True, fail_on_error=False),
        task_info("read without waiting", task_id=start_id),
        task_info("failed ones", machine=ZONE, status="failed"),
        task_info("unknown task", ignore_errors=True, task_id=UNKNOWN_TASK),
        task_info("task_id with a filter", ignore_errors=True, task_id=UNKNOWN_TASK, machine=ZONE),
        task_info("output without task_id", ignore_errors=True, output=True),
    ])
    start_task = run["its start"]["tasks"][0]["id"]

    failed = run["wait and fail"]
    assert run.outcome("wait and fail") == "failed"
    assert failed["error_type"] == "TaskError" and failed["task_id"] == start_task
    assert failed["operation"] == "start" and failed["task_status"] == "failed"
    assert start_task in failed["msg"] and "boot failed" in failed["msg"]

    kept = run["wait, do not fail"]
    assert run.outcome("wait, do not fail") == "ok"
    assert kept["task"]["status"] == "failed" and "boot failed" in kept["task"]["error_message"]
    assert any(start_task in w and "failed" in w for w in kept["warnings"]), kept

    assert run.outcome("read without waiting") == "ok"
    assert run["read without waiting"]["task"]["status"] == "failed"
    assert start_task in [t["id"] for t in run["failed ones"]["tasks"]]

    unknown = run["unknown task"]
    assert run.outcome("unknown task") == "failed"
    assert unknown["status"] == 404 and "no task %s" % UNKNOWN_TASK in unknown["msg"]
    assert run.outcome("task_id with a filter") == "failed"
    assert "use one or the other" in run["task_id with a filter"]["msg"]
    assert run.outcome("output without task_id") == "failed"
    assert "output needs task_id" in run["output without task_id"]["msg"]
    assert [e["method"] for e in sim.mutations()] == ["POST"]


def test_wait_timeout_always_fails(play, sim):
    sim.knobs.hang_operations = {"zone_create_install"}
    run = play([
        create_zone(),
        dict(task_info("its install", machine=ZONE, operation="zone_create_install"), register="installs"),
        task_info("wait briefly", ignore_errors=True, task_id="{{ installs.tasks[0].id }}", wait=True,
                  wait_timeout=1, fail_on_error=False),
    ])
    result = run["wait briefly"]
    assert run.outcome("wait briefly") == "failed", "a task that never ends fails even with fail_on_error=false"
    assert result["error_type"] == "TaskTimeoutError" and "wait_timeout=1" in result["msg"]
    assert result["task_id"] == run["its install"]["tasks"][0]["id"]
