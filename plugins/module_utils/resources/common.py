# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape every resource run shares: a result with actions, an honest diff,
and reconciliation after a change whose fate is unknown."""

from __future__ import annotations

import contextlib

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AmbiguousMutationError, TaskError, TaskTimeoutError, ZoneweaverError)
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


def left_changes(exc):
    """Whether a failed task left the host changed: a task that outran wait_timeout is still
    running (or queued) and will apply, and a chain that failed at a later step has applied
    the steps before it (a zone creation's storage and configuration, say)."""
    return isinstance(exc, TaskTimeoutError) or (isinstance(exc, TaskError) and bool(exc.steps_done))


def backend_applied(backend, exc):
    """Whether this run's backend had changed the host before `exc`: a native backend's runner
    keeps the mutating commands that succeeded; an agent backend keeps the task ids of the
    mutations the agent accepted (`tasks`, in order), of which those before the failing task
    had completed (tasks are waited for in order)."""
    if getattr(getattr(backend, "runner", None), "applied", None):
        return True
    ids = [t.get("task_id") for t in getattr(backend, "tasks", None) or ()]
    failing = getattr(exc, "task_id", None)
    if failing in ids:
        return ids.index(failing) > 0
    return bool(ids)


@contextlib.contextmanager
def report_partial_change(applied):
    """A run of several mutating steps that fails part way still reports changed=true when
    `applied(exc)` says an earlier step was applied, or the failing task left changes
    (left_changes): the task fails all the same, but the user sees that the host is no longer
    as it was."""
    try:
        yield
    except ZoneweaverError as exc:
        if left_changes(exc) or applied(exc):
            exc.changed = True
        raise


def reconcile(ctx, attempt, settle=None):
    """Run attempt() (read, plan, apply); after an uncertain failure of a change,
    run it again: it re-reads the actual state, so nothing is applied twice and
    nothing is left half done. Never resends blindly, never in check mode.

    settle(), when given, runs before each new attempt: it waits for the work the
    agent may have queued for the lost change, so the re-read sees its outcome.
    A new attempt that succeeds reports changed: the earlier one sent a change,
    and the host is now as wanted."""
    last_error = None
    for _attempt in range(RECONCILE_ATTEMPTS):
        if last_error is not None and settle is not None:
            settle()
        try:
            result = attempt()
        except AmbiguousMutationError as exc:
            last_error = exc
        except AgentError as exc:
            if exc.status not in UNCERTAIN_STATUSES or ctx.check_mode:
                raise
            last_error = exc
        else:
            if last_error is not None and isinstance(result, dict):
                result["changed"] = True
            return result
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
