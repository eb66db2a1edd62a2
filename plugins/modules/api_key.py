#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: api_key
short_description: Bootstrap the first Zoneweaver Agent API key, and create or remove named keys
version_added: 0.1.0
description:
  - O(state=bootstrap) exchanges the host's setup token for the agent's first key (role C(admin)),
    through the public C(POST /api-keys/bootstrap). It needs no O(api_key).
  - O(state=present) makes sure a key with O(name) exists, creating it if needed.
  - O(state=absent) removes the keys selected by O(name) or O(key_id).
  - A new key is returned once, as RV(api_key), and optionally written to O(dest). The agent keeps only
    a hash, so the secret of an existing key can never be read back.
  - The setup token and every key stay out of messages, warnings and diffs. The result holding a new
    key is censored in Ansible's output (like C(no_log)), but C(register) receives it in full.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
    details: In check mode no key is created or removed, and O(dest) is not written.
  diff_mode:
    support: partial
    details: Diffs with O(state=present) and O(state=absent) show the key's name, role and state.
options:
  state:
    description:
      - V(bootstrap) creates the agent's first key with O(setup_token). Idempotent, it reports no change
        when the agent no longer offers bootstrap (it already has keys) or when O(api_key) is given and
        works.
      - V(present) creates the key O(name) unless an active key with that name exists. An existing key is
        left as it is (O(role) and O(description) are not changed; a different role is warned about).
      - V(absent) removes the keys named O(name) (active or revoked), or the key O(key_id). The agent
        refuses to remove its last active admin key.
    type: str
    choices: [bootstrap, present, absent]
    default: present
  name:
    description:
      - Name of the key on the agent. Required with O(state=present).
      - With O(state=bootstrap), the name of the first key (the agent's default is V(Bootstrap-Key)).
    type: str
  description:
    description: Description of a new key.
    type: str
  role:
    description:
      - Role of a new key (O(state=present)), on agents 0.3.6 and later. V(viewer) may only read,
        V(operator) may also change zones, networks and storage, V(admin) may also manage keys and
        settings.
      - Defaults to V(viewer), the least privilege, when not set (the agent itself would default to V(admin)).
      - Agents older than 0.3.6 have no roles; setting it there gives a warning and a key with full access.
    type: str
    choices: [admin, operator, viewer]
  key_id:
    description:
      - With O(state=absent), select the key by its entity id (RV(key.id)) or by its 16-character public
        key id (RV(key.key_id), the part of the key between C(hw_) and the dot), instead of or as well as O(name).
    type: str
  setup_token:
    description:
      - The host's setup token, 64 hexadecimal characters, for O(state=bootstrap). It is in C(setup.token)
        beside the agent's configuration file (for example C(/etc/zoneweaver-agent/setup.token), mode 0600)
        and in the agent's startup log while no key exists.
      - Required by agents 0.3.5 and later (unless their C(bootstrap_require_claim_token) is off);
        older agents do not use it.
    type: str
  dest:
    description:
      - Write a new key to this file on the controller, followed by a newline, with mode 0600. The file is
        written atomically (a temporary file in the same directory, renamed over O(dest)), so it is never
        readable by others, and is prepared before the key is requested so that the key cannot be lost.
      - Left untouched when no key is created.
      - The directory must exist.
    type: path
notes:
  - A key minted here is only shown to C(register); store it (O(dest), Ansible Vault, a secrets manager)
    before the play ends, because the agent cannot show it again.
seealso:
  - module: zoneweaver.illumos.agent_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Bootstrap the first admin key of a fresh agent into a private file
  zoneweaver.illumos.api_key:
    api_url: https://omnios1.example.com:5001
    ca_path: /etc/pki/zoneweaver/omnios1.pem
    state: bootstrap
    name: ansible-admin
    setup_token: "{{ lookup('ansible.builtin.file', 'secrets/omnios1.setup.token') }}"
    dest: "{{ playbook_dir }}/secrets/omnios1.admin.key"

- name: A read-only key for monitoring
  zoneweaver.illumos.api_key:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ lookup('ansible.builtin.file', playbook_dir ~ '/secrets/omnios1.admin.key') }}"
    name: monitoring
    role: viewer
    description: Read-only key of the monitoring system
  register: monitoring

- name: Hand it to the monitoring system (only when it was just created)
  ansible.builtin.copy:
    content: "{{ monitoring.api_key }}"
    dest: /etc/monitoring/zoneweaver.key
    mode: "0600"
  no_log: true
  when: monitoring.api_key is defined

- name: Remove a key
  zoneweaver.illumos.api_key:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ lookup('ansible.builtin.file', playbook_dir ~ '/secrets/omnios1.admin.key') }}"
    name: old-ci
    state: absent
"""

RETURN = r"""
api_key:
  description:
    - The new key. Only returned when a key was created; the whole result is then censored in Ansible's
      output, but C(register) receives it.
  returned: when a key was created
  type: str
  sample: hw_AbCdEfGhIjKlMnOp.s3cr3t
key:
  description: The key's record on the agent (never its secret).
  returned: with O(state=present)
  type: dict
  contains:
    id:
      description: Entity id, usable as O(key_id).
      type: int
      sample: 3
    name:
      description: Name.
      type: str
      sample: monitoring
    key_id:
      description: Public part of the key (agents 0.3.8 and later).
      type: str
      sample: AbCdEfGhIjKlMnOp
    description:
      description: Description.
      type: str
      sample: Read-only key of the monitoring system
    role:
      description: Role (agents 0.3.6 and later).
      type: str
      sample: viewer
    is_active:
      description: Whether the key may be used.
      type: bool
      sample: true
keys:
  description: The records of the keys removed (or that would be), with O(state=absent).
  returned: with O(state=absent)
  type: list
  elements: dict
  sample: [{id: 4, name: old-ci, role: operator, is_active: true}]
dest:
  description: The file the new key was written to.
  returned: when a key was written to O(dest)
  type: str
  sample: /home/ops/site/secrets/omnios1.admin.key
role:
  description: Role of the bootstrapped key.
  returned: when O(state=bootstrap) created a key
  type: str
  sample: admin
bootstrap_available:
  description: What the agent's C(/status) said before the run; V(null) when it cannot tell (0.2).
  returned: with O(state=bootstrap)
  type: bool
  sample: true
key_valid:
  description: Whether O(api_key) works on the agent.
  returned: with O(state=bootstrap) when O(api_key) is set
  type: bool
  sample: true
msg:
  description: What happened, without any secret.
  returned: always
  type: str
  sample: bootstrap is no longer available on this agent; use an existing key
state:
  description: The O(state) handled.
  returned: always
  type: str
  sample: present
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.api_key import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    state={"type": "str", "default": "present", "choices": ["bootstrap", "present", "absent"]},
    name={"type": "str"},
    description={"type": "str"},
    role={"type": "str", "choices": ["admin", "operator", "viewer"]},
    key_id={"type": "str", "no_log": False},
    setup_token={"type": "str", "no_log": True},
    dest={"type": "path"},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
