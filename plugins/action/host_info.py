# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs zoneweaver.illumos.host_info inside the controller (see plugin_utils/agent_action.py);
with the native backend the module runs on the host as before."""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.plugin_utils.agent_action import AgentAction


class ActionModule(AgentAction):
    MODULE = "host_info"
