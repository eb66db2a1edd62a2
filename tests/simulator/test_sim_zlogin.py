"""The simulator's `zlogin`: commands really run in a native zone's simulated root,
through the shim; bhyve zones and zones that are not running are refused with
zlogin's texts (simulator/zoneweaver_sim/commands/zlogin.py)."""
from __future__ import annotations

import os
import random
import subprocess

import pytest
import requests

from sim_helpers import Simulator

from zoneweaver_sim.commands.zlogin import subshell, zone_root

NATIVE = "0001--web01.example.com"
VM = "vm01"


def _zone(env, name, brand, state):
    config = "create -b\nset zonepath=/rpool/zones/%s/path\nset brand=%s\nset ip-type=exclusive\n" % (name, brand)
    steps = [["zonecfg", "-z", name, "-f", "-"]]
    if state in ("installed", "running"):
        steps.append(["zoneadm", "-z", name, "install"])
    if state == "running":
        steps.append(["zoneadm", "-z", name, "boot"])
    for argv in steps:
        proc = subprocess.run(argv, env=env, input=config.encode(), capture_output=True, timeout=60, check=False)
        assert proc.returncode == 0, (argv, proc.stderr)


@pytest.fixture
def host(tmp_path):
    sim = Simulator(generation="0.3.9").start()
    sim.write_shims(str(tmp_path / "bin"))
    sim.env = dict(os.environ, PATH=str(tmp_path / "bin") + os.pathsep + os.environ.get("PATH", ""),
                   CALLER_SECRET="not for the zone")
    _zone(sim.env, NATIVE, "sparse", "running")
    yield sim
    sim.stop()


def zlogin(sim, *argv, data=b""):
    """(rc, stdout bytes, stderr text) of the zlogin shim."""
    proc = subprocess.run(["zlogin"] + list(argv), env=sim.env, input=data, capture_output=True, timeout=60,
                          check=False)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


def test_commands_run_in_the_zone_root_with_zlogins_environment(host):
    root = zone_root(host.state_dir, NATIVE)
    rc, out, err = zlogin(host, NATIVE, 'echo "$PWD|$HOME|$ZONEWEAVER_ZONE_ROOT|$ZONEWEAVER_ZONE|${CALLER_SECRET-unset}"')
    assert (rc, err) == (0, "")
    assert out.decode() == "|".join([root, root, root, NATIVE, "unset"]) + "\n"
    assert zlogin(host, NATIVE, "zonename; hostname") == (0, (NATIVE + "\n").encode() * 2, "")
    assert zlogin(host, NATIVE, "exit 3")[0] == 3
    assert zlogin(host, NATIVE, "false")[0] == 1
    assert zlogin(host, "-l", "root", NATIVE, "echo", "hello", "world") == (0, b"hello world\n", "")
    rc, out, err = zlogin(host, NATIVE, "no-such-command-here")
    assert rc == 127 and "not found" in err


def test_several_words_are_joined_as_zlogin_does(host):
    # zlogin Z 'cmd args' is re-parsed by the zone's shell; several words are joined, and only
    # those with a blank single-quoted (zlogin.c prep_args): the inner quotes below are lost.
    assert subshell(["echo hi; echo there"]) == "echo hi; echo there"
    assert subshell(["sh", "-c", "echo 'a b'"]) == "sh -c 'echo 'a b''"
    assert zlogin(host, NATIVE, "sh", "-c", "echo 'a b'") == (0, b"a\n", "")
    assert zlogin(host, NATIVE, "printf '%s|' 'a b' \"c'd\"") == (0, b"a b|c'd|", "")
    assert zlogin(host, "-i", NATIVE, "printf", "%s|", "a b", "c'd") == (0, b"a b|c'd|", "")


def test_stdin_and_stdout_are_binary_safe(host):
    data = bytes(range(256)) + b"\x00\n\r\n" + random.Random(1).randbytes(200000) + b"\x00"
    assert zlogin(host, NATIVE, "cat > blob.bin", data=data) == (0, b"", "")
    with open(os.path.join(zone_root(host.state_dir, NATIVE), "blob.bin"), "rb") as handle:
        assert handle.read() == data
    assert zlogin(host, NATIVE, "cat blob.bin") == (0, data, "")
    assert zlogin(host, "-n", NATIVE, "cat", data=b"ignored") == (0, b"", "")


def test_refusals_use_zlogins_texts(host):
    _zone(host.env, "conf", "lipkg", "configured")
    _zone(host.env, "inst", "lipkg", "installed")
    _zone(host.env, VM, "bhyve", "running")
    assert zlogin(host, "conf", "true") == (1, b"", "zlogin: cannot login to a zone which is 'configured'\n")
    assert zlogin(host, "inst", "true") == (1, b"", "zlogin: login allowed only to running zones (inst is 'installed').\n")
    assert zlogin(host, "nope", "true") == (1, b"", "zlogin: zone 'nope' unknown\n")
    assert zlogin(host, "global", "true") == (1, b"", "zlogin: 'zlogin' not applicable to the global zone\n")
    assert zlogin(host, VM, "true") == (1, b"", "zlogin: exec failure: No such file or directory\n")
    rc, out, err = zlogin(host, "-l", "app", NATIVE, "true")
    assert rc == 1 and "-l app is not simulated" in err
    rc, out, err = zlogin(host, NATIVE)
    assert rc == 1 and "interactive logins are not supported" in err
    rc, out, err = zlogin(host)
    assert rc == 2 and err.startswith("usage: zlogin")
    assert not os.path.exists(zone_root(host.state_dir, VM))
    assert not os.path.exists(zone_root(host.state_dir, "inst"))


def test_the_simulator_process_never_runs_a_command(host, tmp_path):
    marker = tmp_path / "ran"
    answer = requests.post(host.url + "/_sim/exec", json={"tool": "zlogin", "argv": [NATIVE, "touch %s" % marker]},
                           timeout=30).json()
    assert answer["rc"] == 1 and "through the zlogin shim" in answer["stderr"]
    assert not marker.exists()


def test_zlogin_invocations_are_logged(host):
    host.clear_commands()
    zlogin(host, NATIVE, "true")
    zlogin(host, "inst-missing", "true")
    assert [(c["argv"], c["rc"]) for c in host.commands()] == [([NATIVE, "true"], 0), (["inst-missing", "true"], 1)]
    assert [c["argv"] for c in host.command_mutations()] == []      # `true` only reads
