"""zoneweaver.illumos.zone_provision against both simulator generations."""

ZONE = "0001--web01.example.com"
CREATE = {"name": "create", "zoneweaver.illumos.zone": {"name": ZONE, "state": "running", "vcpus": 1, "ram": "1G",
                                                        "boot_disk": {"type": "blank", "size": "10G"},
                                                        "nics": [{"global_nic": "igb0"}]}}
PROVISIONER = {"folders": [{"map": "./provisioning", "to": "/vagrant"}],
               "provisioners": [{"type": "ansible", "playbook": "site.yml"}]}


def prov_task(title, check=False, **options):
    task = {"name": title, "zoneweaver.illumos.zone_provision": dict({"name": ZONE}, **options), "register": "out"}
    if check:
        task["check_mode"] = True
    return task


def test_check_run_idempotent_and_force(play, sim):
    assert play([CREATE]).rc == 0
    sim.clear_log()
    checked = play([prov_task("check", check=True, provisioner=PROVISIONER)], extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    assert checked["check"]["changed"] is True
    assert checked["check"]["actions"] == ["set provisioner", "provision"]
    assert checked["check"]["diff"]["after"]["provisioner"] == PROVISIONER
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([prov_task("provision", provisioner=PROVISIONER),
                prov_task("again", provisioner=PROVISIONER),
                prov_task("forced", force=True)])
    assert run.rc == 0, run.output
    done = run["provision"]
    assert done["changed"] is True and done["provisioning_status"] == "provisioned"
    steps = {s["step"]: s for s in done["steps"]}
    assert steps["boot_skipped_already_running"]["status"] == "skipped"
    assert [s["step"] for s in done["steps"] if s["status"] != "skipped"] == \
        ["stage" if sim.generation == "0.3.9" else "extract", "wait_ssh", "sync", "provision"]
    assert all(s["status"] == "completed" for s in done["steps"] if s["task_id"])
    assert done["parent_task_id"]
    assert run["again"]["changed"] is False and run["again"]["actions"] == []
    assert run["forced"]["changed"] is True and run["forced"]["actions"] == ["provision"]


def test_failing_step_is_named_with_its_output(play, sim):
    assert play([CREATE]).rc == 0
    sim.knobs.update({"fail_operations": {"zone_wait_ssh": "ssh: connect to host 10.190.190.11 port 22: "
                                                           "Connection refused"}})
    run = play([dict(prov_task("provision", provisioner=PROVISIONER), ignore_errors=True)])
    assert run.outcome("provision") == "failed"
    result = run["provision"]
    assert "failed at step 'wait_ssh'" in result["msg"]
    assert "Connection refused" in result["msg"]
    assert "Waiting for SSH on 10.190.190.11:22" in result["msg"], "the step's own output is missing"
    assert result["failed_step"] == "wait_ssh" and result["task_id"]
    statuses = {s["step"]: s["status"] for s in result["steps"]}
    assert statuses["wait_ssh"] == "failed"
    assert statuses["provision"] == "cancelled", "the steps after the failure should show as the agent left them"
    sim.knobs.update({"fail_operations": {}})
    rerun = play([prov_task("retry", provisioner=PROVISIONER)])
    assert rerun.rc == 0 and rerun["retry"]["provisioning_status"] == "provisioned"


def test_refusals(play, sim):
    assert play([CREATE]).rc == 0
    sim.clear_log()
    run = play([dict(prov_task("no section"), ignore_errors=True),
                dict(prov_task("no zone", name="0009--ghost.example.com"), ignore_errors=True),
                dict(prov_task("bad section", provisioner="not-a-dict"), ignore_errors=True),
                dict(prov_task("bad name", name="web;reboot"), ignore_errors=True)])
    assert run.outcome("no section") == "failed"
    assert "No provisioning configuration" in run["no section"]["msg"]
    assert "does not exist" in run["no zone"]["msg"]
    assert run.outcome("bad section") == "failed" and run.outcome("bad name") == "failed"
    # only the agent's own refusal of the zone without a provisioning section reached it
    assert [(m["method"], m["path"].rsplit("/", 1)[-1], m["status"]) for m in sim.mutations()] == \
        [("POST", "provision", 400)]


def test_no_wait_returns_the_chain_to_follow(play, sim):
    assert play([CREATE]).rc == 0
    run = play([prov_task("start", provisioner=PROVISIONER, wait=False),
                {"name": "follow", "zoneweaver.illumos.task_info": {"task_id": "{{ out.parent_task_id }}",
                                                                    "wait": True}}])
    assert run.rc == 0, run.output
    assert run["start"]["changed"] is True
    assert {s["status"] for s in run["start"]["steps"]} <= {"pending", "skipped"}
    assert run["follow"]["task"]["status"] == "completed"
