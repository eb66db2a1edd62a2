# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a zone's provisioning pipeline (POST {M}/provision), or one of its
ad-hoc parts (POST {M}/sync, POST {M}/run-provisioners), and watch the task
chain step by step (agent-api.md section 7).

action=provision is idempotent on the agent's own record: a zone whose
provision/status says "provisioned" is left alone unless force=true or its
provisioning section (option provisioner) changes. sync, syncback and
run_provisioners are actions: they run (and report changed) every time, unless
the agent creates no task for them (0.3.9 filters playbooks by their `run`
directive). A failed step is named, with its task id, its error and the last
lines of its output; the steps after it are reported as the agent left them
(cancelled, "Dependency failed").
"""

from __future__ import annotations

import json

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import SUCCESS, chain_in_flight
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AmbiguousMutationError, InputError, NotFoundError, TaskError, TaskTimeoutError, ZoneweaverError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    finish, new_result, report_partial_change)


ACTIONS = ("provision", "sync", "syncback", "run_provisioners")
# what the run is called in messages and in `actions`
WHAT = {"provision": "provisioning", "sync": "folder sync", "syncback": "folder syncback",
        "run_provisioners": "provisioner run"}
ACTION_NAMES = {"provision": "provision", "sync": "sync", "syncback": "syncback",
                "run_provisioners": "run provisioners"}
# the anchor task each call queues (agent-api.md section 7)
ANCHORS = {"provision": "zone_provision_orchestration", "sync": "zone_sync_parent",
           "syncback": "zone_syncback_parent", "run_provisioners": "zone_provision_parent"}


class ProvisioningStepError(ZoneweaverError):
    """A step of the pipeline failed, was cancelled, or did not finish in time."""


class HostHooksConfirmationError(ZoneweaverError):
    """The agent wants the one-time confirmation of host-target hooks (409 needs_confirmation)."""


def normalize(params):
    name = values.check_zone_name(params["name"])
    provisioner = params.get("provisioner")
    if provisioner is not None and (not isinstance(provisioner, dict) or not provisioner):
        raise InputError("provisioner must be a non-empty dictionary (the zone's provisioning section)")
    action = params.get("action") or "provision"
    if action not in ACTIONS:
        raise InputError("action must be one of %s, not %r" % (", ".join(ACTIONS), action))
    if action != "provision":
        given = [opt for opt in ("skip_boot", "skip_recipe", "force") if params.get(opt)]
        if given:
            raise InputError("%s only apply to action=provision (action=%s always runs and never boots the zone "
                             "or runs its recipe)" % (" and ".join(given), action))
    return name, provisioner, action


def _label(value, *keys):
    """A short name for a folder or playbook entry of the provisioning section."""
    if isinstance(value, dict):
        for key in keys:
            if value.get(key):
                return str(value[key])
        return None
    return str(value) if value else None


def _folders(section):
    folders = (section or {}).get("folders") or (section or {}).get("sync_folders") or []
    return folders if isinstance(folders, list) else []


def _playbooks(section):
    section = section or {}
    nested = ((section.get("provisioning") or {}).get("ansible") or {}).get("playbooks") or {}
    found = section.get("provisioners") or (nested.get("local") if isinstance(nested, dict) else None) or []
    return found if isinstance(found, list) else []


def planned_steps(action, section):
    """What an ad-hoc action would run, read from the provisioning section (check mode, wait=false)."""
    if action == "sync":
        return ["sync %s" % (_label(f, "map", "source") or "?") for f in _folders(section)]
    if action == "syncback":
        return ["syncback %s" % (_label(f, "to") or "?") for f in _folders(section)
                if isinstance(f, dict) and f.get("syncback") is True]
    if action == "run_provisioners":
        return ["provision %s" % (_label(p, "playbook", "path", "inline", "type") or "?") for p in _playbooks(section)]
    return []


def _step_name(task):
    """Step name of an ad-hoc child task: its operation's verb and the folder/playbook/hook it runs."""
    meta = task.get("metadata")
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError:
            meta = None
    meta = meta if isinstance(meta, dict) else {}
    operation = task.get("operation") or ""
    if operation == "zone_syncback":
        return "syncback %s" % (_label(meta.get("folder"), "to") or task.get("id"))
    if operation == "zone_sync":
        return "sync %s" % (_label(meta.get("folder"), "map", "source") or task.get("id"))
    if operation == "zone_hook":
        return "hook %s" % (_label(meta.get("hook"), "name", "inline", "path", "script") or task.get("id"))
    if operation.startswith("zone_provision"):
        return "provision %s" % (_label(meta.get("playbook"), "playbook", "path", "inline", "type") or task.get("id"))
    return operation or str(task.get("id"))


