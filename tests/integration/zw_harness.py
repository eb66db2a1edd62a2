"""Integration harness: ansible-playbook runs against a simulator, as a user would run them.

A test builds a play from task dictionaries; run_play() runs it in a fresh
ansible-playbook process and returns the results recorded by the test callback
(callback_plugins/zw_results.py), as the display would show them.
"""

import contextlib
import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# Agent generations the integration tests run against. `make test313` narrows it to the newest
# (ZW_GENERATIONS=0.3.9): the generation axis does not depend on Python, and `make test311` runs both.
GENERATIONS = tuple(g for g in os.environ.get("ZW_GENERATIONS", "0.3.9,0.2").split(",") if g)


def admin_key_for(generation):
    """A pre-seeded admin key in the format of that generation."""
    return "wh_integrationTestAdminKey0001" if generation == "0.2" else "hw_AAAAAAAAAAAAAAAA.integration-admin-0001"


@contextlib.contextmanager
def simulated_host(generation="0.3.9"):
    """A simulator (fast task timing) with a pre-seeded admin key, as `sim.admin_key`."""
    from zoneweaver_sim import Simulator
    key = admin_key_for(generation)
    with Simulator(generation=generation, timing="fast", admin_key=key) as simulator:
        simulator.admin_key = key
        yield simulator


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


def run_play(tmp_path, tasks, sim=None, extra_args=(), module_defaults=None, env=None, play_vars=None,
             environment=None):
    """Run one play of `tasks` on localhost; return PlayResult. `environment`: the play's keyword of that name."""
    defaults = dict(module_defaults or {})
    if sim is not None:
        defaults.setdefault("group/zoneweaver.illumos.agent", {"api_url": sim.url, "api_key": sim.admin_key})
    play = [{"name": "integration", "hosts": "localhost", "gather_facts": False, "environment": dict(environment or {}),
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


# No agent or Hyperweaver anywhere in the environment (backend=auto must not find one); pipelining
# (one process per task instead of copy+run+remove) keeps many-task native plays fast.
NATIVE_ENV = {"ZONEWEAVER_URL": "", "ZONEWEAVER_HYPERWEAVER_URL": "", "ANSIBLE_PIPELINING": "1"}


def shims_on_path(sim, directory):
    """Write the simulator's fake illumos commands into `directory`; return a PATH that finds them first."""
    sim.write_shims(str(directory))
    return str(directory) + os.pathsep + os.environ.get("PATH", "")


def native_play(tmp_path, sim, tasks, extra_args=(), env=None, module_defaults=None):
    """Run `tasks` on localhost with the shims first in PATH (the play's `environment:`), so a module's
    run_command reaches the same simulated host as the agent face; return PlayResult."""
    return run_play(tmp_path, tasks, extra_args=extra_args, module_defaults=module_defaults,
                    env=dict(NATIVE_ENV, **(env or {})), environment={"PATH": shims_on_path(sim, tmp_path / "shims")})
