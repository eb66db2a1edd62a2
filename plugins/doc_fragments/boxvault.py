# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Registry options of the BoxVault-aware modules (module_utils/boxvault/options.py mirrors them).
    DOCUMENTATION = r"""
options:
  registry_url:
    description:
      - Base URL of the BoxVault registry, for example V(https://boxvault.example.com) (a trailing V(/api) is ignored).
      - The modules talk to it directly from the controller.
      - If not set, the environment variable E(BOXVAULT_URL) is used.
    type: str
  registry_token:
    description:
      - "A BoxVault service-account token, sent raw as C(Authorization: Bearer), or a user JWT,
        sent as C(x-access-token)."
      - Where BoxVault does not accept a service-account token on its API (a private box's detail
        and version list), the modules read the box's Vagrant metadata instead, which it does accept.
      - Mutually exclusive with O(registry_username) and O(registry_password).
      - If not set, the environment variable E(BOXVAULT_TOKEN) is used.
    type: str
  registry_username:
    description:
      - A BoxVault user, signed in once per task at C(/api/auth/signin); the JWT it returns is sent as C(x-access-token).
      - If not set, the environment variable E(BOXVAULT_USERNAME) is used.
    type: str
  registry_password:
    description:
      - The password of O(registry_username).
      - If not set, the environment variable E(BOXVAULT_PASSWORD) is used.
    type: str
  registry_validate_certs:
    description:
      - Verify the registry's TLS certificate. Rather than turning this off, trust it with O(registry_ca_path).
    type: bool
    default: true
  registry_ca_path:
    description: PEM file with the certificate authority of the registry.
    type: path
  registry_timeout:
    description: Seconds to wait for one answer of the registry (connecting is capped at 10 seconds).
    type: int
    default: 30
notes:
  - Tokens and passwords are never shown in results or messages; the download token BoxVault embeds in
    C(downloadUrl) is removed from what the modules return.
requirements:
  - requests (Python library, on the controller)
"""
