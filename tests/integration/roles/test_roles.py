"""The workflow roles and playbooks end to end against simulators: a failing provisioning step,
placement on a second host, expiry and reaping, and check mode of playbooks/provision.yml."""

import os

import yaml

from zoneweaver_sim.boxvault import BoxVaultSimulator
from zoneweaver_sim import natdhcp
from zw_harness import ROOT, run_playbook, shims_on_path, simulated_host

BOX = {"org": "STARTcloud", "name": "debian13-server", "version": "2025.8.22"}


def inventory(tmp_path, hosts):
    """An inventory of hypervisor hosts: {name: (simulator, capacity)}."""
    data = {"all": {"children": {"zoneweaver_hosts": {"hosts": {
        name: {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
               "zoneweaver_connection": {"api_url": sim.url, "api_key": sim.admin_key},
               **({"zoneweaver_capacity": capacity} if capacity else {})}
        for name, (sim, capacity) in hosts.items()}}}}}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def playbook(tmp_path, name, plays):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    return str(path)


def task(run, name):
    """The result of the last task called `name` (role tasks are recorded as '<role> : <name>')."""
    matches = [r["result"] for r in run.results if r["task"] == name or r["task"].endswith(" : " + name)]
    assert matches, "no task %r ran; output:\n%s" % (name, run.output[-3000:])
    return matches[-1]


HOSTS_VAR = {"environment": "environment_hosts", "reaper": "reaper_hosts"}


def roles_play(tmp_path, inv, roles, extra_args=(), hosts="zoneweaver_hosts", play_vars=None, env=None):
    """One play running `roles` ([(role, vars)]) once, for every host of the inventory."""
    tasks = []
    for role, role_vars in roles:
        role_vars = dict(role_vars)
        if role in HOSTS_VAR:
            role_vars[HOSTS_VAR[role]] = "{{ ansible_play_hosts }}"
        tasks.append({"name": "role %s" % role, "ansible.builtin.include_role": {"name": "zoneweaver.illumos." + role},
                      "vars": role_vars, "run_once": True})
    plays = [{"name": "roles", "hosts": hosts, "gather_facts": False, "vars": dict(play_vars or {}), "tasks": tasks}]
    path = playbook(tmp_path, "roles.yml", plays)
    return run_playbook(tmp_path, path, ["-i", inv] + list(extra_args), env=env)


def test_failing_provisioning_step_names_the_step_and_its_output(tmp_path, sim):
    inv = inventory(tmp_path, {"h1": (sim, {"vcpus": 8, "ram": "8G"})})
    env = ("environment", {"environment_name": "fails", "environment_zones": [{"name": "web", "ram": "1G"}]})
    built = roles_play(tmp_path, inv, [env])
    assert built.rc == 0, built.output
    sim.knobs.update({"fail_operations": {"zone_wait_ssh": "ssh: connect to host 10.190.190.20 port 22: No route"}})
    run = roles_play(tmp_path, inv, [env, ("provision", {"provision_provisioner": {
        "provisioners": [{"type": "shell", "inline": "hostname"}]}})])
    assert run.rc != 0
    failure = task(run, "Say which zone and step failed (h1)")
    assert "fails" in failure["msg"] and "web.fails" in failure["msg"]
    assert "failed at step 'wait_ssh'" in failure["msg"]
    assert "ssh: connect to host 10.190.190.20 port 22: No route" in failure["msg"]


