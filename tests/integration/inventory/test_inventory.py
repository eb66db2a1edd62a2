"""zoneweaver.illumos.zones through ansible-inventory, as a user runs it: several
simulated agents (both generations), a simulated Hyperweaver Server in front of
them, constructed groups and compose, the cache, failing sources, org scoping."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest
import requests
import yaml

from zoneweaver_sim import Simulator
from zoneweaver_sim.fleet import Fleet, seed_zones
from zoneweaver_sim.hyperweaver import HyperweaverSimulator
from zw_harness import admin_key_for, ansible_env

pytestmark = pytest.mark.integration
ZONES = 10   # zone 5 is lx, zone 10 lipkg and installed, the rest bhyve and running
OLD_KEY = admin_key_for("0.2")


@pytest.fixture(scope="module")
def fleet():
    with Fleet(agents=3, zones=ZONES, latency=0.0) as agents:
        old = Simulator(generation="0.2", admin_key=OLD_KEY, hostname="oldomni").start()
        old.admin_key = OLD_KEY
        seed_zones(old, 2, agent_index=3)
        agents.old = old
        try:
            yield agents
        finally:
            old.stop()


@pytest.fixture
def clean(fleet):
    """The fleet with empty request logs."""
    fleet.clear_logs()
    fleet.old.clear_log()
    return fleet


def dead_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return "http://127.0.0.1:%d" % port


def plain(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def raw(self):
        assert self.rc == 0, self.out + self.err
        return json.loads(self.out)

    @property
    def data(self):
        """--list output with ansible-core's {"__ansible_unsafe": value} markers removed."""
        return plain(self.raw)

    def hostvars(self, host):
        return self.data["_meta"]["hostvars"][host]

    def members(self, group):
        """Hosts of a group in --list output (its own, not its children's)."""
        return sorted(self.data.get(group, {}).get("hosts", []))


def inventory(tmp_path, config, *args, name="test.zoneweaver.yml", env=None):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(dict({"plugin": "zoneweaver.illumos.zones"}, **config)))
    extra = {"ANSIBLE_INVENTORY_ENABLED": "zoneweaver.illumos.zones"}
    extra.update(env or {})
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(path)]
    command += list(args) or ["--list"]
    proc = subprocess.run(command, env=ansible_env(tmp_path, tmp_path / "unused.json", extra), capture_output=True,
                          text=True, timeout=300, check=False)
    return Result(proc)


def agents_config(fleet, old=True, **extra):
    entries = [{"url": sim.url, "api_key": sim.admin_key, "name": sim.hostname} for sim in fleet.agents]
    if old:
        entries.append({"url": fleet.old.url, "api_key": OLD_KEY, "name": "oldomni"})
    config = {"agents": entries}
    config.update(extra)
    return config


def agent_requests(fleet):
    return {sim.hostname: [(e["method"], e["path"]) for e in sim.log] for sim in fleet.agents + [fleet.old]}


def all_zone_names(fleet):
    return sorted(n for names in fleet.zone_names.values() for n in names)


# --------------------------------------------------------------------------- direct agents


def test_graph_groups_zones_per_agent_state_brand_and_tag(tmp_path, clean):
    result = inventory(tmp_path, agents_config(clean), "--graph")
    assert result.rc == 0, result.err
    graph = result.out
    for group in ("@zoneweaver_agent_omni01:", "@zoneweaver_agent_oldomni:", "@zoneweaver_status_running:",
                  "@zoneweaver_status_installed:", "@zoneweaver_brand_bhyve:", "@zoneweaver_brand_lx:",
                  "@zoneweaver_tag_web:", "@zoneweaver_tag_db:", "@zoneweaver_tag_fleet:"):
        assert group in graph, graph
    assert "0001--oldomni-z001.example.com" in graph


def test_one_request_per_agent_and_two_for_the_old_generation(tmp_path, clean):
    result = inventory(tmp_path, agents_config(clean))
    assert len(result.data["_meta"]["hostvars"]) == 3 * ZONES + 2
    requests = agent_requests(clean)
    for sim in clean.agents:
        assert requests[sim.hostname] == [("GET", "/machines")]
    assert requests["oldomni"] == [("GET", "/machines"), ("GET", "/zones")]   # HTML 404, then the 0.2 noun


