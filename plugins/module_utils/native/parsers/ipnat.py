# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`ipnat -l` (illumos-native.md 1.9).

Empty output is exactly [tool GURP]:
    List of active MAP/Redirect filters:
    <blank>
    List of active sessions:
With rules, one normalised rule per line before the blank line; sessions
after the second header. How ipnat normalises a rule (e.g. `0/32` printed
as `0.0.0.0/32`) and the session line format are [mem]: the lines are
returned as printed, with runs of whitespace collapsed, and comparing them
with configured rules is the NAT resource's job (resources/nat_rule.py rule_key).
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError

RULES_HEADER = "List of active MAP/Redirect filters:"
SESSIONS_HEADER = "List of active sessions:"


def parse_list(text):
    """-> {'rules': [line, ...], 'sessions': [line, ...]}; ParseError without the headers."""
    rules, sessions = [], []
    section = None
    for raw in str(text or "").splitlines():
        line = " ".join(raw.split())
        if line.lower() == RULES_HEADER.lower():
            section = rules
        elif line.lower() == SESSIONS_HEADER.lower():
            section = sessions
        elif not line:
            continue
        elif section is None:
            raise ParseError("ipnat -l printed text before its rules header", tool="ipnat", line=raw)
        else:
            section.append(line)
    if section is None:
        raise ParseError("ipnat -l printed no '%s' header" % RULES_HEADER, tool="ipnat", line=text)
    return {"rules": rules, "sessions": sessions}