def test_environment_that_no_longer_fits_goes_to_a_second_host(tmp_path, sim):
    with simulated_host(sim.generation) as second:
        inv = inventory(tmp_path, {"h1": (sim, {"vcpus": 8, "ram": "8G"}), "h2": (second, {"vcpus": 8, "ram": "4G"})})
        spec = {"environment_name": "grow", "environment_zones": [{"name": "web", "ram": "2G"},
                                                                  {"name": "app", "ram": "2G"}]}
        first = roles_play(tmp_path, inv, [("environment", spec)])
        assert first.rc == 0, first.output
        placement = task(first, "Place the zones and plan every host")["ansible_facts"]["environment_result"]["placement"]
        assert {z: p["host"] for z, p in placement.items()} == {"web": "h1", "app": "h1"}

        # another tenant takes most of what is left on h1
        other = playbook(tmp_path, "other.yml", [{"name": "other", "hosts": "h1", "gather_facts": False, "tasks": [
            {"name": "big zone", "zoneweaver.illumos.zone": {
                "api_url": sim.url, "api_key": sim.admin_key, "name": "0100--big.other.example.com",
                "state": "running", "vcpus": 2, "ram": "3G", "boot_disk": {"type": "blank", "size": "10G"}}}]}])
        taken = run_playbook(tmp_path, other, ["-i", inv])
        assert taken.rc == 0, taken.output

        spec["environment_zones"].append({"name": "db", "ram": "2G"})
        grown = roles_play(tmp_path, inv, [("environment", spec)])
        assert grown.rc == 0, grown.output
        result = task(grown, "Place the zones and plan every host")["ansible_facts"]["environment_result"]
        assert {z: p["host"] for z, p in result["placement"].items()} == {"web": "h1", "app": "h1", "db": "h2"}
        assert task(grown, "Zones of the environment, the unlisted ones removed (h1)")["changed"] is False
        assert task(grown, "Zones of the environment, the unlisted ones removed (h2)")["changed"] is True
        assert [e["hostname"] for e in result["hosts"]["h2"]["dhcp"]] == ["db-grow"]

        # a zone that fits nowhere fails before any change, naming every host's free capacity
        sim.clear_log()
        second.clear_log()
        spec["environment_zones"].append({"name": "huge", "ram": "6G"})
        refused = roles_play(tmp_path, inv, [("environment", spec)])
        assert refused.rc != 0
        assert "zone huge of environment grow (1 vCPU, 6G) fits on no host; free: h1 " in refused.output
        assert "h2 " in refused.output
        assert sim.mutations() == [] and second.mutations() == []


def test_expiry_tag_and_reaping(tmp_path, sim):
    inv = inventory(tmp_path, {"h1": (sim, {"vcpus": 8, "ram": "8G"})})
    t0 = 1_800_000_000                                   # 2027-01-15T08:00:00Z
    short = ("environment", {"environment_name": "short", "environment_lifetime": "1h", "environment_now": t0,
                             "environment_zones": [{"name": "tmp", "ram": "512M", "expose": ["203.0.113.7"]}]})
    keep = ("environment", {"environment_name": "keep", "environment_zones": [{"name": "svc", "ram": "512M"}]})
    built = roles_play(tmp_path, inv, [short, keep])
    assert built.rc == 0, built.output
    last = task(built, "Place the zones and plan every host")["ansible_facts"]["environment_result"]
    assert last["name"] == "keep" and last["expires"] is None

    # re-run later without renew: the expiry set at creation stays, nothing changes
    short_later = (short[0], dict(short[1], environment_now=t0 + 600))
    again = roles_play(tmp_path, inv, [short_later])
    assert again.rc == 0, again.output
    assert task(again, "Place the zones and plan every host")["ansible_facts"]["environment_result"]["expires"] \
        == "2027-01-15T09:00:00Z"
    assert task(again, "Zones of the environment, the unlisted ones removed (h1)")["changed"] is False

    early = roles_play(tmp_path, inv, [("reaper", {"reaper_now": t0 + 3599})])
    assert early.rc == 0, early.output
    assert task(early, "Environments whose lifetime has passed")["ansible_facts"]["reaper_expired"] == []

    sim.clear_log()
    planned = roles_play(tmp_path, inv, [("reaper", {"reaper_now": t0 + 3600})], extra_args=["--check"])
    assert planned.rc == 0, planned.output
    assert task(planned, "Environments whose lifetime has passed")["ansible_facts"]["reaper_expired"] == ["short"]
    assert sim.mutations() == [], "the reaper's check mode sent a mutating request"

    reaped = roles_play(tmp_path, inv, [("reaper", {"reaper_now": t0 + 3600})])
    assert reaped.rc == 0, reaped.output
    assert task(reaped, "Zones of the environment, the unlisted ones removed (h1)")["summary"]["removed"] == 1
    assert task(reaped, "No DHCP entries of removed zones (h1)")["changed"] is True
    assert task(reaped, "No redirections to removed zones (h1)")["changed"] is True
    left = roles_play(tmp_path, inv, [("reaper", {"reaper_now": t0 + 3600})])
    assert task(left, "Environments whose lifetime has passed")["ansible_facts"]["reaper_expired"] == []
    zones = task(left, "Zones of h1")["zones"]
    assert [z["name"] for z in zones] == ["0002--svc.keep.zones.local"]


