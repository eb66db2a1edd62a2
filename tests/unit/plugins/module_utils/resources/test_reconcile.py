"""reconcile(): what a resource does after a change whose outcome it could not learn."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AgentError, AmbiguousMutationError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import reconcile


class Attempts:
    """attempt() raising the given errors in turn, then answering `result`; settle() recorded."""

    def __init__(self, errors, result):
        self.errors = list(errors)
        self.result = result
        self.log = []

    def attempt(self):
        self.log.append("attempt")
        if self.errors:
            raise self.errors.pop(0)
        return dict(self.result)

    def settle(self):
        self.log.append("settle")


def test_a_retry_that_finds_the_host_as_wanted_reports_the_change():
    calls = Attempts([AmbiguousMutationError("connection broke during DELETE /machines/web")],
                     {"changed": False, "actions": []})
    result = reconcile(RunContext(), calls.attempt, settle=calls.settle)
    assert result["changed"] is True
    assert calls.log == ["attempt", "settle", "attempt"]


def test_a_first_attempt_is_reported_as_it_is_and_nothing_settles():
    calls = Attempts([], {"changed": False, "actions": []})
    assert reconcile(RunContext(), calls.attempt, settle=calls.settle)["changed"] is False
    assert calls.log == ["attempt"]


def test_uncertain_agent_errors_retry_but_certain_ones_and_check_mode_do_not():
    calls = Attempts([AgentError("bad gateway", status=502)], {"changed": True})
    assert reconcile(RunContext(), calls.attempt)["changed"] is True
    assert calls.log == ["attempt", "attempt"]

    refused = Attempts([AgentError("no such link", status=400)], {"changed": True})
    with pytest.raises(AgentError):
        reconcile(RunContext(), refused.attempt, settle=refused.settle)
    assert refused.log == ["attempt"]

    checked = Attempts([AgentError("bad gateway", status=502)], {"changed": True})
    with pytest.raises(AgentError):
        reconcile(RunContext(check_mode=True), checked.attempt, settle=checked.settle)
    assert checked.log == ["attempt"]


def test_the_last_uncertain_error_is_raised_when_no_attempt_settles_it():
    errors = [AmbiguousMutationError("lost %d" % n) for n in range(3)]
    calls = Attempts(errors, {"changed": True})
    with pytest.raises(AmbiguousMutationError, match="lost 2"):
        reconcile(RunContext(), calls.attempt, settle=calls.settle)
    assert calls.log == ["attempt", "settle", "attempt", "settle", "attempt"]
