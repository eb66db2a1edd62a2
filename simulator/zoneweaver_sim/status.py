"""GET /status (public, 0.3.x only) and GET /version (authenticated)."""
from __future__ import annotations

import time

from .auth import bootstrap_available
from .server import Response
from .util import now_iso


def register(router, sim):
    d = sim.dialect

    def status(req):
        return Response(200, {
            "role": "agent", "agent": d.package, "hypervisors": ["bhyve"], "platform": "omnios",
            "arch": "x86_64", "version": d.version, "hostname": sim.hostname, "auth": ["apikey"],
            "bootstrapAvailable": bootstrap_available(sim), "console": list(d.console),
            "features": features(), "uptime": int(time.monotonic() - sim.started_at)})

    def features():
        # Config-gated: the agent announces `templates` only with template_sources.enabled.
        gated = ["templates"] if sim.template_sources else []
        if d.is_a:   # the simulator serves the artifact store and guest-agent exec (their config gates are on)
            gated += ["artifacts", "guest-agent"]
        return list(d.features) + gated

    def version(req):
        return Response(200, {
            "success": True, "message": "Version information retrieved successfully", "timestamp": now_iso(),
            "version": d.version, "name": d.package, "node_version": "v20.19.5", "platform": "sunos",
            "arch": "x64", "uptime_seconds": int(time.monotonic() - sim.started_at)})

    if d.public_status:
        # the 0.2.3 release has no /status at all: clients see Express's HTML 404
        router.add("GET", "/status", status, public=True)
        router.add("GET", "/api/status", status, public=True)
    router.add("GET", "/version", version)
