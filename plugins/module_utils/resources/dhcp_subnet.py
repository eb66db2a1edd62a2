# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DHCP subnet resource: the agent's one `subnet` declaration of /etc/dhcpd.conf.

PUT /network/dhcp/config rewrites the subnet part of dhcpd.conf with exactly
one declaration (host entries are kept) and, when given, sets the service's
listen interface (agent-api.md section 4). The agent has no way to remove the
declaration, so state=absent is refused. Compared with GET /network/dhcp/config
(and GET /network/dhcp/status for the listen interface), over the keys the user set.

With backend=native (native/nat_dhcp.py) the declarations live in a managed
block of dhcpd.conf, one per network: writing one keeps the others, and
state=absent removes it. That backend is transactional (nothing reaches the
host before its commit), so check mode runs the same apply path.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AgentError, InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    finish, new_result, reconcile, select_backend)

NO_REMOVAL = ("the agent offers no way to remove the DHCP subnet declaration (there is no DELETE "
              "/network/dhcp/config), so state=absent is not supported")
COMPARED = ("router", "range_start", "range_end", "dns")


def _usable(network, address, what):
    """Refuse an address outside the subnet, or its network or broadcast address."""
    ip = ipaddress.IPv4Address(address)
    if ip not in network:
        raise InputError("%s %s is outside the subnet %s" % (what, address, network))
    if network.prefixlen < 31 and ip in (network.network_address, network.broadcast_address):
        raise InputError("%s %s is the %s address of %s" % (
            what, address, "network" if ip == network.network_address else "broadcast", network))
    return ip


def split_list(text):
    """'8.8.8.8, 8.8.4.4' -> ['8.8.8.8', '8.8.4.4'] (dhcpd's comma list, as the agent parses it)."""
    if isinstance(text, (list, tuple)):
        return [str(item).strip() for item in text if str(item).strip()]
    return [item for item in re.split(r"[,\s]+", str(text or "")) if item]


def unquote(text):
    """svccfg listprop shows astring values quoted: '"provisioning_0"' -> 'provisioning_0'."""
    if text is None:
        return None
    return str(text).strip().strip('"').strip() or None


# --------------------------------------------------------------------------- spec and views
def normalize_spec(params, native=False):
    """Validate and normalise the user's options. Raises InputError before any request.

    native: the native backend can remove a declaration (state=absent needs only the subnet)."""
    absent = params.get("state") == "absent"
    if absent and not native:
        raise InputError(NO_REMOVAL, hint="stop the server with zoneweaver.illumos.dhcp_service state=stopped, "
                                          "use backend=native, or edit /etc/dhcpd.conf on the host")
    if params.get("subnet") in (None, ""):
        raise InputError("subnet is required, e.g. 10.190.190.0/24")
    network = values.ipv4_network(params["subnet"], params.get("netmask"))
    if absent:
        return {"subnet": str(network.network_address), "netmask": str(network.netmask), "prefix": network.prefixlen,
                "network": network}
    missing = [key for key in ("router", "range_start", "range_end") if params.get(key) in (None, "")]
    if missing:
        raise InputError("%s %s required: the agent writes the subnet declaration whole"
                         % (", ".join(missing), "is" if len(missing) == 1 else "are"))
    spec = {"subnet": str(network.network_address), "netmask": str(network.netmask), "prefix": network.prefixlen,
            "network": network}
    for key, what in (("router", "router"), ("range_start", "range_start"), ("range_end", "range_end")):
        spec[key] = values.ipv4_address(params[key], what)
        _usable(network, spec[key], what)
    if ipaddress.IPv4Address(spec["range_start"]) > ipaddress.IPv4Address(spec["range_end"]):
        raise InputError("range_start %s is after range_end %s" % (spec["range_start"], spec["range_end"]))
    if params.get("dns") is not None:
        spec["dns"] = [_dns_server(entry) for entry in params["dns"]]
    if params.get("listen_interface") is not None:
        spec["listen_interface"] = values.check_pattern(
            params["listen_interface"], values.LINK_NAME_RE, "listen_interface",
            "a link name such as provisioning_0 (a letter first, a digit last)")
    return spec


