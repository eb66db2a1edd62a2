"""The Simulator: one simulated host behind the agent REST API of one
generation, served on 127.0.0.1 from background threads."""
from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
import time

from . import admin, agentsvc, auth, machine_snapshots, machines, natdhcp, network, status, storage, tasks
from .dialect import get_dialect
from .knobs import TIMING_DEFAULTS, Knobs
from .log import RequestLog
from .face import HttpFace
from .server import (BadJSON, HTTPError, Request, Response, Router, express_not_found, express_status_page,
                     internal_error_page, parse_body)
from .state import HostState, load_or_create_setup_token
from .tasks import TaskEngine
from .commands import CommandLog, default_command_knobs, write_shims


class Simulator(HttpFace):
    def __init__(self, generation: str = "0.3.9", state_dir: str | None = None, tls: bool = False,
                 timing: str = "fast", admin_key: str | None = None, prefix_zone_names: bool = True,
                 hostname: str = "omnios-sim", port: int = 0, template_sources: list | None = None,
                 hardware: dict | None = None):
        self.dialect = get_dialect(generation)
        self.generation = self.dialect.generation
        if timing not in TIMING_DEFAULTS:
            raise ValueError(f"timing must be one of {sorted(TIMING_DEFAULTS)}")
        self.timing = timing
        self.poll_interval = TIMING_DEFAULTS[timing]["poll_interval"]
        self._init_face(port, tls)
        self.prefix_zone_names = bool(prefix_zone_names)
        self.hostname = self.tls_name = hostname
        self._own_dir = state_dir is None
        self.state_dir = tempfile.mkdtemp(prefix="zoneweaver-sim-") if state_dir is None else state_dir
        os.makedirs(self.state_dir, exist_ok=True)
        self.setup_token_path = os.path.join(self.state_dir, "setup.token")
        self.setup_token = load_or_create_setup_token(self.state_dir)
        self.knobs = Knobs(timing)
        self.request_log = RequestLog()
        self.command_log = CommandLog()                 # the fake illumos commands (commands/)
        self.command_knobs = default_command_knobs()
        self.state = HostState(self.state_dir, self.generation, hostname)
        self.state.load()
        # creation order of tasks (ties on created_at are common at ms resolution)
        self._seq = itertools.count(max((t.get("_seq", 0) for t in self.state.tasks.values()), default=0) + 1)
        self.engine = TaskEngine(self)
        if self.state.loaded:
            # a new agent process on an existing host: startup recovery
            self.engine.recover_after_restart()
        if admin_key is not None:
            auth.seed_admin_key(self, admin_key)
        self.router = Router()
        status.register(self.router, self)
        auth.register(self.router, self)
        tasks.register(self.router, self)
        machines.register(self.router, self)
        machine_snapshots.register(self.router, self)
        network.register(self.router, self)
        natdhcp.register(self.router, self)
        storage.register(self.router, self)
        # templates (agent-api.md section 6): sources [{name, url, enabled, default, auth_token}], read per request
        from . import templates
        self.template_sources = [dict(s) for s in template_sources or ()]
        templates.register(self.router, self)
        # provisioning pipeline, recipes, profiles (0.2), artifacts, guest exec (0.3.9): agent-api.md section 7
        from . import artifacts, guest_exec, provisioning
        provisioning.register(self.router, self)
        artifacts.register(self.router, self)
        guest_exec.register(self.router, self)
        agentsvc.register(self.router, self)       # GET /settings; the agent's own port comes with its SMF service
        self.admin_router = admin.register(self)
        # host monitoring (memory, CPU, pools) from the hardware model: {memory, cpus, pools: {name: size}}
        from . import monitoring
        monitoring.register(self.router, self)
        monitoring.register_admin(self.admin_router, self)
        if hardware:
            monitoring.set_hardware(self, **hardware)
        self.started_at = time.monotonic()
        self.state.save(force=True)

    # ------------------------------------------------------------------ lifecycle
    # start/stop/url: face.HttpFace; the certificate lives with the host's state
    def _tls_dir(self) -> str:
        return os.path.join(self.state_dir, "tls")

    def _started(self) -> None:
        self.started_at = time.monotonic()
        self.engine.start()
        agentsvc.resume(self)

    def _stopping(self) -> None:
        self.engine.stop()
        agentsvc.stop(self)

    def _stopped(self) -> None:
        try:
            self.state.save()
        except OSError:
            pass
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def restart(self) -> None:
        """An agent restart: running tasks fail, queued ones are cancelled,
        the host and the DB stay as they are."""
        self.engine.stop()
        with self.state.lock:
            self.engine.recover_after_restart()
            self.engine.update_anchors()
            self.state.dirty = True
        self.state.save()
        self.started_at = time.monotonic()
        self.engine.start()

    def set_hardware(self, memory=None, cpus=None, pools=None) -> dict:
        """Change the simulated host's total memory, CPU count or pool sizes ({name: size}); see monitoring.py."""
        from . import monitoring
        return monitoring.set_hardware(self, memory=memory, cpus=cpus, pools=pools)

    def next_seq(self) -> int:
        return next(self._seq)

    # ------------------------------------------------------------------ introspection
    @property
    def log(self) -> list[dict]:
        return self.request_log.entries()

    def mutations(self) -> list[dict]:
        return self.request_log.mutations()

    def clear_log(self) -> None:
        self.request_log.clear()

    # ------------------------------------------------------------------ the command face (commands/)
    def commands(self) -> list[dict]:
        """Every command run through the shims: {tool, argv, rc, mutating}."""
        return self.command_log.entries()

    def command_mutations(self) -> list[dict]:
        """Only the invocations of commands that change the host (check-mode proofs)."""
        return self.command_log.mutations()

    def clear_commands(self) -> None:
        self.command_log.clear()

    def write_shims(self, directory: str, python: str | None = None) -> list[str]:
        """Write the fake illumos commands for this (started) simulator into `directory`."""
        return write_shims(directory, self.url, python=python, cafile=self.ca_path)

    # ------------------------------------------------------------------ HTTP pipeline
    def handle(self, h) -> None:
        """One request: /_sim/* bypasses everything; agent requests are
        logged, then delayed/dropped/failed by the knobs, then served."""
        try:
            body_bytes, has_body = h.read_body()
        except (OSError, ValueError):
            h.close_connection = True
            return
        req = Request(h.command, h.path, h.headers, body_bytes)
        if req.path == "/_sim" or req.path.startswith("/_sim/"):
            h.write(self._admin(req, has_body))
            return
        entry = self.request_log.add(req.method, req.path, req.query, _log_body(req, has_body), req.auth_kind)
        knobs = self.knobs
        delay = knobs.sample_latency()
        if delay > 0:
            time.sleep(delay)
        if knobs.roll(knobs.drop_rate):
            entry["status"] = 0      # never answered, never applied
            h.drop()
            return
        if knobs.roll(knobs.error_rate):
            code = knobs.injected_status()
            entry["status"] = code
            h.write(Response(code, _INJECTED[code]))
            return
        resp = self.dispatch(req, has_body)
        entry["status"] = resp.status
        if knobs.take_lost_reply(req.method, req.path) or knobs.roll(knobs.lost_reply_rate):
            entry["reply_lost"] = True   # applied, but the client never hears the answer
            h.drop()
            return
        h.write(resp)

    def dispatch(self, req: Request, has_body: bool) -> Response:
        try:
            parse_body(req, has_body)
        except BadJSON:
            return express_status_page(400)
        route, params = self.router.match(req.method, req.raw_path)
        if route is None:
            if req.method == "OPTIONS":
                allowed = sorted({r.method for r in self.router.routes if r.regex.match(req.raw_path)})
                if allowed:
                    if "GET" in allowed:
                        allowed.append("HEAD")
                    allow = ", ".join(allowed)
                    return Response(200, allow, html=True, headers={"Allow": allow})
            return express_not_found(req.method, req.raw_path)
        req.params = params
        with self.state.lock:
            try:
                if not route.public:
                    principal = auth.authenticate(self, req)
                    auth.authorize(self, req, principal)
                    req.principal = principal
                if route.needs_body and req.body is None:
                    # Express 5 leaves req.body undefined; the handler's destructuring throws
                    resp = Response(500, route.body_fail)
                else:
                    resp = route.handler(req)
            except HTTPError as exc:
                resp = exc.response
            except Exception as exc:   # a simulator bug: answer like Express would
                resp = internal_error_page(exc)
        try:
            self.state.save()
        except OSError:
            pass
        return resp

    def _admin(self, req: Request, has_body: bool) -> Response:
        try:
            parse_body(req, has_body)
        except BadJSON:
            return Response(400, {"error": "malformed JSON"})
        route, params = self.admin_router.match(req.method, req.path)
        if route is None:
            return Response(404, {"error": f"no simulator endpoint {req.method} {req.path}"})
        req.params = params
        try:
            return route.handler(req)
        except Exception as exc:
            return internal_error_page(exc)


_INJECTED = {
    500: {"error": "Internal server error", "details": "injected by zoneweaver-sim (error_rate knob)"},
    502: {"error": "Bad Gateway", "details": "injected by zoneweaver-sim (error_rate knob)"},
    503: {"error": "Service Unavailable", "details": "injected by zoneweaver-sim (error_rate knob)"},
}


def _log_body(req: Request, has_body: bool):
    if not has_body:
        return None
    ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    raw = req.body_bytes
    if ctype == "application/json":
        if not raw:
            return {}
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return f"<invalid JSON: {len(raw)} bytes>"
    if ctype == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qs
        return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    return f"<{len(raw)} bytes {ctype or 'no content-type'}>" if raw else None
