# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read ZFS pools, datasets and one dataset's properties from the agent (one request per section)
or, with backend=native, from `zpool list` / `zfs list` / `zfs get` on the host (one command per section).

Byte counts arrive from the agent as strings (`zfs -p`); they are returned as integers.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AgentError, InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import CommandError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.notfound import is_not_found
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zfs_dataset import (
    check_dataset_name, check_snapshot_name, storage_backend, view)

SECTIONS = ("pools", "datasets")
TYPES = ("filesystem", "volume", "snapshot")
PREFIX_RE = re.compile(r"^[A-Za-z0-9_.:/@\-]+$")


def normalize_query(params):
    """Validate the options; raises InputError before any request."""
    sections = list(SECTIONS) if params.get("sections") is None else list(params["sections"])
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise InputError("sections must be among %s, got %s" % (", ".join(SECTIONS), ", ".join(unknown)))
    root = params.get("pool")
    if root is not None:
        check_dataset_name(root, "pool")
    kind = params.get("type")
    if kind is not None and kind not in TYPES:
        raise InputError("type must be one of %s, got %r" % (", ".join(TYPES), kind))
    prefix = params.get("name_prefix")
    if prefix is not None:
        values.check_pattern(prefix, PREFIX_RE, "name_prefix", "the start of a dataset name, such as rpool/zones/")
    dataset = params.get("dataset")
    if dataset is not None:
        if "@" in str(dataset):
            check_snapshot_name(dataset, "dataset")
        else:
            check_dataset_name(dataset, "dataset")
    filters = [key for key in ("pool", "type", "name_prefix") if params.get(key) is not None]
    if filters and "datasets" not in sections:
        raise InputError("%s filter%s the datasets section, which sections leaves out"
                         % (", ".join(filters), "s" if len(filters) == 1 else ""))
    return {"sections": [s for s in SECTIONS if s in sections], "pool": root, "type": kind, "name_prefix": prefix,
            "dataset": dataset}


def filter_datasets(rows, query):
    """Client-side filters (the agent filters by pool and type itself; filtering again is harmless).

    The agent's order is kept: `zfs list` sorts by name, and a dataset's snapshots oldest first.
    """
    out = []
    root = query["pool"]
    for row in rows:
        name = str(row.get("name") or "")
        if root is not None and not (name == root or name.startswith(root + "/") or name.startswith(root + "@")):
            continue
        if query["type"] is not None and row.get("type") != query["type"]:
            continue
        if query["name_prefix"] is not None and not name.startswith(query["name_prefix"]):
            continue
        out.append(row)
    return out


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.storage_info)."""
    query = normalize_query(params)
    backend = storage_backend(params, ctx)
    result = {"changed": False}
    if "pools" in query["sections"]:
        result["pools"] = sorted(backend.list_pools(), key=lambda row: str(row.get("name") or ""))
    if "datasets" in query["sections"]:
        try:
            rows = backend.list_datasets(root=query["pool"], kind=query["type"], recursive=query["pool"] is not None)
        except AgentError as exc:
            # `zfs list` of a missing root fails, and the agent answers 500 with zfs's words in `details`.
            details = (exc.details.get("agent_details") or {}).get("details")
            if query["pool"] is None or exc.status != 500 or not details:
                raise
            raise AgentError("cannot list the datasets under %s: %s" % (query["pool"], details), status=exc.status,
                             hint="check pool; it must name an existing pool or dataset")
        except CommandError as exc:
            # natively, zfs's own words: "cannot open 'rpool/x': dataset does not exist"
            if query["pool"] is None or not is_not_found("zfs", exc.rc, exc.stderr):
                raise
            raise InputError("cannot list the datasets under %s: %s" % (query["pool"], exc.stderr),
                             hint="check pool; it must name an existing pool or dataset")
        result["datasets"] = filter_datasets(rows, query)
    if query["dataset"] is not None:
        result["dataset"] = view(backend.get_dataset(query["dataset"]))
    result["generation"] = backend.dialect.generation
    return result
