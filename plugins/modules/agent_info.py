#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: agent_info
short_description: Read what a Zoneweaver Agent is, which generation it speaks and what the key may do
version_added: 0.1.0
description:
  - Reads the agent's public C(GET /status) (version, features, hypervisors, whether the first key
    can still be bootstrapped). No API key is needed for that.
  - With O(api_key), also reads C(GET /version) and the key's own record (C(GET /api-keys/info)),
    which gives the key's role. A key the agent rejects fails the task with the agent's answer.
  - Agents of generation 0.2 have no C(/status) and no roles. Without O(api_key) their version is
    unknown (RV(agent.version) is V(null)); with it, C(/version) tells it.
  - Refreshes the generation the other modules of this controller process use for O(api_url).
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
seealso:
  - module: zoneweaver.illumos.api_key
  - module: zoneweaver.illumos.zone_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Is the agent up, and can the first key still be bootstrapped?
  zoneweaver.illumos.agent_info:
    api_url: https://omnios1.example.com:5001
    ca_path: /etc/pki/zoneweaver/omnios1.pem
  register: agent

- name: Bootstrap only on a fresh agent
  zoneweaver.illumos.api_key:
    api_url: https://omnios1.example.com:5001
    ca_path: /etc/pki/zoneweaver/omnios1.pem
    state: bootstrap
    setup_token: "{{ vault_omnios1_setup_token }}"
    dest: "{{ playbook_dir }}/secrets/omnios1.key"
  when: agent.agent.bootstrap_available

- name: Make sure the key in use may change things
  zoneweaver.illumos.agent_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
  register: agent
  failed_when: agent.agent.key_role not in ['admin', 'operator', none]
"""

RETURN = r"""
agent:
  description: What the agent said about itself. Keys it did not answer are V(null) (or empty lists).
  returned: always
  type: dict
  contains:
    version:
      description: Agent version; V(null) for a 0.2 agent read without O(api_key).
      type: str
      sample: 0.3.9
    generation:
      description: The API generation the collection speaks with it, V(0.2), V(0.3) or V(0.3.9).
      type: str
      sample: 0.3.9
    name:
      description: Software name, V(zoneweaver-agent) or V(zoneweaver-api).
      type: str
      sample: zoneweaver-agent
    hostname:
      description: Host name of the hypervisor host.
      type: str
      sample: omnios1
    platform:
      description: Operating system.
      type: str
      sample: omnios
    arch:
      description: Machine architecture.
      type: str
      sample: x86_64
    features:
      description: Feature tokens, sorted (for example V(machines), V(machine-snapshots), V(vnics)).
      type: list
      elements: str
      sample: [machine-create, machines, tasks, vnics, zfs]
    hypervisors:
      description: Hypervisors the host offers.
      type: list
      elements: str
      sample: [bhyve]
    bootstrap_available:
      description:
        - Whether C(POST /api-keys/bootstrap) would still mint the first key. V(null) when unknown (0.2).
      type: bool
      sample: false
    uptime:
      description: Seconds since the agent started.
      type: int
      sample: 86400
    machines_path:
      description: Where zones live in this generation's API, V(/machines) or V(/zones).
      type: str
      sample: /machines
    key_role:
      description: Role of O(api_key) (V(admin), V(operator), V(viewer)); V(null) without a key or roles.
      type: str
      sample: admin
    key_name:
      description: Name of O(api_key)'s record on the agent; V(null) without a key.
      type: str
      sample: ansible
    node_version:
      description: Node.js version of the agent (from C(/version), with O(api_key)).
      type: str
      sample: v22.12.0
    status_endpoint:
      description: Whether the agent has the public C(/status) (false on generation 0.2).
      type: bool
      sample: true
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.agent_info import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec()


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
