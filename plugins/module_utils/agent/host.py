# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What host_info reads through an agent, in the shapes the native path returns.

- memory, cpu: the newest sample of the agent's host monitoring (GET /monitoring/system/memory
  and /monitoring/system/cpu, `latest`), which the agent collects about once a minute;
- os: the monitoring host row (GET /monitoring/host): kernel name and release only;
- pools: the agent's live pool list (GET /storage/pools, `zpool list -p`). The monitoring
  pool rows are not used: their figures are `zpool iostat`'s rounded ones from the last
  storage scan (up to the storage interval old, so a volume created a minute ago may not
  show), and the 0.2 collector drops every pool whose name contains "pool" (rpool) from them;
- zones: the agent's zone list (one request), orphaned rows left out;
- links: the monitoring copy of `dladm show-link` (GET /monitoring/network/interfaces).

Not available through an agent (null): os version, machine and release_text; a zone's
zoneid and debugid.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, EndpointMissingError, NotFoundError)

MEMORY = "/monitoring/system/memory"
CPU = "/monitoring/system/cpu"
HOST = "/monitoring/host"
POOLS = "/storage/pools"
LINKS = "/monitoring/network/interfaces"
LIST_LIMIT = 10000
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
IP_TYPES = {"exclusive": "excl", "excl": "excl", "shared": "shared"}
KERNEL_NAMES = {"sunos": "SunOS"}     # Node's os.platform() -> uname -s
NO_SAMPLE_HINT = ("the agent's host monitoring (host_monitoring.enabled in its config.yaml) collects a sample "
                  "about once a minute; or declare the host's capacity instead (zoneweaver_capacity)")


