#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: task_info
short_description: Read, follow and wait for Zoneweaver Agent tasks
version_added: 0.1.0
description:
  - With O(task_id), reads one task, optionally with its output (O(output)) and optionally waiting
    until it ends (O(wait)). Use it to resume a task that a module left running (O(wait=false) there,
    or a V(wait_timeout) that passed).
  - Without O(task_id), lists the agent's tasks, newest first, optionally filtered.
  - Every task has RV(task.machine) (the agent calls it C(machine_name) or C(zone_name), depending on
    its version) and RV(task.metadata) as an object when the agent sent JSON text.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.wait
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
options:
  task_id:
    description:
      - Read this task. A task id the agent does not know fails the task.
      - Cannot be combined with O(status), O(operation) or O(machine).
    type: str
  output:
    description:
      - Also read the task's output (needs O(task_id)), as RV(task.output) lines and RV(task.output_text).
    type: bool
    default: false
  wait:
    description:
      - Wait until the task (needs O(task_id)) reaches a final status (V(completed),
        V(completed_with_errors), V(failed) or V(cancelled)), then return it. Waiting only reads,
        so it also happens in check mode.
      - Not finishing within O(wait_timeout) always fails the task.
      - Ignored without O(task_id) (so that C(module_defaults) may set it for the whole group).
    type: bool
    default: false
  fail_on_error:
    description:
      - With O(wait=true), fail when the task ends other than V(completed); the message names the task,
        its operation and its last output lines.
      - With V(false), return the ended task whatever its status (and warn when it did not complete),
        so the playbook can decide.
      - Without O(wait), a task is always returned as it is, whatever its status.
    type: bool
    default: true
  status:
    description: List only tasks with this status.
    type: str
    choices: [pending, prepared, running, completed, completed_with_errors, failed, cancelled]
  operation:
    description: List only tasks of this operation, for example V(start), V(zone_modify) or V(create_vnic).
    type: str
  machine:
    description:
      - List only tasks of this zone, or of a pseudo-scope such as V(system) (host-wide work such as
        template downloads).
      - Sent as C(machine_name) or C(zone_name), whichever the agent's generation speaks.
    type: str
    aliases: [machine_name, zone_name]
  limit:
    description: List at most this many tasks (newest first). The agent has no paging beyond it.
    type: int
    default: 50
seealso:
  - module: zoneweaver.illumos.zone
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Create a zone, waiting ten minutes at most
  zoneweaver.illumos.zone:
    name: 0001--web01.example.com
    state: running
    boot_disk: {type: template, box: STARTcloud/debian13-server}
    wait_timeout: 600
  register: created
  ignore_errors: true

- name: If the template download took longer, keep waiting (up to an hour) and show the output
  zoneweaver.illumos.task_info:
    task_id: "{{ created.task_id }}"
    wait: true
    wait_timeout: 3600
    output: true
  register: creation
  when: created.error_type | default('') == 'TaskTimeoutError'

- name: Look at a task without failing on it
  zoneweaver.illumos.task_info:
    task_id: "{{ created.task_id }}"
    wait: true
    fail_on_error: false
  register: outcome
  when: created.task_id is defined

- name: Report it
  ansible.builtin.debug:
    msg: "{{ outcome.task.operation }} ended {{ outcome.task.status }}: {{ outcome.task.error_message }}"
  when: outcome.task is defined

- name: Failed tasks of one zone
  zoneweaver.illumos.task_info:
    machine: 0001--web01.example.com
    status: failed
    limit: 10
  register: failures
"""

RETURN = r"""
task:
  description: The task read with O(task_id) (after waiting, with O(wait=true)).
  returned: when O(task_id) is set
  type: dict
  contains:
    id:
      description: Task id.
      type: str
      sample: 6f1c2d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f
    machine:
      description: The zone the task works on, or a pseudo-scope such as V(system).
      type: str
      sample: 0001--web01.example.com
    operation:
      description: What the task does.
      type: str
      sample: start
    status:
      description: V(pending), V(prepared), V(running), V(completed), V(completed_with_errors), V(failed) or V(cancelled).
      type: str
      sample: completed
    error_message:
      description: Why it failed.
      type: str
      sample: null
    metadata:
      description: The task's parameters, as an object when the agent sent JSON.
      type: raw
      sample: {force: false}
    progress_percent:
      description: Progress, 0 to 100.
      type: int
      sample: 100
    output:
      description: The task's output lines (with O(output=true)).
      type: list
      elements: dict
      returned: when O(output=true)
      sample: [{stream: stdout, data: "Zone started", timestamp: 1767225600000}]
    output_text:
      description: The output lines' text, one line each (with O(output=true)).
      type: str
      returned: when O(output=true)
      sample: Zone started
  sample:
    id: 6f1c2d3e-1a2b-4c5d-8e9f-0a1b2c3d4e5f
    machine: 0001--web01.example.com
    machine_name: 0001--web01.example.com
    operation: start
    status: completed
    priority: 60
    created_by: ansible
    depends_on: null
    parent_task_id: null
    error_message: null
    created_at: "2026-01-01T00:00:00.000Z"
    started_at: "2026-01-01T00:00:01.000Z"
    completed_at: "2026-01-01T00:00:04.000Z"
    metadata: null
    progress_percent: 100
    progress_info: null
tasks:
  description: The tasks listed (newest first), each in the shape of RV(task).
  returned: when O(task_id) is not set
  type: list
  elements: dict
  sample: []
running_count:
  description: How many tasks the agent is running now (as the list reported it).
  returned: when O(task_id) is not set
  type: int
  sample: 1
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.task_info import run as RUNNER

# An info module only waits when asked: the shared wait option, with default false.
ARGUMENT_SPEC = dict(agent_argument_spec(
    wait=True,
    task_id={"type": "str"},
    output={"type": "bool", "default": False},
    fail_on_error={"type": "bool", "default": True},
    status={"type": "str", "choices": ["pending", "prepared", "running", "completed", "completed_with_errors",
                                       "failed", "cancelled"]},
    operation={"type": "str"},
    machine={"type": "str", "aliases": ["machine_name", "zone_name"]},
    limit={"type": "int", "default": 50},
), wait={"type": "bool", "default": False})


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