def test_provision_playbook_check_mode_sends_no_mutation(tmp_path, sim):
    with BoxVaultSimulator(boxes=[BOX]) as registry:
        sim.template_sources = [{"name": "boxvault", "url": registry.url, "enabled": True, "default": True}]
        inv = inventory(tmp_path, {"h1": (sim, {"vcpus": 16, "ram": "32G"})})
        env_file = os.path.join(ROOT, "playbooks", "demo", "environment.yml")
        planned = run_playbook(tmp_path, os.path.join(ROOT, "playbooks", "provision.yml"),
                               ["-i", inv, "-e", "@" + env_file, "--check"])
        assert planned.rc == 0, planned.output
        assert sim.mutations() == [], "check mode sent a mutating request"
        assert task(planned, "Etherstub (the zones' private switch)")["changed"] is True
        assert task(planned, "Zones of the environment, the unlisted ones removed (h1)")["changed"] is True

        built = run_playbook(tmp_path, os.path.join(ROOT, "playbooks", "provision.yml"), ["-i", inv, "-e", "@" + env_file])
        assert built.rc == 0, built.output
        again = run_playbook(tmp_path, os.path.join(ROOT, "playbooks", "provision.yml"), ["-i", inv, "-e", "@" + env_file])
        assert again.rc == 0, again.output
        assert sorted({r["task"] for r in again.results if r["result"].get("changed")}) == []


def test_ssh_method_syncs_runs_scripts_and_playbooks_and_names_a_failing_step(tmp_path):
    """The SSH path with the guest reached through the local connection (nothing listens in the simulator;
    the agent is not used, so one generation is enough)."""
    with simulated_host() as sim:
        _ssh_method(tmp_path, sim)


def _ssh_method(tmp_path, sim):
    guest = tmp_path / "guest"
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "motd").write_text("provisioned by zoneweaver\n")
    script = tmp_path / "setup.sh"
    script.write_text("#!/bin/sh\nset -e\necho ran > %s/script.out\necho script-done\n" % guest)
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\necho 'apt: unable to locate package nginx' >&2\nexit 3\n")
    site = tmp_path / "site.yml"
    site.write_text(yaml.safe_dump([{"name": "site", "hosts": "all", "gather_facts": False, "tasks": [
        {"name": "mark", "ansible.builtin.copy": {"content": "played\n", "dest": str(guest / "playbook.out"),
                                                  "mode": "0644"}}]}]))
    guest.mkdir()
    inv = inventory(tmp_path, {"h1": (sim, {"vcpus": 8, "ram": "8G"})})
    common = {"provision_method": "ssh", "provision_ssh_wait": False, "provision_guest_connection": "local",
              "provision_guest_python": "{{ ansible_playbook_python }}",
              "provision_zones": [{"name": "0001--web.ssh.example.com", "address": "127.0.0.1"}],
              "provision_sync_folders": [{"src": str(folder) + "/", "dest": str(guest) + "/"}],
              "provision_playbooks": [str(site)]}
    run = roles_play(tmp_path, inv, [("provision", dict(common, provision_scripts=[str(script)]))])
    assert run.rc == 0, run.output
    assert (guest / "motd").read_text() == "provisioned by zoneweaver\n"
    assert (guest / "script.out").read_text() == "ran\n"
    assert (guest / "playbook.out").read_text() == "played\n"
    assert "script-done" in task(run, "Shell provisioners in 0001--web.ssh.example.com")["results"][0]["stdout"]

    failed = roles_play(tmp_path, inv, [("provision", dict(common, provision_scripts=[str(bad)]))])
    assert failed.rc != 0
    msg = task(failed, "Say which step failed in 0001--web.ssh.example.com")["msg"]
    assert "0001--web.ssh.example.com failed at step 'Shell provisioners in 0001--web.ssh.example.com'" in msg
    assert "apt: unable to locate package nginx" in msg


