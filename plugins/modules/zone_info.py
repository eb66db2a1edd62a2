#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_info
short_description: Read zones (one by name, or a filtered list) from a Zoneweaver Agent
version_added: 0.1.0
description:
  - Returns zones in the same shape as the RV(zoneweaver.illumos.zone#module:zone) result of
    M(zoneweaver.illumos.zone), so the two can be compared directly.
  - With O(name), reads that one zone's detail. A zone the agent does not know gives an empty
    RV(zones) list, not a failure.
  - Without O(name), lists the zones, optionally filtered. The list is read with one request;
    O(details=true) reads every listed zone's detail as well.
  - Speaks both agent generations (V(/zones) on 0.2, V(/machines) on 0.3.7 and later), detected once per URL.
  - Without an agent (O(backend=native)), reads C(zoneadm list -cp) and each zone's C(zonecfg export) on the host.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.backend
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
options:
  name:
    description:
      - Read only this zone, by the name the agent knows it (V(0001--web01.example.com)).
      - Cannot be combined with O(status), O(tag), O(brand) or O(name_pattern).
    type: str
    aliases: [machine_name, zone_name]
  status:
    description: Only zones in this zoneadm state.
    type: str
    choices: [configured, incomplete, installed, ready, running, shutting_down, down, suspended]
  tag:
    description: Only zones carrying this tag.
    type: str
  brand:
    description: Only zones of this brand.
    type: str
    choices: [bhyve, lx, lipkg, sparse, pkgsrc, kvm]
  name_pattern:
    description:
      - Only zones whose name matches this Python regular expression, searched anywhere in the name
        (anchor it with C(^) and C($) for a whole-name match). Filtered on the controller.
    type: str
  details:
    description:
      - Also read each listed zone's detail (one request per zone, at most 8 at a time). This adds
        changes the agent holds until the next power cycle and the live system status.
      - With V(false), the zones are built from the list answer alone, in one request.
      - Ignored with O(name), which always reads the detail.
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.zone
  - module: zoneweaver.illumos.agent_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Read one zone
  zoneweaver.illumos.zone_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    name: 0001--web01.example.com
  register: web01

- name: Fail when it does not exist
  ansible.builtin.assert:
    that: web01.zones | length == 1
    fail_msg: web01 is missing

- name: Running web zones, with their pending changes
  zoneweaver.illumos.zone_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    status: running
    tag: web
    details: true
  register: web

- name: Names of the zones of server 0001
  zoneweaver.illumos.zone_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    name_pattern: "^0001--"
  register: server1

- name: Show them
  ansible.builtin.debug:
    msg: "{{ server1.zones | map(attribute='name') | list }}"
"""

RETURN = r"""
zones:
  description:
    - The zones, sorted by name, in the shape M(zoneweaver.illumos.zone) returns.
    - Empty when O(name) names a zone the agent does not know, or when no zone matches the filters.
  returned: always
  type: list
  elements: dict
  sample:
    - name: 0001--web01.example.com
      status: running
      brand: bhyve
      vcpus: 2
      ram: 2G
      autoboot: true
      bootrom: BHYVE_RELEASE
      boot_disk: {path: rpool/zones/0001--web01.example.com/boot, size: 40G}
      disks: []
      nics: [{physical: vnice3_0001_0, global_nic: igb0, vlan_id: 20, mac_address: "02:08:20:0a:0b:0c",
              allowed_address: null}]
      cdroms: []
      cloud_init: {enabled: null, dns_domain: null, resolvers: null, sshkey: null}
      tags: [web, production]
      notes: null
      server_id: "0001"
      vnc_port: null
      pending_changes: null
      reboot_pending: false
generation:
  description: The agent generation the answer came from (V(0.2), V(0.3) or V(0.3.9)), or V(native).
  returned: always
  type: str
  sample: "0.3.9"
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_info import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    backend=True,
    name={"type": "str", "aliases": ["machine_name", "zone_name"]},
    status={"type": "str", "choices": ["configured", "incomplete", "installed", "ready", "running",
                                       "shutting_down", "down", "suspended"]},
    tag={"type": "str"},
    brand={"type": "str", "choices": ["bhyve", "lx", "lipkg", "sparse", "pkgsrc", "kvm"]},
    name_pattern={"type": "str"},
    details={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
