# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Agent rows ensured by a unique name (provisioning recipes and profiles).

NamedResource finds the row by name, compares the keys the user set, then
POSTs (create), PUTs only the differing keys (update) or DELETEs it.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import agent_argument_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:@+\-]{0,127}$")
MASK = "********"


def named_row_argument_spec(**options):
    """A module's argument spec: the agent options, `name`, `state` (present/absent) and its own `options`."""
    return agent_argument_spec(
        name={"type": "str", "required": True},
        state={"type": "str", "default": "present", "choices": ["present", "absent"]},
        **options)


def check_name(name, what):
    return values.check_pattern(name, NAME_RE, what, "letters, digits, spaces and ._:@+- (at most 128)")


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
