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

import hashlib
import json
import os
import re
import tempfile
import time

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, EndpointMissingError, TransportError)

_CACHE = {}
# Each task of a play runs in its own forked worker, so _CACHE alone would cost one GET /status per
# task. The controller (plugin_utils/agent_action.py) names the playbook run's private temporary
# directory (created 0700 per run, removed at its end); the answer is shared there for SHARED_TTL
# seconds. Only the generation comes from it: callers that need a fresh /status (bootstrapAvailable,
# uptime) use AgentApi.refresh_dialect(), which forgets both copies.
SHARED_TTL = 60.0
_shared_dir = None


def share_between_workers(directory):
    """Keep detected generations in `directory` (None: in this process only)."""
    global _shared_dir  # pylint: disable=global-statement
    _shared_dir = directory


def _url_key(url):
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _shared_path(url):
    return os.path.join(_shared_dir, "zoneweaver-dialect-%s.json" % _url_key(url)[:32])


def _load_shared(url):
    if not _shared_dir:
        return None
    try:
        with open(_shared_path(url)) as handle:
            data = json.load(handle)
        if data["url"] != _url_key(url) or not 0 <= time.time() - data["at"] <= SHARED_TTL:
            return None
        return Dialect(data["version"], data["features"], data["status"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_shared(url, dialect):
    if not _shared_dir or not os.path.isdir(_shared_dir):
        return
    data = {"url": _url_key(url), "at": time.time(), "version": dialect.version, "features": sorted(dialect.features),
            "status": dialect.status}
    try:
        fd, tmp = tempfile.mkstemp(dir=_shared_dir, prefix=".zoneweaver-dialect-")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        os.replace(tmp, _shared_path(url))     # readers see the old file or the new one, never half of one
    except (OSError, TypeError, ValueError):
        pass                                   # a cache only: the next task asks the agent again


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
    cached = _CACHE.get(client.url) or _load_shared(client.url)
    if cached is not None:
        _CACHE[client.url] = cached
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
    _store_shared(client.url, dialect)
    return dialect


def forget(url):
    """Drop the cached generation (e.g. after an agent upgrade), here and for the play's other tasks."""
    url = str(url).rstrip("/")
    _CACHE.pop(url, None)
    if _shared_dir:
        try:
            os.remove(_shared_path(url))
        except OSError:
            pass


__all__ = ["Dialect", "detect", "forget", "share_between_workers", "version_tuple", "AgentError"]
