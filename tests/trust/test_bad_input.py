"""Bad input: random and hostile values (shell metacharacters, ../, unicode, control characters,
huge and negative numbers, malformed sizes) fed to module options through each module's own
argument spec and resource code, in this process, against a simulator. The outcome is always a
clean refusal with a message, or a valid run; never a traceback; never a mutating request, command
or file write before a refusal; and a hostile identifier (names the agent or a command would see)
is never accepted. A few hostile values also go end to end through ansible-playbook."""

import json
import re

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from inprocess import run_module  # noqa: E402
from trust_harness import counters, run_trust, shims_path, write_play  # noqa: E402
from worlds import world  # noqa: E402
from zoneweaver_sim import ips  # noqa: E402

HOSTILE_TEXT = [
    "web;reboot", "$(reboot)", "`id`", "a|b", "a && b", "x > /etc/passwd", "../../etc/passwd", "..", "/", "./x",
    "name with space", "tab\there", "line\nbreak", "nul\x00byte", "ünïcødé", "名前", "emoji😀", "-rf", "--help",
    "'quoted'", '"dq"', "*", "?", "~root", "${IFS}id", "%2e%2e%2f", "a" * 300, "", " ", "\u202eevil",
]
HOSTILE_NUMBERS = [-1, 0, -(2 ** 63), 2 ** 64, 10 ** 30, "-1", "1e309", "NaN", "inf", "0x10", "12abc", 1.5, True]
HOSTILE_SIZES = ["-1G", "0", "99999999999999999999999T", "1.5.5G", "G", "10Q", " 10G", "NaN", "inf", "-0", "1e3G",
                 "10 G", "10GiB", "0x10G", 10 ** 30, -5]

texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40))
numbers = st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.integers(), st.floats(allow_nan=True), st.text(max_size=8))
sizes = st.one_of(st.sampled_from(HOSTILE_SIZES), st.text(max_size=12))

# Characters an identifier never needs; '/' and '@' are allowed where the field's grammar has them.
SAFE_ID = re.compile(r"\A[A-Za-z0-9._:-]+\Z")


def hostile_identifier(value, extra=""):
    if not isinstance(value, str):
        return False
    if extra is BOXVAULT_NAME:   # an empty filter is no filter
        return bool(value) and not BOXVAULT_RE.match(value)
    stripped = value
    for ch in extra:
        stripped = stripped.replace(ch, "")
    return (not SAFE_ID.match(stripped or "-")) or ".." in value or value.startswith("-")


def zone_base():
    return {"name": "0009--hyp.example.com", "state": "present", "boot_disk": {"type": "blank", "size": "1G"}}


