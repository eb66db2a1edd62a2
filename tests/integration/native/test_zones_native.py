"""zoneweaver.illumos.zones with backend=native, through ansible-playbook: the module runs on localhost
(the host) and its commands reach the simulated host through the shims first in PATH."""

from zw_harness import native_play


def zone_item(index, **options):
    item = {"name": "%04d--nat%02d.example.com" % (index, index), "state": "running", "vcpus": 1, "ram": "1G",
            "boot_disk": {"type": "blank", "size": "10G"}, "nics": [{"global_nic": "igb0"}], "tags": ["env-native"]}
    item.update(options)
    return item


def zones_task(name, zones, check=False, **options):
    task = {"name": name, "zoneweaver.illumos.zones": dict({"zones": zones, "backend": "native"}, **options),
            "register": "out"}
    if check:
        task["check_mode"] = True
    return task


def command_lines(host):
    return [[c["tool"]] + c["argv"] for c in host.commands()]


def test_create_check_and_a_no_change_run_costs_one_list_and_one_config_per_zone(tmp_path, host):
    env = [zone_item(i) for i in range(1, 4)]
    checked = native_play(tmp_path, host, [zones_task("check", env, check=True)], ["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check"]
    assert result["changed"] is True and result["summary"]["created"] == 3
    assert sorted(result["diff"]["after"]) == sorted(z["name"] for z in env)
    assert host.command_mutations() == [], "check mode ran a mutating command"
    assert host.state.host_zones == {}

    run = native_play(tmp_path, host, [zones_task("create", env),
                                       {"name": "other", "zoneweaver.illumos.zone": {
                                           "name": "0009--other.example.com", "backend": "native",
                                           "boot_disk": {"type": "blank", "size": "1G"}}}])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["summary"] == {"total": 3, "changed": 3, "unchanged": 0, "failed": 0, "created": 3, "removed": 0}
    for result in created["results"]:
        assert result["zone"]["status"] == "running" and result["zone"]["ram"] == "1G"
        assert result["zone"]["nics"][0]["global_nic"] == "igb0" and result["zone"]["tags"] == ["env-native"]
    assert sorted(n for n, z in host.state.host_zones.items() if z["state"] == "running") == \
        sorted(z["name"] for z in env)

    host.clear_commands()
    again = native_play(tmp_path, host, [zones_task("again", env)])
    assert again.rc == 0, again.output
    assert again["again"]["changed"] is False and again["again"]["summary"]["unchanged"] == 3
    lines = command_lines(host)
    # 1 + N: one zone list, one configuration per listed zone (not the unlisted 0009--other)
    assert lines[0] == ["zoneadm", "list", "-cp"]
    assert sorted(lines[1:]) == sorted(["zonecfg", "-z", z["name"], "export"] for z in env), lines


def test_change_some_and_prune_the_rest_natively(tmp_path, host):
    env = [zone_item(i) for i in range(1, 4)]
    stray = zone_item(8)
    other = zone_item(9, tags=["other"])
    assert native_play(tmp_path, host, [zones_task("setup", env + [stray, other])]).rc == 0
    changed = [zone_item(1), zone_item(2, ram="2G"), zone_item(3, state="stopped")]

    host.clear_commands()
    checked = native_play(tmp_path, host, [zones_task("check", changed, check=True, prune=True,
                                                      prune_tag="env-native")], ["--diff"])
    assert checked.rc == 0, checked.output
    assert checked["check"]["pruned"] == [stray["name"]]
    assert host.command_mutations() == [], "check mode ran a mutating command"

    run = native_play(tmp_path, host, [zones_task("apply", changed, prune=True, prune_tag="env-native"),
                                       zones_task("again", changed, prune=True, prune_tag="env-native")],
                      ["--diff"])
    assert run.rc == 0, run.output
    by_name = {r["name"]: r for r in run["apply"]["results"]}
    assert by_name[changed[0]["name"]]["changed"] is False
    assert by_name[changed[1]["name"]]["actions"] == ["modify"]
    assert by_name[changed[1]["name"]]["diff"]["after"] == {"ram": "2G"}
    assert by_name[changed[1]["name"]]["reboot_required"] is True
    assert by_name[changed[2]["name"]]["actions"] == ["stop"]
    assert by_name[stray["name"]]["actions"] == ["delete"]
    assert other["name"] not in by_name, "a zone without the prune tag was touched"
    assert run["again"]["changed"] is False
    assert stray["name"] not in host.state.host_zones and other["name"] in host.state.host_zones
    assert host.state.host_zones[changed[2]["name"]]["state"] == "installed"
    assert host.state.host_zones[changed[1]["name"]]["config"]["ram"] == "2G"

    removed = native_play(tmp_path, host, [zones_task("remove", [dict(z, state="absent") for z in changed]),
                                           zones_task("remove again", [dict(z, state="absent") for z in changed])])
    assert removed.rc == 0, removed.output
    assert removed["remove"]["summary"]["removed"] == 3 and removed["remove again"]["changed"] is False
    assert sorted(host.state.host_zones) == [other["name"]]


def test_bad_input_and_secrets_natively(tmp_path, host):
    bad = native_play(tmp_path, host, [
        dict(zones_task("duplicate", [zone_item(1), zone_item(1)]), ignore_errors=True),
        dict(zones_task("bad ram", [zone_item(1, ram="lots")]), ignore_errors=True),
        dict(zones_task("prune without filter", [zone_item(1)], prune=True), ignore_errors=True),
    ])
    assert bad.outcome("duplicate") == "failed" and "listed twice" in bad["duplicate"]["msg"]
    assert bad.outcome("bad ram") == "failed" and "ram" in bad["bad ram"]["msg"]
    assert bad.outcome("prune without filter") == "failed" and "prune_tag" in bad["prune without filter"]["msg"]
    assert host.commands() == [], "bad input ran a command"

    secret = "S3cret-Native-Zones"
    run = native_play(tmp_path, host, [
        zones_task("with password", [zone_item(1, cloud_init={"enabled": True, "password": secret})])],
        ["--diff", "-v"])
    assert run.rc == 0, run.output
    assert run["with password"]["changed"] is True
    assert secret not in run.output and secret not in str(run["with password"])
