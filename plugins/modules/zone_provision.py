#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_provision
short_description: Run a zone's provisioning pipeline (or its sync or provisioners alone) and follow it step by step
version_added: 0.1.0
description:
  - Starts the Zoneweaver Agent's provisioning pipeline of a zone (C(POST .../provision)), that is boot, the
    zlogin recipe that sets up the guest's network, waiting for SSH, syncing folders and running the
    provisioners of the zone's provisioning section. Then follows its task chain one step at a time.
  - A step that fails, is cancelled or does not finish in time fails the task with a message naming the
    step, its task id, the agent's error and the last lines of the step's output; RV(steps) shows how far
    the pipeline got.
  - Idempotent on the agent's own record. A zone whose provisioning status is C(provisioned) is left alone,
    unless O(force=true) or O(provisioner) differs from the zone's stored provisioning section.
  - The agent refuses zones without a provisioning section or without a transport (a control network with an
    address, or a provisional DHCP network); O(provisioner) sets the section first.
  - With O(action=sync), O(action=syncback) or O(action=run_provisioners) it runs one part of the pipeline
    alone (C(POST .../sync) or C(POST .../run-provisioners)) on a zone that already runs and answers over
    SSH, and follows its tasks (one per folder or playbook) the same way. These are actions (as with
    M(ansible.builtin.command)), so they run and report C(changed) every time; O(force) does not apply. The only exception is an
    agent that queues nothing, for example a 0.3.x agent whose playbooks are all filtered out by their
    C(run) directive (C(once) playbooks after a first successful provisioning); then the result is unchanged,
    with a warning and RV(playbooks_skipped).
  - Speaks both agent generations (V(/zones) on 0.2, V(/machines) on 0.3.7 and later).
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.wait
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description: The zone to provision.
    type: str
    required: true
    aliases: [machine_name, zone_name]
  action:
    description:
      - V(provision) runs the whole pipeline (boot, recipe, SSH, folder sync, provisioners), once per zone
        unless O(force=true) or O(provisioner) changes.
      - V(sync) copies the section's folders to the guest again (C(POST .../sync)), one task per folder.
      - V(syncback) pulls the folders flagged C(syncback) back from the guest to the host (agents 0.3.9 and later).
      - V(run_provisioners) runs the section's provisioners again (C(POST .../run-provisioners)), one task per
        playbook; 0.3.x agents honour each playbook's C(run) directive (C(always), C(once), C(not_first)) and
        run the section's C(pre)/C(post) hooks around them.
      - The zone must be running with SSH reachable for all but V(provision); a step that cannot reach it fails
        with the step's output.
    type: str
    choices: [provision, sync, syncback, run_provisioners]
    default: provision
  provisioner:
    description:
      - The zone's provisioning section as the agent stores it (for example C(recipe_id), C(folders),
        C(provisioners), C(artifact_id), C(credentials)). Set on the zone first when it differs from the stored one,
        which also makes the pipeline run again.
      - Left alone when not given.
    type: dict
  skip_boot:
    description: Do not boot the zone first (it must already run). Only with O(action=provision).
    type: bool
    default: false
  skip_recipe:
    description: Skip the zlogin recipe step (the guest's network is already set up). Only with O(action=provision).
    type: bool
    default: false
  confirm_host_hooks:
    description:
      - Confirm, once, that the provisioning section may run hooks on the host itself (agents 0.3.x with
        C(provisioning.host_hooks) on). Without it the first O(action=provision) run of such a section fails with
        a message naming the hooks; the agent records the confirmation, so later runs (and
        O(action=run_provisioners)) need it no more.
      - Ignored, with a warning, by 0.2 agents and with actions other than V(provision).
    type: bool
  force:
    description: Run the pipeline even when the zone is already provisioned. Only with O(action=provision).
    type: bool
    default: false
seealso:
  - module: zoneweaver.illumos.provisioning_recipe
  - module: zoneweaver.illumos.artifact
  - module: zoneweaver.illumos.zone_exec
  - module: zoneweaver.illumos.task_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Provision a zone with its recipe and playbook
  zoneweaver.illumos.zone_provision:
    name: 0001--web01.example.com
    provisioner:
      recipe_id: "{{ recipe.recipe.id }}"
      folders:
        - {map: ./provisioning, to: /vagrant}
      provisioners:
        - {type: ansible, playbook: provisioning/site.yml}
    wait_timeout: 1800
  register: prov

- name: Show the steps
  ansible.builtin.debug:
    msg: "{{ prov.steps | map(attribute='step') | zip(prov.steps | map(attribute='status')) | list }}"

- name: Run it again on purpose
  zoneweaver.illumos.zone_provision:
    name: 0001--web01.example.com
    force: true
    skip_recipe: true

- name: Copy the provisioning folders to the running guest again
  zoneweaver.illumos.zone_provision:
    name: 0001--web01.example.com
    action: sync

- name: Run the playbooks again (always reports changed, like a command)
  zoneweaver.illumos.zone_provision:
    name: 0001--web01.example.com
    action: run_provisioners
"""

RETURN = r"""
steps:
  description:
    - The pipeline's steps in order, as the agent answered them; skipped steps (for example
      C(boot_skipped_already_running)) have C(status=skipped) and no task id.
    - After a failure, the steps behind the failed one show how the agent left them (usually C(cancelled)).
    - With an ad-hoc O(action), one step per folder (C(sync ./provisioning)), playbook
      (C(provision site.yml)) or hook (C(hook name)).
  returned: always
  type: list
  elements: dict
  sample:
    - {step: stage, task_id: 6f0c..., operation: zone_provisioning_stage, status: completed}
    - {step: boot_skipped_already_running, task_id: null, status: skipped}
    - {step: wait_ssh, task_id: 9b1e..., operation: zone_wait_ssh, status: completed}
parent_task_id:
  description: The pipeline's anchor task (follow it with M(zoneweaver.illumos.task_info) when O(wait=false)).
  returned: always
  type: str
provisioning_status:
  description: The agent's provisioning status of the zone after the run (C(provisioned) or C(not_started)).
  returned: always
  type: str
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: [set provisioner, provision]
planned:
  description:
    - With an ad-hoc O(action), the steps it runs as read from the provisioning section (also in check mode).
      A 0.3.x agent may still skip playbooks by their C(run) directive.
  returned: when O(action) is not V(provision)
  type: list
  elements: str
  sample: [sync ./provisioning, sync ./data]
playbooks_skipped:
  description: The playbooks the agent left out because of their C(run) directive (0.3.x agents).
  returned: with O(action=run_provisioners) when the agent reports them
  type: list
  elements: dict
  sample: [{playbook: app.yml, run: once}]
failed_step:
  description: The step that failed.
  returned: on failure of a step
  type: str
  sample: wait_ssh
task_output:
  description: The last lines of the failed step's output.
  returned: on failure of a step
  type: list
  elements: str
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_provision import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    name={"type": "str", "required": True, "aliases": ["machine_name", "zone_name"]},
    action={"type": "str", "default": "provision", "choices": ["provision", "sync", "syncback", "run_provisioners"]},
    provisioner={"type": "dict"},
    skip_boot={"type": "bool", "default": False},
    skip_recipe={"type": "bool", "default": False},
    confirm_host_hooks={"type": "bool"},
    force={"type": "bool", "default": False},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
