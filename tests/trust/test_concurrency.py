"""Concurrency: 20 forks (20 inventory hosts, all this machine over the local connection) add DHCP
hosts and NAT rules at the same time on one simulated host, through the agent and natively (the
fake illumos commands and the real config files). Every entry must end up there exactly once: no
writer may clobber another's change."""

import os
import re
import sys

from trust_harness import run_trust, shims_path, write_play
from worlds import world

WORKERS = 20
SUBNET = {"subnet": "10.190.190.0/24", "router": "10.190.190.1", "range_start": "10.190.190.10",
          "range_end": "10.190.190.99"}


def inventory(tmp_path):
    lines = ["[workers]"]
    lines += ["w%02d idx=%d ansible_connection=local ansible_python_interpreter=%s" % (i, i, sys.executable)
              for i in range(1, WORKERS + 1)]
    path = tmp_path / "workers.ini"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def worker_tasks(extra_dhcp, extra_nat):
    return [
        {"name": "dhcp host", "zoneweaver.illumos.dhcp_host": dict(
            extra_dhcp, hostname="vm{{ idx }}", mac="02:08:20:00:00:{{ '%02x' % (idx | int) }}",
            ip="10.190.190.{{ 100 + (idx | int) }}")},
        {"name": "nat rule", "zoneweaver.illumos.nat_rule": dict(
            extra_nat, bridge="igb0", subnet="10.{{ idx }}.0.0/24")},
    ]


def expected_hosts():
    return {"vm%d" % i for i in range(1, WORKERS + 1)}


def expected_subnets():
    return {"10.%d.0.0/24" % i for i in range(1, WORKERS + 1)}


def run_workers(tmp_path, playbook, env=None):
    run = run_trust(tmp_path, playbook, inventory=inventory(tmp_path),
                    env=dict({"ANSIBLE_FORKS": str(WORKERS)}, **(env or {})))
    assert run.rc == 0, run.output[-5000:]
    changed = {(r["host"], r["task"]) for r in run.results if r["result"].get("changed")}
    assert len(changed) == 2 * WORKERS, "every worker's change must be reported as its own"
    return run


def test_twenty_forks_through_one_agent(tmp_path):
    with world("0.3.9") as w:
        sim = w.sim
        connection = {"api_url": sim.url, "api_key": sim.admin_key}
        run_workers(tmp_path, write_play(tmp_path, worker_tasks(connection, connection), hosts="workers"))
        hosts = [h["hostname"] for h in sim.state.dhcp["hosts"]]
        assert sorted(hosts) == sorted(expected_hosts()), hosts
        subnets = [r["subnet"] for r in sim.state.nat["rules"]]
        assert sorted(subnets) == sorted(expected_subnets()), subnets


def test_twenty_forks_natively_on_one_host(tmp_path):
    with world("0.3.9") as w:
        sim = w.sim
        ctx = w.ctx
        path = shims_path(tmp_path, sim)
        subnet = dict(SUBNET, backend="native", config_file=ctx["dhcp_conf"])
        setup = run_trust(tmp_path, write_play(tmp_path, [
            {"name": "subnet", "zoneweaver.illumos.dhcp_subnet": subnet}], environment={"PATH": path}, name="setup.yml"))
        assert setup.rc == 0, setup.output[-3000:]
        playbook = write_play(tmp_path, worker_tasks({"backend": "native", "config_file": ctx["dhcp_conf"]},
                                                     {"backend": "native", "config_file": ctx["nat_conf"]}),
                              hosts="workers", environment={"PATH": path})
        run_workers(tmp_path, playbook)

        with open(ctx["dhcp_conf"]) as handle:
            dhcpd = handle.read()
        hosts = re.findall(r"^\s*host\s+(\S+)\s*\{", dhcpd, re.MULTILINE)
        assert sorted(hosts) == sorted(expected_hosts()), dhcpd
        with open(ctx["nat_conf"]) as handle:
            ipnat = handle.read()
        subnets = re.findall(r"^map igb0 (\S+) ->", ipnat, re.MULTILINE)
        assert sorted(subnets) == sorted(expected_subnets()), ipnat
        leftovers = [n for n in os.listdir(os.path.dirname(ctx["nat_conf"])) + os.listdir(os.path.dirname(ctx["dhcp_conf"]))
                     if n.startswith(".") and "tmp" in n]
        assert leftovers == [], "temporary files left behind: %s" % leftovers
