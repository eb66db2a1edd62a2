"""HTTP plumbing: request parsing, an Express-like router, Express's default
error pages, and the per-request pipeline (log -> knobs -> body -> route ->
auth -> handler).

The agent is an Express 5 app; the details copied here are the ones clients can
observe: HTML 404 "Cannot GET /x" for unknown routes, HTML 400 for malformed
JSON, `req.body` left undefined when no JSON body was sent, JSON answers with
`application/json; charset=utf-8`.
"""
from __future__ import annotations

import hashlib
import base64
import json
import re
import socket
import ssl
import sys
import threading
import traceback
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

# --------------------------------------------------------------------------- responses


class Response:
    """A finished answer. `body` is a JSON-able object, or a str for HTML."""

    def __init__(self, status: int, body=None, *, html: bool = False, headers: dict | None = None):
        self.status = status
        self.body = body
        self.html = html
        self.headers = dict(headers or {})


def json_response(status: int, body) -> Response:
    return Response(status, body)


class HTTPError(Exception):
    """Raise from a handler to answer with a JSON error body."""

    def __init__(self, status: int, body):
        super().__init__(f"{status} {body}")
        self.response = Response(status, body)


def error(status: int, message: str, **extra) -> HTTPError:
    """The most common controller error shape: {error, ...extra}."""
    return HTTPError(status, {"error": message, **extra})


# --------------------------------------------------------------------------- Express pages


def _escape_html(text: str) -> str:
    # escape-html's exact substitutions (note &#39;, not &#x27;)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def _encode_url(path: str) -> str:
    # encodeurl: percent-encode what is not URL-safe, keep existing %XX escapes
    return quote(path, safe="!#$&'()*+,/:;=?@[]~%-._")


def express_error_page(message: str) -> str:
    """finalhandler's createHtmlDocument()."""
    body = _escape_html(message).replace("\n", "<br>").replace("  ", " &nbsp;")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>Error</title>\n</head>\n<body>\n<pre>" + body + "</pre>\n</body>\n</html>\n")


def express_status_page(status: int, message: str | None = None) -> Response:
    """finalhandler error answer (NODE_ENV=production: the status text only)."""
    text = message or HTTPStatus(status).phrase
    return Response(status, express_error_page(text), html=True,
                    headers={"Content-Security-Policy": "default-src 'none'",
                             "X-Content-Type-Options": "nosniff"})


def express_not_found(method: str, raw_path: str) -> Response:
    return express_status_page(404, f"Cannot {method} {_encode_url(raw_path)}")


# --------------------------------------------------------------------------- requests


class Request:
    def __init__(self, method: str, target: str, headers, body_bytes: bytes):
        self.method = method.upper()
        parts = urlsplit(target)
        self.raw_path = parts.path or "/"
        self.path = unquote(self.raw_path)
        qs = parse_qs(parts.query, keep_blank_values=True)
        # Express's "simple" query parser: repeated keys become arrays
        self.query = {k: (v[0] if len(v) == 1 else v) for k, v in qs.items()}
        self.headers = headers
        self.body_bytes = body_bytes
        self.body = None            # undefined unless a body parser ran
        self.params: dict = {}
        self.principal: dict | None = None   # the API key entity row, once authenticated
        self.auth_kind = _auth_kind(headers)

    def q(self, name: str, default=None):
        v = self.query.get(name, default)
        if isinstance(v, list):
            v = v[-1]
        return v

    @property
    def actor(self) -> str:
        return (self.principal or {}).get("name") or "system"


def _auth_kind(headers) -> str:
    if headers.get("X-API-Key"):
        return "x-api-key"
    if headers.get("Authorization"):
        return "bearer"
    return "none"


class BadJSON(Exception):
    pass