# module -> (valid options, {option path: (strategy, identifier-extra-chars or None)}, backends)
# An option path "a.b" sets b inside the dict a. extra=None: not an identifier (any clean outcome goes).
# JUDGED: values only the host can judge (ZFS property values: hundreds of properties, user
# properties free-form); a bad one may reach the agent or zfs, which must refuse it unchanged.
JUDGED = "judged by the host"
# BoxVault's own grammar for organisation and box names (hyperweaver-boxvault.md section 2.3:
# ^[A-Za-z0-9.-]+$): a leading '-' is a valid name there, and template_info only filters with it
# (it never reaches a command line), so only what falls outside that grammar must be refused.
BOXVAULT_NAME = "BoxVault name"
BOXVAULT_RE = re.compile(r"\A[A-Za-z0-9.-]+\Z")
TABLE = {
    "etherstub": ({"name": "stub0"}, {"name": (texts, "")}, ("agent", "native")),
    "vnic": ({"name": "web0", "link": "igb0"},
             {"name": (texts, ""), "link": (texts, ""), "vlan_id": (numbers, None), "mac_address": (texts, None)},
             ("agent", "native")),
    "vlan": ({"name": "v30", "link": "ixgbe0", "vid": 30},
             {"name": (texts, ""), "link": (texts, ""), "vid": (numbers, None)}, ("agent", "native")),
    "ip_address": ({"addrobj": "igb0/v4", "address": "10.0.0.5/24"},
                   {"addrobj": (texts, "/"), "address": (texts, None)}, ("agent", "native")),
    "ip_forwarding": ({"ipv4": True, "interfaces": [{"name": "igb0"}]}, {"interfaces.0.name": (texts, "")},
                      ("agent",)),
    "zfs_dataset": ({"name": "rpool/hyp", "properties": {"compression": "lz4"}},
                    {"name": (texts, "/"), "properties.quota": (sizes, None),
                     "properties.compression": (texts, JUDGED)}, ("agent", "native")),
    "zfs_snapshot": ({"name": "rpool@hyp"}, {"name": (texts, "/@")}, ("agent", "native")),
    "zone": (zone_base(), {"name": (texts, ""), "ram": (sizes, None), "vcpus": (numbers, None),
                           "boot_disk.size": (sizes, None), "notes": (texts, None)}, ("agent", "native")),
    "zone_snapshot": ({"machine": "0009--hyp.example.com", "name": "s1"},
                      {"machine": (texts, ""), "name": (texts, "")}, ("agent",)),
    "nat_rule": ({"bridge": "igb0", "subnet": "10.190.190.0/24"},
                 {"bridge": (texts, ""), "subnet": (texts, None), "target": (texts, None)}, ("agent", "native")),
    "dhcp_host": ({"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20"},
                  {"hostname": (texts, ""), "mac": (texts, None), "ip": (texts, None)}, ("agent", "native")),
    "dhcp_subnet": ({"subnet": "10.190.190.0/24", "router": "10.190.190.1", "range_start": "10.190.190.10",
                     "range_end": "10.190.190.254"},
                    {"subnet": (texts, None), "router": (texts, None), "range_end": (texts, None),
                     "listen_interface": (texts, "")}, ("agent", "native")),
    "template": ({"organization": "STARTcloud", "box": "trustbox", "version": "1.0.0", "registry_url": "$bv_url"},
                 {"organization": (texts, ""), "box": (texts, ""), "version": (texts, None)}, ("agent",)),
    "api_key": ({"name": "hyp", "role": "viewer"}, {"name": (texts, None), "description": (texts, None)},
                ("agent",)),
    "task_info": ({"limit": 5}, {"task_id": (texts, None), "machine": (texts, None), "limit": (numbers, None)},
                  ("agent",)),
    "zone_info": ({}, {"name": (texts, None)}, ("agent",)),
    "storage_info": ({}, {"pool": (texts, None), "dataset": (texts, None)}, ("agent", "native")),
    "zones": ({"zones": [zone_base()], "prune_tag": "hyp"},
              {"zones.0.name": (texts, ""), "zones.0.ram": (sizes, None), "zones.0.vcpus": (numbers, None),
               "zones.0.boot_disk.size": (sizes, None), "prune_tag": (texts, None), "concurrency": (numbers, None)},
              ("agent", "native")),
    # a zone the agent does not have: a valid run stops at the agent's 404, before anything changes
    "zone_exec": ({"name": "0009--hypexec.example.com", "argv": ["hostname"]},
                  {"name": (texts, ""), "exec_timeout": (numbers, None), "command": (texts, None)}, ("agent",)),
    "zone_provision": ({"name": "0009--hypprov.example.com"},
                       {"name": (texts, ""), "wait_timeout": (numbers, None)}, ("agent",)),
    "provisioning_recipe": ({"name": "hyp-recipe", "os_family": "linux", "steps": [{"type": "wait", "pattern": "x"}]},
                            {"name": (texts, ""), "shell_prompt": (texts, None), "timeout_seconds": (numbers, None),
                             "steps.0.type": (texts, None)}, ("agent",)),
    "provisioning_profile": ({"name": "hyp-profile", "recipe": "hyp-none"},
                             {"name": (texts, ""), "recipe": (texts, ""), "description": (texts, None)},
                             ("agent-0.2",)),
    "artifact": ({"src": "$artifact_src"},
                 {"filename": (texts, ""), "storage_location": (texts, None), "checksum": (texts, None)}, ("agent",)),
    "template_info": ({"organization": "STARTcloud"},
                      {"organization": (texts, BOXVAULT_NAME), "box": (texts, BOXVAULT_NAME),
                       "version": (texts, None)}, ("agent", "native")),
    # the host's own modules (no backend option): through the fake illumos commands
    "ips_package": ({"name": ["rsync"]},
                    {"name.0": (texts, "/@.,:-"), "publisher.name": (texts, "")}, ("host",)),
    "smf_service": ({"name": "dhcp:ipv4", "properties": [{"name": "config/hyp_note", "value": "x"}]},
                    {"name": (texts, "/:"), "properties.0.name": (texts, "/"), "properties.0.type": (texts, ""),
                     "properties.0.value": (texts, None), "wait_timeout": (numbers, None)}, ("host",)),
    "ipfilter_rule": ({"config_file": "$ipf_conf", "action": "block", "direction": "in", "source": "10.190.190.21"},
                      {"interface": (texts, ""), "protocol": (texts, "/"), "source": (texts, "/"),
                       "destination": (texts, "/"), "port": (numbers, None)}, ("host",)),
    "agent_config": ({"path": "$agent_conf", "settings": {"server": {"http_port": 5000, "https_port": 5001}}},
                     {"mode": (texts, None), "settings.server.http_port": (numbers, None),
                      "settings.server.https_port": (numbers, None)}, ("host",)),
}
# Modules that let the host judge a well-formed name: zone_exec sends its command without reading
# the zone first (the agent answers 404 for a zone it does not have), ips_package lets pkg say
# whether a package exists (its install fails and changes nothing). Their refusals are judged by
# the host's state, not by the count of requests or commands; hostile names are still never sent.
ASKS_THE_HOST = {"zone_exec", "ips_package"}
NATIVE_FILES = {"nat_rule": "nat_conf", "dhcp_host": "dhcp_conf", "dhcp_subnet": "dhcp_conf"}
CASES = [(m, b) for m, entry in sorted(TABLE.items()) for b in entry[2]]


