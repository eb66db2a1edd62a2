"""`make demo`: start the built-in simulator, run the demo playbook against it, stop it.

The simulator is a fresh agent (generation 0.3.9 unless ZW_DEMO_GENERATION is
set): no API key yet, only the setup token written beside its state, exactly
as on a newly installed host. The playbook bootstraps its first key from that
token and then manages a zone.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.dirname(sys.executable)


def start_simulator(state_dir, generation):
    port_file = os.path.join(state_dir, "port")
    proc = subprocess.Popen(
        [os.path.join(BIN, "zoneweaver-sim"), "serve", "--port", "0", "--port-file", port_file,
         "--generation", generation, "--state-dir", state_dir, "--timing", "fast"],
        stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if os.path.exists(port_file) and open(port_file).read().strip():
            return proc, "http://127.0.0.1:%s" % open(port_file).read().strip()
        if proc.poll() is not None:
            sys.exit("the simulator exited early (code %s)" % proc.returncode)
        time.sleep(0.05)
    proc.kill()
    sys.exit("the simulator did not start within 20 s")


def main():
    generation = os.environ.get("ZW_DEMO_GENERATION", "0.3.9")
    with tempfile.TemporaryDirectory(prefix="zoneweaver-demo-") as state_dir:
        sim, url = start_simulator(state_dir, generation)
        print("Simulated Zoneweaver Agent %s at %s (state in %s)\n" % (generation, url, state_dir), flush=True)
        env = dict(os.environ,
                   ZONEWEAVER_URL=url,
                   ZW_DEMO_SETUP_TOKEN_FILE=os.path.join(state_dir, "setup.token"),
                   ANSIBLE_CONFIG=os.path.join(HERE, "ansible.cfg"),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
        try:
            code = subprocess.call([os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", "demo.yml")],
                                   env=env)
        finally:
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=10)
    sys.exit(code)


if __name__ == "__main__":
    main()
