#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: Read an illumos host's OS release, zones, links, pools, free memory and CPUs
version_added: 0.1.0
description:
  - Reads, on the host the module runs on, what placing a zone needs to know, through the illumos commands
    (C(zoneadm list -cp), C(dladm show-link -p), C(zpool list -H -p)) and the kernel (memory pages, CPU count
    and load average through C(sysconf) and C(getloadavg)); the OS release comes from C(/etc/release) and C(uname).
  - No Zoneweaver Agent is involved; for an agent-managed host see M(zoneweaver.illumos.agent_info) and
    M(zoneweaver.illumos.zone_info).
extends_documentation_fragment:
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
options:
  gather:
    description: What to read; all of it when not set.
    type: list
    elements: str
    choices: [os, zones, links, pools, memory, cpu]
  pfexec:
    description: Run every command through C(pfexec), for a login user that holds an RBAC profile.
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.zone_info
  - module: zoneweaver.illumos.network_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: What the host has to offer
  zoneweaver.illumos.host_info:
  register: host

- name: Place the zone on the pool with the most free space
  ansible.builtin.set_fact:
    zone_pool: "{{ (host.pools | sort(attribute='free') | last).name }}"
"""

RETURN = r"""
os:
  description: Kernel and release.
  returned: when gathered
  type: dict
  contains:
    name: {description: Kernel name (C(SunOS) on illumos)., type: str, sample: SunOS}
    release: {description: Kernel release., type: str, sample: "5.11"}
    version: {description: Kernel version., type: str, sample: omnios-r151054-0d4d3b4e9f}
    machine: {description: Hardware class., type: str, sample: i86pc}
    release_text:
      description: First line of C(/etc/release); null when the file does not exist.
      type: str
      sample: OmniOS v11 r151054b
zones:
  description: The zones (not the global one), as C(zoneadm list -cp) shows them.
  returned: when gathered
  type: list
  elements: dict
  sample: [{"name": "web1", "state": "running", "brand": "bhyve", "zonepath": "/rpool/zones/web1/path",
            "zoneid": 3, "uuid": "d6b1c2a0-4c55-4a3e-9a6c-5e2f1b0c9d11", "ip_type": "excl", "debugid": 3}]
links:
  description: Datalinks (C(link), C(class), C(mtu), C(state), C(bridge), C(over)).
  returned: when gathered
  type: list
  elements: dict
  sample: [{"link": "igb0", "class": "phys", "mtu": 1500, "state": "up", "bridge": null, "over": null}]
pools:
  description: ZFS pools, sizes in bytes, capacity in percent.
  returned: when gathered
  type: list
  elements: dict
  sample: [{"name": "rpool", "size": 1099511627776, "allocated": 52613349376, "free": 1046898278400, "capacity": 4, "health": "ONLINE"}]
memory:
  description: Physical memory.
  returned: when gathered
  type: dict
  sample: {"total_bytes": 68719476736, "free_bytes": 41231686041, "used_percent": 40.0}
cpu:
  description: Logical CPUs, load averages and C(free), the CPUs minus the 1-minute load.
  returned: when gathered
  type: dict
  sample: {"count": 16, "load_1m": 2.5, "load_5m": 2.1, "load_15m": 1.9, "free": 13.5}
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.host_info import SECTIONS
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.host_info import run as RUNNER

ARGUMENT_SPEC = {
    "gather": {"type": "list", "elements": "str", "choices": list(SECTIONS)},
    "pfexec": {"type": "bool", "default": False},
}


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