def test_host_vars_compose_groups_and_keyed_groups(tmp_path, clean):
    config = agents_config(clean, old=False,
                           compose={"ansible_user": "'admin'", "short": "zoneweaver_name.split('.')[0]",
                                    "jump": "zoneweaver_agent_host"},
                           groups={"big": "zoneweaver_vcpus is number and zoneweaver_vcpus >= 3"},
                           keyed_groups=[{"key": "zoneweaver_vm_type", "prefix": "vmtype"},
                                         {"key": "zoneweaver_tags", "prefix": "tagged"}],
                           hostname="{{ name | regex_replace('^[0-9]+--', '') }}")
    result = inventory(tmp_path, config)
    hostvars = result.hostvars("omni01-z002.example.com")
    assert hostvars["ansible_host"] == "10.1.0.4"
    assert hostvars["ansible_user"] == "admin" and hostvars["short"] == "0002--omni01-z002"
    assert hostvars["jump"] == "127.0.0.1"
    assert hostvars["zoneweaver_vcpus"] == 3 and hostvars["zoneweaver_ram"] == "4G"
    assert hostvars["zoneweaver_status"] == "running" and hostvars["zoneweaver_tags"] == ["fleet", "db"]
    assert hostvars["zoneweaver_addresses"] == ["10.1.0.4"] and "zoneweaver_nics" not in hostvars
    assert hostvars["zoneweaver_agent"] == "omni01" and hostvars["zoneweaver_agent_url"] == clean.agents[0].url
    assert "omni01-z002.example.com" in result.members("big")
    assert "omni01-z001.example.com" not in result.members("big")
    assert "omni01-z003.example.com" in result.members("vmtype_development")
    assert "omni02-z001.example.com" in result.members("tagged_web")


def test_filters_and_options_select_zones(tmp_path, clean):
    config = agents_config(clean, old=False, status=["running"], brands=["bhyve"],
                           filters=["zoneweaver_agent != 'omni03'", "'web' in tags"])
    hosts = sorted(inventory(tmp_path, config).data["_meta"]["hostvars"])
    assert hosts == sorted("%04d--%s-z%03d.example.com" % (n, agent, n) for agent in ("omni01", "omni02")
                           for n in (1, 3, 7, 9))
    # a single status is filtered by the agent itself
    assert [e["query"] for e in clean.agents[0].log] == [{"status": "running"}]


def test_want_details_reads_only_the_zones_that_passed_the_filters(tmp_path, clean):
    config = agents_config(clean, old=False, want_details=True,
                           filters=["zoneweaver_agent == 'omni02'", "zoneweaver_brand == 'bhyve'"])
    result = inventory(tmp_path, config)
    hosts = sorted(result.data["_meta"]["hostvars"])
    assert len(hosts) == 8 and all("omni02" in h for h in hosts)
    detail = result.hostvars(hosts[0])
    assert detail["zoneweaver_system_status"] == "running" and detail["zoneweaver_pending_tasks"] == []
    assert detail["zoneweaver_boot_disk"]["size"] == "20G"
    requests = agent_requests(clean)
    assert requests["omni01"] == [("GET", "/machines")]
    assert sorted(requests["omni02"]) == sorted([("GET", "/machines")] + [("GET", "/machines/" + h) for h in hosts])


def test_agent_data_stays_literal_and_marked_unsafe(tmp_path, clean):
    sim = clean.agents[2]
    name = clean.zone_names[sim.hostname][0]
    evil = "{{ 6 * 7 }}{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % (tmp_path / "pwned")
    with sim.state.lock:
        sim.state.machines[name]["notes"] = evil
    try:
        result = inventory(tmp_path, agents_config(clean, old=False, compose={"note": "zoneweaver_notes"},
                                                   host_facts=["all"]))
        raw = result.raw["_meta"]["hostvars"][name]
        assert raw["zoneweaver_notes"] == {"__ansible_unsafe": evil}
        assert raw["note"] == {"__ansible_unsafe": evil}
        assert not (tmp_path / "pwned").exists()
    finally:
        with sim.state.lock:
            sim.state.machines[name]["notes"] = None


# --------------------------------------------------------------------------- cache


