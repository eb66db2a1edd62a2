"""/_sim/* control endpoints.  They never exist on a real agent, need no key,
and are not recorded in the request log."""
from __future__ import annotations

import copy

from . import commands
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

    # the fake illumos commands (commands/): the shims POST here
    def exec_command(req):
        try:
            return Response(200, commands.execute(sim, req.body))
        except ValueError as exc:
            return Response(400, {"error": str(exc)})

    def get_commands(req):
        return Response(200, sim.commands())

    def clear_commands(req):
        return Response(200, {"cleared": sim.command_log.clear()})

    def command_mutations(req):
        return Response(200, sim.command_mutations())

    def get_command_knobs(req):
        return Response(200, sim.command_knobs)

    def put_command_knobs(req):
        try:
            commands.update_command_knobs(sim.command_knobs, req.body if req.body is not None else {})
        except ValueError as exc:
            return Response(400, {"error": str(exc)})
        return Response(200, sim.command_knobs)

    r.add("POST", "/_sim/exec", exec_command)
    r.add("GET", "/_sim/commands", get_commands)
    r.add("DELETE", "/_sim/commands", clear_commands)
    r.add("GET", "/_sim/commands/mutations", command_mutations)
    r.add("GET", "/_sim/commands/knobs", get_command_knobs)
    r.add("PUT", "/_sim/commands/knobs", put_command_knobs)
    r.add("GET", "/_sim/log", get_log)
    r.add("DELETE", "/_sim/log", clear_log)
    r.add("GET", "/_sim/mutations", mutations)
    r.add("GET", "/_sim/knobs", get_knobs)
    r.add("PUT", "/_sim/knobs", put_knobs)
    r.add("POST", "/_sim/restart", restart)
    r.add("GET", "/_sim/state", dump)
    return r
