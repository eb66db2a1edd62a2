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
  - Reads what placing a zone needs to know about a host.
  - Without an agent (O(backend=native), or V(auto) without O(api_url)), reads it on the host the module runs on,
    through the illumos commands (C(zoneadm list -cp), C(dladm show-link -p), C(zpool list -H -p)) and the kernel
    (memory pages, CPU count and load average through C(sysconf) and C(getloadavg)); the OS release comes from
    C(/etc/release) and C(uname).
  - Through a Zoneweaver Agent (O(backend=agent), or V(auto) with O(api_url) or O(hyperweaver_url)), reads the
    same keys from the controller, one request per section, both agent generations. RV(memory) and RV(cpu) are
    the newest sample of the agent's host monitoring (C(GET /monitoring/system/memory) and
    C(/monitoring/system/cpu), collected about once a minute); RV(os) is its monitoring host row; RV(pools) is
    the agent's live pool list (C(GET /storage/pools), exact and current, unlike the monitoring pool rows, which
    are rounded and as old as the last storage scan); RV(zones) is its zone list; RV(links) is the monitoring copy
    of C(dladm show-link).
  - Not available through an agent, and null there, are RV(os.version), RV(os.machine), RV(os.release_text) and
    a zone's C(zoneid) and C(debugid).
  - An agent whose host monitoring holds no sample yet (just started, or C(host_monitoring.enabled) off) fails
    the run for RV(memory) and RV(cpu), saying so.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.backend
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
options:
  gather:
    description: What to read; all of it when not set.
    type: list
    elements: str
    choices: [os, zones, links, pools, memory, cpu]
seealso:
  - module: zoneweaver.illumos.zone_info
  - module: zoneweaver.illumos.network_info
  - module: zoneweaver.illumos.storage_info
  - module: zoneweaver.illumos.agent_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: What the host has to offer (on the host itself, no agent)
  zoneweaver.illumos.host_info:
  register: host

- name: Place the zone on the pool with the most free space
  ansible.builtin.set_fact:
    zone_pool: "{{ (host.pools | sort(attribute='free') | last).name }}"

- name: Memory, CPUs and pools of an agent-managed host, from the controller
  zoneweaver.illumos.host_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    gather: [memory, cpu, pools]
  register: omnios1

- name: Room for a 16G zone?
  ansible.builtin.assert:
    that: omnios1.memory.total_bytes - 4 * 1024 ** 3 >= 16 * 1024 ** 3
"""

RETURN = r"""
os:
  description: Kernel and release.
  returned: when gathered
  type: dict
  contains:
    name: {description: Kernel name (C(SunOS) on illumos)., type: str, sample: SunOS}
    release: {description: Kernel release., type: str, sample: "5.11"}
    version: {description: Kernel version; null through an agent., type: str, sample: omnios-r151054-0d4d3b4e9f}
    machine: {description: Hardware class; null through an agent., type: str, sample: i86pc}
    release_text:
      description: First line of C(/etc/release); null when the file does not exist, and through an agent.
      type: str
      sample: OmniOS v11 r151054b
zones:
  description:
    - The zones (not the global one), as C(zoneadm list -cp) shows them.
    - Through an agent, from its zone list, sorted by name; C(zoneid) and C(debugid) are null, C(uuid) is the
      agent's zone id when that is a UUID. Zones the agent marks orphaned (gone from the host) are left out.
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
  description: ZFS pools, sizes in bytes, capacity in percent (through an agent, its live C(GET /storage/pools)).
  returned: when gathered
  type: list
  elements: dict
  sample: [{"name": "rpool", "size": 1099511627776, "allocated": 52613349376, "free": 1046898278400, "capacity": 4, "health": "ONLINE"}]
memory:
  description:
    - Physical memory.
    - Through an agent, its newest monitoring sample; C(free_bytes) is the memory neither the zones, the kernel
      nor the ZFS ARC hold, so it moves with the ARC. For placement, count the zones' allocations instead.
  returned: when gathered
  type: dict
  sample: {"total_bytes": 68719476736, "free_bytes": 41231686041, "used_percent": 40.0}
cpu:
  description:
    - Logical CPUs, load averages and C(free), the CPUs minus the 1-minute load.
    - Through an agent, its newest monitoring sample.
  returned: when gathered
  type: dict
  sample: {"count": 16, "load_1m": 2.5, "load_5m": 2.1, "load_15m": 1.9, "free": 13.5}
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.host_info import SECTIONS
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.host_info import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    backend=True,
    gather={"type": "list", "elements": "str", "choices": list(SECTIONS)},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
