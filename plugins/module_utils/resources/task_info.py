# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read agent tasks: one by id (optionally waiting for it and reading its
output), or the filtered list (agent-api.md section 2).

Task rows differ by version: the machine is `machine_name` (0.3.7-0.3.9) or
`zone_name` (0.2, and A HEAD's list/detail); `metadata` is a JSON string or an
object. Every task returned here has `machine` and, where it parses, an object
`metadata`, whichever the agent sent.
"""

from __future__ import annotations

import json
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import (
    ALL_STATUSES, TaskWaiter)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    InputError, NotFoundError, TaskError, TaskTimeoutError)

TASK_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
OPERATION_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_LIMIT = 10000
LIST_FILTERS = ("status", "operation", "machine")


def normalize_query(params):
    """Validate the options; raises InputError before any request."""
    query = {"task_id": params.get("task_id"), "output": bool(params.get("output")),
             "wait": bool(params.get("wait")), "fail_on_error": params.get("fail_on_error", True) is not False,
             "wait_timeout": params.get("wait_timeout") or 600}
    if query["task_id"] is not None:
        values.check_pattern(query["task_id"], TASK_ID_RE, "task_id",
                             "a task id such as 6f1c2d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f, as returned by a module")
        given = [key for key in LIST_FILTERS if params.get(key) is not None]
        if given:
            raise InputError("task_id selects one task; %s filter%s the list of tasks: use one or the other"
                             % (", ".join(given), "s" if len(given) == 1 else ""))
    elif query["output"]:
        raise InputError("output needs task_id: the output is read for one task")
    else:
        # wait is a shared option that module_defaults may set for the whole group:
        # without task_id there is nothing to wait for, so it is ignored.
        query["wait"] = False
    if query["wait"]:
        query["wait_timeout"] = values.to_int(query["wait_timeout"], "wait_timeout", 1)
    status = params.get("status")
    if status is not None and status not in ALL_STATUSES:
        raise InputError("status must be one of %s, got %r" % (", ".join(ALL_STATUSES), status))
    operation = params.get("operation")
    if operation is not None:
        values.check_pattern(operation, OPERATION_RE, "operation",
                             "an operation name such as start, zone_modify or create_vnic")
    machine = params.get("machine")
    if machine is not None:  # a zone name, or a pseudo-scope such as "system"
        values.check_zone_name(machine)
    limit = params.get("limit")
    query.update(status=status, operation=operation, machine=machine,
                 limit=values.to_int(50 if limit is None else limit, "limit", 1, MAX_LIMIT))
    return query


def normalize_task(task):
    """`machine` from machine_name || zone_name; `metadata` as an object where it parses."""
    task = dict(task)
    task["machine"] = task.get("machine_name") or task.get("zone_name")
    metadata = task.get("metadata")
    if isinstance(metadata, str) and metadata.strip()[:1] in ("{", "["):
        try:
            task["metadata"] = json.loads(metadata)
        except ValueError:
            pass  # not JSON after all: keep the agent's text
    return task


def output_lines(answer):
    """[{stream, data, timestamp}] from GET /tasks/{id}/output."""
    entries = answer.get("output") if isinstance(answer, dict) else None
    lines = []
    for entry in entries or ():
        if isinstance(entry, dict):
            lines.append({"stream": entry.get("stream"), "data": entry.get("data"),
                          "timestamp": entry.get("timestamp")})
        else:
            lines.append({"stream": None, "data": str(entry), "timestamp": None})
    return lines


def output_text(lines):
    text = []
    for line in lines:
        text.extend(str(line.get("data") if line.get("data") is not None else "").rstrip("\n").splitlines())
    return "\n".join(text)


class TaskInfo:
    def __init__(self, api, ctx):
        self.api = api
        self.client = api.client
        self.ctx = ctx
        self.waiter = TaskWaiter(api.client)

    def one(self, query):
        task_id = query["task_id"]
        try:
            task = self._wait(query) if query["wait"] else self.waiter.get(task_id)
        except NotFoundError:
            raise NotFoundError("no task %s on this agent" % task_id, status=404,
                                hint="task ids come from a module's result or failure (task_id); "
                                     "the agent may have purged finished tasks")
        task = normalize_task(task)
        task.pop("output", None)  # the row's copy is null (0.3.9) or raw text (0.2); see below
        if query["output"]:
            answer = self.client.get("/tasks/%s/output" % self.client.segment(task_id))
            task["output"] = output_lines(answer)
            task["output_text"] = output_text(task["output"])
        return task

    def _wait(self, query):
        try:
            return self.waiter.wait(query["task_id"], query["wait_timeout"])
        except TaskTimeoutError:
            raise  # never finished: always an error, whatever fail_on_error says
        except TaskError as exc:
            if query["fail_on_error"]:
                raise
            # The waiter read the task's final row (and its output) to say why it failed.
            self.ctx.warn("task %s ended %s" % (query["task_id"], exc.status))
            return self.waiter.get(query["task_id"])

    def list(self, query):
        dialect = self.api.dialect
        params = {"limit": query["limit"], "status": query["status"], "operation": query["operation"]}
        if query["machine"] is not None:
            params[dialect.name_key] = query["machine"]
        answer = self.client.get("/tasks", params=params)
        rows = answer.get("tasks") if isinstance(answer, dict) else answer
        tasks = [normalize_task(row) for row in rows or () if isinstance(row, dict)]
        # The agent filters itself; filtering again keeps the answer right if it ignores a parameter.
        tasks = [task for task in tasks
                 if (query["status"] is None or task.get("status") == query["status"])
                 and (query["operation"] is None or task.get("operation") == query["operation"])
                 and (query["machine"] is None or task.get("machine") == query["machine"])]
        for task in tasks:
            task.pop("output", None)
        running = answer.get("running_count") if isinstance(answer, dict) else None
        return tasks[:query["limit"]], running


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.task_info)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    query = normalize_query(params)
    api = AgentApi.for_module(params, ctx)
    info = TaskInfo(api, ctx)
    if query["task_id"] is not None:
        task = info.one(query)
        return {"changed": False, "task": task}
    tasks, running = info.list(query)
    return {"changed": False, "tasks": tasks, "running_count": running}
