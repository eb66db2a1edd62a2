# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read NAT: the configured rules (parsed), the rules loaded in the kernel
(`ipnat -l`, as text and parsed), and the ipfilter service status.

Two requests: GET /network/nat/rules and GET /network/nat/status; natively
(native/nat_dhcp.py) the ipnat file, `ipnat -l` and `svcs` of network/ipfilter.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import (
    parse_active, rule_key, rule_view)


def normalize_query(params):
    bridge = params.get("bridge")
    if bridge is not None:
        values.check_pattern(bridge, values.LINK_NAME_RE, "bridge", "a link name such as igb0")
    return {"bridge": bridge}


def nat_facts(rules_answer, status_answer, bridge=None):
    """The module's result from the two agent answers (pure, for tests)."""
    text = rules_answer.get("active_rules")
    active, sessions = parse_active(text) if isinstance(text, str) else ([], [])
    active_keys = {rule_key(r["raw_rule"]) for r in active} if isinstance(text, str) else None
    configured = []
    for row in rules_answer.get("configured_rules") or ():
        view = rule_view(row)
        view["active"] = None if active_keys is None else rule_key(view["raw_rule"]) in active_keys
        configured.append(view)
    if bridge is not None:
        configured = [r for r in configured if r["bridge"] == bridge]
        active = [r for r in active if r["bridge"] == bridge]
    service = {key: status_answer.get(key) for key in ("service", "state", "since", "raw")}
    return {
        "configured_rules": configured,
        "active_rules": active,
        "active_rules_text": text if isinstance(text, str) else None,
        "active_sessions": sessions,
        "config_file": rules_answer.get("config_file"),
        "service": service,
    }


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.nat_rule_info)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.nat_rule import nat_backend
    query = normalize_query(params)
    backend = nat_backend(params, ctx)
    facts = nat_facts(backend.nat_rules(), backend.nat_status(), query["bridge"])
    return dict(facts, changed=False)
