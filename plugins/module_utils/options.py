# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared module options. Mirrored by the doc fragment zoneweaver.illumos.agent
(and its .wait and .backend sections; validate-modules checks that they agree)."""

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
    # The same agent through a Hyperweaver Server (instead of api_url/api_key).
    "hyperweaver_url": {"type": "str", "fallback": (env_fallback, ["ZONEWEAVER_HYPERWEAVER_URL"])},
    "hyperweaver_username": {"type": "str", "fallback": (env_fallback, ["ZONEWEAVER_HYPERWEAVER_USERNAME"])},
    "hyperweaver_password": {"type": "str", "no_log": True,
                             "fallback": (env_fallback, ["ZONEWEAVER_HYPERWEAVER_PASSWORD"])},
    "hyperweaver_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["ZONEWEAVER_HYPERWEAVER_TOKEN"])},
    "hyperweaver_agent": {"type": "str", "fallback": (env_fallback, ["ZONEWEAVER_HYPERWEAVER_AGENT"])},
}

WAIT_OPTIONS = {
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
}


# How a module reaches the host; a module opts in with agent_argument_spec(backend=True)
# once its resource has a native backend (doc fragment zoneweaver.illumos.agent.backend).
BACKEND_OPTIONS = {
    "backend": {"type": "str", "default": "auto", "choices": ["auto", "agent", "native"]},
    "pfexec": {"type": "bool", "default": False},
}
BACKENDS = ("agent", "native")


def agent_argument_spec(wait=False, backend=False, **extra):
    """The connection options (+ wait options, + backend options) merged with a module's own."""
    spec = copy.deepcopy(AGENT_OPTIONS)
    if wait:
        spec.update(copy.deepcopy(WAIT_OPTIONS))
    if backend:
        spec.update(copy.deepcopy(BACKEND_OPTIONS))
    spec.update(extra)
    return spec


def resolve_backend(params):
    """'agent' or 'native' for this run.

    backend=auto means the agent when api_url or hyperweaver_url is set (the
    environment fallbacks have been applied by then), else the illumos commands. Modules
    without the backend option are agent-only.
    """
    backend = params.get("backend")
    if backend is None:
        return "agent"
    if backend == "auto":
        return "agent" if params.get("api_url") or params.get("hyperweaver_url") else "native"
    if backend not in BACKENDS:
        raise ValueError("backend must be auto, agent or native, got %r" % (backend,))
    return backend


def infinite_integer_message(argument_spec, args):
    """The error message for an integer option given 'inf' or '-inf'.

    ansible-core's integer check raises OverflowError for those instead of a
    validation error, so without this the task would end in a traceback. Called
    when the validator raised OverflowError."""
    names = sorted(name for name, spec in argument_spec.items()
                   if spec.get("type") == "int" and str(args.get(name, "")).strip().lower().lstrip("+-")
                   in ("inf", "infinity"))
    if names:
        return "%s must be a whole number, got %r" % (names[0], args[names[0]])
    return "an integer option was given an infinite value: give a whole number"
