# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IP address resource: an ipadm address object (<interface>/<name>).

The address list is read live from ipadm (GET /network/addresses?live=true),
so it does not lag; the waits still check that the list agrees. An address
object's type and static address cannot be changed in place: one that exists
with other values is a failure naming both, unless recreate=true deletes and
creates it again. enabled/disabled map to ipadm enable-addr/disable-addr.

With backend=native the same plan runs ipadm on the host (native/network.py),
as the agent does: create-if first when the interface has no IP yet, and
delete-if after its last address is deleted.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, InputError, NotFoundError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    backend_applied, finish, new_result, preflight, reconcile, report_partial_change, select_backend)

STATES = ("present", "absent", "enabled", "disabled")
TYPES = ("static", "dhcp", "addrconf")


def normalize_spec(params):
    """Validate and normalise the user's options. Raises InputError before any call."""
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    interface, name = values.check_addrobj(params.get("addrobj"))
    spec = {"addrobj": "%s/%s" % (interface, name), "interface": interface, "state": state,
            "recreate": bool(params.get("recreate"))}
    kind = params.get("type")
    if kind is not None and kind not in TYPES:
        raise InputError("type must be one of %s, got %r" % (", ".join(TYPES), kind))
    if params.get("address") is not None:
        if kind not in (None, "static"):
            raise InputError("address is only for type=static; a %s address is assigned by the network" % kind)
        spec["address"] = values.check_cidr(params["address"], "address")
        kind = "static"
    elif kind == "static" and state != "absent":
        raise InputError("type=static needs address, with its prefix length, e.g. 192.168.10.5/24")
    if kind is not None:
        spec["type"] = kind
    return spec


def canonical_address(text):
    """'10.0.0.5/24' -> '10.0.0.5/24'; None when the text is not an address with prefix."""
    if not text or "/" not in str(text):
        return None
    try:
        return str(ipaddress.ip_interface(str(text).strip()))
    except ValueError:
        return None


def address_view(row):
    addr = row.get("addr")
    address = canonical_address(addr)
    if address is None and row.get("ip_address") and row.get("prefix_length") is not None:
        address = canonical_address("%s/%s" % (row["ip_address"], row["prefix_length"]))
    state = row.get("state")
    addrobj = row.get("addrobj")
    return {"addrobj": addrobj, "interface": row.get("interface") or str(addrobj or "").partition("/")[0],
            "type": row.get("type"), "state": state, "address": address if address else (addr or None),
            "ip_version": row.get("ip_version"), "enabled": state != "disabled"}


def find(rows, addrobj):
    for row in rows:
        if row.get("addrobj") == addrobj:
            return address_view(row)
    return None


def mismatches(spec, view):
    found = {}
    if "type" in spec and spec["type"] != view.get("type"):
        found["type"] = (view.get("type"), spec["type"])
    if "address" in spec and spec["address"] != canonical_address(view.get("address")):
        found["address"] = (view.get("address"), spec["address"])
    return found


def _describe(found):
    return ", ".join("%s %s (wanted %s)" % (key, actual, wanted) for key, (actual, wanted) in sorted(found.items()))


class IpAddressResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx

    def ensure(self, params):
        spec = normalize_spec(params)
        with report_partial_change(lambda exc: backend_applied(self.backend, exc)):
            return reconcile(self.ctx, lambda: self._ensure_once(spec, params))

    def _read(self, addrobj):
        return find(self.backend.addresses(), addrobj)

    def _actual(self, spec):
        view = self._read(spec["addrobj"])
        if view is not None and "address" in spec and canonical_address(view["address"]) is None:
            # The agent's live parser splits ipadm's escaped IPv6 colons; its database row is whole.
            stored = find(self.backend.addresses(live=False), spec["addrobj"])
            if stored is not None and canonical_address(stored["address"]):
                view["address"] = stored["address"]
        return view

    def _ensure_once(self, spec, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        addrobj = spec["addrobj"]
        actual = self._actual(spec)
        result = new_result()
        state = spec["state"]

        if state == "absent":
            if actual is None:
                return self._finish(result, {"state": "absent"}, {"state": "absent"}, None)
            result["actions"].append("delete")
            before = dict(state="present", type=actual["type"], address=actual["address"])
            if not self.ctx.check_mode:
                self._delete(addrobj, wait, timeout)
            return self._finish(result, before, {"state": "absent"}, None)

        want_enabled = {"enabled": True, "disabled": False}.get(state)
        if actual is None:
            if "type" not in spec:
                raise InputError("address object %s does not exist; set address (a static address) or type "
                                 "(dhcp or addrconf) to create it" % addrobj)
            result["actions"].append("create")
            before = {"state": "absent"}
            after = dict(state="present", **{k: spec[k] for k in ("type", "address") if k in spec})
        else:
            found = mismatches(spec, actual)
            if found and not spec["recreate"]:
                raise ConflictError("address object %s exists with %s; it cannot be changed in place"
                                    % (addrobj, _describe(found)),
                                    hint="set recreate: true to delete and create it again (the interface loses "
                                         "that address meanwhile), or change the task to match",
                                    address=actual,
                                    mismatches={k: {"actual": a, "wanted": w} for k, (a, w) in found.items()})
            before = {k: a for k, (a, w) in found.items()}
            after = {k: w for k, (a, w) in found.items()}
            if found:
                result["actions"].append("recreate (%s)" % _describe(found))
        created = bool(result["actions"])  # create or recreate
        enabled_now = True if created else actual["enabled"]  # ipadm creates addresses enabled
        if want_enabled is not None and want_enabled != enabled_now:
            result["actions"].append("enable" if want_enabled else "disable")
        if want_enabled is not None and actual is not None and want_enabled != actual["enabled"]:
            before["enabled"], after["enabled"] = actual["enabled"], want_enabled
        elif want_enabled is False and actual is None:
            after["enabled"] = False
        if self.ctx.check_mode and created and actual is None:
            preflight(self.backend, self.ctx, "create_address", self._create_body(spec))
        if self.ctx.check_mode or not result["actions"]:
            return self._finish(result, before, after, actual)

        if actual is not None and created:  # recreate
            self._delete(addrobj, True, timeout)
        view = actual
        if created:
            answer = self.backend.create_address(self._create_body(spec))
            view = self._settle(answer, spec, None, wait or want_enabled is False, timeout)
        if want_enabled is not None and want_enabled != enabled_now:
            answer = (self.backend.enable_address if want_enabled else self.backend.disable_address)(addrobj)
            view = self._settle(answer, spec, want_enabled, wait, timeout)
        return self._finish(result, before, after, view if wait else None)

    @staticmethod
    def _create_body(spec):
        body = {"interface": spec["interface"], "type": spec["type"], "addrobj": spec["addrobj"], "temporary": False}
        if "address" in spec:
            body["address"] = spec["address"]
        return body

    def _settle(self, answer, spec, enabled, wait, timeout):
        if not wait:
            return None

        def read():
            view = self._actual(spec)  # the live list mangles IPv6 addresses (see _actual)
            if view is None or (enabled is not None and view["enabled"] != enabled):
                return None
            return view
        return self.backend.settle(answer, read, True, timeout, "address object %s%s in GET /network/addresses"
                                   % (spec["addrobj"], "" if enabled is None else
                                      " (%s)" % ("enabled" if enabled else "disabled")))

    def _delete(self, addrobj, wait, timeout):
        try:
            answer = self.backend.delete_address(addrobj)
        except NotFoundError:  # already gone on the host
            answer = {}
        if wait:
            self.backend.settle(answer, lambda: self._read(addrobj), False, timeout,
                                "address object %s in GET /network/addresses" % addrobj)

    def _finish(self, result, before, after, view):
        result["address"] = view or {}
        result["tasks"] = list(self.backend.tasks)
        return finish(self.ctx, result, before, after)


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.ip_address)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import NetworkAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.network import NetworkNativeBackend
    normalize_spec(params)  # bad input never costs a request or a command
    backend = select_backend(params, ctx, NetworkAgentBackend, lambda runner: NetworkNativeBackend(runner, warn=ctx.warn))
    return IpAddressResource(backend, ctx).ensure(params)
