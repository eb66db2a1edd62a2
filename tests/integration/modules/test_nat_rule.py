"""zoneweaver.illumos.nat_rule against both simulator generations, through ansible-playbook."""

PORTMAP = "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"
BIMAP = "bimap igb0 10.190.190.20/32 -> 203.0.113.20/32"


def nat_task(sim, name, check=False, ignore=False, **options):
    """A nat_rule task. The connection is given explicitly so the test does not depend on the
    action group listing in meta/runtime.yml."""
    args = dict({"api_url": sim.url, "api_key": sim.admin_key, "bridge": "igb0", "subnet": "10.190.190.0/24"},
                **options)
    task = {"name": name, "zoneweaver.illumos.nat_rule": args, "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


def test_apply_idempotent_check_and_diff(play, sim):
    checked = play([nat_task(sim, "check create", check=True)], extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check create"]
    assert result["changed"] is True and result["actions"] == ["create " + PORTMAP]
    assert result["diff"] == {"before": {"state": "absent"}, "after": {"state": "present", "raw_rule": PORTMAP}}
    assert result["rule"]["id"] is None and result["rule"]["raw_rule"] == PORTMAP
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([
        nat_task(sim, "create"),
        nat_task(sim, "again"),
        nat_task(sim, "same rule other forms", target="0.0.0.0/32", protocol="tcp/udp", type="portmap"),
        nat_task(sim, "bimap", type="bimap", subnet="10.190.190.20/32", target="203.0.113.20/32"),
        nat_task(sim, "bimap again check", check=True, type="bimap", subnet="10.190.190.20/32",
                 target="203.0.113.20/32"),
    ], extra_args=["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["rule"]["raw_rule"] == PORTMAP
    assert created["rule"]["id"], "the rule was not read back with its id"
    assert (created["rule"]["type"], created["rule"]["bridge"], created["rule"]["protocol"]) == ("portmap", "igb0",
                                                                                                 "tcp/udp")
    assert run["again"]["changed"] is False and run["again"]["rule"]["id"] == created["rule"]["id"]
    assert run["same rule other forms"]["changed"] is False
    assert run["bimap"]["changed"] is True and run["bimap"]["rule"]["raw_rule"] == BIMAP
    assert run["bimap again check"]["changed"] is False
    posts = [m for m in sim.mutations() if m["method"] == "POST"]
    assert len(posts) == 2, "an existing rule was posted again"


def test_removal_by_content(play, sim):
    run = play([
        nat_task(sim, "create"),
        nat_task(sim, "remove check", check=True, state="absent", target="0.0.0.0/32"),
        nat_task(sim, "remove", state="absent", target="0.0.0.0/32"),
        nat_task(sim, "remove again", state="absent"),
        {"name": "info", "zoneweaver.illumos.nat_rule_info": {"api_url": sim.url, "api_key": sim.admin_key},
         "register": "info"},
    ], extra_args=["--diff"])
    assert run.rc == 0, run.output
    rule_id = run["create"]["rule"]["id"]
    assert run["remove check"]["changed"] is True and run["remove check"]["actions"] == ["delete " + PORTMAP]
    removed = run["remove"]
    assert removed["changed"] is True and removed["rule"] == {}
    assert removed["diff"] == {"before": {"state": "present", "raw_rule": PORTMAP}, "after": {"state": "absent"}}
    assert run["remove again"]["changed"] is False
    assert run["info"]["configured_rules"] == []
    deletes = [m for m in sim.mutations() if m["method"] == "DELETE"]
    assert [m["path"] for m in deletes] == ["/network/nat/rules/" + rule_id]


def test_delete_of_a_rule_that_vanished_meanwhile_does_not_fail(play, sim):
    """The first removal is queued without waiting; the second reads the rule while that task is still
    pending and deletes it too. Its task then fails inside the agent ("not found"), which must not fail
    the module: it re-reads and finds the rule gone."""
    sim.knobs.task_duration = 0.8  # the queued removal is still pending when the next task reads
    run = play([nat_task(sim, "create"),
                nat_task(sim, "queue removal", state="absent", wait=False),
                nat_task(sim, "remove while it vanishes", state="absent")])
    assert run.rc == 0, run.output
    assert run["queue removal"]["changed"] is True and run["queue removal"]["task_ids"]
    raced = run["remove while it vanishes"]
    assert raced["changed"] is True and raced["rule"] == {}
    assert any("disappeared" in w for w in raced.get("warnings", [])), raced
    deletes = [m for m in sim.mutations() if m["method"] == "DELETE"]
    assert len(deletes) == 2 and deletes[0]["path"] == deletes[1]["path"]


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("subnet without prefix", {"subnet": "10.190.190.0"}, "needs a prefix length"),
        ("subnet with host bits", {"subnet": "10.190.190.7/24"}, "did you mean 10.190.190.0/24"),
        ("protocol on bimap", {"type": "bimap", "protocol": "tcp", "target": "203.0.113.20/32"},
         "only to type=portmap"),
        ("bad bridge", {"bridge": "igb0'; reboot; '"}, "invalid bridge"),
        ("bad target", {"target": "the internet"}, "target"),
    ]
    run = play([nat_task(sim, name, ignore=True, **options) for name, options, _needle in bad])
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed", run[name]
        assert needle in run[name]["msg"], run[name]["msg"]
    assert sim.log == [], "bad input cost a request"
