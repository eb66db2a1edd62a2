# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP Filter packet filter rules through the host's own /etc/ipf/ipf.conf (native only:
the Zoneweaver Agent has no filter rule API, only NAT rules).

The rules live in a managed block of ipf.conf between the lines
`# BEGIN zoneweaver.illumos managed ipfilter_rule` and `# END ...`, handled exactly
as NatDhcpNativeBackend handles ipnat.conf, whose machinery this class reuses:
the file is locked from the first read to the write (files.FileLock), changes stay
in memory until commit(), which writes the file atomically after `ipf -n -f <tmp>`
accepted it (files.atomic_write), keeps an optional backup, and only when the
content changed reloads IP Filter (`svcadm refresh network/ipfilter`, whose method
reloads ipf.conf as well as ipnat.conf [OMNIDOC-IPF, svc method]; enable when it
is disabled, clear when in maintenance). Check mode writes nothing and runs no
mutating command, yet reports the same plan and diff.

Rules outside the block count as configured (a rule written by hand is not added
again), but removing one of them is refused, naming its line.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.nat_dhcp import NatDhcpNativeBackend
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import blocks
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import ipf as ipf_render

IPF_CONF = ipf_render.CONFIG_FILE
FILTER_BLOCK = "ipfilter_rule"


class IpfRuleNativeBackend(NatDhcpNativeBackend):
    """Filter rules in a managed block of ipf.conf (ipf_conf: the file, default /etc/ipf/ipf.conf)."""

    def __init__(self, runner, warn=None, ipf_conf=None, backup=False, locking=False, which=None):
        super().__init__(runner, warn=warn, backup=backup, read_active=False, which=which, locking=locking)
        self.ipf_conf = ipf_conf or IPF_CONF

    def _validate_command(self, path):
        return ipf_render.VALIDATE

    def _reload(self, written):
        if self.ipf_conf in written:
            self._reload_ipfilter(self.ipf_conf)

    # ------------------------------------------------------------------ rules
    def rules(self):
        """Every rule line of the file: [{rule, key, managed, line}] (blank and comment lines skipped)."""
        rows = []
        # damaged markers fail here, before anything is planned
        for number, line, inside in blocks.numbered_lines(self._text(self.ipf_conf), FILTER_BLOCK):
            rule = ipf_render.normalise(line)
            if rule:
                rows.append({"rule": rule, "key": ipf_render.rule_key(rule), "managed": inside, "line": number})
        return rows

    def _block_rules(self):
        return [ipf_render.normalise(line) for line in blocks.find_block(self._text(self.ipf_conf), FILTER_BLOCK) or ()
                if ipf_render.normalise(line)]

    def _set_rules(self, rules):
        text = ipf_render.render(self._text(self.ipf_conf), FILTER_BLOCK, rules or None)
        self._set_text(self.ipf_conf, FILTER_BLOCK, text)

    def add_rule(self, line):
        """Append `line` to the block unless the file already has that rule. True when planned."""
        key = ipf_render.rule_key(line)
        if any(row["key"] == key for row in self.rules()):
            return False
        self._set_rules(self._block_rules() + [ipf_render.normalise(line)])
        return True

    def remove_rule(self, line):
        """Take every copy of `line` out of the block. A copy outside the block stops the removal
        before anything changes. True when planned."""
        key = ipf_render.rule_key(line)
        rows = [row for row in self.rules() if row["key"] == key]
        outside = [row for row in rows if not row["managed"]]
        if outside:
            raise ConflictError("ipf rule %r is on line %d of %s, outside the block zoneweaver.illumos manages, "
                                "so it is left alone" % (outside[0]["rule"], outside[0]["line"], self.ipf_conf),
                                hint="remove that line by hand (this module changes only the lines between its "
                                     "'# BEGIN %s %s' and '# END' markers)" % (blocks.MARKER, FILTER_BLOCK))
        if not rows:
            return False
        self._set_rules([rule for rule in self._block_rules() if ipf_render.rule_key(rule) != key])
        return True