def parse_body(req: Request, has_body: bool) -> None:
    """express.json() + express.urlencoded(): leave req.body None (undefined)
    unless a parser claims the request."""
    if not has_body:
        return
    ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype == "application/json" or (ctype.startswith("application/") and ctype.endswith("+json")):
        if ctype != "application/json":
            return   # express.json's default `type` is application/json only
        if not req.body_bytes:
            req.body = {}
            return
        try:
            value = json.loads(req.body_bytes.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadJSON(str(exc)) from None
        if not isinstance(value, (dict, list)):
            raise BadJSON("strict mode: only objects and arrays")   # body-parser strict:true
        req.body = value
    elif ctype == "application/x-www-form-urlencoded":
        qs = parse_qs(req.body_bytes.decode("utf-8", "replace"), keep_blank_values=True)
        req.body = {k: (v[0] if len(v) == 1 else v) for k, v in qs.items()}


# --------------------------------------------------------------------------- router

_PARAM_RE = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


class Route:
    def __init__(self, method, path, handler, public, needs_body, body_fail):
        self.method = method
        self.path = path
        self.handler = handler
        self.public = public
        self.needs_body = needs_body
        self.body_fail = body_fail
        pattern = _PARAM_RE.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(path).replace(r"\:", ":"))
        # Express defaults: case-insensitive, optional trailing slash
        self.regex = re.compile("^" + pattern + "/?$", re.IGNORECASE)


class Router:
    def __init__(self):
        self.routes: list[Route] = []

    def add(self, method: str, path: str, handler, *, public: bool = False,
            needs_body: bool = False, body_fail=None):
        """needs_body: the upstream handler destructures req.body, so a request
        without a JSON body makes it throw; body_fail is the JSON its catch block
        answers with (500)."""
        self.routes.append(Route(method.upper(), path, handler, public, needs_body, body_fail))

    def match(self, method: str, path: str):
        """`path` is the RAW (still percent-encoded) path, as Express matches
        it: a `%2F` inside a segment stays inside that parameter, which is
        decoded afterwards (0.2's /storage/datasets/rpool%2Fzones)."""
        method = method.upper()
        for route in self.routes:
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                m = route.regex.match(path)
                if m:
                    return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None, None


# --------------------------------------------------------------------------- wire


def _etag(payload: bytes) -> str:
    digest = base64.b64encode(hashlib.sha1(payload).digest()).decode()[:27]
    return f'W/"{len(payload):x}-{digest}"'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections

    def log_message(self, fmt, *args):  # the simulator has its own request log
        pass

    def _dispatch(self):
        self.server.app.handle(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    # -- helpers used by the pipeline
    def read_body(self) -> tuple[bytes, bool]:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks), True
        length = self.headers.get("Content-Length")
        if length is None:
            return b"", False
        try:
            n = int(length)
        except ValueError:
            return b"", False
        return (self.rfile.read(n) if n > 0 else b""), True

    def drop(self):
        """Close the connection without answering (drop_rate knob)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def write(self, resp: Response):
        if resp.html:
            payload = (resp.body or "").encode("utf-8")
            ctype = "text/html; charset=utf-8"
        elif resp.body is None:
            payload = b""
            ctype = None
        elif isinstance(resp.body, (bytes, bytearray)):   # file downloads (artifacts)
            payload = bytes(resp.body)
            ctype = None if "Content-Type" in resp.headers else "application/octet-stream"
        else:
            payload = json.dumps(resp.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            ctype = "application/json; charset=utf-8"
        self.send_response_only(resp.status)
        self.send_header("X-Powered-By", "Express")
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        if self.command in ("GET", "HEAD") and payload and not resp.html:
            self.send_header("ETag", _etag(payload))
        self.send_header("Date", formatdate(usegmt=True))
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        # Headers and body leave in one write, as Node does for small answers: two
        # small writes on a keep-alive connection meet the peer's delayed ACK
        # (Nagle) and cost ~40 ms per request.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD" and payload:
            self._headers_buffer.append(payload)
        self.flush_headers()
        self.wfile.flush()


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, app, ssl_context: ssl.SSLContext | None = None):
        self.app = app
        self.ssl_context = ssl_context
        super().__init__(addr, Handler)

    def process_request_thread(self, request, client_address):
        # TLS handshake in the per-connection thread, so one slow client cannot
        # stall accept() for everybody.
        if self.ssl_context is not None:
            try:
                request.settimeout(30)
                request = self.ssl_context.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError):
                self.shutdown_request(request)
                return
        super().process_request_thread(request, client_address)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def serve_in_thread(server: SimHTTPServer) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         name="zoneweaver-sim-http", daemon=True)
    t.start()
    return t


def internal_error_page(exc: BaseException) -> Response:
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    return express_status_page(500)
