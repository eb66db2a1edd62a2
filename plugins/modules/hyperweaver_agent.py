#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperweaver_agent
short_description: Register, update and remove Zoneweaver Agents on a Hyperweaver Server
version_added: 0.1.0
description:
  - Manages the agent registry of a Hyperweaver Server (C(/api/servers)), the list of Zoneweaver Agents the
    server relays to and the agent key it holds for each of them.
  - A registration is identified by O(hostname), O(port) and O(protocol), which the server keeps unique.
  - Only the settings given are compared. O(allow_insecure) and O(orgs) are changed in place. The server cannot
    change the entity name, the description or the key of a registration; changing them deletes the registration
    and registers the agent again (see O(recreate) and O(update_key)).
  - The server never gives back the agent key it stores, so O(api_key) cannot be compared; O(update_key) decides
    whether it is sent again.
  - The server itself checks O(api_key) against the agent when registering, so the server, not the controller,
    must reach the agent.
  - This module talks to the Hyperweaver Server only; it is not an agent module and is not part of the
    C(zoneweaver.illumos.agent) action group.
  - The agent key, the password and the login token never appear in results, messages, warnings or diffs.
extends_documentation_fragment:
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
    details: In check mode the module only reads (the login and C(GET) requests); nothing is registered, changed or removed.
  diff_mode:
    support: full
    details: The diff shows the compared settings and the state, never the key.
