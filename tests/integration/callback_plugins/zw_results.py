# -*- coding: utf-8 -*-
# Test-only callback: writes every task result, as the display would show it
# (no_log results censored), to the JSON file named by ZW_RESULTS_FILE.
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: zw_results
type: aggregate
short_description: Record task results for the integration tests
description: Writes a JSON list of task results to the file in the ZW_RESULTS_FILE environment variable.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "zw_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = []

    def _record(self, result, outcome):
        data = result._result
        if data.get("_ansible_no_log"):
            data = {"censored": "the output has been hidden due to the fact that 'no_log: true' was specified",
                    "changed": data.get("changed", False), "failed": data.get("failed", False)}
        self.results.append({"task": result._task.get_name(), "action": result._task.action,
                             "outcome": outcome, "result": json.loads(json.dumps(data, default=str))})

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["ZW_RESULTS_FILE"], "w") as handle:
            json.dump(self.results, handle, indent=1)
