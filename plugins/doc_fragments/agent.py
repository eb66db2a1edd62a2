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

    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/zoneweaver.illumos.agent) in C(module_defaults) to set its options once.
    support: full
    membership:
      - zoneweaver.illumos.agent
"""
