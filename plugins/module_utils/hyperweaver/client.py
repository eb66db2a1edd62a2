# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP transport to a Hyperweaver Server, and through it to its agents.

hyperweaver-boxvault.md part 1:
- Automation logs in with a local or LDAP account (POST /api/auth/login,
  {"identifier", "password"}) and keeps the JWT (24 h). Login is limited to
  25 per 15 minutes, so the token is cached per (server URL, user) and process,
  and a 401 on a cached token logs in again once.
- GET /api/servers lists the agents the user may see (snake_case rows with the
  agent's own GET /status answer in `capabilities`).
- ANY /api/agents/{id}/{path} is relayed to the agent with the server's stored
  key. The relay re-serialises JSON bodies with JSON.stringify but forwards the
  client's Content-Length: a body that is not byte-identical to JavaScript's
  serialisation hangs until the server's 60 s timeout. So bodies are compact,
  ensure_ascii=False, integral floats written as integers, and always present
  on POST/PUT.
- The server's own errors are told apart from the agent's relayed errors
  (they carry {"success": false, "message"}): 403 from the organisation gate,
  404 "Agent not found", 409 "Registered backend is not an agent", 500 when the
  agent is unreachable, 429 rate limits, and the web UI's HTML for unknown GETs.

HyperweaverAgentClient has AgentClient's interface (url, request/get/post/put/
delete, segment, requests_made), so AgentApi and the resources can run on it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import re
import tempfile
import threading
import time
import warnings
from urllib.parse import quote, urlencode

try:
    import requests
    from requests import exceptions as rex
    from urllib3.exceptions import InsecureRequestWarning
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported when a client is built
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AuthError, EndpointMissingError, InputError, NotFoundError, TransportError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.errors import (
    error_from_response, message_from_body)

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
RETRY_STATUSES = frozenset((502, 503, 504))
LOGIN_PATH = "/api/auth/login"
_TOKENS = {}
_TOKEN_LOCK = threading.Lock()
# What axios/Node put into the server's 500 when the agent cannot be reached.
_UNREACHABLE_RE = re.compile(r"ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|"
                             r"socket hang up|timeout of \d+ms exceeded|certificate|self[- ]signed|"
                             r"getaddrinfo", re.IGNORECASE)
_HTML_START = ("<!doctype html", "<html")


def _credential_tag(url, username, password):
    """A digest that tells logins apart by password without keeping anything a password could
    be cheaply recovered from (salted by server and user, many rounds)."""
    salt = ("zoneweaver.illumos hyperweaver login\n%s\n%s" % (url, username)).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 20000).hex()[:32]


def js_compatible(value):
    """The value as JSON.stringify(JSON.parse(...)) would write it back: floats
    that are whole numbers become integers (JavaScript writes 1.0 as 1)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {str(k): js_compatible(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [js_compatible(v) for v in value]
    return value


def compact_json(value):
    """UTF-8 bytes that the Hyperweaver relay re-serialises byte for byte."""
    return json.dumps(js_compatible(value), separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def forget_tokens(url=None):
    """Drop cached login tokens (all, or those of one server URL)."""
    with _TOKEN_LOCK:
        for key in [k for k in _TOKENS if url is None or k[0] == str(url).rstrip("/")]:
            del _TOKENS[key]


def _token_valid_for(token, seconds):
    """True if the JWT's exp claim is more than `seconds` away (unknown exp: True)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8"))
    except (IndexError, ValueError, UnicodeDecodeError):
        return False
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return not isinstance(exp, (int, float)) or exp - time.time() > seconds


def _looks_like_html(body):
    return isinstance(body, str) and body.lstrip()[:15].lower().startswith(_HTML_START)


def _server_message(body):
    """The server's own error text: {"success": false, "message": ...}."""
    if isinstance(body, dict) and body.get("success") is False and isinstance(body.get("message"), str) \
            and "error" not in body and "msg" not in body:
        return body["message"]
    return None