def test_capacity_read_from_the_agents_monitoring_when_not_declared(tmp_path):
    """Without zoneweaver_capacity, a host reached through its agent gets its capacity from the agent's host
    monitoring (total CPUs and memory, read from the controller), less environment_host_reserve."""
    with simulated_host() as sim:
        sim.set_hardware(memory="16G", cpus=8)
        inv = inventory(tmp_path, {"h1": (sim, None)})
        run = roles_play(tmp_path, inv, [("environment", {
            "environment_name": "sized", "environment_host_reserve": {"vcpus": 1, "ram": "512M"},
            "environment_zones": [{"name": "web", "vcpus": 1, "ram": "256M"}]})])
        assert run.rc == 0, run.output
        # the simulated agent's figures, not the controller's own CPUs and memory
        monitoring = task(run, "CPUs, memory and pools of the host (h1)")
        assert monitoring["cpu"]["count"] == 8 and monitoring["memory"]["total_bytes"] == 16 << 30
        assert any(e["path"] == "/monitoring/system/memory" for e in sim.log)
        free = task(run, "Place the zones and plan every host")["ansible_facts"]["environment_result"]["hosts"]["h1"]["free"]
        assert free["vcpus"] == 8 - 1 - 1 and free["ram"] == "15616M"          # 16G - 512M - 256M
        assert free["pool"] == "rpool" and free["disk"].endswith("G")          # 1T less the seed, less 10G
        assert task(run, "Zones of the environment, the unlisted ones removed (h1)")["changed"] is True


def test_environment_placed_by_the_monitoring_figures_moves_to_a_second_host(tmp_path, sim):
    """Both hosts measured by their agents: when h1's monitoring reports less memory and a smaller pool, new
    zones go to h2 (by memory, and by the free space of the pool their volumes go on); a zone whose disk fits
    no pool is refused before any change, naming every host's free capacity and pool space."""
    with simulated_host(sim.generation) as second:
        sim.set_hardware(memory="16G", cpus=8)
        second.set_hardware(memory="8G", cpus=8)
        inv = inventory(tmp_path, {"h1": (sim, None), "h2": (second, None)})
        spec = {"environment_name": "measured", "environment_zones": [{"name": "web", "ram": "2G"},
                                                                      {"name": "app", "ram": "2G"}]}
        first = roles_play(tmp_path, inv, [("environment", spec)])
        assert first.rc == 0, first.output
        placement = task(first, "Place the zones and plan every host")["ansible_facts"]["environment_result"]["placement"]
        assert {z: p["host"] for z, p in placement.items()} == {"web": "h1", "app": "h1"}   # 12G vs 4G to give

        # h1 is now reported with 10G (6G to give, 4G of it taken) and a 100G root pool
        sim.set_hardware(memory="10G", pools={"rpool": "100G"})
        spec["environment_zones"] += [{"name": "db", "ram": "3G"}, {"name": "store", "ram": "512M", "disk": "500G"}]
        grown = roles_play(tmp_path, inv, [("environment", spec)])
        assert grown.rc == 0, grown.output
        result = task(grown, "Place the zones and plan every host")["ansible_facts"]["environment_result"]
        # db needs 3G: only h2 has them; store has the memory on h1 but its 500G disk fits only h2's pool
        assert {z: p["host"] for z, p in result["placement"].items()} == {
            "web": "h1", "app": "h1", "db": "h2", "store": "h2"}
        assert result["hosts"]["h1"]["free"]["ram"] == "2G" and result["hosts"]["h2"]["free"]["ram"] == "512M"
        assert task(grown, "Zones of the environment, the unlisted ones removed (h1)")["changed"] is False
        assert task(grown, "Zones of the environment, the unlisted ones removed (h2)")["changed"] is True

        sim.clear_log()
        second.clear_log()
        spec["environment_zones"].append({"name": "vault", "ram": "256M", "disk": "2T"})
        refused = roles_play(tmp_path, inv, [("environment", spec)])
        assert refused.rc != 0
        assert "zone vault of environment measured (1 vCPU, 256M, 2T disk) fits on no host; free: h1 " in refused.output
        assert " rpool " in refused.output and "h2 " in refused.output
        assert sim.mutations() == [] and second.mutations() == []


