#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: template
short_description: Import a box from a BoxVault registry as a local zone template, or remove it
version_added: 0.1.0
description:
  - Ensures a box of a BoxVault registry is imported on the host as a template (the ZFS dataset
    C(rpool/templates/<organization>/<box>/<version>) and its C(@ready) snapshot, which zones are cloned from),
    through the Zoneweaver Agent's template download.
  - The version is resolved on the controller before the agent is asked, because the agent pulls only
    concrete versions. With O(registry_url) the module reads the registry itself (with O(registry_token) or
    O(registry_username)/O(registry_password) for private boxes); without it, it reads the box's metadata
    through the agent's configured template source and that source's credentials.
  - The agent records the sha256 of what it downloaded but never compares it with the registry. This module
    does. After the import it compares the two, and on a mismatch removes the template it just imported and
    fails. An existing template whose checksum differs from the registry's is reported as an error.
  - A template already present (same organisation, box, version, provider and architecture) is left alone,
    so a second identical run reports no change. The agent keeps one provider/architecture variant per
    version; importing another variant of an imported version is refused.
  - Speaks both agent generations (local templates at V(/templates) on 0.3.9, V(/templates/local) before).
  - Without an agent (O(backend=native)), the host downloads the box from O(registry_url) itself, checks its
    checksum and size while it streams (an interrupted transfer resumes with an HTTP range request), checks
    every member of the archive (no absolute paths, no C(..), no links out of the tree, no device files, no
    duplicates, no decompression bomb), pipes C(box.zss) straight into C(zfs recv -u) of a temporary dataset
    (C(box.zss) is never written to disk), records the box in user properties (C(zoneweaver:provider),
    C(zoneweaver:architecture), C(zoneweaver:sha256), ...), renames the dataset to
    C(<template_base>/<organization>/<box>/<version>) and snapshots it as C(@ready). Any failure removes the
    temporary dataset, the parents the import created and the downloaded file.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.wait
  - zoneweaver.illumos.agent.backend
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.boxvault
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
    details:
      - The registry is read in check mode (and a login is made when O(registry_username) is set); the agent gets
        no mutating request.
      - With O(backend=native), check mode downloads nothing and runs only C(zfs list).
  diff_mode:
    support: full
options:
  organization:
    description: The box's BoxVault organisation, for example V(STARTcloud).
    type: str
    required: true
    aliases: [org]
  box:
    description: The box's name, for example V(debian13-server).
    type: str
    required: true
    aliases: [box_name, name]
  version:
    description:
      - With O(state=present), which version to import. An exact version (V(2025.8.22); a leading V(v) is
        ignored when matching), V(latest) (the default), or comma-separated constraints such as
        V(>=2025.1,<2026), V(~=2025.8) or V(==2025.*).
      - Versions are ordered as versions (V(2025.10.1) is newer than V(2025.9.30)); V(latest) and constraints
        prefer final releases over pre-releases such as V(2025.9.0-rc1), and only versions with a file for
        O(provider) and O(architecture) count.
      - With O(state=absent), which local versions to remove; an exact version or constraints. Without it,
        every local version of the box is removed.
    type: str
  provider:
    description:
      - Box provider. Defaults to V(zone) with O(state=present); with O(state=absent) it narrows what is removed.
    type: str
  architecture:
    description:
      - Box architecture. Defaults to V(amd64) with O(state=present); with O(state=absent) it narrows what is removed.
    type: str
  source_name:
    description:
      - The agent's template source to download from (its C(template_sources) configuration).
      - Defaults to the source whose URL is O(registry_url), else to the agent's default source.
      - Not used with O(backend=native), where the host downloads from O(registry_url) itself.
    type: str
  template_base:
    description:
      - With O(backend=native), the dataset under which templates live, as
        C(<template_base>/<organization>/<box>/<version>). The agent uses C(rpool/templates), and the
        O(zoneweaver.illumos.zone#module:boot_disk) templates of native zones are looked up under
        C(<pool>/templates).
    type: str
    default: rpool/templates
  download_dir:
    description:
      - Accepted for compatibility and not used any more. With O(backend=native) the box streams from the registry
        through the checksum and the unpacker straight into C(zfs recv); neither the C(.box) file nor C(box.zss)
        is written to disk.
    type: path
  max_unpacked_size:
    description:
      - With O(backend=native), the most the box may unpack to (all members together), as a size such as V(64G).
        The decompressed stream itself is counted, so a decompression bomb stops at this limit.
    type: str
    default: 256G
  state:
    description: V(present) imports the box if needed; V(absent) removes the matching local templates.
    type: str
    choices: [present, absent]
    default: present
  checksum_policy:
    description:
      - V(strict) refuses, before asking the agent for anything, a box for which the registry publishes no sha256
        checksum (BoxVault allows boxes without checksum, and the agent records sha256 only).
      - V(warn) imports such a box with a warning. A checksum that does not match is always an error.
      - With O(backend=native) every checksum type BoxVault stores (md5, sha1, sha256, sha384, sha512) is verified
        on the host, while the box downloads.
    type: str
    choices: [strict, warn]
    default: strict
notes:
  - The agent downloads from its configured source with its own credentials; O(registry_token) is used only by
    this module to read the registry. With O(backend=native) the registry options are used on the host, which then
    needs the Python library C(requests).
  - With O(backend=native), one dataset per version holds one provider/architecture variant; importing another
    variant of an imported version is refused instead of overwriting it.
seealso:
  - module: zoneweaver.illumos.boxvault_box_info
  - module: zoneweaver.illumos.zone
  - module: zoneweaver.illumos.task_info
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Import the newest Debian 13 server template of 2025
  zoneweaver.illumos.template:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    organization: STARTcloud
    box: debian13-server
    version: ">=2025.1,<2026"
  register: debian

- name: A private box, resolved with a service-account token read from the vault
  zoneweaver.illumos.template:
    api_url: https://omnios1.example.com:5001
    api_key: "{{ vault_zoneweaver_api_key }}"
    registry_url: https://boxvault.example.com
    registry_token: "{{ vault_boxvault_token }}"
    organization: acme
    box: build-runner
    version: latest

- name: Use it for a zone
  zoneweaver.illumos.zone:
    name: 0001--web01.example.com
    state: running
    boot_disk:
      type: template
      box: STARTcloud/debian13-server
      box_version: "{{ debian.version }}"

- name: Without an agent, the host imports the box itself (verified, resumable, streamed into zfs recv)
  zoneweaver.illumos.template:
    backend: native
    registry_url: https://boxvault.example.com
    organization: STARTcloud
    box: debian13-server
    version: latest
  become: true

- name: Drop the 2024 versions
  zoneweaver.illumos.template:
    organization: STARTcloud
    box: debian13-server
    version: "<2025"
    state: absent
"""

RETURN = r"""
template:
  description:
    - The local template after the run, as the agent lists it. With O(backend=native), the same keys read from
      the dataset's user properties (C(id) and C(dataset_path) are the dataset's name), plus C(ready),
      C(registry_checksum) (C(<TYPE>:<hex>) the import verified), C(type) and C(volsize).
    - Empty in check mode for a new import, with O(wait=false), and with O(state=absent).
  returned: always
  type: dict
  sample:
    id: 5f1d2f6e-2b1e-4a8e-8f0a-3e9f6d1c2b44
    source_name: boxvault
    organization: STARTcloud
    box_name: debian13-server
    version: 2025.8.22
    provider: zone
    architecture: amd64
    dataset_path: rpool/templates/STARTcloud/debian13-server/2025.8.22
    original_filename: debian13-server-2025.8.22-zone-amd64.box
    size: 734003200
    checksum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    checksum_algorithm: sha256
    metadata: {provider: zone, format: zss, brand: bhyve, architecture: amd64}
