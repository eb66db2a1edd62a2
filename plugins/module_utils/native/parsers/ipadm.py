# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ipadm output (illumos-native.md 1.6).

- `ipadm show-addr -p -o addrobj,type,state,addr`: libofmt rules, so IPv6
  colons arrive as '\\:' when several fields are printed; point-to-point
  addresses print as 'local->remote'.
- `ipadm show-prop -c -o current -p forwarding ipv4`: for properties the
  parsable flag is -c, because -p names the property.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import (
    output_lines, parsable_rows)

ADDR_FIELDS = ("addrobj", "type", "state", "addr")
ADDR_TYPES = ("static", "dhcp", "addrconf", "from-gz")
ADDR_STATES = ("ok", "tentative", "duplicate", "down", "disabled", "inaccessible")
IFPROP_FIELDS = ("proto", "property", "current")


def parse_show_addr(text, fields=ADDR_FIELDS):
    """-> [{addrobj, interface, name, type, state, addr, remote}].

    `interface`/`name` split the address object (igb0/v4); `addr` is the
    local address with its prefix, `remote` the far end of a point-to-point
    address (else None).
    """
    rows = parsable_rows(text, fields, "ipadm")
    for row in rows:
        addrobj = row.get("addrobj")
        if addrobj is not None:
            interface, slash, name = addrobj.partition("/")
            row["interface"] = interface
            row["name"] = name if slash else None
        addr = row.get("addr")
        row["remote"] = None
        if addr and "->" in addr:
            row["addr"], row["remote"] = addr.split("->", 1)
    return rows


def parse_prop_current(text):
    """`ipadm show-prop -c -o current -p forwarding ipv4` -> 'on'/'off' (or the value printed).

    One line, one field, no escaping. Empty output means the tool printed
    nothing; that is an error, not 'off'.
    """
    lines = output_lines(text)
    if len(lines) != 1:
        raise ParseError("ipadm show-prop -c -o current printed %d lines, expected 1" % len(lines),
                         tool="ipadm", line="\n".join(lines))
    return lines[0].strip()


def parse_show_ifprop(text, fields=IFPROP_FIELDS):
    """`ipadm show-ifprop -c -o proto,property,current IF` -> list of dicts."""
    return parsable_rows(text, fields, "ipadm")


def parse_show_if(text):
    """`ipadm show-if -p -o ifname` -> interface names."""
    return [line.strip() for line in output_lines(text)]
