# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP transport to one Zoneweaver Agent.

- One pooled requests.Session per (URL, TLS settings) and process.
- Compact JSON and always a body on POST/PUT: Express 5 leaves req.body
  undefined otherwise (500s), and the Hyperweaver proxy re-serialises bodies
  and hangs on a Content-Length mismatch.
- Retries with jittered exponential backoff for reads, and for any request
  that provably never reached the agent (connect failures). A mutation whose
  connection broke after sending is never retried blindly: it raises
  AmbiguousMutationError and the resource re-reads state to reconcile.
"""

from __future__ import annotations

import json
import random
import time
import warnings
from urllib.parse import quote, urlencode

try:
    import requests
    from requests import exceptions as rex
    from urllib3.exceptions import (ConnectTimeoutError, InsecureRequestWarning,
                                    NewConnectionError, NameResolutionError)
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the adapters
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AmbiguousMutationError, InputError, TransportError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.errors import error_from_response

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
RETRY_STATUSES = frozenset((500, 502, 503, 504))
_SESSIONS = {}


def new_session(pool_connections=4, pool_maxsize=16):
    """A requests.Session that never retries by itself (the client decides)."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=pool_connections, pool_maxsize=pool_maxsize,
                                            max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _session_for(key):
    session = _SESSIONS.get(key)
    if session is None:
        session = _SESSIONS[key] = new_session()
    return session


def _never_reached_agent(exc):
    """True when the request provably was not delivered (safe to resend)."""
    if isinstance(exc, rex.ConnectTimeout):
        return True
    if isinstance(exc, rex.ConnectionError) and not isinstance(exc, rex.SSLError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, (NewConnectionError, ConnectTimeoutError, NameResolutionError))
    return False


class AgentClient:
    """Talks to one agent URL. Thread-safe for concurrent GETs (requests pools)."""

    def __init__(self, url, api_key=None, validate_certs=True, ca_path=None, client_cert=None,
                 client_key=None, timeout=30, retries=3, backoff=0.2, extra_headers=None, session=None):
        if not HAS_REQUESTS:
            raise TransportError("the Python library 'requests' is required on the controller "
                                 "(pip install requests): %s" % REQUESTS_IMPORT_ERROR)
        if not url or not str(url).startswith(("http://", "https://")):
            raise InputError("api_url must be an http:// or https:// URL, got %r" % (url,),
                             hint="set api_url or ZONEWEAVER_URL, e.g. https://host:5001")
        self.url = str(url).rstrip("/")
        self.api_key = api_key
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.verify = ca_path if ca_path else bool(validate_certs)
        self.cert = (client_cert, client_key) if client_cert and client_key else client_cert
        self.extra_headers = dict(extra_headers or {})
        self.requests_made = 0
        # One pooled session per URL and process, unless the caller brings its own
        # (the inventory gives each worker thread one).
        self._session = session or _session_for((self.url, str(self.verify), str(self.cert)))

    # --- public helpers -------------------------------------------------
    def get(self, path, params=None, **kw):
        return self.request("GET", path, params=params, **kw)

    def post(self, path, body=None, params=None, **kw):
        return self.request("POST", path, params=params, body=body, **kw)

    def put(self, path, body=None, params=None, **kw):
        return self.request("PUT", path, params=params, body=body, **kw)

    def delete(self, path, body=None, params=None, **kw):
        return self.request("DELETE", path, params=params, body=body, **kw)

    @staticmethod
    def segment(value):
        """One URL path segment, with '/' encoded (dataset names, zone names)."""
        return quote(str(value), safe="")

    # --- the one place that does HTTP -----------------------------------
    def request(self, method, path, params=None, body=None, auth=True, raw=False):
        """Send a request; return the decoded JSON (or text) of a 2xx answer.

        raw=True returns (status, body, is_html) without raising on errors.
        """
        method = method.upper()
        params = {k: v for k, v in (params or {}).items() if v is not None}
        headers = {"Accept": "application/json", "User-Agent": "zoneweaver.illumos"}
        headers.update(self.extra_headers)
        if auth and self.api_key:
            headers["Authorization"] = "Bearer %s" % self.api_key
        data = None
        if body is not None or method in ("POST", "PUT"):
            data = json.dumps({} if body is None else body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        url = self.url + path
        if params:
            url += "?" + urlencode(params)
        display_path = path + ("?" + urlencode(params) if params else "")

        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, url, headers, data)
            except (rex.SSLError,) as exc:
                raise TransportError(
                    "TLS verification failed for %s: %s" % (self.url, self._short(exc)),
                    hint="trust the agent's certificate with ca_path: /path/to/ca.pem, "
                         "or set validate_certs: false (not recommended)")
            except rex.RequestException as exc:
                retry_ok = method in SAFE_METHODS or _never_reached_agent(exc)
                if retry_ok and attempt <= self.retries:
                    self._sleep(attempt)
                    continue
                if retry_ok:
                    raise TransportError("cannot reach the agent at %s (%s %s): %s"
                                         % (self.url, method, display_path, self._short(exc)),
                                         hint="check api_url, that the agent runs, and the network path")
                raise AmbiguousMutationError(
                    "the connection to %s broke during %s %s; the change may or may not have been applied"
                    % (self.url, method, display_path), hint="re-run the task to reconcile")
            status = response.status_code
            if status in RETRY_STATUSES and method in SAFE_METHODS and attempt <= self.retries:
                self._sleep(attempt)
                continue
            return self._decode(method, display_path, response, raw)

    # --- internals ------------------------------------------------------
    def _send(self, method, url, headers, data):
        self.requests_made += 1
        with warnings.catch_warnings():
            # validate_certs=false is warned about once by the adapter, not per request.
            warnings.simplefilter("ignore", InsecureRequestWarning)
            return self._session.request(method, url, headers=headers, data=data, verify=self.verify,
                                         cert=self.cert, timeout=(min(self.timeout, 10.0), self.timeout),
                                         allow_redirects=False)

    def _decode(self, method, path, response, raw):
        status = response.status_code
        ctype = response.headers.get("Content-Type", "")
        is_html = "html" in ctype
        text = response.text
        body = text
        if "json" in ctype or (text[:1] in ("{", "[")):
            try:
                body = json.loads(text) if text else {}
            except ValueError:
                body = text
        if raw:
            return status, body, is_html
        if 200 <= status < 300:
            return body
        if status in (301, 302, 307, 308):
            raise TransportError("%s %s was redirected to %s" % (method, path, response.headers.get("Location")),
                                 hint="the agent forces HTTPS: use https:// and port 5001 in api_url")
        raise error_from_response(method, path, status, body, is_html)

    def _sleep(self, attempt):
        delay = min(3.0, self.backoff * (2 ** (attempt - 1)))
        time.sleep(delay * random.uniform(0.5, 1.5))

    @staticmethod
    def _short(exc):
        text = str(exc)
        return text if len(text) < 300 else text[:300] + "..."


def is_error_status(error, *statuses):
    return isinstance(error, AgentError) and error.status in statuses