def test_cache_second_run_makes_no_request_until_flushed(tmp_path, clean):
    config = agents_config(clean, cache=True, cache_plugin="ansible.builtin.jsonfile",
                           cache_connection=str(tmp_path / "cache"), cache_timeout=600)
    first = inventory(tmp_path, config)
    assert sum(len(v) for v in agent_requests(clean).values()) == 3 + 2
    clean.clear_logs()
    clean.old.clear_log()
    second = inventory(tmp_path, config)
    assert second.raw == first.raw
    assert sum(len(v) for v in agent_requests(clean).values()) == 0
    flushed = inventory(tmp_path, config, "--list", "--flush-cache")
    assert flushed.raw == first.raw
    assert sum(len(v) for v in agent_requests(clean).values()) == 3 + 2
    for path in (tmp_path / "cache").iterdir():
        text = path.read_text()
        assert all(sim.admin_key not in text for sim in clean.agents) and OLD_KEY not in text


# --------------------------------------------------------------------------- failures


def test_unreachable_agent_is_a_warning_and_its_zones_are_left_out(tmp_path, clean):
    config = agents_config(clean, old=False)
    config["agents"].append({"url": dead_url(), "api_key": "hw_DDDDDDDDDDDDDDDD.do-not-print-me", "name": "dead"})
    result = inventory(tmp_path, config)
    assert len(result.data["_meta"]["hostvars"]) == 3 * ZONES
    assert "skipped agent 'dead'" in result.err and "cannot reach" in result.err
    assert "do-not-print-me" not in result.out + result.err


def test_refused_key_is_a_warning(tmp_path, clean):
    config = agents_config(clean, old=False)
    config["agents"][1]["api_key"] = "hw_EEEEEEEEEEEEEEEE.wrong-key-value"
    result = inventory(tmp_path, config)
    assert len(result.data["_meta"]["hostvars"]) == 2 * ZONES
    assert "skipped agent 'omni02'" in result.err and "Invalid API key" in result.err
    assert "wrong-key-value" not in result.out + result.err


def test_strict_sources_fails_the_inventory_source(tmp_path, clean):
    config = agents_config(clean, old=False, strict_sources=True)
    config["agents"].append({"url": dead_url(), "api_key": "hw_DDDDDDDDDDDDDDDD.do-not-print-me", "name": "dead"})
    result = inventory(tmp_path, config)
    # no partial inventory: the source fails as a whole (ansible-core reports it as unparsed) ...
    assert result.data["_meta"]["hostvars"] == {}
    assert "strict_sources" in result.err and "'dead'" in result.err
    assert "do-not-print-me" not in result.out + result.err
    # ... which stops the run where unparsed sources are fatal
    fatal = inventory(tmp_path, config, env={"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"})
    assert fatal.rc != 0 and "strict_sources" in fatal.err


def test_keys_from_environment_and_templates(tmp_path, clean):
    config = agents_config(clean, old=False)
    config["agents"][0]["api_key"] = "{{ lookup('ansible.builtin.env', 'OMNI1_KEY') }}"
    config["agents"][1].pop("api_key")
    config["agents"][1]["api_key_env"] = "OMNI2_KEY"
    result = inventory(tmp_path, config, env={"OMNI1_KEY": clean.agents[0].admin_key,
                                              "OMNI2_KEY": clean.agents[1].admin_key})
    assert len(result.data["_meta"]["hostvars"]) == 3 * ZONES and "WARNING" not in result.err


# --------------------------------------------------------------------------- Hyperweaver


HW_USERS = {"ops": {"password": "ops-password", "role": "super-admin"},
            "acme-admin": {"password": "acme-password", "role": "admin", "org": "acme"}}


@pytest.fixture
def hyperweaver(clean):
    agents = {i + 1: sim for i, sim in enumerate(clean.agents)}
    agents[4] = clean.old   # 0.2 has no GET /status: the server never learns it is an agent
    with HyperweaverSimulator(agents=agents, users=HW_USERS) as server:
        clean.clear_logs()
        clean.old.clear_log()
        yield server


def hw_config(server, user="ops", **extra):
    config = {"hyperweaver": [{"url": server.url, "username": user, "password": HW_USERS[user]["password"]}]}
    config.update(extra)
    return config


