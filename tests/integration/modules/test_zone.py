"""zoneweaver.illumos.zone against both simulator generations, through ansible-playbook."""

from zw_harness import run_play

ZONE = "0001--web01.example.com"


def zone_task(name, check=False, **options):
    task = {"name": name, "zoneweaver.illumos.zone": dict({"name": ZONE}, **options), "register": "out"}
    if check:
        task["check_mode"] = True
    return task


CREATE = dict(state="running", vcpus=2, ram="2G", autoboot=False, brand="bhyve",
              boot_disk={"type": "blank", "size": "20G"},
              nics=[{"global_nic": "igb0", "vlan_id": 20}], tags=["web", "demo"], notes="integration")


def test_lifecycle_check_apply_idempotent(play, sim):
    checked = play([zone_task("check create", check=True, **CREATE)], extra_args=["--diff"])
    result = checked["check create"]
    assert checked.rc == 0, checked.output
    assert result["changed"] is True and result["actions"] == ["create and start"]
    assert result["diff"]["before"] == {"state": "absent"} and result["diff"]["after"]["ram"] == "2G"
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([zone_task("create", **CREATE), zone_task("again", **CREATE),
                zone_task("same values other forms", state="running", ram="2048M", vcpus="2",
                          tags=["demo", "web"], nics=[{"global_nic": "igb0", "vlan_id": "20"}])])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True
    assert created["zone"]["status"] == "running" and created["zone"]["ram"] == "2G"
    assert created["zone"]["nics"][0]["global_nic"] == "igb0" and created["zone"]["nics"][0]["vlan_id"] == 20
    assert run["again"]["changed"] is False and run["again"]["actions"] == []
    assert run["same values other forms"]["changed"] is False


def test_modify_running_zone_requires_reboot_then_restart_applies(play, sim):
    run = play([zone_task("create", **CREATE),
                zone_task("grow", check=True, ram="4G", vcpus=4),
                zone_task("grow for real", ram="4G", vcpus=4),
                zone_task("grow again", ram="4G", vcpus=4),
                zone_task("restart", state="restarted"),
                zone_task("after restart", state="running", ram="4G", vcpus=4)], extra_args=["--diff"])
    assert run.rc == 0, run.output
    assert run["grow"]["changed"] is True and run["grow"]["diff"]["after"] == {"ram": "4G", "vcpus": 4}
    assert run["grow for real"]["changed"] is True
    assert run["grow for real"]["reboot_required"] is True
    assert run["grow again"]["changed"] is False, "pending changes were queued twice"
    assert run["restart"]["changed"] is True
    assert run["after restart"]["changed"] is False
    assert run["after restart"]["zone"]["ram"] == "4G" and run["after restart"]["zone"]["vcpus"] == 4
    assert run["after restart"]["reboot_required"] is False


def test_stop_and_remove(play, sim):
    run = play([zone_task("create", **CREATE),
                zone_task("stop", state="stopped"),
                zone_task("stop again", state="stopped"),
                zone_task("remove check", check=True, state="absent"),
                zone_task("remove", state="absent"),
                zone_task("remove again", state="absent"),
                {"name": "gone", "zoneweaver.illumos.zone_info": {"name": ZONE}, "register": "info"}])
    assert run.rc == 0, run.output
    assert run["stop"]["changed"] is True and run["stop"]["zone"]["status"] == "installed"
    assert run["stop again"]["changed"] is False
    assert run["remove check"]["changed"] is True
    assert run["remove"]["changed"] is True and run["remove again"]["changed"] is False
    assert run["gone"]["zones"] == []


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("bad name", {"name": "web;reboot", "state": "running"}, "zone name"),
        ("bad ram", {"name": ZONE, "ram": "lots"}, "ram"),
        ("unknown brand", {"name": ZONE, "brand": "solaris10"}, "brand"),
        ("bad vlan", {"name": ZONE, "nics": [{"global_nic": "igb0", "vlan_id": 5000}]}, "vlan_id"),
    ]
    tasks = [{"name": n, "zoneweaver.illumos.zone": o, "ignore_errors": True} for n, o, _needle in bad]
    tasks.append({"name": "missing api_key", "zoneweaver.illumos.zone": {"name": ZONE, "api_key": ""},
                  "ignore_errors": True})
    run = play(tasks)
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed"
        assert needle in run[name]["msg"], run[name]["msg"]
    assert "api_key is required" in run["missing api_key"]["msg"]
    assert sim.mutations() == []


