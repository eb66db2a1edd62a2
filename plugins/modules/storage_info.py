#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_info
short_description: Read ZFS pools, datasets and a dataset's properties from a Zoneweaver Agent or the host
version_added: 0.1.0
description:
  - Returns the host's ZFS pools, its datasets (optionally filtered), and, with O(dataset), every property of
    one dataset or snapshot with its source.
  - Each section costs one request. Byte counts, which the agent sends as strings, are returned as integers.
  - Speaks both agent generations, detected once per URL.
  - Without an agent (O(backend=native)), reads C(zpool list), C(zfs list) and C(zfs get) on the host itself and
    returns the same shapes (volume rows carry no C(in_use_by) there).
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.backend
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
options:
  sections:
    description:
      - Which lists to read. V(pools) is C(zpool list), V(datasets) is C(zfs list).
      - O(dataset) is read in addition, whatever this says.
    type: list
    elements: str
    choices: [pools, datasets]
    default: [pools, datasets]
  pool:
    description:
      - Only datasets in this pool, or below this dataset (V(rpool/zones)), including it.
    type: str
  type:
    description:
      - Only datasets of this type. Snapshots are only listed when this is V(snapshot).
    type: str
    choices: [filesystem, volume, snapshot]
  name_prefix:
    description:
      - Only datasets whose name starts with this text, such as V(rpool/zones/0001--). Filtered on the controller.
    type: str
  dataset:
    description:
      - Also read all properties of this dataset or snapshot (V(rpool/data) or V(rpool/data@snap)).
      - One that does not exist gives an empty RV(dataset), not a failure.
    type: str
seealso:
  - module: zoneweaver.illumos.zfs_dataset
  - module: zoneweaver.illumos.zfs_snapshot
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Pools and all file systems and volumes
  zoneweaver.illumos.storage_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
  register: storage

- name: Warn about full pools
  ansible.builtin.debug:
    msg: "{{ item.name }} is {{ item.capacity_percent }}% full"
  loop: "{{ storage.pools }}"
  when: item.capacity_percent > 80

- name: The volumes of one zone, and the properties of its boot disk
  zoneweaver.illumos.storage_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    sections: [datasets]
    pool: rpool/zones/0001--web01.example.com
    type: volume
    dataset: rpool/zones/0001--web01.example.com/boot
  register: web01

- name: The same on a host without an agent
  zoneweaver.illumos.storage_info:
    backend: native
    sections: [datasets]
    pool: rpool/zones
  register: zones_storage
"""

RETURN = r"""
pools:
  description: The pools, when O(sections) has V(pools). Sizes are bytes.
  returned: when O(sections) has V(pools)
  type: list
  elements: dict
  sample:
    - name: rpool
      size: 249108103168
      alloc: 52613349376
      free: 196494753792
      capacity_percent: 21
      dedup_ratio: "1.00"
      health: ONLINE
      altroot: null
datasets:
  description:
    - The datasets that match the filters, in C(zfs list) order (by name; a dataset's snapshots oldest first).
    - C(used), C(avail) and C(refer) are bytes; C(mountpoint) is null for volumes and snapshots.
    - Volume rows carry C(in_use_by) (the zone using the volume, or null) on agents 0.3.9 and later.
  returned: when O(sections) has V(datasets)
  type: list
  elements: dict
  sample:
    - name: rpool/zones
      type: filesystem
      used: 1073741824
      avail: 196494753792
      refer: 98304
      mountpoint: /zones
dataset:
  description:
    - The dataset named by O(dataset), with every property as C(value) and C(source) (as C(zfs get -p) reports them).
    - Empty when it does not exist.
  returned: when O(dataset) is set
  type: dict
  sample:
    name: rpool/zones
    type: filesystem
    properties:
      compression: {value: lz4, source: "inherited from rpool"}
      quota: {value: "0", source: default}
generation:
  description: The agent generation the answer came from (V(0.2), V(0.3) or V(0.3.9)), or V(native).
  returned: always
  type: str
  sample: "0.3.9"
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.storage_info import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    backend=True,
    sections={"type": "list", "elements": "str", "choices": ["pools", "datasets"], "default": ["pools", "datasets"]},
    pool={"type": "str"},
    type={"type": "str", "choices": ["filesystem", "volume", "snapshot"]},
    name_prefix={"type": "str"},
    dataset={"type": "str"},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
