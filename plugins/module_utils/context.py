# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a resource needs to know about the run it is part of, without Ansible."""

from __future__ import annotations


class RunContext:
    def __init__(self, check_mode=False, diff=False):
        self.check_mode = bool(check_mode)
        self.diff = bool(diff)
        self.warnings = []

    def warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)
