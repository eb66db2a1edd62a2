"""API keys: key formats per generation, hashed storage, the header rules,
the central role policy (A only), bootstrap with the setup token, and the
/api-keys routes (agent-api.md §1)."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from .server import HTTPError, Response
from .util import now_iso

KEY_RE = re.compile(r"^hw_([A-Za-z0-9_-]{16})\.[A-Za-z0-9_-]+$")
ROLES = ("viewer", "operator", "admin")
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}
ADMIN_PREFIXES = ("/server", "/system/host", "/system/users", "/system/groups", "/system/roles", "/database")

MSG_MISSING = "API key required - provide either X-API-Key header or Authorization: Bearer header"
MSG_INVALID = "Invalid API key"


def hash_key(key: str) -> str:
    # The agent bcrypts; a salted-free sha256 is enough for a local simulator
    # and keeps verification fast.  Only the hash is ever stored.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key(dialect) -> tuple[str, str | None]:
    if dialect.has_key_id:
        key_id = secrets.token_urlsafe(12)          # exactly 16 url-safe chars
        return f"hw_{key_id}.{secrets.token_urlsafe(32)}", key_id
    return "wh_" + secrets.token_urlsafe(64), None


def key_id_of(key: str) -> str | None:
    m = KEY_RE.match(key)
    return m.group(1) if m else None


def check_seed_key(key: str, dialect) -> None:
    """admin_key= is format-checked only loosely: printable, no whitespace,
    long enough, and the generation's prefix."""
    if not isinstance(key, str) or len(key) < 8 or any(c.isspace() for c in key) or not key.isprintable():
        raise ValueError("admin_key must be a printable string of at least 8 characters without whitespace")
    if not key.startswith(dialect.key_prefix):
        raise ValueError(f"admin_key for generation {dialect.generation} must start with {dialect.key_prefix!r}")


def add_key(sim, name: str, description, role: str, key: str | None = None) -> tuple[str, dict]:
    st = sim.state
    if key is None:
        key, key_id = new_key(sim.dialect)
    else:
        key_id = key_id_of(key) if sim.dialect.has_key_id else None
    now = now_iso()
    row = {"id": st.next_id("entity"), "name": name, "description": description,
           "role": role, "key_id": key_id, "api_key_hash": hash_key(key), "is_active": True,
           "created_at": now, "last_used": None, "createdAt": now, "updatedAt": now}
    st.keys.append(row)
    st.dirty = True
    return key, row


def seed_admin_key(sim, key: str) -> None:
    check_seed_key(key, sim.dialect)
    h = hash_key(key)
    if not any(hmac.compare_digest(r["api_key_hash"], h) for r in sim.state.keys):
        add_key(sim, "sim-admin", "Pre-seeded by zoneweaver-sim", "admin", key)


# --------------------------------------------------------------------------- verification


def presented_key(req) -> str | None:
    key = req.headers.get("X-API-Key")
    if key:
        return key
    auth = req.headers.get("Authorization")
    if auth:
        parts = auth.split(" ")
        return parts[1] if len(parts) > 1 and parts[1] else None   # scheme word not checked
    return None


def authenticate(sim, req) -> dict:
    key = presented_key(req)
    if not key:
        raise HTTPError(401, {"msg": MSG_MISSING})
    h = hash_key(key)
    rows = sim.state.keys
    if sim.dialect.has_key_id:
        key_id = key_id_of(key)
        # well-formed keys select their row by keyId (then one compare); a key
        # that does not match the pattern is simply invalid, except a loosely
        # formatted admin_key seeded by the simulator's user (key_id None)
        candidates = [r for r in rows if r.get("key_id") is None or (key_id and r.get("key_id") == key_id)]
    else:
        candidates = rows
    row = None
    for r in candidates:
        if hmac.compare_digest(r["api_key_hash"], h):
            row = r
            break
    if row is None or not row.get("is_active"):
        raise HTTPError(403, {"msg": MSG_INVALID})
    row["last_used"] = now_iso()   # persisted with the next mutation, not on every read
    return row


def required_role(method: str, path: str) -> str | None:
    """The central method+path policy of A's VerifyApiKey (0.3.6+)."""
    p = path.lower().rstrip("/") or "/"
    if p == "/api-keys/info":
        return None
    if p == "/api-keys" or p.startswith("/api-keys/") or p == "/settings" or p.startswith("/settings/"):
        return "admin"
    if p == "/ws-ticket" or p == "/filesystem" or p.startswith("/filesystem/"):
        return "operator"
    if method in ("GET", "HEAD"):
        return "viewer"
    if any(p == x or p.startswith(x + "/") for x in ADMIN_PREFIXES):
        return "admin"
    return "operator"


