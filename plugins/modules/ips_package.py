#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ips_package
short_description: Manage an IPS publisher and IPS packages on an OmniOS/illumos host
version_added: 0.1.0
description:
  - Adds, changes or removes an IPS publisher (C(pkg set-publisher), C(pkg unset-publisher)), then installs,
    updates or removes packages (C(pkg install), C(pkg update), C(pkg uninstall)) on the host the module runs on.
  - What is installed is read from C(pkg list -Hv). Whether pkg has anything to do is pkg's own answer to a dry
    run (C(-n)); its exit code 4 means "nothing to do", so a second identical run sends no changing command.
  - Runs on the host itself (no Zoneweaver Agent involved); the commands need root (C(become)) or an RBAC
    profile (O(pfexec)).
extends_documentation_fragment:
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
    details: Check mode runs only reads and pkg's dry runs (C(-n)).
  diff_mode:
    support: full
options:
  name:
    description:
      - Packages, as their stem or its trailing components (V(ooce/system/zadm) or V(zadm)), with an optional
        version after C(@) for O(state=present) (V(system/virtualization/zoneweaver-agent@0.3.9)).
      - A version matches every version that starts with it, as in pkg (V(0.3.9) matches V(0.3.9-151054.0)).
    type: list
    elements: str
    aliases: [pkg, packages]
  state:
    description:
      - V(present) installs missing packages, and changes an installed package to the version given with it.
      - V(latest) also updates installed packages to the newest version pkg can install.
      - V(absent) removes installed packages.
    type: str
    choices: [present, latest, absent]
    default: present
  accept_licenses:
    description: Accept the licenses of the packages (C(pkg install --accept)).
    type: bool
    default: false
  publisher:
    description: The publisher to set up before the packages are handled.
    type: dict
    suboptions:
      name:
        description: Publisher name, such as V(extra.omnios).
        type: str
        required: true
      origins:
        description:
          - Origin URIs the publisher must have. Required to add a publisher.
          - Origins it has besides these are kept unless O(publisher.purge_origins=true).
        type: list
        elements: str
      purge_origins:
        description: Remove the origins not listed in O(publisher.origins).
        type: bool
        default: false
      enabled:
        description: Whether the publisher is enabled. Not compared when not set.
        type: bool
      state:
        description: V(absent) removes the publisher (C(pkg unset-publisher)).
        type: str
        choices: [present, absent]
        default: present
  pfexec:
    description:
      - Run every command through C(pfexec), for a login user that holds an RBAC profile
        (such as C(Software Installation)) instead of using C(become).
    type: bool
    default: false
notes:
  - C(community.general.pkg5) and C(community.general.pkg5_publisher) are not available on every controller;
    this module needs nothing besides ansible-core.
seealso:
  - module: zoneweaver.illumos.smf_service
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: The agent's publisher and the agent at a chosen version
  zoneweaver.illumos.ips_package:
    publisher:
      name: zoneweaver
      origins: [https://packages.example.com/zoneweaver/]
    name:
      - system/virtualization/zoneweaver-agent@0.3.9
  become: true

- name: DHCP server and rsync, kept at the newest version
  zoneweaver.illumos.ips_package:
    name: [isc-dhcp, rsync]
    state: latest
  become: true

- name: Remove a package
  zoneweaver.illumos.ips_package:
    name: ooce/system/zadm
    state: absent
  become: true
"""

RETURN = r"""
packages:
  description: Installed version of each package named in O(name) after the run (V(null) when not installed).
  returned: when O(name) is given
  type: dict
  sample: {"system/virtualization/zoneweaver-agent": "0.3.9-151054.0"}
actions:
  description: The pkg commands run (in check mode, the ones that would run).
  returned: always
  type: list
  elements: str
  sample: ["pkg set-publisher -g https://packages.example.com/zoneweaver/ zoneweaver"]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.ips_package import run as RUNNER

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str", "aliases": ["pkg", "packages"]},
    "state": {"type": "str", "choices": ["present", "latest", "absent"], "default": "present"},
    "accept_licenses": {"type": "bool", "default": False},
    "publisher": {"type": "dict", "options": {
        "name": {"type": "str", "required": True},
        "origins": {"type": "list", "elements": "str"},
        "purge_origins": {"type": "bool", "default": False},
        "enabled": {"type": "bool"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }},
    "pfexec": {"type": "bool", "default": False},
}


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
