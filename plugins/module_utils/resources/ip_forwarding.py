# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP forwarding: global (routeadm) and per interface (ipadm set-ifprop forwarding).

Only what the task sets is compared. The agent's PUT /network/forwarding takes
{enabled, interfaces}: `enabled` switches global IPv4 forwarding, and the
listed interfaces' IPv4 forwarding is set on, or off when enabled is false.
So turning an interface off also turns global IPv4 forwarding off; the plan
then turns it on again with a second request when it should stay on (and says
so in a warning). The agent offers no way to change IPv6 forwarding: a task
that wants it changed fails with the host's current value, a task whose ipv6
already matches passes.

With backend=native (native/network.py, `direct_forwarding`) none of that
applies: the plan goes to the host as the wanted values, `routeadm -u -e|-d
ipv4-forwarding|ipv6-forwarding` and `ipadm set-ifprop -p forwarding=on|off
-m ipv4 IF`, each setting on its own, IPv6 included.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    backend_applied, finish, new_result, preflight, reconcile, report_partial_change, select_backend)

_ON = frozenset(("enabled", "on", "yes", "true", "1"))
_OFF = frozenset(("disabled", "off", "no", "false", "0"))


def normalize_spec(params):
    spec = {}
    for key in ("ipv4", "ipv6"):
        if params.get(key) is not None:
            spec[key] = bool(params[key])
    if params.get("interfaces") is not None:
        wanted = {}
        for index, entry in enumerate(params["interfaces"]):
            what = "interfaces[%d]" % index
            if isinstance(entry, str):
                entry = {"name": entry}
            if not isinstance(entry, dict) or not entry.get("name"):
                raise InputError("%s needs a name (an IP interface such as igb0)" % what)
            name = values.check_link_name(entry["name"], what + ".name")
            enabled = entry.get("enabled")
            enabled = True if enabled is None else bool(enabled)
            if wanted.get(name, enabled) != enabled:
                raise InputError("interface %s is listed both enabled and disabled" % name)
            wanted[name] = enabled
        spec["interfaces"] = wanted
    return spec


def _state(current, persistent):
    """True/False when the running value (and the persistent one, if known) agree; else None."""
    cur = str(current or "").strip().lower()
    per = str(persistent or "").strip().lower()
    if cur in _ON and per not in _OFF:
        return True
    if cur in _OFF and per not in _ON:
        return False
    return None


def forwarding_view(answer):
    """GET /network/forwarding as {ipv4, ipv6, interfaces: [{name, enabled}]}; None where unknown or mixed."""
    answer = answer if isinstance(answer, dict) else {}
    glob = answer.get("forwarding") if isinstance(answer.get("forwarding"), dict) else {}
    view = {}
    for key in ("ipv4", "ipv6"):
        entry = glob.get(key) if isinstance(glob.get(key), dict) else {}
        view[key] = _state(entry.get("current"), entry.get("persistent"))
    interfaces = {}
    for row in answer.get("interfaces") or ():
        # ipadm lists IPv4 before IPv6 per interface; the agent sets (and so we compare) IPv4.
        if isinstance(row, dict) and row.get("interface") and row["interface"] not in interfaces:
            interfaces[row["interface"]] = _state(row.get("current"), row.get("persistent"))
    view["interfaces"] = [{"name": name, "enabled": enabled} for name, enabled in sorted(interfaces.items())]
    return view


