"""zoneweaver.illumos.zones against both simulator generations, through ansible-playbook."""


def zone_item(index, **options):
    item = {"name": "%04d--env%02d.example.com" % (index, index), "state": "running", "vcpus": 1, "ram": "1G",
            "boot_disk": {"type": "blank", "size": "10G"}, "tags": ["env-test"]}
    item.update(options)
    return item


def zones_task(name, zones, check=False, **options):
    task = {"name": name, "zoneweaver.illumos.zones": dict({"zones": zones}, **options), "register": "out"}
    if check:
        task["check_mode"] = True
    return task


def test_create_check_idempotent_and_one_list_read(play, sim):
    env = [zone_item(i) for i in range(1, 5)]
    checked = play([zones_task("check", env, check=True)], extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check"]
    assert result["changed"] is True and result["summary"]["created"] == 4
    assert sorted(result["diff"]["after"]) == sorted(z["name"] for z in env)
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([zones_task("create", env)])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["summary"] == {"total": 4, "changed": 4, "unchanged": 0, "failed": 0, "created": 4, "removed": 0}
    assert all(r["zone"]["status"] == "running" for r in created["results"])

    sim.clear_log()
    again = play([zones_task("again", env)])
    assert again.rc == 0, again.output
    assert again["again"]["changed"] is False and again["again"]["summary"]["unchanged"] == 4
    machine_reads = [e for e in sim.log if e["method"] == "GET" and e["path"] in ("/machines", "/zones")]
    per_zone_reads = [e for e in sim.log if e["method"] == "GET" and e["path"].count("/") == 2
                      and e["path"].startswith(("/machines/", "/zones/"))]
    assert len(machine_reads) == 1 and per_zone_reads == [], "a no-change run should read the list once"
    assert sim.mutations() == []


def test_change_some_and_prune_the_rest(play, sim):
    env = [zone_item(i) for i in range(1, 4)]
    stray = zone_item(9)
    other = zone_item(8, tags=["other"])
    assert play([zones_task("setup", env + [stray, other])]).rc == 0
    changed = [zone_item(1), zone_item(2, ram="2G"), zone_item(3, state="stopped")]
    checked = play([zones_task("check", changed, check=True, prune=True, prune_tag="env-test")],
                   extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    sim.clear_log()
    assert checked["check"]["pruned"] == [stray["name"]]
    run = play([zones_task("apply", changed, prune=True, prune_tag="env-test"),
                zones_task("again", changed, prune=True, prune_tag="env-test")], extra_args=["--diff"])
    assert run.rc == 0, run.output
    by_name = {r["name"]: r for r in run["apply"]["results"]}
    assert by_name[changed[0]["name"]]["changed"] is False
    assert by_name[changed[1]["name"]]["actions"] == ["modify"]
    assert by_name[changed[1]["name"]]["diff"]["after"] == {"ram": "2G"}
    assert by_name[changed[2]["name"]]["actions"] == ["stop"]
    assert by_name[stray["name"]]["actions"] == ["delete"]
    assert other["name"] not in by_name, "a zone without the prune tag was touched"
    assert run["apply"]["summary"]["removed"] == 1
    assert run["again"]["changed"] is False


def test_one_failing_zone_does_not_stop_the_others(play, sim):
    env = [zone_item(1), zone_item(2, boot_disk={"type": "image", "path": "rpool/does/not/exist"})]
    run = play([zones_task("mixed", env)])
    assert run.rc != 0
    result = run["mixed"]
    by_name = {r["name"]: r for r in result["results"]}
    assert by_name[env[0]["name"]]["changed"] is True and not by_name[env[0]["name"]].get("failed")
    assert by_name[env[1]["name"]]["failed"] is True
    assert env[1]["name"] in result["msg"] and result["summary"]["failed"] == 1


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("duplicate", {"zones": [zone_item(1), zone_item(1)]}, "listed twice"),
        ("bad ram", {"zones": [zone_item(1, ram="lots")]}, "ram"),
        ("bad name", {"zones": [zone_item(1, name="web;reboot")]}, "zone name"),
        ("prune without filter", {"zones": [zone_item(1)], "prune": True}, "prune_tag"),
        ("unknown option", {"zones": [zone_item(1, colour="red")]}, "colour"),
    ]
    run = play([{"name": name, "zoneweaver.illumos.zones": args, "ignore_errors": True} for name, args, _words in bad])
    for name, _args, words in bad:
        assert run.outcome(name) == "failed", name
        assert words in run[name]["msg"], (name, run[name]["msg"])
    assert sim.mutations() == []


def test_password_never_shown(play, sim):
    secret = "S3cret-Zones-Pass"
    env = [zone_item(1, cloud_init={"enabled": True, "password": secret})]
    run = play([zones_task("create", env)], extra_args=["--diff", "-v"])
    assert run.rc == 0, run.output
    assert secret not in run.output
    assert secret not in str(run["create"])
