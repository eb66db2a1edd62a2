#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: provisioning_profile
short_description: Manage provisioning profiles on 0.2 agents
version_added: 0.1.0
description:
  - Ensures a provisioning profile exists on a Zoneweaver Agent of the 0.2 generation, or is absent. A profile
    bundles a recipe with default credentials, sync folders, provisioners and variables for zones to reuse.
  - Only the 0.2 generation has profiles; agents 0.3 and later removed them, and the task fails there with a
    message saying so (give each zone its provisioning section with M(zoneweaver.illumos.zone_provision)
    instead).
  - Profiles are found by O(name). Only the options you set are compared.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description: Unique name of the profile.
    type: str
    required: true
  state:
    description: Whether the profile should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Free-form description.
    type: str
  recipe:
    description: The recipe of the profile, by name or id (see M(zoneweaver.illumos.provisioning_recipe)).
    type: str
  default_credentials:
    description:
      - Credentials the provisioners use to log in to the guest (for example C(username), C(password)).
      - Never shown in results or diffs.
    type: dict
  default_sync_folders:
    description: Folders synced into the guest, compared as a whole.
    type: list
    elements: raw
  default_provisioners:
    description: Provisioners to run, compared as a whole.
    type: list
    elements: raw
  default_variables:
    description: Variables for the provisioners, compared as a whole.
    type: dict
seealso:
  - module: zoneweaver.illumos.provisioning_recipe
  - module: zoneweaver.illumos.zone_provision
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: A profile for Debian web servers
  zoneweaver.illumos.provisioning_profile:
    name: debian-web
    recipe: debian-dhcp
    default_credentials:
      username: vagrant
      password: "{{ vault_guest_password }}"
    default_provisioners:
      - {type: shell, inline: "apt-get install -y nginx"}
"""

RETURN = r"""
profile:
  description:
    - The profile after the run, as the agent stores it, with credential values shown as C(********).
    - Empty when absent, and in check mode for a new profile.
  returned: always
  type: dict
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: [create]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.named_row import named_row_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.provisioning_profile import run as RUNNER

ARGUMENT_SPEC = named_row_argument_spec(
    description={"type": "str"},
    recipe={"type": "str"},
    default_credentials={"type": "dict", "no_log": True},
    default_sync_folders={"type": "list", "elements": "raw"},
    default_provisioners={"type": "list", "elements": "raw"},
    default_variables={"type": "dict"},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
