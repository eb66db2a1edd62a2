#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_exec
short_description: Run a command in a zone's guest through the agent's guest agent
version_added: 0.1.0
description:
  - Runs one program inside a running bhyve zone's guest operating system through the Zoneweaver Agent's
    guest-agent exec (the QEMU guest agent), and returns its exit code, standard output and standard error.
  - Needs agent 0.3.9 or later with its C(guest-agent) feature enabled and a zone with the guest agent on.
    Agents of the 0.2 generation, and agents with the feature off, have no guest exec; the task then fails
    with a message saying so, before anything runs.
  - The program runs directly, not through a shell; for pipes, redirections or several commands give
    O(argv=[/bin/sh, -c, "..."]).
  - Like M(ansible.builtin.command), the module cannot know whether the command changed anything, so it
    never reports a change; say when it did with C(changed_when) (see the examples). A non-zero exit code
    fails the task; relax it with C(failed_when).
  - A command cannot be previewed, so in check mode the task is skipped with a message.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: partial
    details: The command is never run in check mode; the task is reported as skipped, with a message.
  diff_mode:
    support: none
options:
  name:
    description: The zone whose guest runs the command.
    type: str
    required: true
    aliases: [machine_name, zone_name]
  argv:
    description:
      - The program and its arguments, as a list; the first item is the program (a path or a name the
        guest agent finds on its C(PATH)).
      - Exactly one of O(argv) and O(command) is required.
    type: list
    elements: str
  command:
    description:
      - The program and its arguments as one string, split like a shell would split words (but not run by
        a shell).
    type: str
  exec_timeout:
    description:
      - Seconds the command may run before the task fails (the process keeps running in the guest).
      - O(timeout) is the wait for one HTTP answer, not for the command.
    type: int
    default: 30
seealso:
  - module: zoneweaver.illumos.zone_provision
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Read the guest's OS release
  zoneweaver.illumos.zone_exec:
    name: 0001--web01.example.com
    argv: [cat, /etc/os-release]
  register: osrel

- name: Restart a service and say it changed something
  zoneweaver.illumos.zone_exec:
    name: 0001--web01.example.com
    argv: [/bin/sh, -c, "systemctl restart nginx && echo restarted"]
    exec_timeout: 120
  register: restart
  changed_when: "'restarted' in restart.stdout"

- name: A command that may fail without failing the play
  zoneweaver.illumos.zone_exec:
    name: 0001--web01.example.com
    command: test -f /etc/provisioned
  register: marker
  failed_when: marker.rc not in [0, 1]
"""

RETURN = r"""
rc:
  description: The command's exit code.
  returned: when the command ran
  type: int
  sample: 0
stdout:
  description: Standard output of the command.
  returned: when the command ran
  type: str
  sample: "web01\n"
stderr:
  description: Standard error of the command.
  returned: when the command ran
  type: str
stdout_lines:
  description: RV(stdout) split into lines.
  returned: when the command ran
  type: list
  elements: str
stderr_lines:
  description: RV(stderr) split into lines.
  returned: when the command ran
  type: list
  elements: str
cmd:
  description: The program and its arguments as run.
  returned: always
  type: list
  elements: str
  sample: [/bin/sh, -c, "hostname"]
pid:
  description: The process id the guest agent gave the command.
  returned: when the command ran
  type: int
zone:
  description: The zone the command ran in.
  returned: always
  type: str
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_exec import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    name={"type": "str", "required": True, "aliases": ["machine_name", "zone_name"]},
    argv={"type": "list", "elements": "str"},
    command={"type": "str"},
    exec_timeout={"type": "int", "default": 30},
)
ARGUMENT_OPTIONS = {"mutually_exclusive": [["argv", "command"]], "required_one_of": [["argv", "command"]]}


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER, **ARGUMENT_OPTIONS)


if __name__ == "__main__":
    main()
