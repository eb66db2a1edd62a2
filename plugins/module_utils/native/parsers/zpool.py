# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`zpool list -H -p` and `zpool get` (illumos-native.md 1.8).

Default columns: name,size,allocated,free,checkpoint,expandsize,fragmentation,
capacity,dedupratio,health,altroot. With -p, capacity and fragmentation have
no '%', checkpoint/expandsize print '-' when zero, fragmentation '-' when
unknown, and dedupratio is '1.00' or '1.00x' depending on the release.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import (
    output_lines, to_ratio, unset)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.zfs import parse_source

LIST_FIELDS = ("name", "size", "allocated", "free", "checkpoint", "expandsize", "fragmentation", "capacity",
               "dedupratio", "health", "altroot")
NUMERIC = frozenset(("size", "allocated", "free", "checkpoint", "expandsize", "fragmentation", "capacity",
                     "freeing", "leaked", "guid"))
# '-' for these is "zero" in -p output, not "unknown".
ZERO_WHEN_DASH = frozenset(("checkpoint", "expandsize"))


def typed_value(prop, value):
    value = value.strip() if isinstance(value, str) else value
    if value == "-":
        return 0 if prop in ZERO_WHEN_DASH else None
    if prop == "dedupratio":
        return to_ratio(value)
    if prop in NUMERIC:
        text = value.rstrip("%")
        return int(text) if text.isdigit() else value
    return unset(value, ("-",))


def parse_list(text, fields=LIST_FIELDS):
    """`zpool list -H -p [-o FIELDS]` -> list of dicts (typed)."""
    names = [f.lower() for f in fields]
    rows = []
    for line in output_lines(text):
        parts = line.split("\t")
        if len(parts) != len(names):
            raise ParseError("zpool list -H printed %d fields, expected %d" % (len(parts), len(names)),
                             tool="zpool", line=line)
        rows.append({name: (value if name == "name" else typed_value(name, value))
                     for name, value in zip(names, parts)})
    return rows


def parse_get(text):
    """`zpool get -H -p -o name,property,value,source` -> {pool: {prop: {value, source}}}."""
    result = {}
    for line in output_lines(text):
        parts = line.split("\t")
        if len(parts) != 4:
            raise ParseError("zpool get -H printed %d fields, expected 4" % len(parts), tool="zpool", line=line)
        name, prop, value, source = parts
        kind, origin = parse_source(source)
        result.setdefault(name, {})[prop] = {"value": typed_value(prop, value), "source": kind,
                                             "inherited_from": origin}
    return result


def parse_version(text):
    """`zpool get version POOL` (human form with header) -> int, or None for a
    feature-flags pool (value '-')."""
    for line in output_lines(text):
        parts = line.split()
        if parts[:2] == ["NAME", "PROPERTY"]:
            continue
        if len(parts) < 3 or parts[1] != "version":
            raise ParseError("zpool get version printed an unexpected line", tool="zpool", line=line)
        return int(parts[2]) if parts[2].isdigit() else None
    raise ParseError("zpool get version printed no value", tool="zpool")
