#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: network_info
short_description: Read an illumos host's datalinks, VNICs, VLANs, addresses, forwarding, NAT and DHCP
version_added: 0.1.0
description:
  - Reads the network configuration of a host through the Zoneweaver Agent API, one request per section,
    the sections read concurrently.
  - Each section comes back in the shape the matching module returns (RV(vnics) like the C(vnic) result of
    M(zoneweaver.illumos.vnic), and so on), so the two can be compared directly.
  - Choose the sections with O(gather), so a play pays only for what it needs.
  - A section the agent does not offer (an older generation, or a feature disabled in its configuration)
    is left out, named in RV(unavailable), and warned about, instead of failing the task.
  - VNIC and etherstub lists come from the agent's monitoring database and can lag behind recent changes by
    about 10 seconds; VLANs and addresses are read live.
  - Without an agent (O(backend=native)), reads C(dladm), C(ipadm) and C(routeadm) on the host itself, one
    section after the other, all live. NAT and DHCP are then read only when the collection has a native
    backend for them; otherwise they are named in RV(unavailable).
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.backend
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
options:
  gather:
    description:
      - The sections to read. V(all) reads every section.
      - V(links) are all datalinks (physical, aggregates, etherstubs, VNICs, VLANs) from the agent's monitoring.
    type: list
    elements: str
    choices: [all, links, vnics, etherstubs, vlans, addresses, forwarding, nat, dhcp]
    default: [all]
  nat_config_file:
    description:
      - With O(backend=native), the IP Filter NAT configuration file the V(nat) section is read from (the
        O(zoneweaver.illumos.nat_rule#module:config_file) of M(zoneweaver.illumos.nat_rule)). Defaults to
        C(/etc/ipf/ipnat.conf).
      - The agent reads its own file and ignores this option (with a warning).
    type: path
  dhcp_config_file:
    description:
      - With O(backend=native), the ISC dhcpd configuration file the V(dhcp) section is read from (the
        O(zoneweaver.illumos.dhcp_host#module:config_file) of M(zoneweaver.illumos.dhcp_host)). Defaults to
        C(/etc/dhcpd.conf).
      - The agent reads its own file and ignores this option (with a warning).
    type: path
seealso:
  - module: zoneweaver.illumos.vnic
  - module: zoneweaver.illumos.etherstub
  - module: zoneweaver.illumos.vlan
  - module: zoneweaver.illumos.ip_address
  - module: zoneweaver.illumos.ip_forwarding
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: VNICs and addresses only
  zoneweaver.illumos.network_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    gather: [vnics, addresses]
  register: net

- name: Names of the VNICs over stub0
  ansible.builtin.debug:
    msg: "{{ net.vnics | selectattr('link', 'equalto', 'stub0') | map(attribute='name') | list }}"

- name: Everything
  zoneweaver.illumos.network_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
  register: everything
"""

RETURN = r"""
links:
  description: All datalinks the agent's monitoring knows, sorted by name.
  returned: when gathered and available
  type: list
  elements: dict
  sample: [{name: igb0, class: phys, state: up, over: null, speed: 1000, mtu: 1500, mac_address: "0:c:29:1:2:3"}]
vnics:
  description: VNICs, sorted by name, in the shape of M(zoneweaver.illumos.vnic)'s RV(zoneweaver.illumos.vnic#module:vnic).
  returned: when gathered and available
  type: list
  elements: dict
  sample:
    - {name: web0, link: igb0, vlan_id: 20, mac_address: "02:08:20:0a:0b:0c", mac_address_type: random,
       zone: null, state: up, mtu: 1500}
etherstubs:
  description: Etherstubs, sorted by name.
  returned: when gathered and available
  type: list
  elements: dict
  sample: [{name: stub0, state: unknown}]
vlans:
  description: VLAN links, sorted by name.
  returned: when gathered and available
  type: list
  elements: dict
  sample: [{name: igb20000, link: igb0, vid: 20, state: up, mtu: 1500}]
addresses:
  description: IP address objects, sorted by address object.
  returned: when gathered and available
  type: list
  elements: dict
  sample:
    - {addrobj: vnic0/v4, interface: vnic0, type: static, state: ok, address: 10.0.0.5/24, ip_version: v4,
       enabled: true}
forwarding:
  description: IP forwarding, in the shape of M(zoneweaver.illumos.ip_forwarding)'s RV(zoneweaver.illumos.ip_forwarding#module:forwarding).
  returned: when gathered and available
  type: dict
  sample: {ipv4: true, ipv6: false, interfaces: [{name: igb0, enabled: true}]}
nat:
  description: NAT rules configured through the agent, and the kernel's active rules as text.
  returned: when gathered and available
  type: dict
  sample:
    rules:
      - id: 3f1c2d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f
        rule: map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto
        type: portmap
        bridge: igb0
        subnet: 10.190.190.0/24
    active_rules: "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"
    config_file: /etc/ipf/ipnat.conf
dhcp:
  description: The DHCP server's subnets and fixed hosts, from its configuration file.
  returned: when gathered and available
  type: dict
  sample:
    subnets: [{subnet: 10.190.190.0, netmask: 255.255.255.0, range_start: 10.190.190.10, range_end: 10.190.190.254}]
    hosts: [{hostname: web01, mac: "02:08:20:0a:0b:0c", ip: 10.190.190.20}]
    config_file: /etc/dhcpd.conf
unavailable:
  description: Gathered sections this agent does not offer.
  returned: always
  type: list
  elements: str
  sample: [dhcp]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.network_info import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    backend=True,
    gather={"type": "list", "elements": "str", "default": ["all"],
            "choices": ["all", "links", "vnics", "etherstubs", "vlans", "addresses", "forwarding", "nat", "dhcp"]},
    nat_config_file={"type": "path"},
    dhcp_config_file={"type": "path"},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