def _dns_server(entry):
    text = str(entry).strip()
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        return values.check_pattern(text, values.DOMAIN_RE, "dns server", "an IPv4 address or a host name")


def subnet_view(entry):
    """One subnet of GET /network/dhcp/config, normalised."""
    options = entry.get("options") if isinstance(entry.get("options"), dict) else {}
    routers = split_list(options.get("routers"))
    view = {"subnet": entry.get("subnet"), "netmask": entry.get("netmask"), "prefix": None,
            "router": routers[0] if len(routers) == 1 else (routers or None),
            "range_start": entry.get("range_start"), "range_end": entry.get("range_end"),
            "dns": split_list(options.get("dns")) if options.get("dns") else []}
    try:
        view["prefix"] = ipaddress.IPv4Network("%s/%s" % (entry.get("subnet"), entry.get("netmask")),
                                               strict=False).prefixlen
    except ValueError:
        pass
    return view


def same_network(entry, network):
    try:
        return ipaddress.IPv4Network("%s/%s" % (entry.get("subnet"), entry.get("netmask")), strict=False) == network
    except ValueError:
        return False


def plan(spec, config, status):
    """(current, others, before, after, differing keys) from the agent's answers."""
    subnets = config.get("subnets") or []
    current = next((entry for entry in subnets if same_network(entry, spec["network"])), None)
    others = [entry for entry in subnets if entry is not current]
    have = subnet_view(current) if current is not None else {}
    differing = [key for key in COMPARED if key in spec and spec[key] != have.get(key)]
    listen = unquote((status or {}).get("listen_interface"))
    if "listen_interface" in spec and spec["listen_interface"] != listen:
        differing.append("listen_interface")
    want = desired_view(spec, have)
    before = {"subnets": [subnet_view(entry) for entry in subnets]}
    after = {"subnets": [want]}
    if "listen_interface" in spec:
        before["listen_interface"], after["listen_interface"] = listen, spec["listen_interface"]
    return current, others, before, after, differing


def desired_view(spec, have):
    view = {"subnet": spec["subnet"], "netmask": spec["netmask"], "prefix": spec["prefix"]}
    for key in COMPARED:
        view[key] = spec[key] if key in spec else have.get(key, [] if key == "dns" else None)
    return view


def put_body(spec, have):
    """The whole declaration; DNS servers the user did not set are carried over, not dropped."""
    dns = spec["dns"] if "dns" in spec else (have or {}).get("dns") or []
    body = {"subnet": spec["subnet"], "netmask": spec["netmask"], "router": spec["router"],
            "range_start": spec["range_start"], "range_end": spec["range_end"]}
    if dns:
        body["dns"] = ", ".join(dns)
    if "listen_interface" in spec:
        body["listen_interface"] = spec["listen_interface"]
    return body


def plans_only(ctx, backend):
    """Check mode stops before the first change, except with a transactional backend
    (native), which keeps every change in memory until its commit."""
    return ctx.check_mode and not getattr(backend, "transactional", False)


