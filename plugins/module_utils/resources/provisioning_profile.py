# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provisioning profiles: only the 0.2 generation has them (agent-api.md
section 7, "A removed them"). A profile names its recipe by id; the module
also takes the recipe's name and looks it up."""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import EndpointMissingError, InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.named_row import NamedResource, check_name
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.provisioning_recipe import recipes

PROFILE_KEYS = ("description", "recipe_id", "default_credentials", "default_sync_folders", "default_provisioners",
                "default_variables")
SECRET_KEYS = ("default_credentials",)
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ProfilesUnavailable(InputError):
    """The agent generation has no provisioning profiles."""


def profile_spec(params):
    want = {k: params[k] for k in PROFILE_KEYS if k != "recipe_id" and params.get(k) is not None}
    return want


def _resolve_recipe(api, recipe):
    """A recipe id from a name or an id; InputError when there is no such recipe."""
    collection = recipes(api)
    row = collection.find(recipe)
    if row is None and UUID_RE.match(recipe):
        row = collection.find_by_id(recipe)
    if row is None:
        raise InputError("recipe %r does not exist on the agent" % recipe,
                         hint="create it first with zoneweaver.illumos.provisioning_recipe")
    return row["id"]


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.provisioning_profile)."""
    name = check_name(params["name"], "profile name")
    want = profile_spec(params)
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.provisioning import NamedCollection
    api = AgentApi.for_module(params, ctx)
    if api.dialect.machines:
        raise ProfilesUnavailable(
            "the agent at %s (version %s) has no provisioning profiles: they exist only in the 0.2 generation"
            % (api.client.url, api.dialect.version),
            hint="on 0.3 agents give the zone its provisioning section with zoneweaver.illumos.zone_provision "
                 "(option provisioner) and its recipe with zoneweaver.illumos.provisioning_recipe")
    if params.get("recipe") and params.get("state") != "absent":
        want["recipe_id"] = _resolve_recipe(api, params["recipe"])
    collection = NamedCollection(api.client, "/provisioning/profiles", "profile", "profiles")
    try:
        return NamedResource(collection, ctx, PROFILE_KEYS, (), SECRET_KEYS).ensure(name, params.get("state"), want)
    except EndpointMissingError as exc:
        raise ProfilesUnavailable("the agent at %s has no provisioning profiles (%s)" % (api.client.url, exc.msg))
