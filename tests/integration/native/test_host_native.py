"""host_info, ips_package and smf_service through ansible-playbook on localhost, with the simulator's fake
zoneadm/dladm/zpool/pkg/svcs/svcadm/svccfg first in PATH."""

from __future__ import annotations

from zw_harness import native_play

ORIGIN = "https://pkg.example.com/zoneweaver/"


def packages(title, check=False, **options):
    task = {"name": title, "zoneweaver.illumos.ips_package": options, "register": "out", "ignore_errors": True}
    if check:
        task["check_mode"] = True
    return task


def test_host_info_reads_the_simulated_host(tmp_path, host):
    run = native_play(tmp_path, host, [{"name": "info", "zoneweaver.illumos.host_info": {}, "register": "out"},
                                       {"name": "some", "zoneweaver.illumos.host_info": {"gather": ["pools"]},
                                        "register": "out"}])
    assert run.rc == 0, run.output[-3000:]
    info = run["info"]
    assert info["changed"] is False
    assert {p["name"] for p in info["pools"]} == set(host.state.pools)
    assert {l["link"] for l in info["links"]} >= {"igb0", "igb1", "ixgbe0"}
    assert info["zones"] == []
    assert info["memory"]["total_bytes"] >= info["memory"]["free_bytes"] > 0
    assert info["cpu"]["count"] >= 1 and info["cpu"]["free"] <= info["cpu"]["count"]
    assert set(run["some"]) >= {"pools"} and "zones" not in run["some"]
    assert host.command_mutations() == []


def test_ips_package_check_mode_apply_and_second_run(tmp_path, host):
    want = {"publisher": {"name": "zoneweaver", "origins": [ORIGIN]},
            "name": ["system/virtualization/zoneweaver-agent@0.3.9", "rsync"]}
    run = native_play(tmp_path, host, [packages("check", check=True, **want), packages("apply", **want),
                                       packages("again", **want),
                                       packages("latest", name=["rsync"], state="latest"),
                                       packages("latest again", name=["rsync"], state="latest"),
                                       packages("bad", name=["rsync@1"], state="latest")], ["--diff"])
    assert run["check"]["changed"] is True
    assert run["apply"]["packages"] == {"system/virtualization/zoneweaver-agent": "0.3.9-151054.0",
                                        "network/rsync": "3.3.0-151054.0"}
    assert run["again"]["changed"] is False and run["again"]["actions"] == []
    assert run["latest"]["changed"] is False         # install already took the newest rsync
    assert run["latest again"]["changed"] is False
    assert "only allowed with state=present" in run["bad"]["msg"]
    mutations = [m["argv"][0] for m in host.command_mutations()]
    assert mutations == ["set-publisher", "install"]  # check mode, the second run and latest changed nothing


def test_smf_service_properties_and_state(tmp_path, host):
    props = [{"name": "config/listen_ifnames", "value": ["igb0"]}]
    tasks = [{"name": "check", "zoneweaver.illumos.smf_service": {"name": "dhcp:ipv4", "properties": props,
                                                                  "state": "disabled"},
              "check_mode": True, "register": "out"},
             {"name": "set", "zoneweaver.illumos.smf_service": {"name": "dhcp:ipv4", "properties": props},
              "register": "out"},
             {"name": "again", "zoneweaver.illumos.smf_service": {"name": "dhcp:ipv4", "properties": props,
                                                                  "state": "disabled"},
              "register": "out"},
             {"name": "missing", "zoneweaver.illumos.smf_service": {"name": "no-such-service", "state": "enabled"},
              "register": "out", "ignore_errors": True}]
    run = native_play(tmp_path, host, tasks, ["--diff"])
    assert run["check"]["changed"] is True
    assert run["set"]["actions"] == ["svccfg -s dhcp:ipv4 setprop config/listen_ifnames", "svcadm refresh dhcp:ipv4"]
    assert run["again"]["changed"] is False
    assert "no SMF instance matches no-such-service" in run["missing"]["msg"]
    assert [m["tool"] for m in host.command_mutations()] == ["svccfg", "svcadm"]
