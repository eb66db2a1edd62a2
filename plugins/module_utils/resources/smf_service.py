# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""smf_service: the state and properties of one SMF instance on the host the module runs on (native only).

Order: properties first (`svccfg setprop` only for values that differ, then one
`svcadm refresh` so the running snapshot takes them), then the state. With
wait, the module polls `svcs -H -o state` until the instance settles (online
for enabled/restarted, disabled for disabled) and fails with `svcs -x` when it
lands in maintenance.
"""

from __future__ import annotations

import time

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.svccfg import (
    PROPERTY_TYPES, STRING_TYPES, parse_listprop, setprop_value)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.svcs import parse_state
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result

PROP_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/")
POLL_SECONDS = 0.5


def check_input(params):
    name = params["name"]
    if not name or name.startswith("-") or any(c.isspace() or not c.isprintable() for c in name):
        raise InputError("name: %r is not an SMF service or instance (FMRI or pattern)" % (name,))
    for prop in params.get("properties") or []:
        pname = prop["name"]
        if pname.count("/") != 1 or not set(pname) <= PROP_NAME_CHARS or pname.startswith("/") or pname.endswith("/"):
            raise InputError("properties: %r is not a property name of the form group/name" % (pname,))
        values = prop["value"] if isinstance(prop["value"], list) else [prop["value"]]
        if any(isinstance(v, (dict, list)) or v is None for v in values):
            raise InputError("properties: %s must be a value or a list of values" % pname)
        if any("\x00" in _text(v) for v in values):   # no command argument can carry it
            raise InputError("properties: a value of %s contains a NUL character" % pname)
        if prop.get("type") and prop["type"] not in PROPERTY_TYPES:
            raise InputError("properties: %r is not an SMF property type (one of %s)"
                             % (prop["type"], ", ".join(sorted(PROPERTY_TYPES))))


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_state(runner, name):
    answer = runner.read(["svcs", "-H", "-o", "state", name], missing="svcs")
    if answer is None:
        return None
    return parse_state(answer.stdout)[0]


def explain(runner, name):
    answer = runner.run(["svcs", "-xv", name], check=False)
    return (answer.stdout or answer.stderr).strip()


def wait_for(runner, name, wanted, timeout, clock=time.monotonic, sleep=time.sleep):
    deadline = clock() + timeout
    while True:
        state = read_state(runner, name)
        if state == wanted:
            return state
        if state == "maintenance" and wanted != "maintenance":
            raise ZoneweaverError("%s is in maintenance instead of %s" % (name, wanted), details=explain(runner, name),
                                  hint="read the service's log (svcs -L %s), fix the cause, then run again "
                                       "(the module clears maintenance with svcadm clear)" % name)
        if clock() >= deadline:
            raise ZoneweaverError("%s is still %s after %s seconds (wanted %s)" % (name, state, timeout, wanted),
                                  hint="raise wait_timeout, or look at svcs -xv %s" % name)
        sleep(POLL_SECONDS)


def ensure_properties(runner, params, result):
    """-> (before, after) {name: [values]} of the managed properties; True in result['_props_changed'] when set."""
    before, after, changed = {}, {}, False
    for prop in params.get("properties") or []:
        pname = prop["name"]
        wanted = [_text(v) for v in (prop["value"] if isinstance(prop["value"], list) else [prop["value"]])]
        answer = runner.read(["svccfg", "-s", params["name"], "listprop", pname], missing="svccfg")
        if answer is None:
            raise ZoneweaverError("no SMF service matches %s" % params["name"])
        current = parse_listprop(answer.stdout).get(pname)
        before[pname] = current["values"] if current else None
        after[pname] = wanted
        if current is not None and current["values"] == wanted and (not prop.get("type") or prop["type"] == current["type"]):
            continue
        ptype = prop.get("type") or (current["type"] if current else "astring")
        if ptype not in STRING_TYPES and any(not v for v in wanted):
            raise InputError("properties: %s of type %s cannot be empty" % (pname, ptype))
        runner.change(["svccfg", "-s", params["name"], "setprop", pname, "=", ptype + ":", setprop_value(ptype, wanted)])
        result["actions"].append("svccfg -s %s setprop %s" % (params["name"], pname))
        changed = True
    return before, after, changed


def run(params, ctx):
    check_input(params)
    runner = ctx.native_runner()
    result = new_result()
    name, wanted = params["name"], params.get("state")
    state = read_state(runner, name)
    if state is None:
        if wanted == "disabled" and not params.get("properties"):
            result.update(state=None, exists=False)     # nothing to disable
            return finish(ctx, result, {}, {})
        raise ZoneweaverError("no SMF instance matches %s" % name,
                              hint="install the package that delivers the service, or check the FMRI (svcs -a)")
    before = {"state": state}
    props_before, props_after, props_changed = ensure_properties(runner, params, result)
    if props_before:
        before["properties"] = props_before
    after = dict(before, properties=props_after) if props_after else dict(before)
    refreshed = False
    if props_changed:       # a restart alone would not take them: only refresh updates the running snapshot
        runner.change(["svcadm", "refresh", name])
        result["actions"].append("svcadm refresh %s" % name)
        refreshed = True
    settle = None
    if wanted == "enabled":
        if state == "maintenance":
            runner.change(["svcadm", "clear", name])
            result["actions"].append("svcadm clear %s" % name)
        elif state == "disabled":
            runner.change(["svcadm", "enable", name])
            result["actions"].append("svcadm enable %s" % name)
        settle = "online"
    elif wanted == "disabled":
        if state != "disabled":
            runner.change(["svcadm", "disable", name])
            result["actions"].append("svcadm disable %s" % name)
        settle = "disabled"
    elif wanted == "restarted":
        verb = "restart" if state in ("online", "degraded") else ("clear" if state == "maintenance" else "enable")
        runner.change(["svcadm", verb, name])
        result["actions"].append("svcadm %s %s" % (verb, name))
        settle = "online"
    elif wanted == "refreshed" and not refreshed:
        runner.change(["svcadm", "refresh", name])
        result["actions"].append("svcadm refresh %s" % name)
    if settle:
        after["state"] = settle
    final = state
    if settle and params["wait"] and not runner.check_mode:
        final = wait_for(runner, name, settle, params["wait_timeout"])
    elif not runner.check_mode:
        final = read_state(runner, name)
    result.update(state=settle if runner.check_mode and settle else final, exists=True)
    return finish(ctx, result, before, after)
