# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provisioning recipes (zlogin console automation) and, on 0.2 agents,
provisioning profiles: rows with a unique name, ensured by name.

Both share NamedResource: find the row by name, compare the keys the user
set, then POST (create), PUT only the differing keys (update) or DELETE.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:@+\-]{0,127}$")
MASK = "********"
RECIPE_KEYS = ("description", "os_family", "brand", "is_default", "boot_string", "login_prompt", "shell_prompt",
               "timeout_seconds", "steps", "variables")
RECIPE_REQUIRED = ("os_family", "steps")


def masked(row, secret_keys):
    """A copy of a row with the values of secret keys hidden (dicts keep their keys)."""
    out = dict(row or {})
    for key in secret_keys:
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = {k: MASK for k in value}
        elif value is not None:
            out[key] = MASK
    return out


class NamedResource:
    """Ensure one named row of a NamedCollection."""

    def __init__(self, collection, ctx, keys, required, secret_keys=()):
        self.collection = collection
        self.ctx = ctx
        self.keys = keys
        self.required = required
        self.secret_keys = secret_keys

    def ensure(self, name, state, want):
        noun = self.collection.noun
        actual = self.collection.find(name)
        result = dict(new_result(), **{noun: {}})
        before, after = {}, {}
        if state == "absent":
            if actual is not None:
                result["actions"].append("delete")
                before, after = {"state": "present"}, {"state": "absent"}
                if not self.ctx.check_mode:
                    self.collection.delete(actual["id"])
            return finish(self.ctx, result, before, after)

        if actual is None:
            missing = [k for k in self.required if want.get(k) in (None, [], "")]
            if missing:
                raise InputError("%s %s does not exist; creating it needs %s" % (noun, name, ", ".join(missing)))
            result["actions"].append("create")
            before = {"state": "absent"}
            after = masked(dict(want, name=name, state="present"), self.secret_keys)
            if self.ctx.check_mode:
                return finish(self.ctx, result, before, after)
            row = self.collection.create(dict(want, name=name))
            result[noun] = masked(row, self.secret_keys)
            return finish(self.ctx, result, before, after)

        changes = {k: v for k, v in want.items() if actual.get(k) != v}
        result[noun] = masked(actual, self.secret_keys)
        if changes:
            result["actions"].append("update")
            before = masked({k: actual.get(k) for k in changes}, self.secret_keys)
            after = masked(changes, self.secret_keys)
            if not self.ctx.check_mode:
                row = self.collection.update(actual["id"], changes)
                result[noun] = masked(row if isinstance(row, dict) and row.get("id") else
                                      self.collection.find(name), self.secret_keys)
        return finish(self.ctx, result, before, after)


def check_name(name, what):
    return values.check_pattern(name, NAME_RE, what, "letters, digits, spaces and ._:@+- (at most 128)")


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