def _step_row(step, task):
    row = {"step": step, "task_id": task.get("id"), "operation": task.get("operation"),
           "status": task.get("status"), "started_at": task.get("started_at"),
           "completed_at": task.get("completed_at")}
    if task.get("error_message"):
        row["error_message"] = task["error_message"]
    return row


class PipelineWatcher:
    """Waits for the chain's steps in order, within one deadline, recording each."""

    def __init__(self, prov, name, timeout, what="provisioning"):
        self.prov = prov
        self.name = name
        self.timeout = timeout
        self.what = what
        self.waiter = prov.api.waiter

    def watch(self, chain):
        steps = []
        deadline = self.waiter.clock() + float(self.timeout)
        for index, entry in enumerate(chain):
            step = entry.get("step") or "step%d" % index
            if not entry.get("task_id"):
                steps.append({"step": step, "task_id": None, "status": "skipped"})
                continue
            try:
                task = self.waiter._wait_until(entry["task_id"], deadline, self.timeout, step)  # pylint: disable=protected-access
            except TaskError as exc:
                task = self.prov.task(entry["task_id"])
                steps.append(_step_row(step, task))
                steps.extend(self._rest(chain[index + 1:]))
                raise self._failure(step, task, exc, steps)
            steps.append(_step_row(step, task))
        return steps

    def _rest(self, entries):
        rows = []
        for entry in entries:
            if entry.get("task_id"):
                try:
                    rows.append(_step_row(entry.get("step"), self.prov.task(entry["task_id"])))
                except ZoneweaverError:
                    rows.append({"step": entry.get("step"), "task_id": entry["task_id"], "status": "unknown"})
            else:
                rows.append({"step": entry.get("step"), "task_id": None, "status": "skipped"})
        return rows

    def _failure(self, step, task, exc, steps):
        output = list(exc.output or ())
        if isinstance(exc, TaskTimeoutError):
            what = "did not finish step '%s' within wait_timeout=%ss" % (step, self.timeout)
            hint = exc.hint
        else:
            what = "failed at step '%s'" % step
            hint = "fix the cause shown in the step's output, then run the task again"
        msg = "%s of %s %s (task %s, %s): %s" % (
            self.what, self.name, what, task.get("id"), task.get("operation"),
            task.get("error_message") or task.get("status"))
        if output:
            msg += "\nstep output (last %d lines):\n%s" % (len(output), "\n".join(output))
        return ProvisioningStepError(msg, hint=hint, failed_step=step, task_id=task.get("id"),
                                     task_status=task.get("status"), task_output=output, steps=steps)


def _queued_anyway(api, name, action):
    """After a call whose answer was lost: the chain the agent queued for it, as an answer with a
    task_chain, or None (nothing runs: the call did not arrive, or its chain has ended)."""
    found = chain_in_flight(api.client, api.dialect.name_key, name, ANCHORS[action])
    if found is None:
        return None
    anchor, chain = found
    return {"parent_task_id": anchor, "task_chain": [{"step": _step_name(t), "task_id": t["id"]} for t in chain]}


def _set_provisioner(prov, name, provisioner):
    """Store the section; when the answer is lost, read it back instead of guessing."""
    try:
        prov.set_provisioner(name, provisioner)
    except AmbiguousMutationError:
        if prov.stored_provisioner(name) != provisioner:
            raise


def _start_pipeline(prov, api, name, params):
    confirm = params.get("confirm_host_hooks") if api.dialect.machines else None
    try:
        return prov.start(name, params.get("skip_boot"), params.get("skip_recipe"), confirm)
    except AmbiguousMutationError:
        answer = _queued_anyway(api, name, "provision")
        if answer is None:
            raise
        return answer
    except AgentError as exc:
        details = exc.details.get("agent_details") or {}
        if exc.status != 409 or not details.get("needs_confirmation"):
            raise
        hooks = [h.get("name") or h.get("label") or h.get("inline") for h in details.get("host_hooks") or ()
                 if isinstance(h, dict)]
        raise HostHooksConfirmationError(
            "the provisioning section of %s runs hooks on the host itself%s, which the agent runs only after a "
            "one-time confirmation: %s" % (name, " (%s)" % ", ".join(str(h) for h in hooks) if hooks else "",
                                           details.get("reason") or "confirmation needed"),
            hint="check the hooks, then run the task once with confirm_host_hooks=true; the agent records the "
                 "confirmation and does not ask again", status=409, host_hooks=details.get("host_hooks"))


