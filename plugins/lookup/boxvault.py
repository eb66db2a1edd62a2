# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: boxvault
short_description: Resolve a BoxVault box's version (latest, or a constraint) to a concrete version
version_added: 0.1.0
description:
  - For each term C(<organization>/<box>), asks the BoxVault registry which versions have a file for O(provider)
    and O(architecture) and returns the one O(version) selects, as the M(zoneweaver.illumos.template) module
    would resolve it. Use it to pin one version in vars for a whole play (every host then imports and clones
    the same one, even if a newer version is published meanwhile).
  - Versions are ordered as versions (V(2025.10.1) is newer than V(2025.9.30)); V(latest) and constraints
    prefer final releases over pre-releases; BoxVault's leading V(v) is ignored when matching, and kept in the
    result when the registry stores the version with it (it is part of the download path).
  - Runs on the controller. Tokens and passwords never appear in the result or in error messages.
options:
  _terms:
    description: Boxes as C(<organization>/<box>), for example V(STARTcloud/debian13-server).
    required: true
    type: list
    elements: str
  version:
    description:
      - V(latest), an exact version, or comma-separated constraints such as V(>=2025.1,<2026) or V(~=2025.8).
    type: str
    default: latest
  provider:
    description: Only versions with a file for this provider.
    type: str
    default: zone
  architecture:
    description: Only versions with a file for this architecture.
    type: str
    default: amd64
  details:
    description:
      - Return a dictionary per term (C(version), C(checksum), C(checksum_type), C(size), C(organization), C(box),
        C(provider), C(architecture), C(deprecated)) instead of the version string.
    type: bool
    default: false
  registry_url:
    description: Base URL of the BoxVault registry, for example V(https://boxvault.example.com).
    type: str
    required: true
    env:
      - name: BOXVAULT_URL
  registry_token:
    description:
      - "A BoxVault service-account token (sent as C(Authorization: Bearer)) or a user JWT (sent as
        C(x-access-token)), for private boxes. Keep it in a vault; it is never shown."
      - Mutually exclusive with O(registry_username) and O(registry_password).
    type: str
    env:
      - name: BOXVAULT_TOKEN
  registry_username:
    description: A BoxVault user, signed in at C(/api/auth/signin); its JWT travels in C(x-access-token).
    type: str
    env:
      - name: BOXVAULT_USERNAME
  registry_password:
    description: The password of O(registry_username).
    type: str
    env:
      - name: BOXVAULT_PASSWORD
  registry_validate_certs:
    description: Verify the registry's TLS certificate (rather than turning this off, use O(registry_ca_path)).
    type: bool
    default: true
  registry_ca_path:
    description: PEM file with the certificate authority of the registry.
    type: path
  registry_timeout:
    description: Seconds to wait for one answer of the registry.
    type: int
    default: 30
notes:
  - One term costs one or two requests (the box's detail; a service-account token on a private box reads the
    Vagrant metadata instead). Lookups run every time the variable is used; resolve once with
    M(ansible.builtin.set_fact) when the value is used by many tasks.
requirements:
  - requests (Python library, on the controller)
seealso:
  - module: zoneweaver.illumos.template
  - module: zoneweaver.illumos.boxvault_box_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Pin the newest 2025 Debian box once for the whole play
  ansible.builtin.set_fact:
    debian_version: >-
      {{ lookup('zoneweaver.illumos.boxvault', 'STARTcloud/debian13-server',
                version='>=2025.1,<2026', registry_url='https://boxvault.example.com') }}

- name: The latest version of a private box, with a token from the vault
  ansible.builtin.debug:
    msg: >-
      {{ lookup('zoneweaver.illumos.boxvault', 'acme/build-runner',
                registry_url='https://boxvault.example.com', registry_token=vault_boxvault_token) }}

- name: Version, checksum and size together
  ansible.builtin.set_fact:
    runner_box: >-
      {{ lookup('zoneweaver.illumos.boxvault', 'acme/build-runner', details=true,
                registry_url='https://boxvault.example.com', registry_token=vault_boxvault_token) }}
"""

RETURN = r"""
_raw:
  description:
    - One entry per term, in order. The version string, or with O(details=true) a dictionary with C(version),
      C(checksum), C(checksum_type), C(size), C(organization), C(box), C(provider), C(architecture) and
      C(deprecated).
  type: list
  elements: raw
"""

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.client import BoxVaultClient
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.versions import ORG_BOX_RE, check_name
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
    IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported when the lookup runs
    IMPORT_ERROR = exc

FACT_KEYS = ("version", "checksum", "checksum_type", "size", "organization", "box", "provider", "architecture",
             "deprecated")


def _masked(text, secrets):
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "********")
    return text


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if IMPORT_ERROR is not None:
            raise AnsibleError("zoneweaver.illumos.boxvault cannot load its library: %s" % IMPORT_ERROR)
        self.set_options(var_options=variables, direct=kwargs)
        secrets = [self.get_option("registry_token"), self.get_option("registry_password")]
        try:
            boxes = [self._parse(term) for term in terms]
            client = BoxVaultClient(self.get_option("registry_url"), token=self.get_option("registry_token"),
                                    username=self.get_option("registry_username"),
                                    password=self.get_option("registry_password"),
                                    validate_certs=self.get_option("registry_validate_certs"),
                                    ca_path=self.get_option("registry_ca_path"),
                                    timeout=self.get_option("registry_timeout"))
            secrets.extend(client.secrets)
            out = []
            for org, box in boxes:
                facts = client.resolve(org, box, self.get_option("version"), self.get_option("provider"),
                                       self.get_option("architecture"))
                if self.get_option("details"):
                    out.append({key: facts.get(key) for key in FACT_KEYS})
                else:
                    out.append(facts["version"])
            return out
        except ZoneweaverError as exc:
            # str(exc) carries the hint; the client never puts a secret in it, masked anyway
            raise AnsibleLookupError(_masked("zoneweaver.illumos.boxvault: %s" % exc, secrets))

    @staticmethod
    def _parse(term):
        org, sep, box = str(term).strip().partition("/")
        if not sep or "/" in box:
            raise AnsibleLookupError("zoneweaver.illumos.boxvault: %r is not <organization>/<box>" % (term,))
        return check_name(org, "organization", ORG_BOX_RE), check_name(box, "box", ORG_BOX_RE)