def _int(value):
    """An integer from a number or a numeric string; None for anything else."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None


def _float(value):
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _figure(row, *keys):
    """The first of `keys` the row carries as a number (0.3.9 names first, then the 0.2 spec's)."""
    for key in keys:
        value = _int(row.get(key))
        if value is not None:
            return value
    return None


def latest_sample(answer, what):
    """The `latest` row of a monitoring answer (or the newest of its rows); None when it has none."""
    if not isinstance(answer, dict):
        return None
    row = answer.get("latest")
    if isinstance(row, dict):
        return row
    rows = [r for r in answer.get(what) or () if isinstance(r, dict)]
    return max(rows, key=lambda r: str(r.get("scan_timestamp") or "")) if rows else None


def memory_view(row):
    """A MemoryStats row -> {total_bytes, free_bytes, used_percent}, as host_info's native memory."""
    total = _figure(row, "total_memory_bytes", "total_memory")
    free = _figure(row, "free_memory_bytes", "free_memory")
    if total is None:
        raise AgentError("the agent's memory sample has no total memory: %r" % (sorted(row),), hint=NO_SAMPLE_HINT)
    if free is None:
        used = _figure(row, "used_memory_bytes", "used_memory")
        free = total - used if used is not None else None
    used_percent = round(100.0 * (total - free) / total, 1) if total and free is not None else None
    return {"total_bytes": total, "free_bytes": free, "used_percent": used_percent}


def cpu_view(row):
    """A CPUStats row -> {count, load_1m, load_5m, load_15m, free}, as host_info's native cpu."""
    count = _int(row.get("cpu_count"))
    if not count:
        raise AgentError("the agent's CPU sample has no CPU count", hint=NO_SAMPLE_HINT)
    loads = [_float(row.get(key)) for key in ("load_avg_1min", "load_avg_5min", "load_avg_15min")]
    loads = [round(value, 2) if value is not None else None for value in loads]
    free = round(max(0.0, count - loads[0]), 2) if loads[0] is not None else None
    return {"count": count, "load_1m": loads[0], "load_5m": loads[1], "load_15m": loads[2], "free": free}


def os_view(row):
    """A HostInfo row -> host_info's os keys; what uname and /etc/release would add is null."""
    row = row if isinstance(row, dict) else {}
    platform = row.get("platform")
    return {"name": KERNEL_NAMES.get(str(platform).lower(), platform) if platform else None,
            "release": row.get("release"), "version": None, "machine": None, "release_text": None}


def pool_view(row):
    """A GET /storage/pools row -> {name, size, allocated, free, capacity, health}, sizes in bytes."""
    size, alloc, free = _int(row.get("size")), _int(row.get("alloc")), _int(row.get("free"))
    capacity = _int(str(row.get("capacity_percent") or "").rstrip("%"))
    if capacity is None and size and alloc is not None:
        capacity = alloc * 100 // size
    return {"name": row.get("name"), "size": size, "allocated": alloc, "free": free, "capacity": capacity,
            "health": row.get("health")}


def zone_view(row):
    """A zone list row -> host_info's native zone keys (zoneadm list -cp); zoneid and debugid are unknown."""
    config = row.get("configuration") if isinstance(row.get("configuration"), dict) else {}
    zone_id = row.get("zone_id")
    ip_type = config.get("ip-type")
    return {"zoneid": None, "name": row.get("name"), "state": row.get("status"),
            "zonepath": config.get("zonepath"),
            "uuid": zone_id if isinstance(zone_id, str) and UUID_RE.match(zone_id) else None,
            "brand": row.get("brand") or config.get("brand"),
            "ip_type": IP_TYPES.get(str(ip_type), ip_type), "debugid": None}


def link_view(row):
    """A monitoring interface row -> host_info's native link keys (dladm show-link -p)."""
    def text(key):
        value = row.get(key)
        return None if value in (None, "", "--") else value
    return {"link": row.get("link"), "class": text("class"), "mtu": _int(row.get("mtu")), "state": text("state"),
            "bridge": text("bridge"), "over": text("over")}


def newest_per(rows, key):
    """One row per `key`: the monitoring lists come newest scan first, so the first row wins."""
    seen = {}
    for row in rows:
        if isinstance(row, dict) and row.get(key) and row[key] not in seen:
            seen[row[key]] = row
    return list(seen.values())


class HostAgentBackend:
    """Reads of one agent, one request per section."""

    def __init__(self, api):
        self.api = api
        self.client = api.client

    def _get(self, path, what, params=None):
        try:
            return self.client.get(path, params=params)
        except EndpointMissingError:
            raise AgentError("this agent (%s) does not serve %s, so its %s cannot be read"
                             % (self.api.dialect.generation, path, what),
                             hint="declare the host's capacity instead (zoneweaver_capacity)")

    def _sample(self, path, what):
        row = latest_sample(self._get(path, what), what)
        if row is None:
            raise AgentError("the agent's host monitoring holds no %s sample yet (%s)" % (what, path),
                             hint=NO_SAMPLE_HINT)
        return row

    def memory(self):
        return memory_view(self._sample(MEMORY, "memory"))

    def cpu(self):
        return cpu_view(self._sample(CPU, "cpu"))

    def os_release(self):
        try:
            return os_view(self._get(HOST, "host information"))
        except NotFoundError:       # no host row collected yet
            return os_view({})

    def pools(self):
        answer = self._get(POOLS, "pools")
        rows = [pool_view(row) for row in (answer or {}).get("pools") or () if isinstance(row, dict)]
        return sorted(rows, key=lambda row: str(row["name"] or ""))

    def zones(self):
        dialect = self.api.dialect
        answer = self._get(dialect.machines_path, "zones")
        rows = (answer or {}).get(dialect.list_key) or (answer or {}).get("machines") or (answer or {}).get("zones")
        views = [zone_view(row) for row in rows or () if isinstance(row, dict) and not row.get("is_orphaned")
                 and row.get("name") != "global"]
        return sorted(views, key=lambda view: str(view["name"] or ""))

    def links(self):
        answer = self._get(LINKS, "links", params={"limit": LIST_LIMIT})
        rows = newest_per((answer or {}).get("interfaces") or (), "link")
        return sorted((link_view(row) for row in rows), key=lambda view: str(view["link"]))