def _start_adhoc(prov, api, name, action):
    """POST the ad-hoc call; (answer, chain entries [{step, task_id}])."""
    try:
        if action == "run_provisioners":
            answer = prov.run_provisioners(name)
        else:
            answer = prov.sync(name, syncback=action == "syncback")
    except AmbiguousMutationError:
        answer = _queued_anyway(api, name, action)
        if answer is None:
            raise
    if answer.get("task_chain"):
        return answer, answer["task_chain"]
    if not answer.get("parent_task_id"):
        return answer, []
    return answer, [{"step": _step_name(t), "task_id": t["id"]} for t in prov.children(answer["parent_task_id"])]


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zone_provision)."""
    name, provisioner, action = normalize(params)
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.provisioning import ProvisioningApi
    api = AgentApi.for_module(params, ctx)
    if action == "syncback" and not api.dialect.machines:
        raise InputError("action=syncback needs agent 0.3.9 or later; the agent at %s is %s"
                         % (api.client.url, api.dialect.version), hint="use action=sync on this agent")
    prov = ProvisioningApi(api)
    status = prov.status(name)
    if status is None:
        raise NotFoundError("zone %s does not exist on the agent at %s" % (name, api.client.url),
                            hint="create it first with zoneweaver.illumos.zone")
    if params.get("confirm_host_hooks") and not api.dialect.machines:
        ctx.warn("confirm_host_hooks is ignored: agent %s has no host hooks" % api.dialect.version)
    elif params.get("confirm_host_hooks") and action != "provision":
        ctx.warn("confirm_host_hooks is ignored with action=%s: the confirmation is given once, with "
                 "action=provision" % action)
    result = dict(new_result(), provisioning_status=status.get("provisioning_status"), steps=[],
                  parent_task_id=None)
    before = {"provisioning_status": status.get("provisioning_status")}
    after = {}
    set_provisioner = False
    stored = None
    if provisioner is not None or action != "provision":
        stored = prov.stored_provisioner(name)
    if provisioner is not None and stored != provisioner:
        set_provisioner = True
        result["actions"].append("set provisioner")
        before["provisioner"], after["provisioner"] = stored, provisioner
    if action == "provision":
        provisioned = status.get("provisioning_status") == "provisioned"
        if params.get("force") or not provisioned or set_provisioner:
            result["actions"].append("provision")
            after["provisioning_status"] = "provisioned"
    else:
        result["actions"].append(ACTION_NAMES[action])
        result["planned"] = planned_steps(action, provisioner if provisioner is not None else stored)
        after[action] = result["planned"]
    if ctx.check_mode or not result["actions"]:
        return finish(ctx, result, before, after)
    applied = []   # the stored section was replaced, or a chain was queued: a later failure reports changed
    with report_partial_change(lambda _exc: bool(applied)):
        return _apply(prov, api, name, params, action, provisioner if set_provisioner else None, applied,
                      (ctx, result, before, after))


def _apply(prov, api, name, params, action, provisioner, applied, outcome):
    """The mutating part of a run: store the section, queue the chain, follow it step by step."""
    ctx, result, before, after = outcome
    if provisioner is not None:
        _set_provisioner(prov, name, provisioner)
        applied.append("set provisioner")
    if action == "provision":
        answer = _start_pipeline(prov, api, name, params)
        chain = answer.get("task_chain") or []
    else:
        answer, chain = _start_adhoc(prov, api, name, action)
    if answer.get("parent_task_id") or chain:
        applied.append(action)
    result["parent_task_id"] = answer.get("parent_task_id")
    result["steps"] = [{"step": e.get("step"), "task_id": e.get("task_id"),
                        "status": "pending" if e.get("task_id") else "skipped"} for e in chain]
    if answer.get("network_setup"):
        result["network_setup"] = answer["network_setup"]
    if "playbooks_skipped" in answer:
        result["playbooks_skipped"] = answer["playbooks_skipped"]
    if action != "provision" and not answer.get("parent_task_id"):
        # the agent queued nothing (0.3.9: every playbook filtered out by its run directive)
        result["actions"] = [a for a in result["actions"] if a != ACTION_NAMES[action]]
        ctx.warn("%s of %s: the agent ran nothing: %s" % (WHAT[action], name, answer.get("message")))
        return finish(ctx, result, before, after)
    if not params.get("wait", True):
        return finish(ctx, result, before, after)
    try:
        result["steps"] = PipelineWatcher(prov, name, params.get("wait_timeout") or 600, WHAT[action]).watch(chain)
    except ProvisioningStepError as exc:
        exc.details["parent_task_id"] = result["parent_task_id"]
        raise
    if answer.get("parent_task_id"):
        anchor = prov.task(answer["parent_task_id"])
        if anchor.get("status") not in SUCCESS and anchor.get("status") in ("failed", "completed_with_errors"):
            raise ProvisioningStepError("%s of %s ended %s: %s" % (
                WHAT[action], name, anchor.get("status"), anchor.get("error_message")), steps=result["steps"],
                parent_task_id=answer["parent_task_id"])
    final = prov.status(name) or {}
    result["provisioning_status"] = final.get("provisioning_status")
    return finish(ctx, result, before, after)
