# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Managed blocks in shared config files (/etc/ipf/ipnat.conf, /etc/dhcpd.conf).

    # BEGIN zoneweaver.illumos managed <name>
    ...lines this collection owns...
    # END zoneweaver.illumos managed <name>

Every line outside the block is kept byte for byte (line ends included), so
rules written by hand, by vagrant-zones or by the agent survive. Rendering
the same content twice gives the same text. Damaged markers (a BEGIN without
its END, a block twice) raise instead of guessing which lines are ours.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError

MARKER = "zoneweaver.illumos managed"
BEGIN = "# BEGIN %s %%s" % MARKER
END = "# END %s %%s" % MARKER
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]{0,127}$")
_ANY_MARKER = re.compile(r"^#\s*(BEGIN|END)\s+%s(\s|$)" % re.escape(MARKER))


def check_name(name):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InputError("invalid managed block name %r: letters, digits and _.:@- (at most 128)" % (name,))
    return name


def check_lines(lines, what="managed block line"):
    """Content lines: a list of strings or one text. Refuses line breaks inside a
    line and lines that look like our markers (they would cut the block short)."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    checked = []
    for line in lines:
        text = str(line)
        if "\n" in text or "\r" in text or "\x00" in text:
            raise InputError("%s %r contains a line break" % (what, text))
        if _ANY_MARKER.match(text.strip()):
            raise InputError("%s %r looks like a zoneweaver.illumos block marker" % (what, text))
        checked.append(text.rstrip())
    return checked


def _locate(lines, name):
    """(begin index, end index) of block `name` in keepends-lines, or None."""
    begin, end = BEGIN % name, END % name
    starts = [i for i, line in enumerate(lines) if line.rstrip("\r\n").rstrip() == begin]
    ends = [i for i, line in enumerate(lines) if line.rstrip("\r\n").rstrip() == end]
    if not starts and not ends:
        return None
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ParseError("the managed block %r has damaged markers (%d BEGIN, %d END lines)"
                         % (name, len(starts), len(ends)), tool="blocks",
                         hint="fix the file by hand: keep exactly one BEGIN and one END line for it")
    return starts[0], ends[0]


def find_block(text, name):
    """The block's content lines, or None when the file has no such block."""
    lines = str(text or "").splitlines(True)
    found = _locate(lines, check_name(name))
    if found is None:
        return None
    return [line.rstrip("\r\n") for line in lines[found[0] + 1:found[1]]]


def numbered_lines(text, name):
    """(line number, line, inside) for every line of the text but the markers of block `name`;
    `inside` says whether the line is in that block. Damaged markers raise, as in find_block."""
    lines = str(text or "").splitlines()
    found = _locate(lines, check_name(name))
    for index, line in enumerate(lines):
        if found is None or index not in found:
            yield index + 1, line, found is not None and found[0] < index < found[1]


def block_names(text):
    """Names of all managed blocks in the text, in file order."""
    prefix = "# BEGIN %s " % MARKER
    return [line.strip()[len(prefix):] for line in str(text or "").splitlines() if line.strip().startswith(prefix)]


def render_block(text, name, content):
    """The file text with block `name` holding `content` (None removes the block).

    An existing block is replaced in place; a new one is appended at the end.
    """
    check_name(name)
    lines = str(text or "").splitlines(True)
    found = _locate(lines, name)
    if content is None:
        if found is None:
            return str(text or "")
        return "".join(lines[:found[0]] + lines[found[1] + 1:])
    body = [line + "\n" for line in check_lines(content)]
    block = [BEGIN % name + "\n"] + body + [END % name + "\n"]
    if found is not None:
        return "".join(lines[:found[0]] + block + lines[found[1] + 1:])
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines + block)
