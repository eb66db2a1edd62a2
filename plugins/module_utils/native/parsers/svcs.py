# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`svcs -H -o state,fmri PATTERN` and `svcs -Ho state FMRI` (illumos-native.md 1.11).

Columns are padded with spaces, so each line is split on whitespace once.
A trailing '*' on the state marks a transition in progress (e.g. 'offline*')
[mem]; it is stripped and reported as `transitioning`.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import output_lines

STATES = ("online", "offline", "disabled", "maintenance", "degraded", "uninitialized", "legacy_run")


def _state(word, line):
    transitioning = word.endswith("*")
    state = word.rstrip("*")
    if not state:
        raise ParseError("svcs printed an empty state", tool="svcs", line=line)
    return state, transitioning


def parse_states(text):
    """`svcs -H -o state,fmri` -> [{state, fmri, transitioning}]."""
    rows = []
    for line in output_lines(text):
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise ParseError("svcs -H -o state,fmri printed a line without an FMRI", tool="svcs", line=line)
        state, transitioning = _state(parts[0], line)
        rows.append({"state": state, "fmri": parts[1].strip(), "transitioning": transitioning})
    return rows


def parse_state(text):
    """`svcs -Ho state FMRI` -> (state, transitioning) for exactly one instance."""
    lines = output_lines(text)
    if len(lines) != 1:
        raise ParseError("svcs -Ho state printed %d lines; the pattern must name exactly one instance" % len(lines),
                         tool="svcs", line="\n".join(lines))
    return _state(lines[0].strip(), lines[0])
