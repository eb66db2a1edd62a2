"""zoneweaver.illumos.zone / zone_info with backend=native, through ansible-playbook.

The play runs on localhost over the local connection; PATH (the play's
`environment:` keyword) puts the simulator's fake illumos commands first, so
the module's run_command reaches the same simulated host as the agent face.
"""

import pytest

from zw_harness import GENERATIONS, native_play, simulated_host

ZONE = "0001--web01.example.com"
ROOT = "rpool/zones/" + ZONE
CREATE = dict(state="running", vcpus=2, ram="2G", autoboot=False, boot_disk={"type": "blank", "size": "20G"},
              nics=[{"global_nic": "igb0", "vlan_id": 20}], tags=["web", "demo"], notes="native integration",
              disks=[{"size": "5G"}], cdroms=["/iso/debian.iso"])


def zone_task(name, check=False, **options):
    task = {"name": name, "zoneweaver.illumos.zone": dict({"name": ZONE, "backend": "native"}, **options),
            "register": "out"}
    if check:
        task["check_mode"] = True
    return task


def host_zone(sim, name=ZONE):
    return sim.state.host_zones.get(name)


def test_create_check_diff_then_idempotent(tmp_path, host):
    checked = native_play(tmp_path, host, [zone_task("check create", check=True, **CREATE)], ["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check create"]
    assert result["changed"] is True and result["actions"] == ["create and start"]
    assert result["diff"]["before"] == {"state": "absent"} and result["diff"]["after"]["ram"] == "2G"
    assert host.command_mutations() == [], "check mode ran a mutating command"
    assert host_zone(host) is None

    run = native_play(tmp_path, host, [
        zone_task("create", **CREATE),
        zone_task("again", **CREATE),
        zone_task("same values other forms", state="running", ram="2048M", vcpus="2", tags=["demo", "web"],
                  nics=[{"global_nic": "igb0", "vlan_id": "20"}]),
    ])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["actions"] == ["create and start"]
    zone = created["zone"]
    assert zone["status"] == "running" and zone["ram"] == "2G" and zone["vcpus"] == 2
    assert zone["nics"][0]["global_nic"] == "igb0" and zone["nics"][0]["vlan_id"] == 20
    assert zone["nics"][0]["physical"] == "vnice3_0001_0"      # the agent's VNIC naming
    assert sorted(zone["tags"]) == ["demo", "web"] and zone["notes"] == "native integration"
    assert zone["boot_disk"]["path"] == ROOT + "/boot"
    assert zone["disks"] == [{"name": "disk0", "path": ROOT + "/disk0"}]
    assert zone["cdroms"] == [{"name": "cdrom0", "path": "/iso/debian.iso"}]
    assert run["again"]["changed"] is False and run["again"]["actions"] == []
    assert run["same values other forms"]["changed"] is False

    # what the host now holds, seen through its own state
    assert host_zone(host)["state"] == "running"
    boot = host.state.datasets[ROOT + "/boot"]
    assert boot["type"] == "volume" and boot["volsize"] == 20 << 30
    assert boot["properties"]["zoneweaver:source"] == ZONE
    tools = [(c["tool"], c["argv"][:3]) for c in host.command_mutations()]
    assert tools == [("zfs", ["create", "-p", "-o"]), ("zfs", ["create", "-s", "-o"]),
                     ("zfs", ["create", "-s", "-o"]), ("zonecfg", ["-z", ZONE, "-f"]),
                     ("zoneadm", ["-z", ZONE, "install"]), ("zoneadm", ["-z", ZONE, "boot"])]


def test_modify_running_zone_reports_reboot_required(tmp_path, host):
    run = native_play(tmp_path, host, [zone_task("create", **CREATE)])
    assert run.rc == 0, run.output
    host.clear_commands()
    run = native_play(tmp_path, host, [
        zone_task("grow check", check=True, ram="4G", vcpus=4),
    ], ["--diff"])
    assert run.rc == 0, run.output
    assert run["grow check"]["changed"] is True
    assert run["grow check"]["diff"]["before"] == {"ram": "2G", "vcpus": 2}
    assert run["grow check"]["diff"]["after"] == {"ram": "4G", "vcpus": 4}
    assert run["grow check"]["reboot_required"] is True
    assert host.command_mutations() == []

    run = native_play(tmp_path, host, [
        zone_task("grow", ram="4G", vcpus=4),
        zone_task("grow again", ram="4G", vcpus=4),
        zone_task("retag", tags=["web"], notes="changed", autoboot=True),
        zone_task("restart", state="restarted"),
        zone_task("after restart", state="running", ram="4G", vcpus=4, tags=["web"]),
    ])
    assert run.rc == 0, run.output
    assert run["grow"]["changed"] is True and run["grow"]["actions"] == ["modify"]
    assert run["grow"]["reboot_required"] is True
    assert run["grow"]["zone"]["ram"] == "4G" and run["grow"]["zone"]["status"] == "running"
    assert run["grow again"]["changed"] is False
    assert run["retag"]["changed"] is True and run["retag"]["reboot_required"] is False
    assert run["retag"]["zone"]["tags"] == ["web"] and run["retag"]["zone"]["notes"] == "changed"
    assert run["retag"]["zone"]["autoboot"] is True
    assert run["restart"]["changed"] is True
    assert run["after restart"]["changed"] is False
    config = host_zone(host)["config"]
    assert config["ram"] == "4G" and config["vcpus"] == "4" and config["autoboot"] == "true"
    assert ["-z", ZONE, "reboot"] in [c["argv"] for c in host.commands() if c["tool"] == "zoneadm"]


def test_stop_and_absent(tmp_path, host):
    run = native_play(tmp_path, host, [
        zone_task("create", **CREATE),
        zone_task("stop", state="stopped"),
        zone_task("stop again", state="stopped"),
    ])
    assert run.rc == 0, run.output
    assert run["stop"]["changed"] is True and run["stop"]["zone"]["status"] == "installed"
    assert run["stop again"]["changed"] is False
    assert ["-z", ZONE, "shutdown"] in [c["argv"] for c in host.commands()]

    host.clear_commands()
    run = native_play(tmp_path, host, [zone_task("remove check", check=True, state="absent")], ["--diff"])
    assert run.rc == 0, run.output
    assert run["remove check"]["changed"] is True and run["remove check"]["diff"]["after"] == {"state": "absent"}
    assert host.command_mutations() == []

    run = native_play(tmp_path, host, [
        zone_task("remove", state="absent"),
        zone_task("remove again", state="absent"),
        {"name": "gone", "zoneweaver.illumos.zone_info": {"name": ZONE, "backend": "native"}, "register": "info"},
    ])
    assert run.rc == 0, run.output
    assert run["remove"]["changed"] is True and run["remove again"]["changed"] is False
    assert run["gone"]["zones"] == [] and run["gone"]["generation"] == "native"
    assert host_zone(host) is None
    assert not [d for d in host.state.datasets if d == ROOT or d.startswith(ROOT + "/")], "zvols were left"
    argv = [c["argv"] for c in host.command_mutations()]
    assert argv[:3] == [["-z", ZONE, "uninstall", "-F"], ["-z", ZONE, "delete", "-F"],
                        ["destroy", "-r", ROOT + "/boot"]]


def test_remove_running_zone_shuts_down_gracefully_then_halts_when_ignored(tmp_path, host):
    run = native_play(tmp_path, host, [zone_task("create", **CREATE)])
    assert run.rc == 0, run.output
    host.command_knobs["ignore_shutdown"] = True        # the guest never powers off
    host.clear_commands()
    run = native_play(tmp_path, host, [zone_task("remove", state="absent", wait_timeout=2)])
    assert run.rc == 0, run.output
    assert any("did not shut down" in w for w in run["remove"].get("warnings", [])), run["remove"]
    argv = [c["argv"] for c in host.command_mutations() if c["tool"] == "zoneadm"]
    assert argv[:2] == [["-z", ZONE, "shutdown"], ["-z", ZONE, "halt"]]
    assert host_zone(host) is None


def test_failed_command_is_reported_and_a_rerun_converges(tmp_path, host):
    host.command_knobs["fail"] = {"zoneadm install": "zoneadm: zone '%s': install failed: no space" % ZONE}
    run = native_play(tmp_path, host, [dict(zone_task("create", **CREATE), ignore_errors=True)])
    assert run.outcome("create") == "failed"
    result = run["create"]
    assert result["error_type"] == "CommandError" and result["rc"] == 1
    assert "zoneadm -z %s install" % ZONE in result["msg"] and "install failed: no space" in result["msg"]
    assert host_zone(host)["state"] == "configured"
    host.command_knobs["fail"] = {}
    run = native_play(tmp_path, host, [zone_task("rerun", **CREATE), zone_task("settled", **CREATE)])
    assert run.rc == 0, run.output
    assert run["rerun"]["changed"] is True and run["rerun"]["zone"]["status"] == "running"
    assert run["settled"]["changed"] is False


def test_bad_input_is_refused_before_any_command(tmp_path, host):
    bad = [
        ("bad name", {"name": "web;reboot", "state": "running"}, "zone name"),
        ("bad ram", {"ram": "lots"}, "ram"),
        ("kvm natively", {"brand": "kvm", "state": "present"}, "brand"),
        ("quote in notes", {"notes": 'say "hi"', "state": "present"}, "notes"),
        ("missing image", {"boot_disk": {"type": "image", "path": "rpool/vols/nope"}, "state": "present"},
         "rpool/vols/nope"),
        ("missing template", {"boot_disk": {"type": "template", "box": "STARTcloud/debian13"}, "state": "present"},
         "template"),
    ]
    tasks = [{"name": n, "zoneweaver.illumos.zone": dict({"name": ZONE, "backend": "native"}, **o),
              "ignore_errors": True} for n, o, _needle in bad]
    # check mode refuses the same: the native backend validates its plan with reads only
    tasks += [dict(t, name=t["name"] + " (check)", check_mode=True) for t in tasks[1:]]
    run = native_play(tmp_path, host, tasks)
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed", (name, run[name])
        assert needle in run[name]["msg"], run[name]["msg"]
        if name != "bad name":
            assert needle in run[name + " (check)"]["msg"], run[name + " (check)"]
    assert host.command_mutations() == []


def test_auto_without_api_url_is_native_and_zone_info_lists(tmp_path, host):
    run = native_play(tmp_path, host, [
        {"name": "auto create", "zoneweaver.illumos.zone": {"name": ZONE, "state": "present", "ram": "1G",
                                                            "boot_disk": {"type": "none"}}},
        {"name": "list", "zoneweaver.illumos.zone_info": {}, "register": "info"},
        {"name": "filtered", "zoneweaver.illumos.zone_info": {"status": "running"}, "register": "info"},
    ])
    assert run.rc == 0, run.output
    assert run["auto create"]["changed"] is True and run["auto create"]["zone"]["status"] == "installed"
    assert [z["name"] for z in run["list"]["zones"]] == [ZONE] and run["list"]["generation"] == "native"
    assert run["filtered"]["zones"] == []
    assert host_zone(host)["state"] == "installed"


@pytest.mark.parametrize("generation", GENERATIONS, ids=lambda g: "agent-" + g)
def test_one_host_two_faces(tmp_path, generation):
    """A zone made natively is read through the agent, and one made through the agent natively."""
    with simulated_host(generation) as sim:
        agent = {"api_url": sim.url, "api_key": sim.admin_key}
        run = native_play(tmp_path, sim, [
            zone_task("native create", **CREATE),
            {"name": "agent reads it", "zoneweaver.illumos.zone_info": dict(agent, name=ZONE), "register": "a"},
            {"name": "agent creates", "zoneweaver.illumos.zone": dict(
                agent, name="0002--db01.example.com", state="running", ram="1G", boot_disk={"type": "none"})},
            {"name": "native reads both", "zoneweaver.illumos.zone_info": {"backend": "native"}, "register": "n"},
            {"name": "native sees agent zone unchanged", "zoneweaver.illumos.zone": {
                "backend": "native", "name": "0002--db01.example.com", "state": "running", "ram": "1G"}},
        ])
        assert run.rc == 0, run.output
        seen = run["agent reads it"]["zones"]
        assert len(seen) == 1 and seen[0]["status"] == "running" and seen[0]["ram"] == "2G"
        assert seen[0]["nics"][0]["global_nic"] == "igb0" and seen[0]["boot_disk"]["path"] == ROOT + "/boot"
        assert sim.state.machines[ZONE]["auto_discovered"] is True
        names = {z["name"]: z for z in run["native reads both"]["zones"]}
        assert set(names) == {ZONE, "0002--db01.example.com"}
        assert names["0002--db01.example.com"]["status"] == "running" and names["0002--db01.example.com"]["ram"] == "1G"
        assert run["native sees agent zone unchanged"]["changed"] is False
