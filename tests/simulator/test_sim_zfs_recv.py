"""`zfs recv` on the simulated host: the shim reads the stream itself and sends only its size, crc32 and
first bytes; the simulator creates the dataset (a volume, as a zone box's stream is a zvol's)."""
from __future__ import annotations

import os
import subprocess
import zlib

import pytest

from sim_helpers import Simulator


@pytest.fixture
def shell(tmp_path):
    sim = Simulator(generation="0.3.9").start()
    sim.write_shims(str(tmp_path / "shims"))
    env = dict(os.environ, PATH=str(tmp_path / "shims") + os.pathsep + os.environ.get("PATH", ""))

    def zfs(*argv, data=b"", extra_env=None):
        return subprocess.run(["zfs"] + list(argv), input=data, capture_output=True,
                              env=dict(env, **(extra_env or {})), timeout=120, check=False)
    yield sim, zfs
    sim.stop()


def test_recv_records_what_it_read_without_holding_it(shell):
    sim, zfs = shell
    stream = os.urandom(3 << 20) + b"tail"
    done = zfs("recv", "-u", "-o", "zoneweaver:provider=zone", "rpool/tpl", data=stream)
    assert done.returncode == 0, done.stderr
    ds = sim.state.datasets["rpool/tpl"]
    assert ds["type"] == "volume" and ds["properties"]["zoneweaver:provider"] == "zone"
    assert ds["received"]["bytes"] == len(stream) and ds["received"]["crc32"] == zlib.crc32(stream)
    assert [c["mutating"] for c in sim.command_log.entries()] == [True]
    counted = zfs("recv", "-u", "rpool/tpl2", data=b"x" * 1000, extra_env={"ZONEWEAVER_SIM_RECV_DIGEST": "none"})
    assert counted.returncode == 0 and sim.state.datasets["rpool/tpl2"]["received"] == {
        "bytes": 1000, "crc32": None, "head": "eHh4" * 21 + "eA=="}


def test_recv_refusals(shell):
    sim, zfs = shell
    assert zfs("recv", "-u", "rpool/a", data=b"one").returncode == 0
    again = zfs("recv", "-u", "rpool/a", data=b"two")
    assert again.returncode == 1 and b"destination 'rpool/a' exists" in again.stderr
    assert zfs("recv", "-u", "-F", "rpool/a", data=b"three").returncode == 0
    assert sim.state.datasets["rpool/a"]["received"]["bytes"] == 5
    orphan = zfs("recv", "-u", "rpool/no/such", data=b"x")
    assert orphan.returncode == 1 and b"'rpool/no' of 'rpool/no/such' does not exist" in orphan.stderr
    empty = zfs("recv", "-u", "rpool/b")
    assert empty.returncode == 1 and b"failed to read from stream" in empty.stderr
    dry = zfs("recv", "-n", "-v", "rpool/c", data=b"x")
    assert dry.returncode == 0 and b"would receive" in dry.stdout and "rpool/c" not in sim.state.datasets
    assert "rpool/b" not in sim.state.datasets
