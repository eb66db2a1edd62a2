# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VLAN link resource (dladm create-vlan through the agent).

Identity: a VLAN is found by its name when the task gives one; otherwise by
(link, vid), since a link carries at most one VLAN link per id. Without a
name the agent derives one (<driver><1000*vid+ppa>, or vlan<vid>), which the
result reports. The id and link of a VLAN cannot change: a VLAN that exists
with other values is a failure naming both, unless recreate=true.

With backend=native the same plan runs dladm on the host (native/network.py),
which gives a VLAN without a name the agent's name, so both backends agree.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import already_exists
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, InputError, NotFoundError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    backend_applied, finish, new_result, preflight, reconcile, report_partial_change, select_backend)

STATES = ("present", "absent")


def normalize_spec(params):
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    spec = {"state": state, "name": None, "recreate": bool(params.get("recreate")),
            "force": bool(params.get("force"))}
    if params.get("name") is not None:
        spec["name"] = values.check_link_name(params["name"], "VLAN name")
    if params.get("vid") is not None:
        spec["vid"] = values.check_vlan_id(params["vid"], "vid")
    if params.get("link") is not None:
        spec["link"] = values.check_link_name(params["link"], "link")
    if state == "present" and ("vid" not in spec or "link" not in spec):
        raise InputError("a VLAN needs vid and link (the link it tags traffic on, such as igb0)")
    if state == "absent" and spec["name"] is None and ("vid" not in spec or "link" not in spec):
        raise InputError("to remove a VLAN, give its name, or its link and vid")
    return spec


def vlan_view(row):
    try:
        vid = int(row.get("vid"))
    except (TypeError, ValueError):
        vid = None
    mtu = row.get("mtu")
    return {"name": row.get("link"), "link": row.get("over"), "vid": vid, "state": row.get("state"),
            "mtu": int(mtu) if isinstance(mtu, int) or (isinstance(mtu, str) and mtu.isdigit()) else None}


def find(rows, spec):
    """The VLAN this spec means: by name if given, else by (link, vid)."""
    views = [vlan_view(row) for row in rows]
    if spec.get("name"):
        return next((v for v in views if v["name"] == spec["name"]), None)
    return next((v for v in views if v["link"] == spec.get("link") and v["vid"] == spec.get("vid")), None)


def holder_of(rows, link, vid):
    """The VLAN that already tags `vid` on `link`, whatever its name."""
    return next((v for v in (vlan_view(row) for row in rows) if v["link"] == link and v["vid"] == vid), None)


def mismatches(spec, view):
    found = {}
    for key in ("vid", "link"):
        if key in spec and spec[key] != view.get(key):
            found[key] = (view.get(key), spec[key])
    return found


def _describe(found):
    return ", ".join("%s %s (wanted %s)" % (key, actual, wanted) for key, (actual, wanted) in sorted(found.items()))


class VlanResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx

    def ensure(self, params):
        spec = normalize_spec(params)
        with report_partial_change(lambda exc: backend_applied(self.backend, exc)):
            return reconcile(self.ctx, lambda: self._ensure_once(spec, params))

    def _ensure_once(self, spec, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        rows = self.backend.vlans()
        actual = find(rows, spec)
        result = new_result()

        if spec["state"] == "absent":
            if actual is None:
                return self._finish(result, {"state": "absent"}, {"state": "absent"}, None)
            result["actions"].append("delete %s" % actual["name"])
            before = dict(state="present", name=actual["name"], vid=actual["vid"], link=actual["link"])
            preflight(self.backend, self.ctx, "delete_vlan", actual["name"])
            if not self.ctx.check_mode:
                self._delete(actual["name"], wait, timeout)
            return self._finish(result, before, {"state": "absent"}, None)

        if actual is not None:
            found = mismatches(spec, actual)
            if not found:
                return self._finish(result, {}, {}, actual)
            if not spec["recreate"]:
                raise ConflictError("VLAN %s exists with %s; a VLAN's id and link are fixed at creation"
                                    % (actual["name"], _describe(found)),
                                    hint="set recreate: true to delete and create it again, or change the task",
                                    vlan=actual,
                                    mismatches={k: {"actual": a, "wanted": w} for k, (a, w) in found.items()})
            return self._replace(spec, actual, "recreate (%s)" % _describe(found), result, wait, timeout)

        holder = holder_of(rows, spec["link"], spec["vid"]) if spec["name"] else None
        if holder is not None:
            if not spec["recreate"]:
                raise ConflictError("vid %s on %s is already tagged by VLAN %s, not %s"
                                    % (spec["vid"], spec["link"], holder["name"], spec["name"]),
                                    hint="name the task's VLAN %s, remove that VLAN first, or set recreate: true "
                                         "to replace it" % holder["name"], vlan=holder)
            return self._replace(spec, holder, "replace %s" % holder["name"], result, wait, timeout)

        before, after = {"state": "absent"}, dict(state="present", vid=spec["vid"], link=spec["link"])
        if spec["name"]:
            after["name"] = spec["name"]
        if self.ctx.check_mode:
            preflight(self.backend, self.ctx, "create_vlan", self._create_body(spec))
            result["actions"].append("create")
            return self._finish(result, before, after, None)
        try:
            answer = self.backend.create_vlan(self._create_body(spec))
        except ZoneweaverError as exc:
            # The agent derives the name when none is given; it may be taken by a VLAN on another link.
            if not already_exists(exc, "VLAN", spec["name"] or ""):
                raise
            # Created meanwhile (the list is read live): compare with it.
            if find(self.backend.vlans(), spec) is None:
                raise
            return self._ensure_once(spec, params)
        result["actions"].append("create")
        return self._finish(result, before, after, self._settle_created(spec, answer, wait, timeout))

    def _create_body(self, spec):
        body = {"vid": spec["vid"], "link": spec["link"], "force": spec["force"], "temporary": False}
        if spec["name"]:
            body["name"] = spec["name"]
        return body

    def _settle_created(self, spec, answer, wait, timeout):
        if not wait:
            return None
        name = spec["name"] or answer.get("vlan_name")
        wanted = dict(spec, name=name)

        def read():
            view = find(self.backend.vlans(), wanted)
            return view if view is not None and not mismatches(spec, view) else None
        return self.backend.settle(answer, read, True, timeout, "VLAN %s in GET /network/vlans" % (name or "new"))

    def _delete(self, name, wait, timeout):
        try:
            answer = self.backend.delete_vlan(name)
        except NotFoundError:  # already gone on the host; the list lags behind
            answer = {}
        if wait:
            self.backend.settle(answer, lambda: find(self.backend.vlans(), {"name": name}), False, timeout,
                                "VLAN %s in GET /network/vlans" % name)

    def _replace(self, spec, old, action, result, wait, timeout):
        result["actions"].append(action)
        before = dict(state="present", name=old["name"], vid=old["vid"], link=old["link"])
        after = dict(state="present", name=spec["name"] or old["name"], vid=spec["vid"], link=spec["link"])
        if self.ctx.check_mode:
            preflight(self.backend, self.ctx, "delete_vlan", old["name"])
            return self._finish(result, before, after, old)
        self._delete(old["name"], True, timeout)  # the create must not race the deletion
        answer = self.backend.create_vlan(self._create_body(spec))
        return self._finish(result, before, after, self._settle_created(spec, answer, wait, timeout))

    def _finish(self, result, before, after, view):
        result["vlan"] = view or {}
        result["tasks"] = list(self.backend.tasks)
        return finish(self.ctx, result, before, after)


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.vlan)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import NetworkAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.network import NetworkNativeBackend
    normalize_spec(params)  # bad input never costs a request or a command
    backend = select_backend(params, ctx, NetworkAgentBackend, lambda runner: NetworkNativeBackend(runner, warn=ctx.warn))
    return VlanResource(backend, ctx).ensure(params)
