"""The detected generation is shared between a play's task workers through the run's temp directory."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import EndpointMissingError

URL = "https://omnios1.example.com:5001"


class Agent:
    """A client whose GET /status answers `status` (None: the 0.2 HTML 404), counting the calls."""

    def __init__(self, status):
        self.url = URL
        self.status = status
        self.calls = 0

    def get(self, path, auth=True):
        assert path == "/status" and auth is False
        self.calls += 1
        if self.status is None:
            raise EndpointMissingError("Cannot GET /status", status=404)
        return self.status


@pytest.fixture()
def shared(tmp_path):
    dialect.share_between_workers(str(tmp_path))
    dialect._CACHE.clear()
    yield tmp_path
    dialect.share_between_workers(None)
    dialect._CACHE.clear()


def new_worker():
    """A forked task worker starts without the previous task's in-process cache."""
    dialect._CACHE.clear()


@pytest.mark.parametrize("status, generation", [({"version": "0.3.9", "features": ["machines"]}, "0.3.9"),
                                                (None, "0.2")])
def test_one_status_request_per_play_run(shared, status, generation):
    agent = Agent(status)
    assert dialect.detect(agent).generation == generation
    for _task in range(5):
        new_worker()
        seen = dialect.detect(agent)
        assert seen.generation == generation and seen.machines == (generation == "0.3.9")
    assert agent.calls == 1
    # one file, no temporary file left behind
    assert [p.name.startswith("zoneweaver-dialect-") for p in shared.iterdir()] == [True]
    assert URL not in next(shared.iterdir()).read_text()     # the file names the URL by its hash only


def test_stale_or_forgotten_answers_are_asked_again(shared, monkeypatch):
    agent = Agent({"version": "0.3.9", "features": ["machines"]})
    dialect.detect(agent)
    new_worker()
    now = dialect.time.time()
    monkeypatch.setattr(dialect.time, "time", lambda: now + dialect.SHARED_TTL + 1)
    dialect.detect(agent)
    assert agent.calls == 2
    dialect.forget(URL + "/")
    assert list(shared.iterdir()) == []
    agent.status = {"version": "0.2.3"}          # upgraded the other way round: a fresh answer counts
    new_worker()
    assert dialect.detect(agent).generation == "0.2" and agent.calls == 3


def test_other_urls_and_broken_files_do_not_count(shared):
    agent = Agent({"version": "0.3.9", "features": ["machines"]})
    dialect.detect(agent)
    for path in shared.iterdir():
        path.write_text("{not json")
    new_worker()
    dialect.detect(agent)
    other = Agent({"version": "0.3.6", "features": []})
    other.url = "https://omnios2.example.com:5001"
    new_worker()
    assert dialect.detect(other).generation == "0.3" and other.calls == 1 and agent.calls == 2


def test_without_a_shared_directory_nothing_is_written(tmp_path):
    dialect.share_between_workers(None)
    dialect._CACHE.clear()
    agent = Agent({"version": "0.3.9", "features": ["machines"]})
    dialect.detect(agent)
    new_worker()
    dialect.detect(agent)
    assert agent.calls == 2 and list(tmp_path.iterdir()) == []
    dialect._CACHE.clear()
