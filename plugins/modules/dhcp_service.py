#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dhcp_service
short_description: Start, stop, restart or refresh the DHCP server (ISC dhcpd) through a Zoneweaver Agent or natively
version_added: 0.1.0
description:
  - Controls the C(network/service/dhcp:ipv4) SMF service of the host through the Zoneweaver Agent.
  - O(state=started) and O(state=stopped) read the service's state first and act only when needed, so a
    second run reports no change. O(state=restarted) and O(state=refreshed) always act.
  - The same endpoints serve both agent generations (0.2 and 0.3.x).
  - Without an agent (O(backend=native)), runs C(svcadm) on the host itself and, with O(wait=true), polls
    C(svcs) until the service has settled (at most O(wait_timeout) seconds). There, O(state=started) and
    O(state=restarted) take a service out of maintenance with C(svcadm clear) (enabling alone leaves it there),
    and O(state=restarted) of a disabled service enables it.
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
  state:
    description:
      - V(started) enables the service unless it is V(online), V(degraded) or V(offline) (enabled, waiting
        for its dependencies).
      - V(stopped) disables it unless it is V(disabled). A service the agent reports as V(unknown) (for
        example isc-dhcp not installed) is left alone with a warning.
      - V(restarted) disables and enables it; V(refreshed) makes it re-read its configuration.
    type: str
    required: true
    choices: [started, stopped, restarted, refreshed]
notes:
  - A service in C(maintenance) is not brought back by enabling it; the module warns after starting it. Fix
    C(/etc/dhcpd.conf) and clear the service on the host (C(svcadm clear dhcp:ipv4)).
seealso:
  - module: zoneweaver.illumos.dhcp_subnet
  - module: zoneweaver.illumos.dhcp_host
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Serve DHCP
  zoneweaver.illumos.dhcp_service:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    state: started

- name: Without an agent, on the host itself
  zoneweaver.illumos.dhcp_service:
    backend: native
    state: started
  become: true

- name: Pick up a new configuration
  zoneweaver.illumos.dhcp_service:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    state: restarted
"""

RETURN = r"""
service:
  description: The service as the agent reports it after the run (before it, in check mode and with O(wait=false)).
  returned: always
  type: dict
  contains:
    service:
      description: The SMF service.
      type: str
      sample: network/service/dhcp:ipv4
    state:
      description: Its SMF state (V(online), V(disabled), V(offline), V(maintenance), ... or V(unknown)).
      type: str
      sample: online
    since:
      description: When it entered that state, as C(svcs) shows it; null with the native backend.
      type: str
      sample: "10:21:04"
    listen_interface:
      description: The interface the server listens on (C(config/listen_ifnames)), if set.
      type: str
      sample: provisioning_0
actions:
  description: The action sent to the agent (V(start), V(stop), V(restart) or V(refresh)), if any.
  returned: always
  type: list
  elements: str
  sample: [start]
task_ids:
  description: The agent tasks queued, when O(wait=false) and a change was sent.
  returned: when O(wait=false) and changed
  type: list
  elements: str
  sample: [0b7e3c58-2f44-4c1f-9a3e-0e1d2c3b4a59]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.dhcp_service import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    state={"type": "str", "required": True, "choices": ["started", "stopped", "restarted", "refreshed"]},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
