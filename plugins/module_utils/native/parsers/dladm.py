# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dladm parsable output (illumos-native.md 1.5).

Run the commands with `-p -o FIELDS` and pass the same field list here:
libofmt escapes ':' and '\\' only when more than one field is printed, prints
'--' for unset values and MAC octets without leading zeros (2:8:20:a:b:c).
MACs are normalised with values.normalize_mac so they compare equal to user input.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import (
    output_lines, parsable_rows, to_int)

VNIC_FIELDS = ("link", "over", "speed", "macaddress", "macaddrtype", "vid", "zone")
VLAN_FIELDS = ("link", "vid", "over", "flags")
LINK_FIELDS = ("link", "class", "mtu", "state", "bridge", "over")
ETHERSTUB_FIELDS = ("link",)
PHYS_FIELDS = ("link", "media", "state", "speed", "duplex", "device")

_INT_FIELDS = frozenset(("speed", "vid", "mtu"))


def _mac(value, line):
    if value is None:
        return None
    try:
        return values.normalize_mac(value, "dladm macaddress")
    except InputError:
        raise ParseError("dladm printed MAC address %r" % value, tool="dladm", line=line)


def _typed(rows):
    for row in rows:
        for key in _INT_FIELDS.intersection(row):
            row[key] = to_int(row[key], "dladm", None, key)
        if "macaddress" in row:
            row["macaddress"] = _mac(row["macaddress"], None)
    return rows


def parse_fields(text, fields):
    """Any `dladm show-* -p -o FIELDS` output -> list of dicts (ints and MACs typed)."""
    return _typed(parsable_rows(text, fields, "dladm"))


def parse_show_vnic(text, fields=VNIC_FIELDS):
    """`dladm show-vnic -p -o LINK,OVER,SPEED,MACADDRESS,MACADDRTYPE,VID,ZONE`.

    VID 0 means untagged; it is reported as vlan_id None next to the raw vid.
    """
    rows = parse_fields(text, fields)
    for row in rows:
        if "vid" in row:
            row["vlan_id"] = row["vid"] or None
    return rows


def parse_show_vlan(text, fields=VLAN_FIELDS):
    """`dladm show-vlan -p -o LINK,VID,OVER,FLAGS` (FLAGS format [mem], kept as text)."""
    return parse_fields(text, fields)


def parse_show_link(text, fields=LINK_FIELDS):
    """`dladm show-link -p -o LINK,CLASS,MTU,STATE,BRIDGE,OVER`."""
    return parse_fields(text, fields)


def parse_show_phys(text, fields=PHYS_FIELDS):
    return parse_fields(text, fields)


def parse_show_etherstub(text):
    """Etherstub names from `dladm show-etherstub -p -o link`, plain `-p`, or the
    human form (a `LINK` header line, then one name per line)."""
    names = []
    for line in output_lines(text):
        name = line.strip()
        if name == "LINK":
            continue
        names.append(name)
    return names


def by_link(rows):
    """[{link: ...}] -> {link: row}."""
    return {row["link"]: row for row in rows}
