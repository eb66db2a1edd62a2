# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry options shared by the BoxVault-aware modules. Mirrored by the doc
fragment zoneweaver.illumos.boxvault (validate-modules checks that the two agree)."""

from __future__ import annotations

import copy

try:
    from ansible.module_utils.basic import env_fallback
except ImportError:  # pragma: no cover - only outside Ansible
    def env_fallback(*args, **kwargs):
        raise LookupError

BOXVAULT_OPTIONS = {
    "registry_url": {"type": "str", "fallback": (env_fallback, ["BOXVAULT_URL"])},
    "registry_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["BOXVAULT_TOKEN"])},
    "registry_username": {"type": "str", "fallback": (env_fallback, ["BOXVAULT_USERNAME"])},
    "registry_password": {"type": "str", "no_log": True, "fallback": (env_fallback, ["BOXVAULT_PASSWORD"])},
    "registry_validate_certs": {"type": "bool", "default": True},
    "registry_ca_path": {"type": "path"},
    "registry_timeout": {"type": "int", "default": 30},
}


def boxvault_options():
    return copy.deepcopy(BOXVAULT_OPTIONS)


def client_from_params(params, ctx=None):
    """A BoxVaultClient from the registry_* options, or None without registry_url."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.client import BoxVaultClient
    url = params.get("registry_url")
    if not url:
        return None
    client = BoxVaultClient(url, token=params.get("registry_token"), username=params.get("registry_username"),
                            password=params.get("registry_password"),
                            validate_certs=params.get("registry_validate_certs", True),
                            ca_path=params.get("registry_ca_path"), timeout=params.get("registry_timeout") or 30)
    if ctx is not None and client.url.startswith("https://") and not params.get("registry_validate_certs", True) \
            and not params.get("registry_ca_path"):
        ctx.warn("registry_validate_certs is false: the registry's identity is not verified; "
                 "trust its certificate with registry_ca_path instead")
    return client