class HyperweaverClient:
    """Talks to one Hyperweaver Server. Thread-safe: one requests.Session per
    thread, and the login token shared under a lock."""

    def __init__(self, url, username=None, password=None, token=None, validate_certs=True, ca_path=None,
                 client_cert=None, client_key=None, timeout=30, retries=3, backoff=0.2, token_cache=None):
        if not HAS_REQUESTS:
            raise TransportError("the Python library 'requests' is required on the controller "
                                 "(pip install requests): %s" % REQUESTS_IMPORT_ERROR)
        if not url or not str(url).startswith(("http://", "https://")):
            raise InputError("the Hyperweaver URL must be an http:// or https:// URL, got %r" % (url,),
                             hint="for example https://hyperweaver.example.com:3443")
        if not token and not (username and password):
            raise InputError("Hyperweaver needs a username and password, or a token",
                             hint="the server has no API keys: log in with a local or LDAP account")
        self.url = str(url).rstrip("/")
        self.username = username
        self._password = password
        self._given_token = token
        self._credential_tag = None
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.verify = ca_path if ca_path else bool(validate_certs)
        self.cert = (client_cert, client_key) if client_cert and client_key else client_cert
        self.requests_made = 0
        self._count_lock = threading.Lock()
        self._local = threading.local()
        # A directory for tokens shared between processes (Ansible forks a worker per task,
        # so an in-process cache alone would log in once per task). Files are 0600.
        self.token_cache = token_cache

    # --- sessions and login -----------------------------------------------
    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=4, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    @property
    def _token_key(self):
        # The password is part of the key: a cached token must not stand in for a wrong or
        # changed password (that login would be refused). Only a slow salted digest of it is kept.
        if self._credential_tag is None:
            self._credential_tag = _credential_tag(self.url, self.username or "", self._password or "")
        return (self.url, self.username or "", self._credential_tag)

    def token(self):
        """The JWT to send: the configured one, else a cached or fresh login."""
        if self._given_token:
            return self._given_token
        with _TOKEN_LOCK:
            cached = _TOKENS.get(self._token_key)
            if not cached:
                cached = self._read_cached_token()
                if cached:
                    _TOKENS[self._token_key] = cached
        return cached or self.login()

    # --- the optional on-disk token cache -----------------------------------
    def _token_file(self):
        digest = hashlib.sha256(("%s\n%s\n%s" % self._token_key).encode("utf-8")).hexdigest()[:32]
        return os.path.join(self.token_cache, "hyperweaver-%s.token" % digest)

    def _read_cached_token(self):
        if not self.token_cache:
            return None
        try:
            with open(self._token_file()) as handle:
                token = handle.read().strip()
        except OSError:
            return None
        return token if _token_valid_for(token, 300) else None

    def _write_cached_token(self, token):
        if not self.token_cache:
            return
        try:
            os.makedirs(self.token_cache, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.token_cache, prefix=".token-")
            with os.fdopen(fd, "w") as handle:   # mkstemp creates it 0600
                handle.write(token)
            os.replace(tmp, self._token_file())
        except OSError:
            pass  # the cache only saves logins; a read-only place must not fail the run

    def _drop_cached_token(self, token):
        if self.token_cache and self._read_cached_token() == token:
            try:
                os.remove(self._token_file())
            except OSError:
                pass

    def login(self):
        """POST /api/auth/login once; the token is cached for this process."""
        if self._given_token:
            return self._given_token
        with _TOKEN_LOCK:
            # Threads that waited here reuse the token the first one obtained.
            cached = _TOKENS.get(self._token_key)
            if cached:
                return cached
            try:
                status, body, ctype = self._raw("POST", LOGIN_PATH, None,
                                                {"identifier": self.username, "password": self._password}, None)
            except rex.SSLError as exc:
                raise TransportError("TLS verification failed for Hyperweaver %s: %s" % (self.url, _short(exc)),
                                     hint="trust the server's certificate with ca_path, or set validate_certs: false")
            except rex.RequestException as exc:
                raise TransportError("cannot reach Hyperweaver %s (POST %s): %s" % (self.url, LOGIN_PATH, _short(exc)),
                                     hint="check the URL and the network path to the server")
            if status == 200 and isinstance(body, dict) and body.get("token"):
                _TOKENS[self._token_key] = body["token"]
                self._write_cached_token(body["token"])
                return body["token"]
        text = message_from_body(body) or "HTTP %s" % status
        where = "login to Hyperweaver %s as %r" % (self.url, self.username)
        if status == 429:
            raise AgentError("%s was rate limited: %s" % (where, text), status=status,
                             hint="the server allows 25 logins per 15 minutes; reuse a token (option token)")
        if status in (400, 401, 403):
            raise AuthError("%s failed: %s" % (where, text), status=status,
                            hint="check the username (or email) and password of a local or LDAP account")
        if "html" in ctype or _looks_like_html(body):
            raise EndpointMissingError("%s: the server answered with a web page, not the API" % where,
                                       status=status, hint="check the URL: it must be the Hyperweaver Server")
        raise AgentError("%s failed with HTTP %s: %s" % (where, status, text), status=status)

    def _invalidate(self, token):
        with _TOKEN_LOCK:
            if _TOKENS.get(self._token_key) == token:
                del _TOKENS[self._token_key]
            self._drop_cached_token(token)

    # --- public helpers -----------------------------------------------------
    def get(self, path, params=None, **kw):
        return self.request("GET", path, params=params, **kw)

    def post(self, path, body=None, params=None, **kw):
        return self.request("POST", path, params=params, body=body, **kw)

    def put(self, path, body=None, params=None, **kw):
        return self.request("PUT", path, params=params, body=body, **kw)

    def patch(self, path, body=None, params=None, **kw):
        return self.request("PATCH", path, params=params, body=body, **kw)

    def delete(self, path, body=None, params=None, **kw):
        return self.request("DELETE", path, params=params, body=body, **kw)

    def servers(self):
        """GET /api/servers: the agents this user may see (snake_case rows)."""
        body = self.get("/api/servers")
        if not isinstance(body, dict) or not isinstance(body.get("servers"), list):
            raise TransportError("%s/api/servers did not answer like a Hyperweaver Server" % self.url,
                                 hint="check the URL: it must be the Hyperweaver Server (port 3443 by default)")
        return body["servers"]

    def agent(self, server_id, label=None, capabilities=None):
        """A client for one agent behind this server (the /api/agents/{id} relay)."""
        return HyperweaverAgentClient(self, server_id, label=label, capabilities=capabilities)

    def agent_by_name(self, name):
        """The agent registered as entity_name (or hostname) `name`."""
        matches = [s for s in self.servers() if name in (s.get("entity_name"), s.get("hostname"), str(s.get("id")))]
        if not matches:
            raise NotFoundError("Hyperweaver %s has no agent named %r visible to %r" % (self.url, name, self.username),
                                hint="list them with GET /api/servers; the user's organisation may not see it")
        if len(matches) > 1:
            raise InputError("%r names %d agents on Hyperweaver %s; use the agent id" % (name, len(matches), self.url))
        server = matches[0]
        return self.agent(server["id"], label=server.get("entity_name") or server.get("hostname"),
                          capabilities=server.get("capabilities"))

    # --- the one place that does HTTP ---------------------------------------
    def request(self, method, path, params=None, body=None, auth=True, raw=False, agent=None):
        """Send a request to the server; return the decoded JSON of a 2xx answer.

        raw=True returns (status, body, is_html) without raising. `agent`
        (a HyperweaverAgentClient) words the errors of relayed requests.
        """
        method = method.upper()
        params = {k: v for k, v in (params or {}).items() if v is not None}
        display_path = path + ("?" + urlencode(params) if params else "")
        relogged = False
        attempt = 0
        while True:
            attempt += 1
            token = self.token() if auth else None
            try:
                status, answer, ctype = self._raw(method, path, params, body, token)
            except rex.SSLError as exc:
                raise TransportError("TLS verification failed for Hyperweaver %s: %s" % (self.url, _short(exc)),
                                     hint="trust the server's certificate with ca_path, or set validate_certs: false")
            except rex.RequestException as exc:
                if method in SAFE_METHODS and attempt <= self.retries:
                    self._sleep(attempt)
                    continue
                raise TransportError("cannot reach Hyperweaver %s (%s %s): %s"
                                     % (self.url, method, display_path, _short(exc)),
                                     hint="check the URL and the network path to the server")
            if status in RETRY_STATUSES and method in SAFE_METHODS and attempt <= self.retries:
                self._sleep(attempt)
                continue
            if status == 401 and auth and not self._given_token and not relogged:
                # The cached JWT expired (24 h) or was revoked by a logout: log in again once.
                self._invalidate(token)
                relogged = True
                continue
            return self._decode(method, display_path, status, answer, ctype, raw, agent)

    def _raw(self, method, path, params, body, token):
        headers = {"Accept": "application/json", "User-Agent": "zoneweaver.illumos"}
        if token:
            headers["Authorization"] = "Bearer %s" % token
        data = None
        if body is not None or method in ("POST", "PUT", "PATCH"):
            data = compact_json({} if body is None else body)
            headers["Content-Type"] = "application/json"
        url = self.url + path
        if params:
            url += "?" + urlencode(params)
        with self._count_lock:
            self.requests_made += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureRequestWarning)
            response = self._session().request(method, url, headers=headers, data=data, verify=self.verify,
                                               cert=self.cert, timeout=(min(self.timeout, 10.0), self.timeout),
                                               allow_redirects=False)
        ctype = response.headers.get("Content-Type", "")
        text = response.text
        answer = text
        if "json" in ctype or text[:1] in ("{", "["):
            try:
                answer = json.loads(text) if text else {}
            except ValueError:
                answer = text
        return response.status_code, answer, ctype

    def _decode(self, method, path, status, body, ctype, raw, agent):
        # The server's web UI answers unknown GETs with 200 text/html; an agent's
        # Express HTML 404 comes back through the relay as a JSON string.
        is_html = "html" in ctype or _looks_like_html(body)
        if raw:
            return status, body, is_html
        if 200 <= status < 300 and not is_html:
            return body
        where = "%s %s" % (method, path)
        if agent is not None:
            where = "%s %s on agent %s via Hyperweaver %s" % (method, agent.display_path(path), agent.name, self.url)
        if is_html and 200 <= status < 300:
            raise EndpointMissingError("%s: the server answered with its web UI page, not JSON" % where,
                                       status=status, hint="no such API path on this Hyperweaver version")
        if status in (301, 302, 307, 308):
            raise TransportError("%s was redirected (HTTP %s)" % (where, status),
                                 hint="the server forces HTTPS: use https:// and its TLS port (3443)")
        own = _server_message(body)
        if status == 429:
            raise AgentError("%s: rate limited by Hyperweaver: %s" % (where, message_from_body(body)), status=status,
                             hint="the agent relay allows 2000 requests per minute, logins 25 per 15 minutes")
        if own is not None:
            raise self._server_error(where, status, own, method, agent)
        if agent is None:
            raise error_from_response(method, path, status, body, is_html)
        if status == 403:
            # The agent refused the key the server holds for it (not the user's rights).
            raise AuthError("%s: the agent refused the API key Hyperweaver holds for it: %s"
                            % (where, message_from_body(body)), status=status,
                            hint="re-register the agent on the server with a valid apiKey")
        error = error_from_response(method, agent.display_path(path), status, body, is_html)
        error.msg = "%s (agent %s via Hyperweaver %s)" % (error.msg, agent.name, self.url)
        error.args = (error.msg,)
        raise error

    def _server_error(self, where, status, message, method, agent):
        if status == 401:
            return AuthError("%s: Hyperweaver refused the login token: %s" % (where, message), status=status,
                             hint="log in again (the token lasts 24 h and a logout revokes all of the user's tokens)")
        if status == 403:
            if agent is not None:
                return AuthError("%s: refused by Hyperweaver's organisation scope: %s" % (where, message),
                                 status=status,
                                 hint="the user's organisation does not own this agent (or this machine), or its "
                                      "role does not allow the operation; a Hyperweaver admin assigns agents to "
                                      "organisations with PUT /api/servers/{id}/orgs")
            return AuthError("%s: forbidden by Hyperweaver: %s" % (where, message), status=status,
                             hint="this needs an admin or super-admin account")
        if status == 404 and agent is not None:
            text = "%s: Hyperweaver has no active agent with id %s: %s" % (where, agent.server_id, message)
            return NotFoundError(text, status=status,
                                 hint="list the agents with GET /api/servers; it may have been removed or deactivated")
        if status == 409 and agent is not None:
            return AgentError("%s: %s" % (where, message), status=status,
                              hint="the server has not seen this agent's GET /status (capabilities.role) yet, or "
                                   "it is not a Zoneweaver Agent")
        if status == 500 and agent is not None and _UNREACHABLE_RE.search(message):
            hint = "check that the agent runs and that the Hyperweaver server can reach it (GET /api/servers " \
                   "shows its last_seen)"
            if "timeout" in message.lower() and method not in SAFE_METHODS:
                hint = "the relay timed out; a request body that JavaScript re-serialises differently (spaces, " \
                       "1.0, \\u escapes) hangs the relay until its timeout - this client sends compact JSON, " \
                       "so the agent itself is probably slow or unreachable"
            return TransportError("%s: Hyperweaver could not reach the agent: %s" % (where, message), hint=hint,
                                  status=status)
        return AgentError("%s failed with HTTP %s: %s" % (where, status, message), status=status)

    def _sleep(self, attempt):
        delay = min(3.0, self.backoff * (2 ** (attempt - 1)))
        time.sleep(delay * random.uniform(0.5, 1.5))


