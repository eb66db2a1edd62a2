# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IP Filter rule resource: one line of /etc/ipf/ipf.conf, identified by its content.

Native only (native/ipfilter.py): the agent has no filter rule API. The rule is
either given raw (`rule`) or built from structured options (render/ipf.py), so
the same options always give the same line and a second run finds it.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import ipf as ipf_render
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result

STRUCTURED = ("action", "direction", "interface", "protocol", "source", "destination", "port")
STRUCTURED_FLAGS = ("quick", "keep_state")


def rule_line(params):
    """The ipf.conf line the options ask for. Raises InputError before anything is read or run."""
    raw = params.get("rule")
    if raw not in (None, ""):
        # source and destination default to any: only another value says the user set them
        given = [name for name in STRUCTURED if params.get(name) not in (None, "", "any")]
        given += [name for name in STRUCTURED_FLAGS if params.get(name)]
        if given:
            raise InputError("rule is a whole ipf rule line; it cannot be combined with %s" % ", ".join(given),
                             hint="give either rule, or action and direction (with the other rule options)")
        return ipf_render.check_raw(raw)
    if params.get("action") in (None, "") or params.get("direction") in (None, ""):
        raise InputError("give either rule (a whole ipf.conf line), or action and direction",
                         hint="e.g. action: block, direction: in, source: 10.190.190.20")
    return ipf_render.render_rule(ipf_render.check_spec(params))


def rule_view(row):
    view = ipf_render.parse_rule(row["rule"])
    view.update(rule=row["rule"], managed=row.get("managed", True), line=row.get("line"))
    return view


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.ipfilter_rule)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.ipfilter import IpfRuleNativeBackend
    line = rule_line(params)  # bad input never costs a command
    state = params.get("state") or "present"
    backend = IpfRuleNativeBackend(ctx.native_runner(), warn=ctx.warn, ipf_conf=params.get("config_file"),
                                   backup=params.get("backup"), locking=True)
    try:
        result = new_result()
        found = [row for row in backend.rules() if row["key"] == ipf_render.rule_key(line)]
        before = {"state": "present", "rule": found[0]["rule"]} if found else {"state": "absent"}
        if state == "absent":
            if backend.remove_rule(line):
                result["actions"].append("remove %s" % line)
            result["rule"] = {}
            finish(ctx, result, before, {"state": "absent"})
        else:
            if backend.add_rule(line):
                result["actions"].append("add %s" % line)
            row = next((r for r in backend.rules() if r["key"] == ipf_render.rule_key(line)), None)
            result["rule"] = rule_view(row)
            finish(ctx, result, before, {"state": "present", "rule": line})
        result["config_file"] = backend.ipf_conf
        return backend.complete(result, diff=ctx.diff)
    finally:
        backend.release_locks()
