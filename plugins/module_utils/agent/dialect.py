# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Agent generations, detected once per URL, hidden behind one Dialect object.

agent-api.md section 0: an HTML 404 on the public GET /status means the v0.2
generation (/zones, zone_name, /templates/local, path-style datasets). Otherwise
`features` containing "machines" selects /machines and machine_name, and version
>= 0.3.9 (or the machine-snapshots feature) bare /templates and ?name= datasets.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, EndpointMissingError, TransportError)

_CACHE = {}


def version_tuple(text):
    """'0.3.9' -> (0, 3, 9); tolerant of 'v' prefixes and suffixes like '-rc1'."""
    return tuple(int(n) for n in re.findall(r"\d+", str(text or ""))[:3]) or (0,)


class Dialect:
    """What differs between agent generations, in one place."""

    def __init__(self, version, features=(), status=None):
        self.version = str(version)
        self.features = frozenset(features or ())
        self.status = status or {}
        vt = version_tuple(version)
        self.machines = "machines" in self.features
        self.generation = "0.2" if vt < (0, 3) else ("0.3.9" if self.is_at_least(0, 3, 9) else "0.3")
        self.bare_templates = vt >= (0, 3, 9) or "machine-snapshots" in self.features
        self.dataset_query_style = self.bare_templates

    def is_at_least(self, *parts):
        return version_tuple(self.version) >= parts

    # --- machines ---------------------------------------------------------
    @property
    def machines_path(self):
        return "/machines" if self.machines else "/zones"

    @property
    def name_key(self):
        return "machine_name" if self.machines else "zone_name"

    @property
    def list_key(self):
        return "machines" if self.machines else "zones"

    @property
    def info_key(self):
        return "machine_info" if self.machines else "zone_info"

    @property
    def cleanup_disks_key(self):
        # v0.2 says cleanup_datasets; later generations cleanup_disks.
        return "cleanup_disks" if self.is_at_least(0, 3) else "cleanup_datasets"

    @property
    def typed_disks(self):
        """0.3.9+ takes disks.boot.type; older agents disks.boot.source."""
        return self.is_at_least(0, 3, 9)

    @property
    def has_pending_changes(self):
        """0.3.9 accrues modifications of a running zone until its next power cycle."""
        return self.is_at_least(0, 3, 9)

    @property
    def has_roles(self):
        return self.is_at_least(0, 3, 6)

    def machine_path(self, name, *rest):
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.client import AgentClient
        path = "%s/%s" % (self.machines_path, AgentClient.segment(name))
        return path + "".join("/" + part for part in rest)

    def task_machine(self, task):
        """Tasks carry machine_name or zone_name depending on version."""
        return task.get("machine_name") or task.get("zone_name")

    @property
    def templates_path(self):
        return "/templates" if self.bare_templates else "/templates/local"

    def as_facts(self):
        return {"version": self.version, "generation": self.generation, "features": sorted(self.features),
                "machines_path": self.machines_path, "name_key": self.name_key}


def detect(client):
    """Return the Dialect for client.url, from GET /status (cached per URL)."""
    cached = _CACHE.get(client.url)
    if cached is not None:
        return cached
    try:
        status = client.get("/status", auth=False)
    except EndpointMissingError:
        dialect = Dialect("0.2", features=(), status={})
    else:
        if not isinstance(status, dict) or "version" not in status:
            raise TransportError("%s/status did not answer like a Zoneweaver Agent" % client.url,
                                 hint="check api_url: it must point at the agent (port 5001 by default)")
        dialect = Dialect(status.get("version"), status.get("features") or (), status)
    _CACHE[client.url] = dialect
    return dialect


def forget(url):
    """Drop the cached generation (e.g. after an agent upgrade in the same process)."""
    _CACHE.pop(str(url).rstrip("/"), None)


__all__ = ["Dialect", "detect", "forget", "version_tuple", "AgentError"]