class HyperweaverAgentClient:
    """One agent behind a Hyperweaver Server, with AgentClient's interface.

    The server injects the agent's key, so `api_key` is None and
    `has_credentials` is True; `auth=False` (the agent's public routes) still
    sends the user's JWT, which the relay always requires.
    """

    def __init__(self, server, server_id, label=None, capabilities=None):
        self.server = server
        self.server_id = server_id
        self.label = label
        self.capabilities = capabilities if isinstance(capabilities, dict) else None
        self.url = "%s/api/agents/%s" % (server.url, quote(str(server_id), safe=""))
        self.api_key = None
        self.has_credentials = True
        self.timeout = server.timeout

    @property
    def name(self):
        return "%s (id %s)" % (self.label, self.server_id) if self.label else "id %s" % self.server_id

    @property
    def requests_made(self):
        return self.server.requests_made

    def display_path(self, path):
        prefix = "/api/agents/%s" % quote(str(self.server_id), safe="")
        return path[len(prefix):] if path.startswith(prefix) else path

    @staticmethod
    def segment(value):
        return quote(str(value), safe="")

    def get(self, path, params=None, **kw):
        return self.request("GET", path, params=params, **kw)

    def post(self, path, body=None, params=None, **kw):
        return self.request("POST", path, params=params, body=body, **kw)

    def put(self, path, body=None, params=None, **kw):
        return self.request("PUT", path, params=params, body=body, **kw)

    def delete(self, path, body=None, params=None, **kw):
        return self.request("DELETE", path, params=params, body=body, **kw)

    def request(self, method, path, params=None, body=None, auth=True, raw=False):
        prefix = "/api/agents/%s" % quote(str(self.server_id), safe="")
        return self.server.request(method, prefix + path, params=params, body=body, raw=raw, agent=self)


def _short(exc):
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "..."
