#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: provisioning_recipe
short_description: Manage the agent's zlogin provisioning recipes
version_added: 0.1.0
description:
  - Ensures a provisioning recipe exists on the Zoneweaver Agent with the settings you give, or is absent.
    A recipe is the console automation (over C(zlogin)) that the provisioning pipeline runs to set up a new
    guest's network before SSH works (see M(zoneweaver.illumos.zone_provision)).
  - Recipes are found by O(name). Only the options you set are compared; a change updates just those.
  - Both agent generations have recipes.
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
    description: Unique name of the recipe.
    type: str
    required: true
  state:
    description: Whether the recipe should exist.
    type: str
    choices: [present, absent]
    default: present
  os_family:
    description: Operating system family of the guests the recipe is for. Required to create a recipe.
    type: str
    choices: [linux, solaris, windows]
  brand:
    description: Zone brand the recipe is for (the agent's default is V(bhyve)).
    type: str
  description:
    description: Free-form description.
    type: str
  is_default:
    description: Make it the default recipe for its OS family.
    type: bool
  boot_string:
    description: Console text that shows the guest has booted.
    type: str
  login_prompt:
    description: Console text of the login prompt (the agent's default is V(login:)).
    type: str
  shell_prompt:
    description: Console text of the shell prompt (the agent's default is V(:~$)).
    type: str
  timeout_seconds:
    description: How long the recipe may run (the agent's default is 300).
    type: int
  steps:
    description:
      - The recipe's steps, in order, each a dictionary with a C(type) (C(wait), C(send), C(command), C(template)
        or C(delay)) and its arguments. Compared as a whole. Required to create a recipe.
    type: list
    elements: dict
  variables:
    description: Variables the steps refer to, compared as a whole.
    type: dict
seealso:
  - module: zoneweaver.illumos.zone_provision
  - module: zoneweaver.illumos.provisioning_profile
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: A recipe that sets up DHCP on a Debian guest
  zoneweaver.illumos.provisioning_recipe:
    name: debian-dhcp
    os_family: linux
    login_prompt: "login:"
    shell_prompt: ":~#"
    steps:
      - {type: wait, pattern: "login:"}
      - {type: send, text: "root\n"}
      - {type: command, command: "dhclient enp0s6"}
  register: recipe

- name: Remove it
  zoneweaver.illumos.provisioning_recipe:
    name: debian-dhcp
    state: absent
"""

RETURN = r"""
recipe:
  description: The recipe after the run, as the agent stores it (empty when absent, and in check mode for a new recipe).
  returned: always
  type: dict
  sample: {id: 3f9c6a4e-1f5e-4a5b-9c1d-2b7e8f0a1c2d, name: debian-dhcp, os_family: linux, brand: bhyve, steps: []}
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: [create]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.named_row import named_row_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.provisioning_recipe import run as RUNNER

ARGUMENT_SPEC = named_row_argument_spec(
    os_family={"type": "str", "choices": ["linux", "solaris", "windows"]},
    brand={"type": "str"},
    description={"type": "str"},
    is_default={"type": "bool"},
    boot_string={"type": "str"},
    login_prompt={"type": "str"},
    shell_prompt={"type": "str"},
    timeout_seconds={"type": "int"},
    steps={"type": "list", "elements": "dict"},
    variables={"type": "dict"},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
