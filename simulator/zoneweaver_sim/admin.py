"""/_sim/* control endpoints.  They never exist on a real agent, need no key,
and are not recorded in the request log."""
from __future__ import annotations

import copy

from .log import redact
from .server import Response, Router


def register(sim) -> Router:
    r = Router()

    def get_log(req):
        return Response(200, sim.request_log.entries())

    def clear_log(req):
        return Response(200, {"cleared": sim.request_log.clear()})

    def mutations(req):
        return Response(200, sim.mutations())

    def get_knobs(req):
        return Response(200, sim.knobs.to_dict())

    def put_knobs(req):
        try:
            sim.knobs.update(req.body if req.body is not None else {})
        except (ValueError, TypeError) as exc:
            return Response(400, {"error": str(exc)})
        return Response(200, sim.knobs.to_dict())

    def restart(req):
        sim.restart()
        return Response(200, {"success": True, "message": "Agent restarted"})

    def dump(req):
        with sim.state.lock:
            data = copy.deepcopy(sim.state.to_dict())
        for k in data["keys"]:
            k.pop("api_key_hash", None)
        for t in data["tasks"]:
            t.pop("_ctx", None)
        data["generation"] = sim.generation
        return Response(200, redact(data))

    r.add("GET", "/_sim/log", get_log)
    r.add("DELETE", "/_sim/log", clear_log)
    r.add("GET", "/_sim/mutations", mutations)
    r.add("GET", "/_sim/knobs", get_knobs)
    r.add("PUT", "/_sim/knobs", put_knobs)
    r.add("POST", "/_sim/restart", restart)
    r.add("GET", "/_sim/state", dump)
    return r