options:
  hyperweaver_url:
    description:
      - URL of the Hyperweaver Server, for example V(https://hyperweaver.example.com:3443).
      - Required. If not set, the environment variable E(ZONEWEAVER_HYPERWEAVER_URL) is used.
    type: str
  hyperweaver_username:
    description:
      - Hyperweaver account (local or LDAP) to log in with, together with O(hyperweaver_password). Registering,
        changing and removing agents needs the role C(admin) or C(super-admin).
      - The login token is cached on the controller and reused by later tasks (the server allows 25 logins
        per 15 minutes).
      - If not set, the environment variable E(ZONEWEAVER_HYPERWEAVER_USERNAME) is used.
    type: str
  hyperweaver_password:
    description:
      - Password of O(hyperweaver_username).
      - If not set, the environment variable E(ZONEWEAVER_HYPERWEAVER_PASSWORD) is used.
    type: str
  hyperweaver_token:
    description:
      - A Hyperweaver login token (JWT) to use instead of O(hyperweaver_username) and O(hyperweaver_password).
      - If not set, the environment variable E(ZONEWEAVER_HYPERWEAVER_TOKEN) is used.
    type: str
  validate_certs:
    description:
      - Verify the Hyperweaver Server's TLS certificate. Rather than turning this off, trust it with O(ca_path).
      - This is about the server. Whether the server verifies the agent's certificate is O(allow_insecure).
      - If not set, the environment variable E(ZONEWEAVER_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the certificate authority (or the self-signed certificate) of the Hyperweaver Server.
      - If not set, the environment variable E(ZONEWEAVER_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for one answer of the server (connecting is capped at 10 seconds). Registering waits
        for the server to check the key with the agent.
    type: int
    default: 30
  state:
    description:
      - V(present) registers the agent, or brings the registration to the settings given.
      - V(absent) removes the registration. Only O(hostname), O(port) and O(protocol) are used.
    type: str
    choices: [present, absent]
    default: present
  hostname:
    description:
      - Host name or address of the agent, as the Hyperweaver Server reaches it.
    type: str
    required: true
  port:
    description: Port of the agent's API.
    type: int
    default: 5001
  protocol:
    description: Protocol the server uses to reach the agent.
    type: str
    choices: [http, https]
    default: https
  entity_name:
    description:
      - Name of the agent on the server (C(entity_name)), the name other modules use in
        O(zoneweaver.illumos.zone#module:hyperweaver_agent) and the inventory uses as the agent's label.
      - Defaults to O(hostname) when the agent is registered. Not compared when not set.
      - Changing it needs O(recreate=true).
    type: str
    aliases: [name]
  description:
    description:
      - Description of the registration. Not compared when not set; V("") and no description are the same.
      - Changing it needs O(recreate=true).
    type: str
  api_key:
    description:
      - The agent's API key (C(hw_...)), which the server stores and sends to the agent on every relayed request.
        Any role works, but the server can then only do what the key's role allows; use an C(admin) key for full use.
      - Required to register an agent of version 0.3.5 or later. Without it the server asks the agent for a key
        through the agent's bootstrap, which those agents refuse without the host's setup token.
      - Required to register an agent again (O(recreate), O(update_key=always)).
      - Never shown; the server cannot give it back, so it is not compared (see O(update_key)).
    type: str
  update_key:
    description:
      - V(on_create) sends O(api_key) only when the agent is registered. A registration that exists keeps its key.
      - V(always) registers the agent again with O(api_key) on every run, to replace the stored key (after a key
        rotation, for example). As the key cannot be compared, the task then always reports a change, the agent
        gets a new id, and its organisations and those of its machines are put back.
    type: str
    choices: [always, on_create]
    default: on_create
  allow_insecure:
    description:
      - Whether the server accepts the agent's TLS certificate without verifying it (the agent's generated
        certificate is self-signed). Only for O(protocol=https).
      - Not compared when not set; a new registration then gets the server's default (V(false)).
    type: bool
  orgs:
    description:
      - The organisations that own the agent, by their C(org_uuid). Users of other organisations (except admins)
        then cannot see or use it.
      - V([]) removes every organisation, which makes the agent visible to all users.
      - Not compared when not set. Organisations of single machines are not managed here.
    type: list
    elements: str
  recreate:
    description:
      - Allow deleting and registering the agent again when O(entity_name) or O(description) differ, which the
        server cannot change in place. Needs O(api_key).
      - The module first checks that the server reaches the agent (C(POST /api/servers/test)) and reads the
        organisations of the agent and of its machines, then deletes, registers, and restores them. The agent
        gets a new id.
      - Without it such a difference fails the task before anything is changed.
    type: bool
    default: false
notes:
  - The module runs on the controller (an action plugin of the same name); only the controller must reach
    O(hyperweaver_url).
  - If registering again fails after the delete (for example the agent refuses O(api_key)), the agent is left
    unregistered and the error says so; run the task again with a valid key.
seealso:
  - module: zoneweaver.illumos.api_key
  - module: zoneweaver.illumos.agent_info
requirements:
  - requests (Python library, on the controller)
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Register an agent with an admin key created for the server
  zoneweaver.illumos.hyperweaver_agent:
    hyperweaver_url: https://hyperweaver.example.com:3443
    hyperweaver_username: automation
    hyperweaver_password: "{{ vault_hyperweaver_password }}"
    ca_path: /etc/pki/hyperweaver/ca.pem
    hostname: omni1.example.com
    entity_name: omni1
    description: Rack 3, build hosts
    api_key: "{{ lookup('ansible.builtin.file', 'secrets/omni1.hyperweaver.key') }}"
    allow_insecure: true
    orgs:
      - 0c3d1a52-6ab5-5b3f-9c0c-4f7c2f1f9d11

- name: Push a rotated key (registers the agent again; its id changes)
  zoneweaver.illumos.hyperweaver_agent:
    hyperweaver_url: https://hyperweaver.example.com:3443
    hyperweaver_token: "{{ hyperweaver_jwt }}"
    hostname: omni1.example.com
    api_key: "{{ new_omni1_key }}"
    update_key: always

- name: Rename it (the server cannot rename in place)
  zoneweaver.illumos.hyperweaver_agent:
    hyperweaver_url: https://hyperweaver.example.com:3443
    hyperweaver_token: "{{ hyperweaver_jwt }}"
    hostname: omni1.example.com
    entity_name: omni1-build
    api_key: "{{ lookup('ansible.builtin.file', 'secrets/omni1.hyperweaver.key') }}"
    recreate: true

- name: Remove it
  zoneweaver.illumos.hyperweaver_agent:
    hyperweaver_url: https://hyperweaver.example.com:3443
    hyperweaver_token: "{{ hyperweaver_jwt }}"
    hostname: omni1.example.com
    state: absent
"""

RETURN = r"""
agent:
  description:
    - The registration as the server lists it after the run (in check mode, as it would be). Never the key.
  returned: when the agent is or was registered
  type: dict
  contains:
    id:
      description: Id on the server, usable as O(zoneweaver.illumos.zone#module:hyperweaver_agent).
      type: int
      sample: 3
    hostname:
      description: Host name or address of the agent.
      type: str
      sample: omni1.example.com
    port:
      description: Port of the agent.
      type: int
      sample: 5001
    protocol:
      description: Protocol.
      type: str
      sample: https
    entity_name:
      description: Name of the agent on the server.
      type: str
      sample: omni1
    description:
      description: Description.
      type: str
      sample: Rack 3, build hosts
    is_active:
      description: Whether the server relays to it.
      type: bool
      sample: true
    allow_insecure:
      description: Whether the server skips verifying the agent's certificate.
      type: bool
      sample: true
    last_seen:
      description: When the server's health poller last reached the agent; V(null) if never.
      type: str
      sample: "2026-07-20T10:00:00.000Z"
    org_uuids:
      description: Organisations of the agent and of its machines, as the server lists them.
      type: list
      elements: str
      sample: ["0c3d1a52-6ab5-5b3f-9c0c-4f7c2f1f9d11"]
    orgs:
      description: The agent's own organisations.
      returned: when O(orgs) is set
      type: list
      elements: str
      sample: ["0c3d1a52-6ab5-5b3f-9c0c-4f7c2f1f9d11"]
    capabilities:
      description: The agent's C(GET /status) answer as the server stored it; V(null) until the server reached it.
      type: dict
      sample: {role: agent, version: 0.3.9, hostname: omni1}
    agent_version:
      description: The agent's version, from RV(agent.capabilities).
      type: str
      sample: 0.3.9
recreated:
  description: Whether the agent was (or in check mode would be) deleted and registered again.
  returned: with O(state=present)
  type: bool
  sample: false
previous_id:
  description: The id the agent had before it was registered again.
  returned: when the agent was registered again
  type: int
  sample: 1
restored_machine_orgs:
  description: Machines whose own organisations were put back after registering again.
  returned: when the agent was registered again and some of its machines had organisations
  type: list
  elements: str
  sample: ["0001--web01.example.com"]
msg:
  description: What happened, without any secret.
  returned: always
  type: str
  sample: registered agent 'omni1' as id 3
state:
  description: The O(state) handled.
  returned: always
  type: str
  sample: present
"""

from ansible.module_utils.basic import env_fallback

from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.hyperweaver_agent import run as RUNNER

ARGUMENT_SPEC = {
    "hyperweaver_url": {"type": "str", "fallback": (env_fallback, ["ZONEWEAVER_HYPERWEAVER_URL"])},
    "hyperweaver_username": {"type": "str", "fallback": (env_fallback, ["ZONEWEAVER_HYPERWEAVER_USERNAME"])},
    "hyperweaver_password": {"type": "str", "no_log": True,
                             "fallback": (env_fallback, ["ZONEWEAVER_HYPERWEAVER_PASSWORD"])},
    "hyperweaver_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["ZONEWEAVER_HYPERWEAVER_TOKEN"])},
    "validate_certs": {"type": "bool", "default": True, "fallback": (env_fallback, ["ZONEWEAVER_VALIDATE_CERTS"])},
    "ca_path": {"type": "path", "fallback": (env_fallback, ["ZONEWEAVER_CA_PATH"])},
    "timeout": {"type": "int", "default": 30},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "hostname": {"type": "str", "required": True},
    "port": {"type": "int", "default": 5001},
    "protocol": {"type": "str", "default": "https", "choices": ["http", "https"]},
    "entity_name": {"type": "str", "aliases": ["name"]},
    "description": {"type": "str"},
    "api_key": {"type": "str", "no_log": True},
    "update_key": {"type": "str", "default": "on_create", "choices": ["always", "on_create"], "no_log": False},
    "allow_insecure": {"type": "bool"},
    "orgs": {"type": "list", "elements": "str"},
    "recreate": {"type": "bool", "default": False},
}


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
