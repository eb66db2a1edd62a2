# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`routeadm -p` (illumos-native.md 1.7).

One line per option, then per variable:
    ipv4-forwarding persistent=enabled default=disabled current=enabled
    routing-svcs persistent="route:default ripng:default" default="route:default ripng:default"
Values with spaces are double-quoted; variable lines end with a space.
The order of the lines is [mem], so results are keyed by name.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import output_lines

_PAIR = re.compile(r'([A-Za-z][\w-]*)=("([^"]*)"|\S*)')
_NAME = re.compile(r"^[A-Za-z][\w.-]*$")


def parse(text):
    """-> {name: {persistent, default, current, ...}} (keys as printed)."""
    result = {}
    for line in output_lines(text):
        name, _sep, rest = line.strip().partition(" ")
        if not _NAME.match(name):
            raise ParseError("routeadm -p printed an unexpected line", tool="routeadm", line=line)
        pairs = {}
        consumed = _PAIR.sub("", rest).strip()
        if consumed:
            raise ParseError("routeadm -p printed %r, expected key=value pairs" % consumed, tool="routeadm", line=line)
        for match in _PAIR.finditer(rest):
            key, raw, quoted = match.group(1), match.group(2), match.group(3)
            pairs[key] = quoted if quoted is not None else raw
        result[name] = pairs
    return result


def forwarding(parsed, family="ipv4"):
    """{'persistent', 'current'} states of ipv4-/ipv6-forwarding as booleans (None when unknown).

    'persistent=default' means "use the default", so it resolves to the default column.
    """
    entry = parsed.get("%s-forwarding" % family)
    if entry is None:
        return {"persistent": None, "current": None}
    persistent = entry.get("persistent")
    if persistent == "default":
        persistent = entry.get("default")
    return {"persistent": _enabled(persistent), "current": _enabled(entry.get("current"))}


def _enabled(value):
    if value == "enabled":
        return True
    if value == "disabled":
        return False
    return None
