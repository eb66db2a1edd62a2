# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provisioning through the agent (agent-api.md section 7): the pipeline of a
zone, guest-agent exec, and the named collections (recipes, profiles).

Wire shapes the reference leaves open are read tolerantly: a single recipe or
profile may come bare or wrapped ({recipe}/{profile}); guest exec answers
decoded stdout/stderr, or base64 out-data/err-data as the QEMU guest agent
itself does.
"""

from __future__ import annotations

import base64
import time

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import chain_of
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, EndpointMissingError, NotFoundError, ZoneweaverError)


class GuestExecUnavailable(ZoneweaverError):
    """The agent generation (or its configuration) offers no guest-agent exec."""


class GuestExecTimeout(ZoneweaverError):
    """The guest command was still running when exec_timeout passed."""


# --------------------------------------------------------------------------- pipeline
class ProvisioningApi:
    def __init__(self, api):
        self.api = api
        self.client = api.client

    @property
    def dialect(self):
        return self.api.dialect

    def status(self, name):
        """GET {M}/provision/status, or None when the zone does not exist."""
        try:
            return self.client.get(self.dialect.machine_path(name, "provision", "status"))
        except NotFoundError:
            return None

    def stored_provisioner(self, name):
        """The zone's stored provisioning section (configuration.provisioner), or None."""
        detail = self.client.get(self.dialect.machine_path(name))
        config = detail.get("configuration") or {}
        info = detail.get(self.dialect.info_key) or {}
        return config.get("provisioner") or (info.get("configuration") or {}).get("provisioner")

    def set_provisioner(self, name, provisioner):
        return self.client.put(self.dialect.machine_path(name), body={"provisioner": provisioner})

    def start(self, name, skip_boot=False, skip_recipe=False, confirm_host_hooks=None):
        body = {"skip_boot": bool(skip_boot), "skip_recipe": bool(skip_recipe)}
        if confirm_host_hooks is not None and self.dialect.machines:  # 0.3.x only
            body["confirm_host_hooks"] = bool(confirm_host_hooks)
        return self.client.post(self.dialect.machine_path(name, "provision"), body=body)

    def sync(self, name, syncback=False):
        """POST {M}/sync: one task per folder under a zone_sync_parent (syncback: 0.3.9 pulls back)."""
        return self.client.post(self.dialect.machine_path(name, "sync"),
                                body={"syncback": True} if syncback else {})

    def run_provisioners(self, name):
        """POST {M}/run-provisioners: one task per playbook (and hook) under a zone_provision_parent."""
        return self.client.post(self.dialect.machine_path(name, "run-provisioners"), body={})

    def children(self, parent_task_id):
        """The anchor's tasks in chain order; the ad-hoc calls answer no task_chain."""
        return chain_of(self.client, parent_task_id)

    def task(self, task_id):
        return self.api.waiter.get(task_id)


# --------------------------------------------------------------------------- guest exec
def _text(answer, plain, encoded):
    if isinstance(answer.get(plain), str):
        return answer[plain]
    if isinstance(answer.get(encoded), str):
        return base64.b64decode(answer[encoded]).decode("utf-8", "replace")
    return ""


def exec_outcome(answer):
    """(exited, rc, stdout, stderr, pid) from an exec answer of either shape."""
    exited = bool(answer.get("exited"))
    rc = answer.get("exitcode", answer.get("exit_code"))
    return (exited, rc, _text(answer, "stdout", "out-data"), _text(answer, "stderr", "err-data"),
            answer.get("pid"))


class GuestExec:
    """POST {M}/guest/exec, then GET {M}/guest/exec/{pid} until the command ends."""

    AGENT_MAX_WAIT = 600  # the agent's cap on timeout_seconds

    def __init__(self, api, clock=time.monotonic, sleep=time.sleep):
        self.api = api
        self.client = api.client
        self.clock = clock
        self.sleep = sleep

    def check_available(self):
        dialect = self.api.dialect
        if not dialect.machines or "guest-agent" not in dialect.features:
            raise GuestExecUnavailable(
                "the agent at %s (version %s) offers no guest-agent exec" % (self.client.url, dialect.version),
                hint="guest exec needs agent 0.3.9 or later with its guest-agent feature enabled "
                     "(experimental.enabled in the agent's config) and a zone with guest_agent on; "
                     "otherwise run the command over SSH")

    def run(self, name, argv, timeout):
        self.check_available()
        deadline = self.clock() + timeout
        path = self.api.dialect.machine_path(name, "guest", "exec")
        body = {"path": argv[0], "args": list(argv[1:]), "wait": True,
                "timeout_seconds": max(1, min(int(timeout), self.AGENT_MAX_WAIT))}
        try:
            answer = self.client.post(path, body=body)
        except EndpointMissingError:
            raise GuestExecUnavailable("the agent at %s has no guest exec endpoint" % self.client.url,
                                       hint="guest exec needs agent 0.3.9 or later with the guest-agent feature")
        except AgentError as exc:
            # the agent's `details` carry the guest agent's own words (e.g. a program that does not exist)
            details = (exc.details.get("agent_details") or {}).get("details")
            suffix = " (%s)" % details if details else ""
            raise AgentError("running %s in zone %s failed: %s%s" % (argv[0], name, exc.msg, suffix),
                             status=exc.status, hint=exc.hint)
        exited, _rc, _out, _err, pid = exec_outcome(answer)
        delay = 0.05
        while not exited:
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise GuestExecTimeout(
                    "the command %r was still running in zone %s after exec_timeout=%ss (guest pid %s)"
                    % (" ".join(argv), name, timeout, pid), pid=pid,
                    hint="raise exec_timeout; the process keeps running in the guest")
            self.sleep(min(delay, remaining))
            delay = min(1.0, delay * 1.5)
            answer = self.client.get(self.api.dialect.machine_path(name, "guest", "exec", str(pid)))
            exited = bool(answer.get("exited"))
        return exec_outcome(answer)


# --------------------------------------------------------------------------- named collections
class NamedCollection:
    """A collection of rows with a unique `name` and an `id` (recipes, profiles)."""

    def __init__(self, client, path, noun, list_key):
        self.client = client
        self.path = path
        self.noun = noun
        self.list_key = list_key

    def _one(self, answer):
        if isinstance(answer, dict) and isinstance(answer.get(self.noun), dict):
            return answer[self.noun]
        return answer

    def find(self, name):
        answer = self.client.get(self.path)
        rows = answer.get(self.list_key) if isinstance(answer, dict) else answer
        for row in rows or ():
            if isinstance(row, dict) and row.get("name") == name:
                return row
        return None

    def find_by_id(self, item_id):
        try:
            return self._one(self.client.get("%s/%s" % (self.path, self.client.segment(item_id))))
        except NotFoundError:
            return None

    def create(self, body):
        return self._one(self.client.post(self.path, body=body))

    def update(self, item_id, body):
        return self._one(self.client.put("%s/%s" % (self.path, self.client.segment(item_id)), body=body))

    def delete(self, item_id):
        return self.client.delete("%s/%s" % (self.path, self.client.segment(item_id)))
