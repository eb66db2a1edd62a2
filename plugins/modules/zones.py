#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zones
short_description: Reconcile a whole list of zones on one host in one task
version_added: 0.1.0
description:
  - Ensures every zone of a list, each described with the options of M(zoneweaver.illumos.zone), on one host
    through the Zoneweaver Agent API, or without an agent through the illumos commands on the host itself
    (O(backend=native)), in a single task.
  - Reads all zones with one list request, and plans each zone with the same code as
    M(zoneweaver.illumos.zone), so both modules agree on what is a change. Zones that need nothing cost no
    further request; the others are re-read and changed concurrently (O(concurrency) at a time).
  - The zone list is the agent's database view; a zone changed behind the agent's back (with C(zoneadm) on
    the host) is seen there after the agent's next discovery pass.
  - With O(backend=native), the zones are read with one C(zoneadm list -cp) and one C(zonecfg -z <zone> export)
    for each listed zone that exists (with O(prune), also for the unlisted zones it may remove, which is every one when
    O(prune_tag) is set, since the tags are kept in the configuration), read concurrently; a run that changes
    nothing costs those commands only. The zones that need a change are then managed exactly as
    M(zoneweaver.illumos.zone) does natively (C(zonecfg), C(zoneadm) and C(zfs)), O(concurrency) at a time.
  - Results are reported per zone in RV(results); one zone's failure does not stop the others, and the task
    fails at the end naming every failed zone.
  - With O(prune=true), zones that are not in the list but match O(prune_tag) and/or O(prune_prefix) are
    removed, so the list is the whole desired set of those zones.
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
  zones:
    description:
      - The zones, each a dictionary of the options of M(zoneweaver.illumos.zone) (without the connection
        options, which are the task's).
      - Every zone is listed once. Items are independent; their order only sets the order of RV(results).
    type: list
    elements: dict
    required: true
    suboptions:
        name:
          description:
            - The zone's name as the agent knows it, V(host.domain), or V(NNNN--host.domain) when the agent
              prefixes names with a server id (its default, C(zones.prefix_zone_names)).
            - O(zones[].hostname), O(zones[].domain) and O(zones[].server_id) are derived from it unless given.
          type: str
          required: true
          aliases: [machine_name, zone_name]
        hostname:
          description: Guest hostname used at creation. Defaults to the first label of O(zones[].name).
          type: str
        domain:
          description: Guest domain used at creation. Defaults to the rest of O(zones[].name).
          type: str
        server_id:
          description:
            - Numeric server id used at creation (the V(NNNN) of the name). Defaults to the prefix of O(zones[].name).
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
                - V(template) clones a template (needs O(zones[].boot_disk.box)), V(blank) creates an empty zvol
                  (needs O(zones[].boot_disk.size)), V(image) attaches an existing zvol (needs O(zones[].boot_disk.path)),
                  V(none) makes a diskless zone.
                - With O(backend=native), a template must already be on the host, as for
                  M(zoneweaver.illumos.zone) (C(<pool>/templates/<organisation>/<box>/<version>@ready)).
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
            - With O(zones[].state=stopped), halt instead of a graceful shutdown; with O(zones[].state=absent), let the agent
              stop and delete a running zone in one go (otherwise it is shut down gracefully first).
            - With O(backend=native), a graceful shutdown that has not finished after half of O(wait_timeout)
              is followed by C(zoneadm halt), with a warning.
          type: bool
          default: false
        cleanup_disks:
          description:
            - With O(zones[].state=absent), also destroy the zvols the agent created for the zone.
              Disks attached from elsewhere are always kept.
            - With O(backend=native), the datasets stamped C(zoneweaver:source=<name>) are destroyed, then the
              zone's dataset if nothing else is left in it.
          type: bool
          default: true
        cleanup_networking:
          description:
            - With O(zones[].state=absent), also remove the zone's VNICs and address objects.
            - Natively the zone's NICs are on-demand VNICs (C(global-nic)) that the system removes when the zone
              halts, so there is nothing more to remove.
          type: bool
          default: true
  prune:
    description:
      - Remove zones that are not in O(zones) but match O(prune_tag) and/or O(prune_prefix) (both must match
        when both are given). They are stopped and deleted with their disks and networking.
    type: bool
    default: false
  prune_tag:
    description: With O(prune=true), only zones carrying this tag are candidates for removal.
    type: str
  prune_prefix:
    description: With O(prune=true), only zones whose name starts with this prefix are candidates for removal.
    type: str
  concurrency:
    description:
      - How many zones are changed at the same time (1 to 32).
      - With O(backend=native), also how many zone configurations are read at the same time; the commands of
        different zones then run side by side on the host.
    type: int
    default: 8
notes:
  - With O(backend=native) the module runs on the host itself (over the play's connection, with C(become) or
    O(pfexec)); the zones, their datasets and their configuration follow the same layout as
    M(zoneweaver.illumos.zone) with O(zoneweaver.illumos.zone#module:backend=native), so both modules (and the
    agent) manage the same zones.
seealso:
  - module: zoneweaver.illumos.zone
  - module: zoneweaver.illumos.zone_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: A small environment of three zones, everything else tagged env-demo removed
  zoneweaver.illumos.zones:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    prune: true
    prune_tag: env-demo
    zones:
      - name: 0101--web01.example.com
        state: running
        vcpus: 2
        ram: 2G
        boot_disk: {type: template, box: STARTcloud/debian13-server, box_version: latest}
        nics: [{global_nic: zwestub_0}]
        tags: [env-demo]
      - name: 0102--web02.example.com
        state: running
        vcpus: 2
        ram: 2G
        boot_disk: {type: template, box: STARTcloud/debian13-server, box_version: latest}
        nics: [{global_nic: zwestub_0}]
        tags: [env-demo]
      - name: 0103--db01.example.com
        state: running
        vcpus: 4
        ram: 8G
        boot_disk: {type: blank, size: 100G}
        tags: [env-demo]
  register: env

- name: Show what changed
  ansible.builtin.debug:
    msg: "{{ env.results | selectattr('changed') | map(attribute='name') | list }}"

- name: Build the list from a variable
  zoneweaver.illumos.zones:
    zones: "{{ fleet | map('combine', {'state': 'running', 'ram': '2G'}) | list }}"

- name: The same on a host without an agent, over SSH (the illumos commands run on the host)
  become: true
  zoneweaver.illumos.zones:
    backend: native
    prune: true
    prune_tag: env-demo
    concurrency: 4
    zones:
      - name: web01.example.com
        state: running
        vcpus: 2
        ram: 2G
        boot_disk: {type: blank, size: 20G}
        nics: [{global_nic: igb0}]
        tags: [env-demo]
"""

RETURN = r"""
results:
  description:
    - One entry per zone, in the order of O(zones), followed by the pruned zones.
    - Each has the keys of M(zoneweaver.illumos.zone)'s result (C(changed), C(actions), C(zone), C(tasks),
      C(reboot_required), C(diff) in diff mode) plus C(name) and the requested C(state); a failed zone has
      C(failed=true) and C(msg).
  returned: always
  type: list
  elements: dict
  sample:
    - {name: 0101--web01.example.com, state: running, changed: false, actions: [], tasks: [], reboot_required: false,
       zone: {name: 0101--web01.example.com, status: running, ram: 2G, vcpus: 2}}
summary:
  description: Counts over RV(results).
  returned: always
  type: dict
  sample: {total: 3, changed: 1, unchanged: 2, failed: 0, created: 1, removed: 0}
pruned:
  description: Names of the zones removed (or, in check mode, that would be removed) by O(prune).
  returned: always
  type: list
  elements: str
"""

import copy

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_options import ZONE_OPTIONS
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zones import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    zones={"type": "list", "elements": "dict", "required": True, "options": copy.deepcopy(ZONE_OPTIONS)},
    prune={"type": "bool", "default": False},
    prune_tag={"type": "str"},
    prune_prefix={"type": "str"},
    concurrency={"type": "int", "default": 8},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
