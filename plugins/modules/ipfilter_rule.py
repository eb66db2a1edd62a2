#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipfilter_rule
short_description: Add and remove IP Filter packet filter rules (ipf.conf) on an illumos host
version_added: 0.1.0
description:
  - Ensures one packet filter rule is configured, or not, in the host's C(/etc/ipf/ipf.conf).
  - Runs on the host itself (no Zoneweaver Agent involved; the agent has no filter rule API). Writing the file and
    reloading IP Filter need root (C(become)).
  - The module keeps its rules in a block of O(config_file) between the lines
    C(# BEGIN zoneweaver.illumos managed ipfilter_rule) and C(# END zoneweaver.illumos managed ipfilter_rule),
    appended at the end of the file when it is first needed. Every other line of the file is left as it is;
    a rule outside the block counts as configured (it is not added again), but removing one of them is refused,
    naming its line.
  - A rule is identified by its content (comment dropped, whitespace ignored), so a second run with the
    same options reports no change.
  - The new file is checked with C(ipf -n -f) and replaced atomically (owner and mode kept). Only when its content
    changed IP Filter is reloaded with C(svcadm refresh network/ipfilter) (its method reloads C(ipf.conf)), enabled
    with C(svcadm enable) when it is disabled (the rule has no effect otherwise), or cleared from maintenance.
  - Give the rule either whole (O(rule)) or by its parts (O(action), O(direction) and the options after them).
extends_documentation_fragment:
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
    details: Check mode reads the file and runs only C(svcs); the diff shows the managed block it would write.
  diff_mode:
    support: full
options:
  rule:
    description:
      - A whole ipf.conf rule line, for example V(block in log quick on igb0 proto tcp from any to any port = 23).
      - It must start with an ipf rule keyword (V(block), V(pass), V(log), V(count), ...); the whole new file is
        checked with C(ipf -n -f) before it is written, so a rule ipf refuses changes nothing.
      - Mutually exclusive with O(action), O(direction), O(quick), O(interface), O(protocol), O(source),
        O(destination), O(port) and O(keep_state).
    type: str
  action:
    description: V(block) drops matching packets, V(pass) lets them through. Required without O(rule).
    type: str
    choices: [block, pass]
  direction:
    description:
      - V(in) matches packets the host receives (on O(interface)), V(out) packets it sends. Required without
        O(rule).
      - Traffic a host routes for its zones is seen twice, V(in) on the interface it arrives on and V(out) on
        the one it leaves by.
    type: str
    choices: [in, out]
  quick:
    description:
      - Stop at this rule when it matches (C(quick)). Without it, the last matching rule of the file decides.
    type: bool
    default: false
  interface:
    description: Match only packets on this interface (C(on <interface>)), a link name such as V(igb0).
    type: str
  protocol:
    description:
      - Match only this protocol (C(proto <protocol>)), for example V(tcp), V(udp), V(tcp/udp), V(icmp) or a number.
    type: str
  source:
    description: The source (C(from ...)), V(any), an IPv4 address or an IPv4 network such as V(10.190.190.0/24).
    type: str
    default: any
  destination:
    description: The destination (C(to ...)), V(any), an IPv4 address or an IPv4 network.
    type: str
    default: any
  port:
    description: Match only this destination port (C(port = <port>)); needs O(protocol) V(tcp), V(udp) or V(tcp/udp).
    type: int
  keep_state:
    description:
      - Keep state (C(keep state)) for packets this rule passes, so their replies pass too whatever the other
        rules say.
    type: bool
    default: false
  state:
    description:
      - V(present) adds the rule to the managed block unless the file already has it.
      - V(absent) removes every copy of it from the managed block.
    type: str
    choices: [present, absent]
    default: present
  config_file:
    description:
      - The IP Filter rules file to manage; it must be the one C(network/ipfilter) loads.
        Defaults to C(/etc/ipf/ipf.conf).
    type: path
  backup:
    description: Keep a copy of O(config_file) as C(<file>.<timestamp>) before it is replaced.
    type: bool
    default: false
notes:
  - Rules apply to the IP stack of the host the module runs on (the global zone). A zone with an exclusive IP
    stack routed through the host is filtered by the host's rules for what it sends through the host.
  - IPv4 only (C(ipf.conf)); IPv6 rules live in C(ipf6.conf), which this module does not manage.
seealso:
  - module: zoneweaver.illumos.nat_rule
  - module: zoneweaver.illumos.smf_service
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: A zone may answer, but not open connections itself
  zoneweaver.illumos.ipfilter_rule:
    action: block
    direction: in
    quick: true
    source: 10.190.190.20
  become: true

- name: Let the zone's replies through (state kept for traffic to it)
  zoneweaver.illumos.ipfilter_rule:
    action: pass
    direction: out
    quick: true
    destination: 10.190.190.20
    keep_state: true
  become: true

- name: A rule written out whole, with a backup of the file
  zoneweaver.illumos.ipfilter_rule:
    rule: block in log quick on igb0 proto tcp from any to any port = 23
    backup: true
  become: true

- name: Remove it again
  zoneweaver.illumos.ipfilter_rule:
    rule: block in log quick on igb0 proto tcp from any to any port = 23
    state: absent
  become: true
"""

RETURN = r"""
rule:
  description:
    - The rule as O(config_file) holds it after the run (as it will in check mode); empty after removal.
  returned: always
  type: dict
  contains:
    rule:
      description: The rule line, whitespace-normalised, without its comment.
      type: str
      sample: block in quick from 10.190.190.20 to any
    managed:
      description: Whether the line is in the module's managed block (false for a rule written by hand).
      type: bool
      sample: true
    line:
      description: Its line number in the file (null in check mode for a rule not yet written).
      type: int
      sample: 12
    action:
      description: The rule's first word (V(block), V(pass), ...).
      type: str
      sample: block
    direction:
      description: V(in) or V(out).
      type: str
      sample: in
    quick:
      description: Whether the rule has C(quick).
      type: bool
      sample: true
    interface:
      description: The interface of C(on ...), if any.
      type: str
      sample: null
    protocol:
      description: The protocol of C(proto ...), if any.
      type: str
      sample: null
    source:
      description: The source of C(from ...).
      type: str
      sample: 10.190.190.20
    destination:
      description: The destination of C(to ...).
      type: str
      sample: any
    port:
      description: The destination port of C(port = N), if any.
      type: int
      sample: null
    keep_state:
      description: Whether the rule keeps state.
      type: bool
      sample: false
config_file:
  description: The file managed.
  returned: always
  type: str
  sample: /etc/ipf/ipf.conf
actions:
  description: What was done (or would be done in check mode), followed by the service commands run after the file
    changed.
  returned: always
  type: list
  elements: str
  sample: ["add block in quick from 10.190.190.20 to any", "svcadm refresh network/ipfilter"]
backup_file:
  description: The copy of O(config_file) made before it was replaced (O(backup=true)).
  returned: when a backup was made
  type: str
  sample: /etc/ipf/ipf.conf.20251122T073900
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.ipfilter_rule import run as RUNNER

ARGUMENT_SPEC = {
    "rule": {"type": "str"},
    "action": {"type": "str", "choices": ["block", "pass"]},
    "direction": {"type": "str", "choices": ["in", "out"]},
    "quick": {"type": "bool", "default": False},
    "interface": {"type": "str"},
    "protocol": {"type": "str"},
    "source": {"type": "str", "default": "any"},
    "destination": {"type": "str", "default": "any"},
    "port": {"type": "int"},
    "keep_state": {"type": "bool", "default": False},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "config_file": {"type": "path"},
    "backup": {"type": "bool", "default": False},
}


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
