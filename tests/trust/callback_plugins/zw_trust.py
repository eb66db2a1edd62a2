# -*- coding: utf-8 -*-
# Test-only callback for the reliability suite: writes every task result (host, outcome, result as
# the display shows it) with what the simulated world counted before and after the task, so a test
# can attribute each mutating request, command or file change to the task that caused it.
from __future__ import annotations

import json
import os
import time
import urllib.request

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: zw_trust
type: aggregate
short_description: Record task results and simulator counters for the reliability suite
description:
  - Writes a JSON list of task results to the file in the ZW_RESULTS_FILE environment variable.
  - When ZW_TRUST_PROBE is set, reads that URL (the test's probe of the simulators) when each task
    starts and when each result arrives, and records both answers.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "zw_trust"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = []
        self.before = None
        self.started = time.monotonic()
        self.probe_url = os.environ.get("ZW_TRUST_PROBE")

    def _probe(self):
        if not self.probe_url:
            return None
        with urllib.request.urlopen(self.probe_url, timeout=30) as answer:
            return json.loads(answer.read().decode("utf-8"))

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.before = self._probe()
        self.started = time.monotonic()

    def _record(self, result, outcome):
        data = result._result
        if data.get("_ansible_no_log"):
            data = {"censored": "the output has been hidden due to the fact that 'no_log: true' was specified",
                    "changed": data.get("changed", False), "failed": data.get("failed", False)}
        self.results.append({"task": result._task.get_name(), "host": result._host.get_name(),
                             "action": result._task.action, "outcome": outcome,
                             "result": json.loads(json.dumps(data, default=str)),
                             "before": self.before, "after": self._probe(),
                             "seconds": round(time.monotonic() - self.started, 3)})

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["ZW_RESULTS_FILE"], "w") as handle:
            json.dump(self.results, handle, indent=1)
