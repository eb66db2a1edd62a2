#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: template_info
short_description: List the zone templates imported on a host
version_added: 0.1.0
description:
  - Returns the local templates of a host (boxes imported from a BoxVault registry, see
    M(zoneweaver.illumos.template)), optionally filtered by organisation, box, version, provider and architecture.
  - Through the agent, its template list (one request; V(/templates) on 0.3.9, V(/templates/local) before).
  - Without an agent (O(backend=native)), one C(zfs list) of O(template_base), which reads the datasets
    C(<template_base>/<organization>/<box>/<version>) and the user properties the native import records
    (C(zoneweaver:provider), C(zoneweaver:architecture), C(zoneweaver:sha256), ...). Datasets without them
    (not imported by M(zoneweaver.illumos.template)) and leftovers of interrupted imports are not listed.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.backend
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
options:
  organization:
    description: Only templates of this BoxVault organisation.
    type: str
    aliases: [org]
  box:
    description: Only templates of this box (needs O(organization)).
    type: str
    aliases: [box_name, name]
  version:
    description:
      - Only these versions. An exact version, or comma-separated constraints such as V(>=2025.1,<2026).
    type: str
  provider:
    description: Only templates of this provider, for example V(zone).
    type: str
  architecture:
    description: Only templates of this architecture, for example V(amd64).
    type: str
  template_base:
    description: With O(backend=native), the dataset under which templates live.
    type: str
    default: rpool/templates
seealso:
  - module: zoneweaver.illumos.template
  - module: zoneweaver.illumos.boxvault_box_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Every template on an agent's host
  zoneweaver.illumos.template_info:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
  register: local_templates

- name: The 2025 versions of one box on a host without an agent
  zoneweaver.illumos.template_info:
    backend: native
    organization: STARTcloud
    box: debian13-server
    version: ">=2025.1,<2026"
  register: debian

- name: Clone the newest one
  ansible.builtin.debug:
    msg: "{{ (debian.templates | last).dataset_path }}@ready"
  when: debian.templates | length > 0
"""

RETURN = r"""
templates:
  description:
    - The templates, ordered by organisation, box, version (as versions, oldest first), provider and architecture.
    - Agent rows are the agent's template records (C(id) is its uuid). Native rows have the same keys, read from
      the dataset's user properties (C(id) and C(dataset_path) are the dataset's name), plus C(ready) (the
      C(@ready) snapshot exists), C(registry_checksum) (C(<TYPE>:<hex>) verified at import), C(type) and C(volsize).
  returned: always
  type: list
  elements: dict
  sample:
    - id: rpool/templates/STARTcloud/debian13-server/2025.8.22
      organization: STARTcloud
      box_name: debian13-server
      version: 2025.8.22
      provider: zone
      architecture: amd64
      dataset_path: rpool/templates/STARTcloud/debian13-server/2025.8.22
      size: 734003200
      checksum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      checksum_algorithm: sha256
      registry_checksum: SHA256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      source_url: https://boxvault.example.com
      downloaded_at: "2026-11-22T10:00:00Z"
      ready: true
generation:
  description: The agent generation the answer came from (V(0.2), V(0.3) or V(0.3.9)), or V(native).
  returned: always
  type: str
  sample: native
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.template_info import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    backend=True,
    organization={"type": "str", "aliases": ["org"]},
    box={"type": "str", "aliases": ["box_name", "name"]},
    version={"type": "str"},
    provider={"type": "str"},
    architecture={"type": "str"},
    template_base={"type": "str", "default": "rpool/templates"},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
