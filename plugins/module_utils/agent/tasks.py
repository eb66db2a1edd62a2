# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting on agent tasks (agent-api.md section 2).

A task keeps no result: callers re-read the object after waiting. The waiter
uses a monotonic deadline (never a count of loop iterations) and polls fast at
first, then backs off to at most every 0.2 s: a finished task is noticed within
about 250 ms however long it ran (bench/task_detection.py). The agent has no
long-poll for a task and GET /tasks/{id} reads one row, so ~5 cheap reads
a second per waiting task is the price. Failures name the task id,
operation, last status and the last lines of /tasks/{id}/output.
"""

from __future__ import annotations

import time

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import TaskError, TaskTimeoutError

TERMINAL = frozenset(("completed", "completed_with_errors", "failed", "cancelled"))
SUCCESS = frozenset(("completed",))
ALL_STATUSES = ("pending", "prepared", "running", "completed", "completed_with_errors", "failed", "cancelled")
OUTPUT_TAIL = 20


def _rows(answer):
    return [r for r in (answer.get("tasks") if isinstance(answer, dict) else answer) or ()
            if isinstance(r, dict) and r.get("id")]


def chain_of(client, parent_task_id):
    """An anchor's tasks in chain order (each depends on the previous one), read from
    GET /tasks?parent_task_id=; tasks off the single chain (should not happen) come last."""
    rows = _rows(client.get("/tasks", params={"parent_task_id": parent_task_id, "limit": 500,
                                              "sort": "created_at", "order": "ASC"}))
    rows.sort(key=lambda r: (str(r.get("created_at") or ""),))
    by_dep = {}
    for row in rows:
        by_dep.setdefault(row.get("depends_on"), []).append(row)
    ids = {r["id"] for r in rows}
    ordered, seen = [], set()
    current = next((r for r in rows if r.get("depends_on") not in ids), None)
    while current is not None and current["id"] not in seen:
        ordered.append(current)
        seen.add(current["id"])
        current = (by_dep.get(current["id"]) or [None])[0]
    return ordered + [r for r in rows if r["id"] not in seen]


def open_tasks(client, name_key, name):
    """The zone's tasks that have not ended, oldest first (from its 50 newest)."""
    rows = _rows(client.get("/tasks", params={name_key: name, "sort": "created_at", "order": "DESC", "limit": 50}))
    return [t for t in reversed(rows) if t.get("status") not in TERMINAL]


def chain_in_flight(client, name_key, name, operation):
    """(anchor id, its chain) of the newest `operation` anchor of zone `name` while a task of
    its chain has not ended; None otherwise.

    After a mutation whose answer was lost (AmbiguousMutationError), this tells whether the
    agent queued the chain, so the caller follows it instead of sending the call again. A chain
    that has ended answers None: the caller's re-read then sees what it did (or that it failed)."""
    anchors = _rows(client.get("/tasks", params={name_key: name, "operation": operation, "sort": "created_at",
                                                 "order": "DESC", "limit": 1}))
    if not anchors:
        return None
    chain = chain_of(client, anchors[0]["id"])
    if all(t.get("status") in TERMINAL for t in chain):
        return None
    return anchors[0]["id"], chain


def task_ids_of(answer):
    """Ordered task ids from any mutating answer shape.

    Answers carry task_id, or parent_task_id + sub_tasks (a dict in chain
    order, or task_chain [{step, task_id}]), restart_tasks {stop, start}, or
    delete_tasks [stop?, delete]. Returns [(step, id)].
    """
    if not isinstance(answer, dict):
        return []
    steps = []
    sub = answer.get("sub_tasks")
    if isinstance(sub, dict):
        steps.extend((step, tid) for step, tid in sub.items() if isinstance(tid, str) and tid)
    elif isinstance(sub, list):
        steps.extend((str(i), tid) for i, tid in enumerate(sub) if isinstance(tid, str))
    for entry in answer.get("task_chain") or ():
        if isinstance(entry, dict) and entry.get("task_id"):
            steps.append((entry.get("step", "step"), entry["task_id"]))
    restart = answer.get("restart_tasks")
    if isinstance(restart, dict):
        steps.extend((k.replace("_task_id", ""), v) for k, v in restart.items() if v)
    for index, tid in enumerate(answer.get("delete_tasks") or ()):
        if tid:
            steps.append(("delete" if index == len(answer["delete_tasks"]) - 1 else "stop", tid))
    if answer.get("task_id") and not steps:
        steps.append((answer.get("operation") or "task", answer["task_id"]))
    if answer.get("parent_task_id") and not steps:
        steps.append((answer.get("operation") or "parent", answer["parent_task_id"]))
    return steps


