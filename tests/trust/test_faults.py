"""Faults: a flaky, slow agent (10% of requests failing with 5xx, dropped before or after being
applied, 100-300 ms latency) still ends with every object created exactly once; a task that never
finishes hits wait_timeout with its task id in the message; an agent restart while a task runs is
reported with the task id and the agent's reason, and a re-run converges."""

import os
import threading
import time

import pytest
import yaml

from trust_harness import run_trust, shims_path, write_play
from worlds import world
from zoneweaver_sim.boxvault import BoxVaultSimulator
from zw_harness import ROOT

GROUP = "group/zoneweaver.illumos.agent"
ZONES = ("0001--fault01.example.com", "0002--fault02.example.com")
RULE = {"bridge": "igb0", "subnet": "10.190.190.0/24"}
HOST = {"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20"}
HUNG = "zone_create_install"     # the install step of a zone creation
DEMO_BOX = {"org": "STARTcloud", "name": "debian13-server", "version": "2025.8.22"}
FLAKY = {"latency": [0.1, 0.3], "error_rate": 0.05, "drop_rate": 0.03, "lost_reply_rate": 0.02}


def defaults(sim):
    return {GROUP: {"api_url": sim.url, "api_key": sim.admin_key}}


def network_and_zones():
    tasks = [{"name": "stub", "zoneweaver.illumos.etherstub": {"name": "faultstub0"}},
             {"name": "vnic", "zoneweaver.illumos.vnic": {"name": "fault0", "link": "faultstub0"}},
             {"name": "nat", "zoneweaver.illumos.nat_rule": RULE},
             {"name": "dhcp host", "zoneweaver.illumos.dhcp_host": HOST}]
    tasks += [{"name": "zone " + z, "zoneweaver.illumos.zone": {
        "name": z, "state": "present", "boot_disk": {"type": "blank", "size": "1G"}}} for z in ZONES]
    return tasks


def converge_under_faults(sim, tmp_path, playbook, runs, extra_args=()):
    """Re-run the playbook, as an operator would after a broken connection, until a run succeeds
    (every failure on the way giving a reason); then, with the faults off, one more run must
    change nothing."""
    attempts = []
    while len(attempts) < runs:
        run = run_trust(tmp_path, playbook, extra_args=extra_args)
        attempts.append(run)
        assert "Traceback" not in run.output, run.output[-4000:]
        for entry in run.results:
            if entry["outcome"] == "failed":
                assert entry["result"].get("msg"), entry   # a reason, not an empty failure
        if run.rc == 0:
            break
    assert attempts[-1].rc == 0, "no convergence after %d runs:\n%s" % (len(attempts), run.output[-4000:])
    injected = [e for e in sim.log if e["status"] in (0, 500, 502, 503) or e.get("reply_lost")]
    assert injected, "the faults never fired: the test proved nothing"

    sim.knobs.update({"latency": 0, "error_rate": 0, "drop_rate": 0, "lost_reply_rate": 0})
    final = run_trust(tmp_path, playbook, extra_args=extra_args)
    assert final.rc == 0, final.output[-4000:]
    assert [r["task"] for r in final.results if r["result"]["changed"]] == [], "not converged"


def test_flaky_slow_agent_converges_without_duplicates(tmp_path):
    with world("0.3.9") as w:
        sim = w.sim
        sim.knobs.update(FLAKY)
        # With this seed the first 14 requests already meet a 5xx, a dropped request and a lost
        # reply (each request draws the same number of times, so the sequence is per request).
        sim.knobs.seed(9)
        playbook = write_play(tmp_path, network_and_zones(), module_defaults=defaults(sim))
        converge_under_faults(sim, tmp_path, playbook, runs=5)

        state = sim.state
        assert len(state.nat["rules"]) == 1, state.nat["rules"]
        assert [h["hostname"] for h in state.dhcp["hosts"]] == ["web01"], state.dhcp["hosts"]
        assert sorted(m for m in state.machines if m.startswith("000")) == sorted(ZONES)
        created = [e for e in sim.log if e["method"] == "POST" and e["path"] == "/machines"
                   and e["status"] in (200, 202)]
        assert len(created) == len(ZONES), "a zone creation was applied more than once: %s" % created