def authorize(sim, req, row) -> None:
    if not sim.dialect.has_roles:
        return
    need = required_role(req.method, req.path)
    have = row.get("role") or "admin"
    if need and ROLE_RANK[have] < ROLE_RANK[need]:
        raise HTTPError(403, {"msg": f"Insufficient role: this operation requires '{need}' (key role: '{have}')"})


def bootstrap_available(sim) -> bool:
    # api_keys.bootstrap_enabled is true and bootstrap_auto_disable is true
    return len(sim.state.keys) == 0 and getattr(sim, "bootstrap_enabled", True)


# --------------------------------------------------------------------------- routes


def _entity_public(sim, r: dict, info: bool = False) -> dict:
    if info:
        out = {"id": r["id"], "name": r["name"], "description": r["description"]}
        if sim.dialect.has_roles:
            out["role"] = r["role"]
        out.update({"created_at": r["created_at"], "last_used": r["last_used"]})
        return out
    out = {"id": r["id"], "name": r["name"]}
    if sim.dialect.has_key_id:
        out["key_id"] = r["key_id"]
    out["description"] = r["description"]
    if sim.dialect.has_roles:
        out["role"] = r["role"]
    out.update({"is_active": r["is_active"], "created_at": r["created_at"], "last_used": r["last_used"]})
    return out


def register(router, sim):
    d = sim.dialect

    def bootstrap(req):
        body = req.body if isinstance(req.body, dict) else {}
        if not bootstrap_available(sim):
            raise HTTPError(403, {"msg": "Bootstrap endpoint auto-disabled after first use"})
        if d.bootstrap_needs_token:
            token = body.get("setupToken")
            if not isinstance(token, str) or not hmac.compare_digest(token.encode(), sim.setup_token.encode()):
                raise HTTPError(403, {"msg": "Invalid or missing setup token. Read it from "
                                             f"{sim.setup_token_path} on the agent host (it is also printed "
                                             "in the agent startup log while no API keys exist)."})
        name = body.get("name") or "Bootstrap-Key"
        key, _row = add_key(sim, str(name), body.get("description") or "Initial bootstrap API key", "admin")
        return Response(200, {"api_key": key, "message": "Bootstrap API key generated successfully",
                              "note": "Bootstrap endpoint will be auto-disabled for future requests"})

    def generate(req):
        body = req.body if isinstance(req.body, dict) else {}
        name = body.get("name")
        if not name:
            raise HTTPError(400, {"msg": "Name is required"})
        role = "admin"
        if d.has_roles:
            role = body.get("role") or "admin"
            if role not in ROLES:
                raise HTTPError(400, {"msg": "role must be one of: admin, operator, viewer"})
        key, row = add_key(sim, str(name), body.get("description"), role)
        out = {"api_key": key, "entity_id": row["id"], "name": row["name"], "description": row["description"]}
        if d.has_roles:
            out["role"] = role
        out["message"] = "API key generated successfully"
        return Response(200, out)

    def list_keys(req):
        ents = [_entity_public(sim, r) for r in sim.state.keys]
        return Response(200, {"entities": ents, "total": len(ents)})

    def info(req):
        return Response(200, _entity_public(sim, req.principal, info=True))

    def _find(req):
        try:
            kid = int(req.params["id"])
        except ValueError:
            kid = None
        for r in sim.state.keys:
            if r["id"] == kid:
                return r
        raise HTTPError(404, {"msg": "API key not found"})

    def _last_admin_guard(row, verb):
        if not d.has_roles:
            return
        admins = [r for r in sim.state.keys if r["is_active"] and r["role"] == "admin"]
        if row["is_active"] and row["role"] == "admin" and len(admins) <= 1:
            raise HTTPError(409, {"msg": f"Cannot {verb} the last active admin API key - create another admin key first"})

    def delete(req):
        row = _find(req)
        _last_admin_guard(row, "delete")
        sim.state.keys.remove(row)
        sim.state.dirty = True
        return Response(200, {"message": "API key deleted successfully", "entity_id": row["id"], "name": row["name"]})

    def revoke(req):
        row = _find(req)
        _last_admin_guard(row, "revoke")
        row["is_active"] = False
        row["updatedAt"] = now_iso()
        sim.state.dirty = True
        return Response(200, {"message": "API key revoked successfully", "entity_id": row["id"], "name": row["name"]})

    # Z's bootstrap destructures req.body (no claim token there); A reads it optionally
    router.add("POST", "/api-keys/bootstrap", bootstrap, public=True, needs_body=not d.bootstrap_needs_token,
               body_fail={"msg": "Failed to generate bootstrap API key"})
    router.add("POST", "/api-keys/generate", generate, needs_body=True,
               body_fail={"msg": "Failed to generate API key"})
    router.add("GET", "/api-keys/info", info)
    router.add("GET", "/api-keys", list_keys)
    router.add("DELETE", "/api-keys/:id", delete)
    router.add("PUT", "/api-keys/:id/revoke", revoke)
