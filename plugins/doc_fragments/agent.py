# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every agent-backed module (module_utils/options.py mirrors them).
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - URL of the Zoneweaver Agent, for example V(https://omnios1.example.com:5001).
      - The agent's HTTP port only redirects to HTTPS when C(ssl.force_secure) is on.
      - If not set, the environment variable E(ZONEWEAVER_URL) is used.
    type: str
  api_key:
    description:
      - "API key of the agent, sent as C(Authorization: Bearer <key>)."
      - "Keys are opaque; the first one comes from M(zoneweaver.illumos.api_key) with O(zoneweaver.illumos.api_key#module:state=bootstrap)."
      - If not set, the environment variable E(ZONEWEAVER_API_KEY) is used.
    type: str
  validate_certs:
    description:
      - Verify the agent's TLS certificate. The agent generates a self-signed one by default;
        rather than turning this off, trust it with O(ca_path).
      - If not set, the environment variable E(ZONEWEAVER_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the certificate authority (or the self-signed certificate) to trust.
      - If not set, the environment variable E(ZONEWEAVER_CA_PATH) is used.
    type: path
  client_cert:
    description:
      - PEM client certificate for mutual TLS, when a proxy in front of the agent asks for one.
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert), if it is not inside that file.
    type: path
  timeout:
    description:
      - Seconds to wait for one HTTP answer (connecting is capped at 10 seconds).
      - Reads are retried with jittered backoff; a change is never re-sent blindly.
    type: int
    default: 30
  hyperweaver_url:
    description:
      - URL of a Hyperweaver Server to reach the agent through, instead of O(api_url); the server relays
        every request to the agent named by O(hyperweaver_agent) with the key it stores for it.
      - Mutually exclusive with O(api_url) and O(api_key).
      - If not set, the environment variable E(ZONEWEAVER_HYPERWEAVER_URL) is used.
    type: str
  hyperweaver_username:
    description:
      - Hyperweaver account (local or LDAP) to log in with, together with O(hyperweaver_password).
      - The login token is cached on the controller and reused by later tasks (the server rate-limits logins).
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
  hyperweaver_agent:
    description:
      - The agent behind O(hyperweaver_url), by its id on the server or its entity name.
      - If not set, the environment variable E(ZONEWEAVER_HYPERWEAVER_AGENT) is used.
    type: str
notes:
  - The module runs on the controller (an action plugin of the same name), so the host in the play
    does not need Python or SSH access; only the controller must reach O(api_url).
requirements:
  - requests (Python library, on the controller)
"""

    WAIT = r"""
options:
  wait:
    description:
      - Wait for the agent's tasks to finish, and report their failure with the task id and output.
      - With V(false) the module returns once the agent has accepted the work.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for all tasks of this module run, measured on a monotonic clock.
      - On timeout the error names the task id; resume with M(zoneweaver.illumos.task_info).
    type: int
    default: 600
"""

    # Modules that also work without an agent (module_utils/options.py BACKEND_OPTIONS).
    BACKEND = r"""
options:
  backend:
    description:
      - How the module reaches the host.
      - V(agent) talks to the Zoneweaver Agent at O(api_url); the module runs on the controller.
      - V(native) runs the illumos commands (C(zonecfg), C(zoneadm), C(zfs), ...) on the host itself, over the
        play's normal connection (SSH), for hosts without an agent. The module then runs on the host, which
        needs Python, and the commands need root (use C(become)) or an RBAC profile (see O(pfexec)).
        O(api_url), O(api_key) and the other agent options are ignored.
      - V(auto) uses the agent when O(api_url) (or E(ZONEWEAVER_URL) on the controller) is set, else the
        native commands. So O(api_url) is optional; leave it unset to manage a host without an agent.
    type: str
    choices: [auto, agent, native]
    default: auto
  pfexec:
    description:
      - With the native backend, run every illumos command through C(pfexec), for a login user that holds an
        RBAC profile such as C(Zone Management) instead of using C(become).
    type: bool
    default: false
notes:
  - With the native backend the module runs on the host in the play, not on the controller; everything else
    (check mode, diff, idempotence, the result) is the same as with the agent.
"""

    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/zoneweaver.illumos.agent) in C(module_defaults) to set its options once.
    support: full
    membership:
      - zoneweaver.illumos.agent
"""
