"""AgentClient against a scripted HTTP server on 127.0.0.1: bodies, retries, errors."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.client import AgentClient
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AmbiguousMutationError, AuthError, InputError, TransportError)


class Script:
    """Answers in order: an int status, 'drop' to close the socket, or (status, body)."""

    def __init__(self):
        self.answers = []
        self.seen = []


@pytest.fixture()
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append({"method": self.command, "path": self.path, "body": body,
                                "headers": dict(self.headers)})
            answer = script.answers.pop(0) if script.answers else (200, {"ok": True})
            if answer == "drop":
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            status, payload = answer if isinstance(answer, tuple) else (answer, {"error": "boom %s" % (answer,)})
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    script.url = "http://127.0.0.1:%d" % httpd.server_address[1]
    yield script
    httpd.shutdown()
    httpd.server_close()


def client(url, **kw):
    kw.setdefault("backoff", 0.001)
    return AgentClient(url, api_key="hw_0123456789abcdef.secret", **kw)


def test_post_without_body_sends_compact_empty_object(server):
    client(server.url).post("/machines/x/start")
    seen = server.seen[0]
    assert seen["body"] == b"{}"
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["headers"]["Authorization"] == "Bearer hw_0123456789abcdef.secret"


def test_body_is_compact_json(server):
    client(server.url).put("/machines/x", body={"ram": "2G", "tags": ["a", "b"]})
    assert server.seen[0]["body"] == b'{"ram":"2G","tags":["a","b"]}'


def test_get_is_retried_on_5xx_and_drops(server):
    server.answers = [503, "drop", (200, {"machines": []})]
    assert client(server.url).get("/machines") == {"machines": []}
    assert len(server.seen) == 3


def test_get_gives_up_after_retries(server):
    server.answers = [503] * 10
    with pytest.raises(AgentError) as err:
        client(server.url, retries=2).get("/machines")
    assert err.value.status == 503
    assert len(server.seen) == 3


def test_mutation_is_never_resent_after_5xx(server):
    server.answers = [500]
    with pytest.raises(AgentError):
        client(server.url).post("/machines", body={"settings": {}})
    assert len(server.seen) == 1


def test_mutation_dropped_after_sending_is_ambiguous_not_retried(server):
    server.answers = ["drop"]
    with pytest.raises(AmbiguousMutationError) as err:
        client(server.url).post("/network/vnics", body={"name": "vnic0"})
    assert "may or may not have been applied" in str(err.value)
    assert len(server.seen) == 1


def test_connect_refused_is_transport_error_and_retried():
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    c = client("http://127.0.0.1:%d" % port, retries=2)
    with pytest.raises(TransportError) as err:
        c.post("/machines", body={})
    assert not isinstance(err.value, AmbiguousMutationError)
    assert c.requests_made == 3  # a connect failure never reached the agent: safe to resend
    assert "cannot reach the agent" in str(err.value)


def test_auth_errors_never_echo_the_key(server):
    server.answers = [(403, {"msg": "Invalid API key"})]
    with pytest.raises(AuthError) as err:
        client(server.url).get("/machines")
    assert "secret" not in str(err.value) and "hw_0123" not in str(err.value)


def test_redirect_to_https_explained(server):
    server.answers = [(308, {})]
    with pytest.raises(TransportError) as err:
        client(server.url).get("/machines")
    assert "https" in str(err.value)


@pytest.mark.parametrize("url", ["", None, "ftp://x", "omnios1:5001"])
def test_bad_url_refused_before_any_request(url):
    with pytest.raises(InputError):
        AgentClient(url)


def test_segment_encodes_slashes():
    assert AgentClient.segment("rpool/zones/a b") == "rpool%2Fzones%2Fa%20b"
