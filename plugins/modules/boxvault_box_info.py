#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: boxvault_box_info
short_description: Read boxes, versions, providers, architectures and checksums from a BoxVault registry
version_added: 0.1.0
description:
  - Reads a BoxVault registry directly from the controller, without any agent. It reads one box, an
    organisation's boxes, or every box the registry shows the caller.
  - Each box comes with its versions (newest first), providers and architectures, and for each architecture
    the file's checksum, checksum type and size.
  - With O(box), also resolves O(version) to the one version M(zoneweaver.illumos.template) would import
    (RV(resolved)).
  - Private boxes need credentials. A service-account token (O(registry_token)) does not open a private box's
    API detail in BoxVault; the module then reads the box's Vagrant metadata, which the token opens, and the
    file sizes from the file info.
extends_documentation_fragment:
  - zoneweaver.illumos.boxvault
  - zoneweaver.illumos.attributes
  - zoneweaver.illumos.attributes.info_module
options:
  organization:
    description:
      - The BoxVault organisation. Without it, every box C(/api/discover) shows the caller is listed.
    type: str
    aliases: [org]
  box:
    description: Only this box (needs O(organization)).
    type: str
    aliases: [box_name, name]
  version:
    description:
      - Only the versions this selector means. An exact version, V(latest), or constraints such as
        V(>=2025.1,<2026); V(latest) and exact versions keep one version, constraints every match.
      - With O(box), a selector that matches nothing is an error naming the available versions.
    type: str
  provider:
    description:
      - Only this provider. RV(resolved) uses V(zone) when it is not set.
    type: str
  architecture:
    description:
      - Only this architecture. RV(resolved) uses V(amd64) when it is not set.
    type: str
notes:
  - O(registry_url) is required (or E(BOXVAULT_URL)).
  - This module is not in the C(zoneweaver.illumos.agent) action group; it runs on the controller through an
    action plugin of the same name.
seealso:
  - module: zoneweaver.illumos.template
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Which Debian 13 versions of 2025 are there?
  zoneweaver.illumos.boxvault_box_info:
    registry_url: https://boxvault.example.com
    organization: STARTcloud
    box: debian13-server
    version: ">=2025.1,<2026"
  register: debian

- name: Show the version a pull of "latest" would import, and its checksum
  ansible.builtin.debug:
    msg: "{{ debian.resolved.version }} {{ debian.resolved.checksum_type }} {{ debian.resolved.checksum }}"

- name: Everything a service account sees
  zoneweaver.illumos.boxvault_box_info:
    registry_url: https://boxvault.example.com
    registry_token: "{{ vault_boxvault_token }}"
  register: catalog
"""

RETURN = r"""
boxes:
  description: The boxes, each with its versions (newest first), providers and architectures.
  returned: always
  type: list
  elements: dict
  contains:
    organization:
      description: The organisation.
      type: str
    name:
      description: The box name.
      type: str
    description:
      description: The box's description.
      type: str
    is_public:
      description: Whether the box is public (null when read from the Vagrant metadata).
      type: bool
    published:
      description: Whether the box is published (null when read from the Vagrant metadata).
      type: bool
    source:
      description: V(api) (BoxVault's API) or V(vagrant) (its Vagrant metadata).
      type: str
    versions:
      description:
        - Versions with C(version), C(description), C(deprecated) and C(providers); each provider has
          C(name) and C(architectures); each architecture has C(name), C(default), C(available) (a file exists),
          C(file_name), C(size) (bytes, null from the Vagrant metadata), C(checksum), C(checksum_type)
          (V(MD5), V(SHA1), V(SHA256), V(SHA384) or V(SHA512); null when the registry has none) and C(download_count).
      type: list
      elements: dict
  sample:
    - organization: STARTcloud
      name: debian13-server
      description: Debian 13 server
      is_public: true
      published: true
      source: api
      versions:
        - version: 2025.8.22
          deprecated: false
          providers:
            - name: zone
              architectures:
                - {name: amd64, default: true, available: true, file_name: vagrant.box, size: 734003200,
                   checksum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, checksum_type: SHA256}
resolved:
  description:
    - With O(box), the version O(version) resolves to (V(latest) when not set) for the provider and architecture,
      with its file's C(checksum), C(checksum_type), C(size) and C(file_name). Empty when nothing matches and
      O(version) was not set.
  returned: always
  type: dict
  sample: {organization: STARTcloud, box: debian13-server, version: 2025.8.22, provider: zone, architecture: amd64,
           checksum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, checksum_type: SHA256,
           size: 734003200, file_name: vagrant.box, deprecated: false, source: api}
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.options import boxvault_options
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.boxvault_box_info import run as RUNNER

ARGUMENT_SPEC = dict(
    boxvault_options(),
    organization={"type": "str", "aliases": ["org"]},
    box={"type": "str", "aliases": ["box_name", "name"]},
    version={"type": "str"},
    provider={"type": "str"},
    architecture={"type": "str"},
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
