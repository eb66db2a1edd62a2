# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the parsers: escaped field splitting and unset markers."""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError


def output_lines(text):
    """Non-blank lines without their line ends (inner and leading spaces kept)."""
    return [line.rstrip("\r") for line in str(text or "").split("\n") if line.strip()]


def split_escaped(line, sep=":", escapable=":\\"):
    """Split on `sep`, honouring backslash escapes of the characters in `escapable`.

    libofmt (dladm, ipadm) escapes ':' and '\\' when several fields are printed;
    zoneadm escapes ':' in zonepaths. A backslash before any other character
    is kept as it is.
    """
    fields, buf = [], []
    index, size = 0, len(line)
    while index < size:
        char = line[index]
        if char == "\\" and index + 1 < size and line[index + 1] in escapable:
            buf.append(line[index + 1])
            index += 2
            continue
        if char == sep:
            fields.append("".join(buf))
            buf = []
        else:
            buf.append(char)
        index += 1
    fields.append("".join(buf))
    return fields


def unset(value, markers=("--",)):
    """None for a tool's "no value" marker (dladm '--', zfs '-'), else the value."""
    return None if value in markers else value


def to_int(value, tool, line, what):
    """An integer field, or None for an unset marker; ParseError for anything else."""
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ParseError("%s printed %r for %s, expected a number" % (tool, value, what), tool=tool, line=line)


def to_ratio(value):
    """zfs/zpool ratios: '1.00' (newer) or '1.00x' (older) -> 1.0."""
    if value is None:
        return None
    text = str(value).strip()
    if text.lower().endswith("x"):
        text = text[:-1]
    try:
        return float(text)
    except ValueError:
        return None


def parsable_rows(text, fields, tool):
    """libofmt -p output (fields joined by ':') -> list of dicts keyed by lower-cased field names.

    With a single field nothing is escaped, so the whole line is the value.
    '--' (unset) becomes None.
    """
    names = [f.lower() for f in fields]
    rows = []
    for line in output_lines(text):
        parts = [line] if len(names) == 1 else split_escaped(line)
        if len(parts) != len(names):
            raise ParseError("%s printed %d fields where %d (%s) were asked for"
                             % (tool, len(parts), len(names), ",".join(names)), tool=tool, line=line)
        rows.append({name: unset(value) for name, value in zip(names, parts)})
    return rows
