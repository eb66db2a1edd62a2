# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DHCP host resource: one static `host` entry (hostname -> MAC -> IP) of dhcpd.conf.

The agent keeps hostname, mac and ip each unique and refuses, inside its
task, an entry that shares any of them with another (agent-api.md section 4).
It has no update: a changed entry is removed and added again. So the plan is
made up front from GET /network/dhcp/config (the hosts as dhcpd.conf has
them; MACs compared normalised): a conflicting entry under another hostname
fails the run before any request, naming it, unless replace=true removes it first.

With backend=native (native/nat_dhcp.py) the entries live in a managed block
of dhcpd.conf; entries outside it count for conflicts but are never changed.
That backend is transactional, so check mode runs the same apply path.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AgentError, InputError, TaskError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result, reconcile
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.dhcp_subnet import plans_only

# dhcpd.conf `host` names as the agent writes them: no spaces, braces, quotes or shell characters.
HOSTNAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.\-]{0,251}[A-Za-z0-9])?$")


def normalize_spec(params):
    """Validate and normalise the user's options. Raises InputError before any request."""
    hostname = values.check_pattern(params.get("hostname"), HOSTNAME_RE, "hostname",
                                    "letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
    spec = {"hostname": hostname}
    if params.get("mac") is not None:
        spec["mac"] = values.normalize_mac(params["mac"], "mac")
    if params.get("ip") is not None:
        spec["ip"] = values.ipv4_address(params["ip"], "ip")
    if (params.get("state") or "present") == "present":
        missing = [key for key in ("mac", "ip") if key not in spec]
        if missing:
            raise InputError("%s %s required with state=present" % (" and ".join(missing),
                                                                    "is" if len(missing) == 1 else "are"))
    return spec


def host_view(entry):
    """One host of GET /network/dhcp/config, MAC normalised where it parses."""
    mac = entry.get("mac")
    try:
        mac = values.normalize_mac(mac, "mac") if mac else None
    except InputError:
        pass
    return {"hostname": entry.get("hostname"), "mac": mac, "ip": entry.get("ip")}


def conflicts_of(spec, hosts):
    """Entries under another hostname that share the MAC or the IP: [(view, ['mac', 'ip'])]."""
    found = []
    for host in hosts:
        if host["hostname"] == spec["hostname"]:
            continue
        shared = [key for key in ("mac", "ip") if key in spec and host.get(key) == spec[key]]
        if shared:
            found.append((host, shared))
    return found


def describe(host):
    return "%s (mac %s, ip %s)" % (host["hostname"], host.get("mac"), host.get("ip"))


def conflict_error(spec, conflicts):
    names = "; ".join("%s shares the %s" % (describe(host), " and the ".join(shared)) for host, shared in conflicts)
    return InputError("DHCP host %s (mac %s, ip %s) conflicts with an existing entry: %s. The agent keeps hostname, "
                      "mac and ip each unique" % (spec["hostname"], spec["mac"], spec["ip"], names),
                      hint="remove the other entry first, or set replace: true to remove it before adding %s"
                           % spec["hostname"],
                      conflicts=[dict(host, shared=shared) for host, shared in conflicts])


def plan(spec, hosts, state, replace):
    """(removals [(hostname, why)], add: bool, warnings) for the hosts read from the agent."""
    same = [host for host in hosts if host["hostname"] == spec["hostname"]]
    if state == "absent":
        return ([(spec["hostname"], "remove")] if same else []), False, []
    conflicts = conflicts_of(spec, hosts)
    up_to_date = len(same) == 1 and same[0]["mac"] == spec["mac"] and same[0]["ip"] == spec["ip"]
    if conflicts and not replace:
        if not up_to_date:
            raise conflict_error(spec, conflicts)
        return [], False, ["DHCP host %s is in place, but %s share its mac or ip; set replace: true to remove them"
                           % (spec["hostname"], ", ".join(describe(h) for h, _shared in conflicts))]
    removals = [(host["hostname"], "conflicting %s" % " and ".join(shared)) for host, shared in conflicts]
    if same and not up_to_date:
        changed = [key for key in ("mac", "ip") if any(host[key] != spec[key] for host in same)]
        why = "%s changed; the agent has no update" % " and ".join(changed) if changed else "listed more than once"
        removals.append((spec["hostname"], why))
    return removals, not up_to_date, []


class DhcpHostResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx

    def ensure(self, params):
        spec = normalize_spec(params)
        state = params.get("state") or "present"
        return reconcile(self.ctx, lambda: self._ensure_once(spec, state, params))

    def _hosts(self):
        return [host_view(entry) for entry in self.backend.dhcp_config()["hosts"]]

    def _ensure_once(self, spec, state, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        result = new_result()
        hosts = self._hosts()
        removals, add, warnings = plan(spec, hosts, state, bool(params.get("replace")))
        for warning in warnings:
            self.ctx.warn(warning)
        removed = {name for name, _why in removals}
        involved = [h for h in hosts if h["hostname"] in removed or h["hostname"] == spec["hostname"]]
        before = {"hosts": involved}
        after = {"hosts": [h for h in involved if h["hostname"] not in removed]}
        if add:
            after["hosts"].append({"hostname": spec["hostname"], "mac": spec["mac"], "ip": spec["ip"]})
        current = next((h for h in hosts if h["hostname"] == spec["hostname"]), None)
        result["host"] = current if state == "present" and current else {}
        result["actions"] = ["remove %s (%s)" % item for item in removals] + (["add %s" % spec["hostname"]] if add else [])
        if not result["actions"] or plans_only(self.ctx, self.backend):
            if add:
                result["host"] = after["hosts"][-1]
            return finish(self.ctx, result, before, after)

        task_ids = []
        for name, _why in removals:
            # A removal that the addition depends on is always waited for.
            task_ids.extend(self._remove(name, wait or add, timeout))
        if add:
            answer = self.backend.add_dhcp_host({"hostname": spec["hostname"], "mac": spec["mac"], "ip": spec["ip"]},
                                                wait, timeout)
            task_ids.extend([answer["task_id"]] if answer.get("task_id") else [])
        if not wait:
            result["task_ids"] = task_ids
            result["host"] = after["hosts"][-1] if add else {}
            return finish(self.ctx, result, before, after)
        hosts = self._hosts()
        current = next((h for h in hosts if h["hostname"] == spec["hostname"]), None)
        if state == "present" and (current is None or current["mac"] != spec["mac"] or current["ip"] != spec["ip"]):
            raise AgentError("the DHCP host tasks completed, but GET /network/dhcp/config shows %s"
                             % (describe(current) if current else "no entry %s" % spec["hostname"]))
        left = [h for h in hosts if h["hostname"] in removed and h["hostname"] != spec["hostname"]]
        if left or (state == "absent" and current is not None):
            raise AgentError("the DHCP host removal completed, but GET /network/dhcp/config still lists %s"
                             % ", ".join(describe(h) for h in left or [current]))
        result["host"] = current if state == "present" else {}
        return finish(self.ctx, result, before, after)

    def _remove(self, hostname, wait, timeout):
        """DELETE one entry by hostname. An entry removed by someone else meanwhile makes
        the agent's task fail ("not found"): re-read, and if it is gone, that is success."""
        try:
            answer = self.backend.remove_dhcp_host(hostname, wait, timeout)
        except TaskError:
            if any(h["hostname"] == hostname for h in self._hosts()):
                raise
            self.ctx.warn("DHCP host %s disappeared while it was being removed" % hostname)
            return []
        return [answer["task_id"]] if answer.get("task_id") else []


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.dhcp_host)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.dhcp_subnet import dhcp_backend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import complete
    normalize_spec(params)  # bad input never costs a request or a command
    backend = dhcp_backend(params, ctx)
    if getattr(backend, "transactional", False):
        params = dict(params, wait=True)  # the native backend's changes are done when it returns
    return complete(backend, ctx, DhcpHostResource(backend, ctx).ensure(params))
