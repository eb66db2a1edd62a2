# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provisioning recipes (zlogin console automation): rows with a unique name,
ensured by name with NamedResource (named_row.py), as provisioning profiles are.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.named_row import NamedResource, check_name

RECIPE_KEYS = ("description", "os_family", "brand", "is_default", "boot_string", "login_prompt", "shell_prompt",
               "timeout_seconds", "steps", "variables")
RECIPE_REQUIRED = ("os_family", "steps")


def recipe_spec(params):
    """The keys the user set, normalised; refuses bad input before any call."""
    want = {k: params[k] for k in RECIPE_KEYS if params.get(k) is not None}
    if "timeout_seconds" in want:
        want["timeout_seconds"] = values.to_int(want["timeout_seconds"], "timeout_seconds", 1, 86400)
    for index, step in enumerate(want.get("steps") or ()):
        if not isinstance(step, dict) or not step:
            raise InputError("steps[%d] must be a non-empty dictionary, such as {type: wait, pattern: 'login:'}"
                             % index)
    return want


def recipes(api):
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.provisioning import NamedCollection
    return NamedCollection(api.client, "/provisioning/recipes", "recipe", "recipes")


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.provisioning_recipe)."""
    name = check_name(params["name"], "recipe name")
    want = recipe_spec(params)
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    api = AgentApi.for_module(params, ctx)
    return NamedResource(recipes(api), ctx, RECIPE_KEYS, RECIPE_REQUIRED).ensure(name, params.get("state"), want)
