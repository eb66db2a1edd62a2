# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the host's network: one request per gathered section, read concurrently.

Each section comes back in the shape the matching module returns (vnics like
zoneweaver.illumos.vnic's `vnic`, and so on), so the two can be compared. A
section the agent does not offer (an HTML 404 from an older generation, or a
503 for a feature disabled in its configuration) is left out and named in
`unavailable` instead of failing the task.

With backend=native the sections come from dladm, ipadm and routeadm on the
host (native/network.py), read one after the other; NAT and DHCP come from
the native NAT/DHCP backend when the collection has one
(native/nat_dhcp.py, NatDhcpNativeBackend), else they are unavailable.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, EndpointMissingError, InputError, ZoneweaverError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import resolve_backend
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import select_backend
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.etherstub import etherstub_view
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.ip_address import address_view
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.ip_forwarding import forwarding_view
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import parse_rule
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


def _mac(value):
    """MACs as vnic_view gives them (02:08:20:0a:0b:0c); other text as it is."""
    if value in (None, "", "--"):
        return None
    try:
        return values.normalize_mac(value)
    except InputError:
        return value


def link_view(row):
    return {"name": row.get("link"), "class": row.get("class"), "state": row.get("state"),
            "over": row.get("over") if row.get("over") not in ("", "--") else None,
            "speed": _int(row.get("speed")), "mtu": _int(row.get("mtu")),
            "mac_address": _mac(row.get("macaddress"))}


def _sorted(views, key="name"):
    return sorted(views, key=lambda view: str(view.get(key) or ""))


class SectionUnavailable(ZoneweaverError):
    """A section this backend cannot read."""


class NoNatDhcp:
    """NAT and DHCP with backend=native while the collection has no native NAT/DHCP backend."""

    @staticmethod
    def nat_rules():
        raise SectionUnavailable("not read with backend=native")

    @staticmethod
    def dhcp_config():
        raise SectionUnavailable("not read with backend=native")


def native_nat_dhcp(runner, warn, ipnat_conf=None, dhcpd_conf=None):
    """The native NAT/DHCP backend (same methods as NatDhcpAgentBackend), if the collection has one,
    reading the given files (None: the services' default files)."""
    try:
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.nat_dhcp import NatDhcpNativeBackend
    except ImportError:
        return NoNatDhcp()
    return NatDhcpNativeBackend(runner, warn=warn, ipnat_conf=ipnat_conf, dhcpd_conf=dhcpd_conf)


class NetworkInfo:
    """`concurrency`: how many sections are read at once (1 for the native
    backend: its commands run one at a time through the module)."""

    def __init__(self, backend, nat_dhcp, concurrency=MAX_CONCURRENCY):
        self.backend = backend
        self.nat_dhcp = nat_dhcp
        self.concurrency = concurrency

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
        rules = [self._nat_rule(rule) for rule in answer.get("configured_rules") or ()]
        return {"rules": rules, "active_rules": answer.get("active_rules"), "config_file": answer.get("config_file")}

    @staticmethod
    def _nat_rule(rule):
        """A configured rule with its parts (type, bridge, subnet, target, protocol): the agent lists them,
        the native backend only has the line, so whatever a row lacks is read from the line itself."""
        parsed = parse_rule(rule.get("raw_rule") or rule.get("rule") or "")
        return {k: rule[k] if rule.get(k) is not None else parsed.get(k) for k in NAT_KEYS
                if k in rule or parsed.get(k) is not None}

    def dhcp(self):
        answer = self.nat_dhcp.dhcp_config()
        return {"subnets": answer.get("subnets") or [], "hosts": answer.get("hosts") or [],
                "config_file": answer.get("config_file")}

    def _section(self, name):
        try:
            return name, getattr(self, name)(), None
        except (EndpointMissingError, SectionUnavailable) as exc:
            return name, None, exc
        except AgentError as exc:
            if exc.status == 503:  # disabled in the agent's configuration
                return name, None, exc
            raise

    def read(self, sections, warn=None):
        result = {"unavailable": []}
        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(sections)))) as pool:
            for name, value, error in pool.map(self._section, sections):
                if error is None:
                    result[name] = value
                else:
                    result["unavailable"].append(name)
                    if warn:
                        warn("network_info: %s is not available from this %s: %s"
                             % (name, "host" if isinstance(error, SectionUnavailable) else "agent", error.msg))
        return result


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.network_info)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.nat_dhcp import NatDhcpAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import NetworkAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.network import NetworkNativeBackend
    sections = normalize_query(params)
    files = ("nat_config_file", "dhcp_config_file")
    info = select_backend(
        params, ctx, lambda api: NetworkInfo(NetworkAgentBackend(api), NatDhcpAgentBackend(api)),
        lambda runner: NetworkInfo(NetworkNativeBackend(runner, warn=ctx.warn),
                                   native_nat_dhcp(runner, ctx.warn, params.get(files[0]), params.get(files[1])),
                                   concurrency=1))
    if resolve_backend(params) != "native":
        for name in files:
            if params.get(name):
                ctx.warn("%s is used only by the native backend; the agent ignores it" % name)
    return dict(info.read(sections, warn=ctx.warn), changed=False)
