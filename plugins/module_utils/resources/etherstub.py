# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The etherstub resource (a virtual switch that VNICs are created over).

Removing an etherstub that VNICs still sit on is refused, naming them, unless
force=true; the VNIC list is read first so the refusal comes before any
mutating request (the agent would answer 400 too, but only for VNICs it sees).

With backend=native the same plan runs dladm on the host (native/network.py);
its lists do not lag, so the waits return at once.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.lists import wait_visible
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import already_exists
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, InputError, NotFoundError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    backend_applied, finish, new_result, preflight, reconcile, report_partial_change, select_backend)

STATES = ("present", "absent")


def normalize_spec(params):
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    return {"name": values.check_link_name(params.get("name"), "etherstub name"), "state": state,
            "force": bool(params.get("force"))}


def etherstub_view(row):
    return {"name": row.get("link"), "state": row.get("state")}


def find(rows, name):
    for row in rows:
        if row.get("link") == name:
            return etherstub_view(row)
    return None


def vnics_over(vnic_rows, name):
    """Names of the VNICs created over `name`, sorted."""
    return sorted(row["link"] for row in vnic_rows if row.get("over") == name and row.get("link"))


class EtherstubResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx

    def ensure(self, params):
        spec = normalize_spec(params)
        with report_partial_change(lambda exc: backend_applied(self.backend, exc)):
            return reconcile(self.ctx, lambda: self._ensure_once(spec, params))

    def _read(self, name):
        return find(self.backend.etherstubs(), name)

    def _ensure_once(self, spec, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        name = spec["name"]
        what = "etherstub %s in GET /network/etherstubs" % name
        actual = self._read(name)
        result = new_result()

        if spec["state"] == "absent":
            if actual is None:
                return self._finish(result, {"state": "absent"}, {"state": "absent"}, None)
            blocking = vnics_over(self.backend.vnics(), name)
            if blocking and not spec["force"]:
                raise ConflictError(
                    "etherstub %s still carries VNIC%s %s" % (name, "s" if len(blocking) > 1 else "",
                                                              ", ".join(blocking)),
                    hint="remove those VNICs first (zoneweaver.illumos.vnic state=absent), or set force: true "
                         "to delete the etherstub anyway", vnics=blocking)
            result["actions"].append("delete" + (" (with VNICs %s on it)" % ", ".join(blocking) if blocking else ""))
            before = {"state": "present", "vnics": blocking} if blocking else {"state": "present"}
            preflight(self.backend, self.ctx, "delete_etherstub", name, spec["force"])
            if not self.ctx.check_mode:
                try:
                    answer = self.backend.delete_etherstub(name, force=spec["force"])
                except NotFoundError:  # already gone on the host; the list lags behind
                    answer = {}
                if wait:
                    self.backend.settle(answer, lambda: self._read(name), False, timeout, what)
                    if blocking:
                        # The agent's task drops the etherstub's monitoring rows itself, but the
                        # VNICs it removed with force leave GET /network/vnics only with the collector.
                        wait_visible(lambda: [v for v in vnics_over(self.backend.vnics(), name) if v in blocking] or None,
                                     False, timeout, "VNICs %s in GET /network/vnics" % ", ".join(blocking))
            return self._finish(result, before, {"state": "absent"}, None)

        if actual is not None:
            return self._finish(result, {}, {}, actual)
        before, after = {"state": "absent"}, {"state": "present"}
        if self.ctx.check_mode:
            preflight(self.backend, self.ctx, "create_etherstub", name)
            result["actions"].append("create")
            return self._finish(result, before, after, None)
        try:
            answer = self.backend.create_etherstub(name)
        except ZoneweaverError as exc:
            if not already_exists(exc, "Etherstub", name):
                raise
            # It exists on the host; the list has not caught up yet.
            return self._finish(result, {}, {}, wait_visible(lambda: self._read(name), True, timeout, what))
        result["actions"].append("create")
        view = self.backend.settle(answer, lambda: self._read(name), True, timeout, what) if wait else None
        return self._finish(result, before, after, view)

    def _finish(self, result, before, after, view):
        result["etherstub"] = view or {}
        result["tasks"] = list(self.backend.tasks)
        return finish(self.ctx, result, before, after)


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.etherstub)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import NetworkAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.network import NetworkNativeBackend
    normalize_spec(params)  # bad input never costs a request or a command
    backend = select_backend(params, ctx, NetworkAgentBackend, lambda runner: NetworkNativeBackend(runner, warn=ctx.warn))
    return EtherstubResource(backend, ctx).ensure(params)
