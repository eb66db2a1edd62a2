"""host_network and zone roles with backend=native (zoneweaver_connection: {backend: native}): the modules
run the simulator's fake illumos commands on localhost, found first on PATH through the play's environment."""

import yaml

from zoneweaver_sim import natdhcp
from zw_harness import NATIVE_ENV, run_playbook, shims_on_path, simulated_host

ZONES = [{"name": "web01.native.example.com", "vcpus": 2, "ram": "2G", "disk": "10G",
          "nics": [{"ip": "10.190.190.11"}], "tags": ["native"]},
         {"name": "db01.native.example.com", "ram": "1G", "disk": "10G",
          "nics": [{"address": "10.190.190.21/24"}]}]


def roles_playbook(tmp_path, sim, state):
    # the simulated host's files live under its files root: point the NAT and DHCP modules at them
    nat_conf = natdhcp.host_path(sim, "/etc/ipf/ipnat.conf")
    dhcp_conf = natdhcp.host_path(sim, "/etc/dhcpd.conf")
    play = {"name": "native roles", "hosts": "localhost", "gather_facts": False,
            "environment": {"PATH": shims_on_path(sim, tmp_path / "shims")},
            "module_defaults": {"zoneweaver.illumos.nat_rule": {"config_file": nat_conf},
                                "zoneweaver.illumos.dhcp_subnet": {"config_file": dhcp_conf},
                                "zoneweaver.illumos.dhcp_host": {"config_file": dhcp_conf}},
            "vars": {"zoneweaver_connection": {"backend": "native"}, "zone_wait_for_ssh": False,
                     "zone_list": ZONES, "zone_state": "running" if state == "present" else "absent",
                     "host_network_state": state},
            "roles": ([{"role": "zoneweaver.illumos.host_network"}, {"role": "zoneweaver.illumos.zone"}]
                      if state == "present" else
                      [{"role": "zoneweaver.illumos.zone"}, {"role": "zoneweaver.illumos.host_network"}])}
    path = tmp_path / ("native-%s.yml" % state)
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return str(path)


def changed(run):
    return sorted({r["task"] for r in run.results if r["result"].get("changed")})


def test_network_and_zones_natively(tmp_path):
    with simulated_host() as sim:
        build, remove = roles_playbook(tmp_path, sim, "present"), roles_playbook(tmp_path, sim, "absent")

        planned = run_playbook(tmp_path, build, ["--check"], NATIVE_ENV)
        assert planned.rc == 0, planned.output
        assert sim.command_mutations() == [], "check mode ran a mutating command"
        assert any(t.endswith("Etherstub (the zones' private switch)") for t in changed(planned))

        built = run_playbook(tmp_path, build, [], NATIVE_ENV)
        assert built.rc == 0, built.output
        assert any(t.endswith(": Zones") for t in changed(built))
        assert any(t.endswith("DHCP host entries of the zones' NICs") for t in changed(built))

        again = run_playbook(tmp_path, build, [], NATIVE_ENV)
        assert again.rc == 0, again.output
        assert changed(again) == [], "a second run changed something"

        removed = run_playbook(tmp_path, remove, [], NATIVE_ENV)
        assert removed.rc == 0, removed.output
        assert any(t.endswith("No zones") for t in changed(removed))
        assert any(t.endswith("No etherstub") for t in changed(removed))
        assert any(t.endswith("No DHCP subnet declaration (native backend only)") for t in changed(removed))
