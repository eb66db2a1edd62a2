# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape every resource run shares: a result with actions, an honest diff,
and reconciliation after a change whose fate is unknown."""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AgentError, AmbiguousMutationError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import resolve_backend

RECONCILE_ATTEMPTS = 3
# Statuses after which a mutation may or may not have been applied.
UNCERTAIN_STATUSES = frozenset((500, 502, 503, 504))


def new_result():
    return {"changed": False, "actions": []}


def finish(ctx, result, before, after):
    """Set changed from the planned actions, and the diff when asked for."""
    result["changed"] = bool(result["actions"])
    if ctx.diff and result["changed"]:
        result["diff"] = {"before": before, "after": after}
    return result


def reconcile(ctx, attempt):
    """Run attempt() (read, plan, apply); after an uncertain failure of a change,
    run it again: it re-reads the actual state, so nothing is applied twice and
    nothing is left half done. Never resends blindly, never in check mode."""
    last_error = None
    for _attempt in range(RECONCILE_ATTEMPTS):
        try:
            return attempt()
        except AmbiguousMutationError as exc:
            last_error = exc
        except AgentError as exc:
            if exc.status not in UNCERTAIN_STATUSES or ctx.check_mode:
                raise
            last_error = exc
    raise last_error


def preflight(backend, ctx, operation, *args):
    """Check mode: run the backend's read-only checks of a change it would make
    (its `check_<operation>`, if it has one: the native backend does; the agent
    checks on its own side), so check mode refuses what the real run would."""
    check = getattr(backend, "check_" + operation, None)
    if ctx.check_mode and check is not None:
        check(*args)


def select_backend(params, ctx, agent, native, need_key=True):
    """The backend of this run, from the `backend` option (options.resolve_backend).

    `agent` takes an AgentApi, `native` a CommandRunner on the host (both
    factories: a run builds only the one it uses, so a native run never
    needs api_url and an agent run never runs a command).
    """
    if resolve_backend(params) == "native":
        return native(ctx.native_runner())
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    return agent(AgentApi.for_module(params, ctx, need_key=need_key))
