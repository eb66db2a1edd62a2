# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DHCP server's SMF service (network/service/dhcp:ipv4) through the agent.

GET /network/dhcp/status gives the SMF state; PUT /network/dhcp/status with
{action: start|stop|refresh|restart} queues a task (agent-api.md section 4).
started and stopped compare with the state first; restarted and refreshed
always act. With backend=native (native/nat_dhcp.py) the same plan runs
svcadm on the host and, with wait, polls svcs until the service has settled.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    finish, new_result, reconcile, select_backend)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.dhcp_subnet import unquote

STATES = ("started", "stopped", "restarted", "refreshed")
ACTIONS = {"started": "start", "stopped": "stop", "restarted": "restart", "refreshed": "refresh"}
# SMF states in which the service is (being) enabled; a trailing '*' marks a transition.
ENABLED = frozenset(("online", "degraded", "offline"))


def service_view(status):
    state = str(status.get("state") or "unknown")
    return {"service": status.get("service"), "state": state, "since": status.get("since"),
            "listen_interface": unquote(status.get("listen_interface"))}


def smf_state(view):
    return view["state"].rstrip("*")


def needs_action(state, current):
    """Whether the service must be acted on for `state`, given its SMF state."""
    if state in ("restarted", "refreshed"):
        return True
    if state == "started":
        return smf_state(current) not in ENABLED
    return smf_state(current) not in ("disabled", "unknown")


class DhcpServiceResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx

    def ensure(self, params):
        state = params.get("state")
        if state not in STATES:
            raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
        return reconcile(self.ctx, lambda: self._ensure_once(state, params))

    def _ensure_once(self, state, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        result = new_result()
        current = service_view(self.backend.dhcp_status())
        result["service"] = current
        before = {"state": current["state"]}
        if state == "stopped" and smf_state(current) == "unknown":
            self.ctx.warn("the DHCP service state is unknown (is isc-dhcp installed?); "
                          "nothing to stop")
        if not needs_action(state, current):
            return finish(self.ctx, result, before, before)
        action = ACTIONS[state]
        result["actions"].append(action)
        after = {"state": "disabled" if state == "stopped" else "online"}
        if self.ctx.check_mode:
            return finish(self.ctx, result, before, after)
        answer = self.backend.dhcp_service(action, wait, timeout)
        if not wait:
            result["task_ids"] = [answer["task_id"]] if answer.get("task_id") else []
            return finish(self.ctx, result, before, after)
        result["service"] = service_view(self.backend.dhcp_status())
        if state != "stopped" and smf_state(result["service"]) == "maintenance":
            self.ctx.warn("the DHCP service is in maintenance after %s; check /etc/dhcpd.conf and the service log "
                          "(svcs -xv dhcp:ipv4), then clear it with svcadm clear" % action)
        return finish(self.ctx, result, before, after)


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.dhcp_service)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.nat_dhcp import NatDhcpAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.nat_dhcp import NatDhcpNativeBackend
    if params.get("state") not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), params.get("state")))
    backend = select_backend(params, ctx, NatDhcpAgentBackend,
                             lambda runner: NatDhcpNativeBackend(runner, warn=ctx.warn))
    return DhcpServiceResource(backend, ctx).ensure(params)
