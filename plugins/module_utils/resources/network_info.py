# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the host's network: one request per gathered section, read concurrently.

Each section comes back in the shape the matching module returns (vnics like
zoneweaver.illumos.vnic's `vnic`, and so on), so the two can be compared. A
section the agent does not offer (an HTML 404 from an older generation, or a
503 for a feature disabled in its configuration) is left out and named in
`unavailable` instead of failing the task.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, EndpointMissingError, InputError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.etherstub import etherstub_view
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.ip_address import address_view
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.ip_forwarding import forwarding_view
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.vlan import vlan_view
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.vnic import vnic_view

SECTIONS = ("links", "vnics", "etherstubs", "vlans", "addresses", "forwarding", "nat", "dhcp")
MAX_CONCURRENCY = 8
NAT_KEYS = ("id", "rule", "raw_rule", "type", "bridge", "subnet", "target", "protocol", "description")


def normalize_query(params):
    gather = params.get("gather")
    if gather is None:
        gather = ["all"]
    if isinstance(gather, str):
        gather = [part.strip() for part in gather.split(",") if part.strip()]
    unknown = [g for g in gather if g != "all" and g not in SECTIONS]
    if unknown:
        raise InputError("gather has unknown section%s %s; choose from all, %s"
                         % ("s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(SECTIONS)))
    if not gather:
        raise InputError("gather is empty; name at least one section, or all")
    return [s for s in SECTIONS if "all" in gather or s in gather]


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def link_view(row):
    return {"name": row.get("link"), "class": row.get("class"), "state": row.get("state"),
            "over": row.get("over") if row.get("over") not in ("", "--") else None,
            "speed": _int(row.get("speed")), "mtu": _int(row.get("mtu")),
            "mac_address": row.get("macaddress")}


def _sorted(views, key="name"):
    return sorted(views, key=lambda view: str(view.get(key) or ""))


class NetworkInfo:
    def __init__(self, backend, nat_dhcp):
        self.backend = backend
        self.nat_dhcp = nat_dhcp

    def links(self):
        return _sorted(link_view(row) for row in self.backend.links())

    def vnics(self):
        return _sorted(vnic_view(row) for row in self.backend.vnics())

    def etherstubs(self):
        return _sorted(etherstub_view(row) for row in self.backend.etherstubs())

    def vlans(self):
        return _sorted(vlan_view(row) for row in self.backend.vlans())

    def addresses(self):
        return _sorted((address_view(row) for row in self.backend.addresses()), key="addrobj")

    def forwarding(self):
        return forwarding_view(self.backend.forwarding())

    def nat(self):
        answer = self.nat_dhcp.nat_rules()
        rules = [{k: rule.get(k) for k in NAT_KEYS if k in rule} for rule in answer.get("configured_rules") or ()]
        return {"rules": rules, "active_rules": answer.get("active_rules"), "config_file": answer.get("config_file")}

    def dhcp(self):
        answer = self.nat_dhcp.dhcp_config()
        return {"subnets": answer.get("subnets") or [], "hosts": answer.get("hosts") or [],
                "config_file": answer.get("config_file")}

    def _section(self, name):
        try:
            return name, getattr(self, name)(), None
        except EndpointMissingError as exc:
            return name, None, exc
        except AgentError as exc:
            if exc.status == 503:  # disabled in the agent's configuration
                return name, None, exc
            raise

    def read(self, sections, warn=None):
        result = {"unavailable": []}
        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(sections))) as pool:
            for name, value, error in pool.map(self._section, sections):
                if error is None:
                    result[name] = value
                else:
                    result["unavailable"].append(name)
                    if warn:
                        warn("network_info: %s is not available from this agent: %s" % (name, error.msg))
        return result


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.network_info)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.nat_dhcp import NatDhcpAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import NetworkAgentBackend
    sections = normalize_query(params)
    api = AgentApi.for_module(params, ctx)
    info = NetworkInfo(NetworkAgentBackend(api), NatDhcpAgentBackend(api)).read(sections, warn=ctx.warn)
    return dict(info, changed=False)
