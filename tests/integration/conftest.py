"""Fixtures: a simulator per test (both agent generations) and a play() runner."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from zw_harness import GENERATIONS, run_play, simulated_host  # noqa: E402


@pytest.fixture(params=GENERATIONS, ids=lambda g: "agent-" + g)
def sim(request):
    with simulated_host(request.param) as simulator:
        yield simulator


@pytest.fixture()
def host():
    """One simulated host (agent 0.3.9 face) for native runs through its shims (zw_harness.native_play)."""
    with simulated_host("0.3.9") as simulator:
        yield simulator


@pytest.fixture()
def play(tmp_path, sim):
    """play(tasks, **kw) against this test's simulator."""
    def runner(tasks, **kw):
        return run_play(tmp_path, tasks, sim=sim, **kw)
    return runner
