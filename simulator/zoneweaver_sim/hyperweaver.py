"""A Hyperweaver Server face in front of simulated agents (hyperweaver-boxvault.md part 1).

    from zoneweaver_sim import Simulator
    from zoneweaver_sim.hyperweaver import HyperweaverSimulator
    with Simulator() as a1, Simulator() as a2, \\
            HyperweaverSimulator(agents={1: a1, 2: a2},
                                 users={"admin": {"password": "pw", "role": "super-admin"}}) as hw:
        hw.url, hw.log, hw.org_uuid("acme"), hw.set_server_orgs(2, ["acme"])

What it serves, as the server does:
- POST /api/auth/login {identifier, password} -> {success, message, token (HS256 JWT, 24 h), user};
  25 logins per 15 minutes (429); GET /api/auth/verify, /api/auth/profile; POST /api/auth/logout
  revokes every token of the user; GET /api/status, /api/health.
- /api/servers: GET (snake_case rows, filtered by organisation visibility), POST (admin;
  camelCase answer; every failure a 500), POST /test, PATCH/DELETE /:id, GET|PUT /:id/orgs,
  GET|PUT /:id/machines/:name/orgs.
- ANY /api/agents/{id}/{path}: the relay. Host, Cookie, Authorization and X-API-Key are
  stripped and `Authorization: Bearer <the agent's key>` injected; the query string goes as
  is; a non-empty JSON body of a non-GET request is re-serialised the way JSON.stringify does
  while the client's Content-Length is kept: a shorter re-serialisation hangs until the relay
  timeout (500 "timeout of 60000ms exceeded"), a longer one reaches the agent truncated.
  Answers: the agent's status and body (an HTML body comes back as a JSON string); 404 "Agent
  not found", 409 "Registered backend is not an agent" (no capabilities from its GET /status,
  which includes 0.2 agents), 500 {success:false, message:"connect ECONNREFUSED ..."} when the
  agent cannot be reached; the sub-path role gates; organisation scoping (full / vm access,
  MEMBER limits, filtered machine and task lists, org_uuids on machines for non-privileged
  users, POST machines stamped with the creator's organisation).
- Any other GET: the web UI's index.html with 200 (clients must check Content-Type).

Inferred (not read in the server's code): the wording of the role-gate 403s, that an empty
JSON body ({}) is forwarded as no body and then without Content-Length, that the admin key
check of POST /api/servers uses GET /version (the simulated agents do not serve /stats),
and that GET /api/servers is ordered by last_used, then created_at, newest first.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import http.client
import json
import re
import secrets
import socket
import ssl
import threading
import time
import uuid
from collections import deque
from urllib.parse import urlsplit

from . import auth as agent_auth
from .face import HttpFace
from .log import RequestLog
from .server import (BadJSON, Request, Response, Router, express_not_found, express_status_page, internal_error_page,
                     parse_body)
from .util import now_iso

VERSION = "0.9.9"
TOKEN_LIFETIME = 24 * 3600
SUPER_ADMIN_PATHS = ("settings", "server/restart")
ADMIN_PATHS = ("system/zfs/arc", "system/fault-management", "system/logs", "system/syslog",
               "system/host/shutdown", "system/host/restart", "system/host/poweroff", "system/host/halt",
               "system/hosts", "database")
MEMBER_MACHINE_WRITES = ("start", "stop", "restart", "reset", "suspend", "resume", "vnc/start", "zlogin/start",
                         "ssh/start")
FILTERED_LISTS = ("machines", "tasks", "vnc/sessions", "stats")
STRIPPED_HEADERS = frozenset(("host", "cookie", "authorization", "x-api-key", "content-length", "connection",
                              "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-authorization",
                              "proxy-connection", "accept-encoding"))
MACHINE_COLLECTION_WORDS = ("ids", "bulk", "orchestration", "priorities", "defaults", "ostypes")
SPA_PAGE = ("<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Hyperweaver</title></head>\n"
            "<body><div id=\"root\"></div><script type=\"module\" src=\"/ui/assets/index.js\"></script></body>\n"
            "</html>\n")
_PROXY_RE = re.compile(r"^/api/agents/([^/]+)(?:/(.*))?$")


# --------------------------------------------------------------------------- helpers


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def js_stringify(value) -> bytes:
    """JSON.stringify(JSON.parse(body)): compact, raw UTF-8, whole floats as integers."""
    def norm(v):
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
            return int(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    return json.dumps(norm(value), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _Limiter:
    """express-rate-limit: `limit` hits per `window` seconds (all clients are 127.0.0.1)."""

    def __init__(self, limit: int, window: float, message: str):
        self.limit, self.window, self.message = limit, window, message
        self._hits: deque = deque()
        self._lock = threading.Lock()

    def hit(self) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._hits and now - self._hits[0] > self.window:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return False
            self._hits.append(now)
            return True


def _fail(status: int, message: str) -> Response:
    return Response(status, {"success": False, "message": message})


class _Refused(Exception):
    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


# --------------------------------------------------------------------------- the server


class HyperweaverSimulator(HttpFace):
    tls_name = "hyperweaver-sim"

    def __init__(self, agents: dict | None = None, users: dict | None = None, port: int = 0, tls: bool = False,
                 latency: float = 0.0, proxy_timeout: float = 60.0, login_limit: int = 25,
                 jwt_secret: str | None = None, datacenter_label: str = "zoneweaver-sim"):
        self._init_face(port, tls)
        self.latency = latency
        self.proxy_timeout = float(proxy_timeout)
        self.datacenter_label = datacenter_label
        self.jwt_secret = (jwt_secret or secrets.token_hex(32)).encode("utf-8")
        if len(self.jwt_secret) < 32:
            raise ValueError("authentication.jwt_secret must be at least 32 characters")
        self.request_log = RequestLog()
        self.lock = threading.RLock()
        self.orgs: dict[str, dict] = {}
        self.users: dict[str, dict] = {}
        self.servers: dict[int, dict] = {}
        self._next_user = 1
        self._next_server = 1
        self.login_limiter = _Limiter(login_limit, 15 * 60, "Too many authentication attempts, please try again later.")
        self.admin_limiter = _Limiter(500, 15 * 60, "Too many admin requests, please try again later.")
        self.proxy_limiter = _Limiter(2000, 60, "Too many API requests, please try again later.")
        self.standard_limiter = _Limiter(1000, 15 * 60, "Too many requests, please try again later.")
        for name, spec in (users if users is not None else
                           {"admin": {"password": "admin-password", "role": "super-admin"}}).items():
            self.add_user(name, **spec)
        self._pending_agents = dict(agents or {})
        self.router = self._routes()

    # ------------------------------------------------------------------ lifecycle (start/stop/url: face.HttpFace)
    def _starting(self) -> None:
        for server_id, spec in sorted(self._pending_agents.items()):
            self.add_agent(spec, server_id=server_id)
        self._pending_agents = {}

    @property
    def log(self) -> list[dict]:
        return self.request_log.entries()

    def clear_log(self) -> None:
        self.request_log.clear()

    # ------------------------------------------------------------------ model
    def org_uuid(self, name: str) -> str:
        """The org_uuid of organisation `name` (created on first use)."""
        with self.lock:
            org = self.orgs.get(name)
            if org is None:
                org = {"id": len(self.orgs) + 1, "name": name, "description": None, "is_active": True,
                       "organization_code": secrets.token_hex(4).upper(),
                       "org_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, "hyperweaver-sim:" + name))}
                self.orgs[name] = org
            return org["org_uuid"]

    def _uuid_of(self, org: str) -> str:
        known = {o["org_uuid"] for o in self.orgs.values()}
        return org if org in known else self.org_uuid(org)

    def add_user(self, username: str, password: str, role: str = "user", org: str = "Default",
                 email: str | None = None, is_active: bool = True) -> dict:
        if role not in ("user", "admin", "super-admin", "organization-admin"):
            raise ValueError(f"unknown role {role!r}")
        with self.lock:
            user = {"id": self._next_user, "username": username, "email": email or f"{username}@example.com",
                    "password_hash": hashlib.sha256(password.encode("utf-8")).hexdigest(), "role": role,
                    "org_uuid": self.org_uuid(org), "is_active": is_active, "tokens_valid_after": 0,
                    "lastLogin": None, "createdAt": now_iso()}
            self._next_user += 1
            self.users[username] = user
            return user

    def add_agent(self, spec, server_id: int | None = None) -> dict:
        """Register an agent: a Simulator, or a dict {sim | url, api_key, entity_name, orgs,
        machine_orgs, capabilities, allow_insecure, is_active, description}. Without api_key
        a Simulator gets a fresh admin key, as an operator would create one for the server."""
        spec = {"sim": spec} if not isinstance(spec, dict) else dict(spec)
        sim = spec.get("sim")
        key = spec.get("api_key") or getattr(sim, "admin_key", None)
        if sim is not None and not key:
            with sim.state.lock:
                key, _row = agent_auth.add_key(sim, "hyperweaver", "Registered by the Hyperweaver simulator", "admin")
            sim.state.save()
        url = spec.get("url") or (sim.url if sim is not None else None)
        if not url:
            raise ValueError("an agent needs a Simulator or a url")
        parts = urlsplit(url)
        with self.lock:
            sid = int(server_id) if server_id is not None else self._next_server
            self._next_server = max(self._next_server, sid + 1)
            now = now_iso()
            row = {"id": sid, "hostname": parts.hostname, "port": parts.port or (443 if parts.scheme == "https" else 80),
                   "protocol": parts.scheme, "entity_name": spec.get("entity_name") or getattr(sim, "hostname", None)
                   or parts.hostname, "description": spec.get("description"), "api_key": key,
                   "is_active": spec.get("is_active", True), "last_used": None,
                   "allow_insecure": spec.get("allow_insecure", True), "capabilities": None, "last_seen": None,
                   "created_at": now, "updated_at": now, "created_by": None,
                   "orgs": [self._uuid_of(o) for o in spec.get("orgs") or ()],
                   "machine_orgs": {m: [self._uuid_of(o) for o in orgs]
                                    for m, orgs in (spec.get("machine_orgs") or {}).items()},
                   "sim": sim}
            self.servers[sid] = row
        if "capabilities" in spec:
            row["capabilities"] = copy.deepcopy(spec["capabilities"])
            row["last_seen"] = now_iso() if spec["capabilities"] else None
        else:
            self.poll(sid)
        return row

    def poll(self, server_id: int | None = None) -> None:
        """The health poller: GET /status of each agent; success stores capabilities and last_seen."""
        for row in [self.servers[server_id]] if server_id is not None else list(self.servers.values()):
            status, body = self._agent_call(row, "GET", "/status", {}, None, None, timeout=5, auth=False)
            if status == 200 and isinstance(body, dict):
                row["capabilities"] = body
                row["last_seen"] = now_iso()

    def set_server_orgs(self, server_id: int, orgs: list[str]) -> None:
        with self.lock:
            self.servers[server_id]["orgs"] = [self._uuid_of(o) for o in orgs]

    def set_machine_orgs(self, server_id: int, machine: str, orgs: list[str]) -> None:
        with self.lock:
            self.servers[server_id]["machine_orgs"][machine] = [self._uuid_of(o) for o in orgs]

    # ------------------------------------------------------------------ JWT
    def _mint(self, user: dict) -> str:
        iat = int(time.time())
        payload = {"userId": user["id"], "username": user["username"], "email": user["email"], "role": user["role"],
                   "auth_provider": "local", "iat": iat, "exp": iat + TOKEN_LIFETIME}
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self.jwt_secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{sig}"

    def _authenticate(self, req: Request) -> dict:
        header = req.headers.get("Authorization") or ""
        if not header.startswith("Bearer ") or not header[7:].strip():
            raise _Refused(_fail(401, "Access token required"))
        token = header[7:].strip()
        try:
            head, body, sig = token.split(".")
            expected = _b64(hmac.new(self.jwt_secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(sig, expected):
                raise ValueError("signature")
            payload = json.loads(_unb64(body))
        except (ValueError, TypeError, UnicodeDecodeError):
            raise _Refused(_fail(401, "Invalid token")) from None
        if payload.get("exp", 0) < time.time():
            raise _Refused(_fail(401, "Token expired"))
        user = next((u for u in self.users.values() if u["id"] == payload.get("userId")), None)
        if user is None or not user["is_active"]:
            raise _Refused(_fail(401, "Invalid token - user not found"))
        if payload.get("iat", 0) < user["tokens_valid_after"]:
            raise _Refused(_fail(401, "Invalid token"))   # revoked by a logout; auth.js words it so
        return user

    # ------------------------------------------------------------------ HTTP pipeline
    def handle(self, h) -> None:
        try:
            body_bytes, has_body = h.read_body()
        except (OSError, ValueError):
            h.close_connection = True
            return
        req = Request(h.command, h.path, h.headers, body_bytes)
        req.target = h.path
        body_log = None
        if has_body:
            try:
                body_log = json.loads(body_bytes.decode("utf-8")) if body_bytes else {}
            except (UnicodeDecodeError, json.JSONDecodeError):
                body_log = f"<{len(body_bytes)} bytes>"
        entry = self.request_log.add(req.method, req.path, req.query, body_log, req.auth_kind)
        if self.latency:
            time.sleep(self.latency)
        try:
            resp = self.dispatch(req, has_body, entry)
        except _Refused as exc:
            resp = exc.response
        except Exception as exc:   # a simulator bug: answer like Express would
            resp = internal_error_page(exc)
        entry["status"] = resp.status
        h.write(resp)

    def dispatch(self, req: Request, has_body: bool, entry: dict) -> Response:
        try:
            parse_body(req, has_body)
        except BadJSON:
            return express_status_page(400)
        match = _PROXY_RE.match(req.path)
        if match:
            entry["agent_id"] = match.group(1)
            return self.proxy(req, match.group(1), match.group(2) or "", entry)
        route, params = self.router.match(req.method, req.path)
        if route is None:
            if req.method in ("GET", "HEAD"):
                return Response(200, SPA_PAGE, html=True)   # app.get('*splat') -> ui/index.html
            return express_not_found(req.method, req.raw_path)
        req.params = params
        if not route.public:
            user = self._authenticate(req)
            entry["user"] = user["username"]
            req.principal = user
        return route.handler(req)

    # ------------------------------------------------------------------ routes
    def _routes(self) -> Router:
        r = Router()
        status = {"role": "server", "version": VERSION, "auth": ["local"]}
        r.add("GET", "/api/status", lambda req: Response(200, dict(status)), public=True)
        r.add("GET", "/api/health", lambda req: Response(200, {"status": "healthy", "timestamp": now_iso()}),
              public=True)
        r.add("POST", "/api/auth/login", self.login, public=True)
        r.add("GET", "/api/auth/verify", self.verify)
        r.add("GET", "/api/auth/profile", self.profile)
        r.add("POST", "/api/auth/logout", self.logout)
        r.add("GET", "/api/servers", self.list_servers)
        r.add("POST", "/api/servers", self.add_server_http)
        r.add("POST", "/api/servers/test", self.test_server)
        r.add("PATCH", "/api/servers/:id", self.patch_server)
        r.add("DELETE", "/api/servers/:id", self.delete_server)
        r.add("GET", "/api/servers/:id/orgs", self.get_orgs)
        r.add("PUT", "/api/servers/:id/orgs", self.put_orgs)
        r.add("GET", "/api/servers/:id/machines/:machine/orgs", self.get_machine_orgs)
        r.add("PUT", "/api/servers/:id/machines/:machine/orgs", self.put_machine_orgs)
        return r

    @staticmethod
    def _user_json(user: dict, *keys) -> dict:
        out = {"id": user["id"], "username": user["username"], "email": user["email"], "role": user["role"]}
        for key in keys:
            out[key] = user.get(key)
        return out

    def login(self, req):
        if not self.login_limiter.hit():
            return Response(429, {"error": self.login_limiter.message})
        body = req.body if isinstance(req.body, dict) else {}
        ident, password = body.get("identifier"), body.get("password")
        if not ident or not password:
            return _fail(400, "Username/email and password are required")
        user = next((u for u in self.users.values() if ident in (u["username"], u["email"])), None)
        if user is None or not user["is_active"] or not hmac.compare_digest(
                user["password_hash"], hashlib.sha256(str(password).encode("utf-8")).hexdigest()):
            return _fail(401, "Invalid credentials")
        user["lastLogin"] = now_iso()
        org = next((o for o in self.orgs.values() if o["org_uuid"] == user["org_uuid"]), {})
        return Response(200, {"success": True, "message": "Login successful", "token": self._mint(user),
                              "user": dict(self._user_json(user), auth_provider="local",
                                           organizationId=org.get("id"), lastLogin=user["lastLogin"])})

    def verify(self, req):
        return Response(200, {"success": True, "valid": True, "datacenter_label": self.datacenter_label,
                              "user": dict(self._user_json(req.principal), auth_provider="local")})

    def profile(self, req):
        user = req.principal
        org = next((o for o in self.orgs.values() if o["org_uuid"] == user["org_uuid"]), {})
        return Response(200, {"success": True, "user": dict(self._user_json(user), organizationId=org.get("id"),
                                                            createdAt=user["createdAt"],
                                                            lastLogin=user["lastLogin"])})

    def logout(self, req):
        req.principal["tokens_valid_after"] = int(time.time())
        return Response(200, {"success": True, "message": "Logged out successfully"})

    # -- servers
    @staticmethod
    def _privileged(user: dict) -> bool:
        return user["role"] in ("admin", "super-admin")

    def _require_admin(self, req) -> None:
        if not self.admin_limiter.hit():
            raise _Refused(Response(429, {"error": self.admin_limiter.message}))
        if not self._privileged(req.principal):
            raise _Refused(_fail(403, "Admin access required"))

    def _visible(self, user: dict, row: dict) -> bool:
        if self._privileged(user) or not row["orgs"] or user["org_uuid"] in row["orgs"]:
            return True
        return any(user["org_uuid"] in orgs for orgs in row["machine_orgs"].values())

    def _row_json(self, row: dict, user: dict) -> dict:
        keys = ("id", "hostname", "port", "protocol", "entity_name", "description", "is_active", "last_used",
                "allow_insecure", "capabilities", "last_seen", "created_at", "updated_at", "created_by")
        out = {k: copy.deepcopy(row[k]) for k in keys}
        orgs = set(row["orgs"]) | {o for orgs in row["machine_orgs"].values() for o in orgs}
        out["org_uuids"] = sorted(orgs if self._privileged(user) else orgs & {user["org_uuid"]})
        return out

    def list_servers(self, req):
        if not self.admin_limiter.hit():   # GET /api/servers sits behind the admin limiter
            return Response(429, {"error": self.admin_limiter.message})
        with self.lock:
            rows = [r for r in self.servers.values() if self._visible(req.principal, r)]
            rows.sort(key=lambda r: (r["last_used"] or "", r["created_at"], r["id"]), reverse=True)
            return Response(200, {"success": True, "servers": [self._row_json(r, req.principal) for r in rows]})

    def add_server_http(self, req):
        self._require_admin(req)
        body = req.body if isinstance(req.body, dict) else {}
        missing = [k for k in ("hostname", "port", "protocol", "entityName") if not body.get(k)]
        if missing:
            return _fail(400, "Missing required fields: " + ", ".join(missing))
        host, port, proto = body["hostname"], int(body["port"]), body["protocol"]
        if any((r["hostname"], r["port"], r["protocol"]) == (host, port, proto) for r in self.servers.values()):
            return _fail(500, f"Server {host}:{port} ({proto}) already exists")
        probe = {"hostname": host, "port": port, "protocol": proto, "api_key": None,
                 "allow_insecure": bool(body.get("allowInsecure"))}
        key = body.get("apiKey")
        if key:
            probe["api_key"] = key
            status, answer = self._agent_call(probe, "GET", "/version", {}, None, None, timeout=10)
            if status != 200:
                detail = answer if isinstance(answer, str) and status == 0 else f"Request failed with status code {status}"
                return _fail(500, f"Provided API key is invalid: {detail}")
        else:
            status, answer = self._agent_call(probe, "POST", "/api-keys/bootstrap", {}, None,
                                              js_stringify({"name": body["entityName"]}), timeout=10)
            if status != 200 or not isinstance(answer, dict) or not answer.get("api_key"):
                detail = answer if status == 0 else f"Request failed with status code {status}"
                return _fail(500, f"Agent error: {detail}")
            key = answer["api_key"]
        sim = next((s.get("sim") for s in self.servers.values()
                    if s.get("sim") is not None and s["port"] == port), None)
        row = self.add_agent({"url": f"{proto}://{host}:{port}", "api_key": key, "entity_name": body["entityName"],
                              "description": body.get("description"), "allow_insecure": bool(body.get("allowInsecure")),
                              "sim": sim})
        return Response(200, {"success": True, "message": "Server added successfully",
                              "server": {"id": row["id"], "hostname": row["hostname"], "port": row["port"],
                                         "protocol": row["protocol"], "entityName": row["entity_name"],
                                         "description": row["description"]}})

    def test_server(self, req):
        body = req.body if isinstance(req.body, dict) else {}
        probe = {"hostname": body.get("hostname"), "port": body.get("port"), "protocol": body.get("protocol", "https"),
                 "api_key": None, "allow_insecure": bool(body.get("allowInsecure"))}
        status, answer = self._agent_call(probe, "GET", "/status", {}, None, None, timeout=5, auth=False)
        ok = status == 200 and isinstance(answer, dict)
        return Response(200, {"success": ok, "message": "Connection successful" if ok else "Connection failed",
                              "error": None if ok else (answer if status == 0 else f"Request failed with status code {status}"),
                              "serverInfo": answer if ok else None})

    def _server_or_404(self, sid: str) -> dict:
        try:
            return self.servers[int(sid)]
        except (KeyError, ValueError):
            raise _Refused(_fail(404, "Server not found or already removed")) from None

    def patch_server(self, req):
        self._require_admin(req)
        row = self._server_or_404(req.params["id"])
        body = req.body if isinstance(req.body, dict) else {}
        if not isinstance(body.get("allowInsecure"), bool):
            return _fail(400, "allowInsecure must be a boolean")
        row["allow_insecure"] = body["allowInsecure"]
        row["updated_at"] = now_iso()
        return Response(200, {"success": True, "message": "Server updated successfully",
                              "server": {"id": row["id"], "hostname": row["hostname"], "port": row["port"],
                                         "protocol": row["protocol"], "entityName": row["entity_name"],
                                         "allow_insecure": row["allow_insecure"]}})

    def delete_server(self, req):
        self._require_admin(req)
        row = self._server_or_404(req.params["id"])
        with self.lock:
            del self.servers[row["id"]]
        return Response(200, {"success": True, "message": "Server removed successfully"})

    def get_orgs(self, req):
        self._require_admin(req)
        return Response(200, {"success": True, "orgs": list(self._server_or_404(req.params["id"])["orgs"])})

    def put_orgs(self, req):
        self._require_admin(req)
        row = self._server_or_404(req.params["id"])
        orgs = (req.body or {}).get("orgs") if isinstance(req.body, dict) else None
        if not isinstance(orgs, list) or not all(isinstance(o, str) for o in orgs):
            return _fail(400, "orgs must be an array of organization uuids")
        row["orgs"] = list(dict.fromkeys(orgs))
        return Response(200, {"success": True, "orgs": list(row["orgs"])})

    def get_machine_orgs(self, req):
        self._require_admin(req)
        row = self._server_or_404(req.params["id"])
        return Response(200, {"success": True, "orgs": list(row["machine_orgs"].get(req.params["machine"], []))})

    def put_machine_orgs(self, req):
        self._require_admin(req)
        row = self._server_or_404(req.params["id"])
        orgs = (req.body or {}).get("orgs") if isinstance(req.body, dict) else None
        if not isinstance(orgs, list) or not all(isinstance(o, str) for o in orgs):
            return _fail(400, "orgs must be an array of organization uuids")
        row["machine_orgs"][req.params["machine"]] = list(dict.fromkeys(orgs))
        return Response(200, {"success": True, "orgs": list(row["machine_orgs"][req.params["machine"]])})

    # ------------------------------------------------------------------ the relay
    def _access(self, user: dict, row: dict):
        """utils/orgAccess.js resolveAgentAccess: (scope, role, machines) or None."""
        if user["role"] == "super-admin" or not row["orgs"]:
            return "full", "ADMIN", None
        role = "ADMIN" if user["role"] == "admin" else "MEMBER"
        if user["org_uuid"] in row["orgs"]:
            return "full", role, None
        machines = {m for m, orgs in row["machine_orgs"].items() if user["org_uuid"] in orgs}
        if machines:
            return "vm", role, machines
        return None

    @staticmethod
    def _member_allows(method: str, segs: list[str]) -> bool:
        if method in ("GET", "HEAD", "OPTIONS"):
            return not (len(segs) == 3 and segs[0] == "machines" and segs[2] == "hosts-yml")
        rest = "/".join(segs[2:])
        if method == "POST" and len(segs) >= 3 and segs[0] == "machines" and rest in MEMBER_MACHINE_WRITES:
            return True
        if method == "DELETE" and len(segs) >= 3 and segs[0] == "machines" and rest == "vnc/stop":
            return True
        return (method == "DELETE" and len(segs) == 4 and segs[0] in ("zlogin", "ssh") and segs[1] == "sessions"
                and segs[3] == "stop")

    def proxy(self, req: Request, sid: str, sub: str, entry: dict) -> Response:
        if not self.proxy_limiter.hit():
            return Response(429, {"error": self.proxy_limiter.message})
        user = self._authenticate(req)
        entry["user"] = user["username"]
        try:
            row = self.servers.get(int(sid))
        except ValueError:
            row = None
        if row is None or not row["is_active"]:
            return _fail(404, "Agent not found")
        if (row["capabilities"] or {}).get("role") != "agent":
            return _fail(409, "Registered backend is not an agent")
        sub = sub.strip("/")
        segs = [s for s in sub.split("/") if s]
        if any(sub == p or sub.startswith(p + "/") for p in SUPER_ADMIN_PATHS) and user["role"] != "super-admin":
            return _fail(403, "Super-admin access required")
        if any(sub == p or sub.startswith(p + "/") for p in ADMIN_PATHS) and not self._privileged(user):
            return _fail(403, "Admin access required")
        access = self._access(user, row)
        if access is None:
            return _fail(403, "No access to this agent")
        scope, role, machines = access
        if role == "MEMBER" and not self._member_allows(req.method, segs):
            return _fail(403, "Your organization role does not permit this action")
        filter_to = None
        if scope == "vm":
            refusal = self._vm_gate(req, row, segs, machines)
            if refusal is not None:
                return refusal
            if req.method == "GET" and sub in FILTERED_LISTS:
                filter_to = machines
        # forwarding: the body is re-serialised, the client's Content-Length kept
        data, length = None, None
        if req.method != "GET" and isinstance(req.body, (dict, list)) and req.body:
            data = js_stringify(req.body)
            declared = req.headers.get("Content-Length")
            length = int(declared) if declared and declared.isdigit() else len(data)
            if len(data) < length:
                # the agent waits for bytes that never come: the relay's own timeout ends it
                time.sleep(self.proxy_timeout)
                return _fail(500, f"timeout of {int(self.proxy_timeout * 1000)}ms exceeded")
            data = data[:length]
        headers = {k: v for k, v in req.headers.items() if k.lower() not in STRIPPED_HEADERS}
        parts = urlsplit(req.target)
        raw_sub = _PROXY_RE.match(parts.path)
        target_path = "/" + ((raw_sub.group(2) or "") if raw_sub else sub)
        status, answer = self._agent_call(row, req.method, target_path + ("?" + parts.query if parts.query else ""),
                                          headers, data, length, timeout=self.proxy_timeout)
        row["last_used"] = now_iso()
        if status == 0:
            return _fail(500, answer)
        if 200 <= status < 300 and filter_to is not None:
            answer = _filtered(answer, filter_to)
        if 200 <= status < 300 and sub == "machines" and req.method == "GET" and not self._privileged(user) \
                and isinstance(answer, dict) and isinstance(answer.get("machines"), list):
            for machine in answer["machines"]:
                if isinstance(machine, dict):
                    machine["org_uuids"] = list(row["machine_orgs"].get(machine.get("name"), []))
        if 200 <= status < 300 and scope == "vm" and req.method == "POST" and sub == "machines" \
                and isinstance(answer, dict) and answer.get("machine_name"):
            stamp = (req.body or {}).get("org_uuid") if isinstance(req.body, dict) else None
            row["machine_orgs"][answer["machine_name"]] = [stamp or user["org_uuid"]]
        return Response(status, answer)

    def _vm_gate(self, req, row, segs, machines):
        refuse = _fail(403, "No access to this agent")
        if segs and segs[0] == "machines" and len(segs) >= 2 and segs[1] not in MACHINE_COLLECTION_WORDS:
            return None if segs[1] in machines else refuse
        sub = "/".join(segs)
        if req.method == "GET" and sub in FILTERED_LISTS:
            return None
        if req.method == "POST" and sub == "machines":
            return None
        if segs and segs[0] == "tasks" and len(segs) >= 2:
            status, task = self._agent_call(row, "GET", "/tasks/" + segs[1], {}, None, None, timeout=10)
            owner = (task.get("machine_name") or task.get("zone_name")) if isinstance(task, dict) else None
            return None if status == 200 and owner in machines else refuse
        return refuse

    def _agent_call(self, row: dict, method: str, path: str, headers: dict, data: bytes | None,
                    length: int | None, timeout: float, auth: bool = True):
        """One request to the agent, as axios would send it. Returns (status, body);
        status 0 and the Node error text when the agent cannot be reached."""
        host, port, proto = row["hostname"], int(row["port"] or 0), row["protocol"]
        out = dict(headers)
        if auth and row.get("api_key"):
            out["Authorization"] = f"Bearer {row['api_key']}"
        out.setdefault("Accept", "application/json, text/plain, */*")
        out.setdefault("User-Agent", "axios/1.7.9")
        if data is not None:
            out["Content-Length"] = str(length if length is not None else len(data))
            out.setdefault("Content-Type", "application/json")
        try:
            if proto == "https":
                ctx = ssl.create_default_context()
                if row.get("allow_insecure"):
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            try:
                conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
                for key, value in out.items():
                    conn.putheader(key, value)
                conn.endheaders(data)
                resp = conn.getresponse()
                raw = resp.read()
                ctype = resp.getheader("Content-Type") or ""
                status = resp.status
            finally:
                conn.close()
        except ConnectionRefusedError:
            return 0, f"connect ECONNREFUSED {host}:{port}"
        except (socket.timeout, TimeoutError):
            return 0, f"timeout of {int(timeout * 1000)}ms exceeded"
        except ssl.SSLError as exc:
            return 0, f"self-signed certificate ({exc.reason})" if "CERTIFICATE" in str(exc).upper() else str(exc)
        except (OSError, http.client.HTTPException):
            return 0, "socket hang up"
        text = raw.decode("utf-8", "replace")
        if "json" in ctype:
            try:
                return status, json.loads(text) if text else ""
            except json.JSONDecodeError:
                return status, text
        return status, text   # relayed through res.json(): an HTML page arrives as a JSON string


def _filtered(answer, machines: set):
    """GET machines / tasks / vnc/sessions / stats for a vm-scoped user: only their machines."""
    if not isinstance(answer, dict):
        return answer
    out = dict(answer)
    for key, value in answer.items():
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            kept = [v for v in value if (v.get("name") or v.get("machine_name") or v.get("zone_name")) in machines]
            out[key] = kept
            if "total" in out and key in ("machines", "zones", "tasks", "sessions"):
                out["total"] = len(kept)
    return out
