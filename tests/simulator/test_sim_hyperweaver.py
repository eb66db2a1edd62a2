"""The Hyperweaver Server face (hyperweaver-boxvault.md part 1): login and tokens, the
servers registry, the agent relay (header stripping, key injection, Content-Length
behaviour, errors) and organisation scoping."""
from __future__ import annotations

import base64
import json
import socket
import time

import pytest
import requests

from sim_helpers import Simulator
from zoneweaver_sim.fleet import seed_zones
from zoneweaver_sim.hyperweaver import HyperweaverSimulator, js_stringify

KEY_A = "hw_AAAAAAAAAAAAAAAA.hyperweaver-test-a"
KEY_B = "hw_BBBBBBBBBBBBBBBB.hyperweaver-test-b"
USERS = {
    "root": {"password": "root-pw", "role": "super-admin", "org": "Default"},
    "acme-admin": {"password": "acme-pw", "role": "admin", "org": "acme"},
    "acme-user": {"password": "user-pw", "role": "user", "org": "acme"},
    "vm-user": {"password": "vm-pw", "role": "user", "org": "tenant"},
}


@pytest.fixture(scope="module")
def agents():
    one = Simulator(generation="0.3.9", admin_key=KEY_A, hostname="omni1").start()
    two = Simulator(generation="0.3.9", admin_key=KEY_B, hostname="omni2").start()
    one.admin_key, two.admin_key = KEY_A, KEY_B
    names = {"omni1": seed_zones(one, 3, 0), "omni2": seed_zones(two, 3, 1)}
    yield one, two, names
    one.stop()
    two.stop()


@pytest.fixture
def hw(agents):
    one, two, names = agents
    with HyperweaverSimulator(agents={1: one, 2: {"sim": two, "orgs": ["acme"],
                                                  "machine_orgs": {names["omni2"][0]: ["tenant"]}}},
                              users=USERS, proxy_timeout=0.5) as server:
        server.names = names
        one.clear_log()
        two.clear_log()
        yield server


