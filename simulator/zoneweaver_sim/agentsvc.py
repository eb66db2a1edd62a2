"""The Zoneweaver Agent as an SMF service of the simulated host.

Installing the package system/virtualization/zoneweaver-agent (fake `pkg`,
ips.py) delivers the instance svc:/system/virtualization/zoneweaver-agent:default
(disabled) and a default /etc/zoneweaver-agent/config.yaml under the files
root. Then the fake svcadm drives it like any other instance (natdhcp.py's
SMF model, through the STARTERS/STOPPERS/RELOADERS/PRESENT tables):

- enable (and restart, clear) reads config.yaml and opens the agent's port on
  127.0.0.1: `server.https_port` with TLS when `ssl.enabled` (the generated
  certificate, or ssl.cert_path/key_path read under the files root), else
  `server.http_port`. The listener is another face of this same simulator (one
  host state: keys, zones and tasks are shared with the simulator's own port),
  served from its process, so it outlives the svcadm call that started it and
  stops with the simulator. While the agent has no API key, every start writes
  a fresh 64-hex setup token to setup.token beside the config (mode 0600).
- disable closes the port.
- refresh re-reads config.yaml (as the agent's refresh method does, :kill -HUP
  [mem: the agent restarts on HUP]): a changed port moves the listener, and
  GET /status (the `templates` feature) and GET /settings show the new values.
- A config file the agent cannot use (unreadable YAML, a bad port, a port in
  use, missing certificate files) puts the instance in maintenance with the
  reason in `svcs -x`.

Deviation: with TLS the real agent also answers 308 redirects on http_port
(ssl.force_secure); here only the HTTPS port listens.
"""
from __future__ import annotations

import copy
import os
import secrets
import ssl

from .server import Response, SimHTTPServer, serve_in_thread
from .util import now_iso

AGENT_FMRI = "svc:/system/virtualization/zoneweaver-agent:default"
CONFIG_PATH = "/etc/zoneweaver-agent/config.yaml"
TOKEN_PATH = "/etc/zoneweaver-agent/setup.token"
DATA_DIR = "/var/lib/zoneweaver-agent"
SSL_DIR = "/etc/zoneweaver-agent/ssl"
# What the package delivers (a subset of the agent's production-config.yaml).
DEFAULT_CONFIG = """\
server:
  http_port: 5000
  https_port: 5001
ssl:
  enabled: true
  generate_ssl: true
  key_path: /etc/zoneweaver-agent/ssl/server.key
  cert_path: /etc/zoneweaver-agent/ssl/server.crt
database:
  dialect: sqlite
  storage: /var/lib/zoneweaver-agent/database/database.sqlite
api_keys:
  bootstrap_enabled: true
  bootstrap_auto_disable: true
template_sources:
  enabled: false
  local_storage_path: rpool/templates
  sources: []
host_monitoring:
  enabled: true
  intervals:
    network_config: 10
    storage: 300
    system_metrics: 30
"""


class AgentConfigError(Exception):
    pass


# --------------------------------------------------------------------------- package hooks (ips.py)

def present(sim) -> bool:
    return bool(sim.state.agent.get("installed"))


def delivered(sim) -> None:
    from .natdhcp import host_path
    sim.state.agent = {"installed": True, "service": {"state": "disabled", "since": now_iso(), "enabled": False}}
    sim.state.dirty = True
    path = host_path(sim, CONFIG_PATH)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.makedirs(host_path(sim, DATA_DIR), exist_ok=True)
    if not os.path.exists(path):      # preserve=true: an operator's file survives a reinstall
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(DEFAULT_CONFIG)


def removed(sim) -> None:
    stop(sim)
    sim.state.agent = {}
    sim.state.dirty = True


# --------------------------------------------------------------------------- configuration

def _load_yaml(text: str):
    try:
        import yaml
    except ImportError:                 # the simulator's own venv has PyYAML (ansible needs it)
        import json
        return json.loads(text)
    return yaml.safe_load(text)


def read_config(sim) -> dict:
    from .natdhcp import host_path, read_host_file
    path = host_path(sim, CONFIG_PATH)
    text = read_host_file(path)
    if text is None:
        raise AgentConfigError(f"Configuration file {CONFIG_PATH} not found")
    try:
        config = _load_yaml(text)
    except Exception as exc:
        raise AgentConfigError(f"Failed to parse {CONFIG_PATH}: {exc}") from None
    if not isinstance(config, dict):
        raise AgentConfigError(f"{CONFIG_PATH} must hold a mapping of settings")
    return config


