"""host_network, zone and environment roles with backend=native (zoneweaver_connection: {backend: native}):
the modules run the simulator's fake illumos commands on localhost, found first on PATH through the play's
environment. The environment role delegates its modules to each host; through an agent that delegation
must not touch the host's connection at all."""

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


# --------------------------------------------------------------------------- environment role, natively

def environment_playbook(tmp_path, sim, spec, name="environment.yml", role="environment"):
    """The environment role for host h1 (backend=native, local connection), run once from `ctl`, a host whose
    own connection cannot work (SSH to a closed port): every native module must be delegated to h1. The
    play-level module_defaults point the NAT and DHCP modules (writes and network_info's reads) at the
    simulated host's files."""
    nat_conf = natdhcp.host_path(sim, "/etc/ipf/ipnat.conf")
    dhcp_conf = natdhcp.host_path(sim, "/etc/dhcpd.conf")
    inventory = {"all": {"hosts": {
        "ctl": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1},
        "h1": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
               "zoneweaver_connection": {"backend": "native"}, "zoneweaver_capacity": {"vcpus": 8, "ram": "8G"}}}}}
    inv = tmp_path / "hosts.yml"
    inv.write_text(yaml.safe_dump(inventory))
    play = {"name": "native environment", "hosts": "ctl", "gather_facts": False,
            "environment": {"PATH": shims_on_path(sim, tmp_path / "shims")},
            "module_defaults": {"zoneweaver.illumos.nat_rule": {"config_file": nat_conf},
                                "zoneweaver.illumos.dhcp_host": {"config_file": dhcp_conf},
                                "zoneweaver.illumos.network_info": {"nat_config_file": nat_conf,
                                                                    "dhcp_config_file": dhcp_conf}},
            "tasks": [{"name": "role " + role, "ansible.builtin.include_role": {
                "name": "zoneweaver.illumos." + role}, "vars": dict(spec, **{role + "_hosts": ["h1"]}),
                "run_once": True}]}
    path = tmp_path / name
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return ["-i", str(inv)], str(path)


def role_task(run, name):
    matches = [r["result"] for r in run.results if r["task"].endswith(" : " + name)]
    assert matches, "no task %r ran; output:\n%s" % (name, run.output[-3000:])
    return matches[-1]


def test_environment_natively(tmp_path):
    with simulated_host() as sim:
        ipf_conf = natdhcp.host_path(sim, "/etc/ipf/ipf.conf")
        with open(ipf_conf, "w") as handle:
            handle.write("pass in all\n")
        natdhcp.svc_enable(sim, "svc:/network/ipfilter:default")
        dhcp_conf = natdhcp.host_path(sim, "/etc/dhcpd.conf")
        nat_conf = natdhcp.host_path(sim, "/etc/ipf/ipnat.conf")
        spec = {"environment_name": "natenv", "environment_link": "igb0", "environment_owner": "alice",
                "environment_ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample alice@example.com"],
                "environment_ipf_conf": ipf_conf, "environment_ipfilter_become": False,
                "environment_zones": [{"name": "web", "ram": "512M", "expose": ["203.0.113.80"],
                                       "deny_outgoing": True},
                                      {"name": "db", "ram": "1G"}]}

        def play(spec, extra=(), name="environment.yml"):
            inv_args, path = environment_playbook(tmp_path, sim, spec, name)
            return run_playbook(tmp_path, path, inv_args + list(extra), NATIVE_ENV)

        def files():
            return {p: natdhcp.read_host_file(p) for p in (dhcp_conf, nat_conf, ipf_conf)}

        before = files()
        planned = play(spec, ["--check"])
        assert planned.rc == 0, planned.output
        assert role_task(planned, "Zones of the environment, the unlisted ones removed (h1)")["summary"]["created"] == 2
        assert sim.command_mutations() == [], "check mode ran a mutating command"
        assert files() == before and sim.state.host_zones == {}

        built = play(spec)
        assert built.rc == 0, built.output
        placement = role_task(built, "Place the zones and plan every host")["ansible_facts"]["environment_result"][
            "placement"]
        web, db = placement["web"], placement["db"]
        assert web["name"] == "0001--web.natenv.zones.local" and web["host"] == "h1"
        zones = sim.state.host_zones
        assert sorted(zones) == sorted([web["name"], db["name"]])
        assert all(z["state"] == "running" for z in zones.values())
        web_zone = role_task(built, "Zones of the environment, the unlisted ones removed (h1)")["results"][0]["zone"]
        assert web_zone["name"] == web["name"] and "zw-env=natenv" in web_zone["tags"]
        assert "zw-owner=alice" in web_zone["tags"] and web_zone["nics"][0]["global_nic"] == "igb0"
        with open(dhcp_conf) as handle:
            dhcp = handle.read()
        assert "web-natenv" in dhcp and web["ip"] in dhcp and "db-natenv" in dhcp
        with open(nat_conf) as handle:
            assert "rdr igb0 203.0.113.80/32 -> %s/32" % web["ip"] in handle.read()
        with open(ipf_conf) as handle:
            assert "block in quick from %s to any" % web["ip"] in handle.read()

        sim.clear_commands()
        again = play(spec)
        assert again.rc == 0, again.output
        assert changed(again) == [], "a second run changed something"
        assert sim.command_mutations() == []

        # db goes, app comes: only those change (web's zone, DHCP entry and rules stay as they are)
        spec["environment_zones"] = [spec["environment_zones"][0], {"name": "app", "ram": "512M"}]
        sim.clear_commands()
        checked = play(spec, ["--check"])
        assert checked.rc == 0, checked.output
        assert sim.command_mutations() == [], "check mode ran a mutating command"
        changes = play(spec)
        assert changes.rc == 0, changes.output
        result = role_task(changes, "Zones of the environment, the unlisted ones removed (h1)")
        assert result["summary"]["created"] == 1 and result["summary"]["removed"] == 1
        assert result["pruned"] == [db["name"]]
        by_name = {r["name"]: r for r in result["results"]}
        assert by_name[web["name"]]["changed"] is False
        app = role_task(changes, "Place the zones and plan every host")["ansible_facts"]["environment_result"][
            "placement"]["app"]
        assert sorted(sim.state.host_zones) == sorted([web["name"], app["name"]])
        touched = {c["argv"][1] for c in sim.command_mutations() if c["tool"] in ("zoneadm", "zonecfg")}
        assert touched == {db["name"], app["name"]}, touched
        assert role_task(changes, "No DHCP entries of removed zones (h1)")["changed"] is True
        assert [t.split(" : ", 1)[1] for t in changed(changes)] == sorted([
            "DHCP entries of the zones (h1)", "No DHCP entries of removed zones (h1)",
            "Zones of the environment, the unlisted ones removed (h1)"]), changed(changes)
        with open(dhcp_conf) as handle:
            dhcp = handle.read()
        assert "db-natenv" not in dhcp and "app-natenv" in dhcp and "web-natenv" in dhcp

        spec["environment_state"] = "absent"
        sim.clear_commands()
        before = files()
        check_absent = play(spec, ["--check"])
        assert check_absent.rc == 0, check_absent.output
        assert sim.command_mutations() == [] and files() == before
        removed = play(spec)
        assert removed.rc == 0, removed.output
        assert sim.state.host_zones == {}
        with open(dhcp_conf) as handle:
            assert "natenv" not in handle.read()
        with open(nat_conf) as handle:
            assert "203.0.113.80" not in handle.read()
        with open(ipf_conf) as handle:
            assert handle.read() == "pass in all\n"
        assert changed(play(spec)) == [], "removing an absent environment changed something"


