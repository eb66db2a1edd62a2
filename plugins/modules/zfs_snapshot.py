#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zfs_snapshot
short_description: Take, hold, roll back to and destroy ZFS snapshots
version_added: 0.1.0
description:
  - Ensures a ZFS snapshot V(dataset@name) exists or not, carries exactly the user holds you list, and
    optionally rolls its dataset back to it, through the Zoneweaver Agent API.
  - Every guard is checked before any change is sent. A held snapshot is not destroyed unless O(holds=[])
    releases the holds first. A snapshot with clones is not destroyed. A rollback past newer snapshots needs
    O(force_rollback).
  - Speaks both agent generations. Agents 0.3.9 and later address a snapshot with V(?name=pool/x@snap);
    older ones with a path segment. The generation is detected once per URL.
  - Without an agent (O(backend=native)), runs C(zfs snapshot), C(zfs hold), C(zfs release), C(zfs rollback)
    and C(zfs destroy) on the host itself, with the same guards and result.
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
      - The snapshot, as V(dataset@snapshot), for example V(rpool/zones/web01@before-upgrade).
      - The dataset part follows the rules of O(zoneweaver.illumos.zfs_dataset#module:name); the snapshot part
        is letters, digits, V(_), V(.), V(:) and V(-).
      - The dataset must exist.
    type: str
    required: true
  state:
    description:
      - V(present) takes the snapshot if it does not exist; V(absent) destroys it.
    type: str
    choices: [present, absent]
    default: present
  recursive:
    description:
      - Also take, destroy, hold or release the snapshot of the same name on every descendant dataset
        (C(zfs snapshot -r), C(zfs destroy -r), C(zfs hold -r)).
      - Whether the snapshot exists is judged on the dataset of O(name) alone.
      - It has no effect on O(rollback); destroying newer snapshots there is O(force_rollback).
    type: bool
    default: false
  holds:
    description:
      - User hold tags the snapshot must carry, exactly; missing ones are added (C(zfs hold)), others released.
      - V([]) releases all holds, which also allows O(state=absent) to destroy a held snapshot.
      - Leave it unset to leave the holds alone. Tags are letters, digits and V(_.:-).
    type: list
    elements: str
  rollback:
    description:
      - Roll the dataset back to this snapshot (C(zfs rollback)). The snapshot must already exist.
      - Nothing is done, and no change reported, when the snapshot is the dataset's newest and nothing was
        written since (the dataset's C(written) property is 0).
      - Refused when newer snapshots exist, unless O(force_rollback=true).
    type: bool
    default: false
  force_rollback:
    description:
      - With O(rollback=true), allow destroying the snapshots newer than this one, which a rollback requires
        (C(zfs rollback -r)). Their clones, if any, make the rollback fail.
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.zfs_dataset
  - module: zoneweaver.illumos.zone_snapshot
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Snapshot a zone's datasets before an upgrade, and keep it from being destroyed
  zoneweaver.illumos.zfs_snapshot:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    name: rpool/zones/0001--web01.example.com@before-upgrade
    recursive: true
    holds: [upgrade]

- name: Go back to it, destroying later snapshots
  zoneweaver.illumos.zfs_snapshot:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    name: rpool/export/builds@nightly
    rollback: true
    force_rollback: true

- name: Release the hold and destroy it
  zoneweaver.illumos.zfs_snapshot:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    name: rpool/zones/0001--web01.example.com@before-upgrade
    recursive: true
    holds: []
    state: absent
"""

RETURN = r"""
snapshot:
  description:
    - The snapshot as read back after the run (empty after removal, in check mode for a new snapshot,
      and with O(wait=false) after a change).
    - C(used) and C(refer) are byte counts; C(newer_snapshots) lists the dataset's snapshots taken after it.
  returned: always
  type: dict
  sample:
    name: rpool/export/builds@nightly
    dataset: rpool/export/builds
    snapshot: nightly
    used: 0
    refer: 1048576
    holds: [keep]
    newer_snapshots: []
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create, hold keep]
tasks:
  description:
    - The agent tasks this run started, in order (empty with O(backend=native)).
    - With O(wait=false), follow them with M(zoneweaver.illumos.task_info).
  returned: always
  type: list
  elements: dict
  sample: [{step: task, task_id: 0b7c1c1e-6c1f-4d07-9a59-0d0c9a0a3a11}, {step: task, task_id: 5f1d2f6e-2b1e-4a8e-8f0a-3e9f6d1c2b44}]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zfs_snapshot import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    name={"type": "str", "required": True},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    recursive={"type": "bool", "default": False},
    holds={"type": "list", "elements": "str"},
    rollback={"type": "bool", "default": False},
    force_rollback={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
