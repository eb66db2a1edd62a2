"""Fixtures for the simulator tests: a fresh Simulator per test (both
generations where it matters), with a bootstrapped admin key."""
from __future__ import annotations

import pytest

from sim_helpers import GENERATIONS, Api, Simulator, bootstrap


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
