#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vnic
short_description: Create, check and remove VNICs on an illumos host
version_added: 0.1.0
description:
  - Ensures a VNIC (a virtual NIC, C(dladm create-vnic)) exists over a physical link, an etherstub or an
    aggregate, with the VLAN id, MAC address and link properties you give, through the Zoneweaver Agent API.
  - Only the options you set are compared with the VNIC, after normalisation (MAC addresses compare case-
    and zero-insensitively, V(100M) equals V(100) for C(maxbw)), so a second identical run reports no change.
  - The link, VLAN id and a fixed MAC address are chosen at creation. A VNIC that exists with other values is
    reported as a failure naming the actual and wanted values, unless O(recreate=true).
  - Link properties are changed in place.
  - The agent lists VNICs from a monitoring database that lags behind its tasks by about 10 seconds; the
    module waits until the list shows the change (within O(wait_timeout)) before it reports success.
  - Without an agent (O(backend=native)), runs C(dladm create-vnic), C(dladm delete-vnic) and
    C(dladm set-linkprop) on the host itself; nothing lags, so nothing is waited for. A missing link, a name
    taken by a link of another class, or the removal of a VNIC that a zone holds or that carries an IP interface
    is refused before anything is changed (in check mode a missing link is only a warning, since an earlier
    task may create it).
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
      - Name of the VNIC. It must start with a letter and end in a digit, with letters, digits and C(_)
        between (at most 31 characters), for example V(vnic0) or V(web_0).
    type: str
    required: true
  state:
    description:
      - V(present) creates the VNIC if needed and checks the options you set; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  link:
    description:
      - The datalink the VNIC is created over, such as V(igb0), an etherstub (V(stub0)) or an aggregate (V(aggr0)).
      - Required to create the VNIC. Compared with an existing VNIC when set.
    type: str
  vlan_id:
    description:
      - VLAN id (1 to 4094) the VNIC tags its traffic with. Compared with an existing VNIC when set.
    type: int
  mac_address:
    description:
      - V(auto) (the default at creation), V(random), V(factory) (with O(mac_slot)), or a fixed MAC address
        such as V(02:08:20:0a:0b:0c).
      - Only a fixed address is compared with an existing VNIC; the agent reports octets without leading
        zeros, which compare equal.
    type: str
  mac_slot:
    description:
      - The factory MAC address slot to use with O(mac_address=factory) (see C(dladm show-phys -m)).
    type: int
  properties:
    description:
      - Link properties to set, such as C(mtu), C(maxbw), C(priority), C(allowed-ips) or C(protection).
      - Values are compared as strings after normalisation (case, list order, V(10.0.0.5) equals
        V(10.0.0.5/32), bandwidth units); booleans become V(on)/V(off), lists are joined with commas.
      - Properties you do not name are left alone.
    type: dict
  recreate:
    description:
      - When the VNIC exists over another link, with another VLAN id or another fixed MAC address, delete it
        and create it again. Whatever uses the VNIC (a zone's net resource) loses connectivity meanwhile,
        and the agent refuses to delete a VNIC that a running zone holds.
      - With V(false), such a VNIC fails the task and is left alone.
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.etherstub
  - module: zoneweaver.illumos.ip_address
  - module: zoneweaver.illumos.network_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Set the agent connection once for the play
  module_defaults:
    group/zoneweaver.illumos.agent:
      api_url: https://omnios1.example.com:5001
      api_key: "{{ vault_zoneweaver_api_key }}"
  block:
    - name: A VNIC on VLAN 20 over the physical link
      zoneweaver.illumos.vnic:
        name: web0
        link: igb0
        vlan_id: 20

    - name: A VNIC over an etherstub, with a fixed MAC address and anti-spoofing
      zoneweaver.illumos.vnic:
        name: internal0
        link: stub0
        mac_address: "02:08:20:0a:0b:0c"
        properties:
          mtu: 9000
          maxbw: 500M
          protection: [mac-nospoof, ip-nospoof]
          allowed-ips: 10.10.0.5

    - name: Move it to another link (deletes and creates it again)
      zoneweaver.illumos.vnic:
        name: internal0
        link: stub1
        recreate: true

    - name: Remove it
      zoneweaver.illumos.vnic:
        name: internal0
        state: absent
"""

RETURN = r"""
vnic:
  description:
    - The VNIC after the run, as the agent lists it.
    - Its C(properties) hold the current values of the properties the task named.
    - Empty in check mode for a new VNIC, after removal, and with O(wait=false).
  returned: always
  type: dict
  sample:
    name: web0
    link: igb0
    vlan_id: 20
    mac_address: "02:08:20:0a:0b:0c"
    mac_address_type: random
    zone: null
    state: up
    mtu: 1500
    properties: {maxbw: "500", priority: high}
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
  sample: [{step: create_vnic, task_id: 0b7c1c1e-6c1f-4d07-9a59-0d0c9a0a3a11}]
mismatches:
  description: On failure because the VNIC exists with other fixed values, the actual and wanted values.
  returned: failure
  type: dict
  sample: {link: {actual: igb0, wanted: stub0}}
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.vnic import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    name={"type": "str", "required": True},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    link={"type": "str"},
    vlan_id={"type": "int"},
    mac_address={"type": "str"},
    mac_slot={"type": "int"},
    properties={"type": "dict"},
    recreate={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
