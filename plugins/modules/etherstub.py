#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: etherstub
short_description: Create and remove etherstubs (internal virtual switches) on an illumos host
version_added: 0.1.0
description:
  - Ensures an etherstub (C(dladm create-etherstub)) exists or not, through the Zoneweaver Agent API.
    VNICs created over an etherstub form a private network between zones and the host.
  - Removing an etherstub that VNICs still sit on is refused, naming those VNICs, unless O(force=true).
  - The agent lists etherstubs from a monitoring database that lags behind its tasks by about 10 seconds;
    the module waits until the list shows the change (within O(wait_timeout)) before it reports success.
  - Without an agent (O(backend=native)), runs C(dladm create-etherstub) and C(dladm delete-etherstub) on the host
    itself (with O(force=true), C(dladm delete-vnic) for each VNIC on it first); nothing lags, so nothing is waited
    for. A name already taken by a link of another class, or a VNIC that cannot go (a zone holds it, or it carries
    an IP interface), is refused before anything is changed, in check mode too.
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
      - Name of the etherstub. It must start with a letter and end in a digit, with letters, digits and C(_)
        between (at most 31 characters), for example V(stub0).
    type: str
    required: true
  state:
    description: V(present) creates the etherstub if needed; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), delete the etherstub even while VNICs sit on it.
      - With V(false), the task fails and names the VNICs that block the removal.
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.vnic
  - module: zoneweaver.illumos.network_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: A private switch for the zones of one tenant
  zoneweaver.illumos.etherstub:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    name: tenant1_0

- name: Remove it once its VNICs are gone
  zoneweaver.illumos.etherstub:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    name: tenant1_0
    state: absent
"""

RETURN = r"""
etherstub:
  description:
    - The etherstub after the run, as the agent lists it.
    - Empty in check mode for a new etherstub, after removal, and with O(wait=false).
  returned: always
  type: dict
  sample: {name: stub0, state: unknown}
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
tasks:
  description:
    - The agent tasks this run started, in order. With O(wait=false), follow them with
      M(zoneweaver.illumos.task_info).
    - Always empty with O(backend=native) (the commands run to completion).
  returned: always
  type: list
  elements: dict
  sample: [{step: create_etherstub, task_id: 0b7c1c1e-6c1f-4d07-9a59-0d0c9a0a3a11}]
vnics:
  description: On a refused removal, the VNICs that sit on the etherstub.
  returned: failure
  type: list
  elements: str
  sample: [web0, db0]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.etherstub import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    name={"type": "str", "required": True},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    force={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
