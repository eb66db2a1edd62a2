#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: nat_rule_info
short_description: Read the NAT rules and the IP Filter service of a host through a Zoneweaver Agent or natively
version_added: 0.1.0
description:
  - Returns the NAT rules configured in C(/etc/ipf/ipnat.conf) as the agent lists them (parsed, with their
    ids), the rules loaded in the kernel (the C(ipnat -l) text and a parsed list), and the state of the
    C(network/ipfilter) SMF service.
  - Each configured rule says whether it is loaded (RV(configured_rules[].active)), so a rule that is
    configured but not in effect stands out.
  - Two requests; the same endpoints serve both agent generations (0.2 and 0.3.x).
  - Without an agent (O(backend=native)), reads O(config_file), C(ipnat -l) and C(svcs) on the host itself.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.backend
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
options:
  bridge:
    description: Only rules on this outside interface, for example V(igb0).
    type: str
    aliases: [interface]
  config_file:
    description:
      - With O(backend=native), the IP Filter NAT configuration file to read. Defaults to C(/etc/ipf/ipnat.conf).
      - The agent reads its own file and ignores this option (with a warning).
    type: path
seealso:
  - module: zoneweaver.illumos.nat_rule
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Read NAT
  zoneweaver.illumos.nat_rule_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
  register: nat

- name: Every configured rule is in effect
  ansible.builtin.assert:
    that:
      - nat.service.state == 'online'
      - nat.configured_rules | rejectattr('active') | list | length == 0
    fail_msg: "{{ nat.active_rules_text }}"
"""

RETURN = r"""
configured_rules:
  description: The rules of ipnat.conf as the agent lists them, parsed from their text.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description:
        - The agent's uuid of the rule (what a delete needs; M(zoneweaver.illumos.nat_rule) finds it itself).
        - With the native backend, C(zw-) and a hash of the rule's text for a rule of the block
          M(zoneweaver.illumos.nat_rule) manages, or C(line:<n>) for a rule elsewhere in the file.
      type: str
    raw_rule:
      description: The line of ipnat.conf, whitespace-normalised, without its comment.
      type: str
    type:
      description: V(portmap), V(map), V(bimap), V(rdr), or the rule's first word for other kinds.
      type: str
    bridge:
      description: The interface.
      type: str
    subnet:
      description: The third word of the rule (the source network; for rdr the matched destination).
      type: str
    target:
      description: The word after C(->).
      type: str
    protocol:
      description: The portmap protocol (or the protocol of an rdr rule), null otherwise.
      type: str
    description:
      description: The rule's comment in ipnat.conf, if any.
      type: str
    created_by:
      description: The API key name (or V(system_import)) that created the rule; null with the native backend.
      type: str
    created_at:
      description: When the agent recorded the rule; null with the native backend.
      type: str
    active:
      description:
        - Whether a rule with the same content is loaded in the kernel.
        - Null when the agent could not run C(ipnat -l).
      type: bool
  sample:
    - id: 3f1e2d4c-5b6a-4789-9abc-def012345678
      raw_rule: map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto
      type: portmap
      bridge: igb0
      subnet: 10.190.190.0/24
      target: 0/32
      protocol: tcp/udp
      description: null
      created_by: ansible
      created_at: "2025-11-22T07:39:00.000Z"
      active: true
active_rules:
  description:
    - The rules loaded in the kernel, parsed from C(ipnat -l) (same keys as RV(configured_rules), without
      the agent's fields). Rules with ports also have C(match_port) and C(target_port).
  returned: always
  type: list
  elements: dict
  sample:
    - raw_rule: map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto
      type: portmap
      bridge: igb0
      subnet: 10.190.190.0/24
      target: 0.0.0.0/32
      protocol: tcp/udp
active_rules_text:
  description: The C(ipnat -l) output as the agent returned it; null when the agent could not run it.
  returned: always
  type: str
  sample: "List of active MAP/Redirect filters:\nmap igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto\n\nList of active sessions:"
active_sessions:
  description: The NAT session lines of C(ipnat -l), as they are.
  returned: always
  type: list
  elements: str
  sample: ["MAP 10.190.190.20 43183 <- -> 192.168.1.2 43183 [1.1.1.1 53]"]
config_file:
  description: The configuration file the agent writes (with the native backend, O(config_file)).
  returned: always
  type: str
  sample: /etc/ipf/ipnat.conf
service:
  description: The C(network/ipfilter) SMF service.
  returned: always
  type: dict
  contains:
    service:
      description: The service's name.
      type: str
    state:
      description: Its SMF state (V(online), V(disabled), V(maintenance), ... or V(unknown)).
      type: str
    since:
      description: When it entered that state, as C(svcs) shows it; null with the native backend.
      type: str
    raw:
      description: The C(svcs) line.
      type: str
  sample: {service: network/ipfilter, state: online, since: "10:21:04", raw: "online 10:21:04"}
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule_info import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    backend=True,
    bridge={"type": "str", "aliases": ["interface"]},
    config_file={"type": "path"},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
