"""Fixtures for the simulator tests: a fresh Simulator per test (both
generations where it matters), with a bootstrapped admin key."""
from __future__ import annotations

import os
import sys

import pytest

# under --import-mode=importlib pytest no longer puts this directory on
# sys.path; the test modules import sim_helpers by name
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sim_helpers import GENERATIONS, Api, Simulator, bootstrap  # noqa: E402


@pytest.fixture(params=GENERATIONS)
def gen(request):
    return request.param


@pytest.fixture
def sim(gen):
    s = Simulator(generation=gen).start()
    yield s
    s.stop()


@pytest.fixture
def api(sim):
    a = Api(sim)
    a.key = bootstrap(a)
    return a


@pytest.fixture
def sim_a():
    s = Simulator(generation="0.3.9").start()
    yield s
    s.stop()


@pytest.fixture
def api_a(sim_a):
    a = Api(sim_a)
    a.key = bootstrap(a)
    return a


@pytest.fixture
def sim_z():
    s = Simulator(generation="0.2").start()
    yield s
    s.stop()


@pytest.fixture
def api_z(sim_z):
    a = Api(sim_z)
    a.key = bootstrap(a)
    return a
