# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VNIC resource: normalise the spec, read the VNIC list, plan, apply.

A VNIC's link, VLAN id and fixed MAC address can only be chosen at creation
(the agent has no modify-vnic). A VNIC that exists with other values is
reported as a failure naming actual and wanted values, or, with
recreate=true, deleted and created again; it is never silently left wrong.
Link properties (mtu, maxbw, priority, allowed-ips, protection...) are
compared as normalised strings, only for the properties the user set, and set
in place with PUT /network/vnics/{vnic}/properties.

With backend=native the same plan runs dladm on the host (native/network.py):
create-vnic, delete-vnic, set-linkprop; nothing lags, so the waits return at once.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.lists import wait_visible
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import already_exists
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    ConflictError, InputError, NotFoundError, ZoneweaverError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    backend_applied, finish, new_result, preflight, reconcile, report_partial_change, select_backend)

STATES = ("present", "absent")
MAC_MODES = ("auto", "random", "factory")
VNIC_RULE = "a letter first, a digit last, letters, digits and '_' between, at most 31 characters"
PROPERTY_NAME_RE = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
# Values reach `dladm set-linkprop -p name=value` unquoted: no blanks, quotes or shell metacharacters.
PROPERTY_VALUE_RE = re.compile(r"^[A-Za-z0-9._,:/@+\-]{1,1024}$")
LIST_PROPERTIES = frozenset(("allowed-ips", "allowed-dhcp-cids", "protection", "cpus", "rxrings", "txrings"))
NUMERIC_PROPERTIES = frozenset(("mtu", "default_mtu", "learn_limit", "learn_decay", "tagmode_ignored"))
UNSET = ("", "--", "?")
_WORDS = {"true": "on", "yes": "on", "false": "off", "no": "off"}
_BANDWIDTH_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:bps|b)?$")
_BANDWIDTH_UNITS = {"k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9, "t": 10 ** 12}


# --------------------------------------------------------------------------- values
def check_vnic_name(value, what="name"):
    text = values.check_pattern(value, values.VNIC_NAME_RE, "VNIC %s" % what, VNIC_RULE)
    if len(text) > 31:
        raise InputError("invalid VNIC %s %r: %s" % (what, text, VNIC_RULE))
    return text


def property_text(name, value):
    """The user's property value as the text sent to the agent."""
    if isinstance(value, bool):
        text = "on" if value else "off"
    elif isinstance(value, (list, tuple)):
        text = ",".join(str(item).strip() for item in value)
    else:
        text = str(value).strip()
    if not PROPERTY_VALUE_RE.match(text):
        raise InputError("invalid value %r for VNIC property %s: use letters, digits and . , : / @ + - _ only"
                         % (text, name))
    return text


def _item(text):
    """One value item: an address with a host-length prefix equals the bare address."""
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        return _WORDS.get(text, text)
    if iface.network.prefixlen == iface.max_prefixlen:
        return str(iface.ip)
    return str(iface)


def _bandwidth(text):
    match = _BANDWIDTH_RE.match(text)
    if not match:
        return text
    number, unit = match.groups()
    return str(int(round(float(number) * _BANDWIDTH_UNITS[unit or "m"])))  # dladm's default unit is Mbps


def normalize_property(name, value):
    """A comparable form of a link property value, or None when unset.

    Case-insensitive; lists (allowed-ips, protection...) as sorted sets;
    addresses with /32 or /128 equal the bare address; maxbw in bits per second
    (100M == 100 == 100000K); on/off equal true/false and yes/no.
    """
    if value is None:
        return None
    if isinstance(value, (bool, list, tuple)):
        value = property_text(name, value)
    text = str(value).strip().lower()
    if text in UNSET:
        return None
    if name == "maxbw":
        return _bandwidth(text)
    if name in NUMERIC_PROPERTIES and text.isdigit():
        return str(int(text))
    items = [item.strip() for item in text.split(",") if item.strip()]
    if len(items) > 1 or name in LIST_PROPERTIES:
        return ",".join(sorted(set(_item(item) for item in items)))
    return _item(text)


def normalize_spec(params):
    """Validate and normalise the user's options. Raises InputError before any call."""
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    spec = {"name": check_vnic_name(params.get("name")), "state": state,
            "recreate": bool(params.get("recreate"))}
    if params.get("link") is not None:
        spec["link"] = values.check_link_name(params["link"], "link")
    if params.get("vlan_id") is not None:
        spec["vlan_id"] = values.check_vlan_id(params["vlan_id"])
    mac = params.get("mac_address")
    if mac is not None:
        mode = str(mac).strip().lower()
        spec["mac_address"] = mode if mode in MAC_MODES else values.normalize_mac(mac)
    if params.get("mac_slot") is not None:
        if spec.get("mac_address") != "factory":
            raise InputError("mac_slot is only used with mac_address=factory")
        spec["mac_slot"] = values.to_int(params["mac_slot"], "mac_slot", 0, 1024)
    elif spec.get("mac_address") == "factory" and state == "present":
        raise InputError("mac_address=factory needs mac_slot, the factory MAC slot to use "
                         "(see dladm show-phys -m on the host)")
    props = params.get("properties")
    if props is not None:
        if not isinstance(props, dict):
            raise InputError("properties must be a dictionary of link property names and values")
        spec["properties"] = {}
        for key, value in props.items():
            name = values.check_pattern(str(key).strip().lower(), PROPERTY_NAME_RE, "VNIC property name",
                                        "a dladm link property such as mtu, maxbw, priority, allowed-ips")
            if value is None:
                raise InputError("VNIC property %s has no value; give one (resetting to the default "
                                 "is not supported)" % name)
            spec["properties"][name] = property_text(name, value)
    return spec


# --------------------------------------------------------------------------- views and plan
def vnic_view(row):
    """A VNIC list row of the agent as the module reports it."""
    mac = row.get("macaddress")
    try:
        mac = values.normalize_mac(mac) if mac else None
    except InputError:
        pass  # keep the agent's text when it is not a plain MAC
    vid = row.get("vid")
    try:
        vid = int(vid) if vid not in (None, "", "--") else 0
    except (TypeError, ValueError):
        vid = 0
    zone = row.get("zone")
    mtu = row.get("mtu")
    return {"name": row.get("link"), "link": row.get("over"), "vlan_id": vid or None,
            "mac_address": mac, "mac_address_type": row.get("macaddrtype"),
            "zone": None if zone in (None, "", "--", "global") else zone,
            "state": row.get("state"),
            "mtu": int(mtu) if isinstance(mtu, int) or (isinstance(mtu, str) and mtu.isdigit()) else None}


def find(rows, name):
    for row in rows:
        if row.get("link") == name:
            return vnic_view(row)
    return None


def mismatches(spec, view):
    """Creation-time attributes that differ: {key: (actual, wanted)}."""
    found = {}
    if "link" in spec and spec["link"] != view.get("link"):
        found["link"] = (view.get("link"), spec["link"])
    if "vlan_id" in spec and spec["vlan_id"] != view.get("vlan_id"):
        found["vlan_id"] = (view.get("vlan_id"), spec["vlan_id"])
    mac = spec.get("mac_address")
    if mac not in (None,) + MAC_MODES and mac != view.get("mac_address"):
        found["mac_address"] = (view.get("mac_address"), mac)
    return found


def matches(spec, view):
    return view is not None and not mismatches(spec, view)


def property_changes(wanted, actual):
    """{name: text to set} for the wanted properties whose normalised values differ."""
    return {name: text for name, text in (wanted or {}).items()
            if normalize_property(name, text) != normalize_property(name, actual.get(name))}


def _describe(found):
    labels = {"link": "link", "vlan_id": "VLAN id", "mac_address": "MAC address"}
    return ", ".join("%s %s (wanted %s)" % (labels[key], actual if actual is not None else "none", wanted)
                     for key, (actual, wanted) in sorted(found.items()))


def _summary(spec):
    keep = {k: spec[k] for k in ("link", "vlan_id", "mac_address", "properties") if k in spec}
    return keep


# --------------------------------------------------------------------------- apply
class VnicResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx

    def ensure(self, params):
        spec = normalize_spec(params)
        with report_partial_change(lambda exc: backend_applied(self.backend, exc)):
            return reconcile(self.ctx, lambda: self._ensure_once(spec, params))

    def _read(self, name):
        return find(self.backend.vnics(), name)

    def _ensure_once(self, spec, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        name = spec["name"]
        actual = self._read(name)
        result = new_result()
        what = "VNIC %s in GET /network/vnics" % name

        if spec["state"] == "absent":
            before, after = {"state": "absent"}, {"state": "absent"}
            if actual is not None:
                before = dict(state="present", link=actual["link"], vlan_id=actual["vlan_id"])
                result["actions"].append("delete")
                preflight(self.backend, self.ctx, "delete_vnic", name)
                if not self.ctx.check_mode:
                    self._delete(name, wait, timeout, what)
            return self._finish(result, before, after, None)

        if actual is None:
            return self._create(spec, result, wait, timeout, what)
        return self._converge(spec, actual, result, wait, timeout, what)

    def _delete(self, name, wait, timeout, what):
        try:
            answer = self.backend.delete_vnic(name)
        except NotFoundError:  # already gone on the host; the list lags behind
            answer = {}
        if wait:
            self.backend.settle(answer, lambda: self._read(name), False, timeout, what)

    def _matching(self, spec):
        view = self._read(spec["name"])
        return view if matches(spec, view) else None

    def _create_body(self, spec):
        body = {"name": spec["name"], "link": spec["link"], "mac_address": spec.get("mac_address") or "auto",
                "temporary": False}
        if spec.get("vlan_id") is not None:
            body["vlan_id"] = spec["vlan_id"]
        if spec.get("mac_slot") is not None:
            body["slot"] = spec["mac_slot"]
        if spec.get("properties"):
            body["properties"] = dict(spec["properties"])
        return body

    def _create(self, spec, result, wait, timeout, what):
        name = spec["name"]
        if not spec.get("link"):
            raise InputError("VNIC %s does not exist; set link (a physical link, etherstub or aggregate) "
                             "to create it" % name)
        before, after = {"state": "absent"}, dict(state="present", **_summary(spec))
        if self.ctx.check_mode:
            preflight(self.backend, self.ctx, "create_vnic", self._create_body(spec))
            result["actions"].append("create")
            return self._finish(result, before, after, None)
        try:
            answer = self.backend.create_vnic(self._create_body(spec))
        except ZoneweaverError as exc:
            if not already_exists(exc, "VNIC", name):
                raise
            # It exists on the host, but the list has not caught up yet: compare with it.
            actual = wait_visible(lambda: self._read(name), True, timeout, what)
            return self._converge(spec, actual, result, wait, timeout, what)
        result["actions"].append("create")
        view = self.backend.settle(answer, lambda: self._matching(spec), True, timeout, what) if wait else None
        return self._finish(result, before, after, self._with_properties(spec, view))

    def _converge(self, spec, actual, result, wait, timeout, what):
        name = spec["name"]
        found = mismatches(spec, actual)
        if found:
            if not spec["recreate"]:
                zone = " It is used by zone %s." % actual["zone"] if actual.get("zone") else ""
                raise ConflictError(
                    "VNIC %s exists with %s; these are fixed at creation.%s" % (name, _describe(found), zone),
                    hint="set recreate: true to delete and create it again (whatever uses it loses its link "
                         "meanwhile), or change the task to match",
                    vnic=actual, mismatches={k: {"actual": a, "wanted": w} for k, (a, w) in found.items()})
            result["actions"].append("recreate (%s)" % _describe(found))
            before = dict(state="present", **{k: a for k, (a, w) in found.items()})
            after = dict(state="present", **{k: w for k, (a, w) in found.items()})
            # What the task leaves unset is kept from the VNIC being replaced.
            body = self._create_body(dict(spec, link=spec.get("link") or actual["link"]))
            if "vlan_id" not in spec and actual.get("vlan_id"):
                body["vlan_id"] = actual["vlan_id"]
            if self.ctx.check_mode:
                preflight(self.backend, self.ctx, "delete_vnic", name)
                preflight(self.backend, self.ctx, "create_vnic", body)
                return self._finish(result, before, after, actual)
            self._delete(name, True, timeout, what)  # the create must not race the deletion
            answer = self.backend.create_vnic(body)
            view = self.backend.settle(answer, lambda: self._matching(spec), True, timeout, what) if wait else None
            return self._finish(result, before, after, self._with_properties(spec, view))
        changes = {}
        current = {}
        if spec.get("properties"):
            current = self.backend.vnic_properties(name, sorted(spec["properties"]))
            changes = property_changes(spec["properties"], current)
        before, after = {}, {}
        if changes:
            result["actions"].append("set properties %s" % ", ".join(sorted(changes)))
            before["properties"] = {k: current.get(k) for k in sorted(changes)}
            after["properties"] = dict(sorted(changes.items()))
        view = dict(actual)
        if spec.get("properties"):
            view["properties"] = {k: current.get(k) for k in sorted(spec["properties"])}
        if self.ctx.check_mode or not changes:
            return self._finish(result, before, after, view)
        answer = self.backend.set_vnic_properties(name, changes)
        if wait:
            self.backend.wait(answer, timeout)
            view = self._with_properties(spec, dict(actual))
        return self._finish(result, before, after, view)

    def _with_properties(self, spec, view):
        if view is not None and spec.get("properties"):
            current = self.backend.vnic_properties(spec["name"], sorted(spec["properties"]))
            view = dict(view, properties={k: current.get(k) for k in sorted(spec["properties"])})
        return view

    def _finish(self, result, before, after, view):
        result["vnic"] = view or {}
        result["tasks"] = list(self.backend.tasks)
        return finish(self.ctx, result, before, after)


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.vnic)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import NetworkAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.network import NetworkNativeBackend
    normalize_spec(params)  # bad input never costs a request or a command
    backend = select_backend(params, ctx, NetworkAgentBackend, lambda runner: NetworkNativeBackend(runner, warn=ctx.warn))
    return VnicResource(backend, ctx).ensure(params)
