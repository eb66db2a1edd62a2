# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a zone's provisioning pipeline (POST {M}/provision) and watch its
task chain step by step (agent-api.md section 7).

Idempotence comes from the agent's own record: a zone whose
provision/status says "provisioned" is left alone unless force=true or its
provisioning section (option provisioner) changes. A failed step is named,
with its task id, its error and the last lines of its output; the steps after
it are reported as the agent left them (cancelled, "Dependency failed").
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import SUCCESS
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    InputError, NotFoundError, TaskError, TaskTimeoutError, ZoneweaverError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result


class ProvisioningStepError(ZoneweaverError):
    """A step of the pipeline failed, was cancelled, or did not finish in time."""


def normalize(params):
    name = values.check_zone_name(params["name"])
    provisioner = params.get("provisioner")
    if provisioner is not None and (not isinstance(provisioner, dict) or not provisioner):
        raise InputError("provisioner must be a non-empty dictionary (the zone's provisioning section)")
    return name, provisioner


def _step_row(step, task):
    row = {"step": step, "task_id": task.get("id"), "operation": task.get("operation"),
           "status": task.get("status"), "started_at": task.get("started_at"),
           "completed_at": task.get("completed_at")}
    if task.get("error_message"):
        row["error_message"] = task["error_message"]
    return row


class PipelineWatcher:
    """Waits for the chain's steps in order, within one deadline, recording each."""

    def __init__(self, prov, name, timeout):
        self.prov = prov
        self.name = name
        self.timeout = timeout
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
        msg = "provisioning of %s %s (task %s, %s): %s" % (
            self.name, what, task.get("id"), task.get("operation"),
            task.get("error_message") or task.get("status"))
        if output:
            msg += "\nstep output (last %d lines):\n%s" % (len(output), "\n".join(output))
        return ProvisioningStepError(msg, hint=hint, failed_step=step, task_id=task.get("id"),
                                     task_status=task.get("status"), task_output=output, steps=steps)


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zone_provision)."""
    name, provisioner = normalize(params)
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.provisioning import ProvisioningApi
    api = AgentApi.for_module(params, ctx)
    prov = ProvisioningApi(api)
    status = prov.status(name)
    if status is None:
        raise NotFoundError("zone %s does not exist on the agent at %s" % (name, api.client.url),
                            hint="create it first with zoneweaver.illumos.zone")
    if params.get("confirm_host_hooks") and not api.dialect.machines:
        ctx.warn("confirm_host_hooks is ignored: agent %s has no host hooks" % api.dialect.version)
    result = dict(new_result(), provisioning_status=status.get("provisioning_status"), steps=[],
                  parent_task_id=None)
    before = {"provisioning_status": status.get("provisioning_status")}
    after = {}
    set_provisioner = False
    if provisioner is not None:
        stored = prov.stored_provisioner(name)
        if stored != provisioner:
            set_provisioner = True
            result["actions"].append("set provisioner")
            before["provisioner"], after["provisioner"] = stored, provisioner
    provisioned = status.get("provisioning_status") == "provisioned"
    if params.get("force") or not provisioned or set_provisioner:
        result["actions"].append("provision")
        after["provisioning_status"] = "provisioned"
    if ctx.check_mode or not result["actions"]:
        return finish(ctx, result, before, after)

    if set_provisioner:
        prov.set_provisioner(name, provisioner)
    answer = prov.start(name, params.get("skip_boot"), params.get("skip_recipe"),
                        params.get("confirm_host_hooks") if api.dialect.machines else None)
    chain = answer.get("task_chain") or []
    result["parent_task_id"] = answer.get("parent_task_id")
    result["steps"] = [{"step": e.get("step"), "task_id": e.get("task_id"),
                        "status": "pending" if e.get("task_id") else "skipped"} for e in chain]
    if answer.get("network_setup"):
        result["network_setup"] = answer["network_setup"]
    if not params.get("wait", True):
        return finish(ctx, result, before, after)
    try:
        result["steps"] = PipelineWatcher(prov, name, params.get("wait_timeout") or 600).watch(chain)
    except ProvisioningStepError as exc:
        exc.details["parent_task_id"] = result["parent_task_id"]
        raise
    if answer.get("parent_task_id"):
        anchor = prov.task(answer["parent_task_id"])
        if anchor.get("status") not in SUCCESS and anchor.get("status") in ("failed", "completed_with_errors"):
            raise ProvisioningStepError("provisioning of %s ended %s: %s" % (
                name, anchor.get("status"), anchor.get("error_message")), steps=result["steps"],
                parent_task_id=answer["parent_task_id"])
    final = prov.status(name) or {}
    result["provisioning_status"] = final.get("provisioning_status")
    return finish(ctx, result, before, after)