def test_provision_then_sync_and_run_provisioners_again(tmp_path, sim):
    inv = inventory(tmp_path, {"h1": (sim, {"vcpus": 8, "ram": "8G"})})
    env = ("environment", {"environment_name": "again", "environment_zones": [{"name": "web", "ram": "1G"}]})
    section = {"provision_provisioner": {"folders": [{"map": "./site", "to": "/vagrant"}],
                                         "provisioners": [{"type": "ansible", "playbook": "site.yml",
                                                           "run": "always"}]}}
    first = roles_play(tmp_path, inv, [env, ("provision", section)])
    assert first.rc == 0, first.output
    assert task(first, "Provisioning pipeline of each zone (h1)")["results"][0]["provisioning_status"] == "provisioned"
    unchanged = roles_play(tmp_path, inv, [env, ("provision", section)])
    assert task(unchanged, "Provisioning pipeline of each zone (h1)")["changed"] is False
    for action in ("sync", "run_provisioners"):
        run = roles_play(tmp_path, inv, [env, ("provision", dict(section, provision_action=action))])
        assert run.rc == 0, run.output
        result = task(run, "Provisioning pipeline of each zone (h1)")["results"][0]
        assert result["changed"] is True, (action, result)
        assert result["steps"] and all(step["status"] == "completed" for step in result["steps"]), result["steps"]


def test_deny_outgoing_rules_follow_the_zone_and_the_option(tmp_path, host):
    """deny_outgoing writes the zone's IP Filter rules on its host (ipfilter_rule, over the host's own
    connection: here local, with the simulator's fake ipf/svcadm first in PATH); a re-run changes
    nothing; turning the option off, or removing the zone, takes the rules away again."""
    ipf_conf = natdhcp.host_path(host, "/etc/ipf/ipf.conf")
    with open(ipf_conf, "w") as handle:
        handle.write("pass in all\n")
    natdhcp.svc_enable(host, "svc:/network/ipfilter:default")
    inv = inventory(tmp_path, {"h1": (host, {"vcpus": 8, "ram": "8G"})})
    env = {"PATH": shims_on_path(host, tmp_path / "shims")}
    spec = {"environment_name": "quiet", "environment_ipf_conf": ipf_conf, "environment_ipfilter_become": False,
            "environment_zones": [{"name": "web", "ram": "512M", "deny_outgoing": True},
                                  {"name": "app", "ram": "512M"}]}
    rules = ["pass in quick proto udp from 10.190.190.20 to any port = 67 keep state",
             "pass out quick from any to 10.190.190.20 keep state",
             "block in quick from 10.190.190.20 to any"]
    block = ("# BEGIN zoneweaver.illumos managed ipfilter_rule\n" + "".join(r + "\n" for r in rules)
             + "# END zoneweaver.illumos managed ipfilter_rule\n")

    def ipf_mutations():
        return [c for c in host.command_mutations() if c["tool"] in ("ipf", "svcadm")]

    built = roles_play(tmp_path, inv, [("environment", spec)], env=env)
    assert built.rc == 0, built.output
    placement = task(built, "Place the zones and plan every host")["ansible_facts"]["environment_result"]["placement"]
    assert placement["web"]["ip"] == "10.190.190.20"
    assert task(built, "Outgoing traffic of the zones denied (h1)")["changed"] is True
    with open(ipf_conf) as handle:
        assert handle.read() == "pass in all\n" + block
    assert host.state.nat["ipf_loaded"] == ["pass in all"] + rules      # IP Filter reloaded the file

    host.clear_commands()
    again = roles_play(tmp_path, inv, [("environment", spec)], env=env)
    assert again.rc == 0, again.output
    assert task(again, "Outgoing traffic of the zones denied (h1)")["changed"] is False
    assert ipf_mutations() == []

    spec["environment_zones"][0]["deny_outgoing"] = False
    off = roles_play(tmp_path, inv, [("environment", spec)], env=env)
    assert off.rc == 0, off.output
    assert task(off, "Outgoing traffic allowed again (h1)")["changed"] is True
    with open(ipf_conf) as handle:
        assert handle.read() == "pass in all\n"
    assert host.state.nat["ipf_loaded"] == ["pass in all"]

    spec["environment_zones"][0]["deny_outgoing"] = True
    on = roles_play(tmp_path, inv, [("environment", spec)], env=env)
    assert on.rc == 0, on.output
    spec["environment_zones"] = spec["environment_zones"][1:]        # web goes away
    gone = roles_play(tmp_path, inv, [("environment", spec)], env=env)
    assert gone.rc == 0, gone.output
    assert task(gone, "Zones of the environment, the unlisted ones removed (h1)")["summary"]["removed"] == 1
    assert task(gone, "Outgoing traffic allowed again (h1)")["changed"] is True
    with open(ipf_conf) as handle:
        assert handle.read() == "pass in all\n"