def host_state(sim):
    """The simulated host's state, without what every request touches (key use times)."""
    with sim.state.lock:
        data = {k: v for k, v in sim.state.to_dict().items() if k not in ("keys", "counters")}
        return json.dumps(data, sort_keys=True, default=str)


def put(args, path, value):
    """args with the option at `path` ('a.b', 'a.0.b') set to value."""
    keys = path.split(".")
    target = args
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
    if isinstance(target, list):
        target[int(keys[-1])] = value
    else:
        target[keys[-1]] = value
    return args


def fill(value, ctx):
    if isinstance(value, dict):
        return {k: fill(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ctx) for v in value]
    return ctx[value[1:]] if isinstance(value, str) and value.startswith("$") else value


@pytest.fixture(scope="module")
def hosts():
    """One simulated host per backend, shared by the examples (a valid example may change it)."""
    with world("0.3.9", boxvault=True) as agent, world("0.3.9") as native, world("0.2") as agent_0_2:
        with native.sim.state.lock:
            ips.image(native.sim.state)   # the package image is seeded on first use, not by a change
        yield {"agent": agent, "native": native, "host": native, "agent-0.2": agent_0_2}


@pytest.mark.parametrize("module,backend", CASES, ids=["%s-%s" % c for c in CASES])
def test_hostile_values_fail_cleanly_and_before_any_change(hosts, module, backend):
    w = hosts[backend]
    base, fields = TABLE[module][:2]
    if backend.startswith("agent"):
        connection = {"api_url": w.sim.url, "api_key": w.sim.admin_key}
    else:   # a module of the host itself has no backend option
        connection = {"backend": "native"} if backend == "native" else {}
    if backend == "native" and module in NATIVE_FILES:
        connection["config_file"] = w.ctx[NATIVE_FILES[module]]

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.data())
    def check(data):
        path = data.draw(st.sampled_from(sorted(fields)), label="option")
        strategy, id_extra = fields[path]
        value = data.draw(strategy, label=path)
        args = put(fill(json.loads(json.dumps(base)), w.ctx), path, value)
        args.update(connection)
        before = counters(w.sim), host_state(w.sim)
        outcome, detail = run_module(module, args, w.sim, native=backend in ("native", "host"))
        after = counters(w.sim), host_state(w.sim)
        if outcome != "ok":
            assert isinstance(detail, str) and detail.strip(), "a refusal without a message"
            if id_extra is JUDGED or module in ASKS_THE_HOST:   # the host refused it: nothing changed there
                assert after[1] == before[1], "%s %r=%r failed (%s) after changing the host" % (
                    module, path, value, detail)
            else:
                assert after == before, "%s %r=%r was refused (%s) only after a mutating call" % (
                    module, path, value, detail)
        if id_extra not in (None, JUDGED) and hostile_identifier(value, id_extra):
            assert outcome != "ok", "%s accepted the hostile identifier %s=%r" % (module, path, value)
            assert after[0] == before[0], "%s sent the hostile identifier %s=%r" % (module, path, value)

    check()