# --------------------------------------------------------------------------- apply
class DhcpSubnetResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx

    def ensure(self, params):
        spec = normalize_spec(params, native=getattr(self.backend, "transactional", False))
        if params.get("state") == "absent":
            return reconcile(self.ctx, lambda: self._remove(spec))
        return reconcile(self.ctx, lambda: self._ensure_once(spec, params))

    def _remove(self, spec):
        """state=absent (native backend only): take the network's declaration out."""
        result = new_result()
        subnets = self.backend.dhcp_config()["subnets"]
        current = next((entry for entry in subnets if same_network(entry, spec["network"])), None)
        before = {"subnets": [subnet_view(entry) for entry in subnets]}
        after = {"subnets": [subnet_view(entry) for entry in subnets if entry is not current]}
        result["subnet"] = {}
        if current is None:
            return finish(self.ctx, result, before, before)
        result["actions"].append("remove subnet %s/%d" % (spec["subnet"], spec["prefix"]))
        if not plans_only(self.ctx, self.backend):
            self.backend.remove_dhcp_subnet(spec["subnet"], spec["netmask"])
            if any(same_network(entry, spec["network"]) for entry in self.backend.dhcp_config()["subnets"]):
                raise AgentError("subnet %s/%d is still declared after its removal" % (spec["subnet"], spec["prefix"]))
        return finish(self.ctx, result, before, after)

    def _read(self, spec):
        status = self.backend.dhcp_status() if "listen_interface" in spec else None
        return self.backend.dhcp_config(), status

    def _ensure_once(self, spec, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        result = new_result()
        config, status = self._read(spec)
        current, others, before, after, differing = plan(spec, config, status)
        have = subnet_view(current) if current is not None else None
        result["subnet"] = self._shown(have, status) if have else {}
        if not differing:
            return finish(self.ctx, result, before, after)
        result["actions"].append("%s subnet %s/%d" % ("update" if have else "write", spec["subnet"], spec["prefix"]))
        if others and not getattr(self.backend, "keeps_other_subnets", False):
            dropped = ", ".join("%s/%s" % (e.get("subnet"), e.get("netmask")) for e in others)
            result["actions"].append("drop subnet %s" % dropped)
            self.ctx.warn("the agent keeps one subnet declaration in dhcpd.conf: writing %s/%d replaces %s"
                          % (spec["subnet"], spec["prefix"], dropped))
        planned_status = {"listen_interface": spec["listen_interface"]} if "listen_interface" in spec else None
        if plans_only(self.ctx, self.backend):
            result["subnet"] = self._shown(desired_view(spec, have or {}), planned_status)
            return finish(self.ctx, result, before, after)
        answer = self.backend.put_dhcp_config(put_body(spec, have), wait, timeout)
        if not wait:
            result["subnet"] = self._shown(desired_view(spec, have or {}), planned_status)
            result["task_ids"] = [answer["task_id"]] if answer.get("task_id") else []
            return finish(self.ctx, result, before, after)
        config, status = self._read(spec)
        outcome = plan(spec, config, status)
        current, left = outcome[0], outcome[4]
        if current is None or left:
            raise AgentError("the DHCP configuration task completed, but GET /network/dhcp/config does not show "
                             "subnet %s/%d as written (differs in: %s)"
                             % (spec["subnet"], spec["prefix"], ", ".join(left) or "missing"))
        result["subnet"] = self._shown(subnet_view(current), status)
        return finish(self.ctx, result, before, after)

    @staticmethod
    def _shown(view, status):
        shown = dict(view)
        if status is not None:
            shown["listen_interface"] = unquote(status.get("listen_interface"))
        return shown


def dhcp_backend(params, ctx):
    """NatDhcpAgentBackend or NatDhcpNativeBackend, as the backend option says (natively locking
    /etc/dhcpd.conf from the first read to the write: dhcp_subnet and dhcp_host edit it)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.nat_dhcp import NatDhcpAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.nat_dhcp import NatDhcpNativeBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import native_only
    backend = select_backend(params, ctx, NatDhcpAgentBackend, lambda runner: NatDhcpNativeBackend(
        runner, warn=ctx.warn, dhcpd_conf=params.get("config_file"), backup=params.get("backup"), locking=True))
    native_only(params, ctx, backend, ("config_file", "backup"))
    return backend


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.dhcp_subnet)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import resolve_backend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import complete
    normalize_spec(params, native=resolve_backend(params) == "native")  # bad input never costs a request
    backend = dhcp_backend(params, ctx)
    if getattr(backend, "transactional", False):
        params = dict(params, wait=True)  # the native backend's changes are done when it returns
    return complete(backend, ctx, DhcpSubnetResource(backend, ctx).ensure(params))
