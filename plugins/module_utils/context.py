# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a resource needs to know about the run it is part of, without Ansible."""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner


class RunContext:
    """check_mode/diff of the run; `run_command` (AnsibleModule.run_command, only
    where the module runs on the host) and `pfexec` serve the native backend."""

    def __init__(self, check_mode=False, diff=False, run_command=None, pfexec=False):
        self.check_mode = bool(check_mode)
        self.diff = bool(diff)
        self.run_command = run_command
        self.pfexec = bool(pfexec)
        self.warnings = []

    def native_runner(self, secrets=()):
        """A CommandRunner for the illumos commands of this run (check mode included)."""
        if self.run_command is None:
            raise ZoneweaverError("the native backend runs the illumos commands on the host itself, "
                                  "but this run has no way to run commands",
                                  hint="run the module on the host (backend=native does so through the action "
                                       "plugin), or set api_url to use the agent")
        return CommandRunner.from_module(self, pfexec=self.pfexec, secrets=secrets)

    def warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)
