# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rule lines for the managed block in /etc/ipf/ipnat.conf (illumos-native.md 1.9).

The NAT resource renders each rule (resources/nat_rule.render_rule); this
module only checks that every line is one ipnat rule, so a block can never
carry something else into the file, and puts them in the block. The file
is then checked with `ipnat -n -f <tmp>` (files.atomic_write validate=).
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render.blocks import check_lines, render_block

CONFIG_FILE = "/etc/ipf/ipnat.conf"
VALIDATE = ["ipnat", "-n", "-f", "%s"]
# ipnat rule keywords [src ipnat.conf(5)]; rules are single lines.
_RULE = re.compile(r"^(map|map-block|bimap|rdr|rewrite)\s+\S+")


def check_rules(rules):
    lines = check_lines(rules, "ipnat rule")
    for line in lines:
        if not _RULE.match(line.strip()):
            raise InputError("ipnat rule %r must start with map, map-block, bimap, rdr or rewrite" % line)
    return [" ".join(line.split()) for line in lines]


def render(text, name, rules):
    """ipnat.conf text with block `name` holding `rules` (None removes the block)."""
    return render_block(text, name, None if rules is None else check_rules(rules))
