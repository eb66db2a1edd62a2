#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: nat_rule
short_description: Add and remove IP Filter NAT rules (ipnat.conf) through a Zoneweaver Agent or natively
version_added: 0.1.0
description:
  - Ensures one NAT rule is configured, or not, in the host's C(/etc/ipf/ipnat.conf), through the
    Zoneweaver Agent, which reloads IP Filter after each change.
  - A rule is identified by its content, not by an id. The module renders the line the agent writes
    (for example C(map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto)) and compares it with the
    agent's configured rules, ignoring whitespace; V(0/32) equals V(0.0.0.0/32) and a bare address
    equals its V(/32). A rule already listed is left alone, so a second run reports no change.
  - Removal finds the rule's id itself, in a fresh read just before the delete; a rule that someone else
    removed in the meantime is not an error.
  - The same endpoints serve both agent generations (0.2 and 0.3.x).
  - Without an agent (O(backend=native)), the module keeps its rules in a block of O(config_file) between the
    lines C(# BEGIN zoneweaver.illumos managed nat_rule) and C(# END zoneweaver.illumos managed nat_rule). Every
    other line of the file is left as it is; rules outside the block count as configured (a rule written by hand
    is not added again), but removing one of them is refused, naming its line.
  - Natively, the new file is checked with C(ipnat -n -f) and replaced atomically (owner and mode kept), and only
    when its content changed IP Filter is reloaded, C(svcadm refresh network/ipfilter), or enabled with
    C(svcadm enable) when it is disabled (as the agent does; NAT needs IP Filter), or cleared from maintenance.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.wait
  - zoneweaver.illumos.agent.backend
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  bridge:
    description:
      - The outside interface the rule applies to, a link name such as V(igb0) or V(vioif0).
    type: str
    required: true
    aliases: [interface]
  subnet:
    description:
      - The addresses to translate, as an IPv4 network with its prefix length, for example
        V(10.190.190.0/24). An address without prefix, or with host bits set, is refused.
      - For O(type=rdr), the destination the redirection matches, for example V(0.0.0.0/0).
    type: str
    required: true
  target:
    description:
      - What the addresses are translated to. V(0/32), the default, is the outside interface's own
        address. Otherwise an IPv4 address (V(203.0.113.5)) or network (V(203.0.113.0/28)).
    type: str
    default: 0/32
  protocol:
    description:
      - Ports of which protocols a V(portmap) rule rewrites. Defaults to V(tcp/udp) for O(type=portmap).
      - Only for O(type=portmap); the agent writes V(bimap) and V(rdr) rules without a protocol, so setting
        it for them is refused.
    type: str
    choices: [tcp/udp, tcp, udp]
  type:
    description:
      - V(portmap) writes C(map <bridge> <subnet> -> <target> portmap <protocol> auto), the usual
        outbound NAT for zones on a private network.
      - V(bimap) writes C(bimap <bridge> <subnet> -> <target>), a one-to-one mapping in both directions.
      - V(rdr) writes C(rdr <bridge> <subnet> -> <target>). The agent takes no ports for a redirection,
        so port forwarding (C(port 80 -> ... port 8080)) cannot be expressed through it.
    type: str
    choices: [portmap, bimap, rdr]
    default: portmap
  description:
    description:
      - A note sent with a new rule.
      - Agents up to 0.3.9 do not store it (a rule's description comes only from a C(#) comment in
        ipnat.conf), so it is never compared and never makes a change. The native backend does not store it either.
    type: str
  state:
    description:
      - V(present) adds the rule unless the agent already lists one with the same content.
      - V(absent) removes every configured rule with that content.
    type: str
    choices: [present, absent]
    default: present
  config_file:
    description:
      - With O(backend=native), the IP Filter NAT configuration file to manage; it must be the file
        C(network/ipfilter) loads (its C(config/ipnat_config_file) property). Defaults to C(/etc/ipf/ipnat.conf).
      - The agent writes its own file and ignores this option (with a warning).
    type: path
  backup:
    description:
      - With O(backend=native), keep a copy of O(config_file) as C(<file>.<timestamp>) before it is replaced.
      - The agent ignores this option (with a warning).
    type: bool
    default: false
notes:
  - Rules are written to the configuration file and IP Filter is reloaded by the agent; whether a rule
    is loaded in the kernel is shown by M(zoneweaver.illumos.nat_rule_info) (RV(zoneweaver.illumos.nat_rule_info#module:configured_rules[].active)).
  - Forwarding between the interfaces must be enabled separately for NAT to route traffic.
seealso:
  - module: zoneweaver.illumos.nat_rule_info
  - module: zoneweaver.illumos.dhcp_subnet
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Outbound NAT for the zones' private network
  zoneweaver.illumos.nat_rule:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    bridge: igb0
    subnet: 10.190.190.0/24

- name: Only TCP, through another outside address
  zoneweaver.illumos.nat_rule:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    bridge: igb0
    subnet: 10.190.191.0/24
    target: 203.0.113.10/32
    protocol: tcp

- name: A public address for one zone, both ways
  zoneweaver.illumos.nat_rule:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    bridge: igb0
    type: bimap
    subnet: 10.190.190.20/32
    target: 203.0.113.20/32

- name: Without an agent, on the host itself (managed block of /etc/ipf/ipnat.conf)
  zoneweaver.illumos.nat_rule:
    backend: native
    bridge: igb0
    subnet: 10.190.190.0/24
    backup: true
  become: true

- name: Remove the outbound rule (found by its content)
  zoneweaver.illumos.nat_rule:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    bridge: igb0
    subnet: 10.190.190.0/24
    state: absent
"""

RETURN = r"""
rule:
  description:
    - The rule as the agent lists it after the run, with its id.
    - With the native backend, as O(config_file) holds it after the run.
    - In check mode, and with O(wait=false), a new rule as it will be written, with RV(rule.id) null.
    - Empty after removal.
  returned: always
  type: dict
  contains:
    id:
      description:
        - The agent's uuid of the rule.
        - With the native backend, C(zw-) and a hash of the rule's text for a rule of the managed block, or
          C(line:<n>) for a rule elsewhere in the file.
      type: str
      sample: 3f1e2d4c-5b6a-4789-9abc-def012345678
    raw_rule:
      description: The line of ipnat.conf, whitespace-normalised.
      type: str
      sample: map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto
    type:
      description: V(portmap), V(map) (a map without portmap, written by hand), V(bimap) or V(rdr).
      type: str
      sample: portmap
    bridge:
      description: The outside interface.
      type: str
      sample: igb0
    subnet:
      description: The source network (or, for rdr, the matched destination) as written.
      type: str
      sample: 10.190.190.0/24
    target:
      description: The translated address as written.
      type: str
      sample: 0/32
    protocol:
      description: The portmap protocol, null for other types.
      type: str
      sample: tcp/udp
    description:
      description: The rule's comment in ipnat.conf, if any.
      type: str
      sample: null
    created_by:
      description: The API key name (or V(system_import)) that created the rule.
      type: str
      sample: ansible
    created_at:
      description: When the agent recorded the rule.
      type: str
      sample: "2025-11-22T07:39:00.000Z"
actions:
  description:
    - What was done (or would be done in check mode), in order.
    - With the native backend, followed by the service commands run after the file changed.
  returned: always
  type: list
  elements: str
  sample: ["create map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto", "svcadm refresh network/ipfilter"]
backup_file:
  description: The copy of O(config_file) made before it was replaced (native backend, O(backup=true)).
  returned: when a backup was made
  type: str
  sample: /etc/ipf/ipnat.conf.20251122T073900
task_ids:
  description: The agent tasks queued, when O(wait=false) and a change was sent.
  returned: when O(wait=false) and changed
  type: list
  elements: str
  sample: [0b7e3c58-2f44-4c1f-9a3e-0e1d2c3b4a59]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    bridge={"type": "str", "required": True, "aliases": ["interface"]},
    subnet={"type": "str", "required": True},
    target={"type": "str", "default": "0/32"},
    protocol={"type": "str", "choices": ["tcp/udp", "tcp", "udp"]},
    type={"type": "str", "default": "portmap", "choices": ["portmap", "bimap", "rdr"]},
    description={"type": "str"},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    config_file={"type": "path"},
    backup={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