def test_zones_through_hyperweaver(tmp_path, clean, hyperweaver):
    result = inventory(tmp_path, hw_config(hyperweaver, compose={"via": "zoneweaver_hyperweaver_url"}))
    hosts = result.data["_meta"]["hostvars"]
    assert sorted(hosts) == sorted(n for sim in clean.agents for n in clean.zone_names[sim.hostname])
    one = result.hostvars(clean.zone_names["omni01"][1])
    assert one["zoneweaver_agent"] == "omni01" and one["zoneweaver_agent_id"] == 1
    assert one["zoneweaver_agent_version"] == "0.3.9" and one["via"] == hyperweaver.url
    assert one["zoneweaver_agent_url"] == hyperweaver.url + "/api/agents/1"
    assert one["ansible_host"] == "10.1.0.4"
    assert "zoneweaver_agent_omni02" in result.data
    # the 0.2 agent has no capabilities, so the relay would refuse it: reported, not asked
    assert "oldomni" in result.err and "capabilities" in result.err
    # one login, one server list, one relayed list per agent; the agents see one GET each
    paths = [(e["method"], e["path"]) for e in hyperweaver.log]
    assert paths.count(("POST", "/api/auth/login")) == 1 and paths.count(("GET", "/api/servers")) == 1
    assert sorted(p for p in paths if p[1].startswith("/api/agents/")) == [
        ("GET", "/api/agents/%d/machines" % i) for i in (1, 2, 3)]
    requests = agent_requests(clean)
    assert all(requests[sim.hostname] == [("GET", "/machines")] for sim in clean.agents)
    assert requests["oldomni"] == []


def test_hyperweaver_agent_selection_and_details(tmp_path, clean, hyperweaver):
    config = hw_config(hyperweaver, want_details=True, filters=["zoneweaver_status == 'installed'"])
    config["hyperweaver"][0]["agents"] = ["omni02", "3"]
    result = inventory(tmp_path, config)
    hosts = sorted(result.data["_meta"]["hostvars"])
    assert hosts == ["0010--omni02-z010.example.com", "0010--omni03-z010.example.com"]
    assert all(result.hostvars(h)["zoneweaver_system_status"] == "installed" for h in hosts)
    relayed = sorted(e["path"] for e in hyperweaver.log if e["path"].startswith("/api/agents/"))
    assert relayed == ["/api/agents/2/machines", "/api/agents/2/machines/" + hosts[0],
                       "/api/agents/3/machines", "/api/agents/3/machines/" + hosts[1]]


def test_org_scope_refusal_through_hyperweaver(tmp_path, clean, hyperweaver):
    hyperweaver.set_server_orgs(1, ["acme"])
    hyperweaver.set_server_orgs(2, ["other-org"])
    result = inventory(tmp_path, hw_config(hyperweaver, user="acme-admin"))
    agents = {v["zoneweaver_agent"] for v in result.data["_meta"]["hostvars"].values()}
    assert agents == {"omni01", "omni03"}   # its org's agent, and the one nobody owns
    assert "skipped agent 'omni02' (id 2 via Hyperweaver" in result.err
    assert "organisation scope" in result.err and "No access to this agent" in result.err
    assert "acme-password" not in result.out + result.err
    strict = inventory(tmp_path, hw_config(hyperweaver, user="acme-admin", strict_sources=True),
                       env={"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"})
    assert strict.rc != 0 and "No access to this agent" in strict.err


def test_bad_hyperweaver_password_is_reported(tmp_path, clean, hyperweaver):
    config = hw_config(hyperweaver)
    config["hyperweaver"][0]["password"] = "not-the-password"
    result = inventory(tmp_path, config)
    assert result.data["_meta"]["hostvars"] == {}
    assert "Invalid credentials" in result.err and "'ops'" in result.err
    assert "not-the-password" not in result.out + result.err


def test_agents_and_hyperweaver_in_one_file(tmp_path, clean, hyperweaver):
    config = hw_config(hyperweaver)
    config["hyperweaver"][0]["agents"] = ["1"]
    config["agents"] = [{"url": clean.agents[1].url, "api_key": clean.agents[1].admin_key, "name": "direct-omni02"}]
    result = inventory(tmp_path, config, "--graph")
    assert result.rc == 0, result.err
    assert "@zoneweaver_agent_omni01:" in result.out and "@zoneweaver_agent_direct_omni02:" in result.out


# --------------------------------------------------------------------------- addresses from DHCP and NAT


