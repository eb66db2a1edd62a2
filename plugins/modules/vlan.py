#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vlan
short_description: Create and remove VLAN links on an illumos host
version_added: 0.1.0
description:
  - Ensures a VLAN link (C(dladm create-vlan)) that tags traffic with O(vid) on O(link) exists or not,
    through the Zoneweaver Agent API.
  - "The VLAN is identified by O(name) when you give one, otherwise by O(link) and O(vid) (a link carries at
    most one VLAN link per id). Without O(name) the agent derives the name: C(<driver><1000 * vid + instance>)
    (V(igb20000) for vid 20 on V(igb0)), or C(vlan<vid>) for links not named like that."
  - The id and link of a VLAN are chosen at creation. A VLAN that exists with other values is reported as a
    failure naming the actual and wanted values, unless O(recreate=true).
  - The module waits until the agent's VLAN list shows the change (within O(wait_timeout)) before it
    reports success.
  - Without an agent (O(backend=native)), runs C(dladm create-vlan) and C(dladm delete-vlan) on the host itself,
    naming a VLAN without O(name) as the agent does; nothing lags, so nothing is waited for.
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
  name:
    description:
      - Name of the VLAN link, such as V(web20). It must start with a letter and end in a digit (at most
        31 characters).
      - If not set, the VLAN is found by O(link) and O(vid), and created with the name the agent derives.
    type: str
  vid:
    description:
      - VLAN id, 1 to 4094. Required with O(state=present), and with O(state=absent) when O(name) is not set.
    type: int
  link:
    description:
      - The physical link (or aggregate) the VLAN tags traffic on, such as V(igb0).
      - Required with O(state=present), and with O(state=absent) when O(name) is not set.
    type: str
  state:
    description: V(present) creates the VLAN if needed and checks its id and link; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description: Create the VLAN even on a device without VLAN header support (C(dladm create-vlan -f)).
    type: bool
    default: false
  recreate:
    description:
      - When the named VLAN exists with another id or link, or another VLAN already tags O(vid) on O(link),
        delete it and create the VLAN the task describes.
      - With V(false), such a VLAN fails the task and is left alone.
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.vnic
  - module: zoneweaver.illumos.network_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: VLAN 20 on igb0, named by the agent
  zoneweaver.illumos.vlan:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    link: igb0
    vid: 20
  register: vlan20

- name: Show its name
  ansible.builtin.debug:
    msg: "{{ vlan20.vlan.name }}"

- name: A named VLAN
  zoneweaver.illumos.vlan:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    name: storage30
    link: igb1
    vid: 30

- name: Remove it
  zoneweaver.illumos.vlan:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    name: storage30
    state: absent
"""

RETURN = r"""
vlan:
  description:
    - The VLAN after the run, as the agent lists it.
    - Empty in check mode for a new VLAN, after removal, and with O(wait=false).
  returned: always
  type: dict
  sample: {name: igb20000, link: igb0, vid: 20, state: up, mtu: 1500}
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
tasks:
  description:
    - The agent tasks this run started, in order. With O(wait=false), follow them with
      M(zoneweaver.illumos.task_info).
    - Always empty with O(backend=native) (the commands run to completion).
  returned: always
  type: list
  elements: dict
  sample: [{step: create_vlan, task_id: 0b7c1c1e-6c1f-4d07-9a59-0d0c9a0a3a11}]
mismatches:
  description: On failure because the VLAN exists with another id or link, the actual and wanted values.
  returned: failure
  type: dict
  sample: {vid: {actual: 20, wanted: 30}}
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.vlan import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    name={"type": "str"},
    vid={"type": "int"},
    link={"type": "str"},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    force={"type": "bool", "default": False},
    recreate={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