def test_flaky_agent_converges_the_provision_playbook(tmp_path):
    """The whole workflow (host network, template import, a 3-zone environment, provisioning) against an
    agent that fails, drops and loses some requests: re-runs converge, a clean run then changes nothing,
    and no zone was created twice."""
    with world("0.3.9") as w, BoxVaultSimulator(boxes=[DEMO_BOX]) as registry:
        sim = w.sim
        sim.template_sources = [{"name": "boxvault", "url": registry.url, "enabled": True, "default": True}]
        inventory = tmp_path / "hosts.yml"
        inventory.write_text(yaml.safe_dump({"all": {"children": {"zoneweaver_hosts": {"hosts": {"h1": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "zoneweaver_connection": {"api_url": sim.url, "api_key": sim.admin_key},
            "zoneweaver_capacity": {"vcpus": 16, "ram": "32G"}}}}}}}))
        args = ["-i", str(inventory), "-e", "@" + os.path.join(ROOT, "playbooks", "demo", "environment.yml")]
        playbook = os.path.join(ROOT, "playbooks", "provision.yml")
        # Twice the rates of FLAKY and less latency (the workflow sends a few hundred requests); with this
        # seed the first runs fail on injected faults and the re-runs converge.
        sim.knobs.update(dict(FLAKY, latency=[0.01, 0.05], error_rate=0.1, lost_reply_rate=0.05))
        sim.knobs.seed(2)
        converge_under_faults(sim, tmp_path, playbook, runs=6, extra_args=args)
        zones = sorted(m for m in sim.state.machines if ".demo." in m)
        assert sorted(z.split("--", 1)[1] for z in zones) == ["app.demo.example.com", "db.demo.example.com",
                                                              "web.demo.example.com"]
        created = [e for e in sim.log if e["method"] == "POST" and e["path"] == "/machines"
                   and e["status"] in (200, 202)]
        assert len(created) == len(zones), "a zone creation was applied more than once: %s" % created


def restart_when_running(sim, operation, zone, after=None):
    """A thread that restarts the agent once `operation` runs for `zone`, then stops hanging tasks."""
    def run():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(t["operation"] == operation and t["status"] == "running" and zone in str(t)
                   for t in list(sim.state.tasks.values())):
                time.sleep(0.3)
                sim.restart()
                sim.knobs.hang_operations = set()
                return
            time.sleep(0.05)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def interrupt_a_creation(tmp_path, sim):
    """Create ZONES[0] while an agent restart cuts its install step: (the zone's spec, the run)."""
    zone = {"name": ZONES[0], "state": "present", "boot_disk": {"type": "blank", "size": "1G"}}
    sim.knobs.hang_operations = {HUNG}
    restarter = restart_when_running(sim, HUNG, ZONES[0])
    first = run_trust(tmp_path, write_play(tmp_path, [
        {"name": "create", "zoneweaver.illumos.zone": zone, "ignore_errors": True}], module_defaults=defaults(sim)))
    restarter.join()
    return zone, first


def task_of(sim, operation, zone):
    return [t for t in sim.state.tasks.values() if t["operation"] == operation and zone in str(t)]


