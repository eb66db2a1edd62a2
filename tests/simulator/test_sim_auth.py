"""Authentication, bootstrap, roles and the /api-keys routes (agent-api.md §1)."""
from __future__ import annotations

import re

import pytest
import requests

from sim_helpers import Api, Simulator

MISSING = {"msg": "API key required - provide either X-API-Key header or Authorization: Bearer header"}
INVALID = {"msg": "Invalid API key"}


def test_missing_and_invalid_keys(api):
    assert api.get("/tasks", key=None).status_code == 401
    assert api.get("/tasks", key=None).json() == MISSING
    assert api.get("/tasks", key=None, headers={"Authorization": "Bearer"}).status_code == 401
    for bad in ("hw_AAAAAAAAAAAAAAAA.nope", "wh_nope", "garbage"):
        r = api.get("/tasks", key=None, headers={"X-API-Key": bad})
        assert r.status_code == 403 and r.json() == INVALID


def test_both_headers_and_scheme_not_checked(api):
    assert api.get("/tasks", key=None, headers={"X-API-Key": api.key}).status_code == 200
    assert api.get("/tasks", key=None, headers={"Authorization": f"Token {api.key}"}).status_code == 200
    # X-API-Key is checked first
    r = api.get("/tasks", key=None, headers={"X-API-Key": "wrong", "Authorization": f"Bearer {api.key}"})
    assert r.status_code == 403


def test_key_formats(sim, gen):
    api = Api(sim)
    r = api.post("/api-keys/bootstrap", key=None, json={"setupToken": sim.setup_token})
    key = r.json()["api_key"]
    if gen == "0.3.9":
        assert re.match(r"^hw_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$", key)
    else:
        assert re.match(r"^wh_[A-Za-z0-9_-]{80,}$", key)


def test_bootstrap_once(sim, gen):
    api = Api(sim)
    r = api.post("/api-keys/bootstrap", key=None, json={"setupToken": sim.setup_token})
    assert r.status_code == 200
    assert r.json()["message"] == "Bootstrap API key generated successfully"
    assert r.json()["note"] == "Bootstrap endpoint will be auto-disabled for future requests"
    r2 = api.post("/api-keys/bootstrap", key=None, json={"setupToken": sim.setup_token})
    assert r2.status_code == 403
    assert r2.json() == {"msg": "Bootstrap endpoint auto-disabled after first use"}
    if gen == "0.3.9":
        assert requests.get(sim.url + "/status", timeout=10).json()["bootstrapAvailable"] is False


def test_bootstrap_requires_setup_token_on_a(sim_a):
    api = Api(sim_a)
    for body in ({}, {"setupToken": "0" * 64}):
        r = api.post("/api-keys/bootstrap", key=None, json=body)
        assert r.status_code == 403
        assert r.json()["msg"].startswith("Invalid or missing setup token.")
    assert api.post("/api-keys/bootstrap", key=None, json={"setupToken": sim_a.setup_token}).status_code == 200


def test_bootstrap_z_needs_no_token_but_a_body(sim_z):
    api = Api(sim_z)
    r = api.s.post(sim_z.url + "/api-keys/bootstrap")   # no body: req.body undefined -> 500
    assert r.status_code == 500
    assert api.post("/api-keys/bootstrap", key=None, json={}).status_code == 200


def test_generate_list_info(api, gen):
    r = api.post("/api-keys/generate", json={"description": "x"})
    assert r.status_code == 400 and r.json() == {"msg": "Name is required"}
    r = api.post("/api-keys/generate", json={"name": "ci", "role": "viewer"})
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "ci" and body["message"] == "API key generated successfully"
    assert isinstance(body["entity_id"], int)
    listing = api.get("/api-keys").json()
    assert listing["total"] == 2
    row = listing["entities"][1]
    assert "api_key_hash" not in row and "api_key" not in row
    if gen == "0.3.9":
        assert body["role"] == "viewer"
        assert set(row) == {"id", "name", "key_id", "description", "role", "is_active", "created_at", "last_used"}
        assert body["api_key"].startswith(f"hw_{row['key_id']}.")
        r = api.post("/api-keys/generate", json={"name": "bad", "role": "root"})
        assert r.status_code == 400 and r.json() == {"msg": "role must be one of: admin, operator, viewer"}
    else:
        assert "role" not in body
        assert set(row) == {"id", "name", "description", "is_active", "created_at", "last_used"}
    info = api.get("/api-keys/info", key=body["api_key"]).json()
    assert info["name"] == "ci" and info["id"] == body["entity_id"]


def test_roles_policy_a(api_a):
    keys = {}
    for role in ("viewer", "operator", "admin"):
        keys[role] = api_a.post("/api-keys/generate", json={"name": role, "role": role}).json()["api_key"]
    v, o, a = keys["viewer"], keys["operator"], keys["admin"]
    assert api_a.get("/machines", key=v).status_code == 200
    assert api_a.get("/api-keys/info", key=v).status_code == 200
    r = api_a.get("/api-keys", key=v)
    assert r.status_code == 403
    assert r.json() == {"msg": "Insufficient role: this operation requires 'admin' (key role: 'viewer')"}
    r = api_a.post("/machines", key=v, json=api_a.create_body())
    assert r.status_code == 403
    assert r.json()["msg"] == "Insufficient role: this operation requires 'operator' (key role: 'viewer')"
    assert api_a.post("/machines", key=o, json=api_a.create_body()).status_code == 200
    assert api_a.post("/api-keys/generate", key=o, json={"name": "x"}).status_code == 403
    assert api_a.post("/api-keys/generate", key=a, json={"name": "x"}).status_code == 200


def test_no_roles_on_z(api_z):
    r = api_z.post("/api-keys/generate", json={"name": "v", "role": "viewer"})
    k = r.json()["api_key"]
    assert api_z.get("/api-keys", key=k).status_code == 200   # every key can do everything


def test_revoke_delete_and_last_admin(api, gen):
    me = api.get("/api-keys/info").json()
    if gen == "0.3.9":
        r = api.delete(f"/api-keys/{me['id']}")
        assert r.status_code == 409
        assert api.put(f"/api-keys/{me['id']}/revoke").status_code == 409
    other = api.post("/api-keys/generate", json={"name": "other", "role": "viewer"}).json()
    r = api.put(f"/api-keys/{other['entity_id']}/revoke")
    assert r.status_code == 200
    assert r.json() == {"message": "API key revoked successfully", "entity_id": other["entity_id"], "name": "other"}
    assert api.get("/tasks", key=other["api_key"]).status_code == 403
    r = api.delete(f"/api-keys/{other['entity_id']}")
    assert r.status_code == 200 and r.json()["name"] == "other"
    assert api.delete(f"/api-keys/{other['entity_id']}").json() == {"msg": "API key not found"}
    assert api.delete("/api-keys/9999").status_code == 404


def test_admin_key_seeded():
    key = "hw_0123456789abcdef.seeded-secret"
    with Simulator(admin_key=key) as sim:
        api = Api(sim, key)
        assert api.get("/api-keys/info").json()["role"] == "admin"
        r = requests.post(sim.url + "/api-keys/bootstrap", json={"setupToken": sim.setup_token}, timeout=10)
        assert r.status_code == 403   # keys exist: bootstrap auto-disabled
    with pytest.raises(ValueError):
        Simulator(admin_key="wh_wrong-generation-key")
    with Simulator(generation="0.2", admin_key="wh_seeded-for-z") as sim:
        assert Api(sim, "wh_seeded-for-z").get("/zones").status_code == 200
