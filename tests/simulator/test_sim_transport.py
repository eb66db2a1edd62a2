"""Transport-level fidelity: /status per generation, Express HTML pages,
body parsing, HEAD, TLS, the CLI."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from sim_helpers import SIM_SRC, Api, Simulator, bootstrap

EXPRESS_404 = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n"
               "</head>\n<body>\n<pre>Cannot GET /nope</pre>\n</body>\n</html>\n")


def test_status_a_is_public_json(sim_a):
    for path in ("/status", "/api/status"):
        r = requests.get(sim_a.url + path, timeout=10)
        assert r.status_code == 200
        body = r.json()
        assert body["version"] == "0.3.9" and body["role"] == "agent" and body["agent"] == "zoneweaver-agent"
        for token in ("machines", "machine-create", "machine-modify", "machine-snapshots", "tasks", "zfs", "vnics"):
            assert token in body["features"]
        assert body["bootstrapAvailable"] is True
        assert body["hostname"] == "omnios-sim"
        assert body["console"] == ["vnc", "zlogin"]


def test_status_z_is_html_404(sim_z):
    for path in ("/status", "/api/status"):
        r = requests.get(sim_z.url + path, timeout=10)
        assert r.status_code == 404
        assert r.headers["Content-Type"].startswith("text/html")
        assert f"<pre>Cannot GET {path}</pre>" in r.text


def test_unknown_route_is_exact_express_page(sim):
    r = requests.get(sim.url + "/nope", headers={"X-API-Key": "whatever"}, timeout=10)
    assert r.status_code == 404
    assert r.text == EXPRESS_404
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = requests.patch(sim.url + "/tasks", timeout=10)   # known path, unknown method
    assert r.status_code == 404 and "<pre>Cannot PATCH /tasks</pre>" in r.text
    r = requests.get(sim.url + "/a%20b/<x>", timeout=10)
    assert "<pre>Cannot GET /a%20b/%3Cx%3E</pre>" in r.text


def test_malformed_json_is_html_400(api):
    r = api.post(f"/{api.noun}", data="{bad json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("text/html")
    assert "<pre>Bad Request</pre>" in r.text
    # strict mode: a bare string is not a JSON body either
    r = api.post("/api-keys/generate", data='"x"', headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_missing_body_on_destructuring_handlers_is_500(api):
    # requests.post without data sends no Content-Type: express.json() leaves req.body undefined
    r = api.s.post(api.url + "/api-keys/generate", headers={"Authorization": f"Bearer {api.key}"})
    assert r.status_code == 500
    assert r.json() == {"msg": "Failed to generate API key"}
    r = api.s.post(api.url + f"/{api.noun}", headers={"Authorization": f"Bearer {api.key}"})
    assert r.status_code == 500
    assert "req.body" in r.json()["details"]
    # an empty JSON body is {} -> ordinary validation
    r = api.post(f"/{api.noun}", json={})
    assert r.status_code == 400


def test_json_headers_and_head(api):
    r = api.get("/tasks")
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.headers["X-Powered-By"] == "Express"
    assert r.headers["ETag"].startswith('W/"')
    h = api.req("HEAD", "/tasks")
    assert h.status_code == 200 and h.content == b""


def test_tls_with_generated_ca():
    sim = Simulator(tls=True).start()
    try:
        assert sim.url.startswith("https://127.0.0.1:")
        assert sim.ca_path and os.path.exists(sim.ca_path)
        r = requests.get(sim.url + "/status", verify=sim.ca_path, timeout=10)
        assert r.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(sim.url + "/status", verify=True, timeout=10)
        api = Api(sim)
        api.key = bootstrap(api)
        assert api.get("/tasks").status_code == 200
    finally:
        sim.stop()


def test_setup_token_file(tmp_path):
    sim = Simulator(state_dir=str(tmp_path))
    path = tmp_path / "setup.token"
    assert path.read_text().strip() == sim.setup_token
    assert len(sim.setup_token) == 64 and int(sim.setup_token, 16) >= 0
    assert (path.stat().st_mode & 0o777) == 0o600


def test_cli_serve_and_sigterm(tmp_path):
    port_file = tmp_path / "port"
    env = dict(os.environ, PYTHONPATH=str(SIM_SRC))
    proc = subprocess.Popen([sys.executable, "-m", "zoneweaver_sim", "serve", "--port-file", str(port_file),
                             "--generation", "0.2", "--state-dir", str(tmp_path / "st"), "--admin-key",
                             "wh_cli-admin-key-123456"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)
    try:
        line = proc.stdout.readline().strip()
        port = int(port_file.read_text())
        assert line == f"zoneweaver-sim: agent 0.2 listening on http://127.0.0.1:{port}"
        r = requests.get(f"http://127.0.0.1:{port}/zones", headers={"X-API-Key": "wh_cli-admin-key-123456"}, timeout=10)
        assert r.status_code == 200 and r.json() == {"zones": [], "total": 0}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
