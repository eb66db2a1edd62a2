# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local templates of a host: the agent's template list, or natively the
template datasets and their user properties (native/templates.py)."""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.versions import (
    ORG_BOX_RE, Selector, Version, check_name)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import resolve_backend
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.template import public_view


def normalize_query(params):
    """The filters, checked before anything is read."""
    query = {"organization": None, "box": None, "provider": None, "architecture": None, "selector": None}
    if params.get("organization"):
        query["organization"] = check_name(params["organization"], "organization", ORG_BOX_RE)
    if params.get("box"):
        if not query["organization"]:
            raise InputError("box needs organization")
        query["box"] = check_name(params["box"], "box", ORG_BOX_RE)
    for key in ("provider", "architecture"):
        if params.get(key):
            query[key] = check_name(params[key], key)
    if params.get("version"):
        query["selector"] = Selector(params["version"])
        if query["selector"].kind == "latest":
            raise InputError("version takes an exact version or constraints here, not 'latest'",
                             hint="leave version out to list every version")
    return query


def matches(row, query):
    for key, field in (("organization", "organization"), ("box", "box_name"), ("provider", "provider"),
                       ("architecture", "architecture")):
        if query[key] and row.get(field) != query[key]:
            return False
    return query["selector"] is None or query["selector"].matches(str(row.get("version") or ""))


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.template_info)."""
    query = normalize_query(params)
    if resolve_backend(params) == "native":
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.templates import TemplateNativeBackend
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.template_native import (
            native_options)
        base = native_options(params, {"source_name": None, "state": "info"})
        rows = TemplateNativeBackend(ctx.native_runner(), base, warn=ctx.warn).list()
        generation = "native"
    else:
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.templates import TemplateAgentBackend
        api = AgentApi.for_module(params, ctx)
        rows = [public_view(r) for r in TemplateAgentBackend(api).list()]
        generation = api.dialect.generation
    rows = [r for r in rows if matches(r, query)]
    rows.sort(key=lambda r: (str(r.get("organization")), str(r.get("box_name")), Version(str(r.get("version") or "")).key,
                             str(r.get("provider")), str(r.get("architecture"))))
    return {"changed": False, "templates": rows, "generation": generation}