version:
  description: The concrete version the selector resolved to.
  returned: when state=present
  type: str
  sample: 2025.8.22
registry:
  description: What the registry publishes for that version (checksum, its type, size, and where it was read).
  returned: when state=present
  type: dict
  sample: {checksum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, checksum_type: SHA256,
           size: 734003200, source: registry}
checksum_verified:
  description:
    - V(true) when the agent's recorded sha256 equals the registry's; V(null) when it could not be compared
      (no registry checksum with O(checksum_policy=warn), check mode, or O(wait=false)).
    - With O(backend=native), V(true) when the download matched the registry's checksum (or, for a template
      already there, when the checksum recorded at import equals the registry's).
  returned: when state=present
  type: bool
source_name:
  description: The agent's template source the box is (or would be) downloaded from.
  returned: when state=present with the agent backend
  type: str
import_stats:
  description:
    - With O(backend=native), figures of the import this run made. C(size) in bytes of the box, C(resumes) (how
      often a broken transfer was resumed), C(restarts), C(zss_size), C(download_seconds), C(receive_seconds),
      C(seconds) and C(dataset).
  returned: when backend=native imported a box
  type: dict
  sample: {dataset: rpool/templates/STARTcloud/debian13-server/2025.8.22, size: 734003200, resumes: 0,
           restarts: 0, checksum_verified: true, zss_size: 1073741824, download_seconds: 6.1,
           receive_seconds: 3.2, seconds: 9.5}
removed:
  description: The local templates removed (or that would be removed in check mode).
  returned: when state=absent
  type: list
  elements: dict
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [pull STARTcloud/debian13-server 2025.8.22 (zone/amd64)]
tasks:
  description: The agent tasks this run started (C(template_download), C(template_delete)).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.options import boxvault_options
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.template import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    backend=True,
    template_base={"type": "str", "default": "rpool/templates"},
    download_dir={"type": "path"},
    max_unpacked_size={"type": "str", "default": "256G"},
    organization={"type": "str", "required": True, "aliases": ["org"]},
    box={"type": "str", "required": True, "aliases": ["box_name", "name"]},
    version={"type": "str"},
    provider={"type": "str"},
    architecture={"type": "str"},
    source_name={"type": "str"},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    checksum_policy={"type": "str", "default": "strict", "choices": ["strict", "warn"]},
    **boxvault_options()
)


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER)


if __name__ == "__main__":
    main()
