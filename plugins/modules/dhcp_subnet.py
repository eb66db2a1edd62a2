#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dhcp_subnet
short_description: Set the DHCP server's subnets (ISC dhcpd) through a Zoneweaver Agent or natively
version_added: 0.1.0
description:
  - Ensures the subnet declaration of the host's C(/etc/dhcpd.conf) (router, address range, DNS servers)
    and, optionally, the interface the DHCP server listens on, through the Zoneweaver Agent.
  - The agent keeps exactly B(one) subnet declaration and rewrites it whole; host entries
    (M(zoneweaver.illumos.dhcp_host)) are kept. Writing a subnet therefore replaces any other subnet
    declaration in the file; the module warns when it does.
  - Only the options you set are compared, after normalisation. DNS servers you do not set are kept
    as they are when the declaration has to be rewritten.
  - All addresses are checked before any request is sent. The router and the range must lie in the
    subnet (neither its network nor its broadcast address), and O(range_start) must not come after O(range_end).
  - The same endpoints serve both agent generations (0.2 and 0.3.x).
  - Without an agent (O(backend=native)), the module keeps subnet declarations in a block of O(config_file) between
    the lines C(# BEGIN zoneweaver.illumos managed dhcp_subnet) and C(# END zoneweaver.illumos managed dhcp_subnet),
    B(one per network), so writing one keeps the others, and O(state=absent) removes it. Every other line of the file
    is left as it is; a declaration of the same network outside the block is refused, naming it.
  - Natively, the new file is checked with C(dhcpd -t -cf) when C(dhcpd) is found, and replaced atomically (owner
    and mode kept). Only when something changed, O(listen_interface) is set with C(svccfg setprop) and
    C(svcadm refresh), and a running server is restarted (C(svcadm restart); C(svcadm clear) from maintenance).
    A disabled server is left disabled; start it with M(zoneweaver.illumos.dhcp_service).
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
  subnet:
    description:
      - The network, either with its prefix length (V(10.190.190.0/24)) or as an address with O(netmask).
      - Host bits must be zero.
    type: str
    required: true
  netmask:
    description:
      - The netmask, as V(255.255.255.0) or as a prefix length (V(24)). Not needed when O(subnet) has a prefix;
        if both are given they must agree.
    type: str
  router:
    description: The default gateway handed to clients (C(option routers)). Required with O(state=present).
    type: str
  range_start:
    description: First address handed out dynamically. Required with O(state=present).
    type: str
  range_end:
    description: Last address handed out dynamically. Required with O(state=present).
    type: str
  dns:
    description:
      - DNS servers handed to clients (C(option domain-name-servers)), in order.
      - An empty list removes them. When not set, the current servers are kept.
    type: list
    elements: str
  listen_interface:
    description:
      - The interface the DHCP server listens on (the service's C(config/listen_ifnames)), for example
        V(provisioning_0). When not set, it is left as it is.
    type: str
  state:
    description:
      - V(present) writes the declaration.
      - V(absent) removes the declaration of O(subnet) (the other options are then not needed), with
        O(backend=native) only. The agent offers no way to remove the subnet declaration (it has no
        delete for it), so with the agent V(absent) is refused before any request; stop the server with
        M(zoneweaver.illumos.dhcp_service) instead.
    type: str
    choices: [present, absent]
    default: present
  config_file:
    description:
      - With O(backend=native), the ISC dhcpd configuration file to manage; it must be the file the DHCP service
        reads. Defaults to C(/etc/dhcpd.conf).
      - The agent writes its own file and ignores this option (with a warning).
    type: path
  backup:
    description:
      - With O(backend=native), keep a copy of O(config_file) as C(<file>.<timestamp>) before it is replaced.
      - The agent ignores this option (with a warning).
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.dhcp_host
  - module: zoneweaver.illumos.dhcp_service
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: DHCP for the zones' private network
  zoneweaver.illumos.dhcp_subnet:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    subnet: 10.190.190.0/24
    router: 10.190.190.1
    range_start: 10.190.190.10
    range_end: 10.190.190.254
    dns: [9.9.9.9, 1.1.1.1]
    listen_interface: provisioning_0

- name: Without an agent, on the host itself (managed block of /etc/dhcpd.conf)
  zoneweaver.illumos.dhcp_subnet:
    backend: native
    subnet: 10.190.191.0/24
    router: 10.190.191.1
    range_start: 10.190.191.10
    range_end: 10.190.191.254
    listen_interface: provisioning_1
  become: true

- name: The same, with a dotted netmask
  zoneweaver.illumos.dhcp_subnet:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    subnet: 10.190.190.0
    netmask: 255.255.255.0
    router: 10.190.190.1
    range_start: 10.190.190.10
    range_end: 10.190.190.254
"""

RETURN = r"""
subnet:
  description:
    - The subnet declaration as the agent reads it back after the run (as it will be, in check mode and
      with O(wait=false)). Empty when there is none yet (check mode), and after O(state=absent).
    - RV(subnet.listen_interface) only when O(listen_interface) was set.
  returned: always
  type: dict
  contains:
    subnet:
      description: The network address.
      type: str
      sample: 10.190.190.0
    netmask:
      description: The netmask.
      type: str
      sample: 255.255.255.0
    prefix:
      description: The prefix length.
      type: int
      sample: 24
    router:
      description: The router.
      type: str
      sample: 10.190.190.1
    range_start:
      description: First dynamic address.
      type: str
      sample: 10.190.190.10
    range_end:
      description: Last dynamic address.
      type: str
      sample: 10.190.190.254
    dns:
      description: The DNS servers, in order.
      type: list
      elements: str
      sample: [9.9.9.9, 1.1.1.1]
    listen_interface:
      description: The interface the server listens on.
      type: str
      sample: provisioning_0
actions:
  description:
    - What was done (or would be done in check mode), in order.
    - With the native backend, followed by the service commands run after the change.
  returned: always
  type: list
  elements: str
  sample: [update subnet 10.190.190.0/24]
backup_file:
  description: The copy of O(config_file) made before it was replaced (native backend, O(backup=true)).
  returned: when a backup was made
  type: str
  sample: /etc/dhcpd.conf.20251122T073900
task_ids:
  description: The agent tasks queued, when O(wait=false) and a change was sent.
  returned: when O(wait=false) and changed
  type: list
  elements: str
  sample: [0b7e3c58-2f44-4c1f-9a3e-0e1d2c3b4a59]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.dhcp_subnet import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    subnet={"type": "str", "required": True},
    netmask={"type": "str"},
    router={"type": "str"},
    range_start={"type": "str"},
    range_end={"type": "str"},
    dns={"type": "list", "elements": "str"},
    listen_interface={"type": "str"},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    config_file={"type": "path"},
    backup={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