def test_wait_timeout_and_agent_restart_are_reported_with_the_task_id(tmp_path):
    with world("0.3.9") as w:
        sim = w.sim
        slow, interrupted = ZONES
        zone = {"state": "present", "boot_disk": {"type": "blank", "size": "1G"}}
        setup = run_trust(tmp_path, write_play(tmp_path, [
            {"name": "zone " + z, "zoneweaver.illumos.zone": dict(zone, name=z)} for z in ZONES],
            module_defaults=defaults(sim)))
        assert setup.rc == 0, setup.output[-3000:]

        sim.knobs.hang_operations = {"start"}
        tasks = [
            {"name": "never finishes", "zoneweaver.illumos.zone": {"name": slow, "state": "running", "wait_timeout": 2},
             "ignore_errors": True},
            {"name": "interrupted", "zoneweaver.illumos.zone": {
                "name": interrupted, "state": "running", "wait_timeout": 120}, "ignore_errors": True},
            {"name": "rerun after restart", "zoneweaver.illumos.zone": {"name": interrupted, "state": "running"}},
            {"name": "rerun the slow one", "zoneweaver.illumos.zone": {"name": slow, "state": "running"}},
        ]
        restarter = restart_when_running(sim, "start", interrupted)
        run = run_trust(tmp_path, write_play(tmp_path, tasks, module_defaults=defaults(sim)))
        restarter.join()

        assert run.rc == 0, run.output[-4000:]
        timed_out = run.entry("never finishes")
        [slow_start] = task_of(sim, "start", slow)[:1]
        assert timed_out["outcome"] == "failed" and timed_out["result"]["error_type"] == "TaskTimeoutError"
        message = timed_out["result"]["msg"]
        assert slow_start["id"] in message and "wait_timeout=2s" in message and "task_info" in message, message
        assert timed_out["result"]["task_id"] == slow_start["id"]

        cut = run.entry("interrupted")
        [cut_start] = task_of(sim, "start", interrupted)[:1]
        assert cut["outcome"] == "failed", cut
        assert cut_start["id"] in cut["result"]["msg"] and "Agent restarted" in cut["result"]["msg"], cut["result"]

        # The re-runs succeed. The interrupted boots leave the zones 'ready', which the zone module
        # counts as running (a boot in progress), so they report no change [reported to the lead].
        for name in ("rerun after restart", "rerun the slow one"):
            assert run.entry(name)["outcome"] == "ok" and run[name]["zone"]["status"] in ("running", "ready")


def test_a_failure_after_applied_steps_reports_changed(tmp_path):
    """A zone creation that stops part way (wait_timeout during install, or a failing install) has
    created the zone's storage and configuration: the task fails, and says changed=true. A failure
    before anything was applied (an agent refusal) stays changed=false."""
    with world("0.3.9") as w:
        sim = w.sim
        slow, broken = ZONES
        zone = {"state": "present", "boot_disk": {"type": "blank", "size": "1G"}}
        sim.knobs.hang_operations = {HUNG}
        tasks = [
            {"name": "times out", "zoneweaver.illumos.zone": dict(zone, name=slow, wait_timeout=2),
             "ignore_errors": True},
            {"name": "refused", "ignore_errors": True, "zoneweaver.illumos.zone": dict(
                zone, name="0003--refused.example.com", boot_disk={"type": "image", "path": "rpool/nope"})},
        ]
        run = run_trust(tmp_path, write_play(tmp_path, tasks, module_defaults=defaults(sim)))
        sim.knobs.hang_operations = set()
        sim.knobs.update({"fail_operations": {HUNG: "zoneadm: install failed: no space left"}})
        assert run.rc == 0, run.output[-4000:]
        timed_out = run["times out"]
        assert run.entry("times out")["outcome"] == "failed" and timed_out["error_type"] == "TaskTimeoutError"
        assert timed_out["changed"] is True, timed_out
        assert slow in sim.state.host_zones, "the report says the host changed: it did"
        refused = run["refused"]
        assert run.entry("refused")["outcome"] == "failed" and refused.get("changed") is not True, refused

        failing = run_trust(tmp_path, write_play(tmp_path, [
            {"name": "install fails", "zoneweaver.illumos.zone": dict(zone, name=broken), "ignore_errors": True},
            {"name": "in a bulk run",
             "zoneweaver.illumos.zones": {"zones": [dict(zone, name="0004--bulk.example.com")]},
             "ignore_errors": True}],
            module_defaults=defaults(sim)))
        failed = failing["install fails"]
        assert failing.entry("install fails")["outcome"] == "failed" and "no space left" in failed["msg"]
        assert failed["changed"] is True, failed
        assert sim.state.host_zones[broken]["state"] in ("configured", "incomplete"), sim.state.host_zones[broken]
        bulk = failing["in a bulk run"]
        assert bulk["changed"] is True and bulk["results"][0]["failed"] is True and bulk["results"][0]["changed"]


