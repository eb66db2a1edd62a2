"""Check-mode and idempotence matrix: every module of trust_matrix.MATRIX, through ansible-playbook,
against the simulator (both agent generations, and the native backend through the fake illumos
commands). Per task, the zw_trust callback records the mutating agent requests, mutating commands,
changes sent to the Hyperweaver Server and the digest of the host's files, so each assertion names
the module and phase at fault."""

import pytest

import trust_matrix
from trust_harness import Probe, run_trust, shims_path, write_play
from worlds import world

# The native matrix runs a module process per task (about a second each): it is split in two halves
# that pytest-xdist can run side by side (the host's own modules join the storage half, which is
# the shorter one).
STORAGE_AND_ZONES = {"zfs_dataset", "zfs_snapshot", "storage_info", "zone", "zone_info", "zone_snapshot", "zones",
                     "template_info", "host_info", "ips_package", "smf_service", "agent_config"}
COMBOS = [("agent", "0.3.9", None), ("agent", "0.2", None), ("native", "0.3.9", "storage-zones"),
          ("native", "0.3.9", "network")]
COUNTERS = ("requests", "commands", "files", "hyperweaver")


def moved(run, name):
    """The counters a task moved: {counter: amount}."""
    entry = run.entry(name)
    return {c: run.delta(name, c) for c in COUNTERS if c in entry["before"] and run.delta(name, c)}


def selected(entries, part):
    if part is None:
        return entries
    return [e for e in entries if (e.module in STORAGE_AND_ZONES) == (part == "storage-zones")]


@pytest.mark.parametrize("backend,generation,part", COMBOS,
                         ids=["agent-0.3.9", "agent-0.2", "native-storage-zones", "native-network"])
def test_check_mode_predicts_and_second_run_is_unchanged(tmp_path, backend, generation, part):
    entries = selected(trust_matrix.entries_for(backend, generation), part)
    services = {s for e in entries for s in e.services}
    with world(generation, boxvault="boxvault" in services, hyperweaver="hyperweaver" in services) as w:
        tasks = trust_matrix.matrix_tasks(entries, backend, w.ctx)
        defaults, environment = {}, None
        if backend == "agent":
            defaults = {"group/zoneweaver.illumos.agent": {"api_url": w.sim.url, "api_key": "{{ agent_key }}"}}
        else:
            environment = {"PATH": shims_path(tmp_path, w.sim)}
        playbook = write_play(tmp_path, tasks, module_defaults=defaults, environment=environment)
        with Probe(w.sim, w.hyperweaver) as probe:
            run = run_trust(tmp_path, playbook, probe, ["--diff"] + w.secret_args(tmp_path))

    assert run.rc == 0, run.output[-6000:]
    problems = []
    for entry in entries:
        m = entry.module
        if entry.action:
            problems += action_problems(run, entry)
        elif entry.present is not None:
            check, real, again = run[m + ": check present"], run[m + ": present"], run[m + ": present again"]
            if moved(run, m + ": check present"):
                problems.append("%s: check mode changed the host: %s" % (m, moved(run, m + ": check present")))
            if not (check["changed"] is True and real["changed"] is True):
                problems.append("%s: check mode said changed=%s, the real run changed=%s (both must be true on "
                                "a fresh host)" % (m, check["changed"], real["changed"]))
            if not moved(run, m + ": present"):
                problems.append("%s: the real run reported a change but sent nothing" % m)
            if again["changed"] is not False or moved(run, m + ": present again"):
                problems.append("%s: second identical run changed=%s, moved %s" % (
                    m, again["changed"], moved(run, m + ": present again")))
        if entry.info is not None:
            for phase in ("info in check mode", "info") if backend == "agent" else ("info in check mode",):
                result = run[m + ": " + phase]
                if result["changed"] is not False or moved(run, m + ": " + phase):
                    problems.append("%s: read-only use (%s) changed=%s, moved %s" % (
                        m, phase, result["changed"], moved(run, m + ": " + phase)))
        if entry.absent is not None and backend in entry.absent_backends:
            check, real, again = run[m + ": check absent"], run[m + ": absent"], run[m + ": absent again"]
            if moved(run, m + ": check absent"):
                problems.append("%s: check-mode removal changed the host: %s" % (m, moved(run, m + ": check absent")))
            if not (check["changed"] is True and real["changed"] is True):
                problems.append("%s: removal in check mode said changed=%s, the real removal changed=%s" % (
                    m, check["changed"], real["changed"]))
            if again["changed"] is not False or moved(run, m + ": absent again"):
                problems.append("%s: second removal changed=%s, moved %s" % (
                    m, again["changed"], moved(run, m + ": absent again")))
    assert not problems, "\n".join(problems)


def action_problems(run, entry):
    """An action module (entry.behaviour says how it behaves): check mode skips the task without
    sending anything; every real run acts again, reports `entry.changes` and moves the host's
    counters the same way."""
    m, problems = entry.module, []
    check = run.entry(m + ": check present")
    if check["outcome"] != "skipped" or moved(run, m + ": check present"):
        problems.append("%s: check mode should skip the action and send nothing; outcome %s, moved %s" % (
            m, check["outcome"], moved(run, m + ": check present")))
    for phase in ("present", "present again"):
        result = run[m + ": " + phase]
        if result.get("changed") is not entry.changes:
            problems.append("%s: %s said changed=%s; the module documents %s" % (
                m, phase, result.get("changed"), entry.changes))
        if not moved(run, m + ": " + phase):
            problems.append("%s: %s sent nothing: the action did not run" % (m, phase))
    if moved(run, m + ": present again") != moved(run, m + ": present"):
        problems.append("%s: the second run acted differently (%s) from the first (%s)" % (
            m, moved(run, m + ": present again"), moved(run, m + ": present")))
    return problems
