#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ip_forwarding
short_description: Enable or disable IP forwarding on an illumos host
version_added: 0.1.0
description:
  - Sets global IPv4 forwarding (C(routeadm)) and the IPv4 forwarding of single IP interfaces
    (C(ipadm set-ifprop -p forwarding)), through the Zoneweaver Agent API.
  - Only what you set is compared; interfaces you do not list are left alone.
  - A setting counts as enabled when its current value is on and its persistent value (when the host
    reports one) agrees; otherwise it is set again, which also makes it persistent.
  - The agent turns global IPv4 forwarding off whenever it turns an interface's forwarding off. When
    global forwarding should stay on, the module turns it on again right after, and warns about it.
  - Without an agent (O(backend=native)), runs C(routeadm -u -e|-d ipv4-forwarding|ipv6-forwarding) and
    C(ipadm set-ifprop -p forwarding=on|off -m ipv4) on the host itself, each setting on its own; IPv6
    forwarding can then be changed too. An interface without IP is refused before anything is changed.
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
  ipv4:
    description: Global IPv4 forwarding.
    type: bool
  ipv6:
    description:
      - Global IPv6 forwarding, compared only. The agent API cannot change it, so a task that wants
        another value than the host's fails and says how to change it on the host.
    type: bool
  interfaces:
    description: IPv4 forwarding of single IP interfaces.
    type: list
    elements: dict
    suboptions:
      name:
        description: The IP interface, such as V(igb0) or V(provisioning0).
        type: str
        required: true
      enabled:
        description: Whether the interface forwards IPv4 packets.
        type: bool
        default: true
seealso:
  - module: zoneweaver.illumos.ip_address
  - module: zoneweaver.illumos.network_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Route between the zones' private network and the uplink
  zoneweaver.illumos.ip_forwarding:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    ipv4: true
    interfaces:
      - name: igb0
      - name: provisioning0

- name: Stop forwarding on one interface, keep it on globally
  zoneweaver.illumos.ip_forwarding:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    ipv4: true
    interfaces:
      - name: provisioning0
        enabled: false
"""

RETURN = r"""
forwarding:
  description:
    - Forwarding after the run. V(null) stands for a value the host reports as unknown, or whose current
      and persistent values disagree.
    - Empty with O(wait=false) when something was changed.
  returned: always
  type: dict
  sample:
    ipv4: true
    ipv6: false
    interfaces: [{name: igb0, enabled: true}, {name: provisioning0, enabled: true}]
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [enable IPv4 forwarding, enable forwarding on igb0, provisioning0]
tasks:
  description:
    - The agent tasks this run started, in order. With O(wait=false), follow them with
      M(zoneweaver.illumos.task_info).
    - Always empty with O(backend=native) (the commands run to completion).
  returned: always
  type: list
  elements: dict
  sample: [{step: configure_forwarding, task_id: 0b7c1c1e-6c1f-4d07-9a59-0d0c9a0a3a11}]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.ip_forwarding import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    ipv4={"type": "bool"},
    ipv6={"type": "bool"},
    interfaces={"type": "list", "elements": "dict", "options": {
        "name": {"type": "str", "required": True},
        "enabled": {"type": "bool", "default": True},
    }},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
