# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NAT rules and the ISC DHCP server through the agent (agent-api.md section 4).

The same paths serve both agent generations. Every mutation answers 202 with a
task_id and the task keeps no result, so callers re-read after waiting:
- NAT: GET/POST /network/nat/rules, DELETE /network/nat/rules/{uuid},
  GET /network/nat/status. A new rule's id appears only in the later GET;
  DELETE of an unknown id is accepted and then fails inside its task.
- DHCP: GET/PUT /network/dhcp/config (one subnet declaration, replaced whole),
  GET/POST /network/dhcp/hosts, DELETE /network/dhcp/hosts/{hostname},
  GET/PUT /network/dhcp/status.
Reads return the agent's answer as is; the resources normalise it.
"""

from __future__ import annotations

NAT_RULES = "/network/nat/rules"
NAT_STATUS = "/network/nat/status"
DHCP_CONFIG = "/network/dhcp/config"
DHCP_HOSTS = "/network/dhcp/hosts"
DHCP_STATUS = "/network/dhcp/status"
DHCP_ACTIONS = ("start", "stop", "refresh", "restart")


def _as_dict(answer):
    return answer if isinstance(answer, dict) else {}


class NatDhcpAgentBackend:
    def __init__(self, api):
        self.api = api
        self.client = api.client

    def _mutate(self, method, path, body, wait, timeout):
        """Send one mutation; wait for its task when asked. Returns the answer."""
        answer = self.client.request(method, path, body=body)
        if wait:
            self.api.wait_for(answer, timeout)
        return _as_dict(answer)

    # --- NAT ----------------------------------------------------------------
    def nat_rules(self):
        """{active_rules: text|None, configured_rules: [...], config_file}."""
        answer = _as_dict(self.client.get(NAT_RULES))
        rules = answer.get("configured_rules")
        answer["configured_rules"] = [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []
        return answer

    def nat_status(self):
        return _as_dict(self.client.get(NAT_STATUS))

    def create_nat_rule(self, body, wait, timeout):
        return self._mutate("POST", NAT_RULES, body, wait, timeout)

    def delete_nat_rule(self, rule_id, wait, timeout):
        return self._mutate("DELETE", "%s/%s" % (NAT_RULES, self.client.segment(rule_id)), None, wait, timeout)

    # --- DHCP ---------------------------------------------------------------
    def dhcp_config(self):
        """{config_file, subnets: [...], hosts: [...]} parsed from dhcpd.conf."""
        answer = _as_dict(self.client.get(DHCP_CONFIG))
        for key in ("subnets", "hosts"):
            items = answer.get(key)
            answer[key] = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        return answer

    def dhcp_hosts(self):
        """The agent's host rows (with id and description), from its database."""
        answer = _as_dict(self.client.get(DHCP_HOSTS))
        hosts = answer.get("hosts")
        return [h for h in hosts if isinstance(h, dict)] if isinstance(hosts, list) else []

    def dhcp_status(self):
        return _as_dict(self.client.get(DHCP_STATUS))

    def put_dhcp_config(self, body, wait, timeout):
        return self._mutate("PUT", DHCP_CONFIG, body, wait, timeout)

    def add_dhcp_host(self, body, wait, timeout):
        return self._mutate("POST", DHCP_HOSTS, body, wait, timeout)

    def remove_dhcp_host(self, hostname, wait, timeout):
        return self._mutate("DELETE", "%s/%s" % (DHCP_HOSTS, self.client.segment(hostname)), None, wait, timeout)

    def dhcp_service(self, action, wait, timeout):
        if action not in DHCP_ACTIONS:  # a library bug, not user input: the resources map states to actions
            raise ValueError("unknown DHCP service action %r" % action)
        return self._mutate("PUT", DHCP_STATUS, {"action": action}, wait, timeout)
