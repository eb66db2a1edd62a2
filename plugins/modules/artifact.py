#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: artifact
short_description: Upload, download, fetch and remove files in the agent's artifact store
version_added: 0.1.0
description:
  - Ensures a file (an ISO, a disk image or a provisioning archive) is in one of the Zoneweaver Agent's
    artifact storage locations, or is absent there.
  - The file comes from the controller (O(src), uploaded) or from a URL the agent downloads itself (O(url)).
    With O(dest), the stored file is fetched to the controller instead.
  - Idempotent by checksum. An upload is skipped when the stored file has the same checksum as O(src); a
    download when the stored file already has O(checksum) (without O(checksum), when a file of that name is
    there at all); a fetch when O(dest) already has the stored file's checksum. A stored file with another
    checksum is replaced.
  - Artifact storage can be turned off in the agent's configuration; the agent then answers that it is
    disabled. Sending and fetching files need a direct connection (O(api_url)), not a Hyperweaver relay.
extends_documentation_fragment:
  - zoneweaver.illumos.agent
  - zoneweaver.illumos.agent.wait
  - zoneweaver.illumos.agent.action_group
  - zoneweaver.illumos.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  filename:
    description:
      - Name of the file in its storage location. Defaults to the last part of O(src) or O(url);
        required with O(dest) and O(state=absent).
    type: str
  state:
    description: Whether the file should be in the store.
    type: str
    choices: [present, absent]
    default: present
  src:
    description: A file on the controller to upload.
    type: path
  url:
    description: A URL the agent downloads the file from (it must be reachable from the host).
    type: str
  dest:
    description: A path on the controller to fetch the stored file to (written atomically).
    type: path
  storage_location:
    description:
      - The agent's storage location, by name or id. Defaults to the first enabled location of O(type).
    type: str
  type:
    description: Kind of file, used to pick the storage location when O(storage_location) is not given.
    type: str
    choices: [iso, image, provisioning]
    default: iso
  checksum:
    description:
      - Expected checksum, as hex digits or V(<algorithm>:<hex>). With O(url) the agent verifies the download
        against it (and it decides whether a stored file is current); with O(src) the local file must match
        it before anything is sent.
    type: str
  checksum_algorithm:
    description: Algorithm of O(checksum), and the one the agent is asked to record for a new file.
    type: str
    choices: [sha256, sha1, md5]
    default: sha256
seealso:
  - module: zoneweaver.illumos.zone_provision
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
"""

EXAMPLES = r"""
- name: Upload an installer ISO
  zoneweaver.illumos.artifact:
    src: files/omnios-r151054.iso
    type: iso

- name: Let the agent download an image, verified
  zoneweaver.illumos.artifact:
    url: https://images.example.com/debian-13-generic-amd64.raw
    type: image
    checksum: sha256:9f2c1e0b5d6a7c8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6

- name: The provisioning archive of a zone
  zoneweaver.illumos.artifact:
    src: build/web01-provisioning.tar.gz
    type: provisioning
  register: archive

- name: Fetch a stored file to the controller
  zoneweaver.illumos.artifact:
    filename: omnios-r151054.iso
    dest: /srv/backup/omnios-r151054.iso

- name: Remove it from the store
  zoneweaver.illumos.artifact:
    filename: omnios-r151054.iso
    state: absent
"""

RETURN = r"""
artifact:
  description: The stored file's row after the run (empty when absent, and in check mode for a new file).
  returned: always
  type: dict
  sample: {id: 456e7890-e89b-12d3-a456-426614174001, filename: omnios-r151054.iso, size: 1048576,
           file_type: iso, checksum: 9f2c..., checksum_algorithm: sha256, path: /data/isos/omnios-r151054.iso}
storage_location:
  description: Name of the storage location used.
  returned: always
  type: str
dest:
  description: The controller path the file was fetched to.
  returned: with O(dest)
  type: str
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
  sample: [upload]
"""

from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.artifact import run as RUNNER

ARGUMENT_SPEC = agent_argument_spec(
    wait=True,
    filename={"type": "str"},
    state={"type": "str", "default": "present", "choices": ["present", "absent"]},
    src={"type": "path"},
    url={"type": "str"},
    dest={"type": "path"},
    storage_location={"type": "str"},
    type={"type": "str", "default": "iso", "choices": ["iso", "image", "provisioning"]},
    checksum={"type": "str"},
    checksum_algorithm={"type": "str", "default": "sha256", "choices": ["sha256", "sha1", "md5"]},
)
ARGUMENT_OPTIONS = {"mutually_exclusive": [["src", "url", "dest"]]}


def main():
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.ansible_module import run_module
    run_module(ARGUMENT_SPEC, RUNNER, **ARGUMENT_OPTIONS)


if __name__ == "__main__":
    main()
