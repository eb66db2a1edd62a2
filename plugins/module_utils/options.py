# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared module options. Mirrored by the doc fragment zoneweaver.illumos.agent
(validate-modules checks that the two agree)."""

from __future__ import annotations

import copy

try:
    from ansible.module_utils.basic import env_fallback
except ImportError:  # pragma: no cover - only outside Ansible
    def env_fallback(*args, **kwargs):
        raise LookupError

AGENT_OPTIONS = {
    "api_url": {"type": "str", "fallback": (env_fallback, ["ZONEWEAVER_URL"])},
    "api_key": {"type": "str", "no_log": True, "fallback": (env_fallback, ["ZONEWEAVER_API_KEY"])},
    "validate_certs": {"type": "bool", "default": True,
                       "fallback": (env_fallback, ["ZONEWEAVER_VALIDATE_CERTS"])},
    "ca_path": {"type": "path", "fallback": (env_fallback, ["ZONEWEAVER_CA_PATH"])},
    "client_cert": {"type": "path"},
    "client_key": {"type": "path", "no_log": False},
    "timeout": {"type": "int", "default": 30},
}

WAIT_OPTIONS = {
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
}


def agent_argument_spec(wait=False, **extra):
    """The connection options (+ wait options) merged with a module's own."""
    spec = copy.deepcopy(AGENT_OPTIONS)
    if wait:
        spec.update(copy.deepcopy(WAIT_OPTIONS))
    spec.update(extra)
    return spec
