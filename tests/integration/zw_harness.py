"""Integration harness: ansible-playbook runs against a simulator, as a user would run them.

A test builds a play from task dictionaries; run_play() runs it in a fresh
ansible-playbook process and returns the results recorded by the test callback
(callback_plugins/zw_results.py), as the display would show them.
"""

import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GENERATIONS = ("0.3.9", "0.2")


def admin_key_for(generation):
    """A pre-seeded admin key in the format of that generation."""
    return "wh_integrationTestAdminKey0001" if generation == "0.2" else "hw_AAAAAAAAAAAAAAAA.integration-admin-0001"


class PlayResult:
    def __init__(self, results, rc, output):
        self.results = results
        self.rc = rc
        self.output = output

    def __getitem__(self, name):
        """The result of the task with this name (the last one if it ran several times)."""
        matches = [r for r in self.results if r["task"] == name]
        if not matches:
            raise KeyError("no task %r ran; output:\n%s" % (name, self.output[-3000:]))
        return matches[-1]["result"]

    def outcome(self, name):
        return [r for r in self.results if r["task"] == name][-1]["outcome"]


def ansible_env(tmp_path, results_file, extra=None):
    """The environment of an ansible-* command run by the tests."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "tests", "ansible.cfg"),
        "ANSIBLE_INVENTORY": os.path.join(ROOT, "tests", "inventory.ini"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections"),
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "zw_results",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "ZW_RESULTS_FILE": str(results_file),
    })
    env.update(extra or {})
    return env


def run_play(tmp_path, tasks, sim=None, extra_args=(), module_defaults=None, env=None, play_vars=None):
    """Run one play of `tasks` on localhost; return PlayResult."""
    defaults = dict(module_defaults or {})
    if sim is not None:
        defaults.setdefault("group/zoneweaver.illumos.agent", {"api_url": sim.url, "api_key": sim.admin_key})
    play = [{"name": "integration", "hosts": "localhost", "gather_facts": False,
             "module_defaults": defaults, "vars": dict(play_vars or {}), "tasks": tasks}]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    return run_playbook(tmp_path, str(playbook), extra_args, env)


def run_playbook(tmp_path, playbook, extra_args=(), env=None):
    """Run a playbook file with ansible-playbook; return PlayResult."""
    results_file = tmp_path / "results.json"
    if results_file.exists():
        results_file.unlink()
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook] + list(extra_args)
    proc = subprocess.run(command, env=ansible_env(tmp_path, results_file, env), capture_output=True, text=True,
                          timeout=600, check=False)
    results = json.loads(results_file.read_text()) if results_file.exists() else []
    return PlayResult(results, proc.returncode, proc.stdout + proc.stderr)
