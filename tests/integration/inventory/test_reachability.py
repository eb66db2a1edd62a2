"""Zones reached over TCP at the address the zoneweaver.illumos.zones inventory computes.

What this proves: `ansible-playbook -i <file>.zoneweaver.yml` builds one host per zone, and a play on
those hosts that opens TCP connections to `{{ ansible_host }}:{{ ansible_port }}` (ansible.builtin.wait_for,
delegated to localhost) reaches, for every zone, a listener that exists only at the address computed for
that zone, and reads a banner naming that zone. The addresses come from each route the inventory knows:
- a NIC allowed-address of the zone's configuration (two zones, same port, different loopback addresses);
- a DHCP reservation matched by MAC, for a zone without an allowed-address (added through the agent's API);
- an ipnat rdr rule with ports on a public address: ansible_host is that address, ansible_port the outer port;
- an rdr rule catching any destination (0/0) with a port, towards a DHCP-reserved address: reached at the
  agent's host (the host part of the agent's URL, or the server's registration through Hyperweaver);
- a control zone whose computed address has no listener, which must fail, so a pass is not an accident.
Each source is read directly and through a simulated Hyperweaver Server (same addresses expected).

What it does not prove: that SSH works. The listeners on 127.0.0.x stand in for the guests' sshd and only
send an SSH-style banner; the agent is simulated, so its NAT and DHCP tables are data, not packet
rewriting. The agent's own API writes rdr rules without ports (a whole address is redirected, port 22
stays 22), so the rules with ports are put into the simulated ipnat.conf directly, as an operator would
write them by hand; listening on port 22 is not possible in a test. The port of the zones without a NAT
rule comes from group_vars next to the inventory file (the inventory sets no ansible_port for them), which
is how a site would give a non-default SSH port. Needs Linux's 127.0.0.0/8 loopback.
"""

import socket
import threading
import time

import pytest
import requests
import yaml

from zoneweaver_sim import Simulator
from zoneweaver_sim.fleet import seed_zones
from zoneweaver_sim.hyperweaver import HyperweaverSimulator
from zoneweaver_sim.util import new_uuid, now_iso
from zw_harness import admin_key_for, run_playbook

pytestmark = pytest.mark.integration
KEY = admin_key_for("0.3.9")
HW_USERS = {"ops": {"password": "reach-ops-password", "role": "super-admin"}}


class Listener:
    """A TCP listener standing in for a guest's sshd: it sends a banner naming its zone."""

    def __init__(self, address, port, zone):
        self.zone = zone
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.address, self.port = self.sock.getsockname()
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _peer = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            threading.Thread(target=self._greet, args=(conn,), daemon=True).start()

    def _greet(self, conn):
        try:
            conn.sendall(("SSH-2.0-OpenSSH_9.6 zone=%s\r\n" % self.zone).encode("ascii"))
            time.sleep(0.5)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def wait_task(sim, answer):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        task = requests.get("%s/tasks/%s" % (sim.url, answer["task_id"]),
                            headers={"Authorization": "Bearer " + KEY}, timeout=10).json()
        if task["status"] in ("completed", "failed", "cancelled"):
            assert task["status"] == "completed", task
            return
        time.sleep(0.05)
    raise AssertionError("task %s did not finish" % answer["task_id"])


def reserve(sim, hostname, mac, ip):
    """A DHCP reservation through the agent's API."""
    r = requests.post(sim.url + "/network/dhcp/hosts", headers={"Authorization": "Bearer " + KEY},
                      json={"hostname": hostname, "mac": mac, "ip": ip}, timeout=10)
    assert r.status_code in (200, 202), r.text
    wait_task(sim, r.json())


def hand_written_rdr(sim, rule):
    """An ipnat.conf line with ports, as an operator writes it (the agent's API has no ports)."""
    now = now_iso()
    with sim.state.lock:
        sim.state.nat["rules"].append({"id": new_uuid(), "rule": rule, "raw_rule": rule, "bridge": "igb0",
                                       "subnet": rule.split()[2], "target": rule.split("->")[1].split()[0],
                                       "protocol": "tcp", "type": "rdr", "description": None, "created_by": None,
                                       "created_at": now, "updated_at": now})


def set_address(sim, zone, address):
    with sim.state.lock:
        net = sim.state.host_zones[zone]["config"]["net"][0]
        if address is None:
            net.pop("allowed-address", None)
        else:
            net["allowed-address"] = address + "/24"
        return net["mac-addr"]


