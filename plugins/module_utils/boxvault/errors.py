# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the BoxVault side: registry answers, integrity and unsafe boxes.

All are ZoneweaverErrors, so the Ansible adapters report them like any other
failure (msg + structured fields). Messages never carry a token or password.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError


class RegistryError(ZoneweaverError):
    """BoxVault answered with an error status, or not like BoxVault at all."""

    def __init__(self, msg, status=None, hint=None, **details):
        super().__init__(msg, hint=hint, status=status, **details)
        self.status = status


class RegistryAuthError(RegistryError):
    """401/403: missing, wrong or insufficient credentials for the registry."""


class RegistryNotFoundError(RegistryError):
    """404: no such organisation, box, version, provider, architecture or file."""


class ChecksumError(ZoneweaverError):
    """A download (or a stored template) does not match the registry's checksum or
    size, or the registry publishes no checksum and the policy requires one."""


class UnsafeBoxError(ZoneweaverError):
    """A .box archive that must not be unpacked (path traversal, links out of the
    tree, device files, duplicate members, too large, not a gzip tar...)."""
