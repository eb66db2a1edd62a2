"""Fixtures: a simulator per test (both agent generations) and a play() runner."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from zoneweaver_sim import Simulator  # noqa: E402
from zw_harness import GENERATIONS, admin_key_for, run_play  # noqa: E402


@pytest.fixture(params=GENERATIONS, ids=lambda g: "agent-" + g)
def sim(request):
    key = admin_key_for(request.param)
    with Simulator(generation=request.param, timing="fast", admin_key=key) as simulator:
        simulator.admin_key = key
        yield simulator


@pytest.fixture()
def play(tmp_path, sim):
    """play(tasks, **kw) against this test's simulator."""
    def runner(tasks, **kw):
        return run_play(tmp_path, tasks, sim=sim, **kw)
    return runner