def test_reaper_natively_removes_only_the_expired_environment(tmp_path):
    with simulated_host() as sim:
        def play(spec, extra=(), name="environment.yml", role="environment"):
            inv_args, path = environment_playbook(tmp_path, sim, spec, name, role)
            return run_playbook(tmp_path, path, inv_args + list(extra), NATIVE_ENV)

        for env_name, lifetime in (("shortenv", "1h"), ("longenv", "1w")):
            built = play({"environment_name": env_name, "environment_link": "igb0", "environment_lifetime": lifetime,
                          "environment_zones": [{"name": "web", "ram": "512M"}]}, name=env_name + ".yml")
            assert built.rc == 0, built.output
        assert len(sim.state.host_zones) == 2
        later = {"reaper_now": int(__import__("time").time()) + 2 * 3600}

        sim.clear_commands()
        checked = play(later, ["--check"], "reap.yml", "reaper")
        assert checked.rc == 0, checked.output
        assert sim.command_mutations() == [], "check mode ran a mutating command"
        reaped = play(later, [], "reap.yml", "reaper")
        assert reaped.rc == 0, reaped.output
        assert "expired: shortenv" in reaped.output
        assert [name.split("--", 1)[1] for name in sim.state.host_zones] == ["web.longenv.zones.local"]
        assert changed(play(later, [], "reap.yml", "reaper")) == [], "a second reaping changed something"


def test_environment_through_the_agent_never_uses_the_hosts_connection(tmp_path):
    """The same delegated tasks with an agent: h1's own connection (SSH to a closed port) is never used."""
    with simulated_host() as sim:
        inventory = {"all": {"hosts": {
            "ctl": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "h1": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1,
                   "zoneweaver_connection": {"api_url": sim.url, "api_key": sim.admin_key},
                   "zoneweaver_capacity": {"vcpus": 8, "ram": "8G"}}}}}
        inv = tmp_path / "hosts.yml"
        inv.write_text(yaml.safe_dump(inventory))
        spec = {"environment_name": "agentenv", "environment_hosts": ["h1"],
                "environment_zones": [{"name": "web", "ram": "512M", "expose": ["203.0.113.81"]}]}
        play = [{"name": "agent environment", "hosts": "ctl", "gather_facts": False, "tasks": [
            {"name": "role environment", "ansible.builtin.include_role": {"name": "zoneweaver.illumos.environment"},
             "vars": spec, "run_once": True}]}]
        path = tmp_path / "agent-environment.yml"
        path.write_text(yaml.safe_dump(play, sort_keys=False))
        built = run_playbook(tmp_path, str(path), ["-i", str(inv)])
        assert built.rc == 0, built.output
        assert "ctl -> h1" in built.output, "the tasks were not delegated"
        zones = role_task(built, "Zones of the environment, the unlisted ones removed (h1)")
        assert zones["summary"]["created"] == 1
        again = run_playbook(tmp_path, str(path), ["-i", str(inv)])
        assert again.rc == 0, again.output
        assert changed(again) == []
