# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs zoneweaver.illumos.hyperweaver_agent inside the controller (see plugin_utils/agent_action.py).

It talks to a Hyperweaver Server, not to an agent, but runs the same way: the
arguments are validated against the module's ARGUMENT_SPEC and its resource
code is called in-process.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.plugin_utils.agent_action import AgentAction


class ActionModule(AgentAction):
    MODULE = "hyperweaver_agent"
