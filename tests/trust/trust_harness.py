"""Harness of the reliability suite: ansible-playbook runs whose every task result carries what the
simulated world counted before and after it (mutating agent requests, mutating commands, changes
sent to a Hyperweaver Server, a digest of the simulated host's files), read through a small probe
server in the test process by the zw_trust callback."""

import hashlib
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

from zoneweaver_sim import natdhcp
from zw_harness import ROOT, ansible_env

HERE = os.path.dirname(os.path.abspath(__file__))
READS = ("GET", "HEAD", "OPTIONS")
# The Hyperweaver Server's own session endpoints change nothing the user manages.
HW_SESSION = ("/api/auth/login", "/api/auth/logout")


def files_digest(sim):
    """Digest of every file of the simulated host (config files written by native modules)."""
    root = natdhcp.files_root(sim)
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(directory, name)
            digest.update(os.path.relpath(path, root).encode() + b"\0")
            try:
                with open(path, "rb") as handle:
                    digest.update(handle.read())
            except OSError:
                digest.update(b"<unreadable>")
    return digest.hexdigest()


def counters(sim=None, hyperweaver=None):
    out = {}
    if sim is not None:
        out["requests"] = len(sim.mutations())
        out["commands"] = len(sim.command_mutations())
        out["files"] = files_digest(sim)
    if hyperweaver is not None:
        out["hyperweaver"] = len([e for e in hyperweaver.log
                                  if e["method"] not in READS and e["path"] not in HW_SESSION])
    return out


class Probe:
    """GET / answers counters() of the given simulators as JSON (read by the zw_trust callback)."""

    def __init__(self, sim=None, hyperweaver=None):
        probe = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                body = json.dumps(counters(probe.sim, probe.hyperweaver)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.sim = sim
        self.hyperweaver = hyperweaver
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class TrustResult:
    def __init__(self, results, rc, stdout, stderr):
        self.results = results
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.output = stdout + stderr

    def entry(self, name, host=None):
        matches = [r for r in self.results if r["task"] == name and (host is None or r["host"] == host)]
        if not matches:
            raise KeyError("no task %r ran; output:\n%s" % (name, self.output[-4000:]))
        return matches[-1]

    def __getitem__(self, name):
        return self.entry(name)["result"]

    def delta(self, name, counter, host=None):
        """How much `counter` moved while the task ran (0 for an unchanged digest)."""
        entry = self.entry(name, host)
        before, after = entry["before"][counter], entry["after"][counter]
        if isinstance(before, str):
            return 0 if before == after else 1
        return after - before


def shims_path(tmp_path, sim):
    shims = tmp_path / "shims"
    if not shims.exists():
        sim.write_shims(str(shims))
    return str(shims) + os.pathsep + os.environ.get("PATH", "")


def write_play(tmp_path, tasks, hosts="localhost", module_defaults=None, environment=None, play_vars=None,
               name="play.yml"):
    play = {"name": "trust", "hosts": hosts, "gather_facts": False, "module_defaults": module_defaults or {},
            "vars": play_vars or {}, "tasks": tasks}
    if environment:
        play["environment"] = environment
    path = tmp_path / name
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return str(path)


def run_trust(tmp_path, playbook, probe=None, extra_args=(), env=None, inventory=None, timeout=600):
    """ansible-playbook `playbook` with the zw_trust callback; returns TrustResult."""
    results_file = tmp_path / "results.json"
    if results_file.exists():
        results_file.unlink()
    extra = {"ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
             "ANSIBLE_CALLBACKS_ENABLED": "zw_trust", "ANSIBLE_PIPELINING": "1", "ZONEWEAVER_URL": ""}
    if probe is not None:
        extra["ZW_TRUST_PROBE"] = probe.url
    if inventory is not None:
        extra["ANSIBLE_INVENTORY"] = inventory
    extra.update(env or {})
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook] + list(extra_args)
    proc = subprocess.run(command, env=ansible_env(tmp_path, results_file, extra), capture_output=True, text=True,
                          timeout=timeout, check=False, cwd=ROOT)
    results = json.loads(results_file.read_text()) if results_file.exists() else []
    return TrustResult(results, proc.returncode, proc.stdout, proc.stderr)
