# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`zfs list -H -p -o ...` and `zfs get -H -p -o name,property,value,source` (illumos-native.md 1.8).

-H: TAB separated, no header. -p: sizes in bytes, times in epoch seconds.
'-' means "not applicable" (a volume's mountpoint, a filesystem's volsize).
Ratios print as '1.00' or '1.00x' depending on the release.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import (
    output_lines, to_ratio, unset)

LIST_FIELDS = ("name", "used", "avail", "refer", "mountpoint", "type", "volsize")
# Properties that -p prints as plain integers (bytes, counts, epoch seconds).
NUMERIC = frozenset((
    "used", "avail", "available", "refer", "referenced", "volsize", "volblocksize", "recordsize", "quota",
    "refquota", "reservation", "refreservation", "usedbysnapshots", "usedbydataset", "usedbychildren",
    "usedbyrefreservation", "written", "logicalused", "logicalreferenced", "creation", "copies",
    "snapshot_count", "snapshot_limit", "filesystem_count", "filesystem_limit", "userrefs", "guid",
    "createtxg",
))
RATIOS = frozenset(("compressratio", "refcompressratio"))
INHERITED = "inherited from "


def typed_value(prop, value):
    """A -p value as data: ints for sizes, floats for ratios, None for '-'."""
    value = unset(value, ("-",))
    if value is None:
        return None
    if prop in RATIOS:
        return to_ratio(value)
    if prop in NUMERIC and value.isdigit():
        return int(value)
    return value


def _split(line, count, what):
    parts = line.split("\t")
    if len(parts) != count:
        raise ParseError("%s printed %d tab-separated fields, expected %d" % (what, len(parts), count),
                         tool="zfs", line=line)
    return parts


def parse_list(text, fields=LIST_FIELDS):
    """`zfs list -H -p -o FIELDS` -> list of dicts (typed)."""
    names = [f.lower() for f in fields]
    rows = []
    for line in output_lines(text):
        parts = _split(line, len(names), "zfs list -H")
        rows.append({name: (value if name == "name" else typed_value(name, value))
                     for name, value in zip(names, parts)})
    return rows


def parse_source(source):
    """'inherited from rpool/zones' -> ('inherited', 'rpool/zones'); '-' -> (None, None)."""
    if source is None or source == "-":
        return None, None
    if source.startswith(INHERITED):
        return "inherited", source[len(INHERITED):]
    return source, None


def parse_get(text):
    """`zfs get -H -p -o name,property,value,source` -> {dataset: {prop: {value, source, inherited_from}}}."""
    result = {}
    for line in output_lines(text):
        name, prop, value, source = _split(line, 4, "zfs get -H -o name,property,value,source")
        kind, origin = parse_source(source)
        result.setdefault(name, {})[prop] = {"value": typed_value(prop, value), "source": kind,
                                             "inherited_from": origin}
    return result


def local_properties(props):
    """Only the properties set on the dataset itself (local or received), as {prop: value}."""
    return {k: v["value"] for k, v in props.items() if v["source"] in ("local", "received")}


def parse_holds(text):
    """`zfs holds -H SNAPSHOT...` -> [{name, tag, timestamp}] (TAB separated; the timestamp is
    ctime-like text such as 'Wed Nov 22 07:52 2023', kept as printed) [mem: column order name, tag, timestamp]."""
    rows = []
    for line in output_lines(text):
        parts = line.split("\t")
        if len(parts) != 3:
            raise ParseError("zfs holds -H printed %d tab-separated fields, expected 3" % len(parts),
                             tool="zfs", line=line)
        rows.append({"name": parts[0], "tag": parts[1], "timestamp": parts[2]})
    return rows
