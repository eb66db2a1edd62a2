"""`make demo`: a private zone network, a template and a 3-zone environment on a simulated host.

Starts the built-in simulator (a fresh Zoneweaver Agent, generation 0.3.9 unless ZW_DEMO_GENERATION is
set, plus a BoxVault registry holding the template), then runs, against it:
  1. playbooks/demo.yml       first contact: bootstrap an API key from the host's setup token
  2. playbooks/provision.yml  network, template, environment of 3 zones, provisioning
  3. ansible-inventory --graph  the zones, through the collection's inventory plugin
  4. playbooks/provision.yml  again: nothing to change
  5. playbooks/teardown.yml   everything removed
and prints a short summary. The simulator is stopped and its state removed at the end.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.dirname(sys.executable)
BOX = "STARTcloud/debian13-server@2025.8.22"
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def start_simulator(state_dir, generation):
    port_file = os.path.join(state_dir, "port")
    proc = subprocess.Popen(
        [os.path.join(BIN, "zoneweaver-sim"), "serve", "--port", "0", "--port-file", port_file,
         "--generation", generation, "--state-dir", os.path.join(state_dir, "host"), "--timing", "fast",
         "--boxvault", BOX],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as fh:
                port = fh.read().strip()
            if port:
                return proc, "http://127.0.0.1:%s" % port
        if proc.poll() is not None:
            sys.exit("the simulator exited early (code %s)" % proc.returncode)
        time.sleep(0.05)
    proc.kill()
    sys.exit("the simulator did not start within 20 s")


def banner(text):
    print("\n=== %s %s" % (text, "=" * max(3, 74 - len(text))), flush=True)


def run(argv, env):
    """Run a command, showing its output as it comes; return (rc, output, seconds)."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    sys.stdout.flush()
    return proc.wait(), "".join(lines), time.monotonic() - started


def recap(output):
    """{host: (ok, changed, failed)} from ansible-playbook's PLAY RECAP."""
    return {m.group(1): (int(m.group(2)), int(m.group(3)), int(m.group(5))) for m in RECAP_RE.finditer(output)}


def provisioned(output):
    """Zones the provisioning task reported changed."""
    section = output.split("Provisioning pipeline of each zone", 1)[-1].split("\nTASK ", 1)[0]
    return re.findall(r"^changed: \[[^]]+\] => \(item=(\S+)\)", section, re.M)


def changes(output):
    """Tasks changed, over every host of the run."""
    return sum(changed for _ok, changed, _failed in recap(output).values())


def main():
    generation = os.environ.get("ZW_DEMO_GENERATION", "0.3.9")
    playbook = os.path.join(BIN, "ansible-playbook")
    extra = ["-e", "@" + os.path.join(HERE, "environment.yml")]
    summary = []
    with tempfile.TemporaryDirectory(prefix="zoneweaver-demo-") as state_dir:
        sim, url = start_simulator(state_dir, generation)
        print("Simulated Zoneweaver Agent %s at %s, with a BoxVault registry holding %s" % (generation, url, BOX),
              flush=True)
        key_file = os.path.join(state_dir, "api-key")
        env = dict(os.environ,
                   ZONEWEAVER_URL=url,
                   ZW_DEMO_SETUP_TOKEN_FILE=os.path.join(state_dir, "host", "setup.token"),
                   ZW_DEMO_KEY_FILE=key_file,
                   ANSIBLE_CONFIG=os.path.join(HERE, "ansible.cfg"),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
        env.pop("ZONEWEAVER_API_KEY", None)
        try:
            banner("1. First contact: API key from the setup token")
            rc = run([playbook, os.path.join(ROOT, "playbooks", "demo.yml")], env)[0]
            if rc:
                return rc
            with open(key_file) as fh:
                env["ZONEWEAVER_API_KEY"] = fh.read().strip()

            banner("2. Network, template, a 3-zone environment, provisioning")
            rc, out, took = run([playbook, os.path.join(ROOT, "playbooks", "provision.yml")] + extra, env)
            if rc:
                return rc
            first = changes(out)
            summary.append("provision.yml, first run:  %3d tasks changed in %.1f s" % (first, took))
            summary.append("provisioned through the agent's pipeline: %s" % ", ".join(provisioned(out)))

            banner("3. The zones, as the collection's inventory plugin sees them")
            inventory = os.path.join(state_dir, "zoneweaver.yml")
            with open(inventory, "w") as fh:
                json.dump({"plugin": "zoneweaver.illumos.zones",
                           "agents": [{"url": url, "name": "omnios-sim", "api_key_env": "ZONEWEAVER_API_KEY"}]}, fh)
            rc, graph = run([os.path.join(BIN, "ansible-inventory"), "-i", inventory, "--graph"], env)[:2]
            if rc:
                return rc
            zones = sorted(set(re.findall(r"\|--(\S+--\S+)", graph)))
            summary.append("inventory: %d zones (%s)" % (len(zones), ", ".join(zones)))

            banner("4. The same again: nothing to change")
            rc, out, took = run([playbook, os.path.join(ROOT, "playbooks", "provision.yml")] + extra, env)
            if rc:
                return rc
            second = changes(out)
            summary.append("provision.yml, second run: %3d tasks changed in %.1f s" % (second, took))

            banner("5. Teardown")
            rc, out, took = run([playbook, os.path.join(ROOT, "playbooks", "teardown.yml")] + extra, env)
            if rc:
                return rc
            summary.append("teardown.yml:              %3d tasks changed in %.1f s" % (
                changes(out), took))
        finally:
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=10)
        banner("Summary")
        print("\n".join("  " + line for line in summary))
        if second:
            print("  FAILED: the second run changed %d things" % second)
            return 1
        print("  OK: built, provisioned, unchanged on the second run, torn down.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