def test_hostile_names_end_to_end_are_refused_before_any_request_or_command(tmp_path):
    """Through ansible-playbook: a clean failure per task, nothing sent, no Python traceback."""
    bad = ["web0;reboot", "$(reboot)", "../../etc", "ünï0", "-rf"]
    with world("0.3.9") as w:
        tasks = []
        for i, name in enumerate(bad):
            tasks += [{"name": "vnic %d" % i, "zoneweaver.illumos.vnic": {"name": name, "link": "igb0"},
                       "ignore_errors": True},
                      {"name": "native zone %d" % i, "zoneweaver.illumos.zone": {
                          "name": name, "state": "present", "backend": "native"}, "ignore_errors": True},
                      {"name": "native nat %d" % i, "zoneweaver.illumos.nat_rule": {
                          "bridge": name, "subnet": "10.1.0.0/24", "backend": "native",
                          "config_file": w.ctx["nat_conf"]}, "ignore_errors": True}]
        tasks.append({"name": "huge size", "zoneweaver.illumos.zfs_dataset": {
            "name": "rpool/huge", "properties": {"quota": "99999999999999999999999T"}}, "ignore_errors": True})
        for backend in ("agent", "native"):   # ansible-core itself raises on 'inf' for an integer option
            tasks.append({"name": "infinite vid " + backend, "zoneweaver.illumos.vlan": {
                "name": "v30", "link": "igb0", "vid": "inf", "backend": backend}, "ignore_errors": True})
        tasks.append({"name": "negative vcpus", "zoneweaver.illumos.zone": {
            "name": "0009--neg.example.com", "state": "present", "vcpus": -4}, "ignore_errors": True})
        before = counters(w.sim)
        playbook = write_play(tmp_path, tasks, environment={"PATH": shims_path(tmp_path, w.sim)}, module_defaults={
            "group/zoneweaver.illumos.agent": {"api_url": w.sim.url, "api_key": w.sim.admin_key}})
        run = run_trust(tmp_path, playbook)
        assert run.rc == 0, run.output[-4000:]
        assert len(run.results) == len(tasks)
        for entry in run.results:
            assert entry["outcome"] == "failed", entry
            result = entry["result"]
            assert result.get("msg") and "Traceback" not in json.dumps(result), result
            assert "unexpected error" not in result["msg"], result["msg"]
        assert counters(w.sim) == before
        for backend in ("agent", "native"):
            assert run["infinite vid " + backend]["msg"] == "vid must be a whole number, got 'inf'"