def login(hw, user="root", password=None):
    r = requests.post(hw.url + "/api/auth/login", json={"identifier": user, "password": password or USERS[user]["password"]},
                      timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def decode_part(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def call(hw, method, path, token=None, user="root", **kw):
    """A request as a careful client sends it: compact JSON (the relay re-serialises bodies)."""
    headers = dict(kw.pop("headers", {}))
    if "json" in kw:
        kw["data"] = json.dumps(kw.pop("json"), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token is None and user:
        token = login(hw, user)
    if token:
        headers["Authorization"] = "Bearer " + token
    return requests.request(method, hw.url + path, headers=headers, timeout=10, **kw)


# --------------------------------------------------------------------------- auth


def test_status_is_public(hw):
    r = requests.get(hw.url + "/api/status", timeout=5)
    assert r.json() == {"role": "server", "version": "0.9.9", "auth": ["local"]}


def test_login_returns_an_hs256_jwt_for_24_hours(hw):
    r = requests.post(hw.url + "/api/auth/login", json={"identifier": "root@example.com", "password": "root-pw"},
                      timeout=5)
    body = r.json()
    assert r.status_code == 200 and body["success"] is True and body["message"] == "Login successful"
    assert body["user"]["username"] == "root" and body["user"]["role"] == "super-admin"
    head, payload, signature = body["token"].split(".")
    assert decode_part(head) == {"alg": "HS256", "typ": "JWT"} and signature
    claims = decode_part(payload)
    assert claims["username"] == "root" and claims["exp"] - claims["iat"] == 24 * 3600
    assert "root-pw" not in json.dumps(hw.log)


@pytest.mark.parametrize("body,status,message", [
    ({"identifier": "root"}, 400, "Username/email and password are required"),
    ({"identifier": "root", "password": "wrong"}, 401, "Invalid credentials"),
    ({"identifier": "nobody", "password": "x"}, 401, "Invalid credentials"),
])
def test_login_errors(hw, body, status, message):
    r = requests.post(hw.url + "/api/auth/login", json=body, timeout=5)
    assert (r.status_code, r.json()) == (status, {"success": False, "message": message})


def test_login_is_rate_limited(agents):
    with HyperweaverSimulator(users=USERS, login_limit=3) as server:
        codes = [requests.post(server.url + "/api/auth/login", json={"identifier": "root", "password": "root-pw"},
                               timeout=5).status_code for attempt in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.parametrize("header,message", [
    (None, "Access token required"), ("Bearer nonsense", "Invalid token"), ("Bearer a.b.c", "Invalid token")])
def test_token_errors(hw, header, message):
    headers = {"Authorization": header} if header else {}
    r = requests.get(hw.url + "/api/servers", headers=headers, timeout=5)
    assert (r.status_code, r.json()) == (401, {"success": False, "message": message})


def test_verify_profile_and_logout_revokes_every_token(hw):
    token = login(hw)
    assert call(hw, "GET", "/api/auth/verify", token).json()["valid"] is True
    assert call(hw, "GET", "/api/auth/profile", token).json()["user"]["username"] == "root"
    time.sleep(1.05)   # iat has a one-second resolution
    assert call(hw, "POST", "/api/auth/logout", token, json={}).status_code == 200
    r = call(hw, "GET", "/api/servers", token)
    assert (r.status_code, r.json()["message"]) == (401, "Invalid token")


def test_unknown_get_is_the_web_ui(hw):
    r = call(hw, "GET", "/api/no/such/thing", user=None)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    r = call(hw, "POST", "/api/no/such/thing", user=None, json={})
    assert r.status_code == 404 and "Cannot POST" in r.text


# --------------------------------------------------------------------------- servers


def test_servers_list_is_snake_case_with_capabilities(hw):
    servers = call(hw, "GET", "/api/servers").json()["servers"]
    assert sorted(s["id"] for s in servers) == [1, 2]
    one = next(s for s in servers if s["id"] == 1)
    assert {"hostname", "port", "protocol", "entity_name", "is_active", "last_used", "allow_insecure", "capabilities",
            "last_seen", "created_at", "updated_at", "created_by", "org_uuids"} <= set(one)
    assert "api_key" not in one and "apiKey" not in one
    assert one["entity_name"] == "omni1" and one["capabilities"]["role"] == "agent"
    assert "machines" in one["capabilities"]["features"] and one["last_seen"]


def test_servers_visible_per_organisation(hw):
    acme, tenant = hw.org_uuid("acme"), hw.org_uuid("tenant")
    assert {s["id"]: s["org_uuids"] for s in call(hw, "GET", "/api/servers", user="root").json()["servers"]} == {
        1: [], 2: sorted([acme, tenant])}
    # a user sees agents with no owner, its org's, and those where its org owns machines; only its own org uuids
    assert {s["id"]: s["org_uuids"] for s in call(hw, "GET", "/api/servers", user="vm-user").json()["servers"]} == {
        1: [], 2: [tenant]}
    hw.set_server_orgs(1, ["acme"])
    assert [s["id"] for s in call(hw, "GET", "/api/servers", user="vm-user").json()["servers"]] == [2]


def test_add_server_with_key_answers_camel_case(hw, agents):
    one, _two, _names = agents
    fresh = Simulator(generation="0.3.9", admin_key="hw_CCCCCCCCCCCCCCCC.fresh-key").start()
    try:
        token = login(hw)
        body = {"hostname": "127.0.0.1", "port": fresh.port, "protocol": "http", "entityName": "omni3",
                "apiKey": "hw_CCCCCCCCCCCCCCCC.fresh-key", "allowInsecure": True}
        r = call(hw, "POST", "/api/servers", token, json=body)
        assert r.status_code == 200, r.text
        assert r.json()["server"] == {"id": 3, "hostname": "127.0.0.1", "port": fresh.port, "protocol": "http",
                                      "entityName": "omni3", "description": None}
        row = next(s for s in call(hw, "GET", "/api/servers", token).json()["servers"] if s["id"] == 3)
        assert row["capabilities"]["hostname"] == fresh.hostname
        again = call(hw, "POST", "/api/servers", token, json=body)
        assert again.status_code == 500 and "already exists" in again.json()["message"]
        bad = call(hw, "POST", "/api/servers", token,
                   json=dict(body, hostname="localhost", port=one.port, apiKey="hw_DDDDDDDDDDDDDDDD.bad"))
        assert bad.status_code == 500 and bad.json()["message"].startswith("Provided API key is invalid")
        missing = call(hw, "POST", "/api/servers", token, json={"hostname": "h"})
        assert missing.status_code == 400
        # without a key the server tries the agent's bootstrap, which wants a setup token on 0.3.9
        nokey = call(hw, "POST", "/api/servers", token,
                     json={"hostname": "127.0.0.1", "port": fresh.port, "protocol": "https", "entityName": "x"})
        assert nokey.status_code == 500 and nokey.json()["message"].startswith("Agent error")
        assert call(hw, "POST", "/api/servers", user="acme-user", json=body).status_code == 403
    finally:
        fresh.stop()


def test_patch_delete_and_test_servers(hw, agents):
    token = login(hw)
    r = call(hw, "PATCH", "/api/servers/1", token, json={"allowInsecure": False})
    assert r.json()["server"]["allow_insecure"] is False
    probe = call(hw, "POST", "/api/servers/test", token,
                 json={"hostname": "127.0.0.1", "port": agents[0].port, "protocol": "http"}).json()
    assert probe["success"] is True and probe["serverInfo"]["role"] == "agent"
    assert call(hw, "DELETE", "/api/servers/1", token).json()["success"] is True
    r = call(hw, "DELETE", "/api/servers/1", token)
    assert (r.status_code, r.json()["message"]) == (404, "Server not found or already removed")


def test_org_assignment_endpoints(hw):
    token = login(hw)
    acme = hw.org_uuid("acme")
    answer = call(hw, "PUT", "/api/servers/1/orgs", token, json={"orgs": [acme]}).json()
    assert answer == {"success": True, "orgs": [acme]}
    assert call(hw, "GET", "/api/servers/1/orgs", token).json()["orgs"] == [acme]
    name = hw.names["omni1"][0]
    r = call(hw, "PUT", "/api/servers/1/machines/%s/orgs" % name, token, json={"orgs": [acme]})
    assert r.json()["orgs"] == [acme]


# --------------------------------------------------------------------------- the relay


def test_relay_injects_the_agent_key_and_strips_the_clients_credentials(hw, agents):
    one = agents[0]
    token = login(hw)
    r = call(hw, "GET", "/api/agents/1/machines", token, headers={"X-API-Key": "hw_bogus.bogus", "Cookie": "a=b"},
             params={"status": "running"})
    assert r.status_code == 200 and r.json()["total"] == 3
    [entry] = [e for e in one.log if e["path"] == "/machines"]
    assert entry["auth"] == "bearer" and entry["query"] == {"status": "running"} and entry["status"] == 200


def test_relay_answers_the_agents_errors_with_its_status_and_body(hw):
    token = login(hw)
    r = call(hw, "GET", "/api/agents/1/machines/nope", token)
    assert (r.status_code, r.json()) == (404, {"error": "Zone not found"})
    html = call(hw, "GET", "/api/agents/1/no-such-route", token)
    assert html.status_code == 404 and html.headers["Content-Type"].startswith("application/json")
    assert "Cannot GET /no-such-route" in html.json()    # the agent's HTML page as a JSON string


def test_relay_server_errors(hw, agents):
    token = login(hw)
    assert call(hw, "GET", "/api/agents/9/machines", token).json() == {"success": False, "message": "Agent not found"}
    old = Simulator(generation="0.2", admin_key="wh_oldgenerationkey0001").start()
    dead_port = socket.socket()
    dead_port.bind(("127.0.0.1", 0))
    port = dead_port.getsockname()[1]
    dead_port.close()
    try:
        hw.add_agent(old, server_id=5)
        r = call(hw, "GET", "/api/agents/5/zones", token)
        assert (r.status_code, r.json()["message"]) == (409, "Registered backend is not an agent")
        hw.add_agent({"url": "http://127.0.0.1:%d" % port, "api_key": KEY_A,
                      "capabilities": {"role": "agent", "features": ["machines"], "version": "0.3.9"}}, server_id=6)
        r = call(hw, "GET", "/api/agents/6/machines", token)
        assert r.status_code == 500 and r.json() == {"success": False,
                                                     "message": "connect ECONNREFUSED 127.0.0.1:%d" % port}
    finally:
        old.stop()


def test_relay_re_serialises_bodies_and_keeps_the_content_length(hw, agents):
    one = agents[0]
    token = login(hw)
    name = hw.names["omni1"][0]
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    url = hw.url + "/api/agents/1/machines/%s/notes" % name
    compact = json.dumps({"notes": "caf\u00e9"}, separators=(",", ":"), ensure_ascii=False).encode()
    assert requests.put(url, data=compact, headers=headers, timeout=5).json()["notes"] == "caf\u00e9"
    started = time.monotonic()
    for hazard in (json.dumps({"notes": "spaced"}).encode(), b'{"notes":"x","n":1.0}', b'{"notes":"caf\\u00e9"}'):
        r = requests.put(url, data=hazard, headers=headers, timeout=5)
        assert (r.status_code, r.json()) == (500, {"success": False, "message": "timeout of 500ms exceeded"})
    assert time.monotonic() - started >= 1.5
    # a body that re-serialises longer than its Content-Length reaches the agent truncated
    r = requests.put(url, data=b'{"notes":"x","n":1e21}', headers=headers, timeout=5)   # JS writes 1e+21
    assert r.status_code == 400 and "Bad Request" in r.json()
    assert [e["body"] for e in one.log if e["method"] == "PUT"][0] == {"notes": "caf\u00e9"}


def test_js_stringify_matches_json_stringify():
    assert js_stringify({"a": 1.0, "b": [2.5, "\u00e9"], "c": None}) == '{"a":1,"b":[2.5,"\u00e9"],"c":null}'.encode()


def test_role_gated_sub_paths(hw):
    token = login(hw, "acme-admin")
    r = call(hw, "GET", "/api/agents/1/settings", token)
    assert (r.status_code, r.json()["message"]) == (403, "Super-admin access required")
    r = call(hw, "GET", "/api/agents/1/system/logs/list", login(hw, "acme-user"))
    assert (r.status_code, r.json()["message"]) == (403, "Admin access required")


# --------------------------------------------------------------------------- organisation scoping


def test_agent_without_owner_is_open_to_every_user(hw):
    r = call(hw, "POST", "/api/agents/1/machines/%s/stop" % hw.names["omni1"][0], user="vm-user", json={})
    assert r.status_code == 200 and r.json()["operation"] == "stop"


def test_org_owned_agent_refuses_outsiders(hw):
    hw.add_user("outsider", password="out-pw", role="admin", org="elsewhere")
    r = call(hw, "GET", "/api/agents/2/machines", login(hw, "outsider", "out-pw"))
    assert (r.status_code, r.json()) == (403, {"success": False, "message": "No access to this agent"})


def test_member_role_reads_and_only_power_writes(hw):
    token = login(hw, "acme-user")
    name = hw.names["omni2"][1]
    assert call(hw, "GET", "/api/agents/2/machines", token).status_code == 200
    assert call(hw, "POST", "/api/agents/2/machines/%s/start" % name, token, json={}).status_code == 200
    r = call(hw, "PUT", "/api/agents/2/machines/%s/notes" % name, token, json={"notes": "x"})
    assert (r.status_code, r.json()["message"]) == (403, "Your organization role does not permit this action")
    assert call(hw, "PUT", "/api/agents/2/machines/%s/notes" % name, login(hw, "acme-admin"),
                json={"notes": "x"}).status_code == 200


def test_vm_scoped_user_sees_only_its_machines(hw):
    token = login(hw, "vm-user")
    mine, other = hw.names["omni2"][0], hw.names["omni2"][1]
    body = call(hw, "GET", "/api/agents/2/machines", token).json()
    assert [m["name"] for m in body["machines"]] == [mine] and body["total"] == 1
    assert body["machines"][0]["org_uuids"] == [hw.org_uuid("tenant")]
    assert call(hw, "GET", "/api/agents/2/machines/%s" % mine, token).status_code == 200
    r = call(hw, "GET", "/api/agents/2/machines/%s" % other, token)
    assert (r.status_code, r.json()["message"]) == (403, "No access to this agent")
    assert call(hw, "GET", "/api/agents/2/network/vnics", token).status_code == 403
    # the super-admin's list is unfiltered and carries no org_uuids
    full = call(hw, "GET", "/api/agents/2/machines").json()
    assert full["total"] == 3 and "org_uuids" not in full["machines"][0]


def test_request_log_records_users_and_masks_passwords(hw):
    login(hw, "acme-user")
    call(hw, "GET", "/api/agents/1/machines", user="acme-user")
    entries = hw.log
    assert entries[0]["path"] == "/api/auth/login" and entries[0]["body"]["password"] == "********"
    relay = [e for e in entries if e["path"] == "/api/agents/1/machines"][0]
    assert relay["user"] == "acme-user" and relay["agent_id"] == "1" and relay["status"] == 200
