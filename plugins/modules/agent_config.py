#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: agent_config
short_description: Write the Zoneweaver Agent's config.yaml on its host, checked before it replaces the old file
version_added: 0.1.0
description:
  - Renders O(settings) as the agent's C(config.yaml) and writes it atomically (a temporary file in the same
    directory, renamed over the old one) only when the text differs, keeping a backup of the old file.
  - Before anything is written the settings are checked; values the agent cannot use (a port outside 1-65535,
    equal HTTP and HTTPS ports, a relative path, an unknown database dialect, a template source without an
    http(s) URL, a provisioning address outside its subnet, a monitoring interval below 1) fail the task and
    leave the file as it is. O(validate) can add a check of the rendered file.
  - The whole file is managed; settings not given are not kept. Reload the agent afterwards (for example
    M(zoneweaver.illumos.smf_service) with V(refreshed)) for it to read the new file.
  - Values of credential keys (C(auth_token), C(password), C(api_key), ...) are masked in the diff and never
    returned.
  - Runs on the host itself (no agent involved); needs root (C(become)) to write the file.
extends_documentation_fragment:
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
    details: In check mode the settings are checked and compared, nothing is written.
  diff_mode:
    support: full
    details: The diff shows the old and new file text with credentials masked.
options:
  path:
    description: Path of the configuration file.
    type: path
    default: /etc/zoneweaver-agent/config.yaml
  settings:
    description:
      - The agent's settings, as the file's sections (C(server), C(ssl), C(database), C(api_keys),
        C(template_sources), C(provisioning), C(host_monitoring), and any other the agent knows).
    type: dict
    required: true
  backup:
    description: Keep a copy of the old file as C(PATH.YYYYmmddTHHMMSS) before replacing it.
    type: bool
    default: true
  validate:
    description:
      - A command run on the new file before it replaces the old one, with C(%s) where the temporary file's
        path goes. The file is not written when it exits with a non-zero code.
    type: str
  mode:
    description:
      - Permissions of a new file (octal string). An existing file keeps its mode and owner.
      - The file can hold registry tokens, so the default keeps it from other users.
    type: str
    default: '0640'
notes:
  - The file is written in block YAML with every string double-quoted, which the agent reads as usual.
  - The role C(zoneweaver.illumos.agent) composes the settings from its variables and refreshes the agent after a change.
seealso:
  - module: zoneweaver.illumos.smf_service
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Agent configuration
  zoneweaver.illumos.agent_config:
    settings:
      server: {http_port: 5000, https_port: 5001}
      ssl: {enabled: true, generate_ssl: true}
      database: {dialect: sqlite, storage: /var/lib/zoneweaver-agent/database/database.sqlite}
      host_monitoring:
        intervals: {network_config: 10, storage: 300}
  become: true
  notify: Refresh the agent
"""

RETURN = r"""
path:
  description: The file.
  returned: always
  type: str
  sample: /etc/zoneweaver-agent/config.yaml
backup_file:
  description: The copy of the old file.
  returned: when a backup was made
  type: str
  sample: /etc/zoneweaver-agent/config.yaml.20260101T120000
actions:
  description: What was (or in check mode would be) done.
  returned: always
  type: list
  elements: str
  sample: ["write /etc/zoneweaver-agent/config.yaml"]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.agent_config import run as RUNNER

ARGUMENT_SPEC = {
    "path": {"type": "path", "default": "/etc/zoneweaver-agent/config.yaml"},
    "settings": {"type": "dict", "required": True},
    "backup": {"type": "bool", "default": True},
    "validate": {"type": "str"},
    "mode": {"type": "str", "default": "0640"},
}


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
