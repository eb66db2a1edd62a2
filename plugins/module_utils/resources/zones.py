# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many zones on one host in one run (zoneweaver.illumos.zones), through either backend.

One read of the zones the run is about; the zone resource's own planner
(zone.plan_zone) finds the zones that need nothing, and those cost nothing
more. Only the zones with a planned change go through the zone resource
itself (a fresh read, then the change), concurrently. Results, diffs and
errors are kept per zone; one zone's failure does not stop the others.

- agent (AgentZones): one list call (GET /machines, whose rows carry the
  zone's configuration) reads every zone; each worker thread has its own
  HTTP session.
- native (NativeZones): one `zoneadm list -cp`, then `zonecfg -z Z export`
  only for the zones the run is about, read concurrently: the listed zones
  that exist and, with prune, the unlisted ones it may remove (every one
  when prune_tag is set, since a zone's tags are in its configuration; only
  those with the prefix when only prune_prefix is). A no-change run over N
  listed zones therefore costs 1 + N commands. Each zone to change gets its
  own ZoneNativeBackend and CommandRunner (CommandRunner.for_threads), so
  its record of applied commands is its own.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import select_backend
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


# --------------------------------------------------------------------------- the two backends
class AgentZones:
    """The zones of an agent: one list request reads them all."""

    def __init__(self, api, backend_factory=None):
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.zones import ZoneAgentBackend
        self.api = api
        self.backend_factory = backend_factory or ZoneAgentBackend
        self.apis = ThreadApis(api)

    def views(self, pick, each):
        """{name: view} of every zone (the list answers them all: `pick` and `each` do not matter here)."""
        del pick, each
        dialect = self.api.dialect
        return {row["name"]: view_from_row(row, dialect)
                for row in self.backend_factory(self.api).list() if row.get("name")}

    def backend(self, ctx):
        """A zone backend for one zone's run, in a worker thread (that thread's HTTP session)."""
        del ctx
        return self.backend_factory(self.apis.get())

    def close(self):
        self.apis.close()


class NativeZones:
    """The zones of the host this module runs on, through zoneadm and zonecfg."""

    def __init__(self, runner, warn=None):
        self.runner = runner
        self.new_runner = runner.for_threads()   # from here on, runner may be called from the pool's threads
        self.warn = warn

    def views(self, pick, each):
        """{name: view} of the zones `pick(name)` accepts; their configurations are read with `each`."""
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zones import ZoneNativeBackend
        reader = ZoneNativeBackend(self.runner, warn=self.warn)
        return {row["name"]: reader.view(row) for row in reader.list(pick=pick, each=each)}

    def backend(self, ctx):
        """A zone backend for one zone's run: its own runner, its warnings to that zone's ctx."""
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zones import ZoneNativeBackend
        return ZoneNativeBackend(self.new_runner(), warn=ctx.warn)

    def close(self):
        pass


def read_filter(wanted, params):
    """Which zones a run needs to read: the listed ones, and with prune the unlisted ones it may
    remove (with a prune_tag all of them, since only a zone's configuration holds its tags)."""
    if not params.get("prune"):
        return lambda name: name in wanted
    prefix = None if params.get("prune_tag") else params.get("prune_prefix")
    return lambda name: name in wanted or not prefix or name.startswith(prefix)


# --------------------------------------------------------------------------- run
class ZonesResource:
    """`zones` is AgentZones or NativeZones."""

    def __init__(self, zones, ctx, concurrency=DEFAULT_CONCURRENCY):
        self.zones = zones
        self.ctx = ctx
        self.concurrency = concurrency

    def ensure(self, params):
        items = normalize_items(params)
        prune = prune_filter(params)
        wanted = {spec["name"] for spec, _state, _item in items}
        # Threads start on first use: a run with nothing to read concurrently or to change starts none.
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="zoneweaver-zones") as pool:
            try:
                return self._ensure(params, items, prune, wanted, pool)
            finally:
                self.zones.close()

    def _ensure(self, params, items, prune, wanted, pool):
        views = self.zones.views(read_filter(wanted, params), pool.map)
        results = {}
        work = []
        for spec, state, item in items:
            actual = views.get(spec["name"])
            plan = plan_zone(spec, state, actual)
            if plan.actions:
                work.append(item)
            else:
                results[spec["name"]] = self._unchanged(spec["name"], state, actual, plan)
        pruned = []
        if prune is not None:
            for name in sorted(views):
                if name not in wanted and prune(name, views[name].get("tags") or []):
                    item = dict(ITEM_DEFAULTS, name=name, state="absent")
                    work.append(item)
                    pruned.append(name)

        base = {k: params.get(k) for k in ("wait", "wait_timeout")}
        for name, result in pool.map(lambda item: self._converge(dict(base, **item)), work):
            results[name] = result
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
            result = ZoneResource(self.zones.backend(ctx), ctx).ensure(item)
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


def zones_backend(params, ctx):
    """AgentZones or NativeZones, as the backend option says."""
    return select_backend(params, ctx, AgentZones, lambda runner: NativeZones(runner, warn=ctx.warn))


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zones)."""
    # Validate every item before connecting: bad input never costs a request or a command.
    normalize_items(params)
    prune_filter(params)
    concurrency = concurrency_of(params)
    return ZonesResource(zones_backend(params, ctx), ctx, concurrency).ensure(params)
