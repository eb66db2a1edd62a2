# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`zoneadm list -cp` and `zoneadm -z Z list -p` (illumos-native.md 1.1).

Fields: zoneid:zonename:state:zonepath:uuid:brand:ip-type[:debugid...].
The man page promises more fields may follow, so only the first seven are
required; OmniOS prints an 8th (debug id), Solaris 11.4 eleven.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import (
    output_lines, split_escaped)

# zoneadm's state strings, in lifecycle order [src libzonecfg zone_state_str].
STATES = ("configured", "incomplete", "installed", "ready", "mounted", "running", "shutting_down", "down")
IP_TYPES = ("excl", "shared")


def _zoneid(value, line):
    if value == "-":
        return None
    if not value.isdigit():
        raise ParseError("zoneadm printed zone id %r, expected a number or '-'" % value, tool="zoneadm", line=line)
    return int(value)


def parse_line(line):
    """One `list -p` line -> {zoneid, name, state, zonepath, uuid, brand, ip_type, debugid}."""
    # Only ':' is escaped (in zonepaths) [src zoneadm.c]; a backslash elsewhere is literal.
    fields = split_escaped(line, escapable=":")
    if len(fields) < 7:
        raise ParseError("zoneadm list -p printed %d fields, expected at least 7" % len(fields),
                         tool="zoneadm", line=line)
    zoneid, name, state, zonepath, uuid, brand, ip_type = fields[:7]
    if state not in STATES:
        # Unknown states are passed through: a newer release may add one, and
        # refusing would make every zone unmanageable.
        state = state or None
    debugid = None
    if len(fields) > 7 and fields[7].isdigit():
        debugid = int(fields[7])
    return {
        "zoneid": _zoneid(zoneid, line),
        "name": name,
        "state": state,
        "zonepath": zonepath,
        "uuid": uuid or None,
        "brand": brand,
        "ip_type": ip_type,
        "debugid": debugid,
    }


def parse_list(text):
    """`zoneadm list -cp` text -> list of zone dicts, in zoneadm's order."""
    return [parse_line(line) for line in output_lines(text)]


def parse_zones(text, include_global=False):
    """`zoneadm list -cp` text -> {name: zone dict}, the global zone left out unless asked."""
    return {z["name"]: z for z in parse_list(text) if include_global or z["name"] != "global"}


def state_at_least(state, minimum):
    """zoneadm's ordering: e.g. state_at_least('running', 'installed') is True."""
    if state not in STATES or minimum not in STATES:
        return False
    return STATES.index(state) >= STATES.index(minimum)