class TaskWaiter:
    """Polls GET /tasks/{id} until terminal or the deadline passes."""

    def __init__(self, client, first_delay=0.05, max_delay=0.2, factor=1.5, clock=time.monotonic,
                 sleep=time.sleep):
        self.client = client
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.factor = factor
        self.clock = clock
        self.sleep = sleep

    def get(self, task_id):
        return self.client.get("/tasks/%s" % self.client.segment(task_id))

    def output_tail(self, task_id, lines=OUTPUT_TAIL):
        """The last output lines of a task, as text; empty if unavailable."""
        try:
            answer = self.client.get("/tasks/%s/output" % self.client.segment(task_id))
        except Exception:  # output is a courtesy in an error path; never mask the real error
            return []
        entries = answer.get("output") if isinstance(answer, dict) else None
        text = []
        for entry in entries or ():
            data = entry.get("data") if isinstance(entry, dict) else str(entry)
            text.extend(str(data).rstrip("\n").splitlines())
        return text[-lines:]

    def wait(self, task_id, timeout, step=None):
        """Wait for one task; return its final row or raise TaskError/TaskTimeoutError."""
        return self._wait_until(task_id, self.clock() + float(timeout), timeout, step)

    def wait_all(self, steps, timeout):
        """Wait for a chain [(step, id)] in order, within one overall deadline.

        Dependents of a failed step end 'cancelled' with "Dependency failed";
        waiting in chain order reports the root failure, not the cascade.
        """
        deadline = self.clock() + float(timeout)
        done = []
        for step, task_id in steps:
            try:
                done.append(self._wait_until(task_id, deadline, timeout, step))
            except TaskError as exc:
                # what the chain applied before it stopped: the host has changed even though it failed
                exc.steps_done = [s for s, _tid in steps[:len(done)]]
                raise
        return done

    def _wait_until(self, task_id, deadline, timeout, step):
        delay = self.first_delay
        task = self.get(task_id)
        while task.get("status") not in TERMINAL:
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise self._error(TaskTimeoutError, task, step,
                                  "did not finish within wait_timeout=%ss" % timeout,
                                  hint="raise wait_timeout, or follow it with zoneweaver.illumos.task_info "
                                       "task_id=%s wait=true" % task_id)
            self.sleep(min(delay, remaining))
            delay = min(self.max_delay, delay * self.factor)
            task = self.get(task_id)
        if task.get("status") not in SUCCESS:
            raise self._error(TaskError, task, step, self._failure_text(task))
        return task

    @staticmethod
    def _failure_text(task):
        status = task.get("status")
        message = task.get("error_message") or ""
        if status == "completed_with_errors":
            return "completed with errors%s" % (": " + message if message else "")
        return "%s%s" % (status, ": " + message if message else "")

    def _error(self, cls, task, step, text, hint=None):
        task_id = task.get("id")
        operation = task.get("operation")
        output = self.output_tail(task_id) if task_id else []
        label = "task %s (%s%s)" % (task_id, operation or "?", ", step " + step if step and step != operation else "")
        msg = "%s %s" % (label, text)
        if output:
            msg += "; last output:\n" + "\n".join(output)
        return cls(msg, task_id=task_id, operation=operation, status=task.get("status"), output=output, hint=hint)
