#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zfs_dataset
short_description: Create, configure and destroy ZFS file systems and volumes
version_added: 0.1.0
description:
  - Ensures a ZFS file system or volume (zvol) exists with the properties you give, or does not exist,
    through the Zoneweaver Agent API.
  - Only the properties you set are compared, after normalisation. Sizes compare as bytes (V(10G) equals
    V(10240M) and V(10737418240)), on/off properties accept booleans, other values compare as strings.
  - A property whose value already equals the one you ask for is left alone B(whatever its source). A value
    inherited from the parent or the default is not turned into a local one on every run (the behaviour of
    M(community.general.zfs) that reports a change each time). Use O(force_local) to make it local on purpose.
  - Speaks both agent generations. Agents 0.3.9 and later address a dataset with V(?name=pool/x); older ones
    with a path segment V(/storage/datasets/pool%2Fx). The generation is detected once per URL.
  - Without an agent (O(backend=native)), runs C(zfs create), C(zfs set), C(zfs inherit) and C(zfs destroy) on
    the host itself, with the same comparison, guards and result; there, O(inherit) can also reset local values.
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
      - The dataset, as V(pool/path), for example V(rpool/zones/data).
      - Components are letters, digits, V(_), V(.), V(:) and V(-); the name has no V(@), no V(..) and no
        leading V(/). The pool itself is never created or destroyed by this module.
    type: str
    required: true
  state:
    description:
      - V(present) creates the dataset if needed and sets the given properties.
      - V(absent) destroys it. A dataset with child datasets or snapshots is only destroyed with
        O(recursive=true); the module lists what is in the way before sending anything.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - V(filesystem) or V(volume). Defaults to V(volume) when O(properties) has C(volsize), otherwise to
        V(filesystem).
      - An existing dataset of the other type is an error (ZFS cannot convert it).
    type: str
    choices: [filesystem, volume]
  properties:
    description:
      - ZFS properties, such as C(compression), C(quota), C(recordsize), C(mountpoint), or user properties
        (V(module:name)).
      - "Sizes (C(volsize), C(quota), C(refquota), C(reservation), C(refreservation), C(recordsize),
        C(volblocksize), C(special_small_blocks)) take V(10G), V(128K) or byte counts; C(quota) and the
        reservations also take V(none)."
      - A volume needs C(volsize) when it is created. A thin (sparse) volume is made with C(refreservation=none).
      - Values go to C(zfs set) on the host, so they may only contain letters, digits and V(_.:,/@+=%-).
      - Read-only properties (C(used), C(creation), ...) are refused, and so is changing a property that ZFS
        only takes at creation (C(volblocksize), C(casesensitivity), C(normalization), C(utf8only), C(encryption)).
    type: dict
    default: {}
  force_local:
    description:
      - Properties from O(properties) to hold as B(local) values even when the inherited or default value
        is already the same. Without this, such a property is reported unchanged.
    type: list
    elements: str
    default: []
  inherit:
    description:
      - Properties that must not have a local value (they take the parent's or the default value).
      - A property already inherited, or at its default, is unchanged.
      - With O(backend=native), a property that B(is) set locally is reset with C(zfs inherit).
      - The agent API has no C(zfs inherit) operation, so with the agent a property that B(is) set locally makes
        the task fail before any change, naming the command to run on the host.
    type: list
    elements: str
    default: []
  recursive:
    description:
      - With O(state=absent), also destroy the dataset's child datasets and snapshots (C(zfs destroy -r)).
      - Clones of its snapshots that live elsewhere are never destroyed; they block the removal.
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), unmount busy file systems forcibly (C(zfs destroy -f)).
    type: bool
    default: false
  allow_shrink:
    description:
      - Allow a smaller C(volsize) than the volume has. A shrink truncates the volume and destroys
        everything past the new end, so it is refused unless this is set.
    type: bool
    default: false
notes:
  - Properties are set with one request; the agent reports success when only some C(zfs set) calls worked,
    so the module reads the dataset back and fails if a property did not take the requested value.
  - With O(backend=native) every C(zfs) command runs synchronously (O(wait) changes nothing) and RV(tasks)
    is empty; a refusal of C(zfs) fails the task with the command, its exit code and its message.
seealso:
  - module: zoneweaver.illumos.zfs_snapshot
  - module: zoneweaver.illumos.storage_info
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
    - name: A compressed file system with a quota
      zoneweaver.illumos.zfs_dataset:
        name: rpool/export/builds
        properties:
          compression: lz4
          quota: 50G
          atime: false

    - name: A thin 20 GiB volume for a zone disk
      zoneweaver.illumos.zfs_dataset:
        name: rpool/vols/web01-data
        type: volume
        properties:
          volsize: 20G
          refreservation: none

    - name: Grow it (a shrink would need allow_shrink)
      zoneweaver.illumos.zfs_dataset:
        name: rpool/vols/web01-data
        properties:
          volsize: 40G

    - name: Keep lz4 as a local value even though rpool already gives it
      zoneweaver.illumos.zfs_dataset:
        name: rpool/export/builds
        properties:
          compression: lz4
        force_local: [compression]

    - name: Remove a tree with its snapshots
      zoneweaver.illumos.zfs_dataset:
        name: rpool/export/scratch
        state: absent
        recursive: true

- name: Without an agent, on the host itself; reset a local compression to the inherited value
  become: true
  zoneweaver.illumos.zfs_dataset:
    backend: native
    name: rpool/export/builds
    inherit: [compression]
"""

RETURN = r"""
dataset:
  description:
    - The dataset as read back after the run, with every property as C(value) and C(source) as
      C(zfs get -p) reports them (byte counts as strings, sources such as C(local), C(default),
      C(inherited from rpool)).
    - Empty after removal, in check mode for a new dataset, and with O(wait=false) after a change.
  returned: always
  type: dict
  sample:
    name: rpool/export/builds
    type: filesystem
    properties:
      compression: {value: lz4, source: local}
      quota: {value: "53687091200", source: local}
      atime: {value: "off", source: local}
      recordsize: {value: "131072", source: default}
      mountpoint: {value: /export/builds, source: "inherited from rpool/export"}
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["set compression=lz4 quota=50G"]
tasks:
  description:
    - The agent tasks this run started, in order (empty with O(backend=native)).
    - With O(wait=false), follow them with M(zoneweaver.illumos.task_info).
  returned: always
  type: list
  elements: dict
  sample: [{step: task, task_id: 0b7c1c1e-6c1f-4d07-9a59-0d0c9a0a3a11}]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zfs_dataset import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    name={"type": "str", "required": True},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    type={"type": "str", "choices": ["filesystem", "volume"]},
    properties={"type": "dict", "default": {}},
    force_local={"type": "list", "elements": "str", "default": []},
    inherit={"type": "list", "elements": "str", "default": []},
    recursive={"type": "bool", "default": False},
    force={"type": "bool", "default": False},
    allow_shrink={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