def _section(config: dict, name: str) -> dict:
    value = config.get(name)
    return value if isinstance(value, dict) else {}


def _port(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise AgentConfigError(f"server.{name} must be a TCP port (1-65535), not {value!r}")
    return value


def listen_plan(sim, config: dict) -> tuple[int, bool, tuple | None]:
    """(port, tls, (cert, key) or None for the generated certificate)."""
    from .natdhcp import host_path
    server, tls = _section(config, "server"), _section(config, "ssl")
    if tls.get("enabled", True):
        port = _port(server.get("https_port", 5001), "https_port")
        if tls.get("generate_ssl", True):
            return port, True, None
        cert, key = host_path(sim, str(tls.get("cert_path") or "")), host_path(sim, str(tls.get("key_path") or ""))
        for label, path in (("ssl.cert_path", cert), ("ssl.key_path", key)):
            if not os.path.isfile(path):
                raise AgentConfigError(f"{label}: no such file {path}")
        return port, True, (cert, key)
    return _port(server.get("http_port", 5000), "http_port"), False, None


def apply_settings(sim, config: dict) -> None:
    """What the agent takes from its configuration at start (visible in /status and /settings)."""
    sources = _section(config, "template_sources")
    enabled = [s for s in sources.get("sources") or [] if isinstance(s, dict) and s.get("enabled", True)]
    sim.template_sources = [dict(s) for s in enabled] if sources.get("enabled") else []
    sim.bootstrap_enabled = bool(_section(config, "api_keys").get("bootstrap_enabled", True))
    sim.agent_settings = copy.deepcopy(config)


def fresh_setup_token(sim) -> None:
    """A new claim token in setup.token beside the config (0600), while the agent has no key."""
    from .natdhcp import host_path
    if sim.state.keys:
        return
    path = host_path(sim, TOKEN_PATH)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    token = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    sim.setup_token, sim.setup_token_path = token, path


# --------------------------------------------------------------------------- the listener

def listener(sim):
    return getattr(sim, "agent_listener", None)


def stop(sim) -> None:
    server = listener(sim)
    if server is not None:
        sim.agent_listener = None
        server.shutdown()
        server.server_close()


def start(sim) -> str | None:
    """The SMF start method: (re)open the agent's port from config.yaml; the error that stops it, if any."""
    from .natdhcp import host_path
    stop(sim)
    try:
        config = read_config(sim)
        port, tls, files = listen_plan(sim, config)
        ctx = None
        if tls:
            from .tlsutil import ensure_certs, server_context
            if files is None:
                cert, key, _ca = ensure_certs(host_path(sim, SSL_DIR), sim.hostname)
            else:
                cert, key = files
            ctx = server_context(cert, key)
        server = SimHTTPServer(("127.0.0.1", port), sim, ssl_context=ctx)
    except AgentConfigError as exc:
        return f"zoneweaver-agent: {exc}"
    except ssl.SSLError as exc:
        return f"zoneweaver-agent: TLS certificate not usable: {exc}"
    except OSError as exc:
        return f"zoneweaver-agent: listen on 127.0.0.1 failed: {exc.strerror or exc}"
    apply_settings(sim, config)
    fresh_setup_token(sim)
    sim.agent_listener = server
    sim.agent_port, sim.agent_tls = port, tls
    serve_in_thread(server)
    return None


def resume(sim) -> None:
    """A simulator started on a host whose agent instance is online: start the agent again."""
    svc = sim.state.agent.get("service") if present(sim) else None
    if svc and svc.get("state") in ("online", "degraded") and listener(sim) is None:
        error = start(sim)
        if error:
            svc.update(state="maintenance", since=now_iso(), reason=error)
            sim.state.dirty = True


def agent_url(sim) -> str | None:
    if listener(sim) is None:
        return None
    return f"{'https' if sim.agent_tls else 'http'}://127.0.0.1:{sim.agent_port}"


def register_smf() -> None:
    from . import natdhcp
    natdhcp.SMF_INSTANCES[AGENT_FMRI] = "agent"
    natdhcp.STARTERS[AGENT_FMRI] = start
    natdhcp.STOPPERS[AGENT_FMRI] = stop
    natdhcp.RELOADERS[AGENT_FMRI] = start
    natdhcp.PRESENT[AGENT_FMRI] = present


# --------------------------------------------------------------------------- GET /settings

def register(router, sim) -> None:
    def settings(req):
        # the effective configuration: what the agent read at its last start, else the package default
        current = getattr(sim, "agent_settings", None)
        return Response(200, current if current is not None else _load_yaml(DEFAULT_CONFIG))

    router.add("GET", "/settings", settings)
