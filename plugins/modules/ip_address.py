#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ip_address
short_description: Manage IP address objects (ipadm) on an illumos host
version_added: 0.1.0
description:
  - Ensures an IP address object (C(ipadm create-addr)), named C(<interface>/<name>) such as V(vnic0/v4),
    exists with the type and address you give, is enabled or disabled, or is absent, through the
    Zoneweaver Agent API.
  - The address list is read live from the host, so it does not lag behind the agent's tasks.
  - The type and static address of an address object are chosen at creation. One that exists with other
    values is reported as a failure naming the actual and wanted values, unless O(recreate=true).
  - Without an agent (O(backend=native)), runs C(ipadm) on the host itself, as the agent does; C(ipadm create-if)
    first when the interface has no IP yet, C(ipadm create-addr), C(ipadm enable-addr -t) / C(disable-addr -t),
    C(ipadm delete-addr), and C(ipadm delete-if) once the interface's last address is gone.
  - O(state=enabled) and O(state=disabled) last until the next reboot with either backend (C(ipadm)
    enables and disables addresses only temporarily).
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
  addrobj:
    description:
      - The address object, C(<interface>/<name>), for example V(vnic0/v4) or V(igb0/dhcp).
      - The interface is a datalink name; the name after the slash is letters and digits, starting with a letter.
    type: str
    required: true
    aliases: [name]
  type:
    description:
      - V(static) (an address you give in O(address)), V(dhcp) or V(addrconf) (IPv6 stateless autoconfiguration).
      - Defaults to V(static) when O(address) is set; needed to create a V(dhcp) or V(addrconf) address object.
      - Compared with an existing address object when set.
    type: str
    choices: [static, dhcp, addrconf]
  address:
    description:
      - The static address with its prefix length, such as V(10.0.0.5/24) or V(fd00::5/64). An address
        without a prefix length is refused.
      - Compared with an existing address object when set.
    type: str
  state:
    description:
      - V(present) creates the address object if needed and leaves it enabled or disabled as it is.
      - V(enabled) and V(disabled) also enable or disable it (C(ipadm enable-addr), C(ipadm disable-addr)).
      - V(absent) deletes it.
    type: str
    choices: [present, absent, enabled, disabled]
    default: present
  recreate:
    description:
      - When the address object exists with another type or address, delete it and create it again. The
        interface loses that address meanwhile.
      - With V(false), such an address object fails the task and is left alone.
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.vnic
  - module: zoneweaver.illumos.ip_forwarding
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
    - name: The host's address on the provisioning network
      zoneweaver.illumos.ip_address:
        addrobj: provisioning0/v4
        address: 10.190.190.1/24

    - name: DHCP on the uplink
      zoneweaver.illumos.ip_address:
        addrobj: igb0/dhcp
        type: dhcp

    - name: Take an address out of service without deleting it
      zoneweaver.illumos.ip_address:
        addrobj: provisioning0/v4
        state: disabled

    - name: Move it to another subnet
      zoneweaver.illumos.ip_address:
        addrobj: provisioning0/v4
        address: 10.191.0.1/24
        state: enabled
        recreate: true
"""

RETURN = r"""
address:
  description:
    - The address object after the run, as the agent lists it.
    - Empty in check mode for a new address object, after removal, and with O(wait=false).
  returned: always
  type: dict
  sample:
    addrobj: vnic0/v4
    interface: vnic0
    type: static
    state: ok
    address: 10.0.0.5/24
    ip_version: v4
    enabled: true
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create, disable]
tasks:
  description:
    - The agent tasks this run started, in order. With O(wait=false), follow them with
      M(zoneweaver.illumos.task_info).
    - Always empty with O(backend=native) (the commands run to completion).
  returned: always
  type: list
  elements: dict
  sample: [{step: create_ip_address, task_id: 0b7c1c1e-6c1f-4d07-9a59-0d0c9a0a3a11}]
mismatches:
  description: On failure because the address object exists with another type or address, the actual and wanted values.
  returned: failure
  type: dict
  sample: {address: {actual: 10.0.0.5/24, wanted: 10.0.0.6/24}}
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.ip_address import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    addrobj={"type": "str", "required": True, "aliases": ["name"]},
    type={"type": "str", "choices": ["static", "dhcp", "addrconf"]},
    address={"type": "str"},
    state={"type": "str", "default": "present", "choices": ["present", "absent", "enabled", "disabled"]},
    recreate={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
