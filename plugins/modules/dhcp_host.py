#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dhcp_host
short_description: Add, change and remove static DHCP host entries (ISC dhcpd) through a Zoneweaver Agent or natively
version_added: 0.1.0
description:
  - Ensures a static C(host) entry of the host's C(/etc/dhcpd.conf), which gives the client with a MAC
    address a fixed IP address, through the Zoneweaver Agent.
  - Entries are identified by O(hostname). MAC addresses compare case- and zero-insensitively
    (V(2:8:20:a:b:c) equals V(02:08:20:0A:0B:0C)) and are sent as V(02:08:20:0a:0b:0c).
  - The agent keeps hostname, MAC and IP each unique and has no update. An entry of the same hostname
    with another MAC or IP is removed and added again. An entry of B(another) hostname with the same MAC
    or IP is a conflict, detected before any request. The run fails and names that entry, unless
    O(replace=true), which removes it first.
  - The same endpoints serve both agent generations (0.2 and 0.3.x).
  - Without an agent (O(backend=native)), the module keeps host entries in a block of O(config_file) between the
    lines C(# BEGIN zoneweaver.illumos managed dhcp_host) and C(# END zoneweaver.illumos managed dhcp_host). Every
    other line of the file is left as it is. Entries outside the block count for conflicts, but changing or
    removing one of them is refused, naming it.
  - Natively, the new file is checked with C(dhcpd -t -cf) when C(dhcpd) is found, replaced atomically (owner and
    mode kept), and only when it changed a running server is restarted (C(svcadm restart); C(svcadm clear) from
    maintenance). A disabled server is left disabled.
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
  hostname:
    description:
      - The entry's name (C(host <hostname>) in dhcpd.conf); letters, digits, V(-), V(_) and V(.).
    type: str
    required: true
    aliases: [name]
  mac:
    description: The client's MAC address. Required with O(state=present).
    type: str
  ip:
    description: The IPv4 address the client gets. Required with O(state=present).
    type: str
  replace:
    description:
      - Remove entries of other hostnames that have the same MAC or IP before adding this one.
      - With V(false), such an entry fails the run (naming it) before anything is changed; if this entry is
        already in place, it only warns.
    type: bool
    default: false
  state:
    description:
      - V(present) adds or updates the entry, V(absent) removes the entry of O(hostname) (O(mac) and O(ip)
        are not needed).
    type: str
    choices: [present, absent]
    default: present
  config_file:
    description:
      - With O(backend=native), the ISC dhcpd configuration file to manage; it must be the file the DHCP service
        reads. Defaults to C(/etc/dhcpd.conf).
      - The agent writes its own file and ignores this option (with a warning).
    type: path
  backup:
    description:
      - With O(backend=native), keep a copy of O(config_file) as C(<file>.<timestamp>) before it is replaced.
      - The agent ignores this option (with a warning).
    type: bool
    default: false
notes:
  - With O(wait=false), removals that the addition depends on are still waited for.
seealso:
  - module: zoneweaver.illumos.dhcp_subnet
  - module: zoneweaver.illumos.dhcp_service
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: A fixed address for web01
  zoneweaver.illumos.dhcp_host:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    hostname: web01
    mac: "02:08:20:0a:0b:0c"
    ip: 10.190.190.20

- name: Give the address to web02, taking it from whichever entry holds it
  zoneweaver.illumos.dhcp_host:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    hostname: web02
    mac: "02:08:20:0a:0b:0d"
    ip: 10.190.190.20
    replace: true

- name: Without an agent, on the host itself (managed block of /etc/dhcpd.conf)
  zoneweaver.illumos.dhcp_host:
    backend: native
    hostname: web03
    mac: "02:08:20:0a:0b:0e"
    ip: 10.190.190.22
  become: true

- name: Remove it
  zoneweaver.illumos.dhcp_host:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    hostname: web02
    state: absent
"""

RETURN = r"""
host:
  description:
    - The entry as the agent reads it back after the run (as it will be, in check mode and with
      O(wait=false)). Empty after removal.
  returned: always
  type: dict
  contains:
    hostname:
      description: The entry's name.
      type: str
      sample: web01
    mac:
      description: The MAC address, normalised.
      type: str
      sample: "02:08:20:0a:0b:0c"
    ip:
      description: The fixed address.
      type: str
      sample: 10.190.190.20
actions:
  description:
    - What was done (or would be done in check mode), in order.
    - With the native backend, followed by the service commands run after the file changed.
  returned: always
  type: list
  elements: str
  sample: ["remove old01 (conflicting mac)", "add web01"]
backup_file:
  description: The copy of O(config_file) made before it was replaced (native backend, O(backup=true)).
  returned: when a backup was made
  type: str
  sample: /etc/dhcpd.conf.20251122T073900
conflicts:
  description: The conflicting entries (each with C(shared), the keys it shares), when the run failed on a conflict.
  returned: on a conflict failure
  type: list
  elements: dict
  sample: [{hostname: old01, mac: "02:08:20:0a:0b:0c", ip: 10.190.190.30, shared: [mac]}]
task_ids:
  description: The agent tasks queued, when O(wait=false) and a change was sent.
  returned: when O(wait=false) and changed
  type: list
  elements: str
  sample: [0b7e3c58-2f44-4c1f-9a3e-0e1d2c3b4a59]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.dhcp_host import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    hostname={"type": "str", "required": True, "aliases": ["name"]},
    mac={"type": "str"},
    ip={"type": "str"},
    replace={"type": "bool", "default": False},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    config_file={"type": "path"},
    backup={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