def test_failing_task_surfaces_task_id_and_output(play, sim):
    sim.knobs.fail_operations = {"zone_create_install": "zoneadm: zone '%s': install failed" % ZONE}
    run = play([dict(zone_task("create", **CREATE), ignore_errors=True)])
    result = run["create"]
    assert run.outcome("create") == "failed"
    assert result["task_id"] and result["task_id"] in result["msg"]
    assert result["operation"] == "zone_create_install"
    assert "install failed" in result["msg"]


def test_task_that_never_finishes_hits_wait_timeout(play, sim):
    sim.knobs.hang_operations = {"start"}
    run = play([zone_task("create", state="present", boot_disk={"type": "none"}),
                dict(zone_task("start", state="running", wait_timeout=2), ignore_errors=True)])
    result = run["start"]
    assert run.outcome("start") == "failed"
    assert "wait_timeout=2" in result["msg"] and result["task_id"] in result["msg"]
    assert "task_info" in result["msg"]


def test_wrong_key_gives_clear_auth_error(play, sim):
    run = play([{"name": "wrong key", "zoneweaver.illumos.zone": {"name": ZONE, "api_key": "hw_BBBBBBBBBBBBBBBB.wrong"},
                 "ignore_errors": True}])
    result = run["wrong key"]
    assert result["status"] == 403 and "wrong or revoked" in result["msg"]
    assert "hw_BBBBBBBBBBBBBBBB.wrong" not in run.output


def test_module_defaults_group_and_env_fallback(tmp_path, sim):
    run = run_play(tmp_path, [{"name": "from env", "zoneweaver.illumos.zone": {"name": ZONE}, "register": "r"}],
                   env={"ZONEWEAVER_URL": sim.url, "ZONEWEAVER_API_KEY": sim.admin_key})
    assert run.rc == 0, run.output
    assert run["from env"]["changed"] is True


def test_wait_false_returns_the_tasks_to_follow(play, sim):
    run = play([zone_task("create", wait=False, **CREATE),
                {"name": "follow", "zoneweaver.illumos.task_info": {
                    "task_id": "{{ out.tasks[-1].task_id }}", "wait": True}, "register": "followed"},
                zone_task("now there", state="running")])
    assert run.rc == 0, run.output
    steps = [t["step"] for t in run["create"]["tasks"]]
    assert steps[:2] == ["storage", "config"] and steps[-1] == "start"
    assert run["create"]["zone"] == {}
    assert run["follow"]["task"]["status"] == "completed"
    assert run["now there"]["changed"] is False


def test_a_creation_whose_answer_was_lost_is_followed_not_sent_twice(play, sim):
    """The agent queued the creation but its answer never arrived: the module finds the chain the
    agent runs for the zone (its row appears only at finalize, and a second POST is refused) and
    waits for it, so the task succeeds and the creation is sent once."""
    machines = "/" + sim.dialect.noun
    sim.knobs.update({"lose_reply_to": ["POST " + machines], "task_duration": 0.3})
    run = play([zone_task("create", **CREATE), zone_task("again", **CREATE)])
    assert run.rc == 0, run.output
    assert run["create"]["changed"] is True and run["create"]["zone"]["status"] == "running"
    assert run["again"]["changed"] is False
    posts = [e for e in sim.log if e["method"] == "POST" and e["path"] == machines]
    assert len(posts) == 1 and posts[0].get("reply_lost"), posts


def test_lost_answers_of_a_removal_and_a_change_are_not_sent_twice(play, sim):
    """A stopped zone's change and a removal are queued as tasks; when their answers are lost, the module
    waits for the zone's open tasks, re-reads, and reports the change, instead of sending it again."""
    machine = "/%s/%s" % (sim.dialect.noun, ZONE)
    stopped = dict(CREATE)
    stopped["state"] = "stopped"
    assert play([zone_task("create", **stopped)]).rc == 0
    sim.clear_log()
    sim.knobs.update({"lose_reply_to": ["PUT " + machine, "DELETE " + machine], "task_duration": 0.3})
    nics = CREATE["nics"] + [{"global_nic": "igb1"}]
    run = play([zone_task("second nic", state="stopped", nics=nics), zone_task("again", state="stopped", nics=nics),
                zone_task("remove", state="absent"), zone_task("gone", state="absent")])
    assert run.rc == 0, run.output
    assert run["second nic"]["changed"] is True and run["again"]["changed"] is False
    assert [n["global_nic"] for n in run["again"]["zone"]["nics"]] == ["igb0", "igb1"]
    assert run["remove"]["changed"] is True and run["gone"]["changed"] is False
    sent = [(m["method"], m["path"], bool(m.get("reply_lost"))) for m in sim.mutations()]
    assert sent == [("PUT", machine, True), ("DELETE", machine, True)], sent
