"""One scenario matrix, two backends: every resource module with an agent and a native backend runs the
same tasks against the same fresh simulated host, once through the agent API and once natively through
the shims, and must report the same `changed` sequence and the same key facts.

Per module: create (changed), the same again (unchanged), a change in check mode (changed, and no
mutating request or command while it ran), removal (changed), removal again (unchanged). All modules'
tasks go into one play per backend (two ansible-playbook runs for the whole matrix); each module is
then checked by its own test.
"""

import collections

import pytest

from zoneweaver_sim import natdhcp
from zw_harness import native_play, simulated_host

SUBNET = "10.190.190.0/24"
ZONE = "0001--parity.example.com"
SNAP_ZONE = "0002--parity-snap.example.com"


class Case(collections.namedtuple("Case", "module present absent change facts keys setup native")):
    """present/absent: the module's arguments; change: a check-mode task that would change something
    (default: the removal); absent=None where one backend cannot remove (the step is left out for both);
    facts: the result key holding the object; keys: its fields that must be equal across backends;
    setup: tasks run before the module's own (both backends); native: extra native-only options,
    as a function of the simulator."""


def case(module, present, absent, facts, keys, change=None, setup=(), native=None):
    return Case(module, present, absent, change, facts, keys, list(setup), native)


def config_file(path):
    """The simulated host's file (the module's default path on a real host)."""
    return lambda sim: {"config_file": natdhcp.host_path(sim, path)}


NAT_CONF = config_file("/etc/ipf/ipnat.conf")
DHCPD_CONF = config_file("/etc/dhcpd.conf")
DHCP_SUBNET = {"subnet": SUBNET, "router": "10.190.190.1", "range_start": "10.190.190.100",
               "range_end": "10.190.190.199", "dns": ["9.9.9.9"], "listen_interface": "igb0"}

CASES = [
    case("etherstub", {"name": "pstub0"}, {"name": "pstub0", "state": "absent"}, "etherstub", ("name",)),
    case("vnic", {"name": "pweb0", "link": "igb0", "vlan_id": 30, "mac_address": "2:8:20:0:0:30"},
         {"name": "pweb0", "state": "absent"}, "vnic", ("name", "link", "vlan_id", "mac_address")),
    case("vlan", {"link": "igb1", "vid": 31}, {"link": "igb1", "vid": 31, "state": "absent"}, "vlan",
         ("name", "link", "vid")),
    case("ip_address", {"addrobj": "igb1/parity", "address": "10.191.0.1/24"},
         {"addrobj": "igb1/parity", "state": "absent"}, "address", ("addrobj", "address", "type", "ip_version")),
    case("ip_forwarding", {"ipv4": True, "interfaces": [{"name": "igb0"}]},
         {"ipv4": False, "interfaces": [{"name": "igb0", "enabled": False}]}, "forwarding", ("ipv4", "interfaces")),
    case("nat_rule", {"bridge": "igb0", "subnet": SUBNET}, {"bridge": "igb0", "subnet": SUBNET, "state": "absent"},
         "rule", ("type", "bridge", "subnet", "target", "protocol"), native=NAT_CONF),
    # the agent has no delete for a subnet declaration: no removal steps, a check-mode edit instead
    case("dhcp_subnet", DHCP_SUBNET, None, "subnet", ("subnet", "netmask", "router", "range_start", "range_end", "dns"),
         change=dict(DHCP_SUBNET, dns=["1.1.1.1"]), native=DHCPD_CONF),
    case("dhcp_host", {"hostname": "pweb01", "mac": "2:8:20:0:0:41", "ip": "10.190.190.41"},
         {"hostname": "pweb01", "state": "absent"}, "host", ("hostname", "mac", "ip"), native=DHCPD_CONF),
    case("dhcp_service", {"state": "started"}, {"state": "stopped"}, "service", ("state",)),
    case("zfs_dataset", {"name": "rpool/parity", "properties": {"compression": "lz4", "quota": "1G"}},
         {"name": "rpool/parity", "state": "absent"}, "dataset", ("name", "type")),
    case("zfs_snapshot", {"name": "rpool/export@parity"}, {"name": "rpool/export@parity", "state": "absent"},
         "snapshot", ("name",)),
    # notes "" once made the native re-run report a change (an empty note reads back as none)
    case("zone", {"name": ZONE, "state": "present", "ram": "1G", "vcpus": 1, "boot_disk": {"type": "none"},
                  "notes": ""},
         {"name": ZONE, "state": "absent"}, "zone", ("name", "brand", "status", "ram", "vcpus")),
    case("zone_snapshot", {"machine": SNAP_ZONE, "name": "parity1"},
         {"machine": SNAP_ZONE, "name": "parity1", "state": "absent"}, "snapshot", ("name",),
         setup=[("zone", {"name": SNAP_ZONE, "state": "present", "boot_disk": {"type": "blank", "size": "1G"}})]),
]
EXPECTED_CHANGED = {"create": True, "again": False, "check change": True, "remove": True, "remove again": False}


