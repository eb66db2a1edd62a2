"""playbooks/zone_network.yml end to end: build, re-run unchanged, check mode, tear down."""

import os

from zw_harness import ROOT, run_playbook

PLAYBOOK = os.path.join(ROOT, "playbooks", "zone_network.yml")


def changed_tasks(run):
    return sorted({r["task"] for r in run.results if r["result"].get("changed")})


def test_build_rerun_check_and_teardown(tmp_path, sim):
    env = {"ZONEWEAVER_URL": sim.url, "ZONEWEAVER_API_KEY": sim.admin_key}

    planned = run_playbook(tmp_path, PLAYBOOK, ["--check"], env)
    assert planned.rc == 0, planned.output
    assert sim.mutations() == [], "check mode sent a mutating request"
    assert "Etherstub (the zones' private switch)" in changed_tasks(planned)

    built = run_playbook(tmp_path, PLAYBOOK, [], env)
    assert built.rc == 0, built.output
    assert len(changed_tasks(built)) >= 8

    again = run_playbook(tmp_path, PLAYBOOK, [], env)
    assert again.rc == 0, again.output
    assert changed_tasks(again) == [], "a second run changed something"

    removed = run_playbook(tmp_path, PLAYBOOK, ["-e", "zw_state=absent"], env)
    assert removed.rc == 0, removed.output
    removed_again = run_playbook(tmp_path, PLAYBOOK, ["-e", "zw_state=absent"], env)
    assert removed_again.rc == 0, removed_again.output
    assert changed_tasks(removed_again) == []