def test_a_creation_interrupted_by_a_restart_is_explained_and_the_manual_fix_works(tmp_path):
    """The agent keeps no record of a creation cut before its finalize step and offers no call to
    adopt or remove the zone it left (agent-api.md section 3): the re-run's 409 names the zone, its
    state on the host and the clean-up, and that clean-up (the zone module with backend=native on
    the host) lets the re-run converge."""
    with world("0.3.9") as w:
        sim = w.sim
        zone, first = interrupt_a_creation(tmp_path, sim)
        assert first.entry("create")["outcome"] == "failed" and first["create"]["changed"] is True
        rerun = run_trust(tmp_path, write_play(tmp_path, [
            {"name": "create again", "zoneweaver.illumos.zone": zone, "ignore_errors": True}],
            module_defaults=defaults(sim)))
        refused = rerun["create again"]
        assert rerun.entry("create again")["outcome"] == "failed" and refused["error_type"] == "ConflictError"
        message = refused["msg"]
        for words in (ZONES[0], "zoneadm state 'incomplete'", "does not list it", "interrupted",
                      "state=absent backend=native", "zoneadm -z %s uninstall -F" % ZONES[0]):
            assert words in message, (words, message)
        assert refused["system_status"] == "incomplete" and refused.get("changed") is not True

        # the clean-up the hint gives: the zone module natively on the host, then the agent's record of
        # the zone if its discovery listed it meanwhile (this simulator's commands run discovery at once)
        fixed = run_trust(tmp_path, write_play(tmp_path, [
            {"name": "clean up on the host", "zoneweaver.illumos.zone": {
                "name": ZONES[0], "state": "absent", "backend": "native", "cleanup_disks": True}},
            {"name": "forget the agent's record", "zoneweaver.illumos.zone": {"name": ZONES[0], "state": "absent"}},
            {"name": "create once more", "zoneweaver.illumos.zone": zone}],
            module_defaults=defaults(sim), environment={"PATH": shims_path(tmp_path, sim)}))
        assert fixed.rc == 0, fixed.output[-4000:]
        assert fixed["clean up on the host"]["changed"] is True
        assert fixed["create once more"]["changed"] is True and fixed["create once more"]["actions"] == ["create"]
        assert sim.state.host_zones[ZONES[0]]["state"] == "installed"


@pytest.mark.xfail(strict=True, reason="the agent offers no way to adopt or remove a zone a creation left on the "
                   "host before its finalize step (agent-api.md section 3: no discovery, orphan or adopt "
                   "endpoint; its 300 s discovery pass is not documented to list an 'incomplete' zone), so the "
                   "re-run cannot converge on its own; the module explains the 409 and the manual clean-up "
                   "instead (test_a_creation_interrupted_by_a_restart_is_explained_and_the_manual_fix_works)")
def test_rerun_after_a_creation_interrupted_by_a_restart_converges(tmp_path):
    with world("0.3.9") as w:
        sim = w.sim
        zone, first = interrupt_a_creation(tmp_path, sim)
        # the interruption itself is reported clearly: task id and the agent's reason
        [install] = task_of(sim, HUNG, ZONES[0])
        assert install["id"] in first["create"]["msg"] and "Agent restarted" in first["create"]["msg"]
        rerun = run_trust(tmp_path, write_play(tmp_path, [
            {"name": "create again", "zoneweaver.illumos.zone": zone}], module_defaults=defaults(sim)))
        assert rerun.rc == 0, rerun["create again"]["msg"]
