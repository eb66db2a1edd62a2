# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many zones on one host in one run (zoneweaver.illumos.zones).

One list call (GET /machines, whose rows carry the zone's configuration)
reads every zone; the zone resource's own planner (zone.plan_zone) finds the
zones that need nothing, and those cost no further request. Only the zones
with a planned change go through the zone resource itself (a fresh detail
read, then the change), concurrently, each worker thread with its own HTTP
session. Results, diffs and errors are kept per zone; one zone's failure
does not stop the others.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone import (
    ZoneResource, check_state, normalize_spec, plan_zone)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import (
    public_view, view_from_agent)

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 32
# What the zone options default to when an item (or a pruned zone) leaves them out.
ITEM_DEFAULTS = {"state": "present", "force": False, "cleanup_disks": True, "cleanup_networking": True}


# --------------------------------------------------------------------------- input
def normalize_items(params):
    """[(spec, state, item_params)] for every item; refuses bad input before any call."""
    items = params.get("zones")
    if items is None:
        raise InputError("zones is required: a list of zone specifications (the zone module's options)")
    seen = set()
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("name"):
            raise InputError("zones[%d] needs a name" % index)
        item = dict(ITEM_DEFAULTS, **{k: v for k, v in item.items() if v is not None})
        try:
            spec = normalize_spec(item)
            check_state(spec, item["state"])
        except InputError as exc:
            raise InputError("zones[%d] (%s): %s" % (index, item["name"], exc.msg), hint=exc.hint)
        if spec["name"] in seen:
            raise InputError("zones[%d]: zone %s is listed twice" % (index, spec["name"]),
                             hint="give each zone once; the list is the desired set of zones")
        seen.add(spec["name"])
        out.append((spec, item["state"], item))
    return out


def prune_filter(params):
    """A predicate on zone rows for prune=true, or None; at least a tag or a prefix is required."""
    if not params.get("prune"):
        return None
    tag, prefix = params.get("prune_tag"), params.get("prune_prefix")
    if not tag and not prefix:
        raise InputError("prune=true needs prune_tag and/or prune_prefix",
                         hint="prune only removes zones this list manages: mark them with a tag or a name prefix")
    if tag:
        values.check_pattern(tag, values.TAG_RE, "prune_tag", "letters, digits and ._:=@+-")

    def matches(name, tags):
        return (not tag or tag in tags) and (not prefix or name.startswith(prefix))
    return matches


def concurrency_of(params):
    value = params.get("concurrency") or DEFAULT_CONCURRENCY
    return values.to_int(value, "concurrency", 1, MAX_CONCURRENCY)


# --------------------------------------------------------------------------- reads
def view_from_row(row, dialect):
    """A zone view from a list row: the row is machine_info and carries the
    configuration (with the stored pending_changes section on 0.3.9)."""
    config = row.get("configuration") or {}
    detail = {dialect.info_key: row, "configuration": config,
              "pending_changes": config.get("pending_changes") or None}
    return view_from_agent(detail, dialect)


class ThreadApis:
    """One AgentApi per worker thread, each with its own HTTP session (a
    requests.Session is not meant to be shared between threads)."""

    def __init__(self, api):
        self.api = api
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions = []

    def get(self):
        mine = getattr(self._local, "api", None)
        if mine is None:
            mine = self._local.api = self._clone()
        return mine

    def _clone(self):
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.client import AgentClient, new_session
        client = self.api.client
        if not isinstance(client, AgentClient):
            return self.api  # a Hyperweaver relay client keeps its own login state: share it
        session = new_session(pool_connections=1, pool_maxsize=2)
        with self._lock:
            self._sessions.append(session)
        cert, key = (client.cert if isinstance(client.cert, tuple) else (client.cert, None))
        clone = AgentClient(client.url, api_key=client.api_key, validate_certs=bool(client.verify),
                            ca_path=client.verify if isinstance(client.verify, str) else None,
                            client_cert=cert, client_key=key, timeout=client.timeout, retries=client.retries,
                            backoff=client.backoff, extra_headers=client.extra_headers, session=session)
        api = AgentApi(clone, wait_timeout=self.api.wait_timeout)
        api._dialect = self.api.dialect  # already detected for this URL
        return api

    def close(self):
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions = []


# --------------------------------------------------------------------------- run
class ZonesResource:
    def __init__(self, api, ctx, concurrency=DEFAULT_CONCURRENCY, backend_factory=None):
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.zones import ZoneAgentBackend
        self.api = api
        self.ctx = ctx
        self.concurrency = concurrency
        self.backend_factory = backend_factory or ZoneAgentBackend
        self.apis = ThreadApis(api)

    def ensure(self, params):
        items = normalize_items(params)
        prune = prune_filter(params)
        dialect = self.api.dialect
        rows = self.backend_factory(self.api).list()
        views = {}
        for row in rows:
            if row.get("name"):
                views[row["name"]] = view_from_row(row, dialect)

        results = {}
        work = []
        for spec, state, item in items:
            actual = views.get(spec["name"])
            plan = plan_zone(spec, state, actual)
            if plan.actions:
                work.append(item)
            else:
                results[spec["name"]] = self._unchanged(spec["name"], state, actual, plan)
        wanted = {spec["name"] for spec, _state, _item in items}
        pruned = []
        if prune is not None:
            for name in sorted(views):
                if name not in wanted and prune(name, views[name].get("tags") or []):
                    item = dict(ITEM_DEFAULTS, name=name, state="absent")
                    work.append(item)
                    pruned.append(name)

        base = {k: params.get(k) for k in ("wait", "wait_timeout")}
        if work:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(work)),
                                    thread_name_prefix="zoneweaver-zones") as pool:
                for name, result in pool.map(lambda item: self._converge(dict(base, **item)), work):
                    results[name] = result
        self.apis.close()
        ordered = [results[spec["name"]] for spec, _state, _item in items] + [results[n] for n in pruned]
        return self._summarise(ordered, pruned)

    def _unchanged(self, name, state, actual, plan):
        result = {"name": name, "state": state, "changed": False, "actions": [], "tasks": [],
                  "reboot_required": plan.reboot_required, "zone": public_view(actual) if actual else {}}
        return result

    def _converge(self, item):
        """One zone through the zone resource, in a worker thread."""
        name = item["name"]
        ctx = RunContext(check_mode=self.ctx.check_mode, diff=self.ctx.diff)
        try:
            backend = self.backend_factory(self.apis.get())
            result = ZoneResource(backend, ctx).ensure(item)
        except ZoneweaverError as exc:
            result = dict(dict(exc.to_result(), changed=exc.changed), failed=True, actions=[])
        except Exception as exc:  # a bug in one zone's run must not hide the others' results
            result = {"failed": True, "changed": False, "actions": [],
                      "msg": "unexpected error in zoneweaver.illumos: %s" % exc}
        for warning in ctx.warnings:
            self.ctx.warn("%s: %s" % (name, warning))
        result = dict(result, name=name, state=item.get("state") or "present")
        result.setdefault("tasks", [])
        return name, result

    def _summarise(self, results, pruned):
        failed = [r for r in results if r.get("failed")]
        out = {
            "changed": any(r.get("changed") for r in results),
            "results": results,
            "summary": {
                "total": len(results),
                "changed": sum(1 for r in results if r.get("changed")),
                "unchanged": sum(1 for r in results if not r.get("changed") and not r.get("failed")),
                "failed": len(failed),
                "created": sum(1 for r in results if any(a.startswith("create") for a in r.get("actions", ()))),
                "removed": sum(1 for r in results if "delete" in r.get("actions", ())),
            },
            "pruned": pruned,
        }
        if self.ctx.diff and out["changed"]:
            before, after = {}, {}
            for r in results:
                if r.get("diff"):
                    before[r["name"]] = r["diff"]["before"]
                    after[r["name"]] = r["diff"]["after"]
            out["diff"] = {"before": before, "after": after}
        if failed:
            out["failed"] = True
            out["msg"] = "%d of %d zones failed: %s" % (
                len(failed), len(results), "; ".join("%s: %s" % (r["name"], r.get("msg")) for r in failed))
        return out


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zones)."""
    # Validate every item before connecting: bad input never costs a request.
    normalize_items(params)
    prune_filter(params)
    concurrency = concurrency_of(params)
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    api = AgentApi.for_module(params, ctx)
    return ZonesResource(api, ctx, concurrency).ensure(params)