def wait_task(sim, answer):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        task = requests.get("%s/tasks/%s" % (sim.url, answer["task_id"]),
                            headers={"Authorization": "Bearer " + sim.admin_key}, timeout=10).json()
        if task["status"] in ("completed", "failed", "cancelled"):
            assert task["status"] == "completed", task
            return
        time.sleep(0.05)
    raise AssertionError("task %s did not finish" % answer["task_id"])


def agent_post(sim, path, body):
    r = requests.post(sim.url + path, headers={"Authorization": "Bearer " + sim.admin_key}, json=body, timeout=10)
    assert r.status_code in (200, 202), r.text
    return r.json()


def test_resolve_addresses_from_dhcp_reservations_and_nat_forwards(tmp_path):
    key = admin_key_for("0.3.9")
    with Simulator(generation="0.3.9", admin_key=key, hostname="netomni") as sim:
        sim.admin_key = key
        names = seed_zones(sim, 4)
        with sim.state.lock:   # zone 2 has no allowed-address: only DHCP knows its address
            sim.state.host_zones[names[1]]["config"]["net"][0].pop("allowed-address")
        # the agent writes rdr rules without ports: a public address redirected to a zone, or anything (0/0)
        wait_task(sim, agent_post(sim, "/network/nat/rules", {
            "bridge": "igb0", "subnet": "192.0.2.10/32", "target": "10.1.0.3", "protocol": "tcp", "type": "rdr"}))
        wait_task(sim, agent_post(sim, "/network/nat/rules", {
            "bridge": "igb0", "subnet": "0/0", "target": "10.1.0.6", "protocol": "tcp", "type": "rdr"}))
        wait_task(sim, agent_post(sim, "/network/dhcp/hosts", {
            "hostname": "netomni-z002", "mac": "02:08:20:00:00:02", "ip": "10.1.0.99"}))
        sim.clear_log()
        config = {"agents": [{"url": sim.url, "api_key": key, "name": "netomni"}], "resolve_addresses": True}
        result = inventory(tmp_path, config)
        public = result.hostvars(names[0])
        assert public["ansible_host"] == "192.0.2.10" and "ansible_port" not in public
        assert public["zoneweaver_ssh_forward"] == {"host": "192.0.2.10", "port": 22}
        leased = result.hostvars(names[1])
        assert leased["ansible_host"] == "10.1.0.99" and leased["zoneweaver_dhcp_address"] == "10.1.0.99"
        assert result.hostvars(names[2])["ansible_host"] == "10.1.0.5"
        assert result.hostvars(names[3])["ansible_host"] == "127.0.0.1"   # 0/0: reached at the agent's host
        assert sorted(e["path"] for e in sim.log) == ["/machines", "/network/dhcp/hosts", "/network/nat/rules"]
        # without the option the agent is asked once, and only the configured addresses are known
        sim.clear_log()
        plain_run = inventory(tmp_path, dict(config, resolve_addresses=False))
        assert "ansible_host" not in plain_run.hostvars(names[1])
        assert plain_run.hostvars(names[0])["ansible_host"] == "10.1.0.3"
        assert [e["path"] for e in sim.log] == ["/machines"]


def test_vaulted_key(tmp_path, clean):
    sim = clean.agents[0]
    password = tmp_path / "vault-password"
    password.write_text("inventory-vault-password\n")
    vault = os.path.join(os.path.dirname(sys.executable), "ansible-vault")
    encrypted = subprocess.run([vault, "encrypt_string", "--vault-password-file", str(password), sim.admin_key,
                                "--name", "api_key"], capture_output=True, text=True, check=True,
                               env=ansible_env(tmp_path, tmp_path / "unused.json")).stdout
    path = tmp_path / "vaulted.zoneweaver.yml"
    path.write_text("plugin: zoneweaver.illumos.zones\nagents:\n  - url: %s\n    name: vaulted\n%s\n"
                    % (sim.url, "\n".join("    " + line for line in encrypted.strip().splitlines())))
    assert sim.admin_key not in path.read_text()
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(path), "--list",
               "--vault-password-file", str(password)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                          env=ansible_env(tmp_path, tmp_path / "unused.json",
                                          {"ANSIBLE_INVENTORY_ENABLED": "zoneweaver.illumos.zones"}))
    result = Result(proc)
    assert len(result.data["_meta"]["hostvars"]) == ZONES and "WARNING" not in result.err
    assert sim.admin_key not in result.out + result.err
