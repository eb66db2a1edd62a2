#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: smf_service
short_description: Manage the state and properties of an SMF service instance on an illumos host
version_added: 0.1.0
description:
  - Sets properties of an SMF instance (C(svccfg -s FMRI setprop)) when their values differ, refreshes the
    instance once after a change (C(svcadm refresh)), then brings it to O(state) (C(svcadm enable), C(disable),
    C(restart), C(refresh), C(clear) from maintenance) and waits until it settles (C(svcs -H -o state)).
  - Runs on the host itself (no Zoneweaver Agent involved); the commands need root (C(become)) or an RBAC
    profile (O(pfexec)).
extends_documentation_fragment:
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
    details: Check mode runs only C(svcs) and C(svccfg listprop).
  diff_mode:
    support: full
options:
  name:
    description:
      - The instance, as an FMRI (V(svc:/network/service/dhcp:ipv4)) or a pattern svcs accepts (V(dhcp:ipv4)).
        It must name exactly one instance.
    type: str
    required: true
    aliases: [fmri]
  state:
    description:
      - V(enabled) enables the instance (or clears it from maintenance) and waits until it is online.
      - V(disabled) disables it. An instance that does not exist counts as disabled.
      - V(restarted) restarts an online instance (enables a disabled one) and always reports a change.
      - V(refreshed) re-reads its configuration (C(svcadm refresh)) and always reports a change, unless
        O(properties) already refreshed it.
      - Not set, only O(properties) are managed.
    type: str
    choices: [enabled, disabled, restarted, refreshed]
  properties:
    description: Properties to set, compared with C(svccfg listprop); only differing ones are set.
    type: list
    elements: dict
    suboptions:
      name:
        description: Property as C(group/name), such as V(config/listen_ifnames).
        type: str
        required: true
      value:
        description: The value, or a list of values for a multi-valued property.
        type: raw
        required: true
      type:
        description:
          - SMF type of the property (V(astring), V(count), V(boolean), ...). Defaults to the type the
            property has, or V(astring) for a new property.
        type: str
  wait:
    description: Wait until the instance is online (enabled, restarted) or disabled.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 60
  pfexec:
    description: Run every command through C(pfexec), for a login user that holds an RBAC profile.
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.ips_package
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: The DHCP server listens on the provisioning interface
  zoneweaver.illumos.smf_service:
    name: svc:/network/service/dhcp:ipv4
    properties:
      - name: config/listen_ifnames
        value: [provision_interconnect0]
    state: enabled
  become: true

- name: The Zoneweaver Agent is running
  zoneweaver.illumos.smf_service:
    name: svc:/system/virtualization/zoneweaver-agent:default
    state: enabled
    wait_timeout: 120
  become: true
"""

RETURN = r"""
state:
  description: The instance's state after the run (in check mode, the state it would reach); V(null) when it does not exist.
  returned: always
  type: str
  sample: online
exists:
  description: Whether the instance exists.
  returned: always
  type: bool
  sample: true
actions:
  description: The svccfg and svcadm commands run (in check mode, the ones that would run).
  returned: always
  type: list
  elements: str
  sample: ["svcadm enable svc:/system/virtualization/zoneweaver-agent:default"]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.smf_service import run as RUNNER

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["fmri"]},
    "state": {"type": "str", "choices": ["enabled", "disabled", "restarted", "refreshed"]},
    "properties": {"type": "list", "elements": "dict", "options": {
        "name": {"type": "str", "required": True},
        "value": {"type": "raw", "required": True},
        "type": {"type": "str"},
    }},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 60},
    "pfexec": {"type": "bool", "default": False},
}


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
