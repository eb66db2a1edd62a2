# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read zones: one by name (GET {M}), or the filtered list (GET {M-list}).

The list rows already carry each zone's `configuration`, so the default is
ONE request for any number of zones. `details: true` reads each zone's
detail as well (pending changes, live system status), at most
MAX_CONCURRENCY requests at a time.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, NotFoundError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import (
    public_view, view_from_agent)

MAX_CONCURRENCY = 8
ZONE_STATUSES = ("configured", "incomplete", "installed", "ready", "running", "shutting_down", "down",
                 "suspended")
LIST_FILTERS = ("status", "tag", "brand", "name_pattern")


def normalize_query(params):
    """Validate the options; raises InputError before any request."""
    query = {"name": params.get("name"), "details": bool(params.get("details"))}
    if query["name"] is not None:
        values.check_zone_name(query["name"])
        given = [key for key in LIST_FILTERS if params.get(key) is not None]
        if given:
            raise InputError("name selects one zone; %s filter%s the list of zones: use one or the other"
                             % (", ".join(given), "s" if len(given) == 1 else ""))
    status = params.get("status")
    if status is not None and status not in ZONE_STATUSES:
        raise InputError("status must be one of %s, got %r" % (", ".join(ZONE_STATUSES), status))
    brand = params.get("brand")
    if brand is not None and brand not in values.BRANDS:
        raise InputError("brand must be one of %s, got %r" % (", ".join(values.BRANDS), brand))
    tag = params.get("tag")
    if tag is not None:
        values.check_pattern(tag, values.TAG_RE, "tag", "letters, digits and ._:=@+-")
    pattern = params.get("name_pattern")
    if pattern is not None:
        try:
            query["name_re"] = re.compile(pattern)
        except re.error as exc:
            raise InputError("name_pattern %r is not a valid regular expression: %s" % (pattern, exc))
    query.update(status=status, brand=brand, tag=tag)
    return query


def _row_view(row, dialect):
    """A zone view from one list row (the Zone with its stored configuration)."""
    config = row.get("configuration") if isinstance(row.get("configuration"), dict) else {}
    detail = {dialect.info_key: row, "configuration": config}
    if isinstance(config.get("pending_changes"), dict):
        detail["pending_changes"] = config["pending_changes"]
    return view_from_agent(detail, dialect)


def _keep(row, query):
    if query["status"] is not None and row.get("status") != query["status"]:
        return False
    if query["brand"] is not None and row.get("brand") != query["brand"]:
        return False
    if query["tag"] is not None and query["tag"] not in (row.get("tags") or ()):
        return False
    if query.get("name_re") is not None and not query["name_re"].search(str(row.get("name") or "")):
        return False
    return True


class ZoneInfo:
    def __init__(self, backend):
        self.backend = backend

    def read(self, query):
        dialect = self.backend.dialect  # detected once, before any worker thread starts
        if query["name"] is not None:
            view = self.backend.read(query["name"])
            return [view] if view else []
        # The agent filters by status and tag itself; filtering again here keeps the
        # answer right for agents that ignore a query parameter.
        rows = [row for row in self.backend.list(status=query["status"], tag=query["tag"])
                if isinstance(row, dict) and _keep(row, query)]
        rows.sort(key=lambda row: str(row.get("name") or ""))
        if not query["details"]:
            return [_row_view(row, dialect) for row in rows]
        names = [row.get("name") for row in rows if row.get("name")]
        if not names:
            return []
        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(names))) as pool:
            views = list(pool.map(self._detail, names))
        return [view for view in views if view]  # a zone deleted since the list was read is left out

    def _detail(self, name):
        try:
            return self.backend.read(name)
        except NotFoundError:
            return None


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zone_info)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone import zone_backend
    query = normalize_query(params)
    backend = zone_backend(params, ctx)
    if backend.dialect.generation == "native":
        query["details"] = False  # the native list reads every zone's whole config already
    views = ZoneInfo(backend).read(query)
    return {"changed": False, "zones": [public_view(view) for view in views],
            "generation": backend.dialect.generation}