def plan(spec, view, warn=None, direct=False):
    """(requests, before, after, actions) that bring the host to the spec.

    direct=True (the native backend): one request {ipv4?, ipv6?, interfaces?: {name: bool}}
    holding just the settings that differ, IPv6 included.
    """
    current = {entry["name"]: entry["enabled"] for entry in view["interfaces"]}
    if "ipv6" in spec and spec["ipv6"] != view["ipv6"] and not direct:
        raise ZoneweaverError(
            "IPv6 forwarding is %s on the host and the agent API cannot change it (PUT /network/forwarding "
            "sets IPv4 forwarding only)" % {True: "enabled", False: "disabled", None: "in an unknown state"}[view["ipv6"]],
            hint="run routeadm -u -%s ipv6-forwarding on the host, or leave ipv6 unset" % ("e" if spec["ipv6"] else "d"))
    wanted = spec.get("interfaces") or {}
    turn_on = sorted(n for n, want in wanted.items() if want and current.get(n) is not True)
    turn_off = sorted(n for n, want in wanted.items() if not want and current.get(n, False) is not False)
    final_global = spec["ipv4"] if "ipv4" in spec else view["ipv4"]
    before, after, actions = {}, {}, []
    if "ipv4" in spec and spec["ipv4"] != view["ipv4"]:
        before["ipv4"], after["ipv4"] = view["ipv4"], spec["ipv4"]
        actions.append("%s IPv4 forwarding" % ("enable" if spec["ipv4"] else "disable"))
    if direct and "ipv6" in spec and spec["ipv6"] != view["ipv6"]:
        before["ipv6"], after["ipv6"] = view["ipv6"], spec["ipv6"]
        actions.append("%s IPv6 forwarding" % ("enable" if spec["ipv6"] else "disable"))
    if turn_on or turn_off:
        before["interfaces"] = {n: current.get(n) for n in sorted(turn_on + turn_off)}
        after["interfaces"] = {n: wanted[n] for n in sorted(turn_on + turn_off)}
    if turn_on:
        actions.append("enable forwarding on %s" % ", ".join(turn_on))
    if turn_off:
        actions.append("disable forwarding on %s" % ", ".join(turn_off))
    if direct:
        body = {key: spec[key] for key in ("ipv4", "ipv6") if key in spec and spec[key] != view[key]}
        if turn_on or turn_off:
            body["interfaces"] = {n: wanted[n] for n in sorted(turn_on + turn_off)}
        return ([body] if body else []), before, after, actions

    requests = []
    global_now = view["ipv4"]
    if turn_off:
        requests.append({"enabled": False, "interfaces": turn_off})
        if global_now is not False and final_global is True and warn:
            warn("the agent turns global IPv4 forwarding off along with interface forwarding (%s); it was "
                 "turned on again right after" % ", ".join(turn_off))
        global_now = False
    if final_global is True and global_now is not True:
        requests.append(dict({"enabled": True}, **({"interfaces": turn_on} if turn_on else {})))
        turn_on = []
    if turn_on:
        requests.append({"interfaces": turn_on})
    if final_global is False and global_now is not False:
        requests.append({"enabled": False})
    return requests, before, after, actions


class IpForwardingResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx

    def ensure(self, params):
        spec = normalize_spec(params)
        with report_partial_change(lambda exc: backend_applied(self.backend, exc)):
            return reconcile(self.ctx, lambda: self._ensure_once(spec, params))

    def _ensure_once(self, spec, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        view = forwarding_view(self.backend.forwarding())
        requests, before, after, actions = plan(spec, view, warn=None if self.ctx.check_mode else self.ctx.warn,
                                                direct=getattr(self.backend, "direct_forwarding", False))
        result = new_result()
        result["actions"].extend(actions)
        for body in requests:
            preflight(self.backend, self.ctx, "set_forwarding", body)
        if requests and not self.ctx.check_mode:
            for body in requests:
                answer = self.backend.set_forwarding(body)
                # In order: a later request must not overtake an earlier one, even with wait=false.
                if wait or body is not requests[-1]:
                    self.backend.wait(answer, timeout)
            view = forwarding_view(self.backend.forwarding()) if wait else None
        result["forwarding"] = view or {}
        result["tasks"] = list(self.backend.tasks)
        return finish(self.ctx, result, before, after)


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.ip_forwarding)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.network import NetworkAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.network import NetworkNativeBackend
    normalize_spec(params)  # bad input never costs a request or a command
    backend = select_backend(params, ctx, NetworkAgentBackend, lambda runner: NetworkNativeBackend(runner, warn=ctx.warn))
    return IpForwardingResource(backend, ctx).ensure(params)
