# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an agent-backed module inside the controller.

A module run costs about 0.23 s of start-up (AnsiballZ, a new Python, the
import of module_utils.basic); the work itself is a few HTTP calls. The action
plugin of the same name validates the task's arguments against the module's
own ARGUMENT_SPEC (so docs, sanity and behaviour stay one definition) and
calls the same resource code in-process.

Imports happen when the class is defined: the strategy loads each task's
action class in the main process before it forks a worker, so the HTTP stack
and the module's code are imported once per playbook run, not once per task.

Modules with a native backend (option `backend`) are different when the task
resolves to it: the illumos commands must run on the host, so the module is
sent there over the play's connection like any other module (see
options.resolve_backend), with backend=native fixed so the host decides
nothing anew.
"""

from __future__ import annotations

import importlib
import traceback

from ansible import constants as C
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

# Imported for its side effect of loading the HTTP stack in the main process (see above).
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import api as _agent_api  # noqa: F401 pylint: disable=unused-import
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect as _agent_dialect
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import infinite_integer_message, resolve_backend

MODULES_PACKAGE = "ansible_collections.zoneweaver.illumos.plugins.modules."
COLLECTION = "zoneweaver.illumos."


def plain_data(value):
    """The task's arguments as a module would receive them: JSON-like data
    without ansible-core's data tags (origin, trust), which our modules never
    use. Validation deep-copies its input, and copying tagged values costs
    about a millisecond per zone of a `zones` list."""
    if isinstance(value, dict):
        return {plain_data(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    if isinstance(value, str):
        return str(value)  # the same object when it carries no tag
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value  # anything else (a vaulted value, bytes) is left for validation to judge


class AgentAction(ActionBase):
    """Subclasses set MODULE to the module's short name."""

    MODULE = None
    TRANSFERS_FILES = False
    _requires_connection = False
    _module = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._module = importlib.import_module(MODULES_PACKAGE + cls.MODULE)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        module = self._module
        validator = ArgumentSpecValidator(module.ARGUMENT_SPEC, **getattr(module, "ARGUMENT_OPTIONS", {}))
        try:
            validated = validator.validate(plain_data(self._task.args))
        except OverflowError:   # 'inf' for an integer option: ansible-core raises instead of reporting
            result.update(failed=True, msg=infinite_integer_message(module.ARGUMENT_SPEC, self._task.args))
            return result
        secrets = set(validated._no_log_values)
        if validated.error_messages:
            result.update(failed=True, msg="; ".join(validated.error_messages))
            return remove_values(result, secrets)
        if resolve_backend(validated.validated_parameters) == "native":
            return self._run_on_host(result, task_vars)
        warnings = [w["warning"] if isinstance(w, dict) else w for w in validated._warnings]
        ctx = RunContext(check_mode=bool(self._task.check_mode), diff=bool(self._task.diff))
        # one GET /status per agent per play run, not per task: this run's private temp directory
        _agent_dialect.share_between_workers(C.DEFAULT_LOCAL_TMP)
        try:
            outcome = module.RUNNER(validated.validated_parameters, ctx)
        except ZoneweaverError as exc:
            outcome = dict(exc.to_result(), failed=True)
        except Exception as exc:  # a bug: report it with the traceback instead of a bare crash
            outcome = {"failed": True, "msg": "unexpected error in zoneweaver.illumos: %s" % exc,
                       "exception": traceback.format_exc()}
        secrets.update(v for v in outcome.pop("_secrets", ()) if v)
        if outcome.pop("_no_log_result", False):
            # A freshly minted secret must reach `register` but no display or log:
            # the callback censors the result, the registered variable keeps it.
            outcome["_ansible_no_log"] = True
        warnings.extend(ctx.warnings)
        if warnings:
            outcome["warnings"] = warnings
        result.update(outcome)
        return remove_values(result, secrets) if secrets else result

    def _run_on_host(self, result, task_vars):
        """The native backend: run the module on the target host, as the `normal` action does."""
        args = dict(self._task.args, backend="native")
        result = merge_hash(result, self._execute_module(module_name=COLLECTION + self.MODULE, module_args=args,
                                                         task_vars=task_vars))
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