@pytest.fixture(scope="module")
def site():
    """One agent, six zones, and the listeners the zones' computed addresses must lead to."""
    with Simulator(generation="0.3.9", timing="fast", admin_key=KEY, hostname="reachomni") as sim:
        sim.admin_key = KEY
        zones = seed_zones(sim, 6)
        first = Listener("127.0.0.11", 0, zones[0])
        shared = first.port   # the zones without a NAT rule share one SSH port, given in group_vars
        listeners = [first, Listener("127.0.0.12", shared, zones[1]), Listener("127.0.0.13", shared, zones[2]),
                     Listener("127.0.0.1", 0, zones[3]), Listener("127.0.0.1", 0, zones[4])]
        try:
            set_address(sim, zones[0], "127.0.0.11")
            set_address(sim, zones[1], "127.0.0.12")
            reserve(sim, "reachomni-z003", set_address(sim, zones[2], None), "127.0.0.13")
            set_address(sim, zones[3], "10.1.0.4")
            hand_written_rdr(sim, "rdr igb0 127.0.0.1/32 port %d -> 10.1.0.4 port 22 tcp" % listeners[3].port)
            reserve(sim, "reachomni-z005", set_address(sim, zones[4], None), "10.1.0.55")
            hand_written_rdr(sim, "rdr igb0 0/0 port %d -> 10.1.0.55 port 22 tcp" % listeners[4].port)
            set_address(sim, zones[5], "127.0.0.20")   # control: nothing listens there
            expected = {zones[0]: ("127.0.0.11", shared), zones[1]: ("127.0.0.12", shared),
                        zones[2]: ("127.0.0.13", shared), zones[3]: ("127.0.0.1", listeners[3].port),
                        zones[4]: ("127.0.0.1", listeners[4].port), zones[5]: ("127.0.0.20", shared)}
            yield {"sim": sim, "zones": zones, "listeners": listeners, "expected": expected, "shared": shared}
        finally:
            for listener in listeners:
                listener.close()


PLAY = [{
    "name": "reach every zone at its computed address",
    "hosts": "zoneweaver_agent_reachomni",
    "gather_facts": False,
    "tasks": [
        {"name": "address", "ansible.builtin.debug": {"msg": "{{ inventory_hostname }} {{ ansible_host }} {{ ansible_port }}"}},
        {"name": "reach", "ignore_errors": True, "delegate_to": "localhost",
         "ansible.builtin.wait_for": {"host": "{{ ansible_host }}", "port": "{{ ansible_port | int }}", "timeout": 3,
                                      "search_regex": "zone={{ inventory_hostname | regex_escape }}"}},
    ],
}]


@pytest.mark.parametrize("through", ["agent", "hyperweaver"])
def test_every_zone_is_reached_at_the_computed_address(tmp_path, site, through):
    sim = site["sim"]
    config = {"plugin": "zoneweaver.illumos.zones", "resolve_addresses": True, "strict_sources": True}
    server = None
    if through == "agent":
        config["agents"] = [{"url": sim.url, "api_key": KEY, "name": "reachomni"}]
    else:
        server = HyperweaverSimulator(agents={1: sim}, users=HW_USERS).start()
        config["hyperweaver"] = [{"url": server.url, "username": "ops", "password": HW_USERS["ops"]["password"]}]
    try:
        source = tmp_path / "reach.zoneweaver.yml"
        source.write_text(yaml.safe_dump(config))
        (tmp_path / "group_vars").mkdir()
        (tmp_path / "group_vars" / "zoneweaver_agent_reachomni.yml").write_text(
            yaml.safe_dump({"ansible_port": site["shared"]}))
        playbook = tmp_path / "reach.yml"
        playbook.write_text(yaml.safe_dump(PLAY, sort_keys=False))
        before = [listener.accepted for listener in site["listeners"]]
        run = run_playbook(tmp_path, str(playbook), ["-i", str(source)],
                           env={"ANSIBLE_INVENTORY_ENABLED": "zoneweaver.illumos.zones"})
    finally:
        if server is not None:
            server.stop()
    addresses = {}
    for entry in run.results:
        if entry["task"] == "address":
            name, host, port = entry["result"]["msg"].split()
            addresses[name] = (host, int(port))
    assert addresses == site["expected"], run.output
    outcomes = [entry["outcome"] for entry in run.results if entry["task"] == "reach"]
    assert sorted(outcomes) == ["failed"] + ["ok"] * 5, run.output
    # the one failure is the control zone, whose address has no listener
    failed = [entry["result"] for entry in run.results if entry["task"] == "reach" and entry["outcome"] == "failed"]
    assert "127.0.0.20" in failed[0]["msg"] or "Timeout" in failed[0]["msg"], failed
    # every listener, each reachable only at one zone's computed address, was connected to
    assert all(listener.accepted > count for listener, count in zip(site["listeners"], before))
    matched = sorted(entry["result"]["match_groupdict"] is not None for entry in run.results
                     if entry["task"] == "reach" and entry["outcome"] == "ok")
    assert matched == [True] * 5
