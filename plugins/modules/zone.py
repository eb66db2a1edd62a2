#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone
short_description: Create, configure, start, stop and remove bhyve and other zones
version_added: 0.1.0
description:
  - Ensures a zone (the agent calls it a machine) exists with the configuration you give, in the
    power state you ask for, through the Zoneweaver Agent API.
  - Only the options you set are compared with the zone, after normalisation (V(2G) equals V(2048M),
    MAC addresses compare case- and zero-insensitively), so a second identical run reports no change.
  - Changes to an existing zone are applied in place. Changes that bhyve only picks up at boot are
    reported with RV(reboot_required); on agents 0.3.9 and later they wait as pending changes until the
    next power cycle, which O(state=restarted) performs.
  - Speaks both agent generations (V(/zones) on 0.2, V(/machines) on 0.3.7 and later), detected once per URL.
  - Without an agent (O(backend=native)), manages the zone with C(zonecfg), C(zoneadm) and C(zfs) on the host
    itself. Configuration changes reach installed and running zones too (C(zonecfg) edits, reported with
    RV(reboot_required) when the zone runs). The zone's datasets live under
    C(<pool>/<dataset>/<name>) (default C(rpool/zones/<name>)), its zonepath is C(/<that>/path), and the
    datasets the module creates carry the ZFS user property C(zoneweaver:source=<name>), as the agent's do.
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
      - The zone's name as the agent knows it, V(host.domain), or V(NNNN--host.domain) when the agent
        prefixes names with a server id (its default, C(zones.prefix_zone_names)).
      - O(hostname), O(domain) and O(server_id) are derived from it unless given.
    type: str
    required: true
    aliases: [machine_name, zone_name]
  hostname:
    description: Guest hostname used at creation. Defaults to the first label of O(name).
    type: str
  domain:
    description: Guest domain used at creation. Defaults to the rest of O(name).
    type: str
  server_id:
    description:
      - Numeric server id used at creation (the V(NNNN) of the name). Defaults to the prefix of O(name).
    type: str
  state:
    description:
      - V(present) creates the zone if needed and leaves its power state alone.
      - V(running) and V(stopped) also set the power state; V(restarted) always restarts (and so
        applies pending changes); V(absent) stops and deletes the zone.
    type: str
    choices: [present, absent, running, stopped, restarted]
    default: present
  brand:
    description:
      - Zone brand. Used at creation (default V(bhyve)); an existing zone with another brand is an error.
    type: str
    choices: [bhyve, lx, lipkg, sparse, pkgsrc, kvm]
  vmtype:
    description: The agent's classification of the zone, used at creation.
    type: str
    choices: [template, development, production, firewall, other]
  vcpus:
    description:
      - Virtual CPUs, as a count (V(4)) or a topology dictionary with C(sockets), C(cores) and C(threads).
    type: raw
  ram:
    description: Memory, as a size such as V(2G), V(1536M) or a byte count.
    type: str
  autoboot:
    description: Boot the zone when the host boots.
    type: bool
  bootrom:
    description: bhyve firmware, for example V(BHYVE_RELEASE) (UEFI) or V(BHYVE_RELEASE_CSM) (BIOS).
    type: str
  boot_disk:
    description:
      - The boot disk, used at creation only (an existing zone's boot disk is never replaced).
    type: dict
    suboptions:
      type:
        description:
          - V(template) clones a template (needs O(boot_disk.box)), V(blank) creates an empty zvol
            (needs O(boot_disk.size)), V(image) attaches an existing zvol (needs O(boot_disk.path)),
            V(none) makes a diskless zone.
          - With O(backend=native), a template must already be on the host where the agent keeps them, as
            C(<pool>/templates/<organisation>/<box>/<version>) with a snapshot C(@ready); V(latest) picks the
            highest version there. It is cloned with C(zfs clone).
        type: str
        choices: [template, blank, image, none]
      box:
        description: Template as V(organisation/box), for example V(STARTcloud/debian13-server).
        type: str
      box_version:
        description: Template version, or V(latest).
        type: str
      size:
        description: Size of a blank disk, or the size to grow a template clone to.
        type: str
      path:
        description: Existing zvol for V(image), such as V(rpool/vols/web01).
        type: str
      pool:
        description: Pool for a new zvol (the agent's default is the root pool).
        type: str
      dataset:
        description: Parent dataset for a new zvol (the agent's default is V(zones)).
        type: str
      sparse:
        description: Create the zvol sparse (thin).
        type: bool
      clone_strategy:
        description: How a template is materialised. The native backend supports V(clone) only.
        type: str
        choices: [clone, copy, localize]
  disks:
    description:
      - Extra data disks, in order; the zone's first data disk is C(disk0). Each entry has either
        C(size) (a new blank zvol) or C(path) (an existing zvol), and optionally C(sparse).
      - Disks beyond the list are detached; a disk whose C(path) differs is replaced.
    type: list
    elements: dict
  nics:
    description:
      - Network interfaces, in order; each entry is compared with the zone's net resource at the same
        position, over the keys it sets.
      - Keys are C(global_nic) (link the VNIC is created on, such as V(igb0) or an etherstub),
        C(physical) (VNIC name), C(vlan_id), C(mac_address) (V(auto) or a MAC),
        C(allowed_address) (address with prefix), C(nic_type) (V(external), V(internal), ...).
    type: list
    elements: dict
  cdroms:
    description: ISO images attached as CD-ROMs (absolute paths on the host), compared as a set.
    type: list
    elements: str
  cloud_init:
    description: cloud-init settings of the bhyve brand.
    type: dict
    suboptions:
      enabled:
        description: V(true)/V(false), or the name of a cloud-init config file.
        type: raw
      dns_domain:
        description: DNS domain given to the guest.
        type: str
      resolvers:
        description: DNS resolvers.
        type: list
        elements: str
      sshkey:
        description: SSH public key for the guest's default user.
        type: str
      password:
        description:
          - Password for the guest's default user. Write-only, it is sent at creation and whenever other
            cloud-init settings change, and never shown in results or diffs.
        type: str
  tags:
    description:
      - Tags of the zone, compared as a set.
      - With O(backend=native) they are kept in the zone's configuration, as the string attribute
        C(zoneweaver-tags) (comma separated).
    type: list
    elements: str
  notes:
    description:
      - Free-form notes of the zone.
      - With O(backend=native) they are kept as the zone attribute C(zoneweaver-notes), so they cannot
        contain a double quote or a line break.
    type: str
  force:
    description:
      - With O(state=stopped), halt instead of a graceful shutdown; with O(state=absent), let the agent
        stop and delete a running zone in one go (otherwise it is shut down gracefully first).
      - With O(backend=native), a graceful shutdown that has not finished after half of O(wait_timeout)
        is followed by C(zoneadm halt), with a warning.
    type: bool
    default: false
  cleanup_disks:
    description:
      - With O(state=absent), also destroy the zvols the agent created for the zone.
        Disks attached from elsewhere are always kept.
      - With O(backend=native), the datasets stamped C(zoneweaver:source=<name>) are destroyed, then the
        zone's dataset if nothing else is left in it.
    type: bool
    default: true
  cleanup_networking:
    description:
      - With O(state=absent), also remove the zone's VNICs and address objects.
      - Natively the zone's NICs are on-demand VNICs (C(global-nic)) that the system removes when the zone
        halts, so there is nothing more to remove.
    type: bool
    default: true
seealso:
  - module: zoneweaver.illumos.zone_info
  - module: zoneweaver.illumos.task_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Set the agent connection once for the play
  module_defaults:
    group/zoneweaver.illumos.agent:
      api_url: https://omnios1.example.com:5001
      api_key: "{{ vault_zoneweaver_api_key }}"
      ca_path: /etc/pki/zoneweaver/omnios1.pem
  block:
    - name: A running Debian zone from a template
      zoneweaver.illumos.zone:
        name: 0001--web01.example.com
        state: running
        vcpus: 2
        ram: 2G
        autoboot: true
        boot_disk:
          type: template
          box: STARTcloud/debian13-server
          box_version: latest
          size: 40G
        nics:
          - global_nic: igb0
            vlan_id: 20
        tags: [web, production]

    - name: Grow it; the change applies at the next restart
      zoneweaver.illumos.zone:
        name: 0001--web01.example.com
        ram: 4G
      register: web01

    - name: Apply pending changes now
      zoneweaver.illumos.zone:
        name: 0001--web01.example.com
        state: restarted
      when: web01.reboot_required

    - name: Remove it with its disks
      zoneweaver.illumos.zone:
        name: 0001--web01.example.com
        state: absent

- name: The same zone on a host without an agent, over SSH
  become: true
  zoneweaver.illumos.zone:
    backend: native
    name: web01.example.com
    state: running
    vcpus: 2
    ram: 2G
    boot_disk:
      type: blank
      size: 40G
    nics:
      - global_nic: igb0
        vlan_id: 20
"""

RETURN = r"""
zone:
  description:
    - The zone after the run, read back from the agent.
    - Empty in check mode for a new zone, after removal, and with O(wait=false).
  returned: always
  type: dict
  sample:
    name: 0001--web01.example.com
    status: running
    brand: bhyve
    vcpus: 2
    ram: 2G
    autoboot: true
    boot_disk: {path: rpool/zones/0001--web01.example.com/boot, size: 40G}
    disks: []
    nics: [{physical: vnice3_0001_0, global_nic: igb0, vlan_id: 20, mac_address: "02:08:20:0a:0b:0c"}]
    cdroms: []
    tags: [web, production]
    notes: null
    server_id: "0001"
    reboot_pending: false
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create and start]
tasks:
  description:
    - The agent tasks this run started, in order (for example the create chain's steps).
    - With O(wait=false), follow them with M(zoneweaver.illumos.task_info).
  returned: always
  type: list
  elements: dict
  sample: [{step: stop, task_id: 0b7c1c1e-6c1f-4d07-9a59-0d0c9a0a3a11}, {step: start, task_id: 5f1d2f6e-2b1e-4a8e-8f0a-3e9f6d1c2b44}]
reboot_required:
  description: Configuration changed that the running zone only picks up at its next boot.
  returned: always
  type: bool
pending_changes:
  description: Changes the agent holds until the next power cycle (agents 0.3.9 and later).
  returned: when the agent answered pending_power_cycle
  type: dict
"""

import copy

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_options import ZONE_OPTIONS
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(wait=True, backend=True, **copy.deepcopy(ZONE_OPTIONS))


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
