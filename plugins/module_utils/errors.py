# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error family of the library.

Every failure a user can meet (bad input, transport, agent answer, task) is a
ZoneweaverError; the Ansible adapters turn it into a failed result with `msg`
plus the structured fields below, so playbooks can branch on them.
"""

from __future__ import annotations


class ZoneweaverError(Exception):
    """Base error: a message for humans and structured fields for playbooks."""

    def __init__(self, msg, hint=None, **details):
        super().__init__(msg)
        self.msg = msg
        self.hint = hint
        self.details = {k: v for k, v in details.items() if v is not None}
        # Set when the failure came after this run had already changed the host (an earlier step
        # applied, a task accepted and still running): the result then says changed=true, so a
        # failed run never hides that the host is no longer as it was (common.report_partial_change).
        self.changed = False

    def __str__(self):
        if self.hint:
            return "%s (%s)" % (self.msg, self.hint)
        return self.msg

    def to_result(self):
        """Fields for fail_json / a failed action result."""
        result = dict(self.details)
        result["msg"] = str(self)
        result["error_type"] = type(self).__name__
        if self.changed:
            result["changed"] = True
        return result


class InputError(ZoneweaverError):
    """The user's input is invalid; raised before any mutating call."""


class ConflictError(ZoneweaverError):
    """The object exists in a form this run may not change on its own (attributes
    fixed at creation, or other objects depending on it); raised before any change."""


class TransportError(ZoneweaverError):
    """The agent could not be reached, or TLS verification failed."""


class AmbiguousMutationError(TransportError):
    """A mutating request may or may not have been applied (connection lost
    after the request was sent). Resources re-read state and reconcile."""


class AgentError(ZoneweaverError):
    """The agent answered with an error status."""

    def __init__(self, msg, status=None, hint=None, **details):
        super().__init__(msg, hint=hint, status=status, **details)
        self.status = status


class AuthError(AgentError):
    """401 (no key) or 403 (bad key, insufficient role)."""


class NotFoundError(AgentError):
    """404 for an object (JSON body), not a missing endpoint."""


class EndpointMissingError(AgentError):
    """Express's HTML 404: the route does not exist in this agent generation."""


class TaskError(ZoneweaverError):
    """An agent task ended failed/cancelled, or did not finish in time."""

    def __init__(self, msg, task_id=None, operation=None, status=None, output=None, hint=None):
        super().__init__(msg, hint=hint, task_id=task_id, operation=operation,
                         task_status=status, task_output=output)
        self.task_id = task_id
        self.operation = operation
        self.status = status
        self.output = output or []
        # the steps of the same chain that completed before this one (TaskWaiter.wait_all)
        self.steps_done = []


class TaskTimeoutError(TaskError):
    """wait_timeout passed before the task reached a terminal status."""
