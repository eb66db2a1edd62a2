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


ADHOC = {"folders": [{"map": "./provisioning", "to": "/vagrant"}, {"map": "./data", "to": "/data"}],
         "provisioners": [{"type": "ansible", "playbook": "base.yml", "run": "always"},
                          {"type": "ansible", "playbook": "app.yml", "run": "always"}]}


def test_sync_and_run_provisioners_are_actions_followed_step_by_step(play, sim):
    assert play([CREATE]).rc == 0
    sim.clear_log()
    checked = play([prov_task("check sync", check=True, action="sync", provisioner=ADHOC),
                    prov_task("check run", check=True, action="run_provisioners", provisioner=ADHOC)],
                   extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    assert checked["check sync"]["changed"] is True
    assert checked["check sync"]["actions"] == ["set provisioner", "sync"]
    assert checked["check sync"]["planned"] == ["sync ./provisioning", "sync ./data"]
    assert checked["check run"]["planned"] == ["provision base.yml", "provision app.yml"]
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([prov_task("sync", action="sync", provisioner=ADHOC),
                prov_task("sync again", action="sync", provisioner=ADHOC),
                prov_task("run", action="run_provisioners")])
    assert run.rc == 0, run.output
    done = run["sync"]
    assert done["changed"] is True and done["actions"] == ["set provisioner", "sync"]
    assert [(s["step"], s["operation"], s["status"]) for s in done["steps"]] == \
        [("sync ./provisioning", "zone_sync", "completed"), ("sync ./data", "zone_sync", "completed")]
    assert done["parent_task_id"]
    assert run["sync again"]["changed"] is True and run["sync again"]["actions"] == ["sync"], \
        "sync is an action: it runs every time"
    ran = run["run"]
    assert ran["changed"] is True and ran["actions"] == ["run provisioners"]
    assert [(s["step"], s["status"]) for s in ran["steps"]] == \
        [("provision base.yml", "completed"), ("provision app.yml", "completed")]
    assert ran["provisioning_status"] == "provisioned"
    sent = [(m["method"], m["path"].split("/", 2)[-1]) for m in sim.mutations()]
    assert sent == [("PUT", ZONE), ("POST", ZONE + "/sync"), ("POST", ZONE + "/sync"),
                    ("POST", ZONE + "/run-provisioners")], "ad-hoc actions must not start the pipeline"


def test_failing_sync_and_provisioner_steps_are_named_with_their_output(play, sim):
    assert play([CREATE]).rc == 0
    sim.knobs.update({"fail_operations": {"zone_sync": "rsync: connection unexpectedly closed (0 bytes received)",
                                          "zone_provision": "fatal: [web01]: FAILED! => apt: no package nginx"}})
    run = play([dict(prov_task("sync", action="sync", provisioner=ADHOC), ignore_errors=True),
                dict(prov_task("run", action="run_provisioners"), ignore_errors=True)])
    assert run.outcome("sync") == "failed" and run.outcome("run") == "failed"
    sync = run["sync"]
    assert "folder sync of %s failed at step 'sync ./provisioning'" % ZONE in sync["msg"]
    assert "connection unexpectedly closed" in sync["msg"]
    assert "rsync -a ./provisioning vagrant@10.190.190." in sync["msg"], "the step's own output is missing"
    assert sync["failed_step"] == "sync ./provisioning"
    assert {s["step"]: s["status"] for s in sync["steps"]} == {"sync ./provisioning": "failed",
                                                               "sync ./data": "cancelled"}
    prov = run["run"]
    assert "provisioner run of %s failed at step 'provision base.yml'" % ZONE in prov["msg"]
    assert "apt: no package nginx" in prov["msg"]
    assert "ansible-playbook -i 10.190.190." in prov["msg"] and "base.yml" in prov["msg"]
    assert prov["failed_step"] == "provision base.yml"


def test_adhoc_refusals_before_any_request(play, sim):
    assert play([CREATE]).rc == 0
    sim.clear_log()
    run = play([dict(prov_task("skip_boot", action="sync", skip_boot=True), ignore_errors=True),
                dict(prov_task("force", action="run_provisioners", force=True), ignore_errors=True),
                dict(prov_task("no section", action="sync"), ignore_errors=True)])
    assert "skip_boot only apply to action=provision" in run["skip_boot"]["msg"]
    assert "force only apply to action=provision" in run["force"]["msg"]
    assert "No provisioning configuration" in run["no section"]["msg"]
    assert [(m["method"], m["path"].rsplit("/", 1)[-1], m["status"]) for m in sim.mutations()] == \
        [("POST", "sync", 400)]


def test_run_provisioners_with_nothing_to_run_is_unchanged_on_0_3_9(play, sim):
    if sim.generation != "0.3.9":
        return   # 0.2 has no run directives: every playbook runs every time
    assert play([CREATE]).rc == 0
    once = {"provisioners": [{"type": "ansible", "playbook": "site.yml"}]}
    run = play([prov_task("provision", provisioner=once), prov_task("run", action="run_provisioners")])
    assert run.rc == 0, run.output
    assert run["run"]["changed"] is False and run["run"]["steps"] == []
    assert run["run"]["playbooks_skipped"] == [{"playbook": "site.yml", "run": "once"}]
    assert "the agent ran nothing" in run.output


def test_host_hooks_need_a_one_time_confirmation(play, sim):
    hooked = dict(PROVISIONER, pre=[{"name": "open-firewall", "target": "host", "inline": "ipf -Fa"}])
    assert play([CREATE]).rc == 0
    if sim.generation != "0.3.9":
        run = play([prov_task("provision", provisioner=hooked, confirm_host_hooks=True)])
        assert run.rc == 0 and "confirm_host_hooks is ignored" in run.output
        return
    sim.agent_settings = {"provisioning": {"host_hooks": True}}
    run = play([dict(prov_task("unconfirmed", provisioner=hooked), ignore_errors=True)])
    failed = run["unconfirmed"]
    assert run.outcome("unconfirmed") == "failed"
    assert "runs hooks on the host itself (open-firewall)" in failed["msg"]
    assert "confirm_host_hooks=true" in failed["msg"] and failed["status"] == 409
    run = play([prov_task("confirmed", provisioner=hooked, confirm_host_hooks=True),
                prov_task("later", force=True)])
    assert run.rc == 0, run.output
    steps = [(s["step"], s["status"]) for s in run["confirmed"]["steps"] if s["task_id"]]
    assert ("pre_hook", "completed") in steps and steps[-1] == ("provision", "completed")
    assert run["later"]["changed"] is True, "the agent asks for the confirmation only once"


def test_lost_answers_are_read_back_and_the_queued_pipeline_followed(play, sim):
    """The section was stored and the pipeline queued, but neither answer arrived: the module reads
    the section back, finds the chain the agent runs, follows it, and sends each call once."""
    assert play([CREATE]).rc == 0
    zone_path = "/%s/%s" % (sim.dialect.noun, ZONE)
    sim.clear_log()
    sim.knobs.update({"lose_reply_to": ["PUT " + zone_path, "POST " + zone_path + "/provision"],
                      "task_duration": 0.2})
    run = play([prov_task("provision", provisioner=PROVISIONER), prov_task("again", provisioner=PROVISIONER)])
    assert run.rc == 0, run.output
    done = run["provision"]
    assert done["changed"] is True and done["provisioning_status"] == "provisioned"
    assert done["steps"] and all(s["status"] == "completed" for s in done["steps"] if s["task_id"])
    assert run["again"]["changed"] is False
    sent = [(m["method"], m["path"], bool(m.get("reply_lost"))) for m in sim.mutations()]
    assert sent == [("PUT", zone_path, True), ("POST", zone_path + "/provision", True)], sent


def test_a_lost_answer_of_a_folder_sync_follows_the_sync_the_agent_queued(play, sim):
    assert play([CREATE, prov_task("provision", provisioner=PROVISIONER)]).rc == 0
    sync_path = "/%s/%s/sync" % (sim.dialect.noun, ZONE)
    sim.clear_log()
    sim.knobs.update({"lose_reply_to": ["POST " + sync_path], "task_duration": 0.2})
    run = play([prov_task("sync", action="sync")])
    assert run.rc == 0, run.output
    assert run["sync"]["changed"] is True and run["sync"]["steps"]
    assert all(s["status"] == "completed" for s in run["sync"]["steps"])
    assert [(m["method"], m["path"]) for m in sim.mutations()] == [("POST", sync_path)]