def steps(entry):
    """(step, arguments, check mode) for one module."""
    out = [("create", entry.present, False), ("again", entry.present, False),
           ("check change", entry.change or entry.absent, True)]
    if entry.absent is not None:
        out += [("remove", entry.absent, False), ("remove again", entry.absent, False)]
    return out


def scenario(sim, backend, marker):
    """The whole matrix as one task list; `marker(label)` is a read-only task that shows, in the backend's
    own log, where a check-mode task began and ended."""
    tasks = []
    for entry in CASES:
        extra = entry.native(sim) if backend == "native" and entry.native else {}
        for number, (module, args) in enumerate(entry.setup):
            tasks.append({"name": "%s: setup %d" % (entry.module, number), "zoneweaver.illumos." + module: args})
        for step, args, check in steps(entry):
            title = "%s: %s" % (entry.module, step)
            task = {"name": title, "zoneweaver.illumos." + entry.module: dict(args, **extra)}
            if check:
                tasks += [marker(title + " begins"), dict(task, check_mode=True), marker(title + " ends")]
            else:
                tasks.append(task)
    return tasks


def agent_marker(sim):
    def marker(label):
        # the request log records every request; a read of /status with a marker stands for the label
        return {"name": label, "ansible.builtin.uri": {"url": sim.url + "/status?marker=" + label.replace(" ", "_")}}
    return marker


NATIVE_MARKER = ["dladm", "show-link", "-p", "-o", "link", "zwmarker0"]


def native_marker(label):
    # the shims log every invocation: a read of a link no module asks about stands for the label
    return {"name": label, "ansible.builtin.command": {"argv": NATIVE_MARKER}, "failed_when": False}


def mutations_between_markers(sim, backend):
    """For each check-mode task, in order: the mutating requests or commands logged while it ran."""
    if backend == "agent":
        entries = [(e["path"] == "/status" and "marker" in (e["query"] or {}), e["method"] not in ("GET", "HEAD"),
                    e) for e in sim.log]
    else:
        entries = [([c["tool"]] + c["argv"] == NATIVE_MARKER, c["mutating"], c) for c in sim.commands()]
    out, found = [], None
    for is_marker, mutating, entry in entries:
        if is_marker:
            if found is None:
                found = []              # a check-mode task begins
            else:
                out.append(found)       # ... and ends
                found = None
        elif found is not None and mutating:
            found.append(entry)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{backend: (PlayResult, mutations logged during each check-mode task in order, simulator's end state)}."""
    out = {}
    for backend in ("agent", "native"):
        tmp_path = tmp_path_factory.mktemp(backend)
        with simulated_host("0.3.9") as sim:
            if backend == "agent":
                defaults = {"group/zoneweaver.illumos.agent": {"backend": "agent", "api_url": sim.url,
                                                               "api_key": sim.admin_key}}
                marker = agent_marker(sim)
            else:
                defaults = {"group/zoneweaver.illumos.agent": {"backend": "native"}}
                marker = native_marker
            run = native_play(tmp_path, sim, scenario(sim, backend, marker), module_defaults=defaults)
            assert run.rc == 0, run.output
            if backend == "agent":
                assert sim.commands() == [], "the agent run ran host commands"
            checks = mutations_between_markers(sim, backend)
            assert len(checks) == len(CASES), "the markers around the check-mode tasks did not all show in the log"
            out[backend] = (run, checks, end_state(sim))
    return out


def end_state(sim):
    state = sim.state
    return {"links": sorted(state.links), "datasets": sorted(state.datasets), "zones": sorted(state.host_zones),
            "forwarding": state.forwarding["ipv4"]["current"]}


@pytest.mark.parametrize("entry", CASES, ids=lambda c: c.module)
def test_same_changed_sequence_and_facts(runs, entry):
    facts = {}
    for backend, (run, checks, _end) in runs.items():
        done = [step for step, _args, _check in steps(entry)]
        changed = [run["%s: %s" % (entry.module, step)]["changed"] for step in done]
        assert changed == [EXPECTED_CHANGED[step] for step in done], (backend, done, changed)
        # the check-mode tasks come in CASES order; this module's is the n-th
        assert checks[CASES.index(entry)] == [], "%s: check mode mutated on the %s backend" % (entry.module, backend)
        created = run[entry.module + ": create"][entry.facts]
        facts[backend] = {key: created.get(key) for key in entry.keys}
        assert all(value is not None for value in facts[backend].values()), (backend, facts[backend])
    assert facts["agent"] == facts["native"]


def test_same_end_state(runs):
    assert runs["agent"][2] == runs["native"][2]
