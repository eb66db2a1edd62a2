# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ISC dhcpd subnet and host declarations for the managed block in /etc/dhcpd.conf
(illumos-native.md 1.10).

Entries are written in the agent's multi-line layout. Every value is checked
(addresses with ipaddress, MACs with values.normalize_mac, names with a
strict pattern), so a value can never close a brace or end a statement.
The file is then checked with `dhcpd -t -cf <tmp>` (files.atomic_write validate=).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render.blocks import render_block

CONFIG_FILE = "/etc/dhcpd.conf"
VALIDATE = ["dhcpd", "-t", "-cf", "%s"]
HOST_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$")


def _ipv4(value, what):
    try:
        return ipaddress.IPv4Address(str(value).strip())
    except ValueError:
        raise InputError("%s %r is not an IPv4 address" % (what, value))


def subnet_lines(subnet, routers=None, range_start=None, range_end=None, dns=None, domain_name=None):
    """subnet '10.0.0.0/24' -> the lines of its declaration."""
    try:
        network = ipaddress.IPv4Network(str(subnet).strip())
    except ValueError:
        raise InputError("dhcp subnet %r must be an IPv4 network such as 10.0.0.0/24 (no host bits)" % (subnet,))
    lines = ["subnet %s netmask %s {" % (network.network_address, network.netmask)]
    if routers:
        items = [routers] if isinstance(routers, str) else list(routers)
        lines.append("  option routers %s;" % ", ".join(str(_ipv4(r, "router")) for r in items))
    if range_start or range_end:
        start, end = _ipv4(range_start, "range start"), _ipv4(range_end, "range end")
        if start not in network or end not in network or start > end:
            raise InputError("dhcp range %s - %s must lie inside %s, start first" % (start, end, network))
        lines.append("  range %s %s;" % (start, end))
    if dns:
        items = [dns] if isinstance(dns, str) else list(dns)
        lines.append("  option domain-name-servers %s;" % ", ".join(str(_ipv4(d, "dns server")) for d in items))
    if domain_name:
        domain = values.check_pattern(domain_name, values.DOMAIN_RE, "domain_name", "letters, digits, '-' and '.'")
        lines.append('  option domain-name "%s";' % domain)
    lines.append("}")
    return lines


def host_lines(name, mac, address, hostname=None):
    """One `host` declaration: fixed address for a MAC."""
    values.check_pattern(name, HOST_NAME_RE, "dhcp host name", "letters, digits, '_', '.' and '-'")
    lines = ["host %s {" % name,
             "  hardware ethernet %s;" % values.normalize_mac(mac, "dhcp host mac"),
             "  fixed-address %s;" % _ipv4(address, "dhcp host address")]
    if hostname:
        values.check_pattern(hostname, values.HOSTNAME_RE, "dhcp host hostname", "letters, digits and '-'")
        lines.append('  option host-name "%s";' % hostname)
    lines.append("}")
    return lines


def render(text, name, subnets=(), hosts=()):
    """dhcpd.conf text with block `name` holding the subnets and hosts (both None removes it).

    subnets: [{subnet, routers, range_start, range_end, dns, domain_name}];
    hosts: [{name, mac, address, hostname}].
    """
    if subnets is None and hosts is None:
        return render_block(text, name, None)
    lines = []
    for subnet in subnets or ():
        lines += subnet_lines(**_keys(subnet, SUBNET_KEYS, "dhcp subnet", ("subnet",)))
    for host in hosts or ():
        lines += host_lines(**_keys(host, HOST_KEYS, "dhcp host", ("name", "mac", "address")))
    return render_block(text, name, lines)


SUBNET_KEYS = frozenset(("subnet", "routers", "range_start", "range_end", "dns", "domain_name"))
HOST_KEYS = frozenset(("name", "mac", "address", "hostname"))


def _keys(entry, allowed, what, required):
    if not isinstance(entry, dict):
        raise InputError("%s must be a dictionary" % what)
    unknown = set(entry) - allowed
    if unknown:
        raise InputError("%s has unknown keys: %s" % (what, ", ".join(sorted(unknown))))
    missing = [k for k in required if entry.get(k) in (None, "")]
    if missing:
        raise InputError("%s needs %s" % (what, ", ".join(missing)))
    return entry
