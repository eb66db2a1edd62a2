#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_snapshot
short_description: Take, describe, restore and remove machine snapshots of a zone
version_added: 0.1.0
description:
  - Ensures a machine snapshot exists or not, or that the zone is restored to it, through the Zoneweaver Agent API.
  - A machine snapshot is one ZFS snapshot name across every dataset of the zone (its root tree and
    the media outside it). The agent takes, restores and removes them as one unit.
  - Needs an agent that offers machine snapshots (0.3.9 and later, feature C(machine-snapshots)). On older
    agents the module fails and points to M(zoneweaver.illumos.zfs_snapshot) on the zone's datasets.
  - Without an agent (O(backend=native)), does the same with C(zfs) on the host itself. The zone's datasets are
    its root dataset (from its zonepath C(/<dataset>/path)) with everything below it, plus the zvols its
    configuration uses from elsewhere. C(zfs snapshot -r) takes the snapshot on all of them at once,
    C(zfs rollback -r) restores each, and the description is the ZFS user property C(zoneweaver:description)
    of the root dataset's snapshot.
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
  machine:
    description: The zone, by the name the agent knows it (V(0001--web01.example.com)).
    type: str
    required: true
    aliases: [machine_name, zone_name, zone]
  name:
    description:
      - The snapshot name, such as V(before-upgrade). It starts with a letter or digit, followed by up to
        255 letters, digits, V(_), V(.), V(:) and V(-).
    type: str
    required: true
    aliases: [snapshot]
  state:
    description:
      - V(present) takes the snapshot if it does not exist (and sets O(description) if it differs).
      - V(absent) removes it. A zone the agent does not know has no snapshots, so it is not an error here.
      - V(restored) rolls every dataset of the zone back to the snapshot. The zone must be powered off.
        Nothing is done, and no change reported, when the snapshot is the zone's newest and none of its
        datasets was written since.
    type: str
    choices: [present, absent, restored]
    default: present
  description:
    description:
      - Free text kept with the snapshot. An existing snapshot's description is changed to match;
        V('') clears it. Unset leaves it alone.
    type: str
  force_restore:
    description:
      - With O(state=restored), allow destroying the zone's snapshots that are newer than this one, which
        the restore does. Without it, a restore past newer snapshots is refused.
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.zfs_snapshot
  - module: zoneweaver.illumos.zone
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Snapshot a zone before an upgrade
  zoneweaver.illumos.zone_snapshot:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    machine: 0001--web01.example.com
    name: before-upgrade
    description: before the PHP 8.4 upgrade

- name: Roll the stopped zone back to it
  zoneweaver.illumos.zone_snapshot:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    machine: 0001--web01.example.com
    name: before-upgrade
    state: restored
    force_restore: true

- name: Remove it
  zoneweaver.illumos.zone_snapshot:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    machine: 0001--web01.example.com
    name: before-upgrade
    state: absent
"""

RETURN = r"""
snapshot:
  description:
    - The snapshot as the agent lists it after the run (empty after removal, in check mode for a new
      snapshot, and with O(wait=false) after a change).
    - C(datasets) are the ZFS datasets carrying it; C(holds) counts their ZFS holds.
  returned: always
  type: dict
  sample:
    machine: 0001--web01.example.com
    name: before-upgrade
    description: before the PHP 8.4 upgrade
    created: "2026-01-12T09:30:00.000Z"
    datasets: [rpool/zones/0001--web01.example.com, rpool/zones/0001--web01.example.com/boot]
    used_bytes: 0
    holds: 0
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
tasks:
  description:
    - The agent tasks this run started, in order (empty with O(backend=native)).
    - With O(wait=false), follow them with M(zoneweaver.illumos.task_info).
  returned: always
  type: list
  elements: dict
  sample: [{step: snapshot_take, task_id: 0b7c1c1e-6c1f-4d07-9a59-0d0c9a0a3a11}]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_snapshot import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    machine={"type": "str", "required": True, "aliases": ["machine_name", "zone_name", "zone"]},
    name={"type": "str", "required": True, "aliases": ["snapshot"]},
    state={"type": "str", "default": "present", "choices": ["present", "absent", "restored"]},
    description={"type": "str"},
    force_restore={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
