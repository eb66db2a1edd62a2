"""HyperweaverClient against the simulated Hyperweaver Server: one login per process,
the relay with AgentClient's interface, and every server error explained."""

import socket
import threading
import time

import pytest

from zoneweaver_sim import Simulator
from zoneweaver_sim.fleet import seed_zones
from zoneweaver_sim.hyperweaver import HyperweaverSimulator

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect as dialects
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AuthError, EndpointMissingError, InputError, NotFoundError, TransportError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.hyperweaver.client import (
    HyperweaverClient, compact_json, forget_tokens, js_compatible)

KEY = "hw_AAAAAAAAAAAAAAAA.hyperweaver-client-test"
USERS = {"ops": {"password": "ops-pw", "role": "super-admin"},
         "outsider": {"password": "out-pw", "role": "admin", "org": "elsewhere"}}


@pytest.fixture(scope="module")
def agent():
    with Simulator(generation="0.3.9", admin_key=KEY, hostname="omni1") as sim:
        sim.admin_key = KEY
        sim.names = seed_zones(sim, 2)
        yield sim


@pytest.fixture
def hw(agent):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    dead = free.getsockname()[1]
    free.close()
    forget_tokens()
    with HyperweaverSimulator(agents={1: agent, 2: {"sim": agent, "url": agent.url.replace("127.0.0.1", "localhost"),
                                                    "orgs": ["acme"]},
                                      3: {"url": "http://127.0.0.1:%d" % dead, "api_key": KEY,
                                          "capabilities": {"role": "agent", "features": ["machines"]}},
                                      4: {"url": agent.url.replace("127.0.0.1", "localhost"), "api_key": "hw_x.y",
                                          "capabilities": {"role": "agent", "features": ["machines"]}},
                                      5: {"url": "http://127.0.0.1:%d" % dead, "api_key": KEY,
                                          "capabilities": None}},
                              users=USERS) as server:
        yield server
    forget_tokens()


def client(hw, user="ops", password=None, **kw):
    return HyperweaverClient(hw.url, username=user, password=password or USERS[user]["password"], **kw)


def logins(hw):
    return len([e for e in hw.log if e["path"] == "/api/auth/login"])


def test_compact_json_is_what_json_stringify_writes():
    assert js_compatible({"a": 1.0, "b": [2.0, 2.5], "c": {"d": -0.0}}) == {"a": 1, "b": [2, 2.5], "c": {"d": 0}}
    assert compact_json({"n": "caf\u00e9", "x": 1.0}) == '{"n":"caf\u00e9","x":1}'.encode("utf-8")


def test_needs_credentials_and_a_url():
    with pytest.raises(InputError):
        HyperweaverClient("https://hw:3443", username="u")
    with pytest.raises(InputError):
        HyperweaverClient("hw:3443", token="t")


def test_one_login_for_many_threads_and_clients(hw):
    errors = []

    def work():
        try:
            client(hw).agent(1).get("/machines")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and logins(hw) == 1


def test_logs_in_again_once_when_the_token_was_revoked(hw):
    c = client(hw)
    c.servers()
    time.sleep(1.05)   # iat has a one-second resolution
    c.post("/api/auth/logout")
    time.sleep(1.05)
    assert c.agent(1).get("/machines")["total"] == 2
    assert logins(hw) == 2


def test_a_given_token_skips_the_login(hw):
    token = client(hw).login()
    forget_tokens()
    before = logins(hw)
    assert HyperweaverClient(hw.url, token=token).servers()
    assert logins(hw) == before


def test_bad_credentials_name_the_user_not_the_password(hw):
    with pytest.raises(AuthError) as info:
        client(hw, password="wrong-secret").servers()
    assert "'ops'" in str(info.value) and "wrong-secret" not in str(info.value) and info.value.status == 401


def test_a_cached_token_does_not_stand_in_for_a_wrong_password(hw, tmp_path):
    # The token a right password obtained is cached (in memory and on disk); a client with the
    # same user but a wrong password must still be refused, not ride on that token.
    cache = str(tmp_path / "tokens")
    client(hw, token_cache=cache).servers()
    for forget in (False, True):     # the same process, then another one reading the disk cache
        if forget:
            forget_tokens()
        with pytest.raises(AuthError):
            client(hw, password="wrong-secret", token_cache=cache).servers()
    assert not any("ops-pw" in path.name or "ops-pw" in path.read_text() for path in (tmp_path / "tokens").iterdir())
    before = logins(hw)
    client(hw, token_cache=cache).servers()      # the right password still uses its cached token
    assert logins(hw) == before


def test_servers_and_agent_by_name(hw):
    c = client(hw)
    assert sorted(s["id"] for s in c.servers()) == [1, 2, 3, 4, 5]
    agent = c.agent_by_name("1")
    assert agent.url == hw.url + "/api/agents/1" and agent.api_key is None and agent.has_credentials
    with pytest.raises(NotFoundError):
        c.agent_by_name("no-such-agent")


def test_relay_has_the_agent_client_interface(hw, agent):
    relay = client(hw).agent(1, label="omni1")
    api = AgentApi(relay)
    dialects.forget(relay.url)
    assert api.dialect.machines and api.dialect.version == "0.3.9"
    name = agent.names[0]
    answer = relay.put("/machines/%s/notes" % relay.segment(name), body={"notes": "caf\u00e9 1.0", "n": 1.0})
    assert answer["notes"] == "caf\u00e9 1.0"   # compact, unescaped: no Content-Length hang
    assert relay.post("/machines/%s/stop" % name)["operation"] == "stop"


def test_agent_errors_come_back_as_the_agents(hw):
    relay = client(hw).agent(1, label="omni1")
    with pytest.raises(NotFoundError) as info:
        relay.get("/machines/nope")
    assert "Zone not found" in str(info.value) and "omni1 (id 1)" in str(info.value)
    with pytest.raises(EndpointMissingError):
        relay.get("/no-such-route")


def test_server_errors_are_explained(hw):
    c = client(hw)
    with pytest.raises(NotFoundError, match="no active agent with id 9"):
        c.agent(9).get("/machines")
    with pytest.raises(AgentError, match="Registered backend is not an agent"):
        c.agent(5).get("/machines")
    with pytest.raises(TransportError, match="could not reach the agent: connect ECONNREFUSED"):
        c.agent(3).get("/machines")
    with pytest.raises(AuthError, match="refused the API key Hyperweaver holds"):
        c.agent(4).get("/machines")
    with pytest.raises(EndpointMissingError, match="web UI"):
        c.get("/api/not-a-route")


def test_organisation_scope_refusal(hw):
    with pytest.raises(AuthError) as info:
        client(hw, "outsider").agent(2, label="omni1-acme").get("/machines")
    assert "organisation scope" in str(info.value) and "No access to this agent" in str(info.value)
    assert "PUT /api/servers/{id}/orgs" in str(info.value)
    assert info.value.status == 403


def test_token_cache_directory_saves_logins_across_processes(hw, tmp_path):
    cache = tmp_path / "tokens"
    client(hw, token_cache=str(cache)).servers()
    [token_file] = list(cache.iterdir())
    assert oct(token_file.stat().st_mode & 0o777) == "0o600" and "ops-pw" not in token_file.read_text()
    forget_tokens()   # a new process: nothing in memory
    client(hw, token_cache=str(cache)).servers()
    assert logins(hw) == 1
    token_file.write_text("not-a-jwt")
    forget_tokens()
    client(hw, token_cache=str(cache)).servers()
    assert logins(hw) == 2
