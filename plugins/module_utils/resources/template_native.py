# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The template resource with backend=native: the host itself downloads the box
from BoxVault, checks it and receives it with `zfs recv` (native/templates.py).

Plan first, from reads only (registry reads and `zfs list`): check mode stops
there, downloads nothing and runs no changing command. Then one of:
- the variant is there (same dataset, same provider/architecture, @ready): no
  change; its recorded checksum is compared with the registry's;
- another variant, or a dataset this module did not make, holds the name: refused;
- else import, after removing leftovers of an interrupted earlier import.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.download import check_policy
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import ChecksumError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.versions import sort_versions
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.templates import (
    DEFAULT_BASE, READY, TemplateNativeBackend)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.template import rows_of_spec, variant
from ansible_collections.zoneweaver.illumos.plugins.module_utils.values import parse_size

DATASET_RE = re.compile(r"^[A-Za-z0-9_.:\-]+(/[A-Za-z0-9_.:\-]+)*$")


def native_options(params, spec):
    """The native-only options, checked before anything runs."""
    base = str(params.get("template_base") or DEFAULT_BASE).strip("/")
    if not DATASET_RE.match(base) or ".." in base.split("/"):
        raise InputError("template_base must be a ZFS dataset name such as rpool/templates, got %r"
                         % (params.get("template_base"),))
    if spec["source_name"]:
        raise InputError("source_name names one of the agent's template sources; with backend=native the host "
                         "downloads from registry_url itself",
                         hint="give registry_url (and registry_token for a private box) instead of source_name")
    spec["max_unpacked_size"] = parse_size(params.get("max_unpacked_size") or "256G", "max_unpacked_size")
    if spec["max_unpacked_size"] < 1:
        raise InputError("max_unpacked_size must be a positive size such as 64G")
    if spec["state"] == "present" and not params.get("registry_url"):
        raise InputError("with backend=native, registry_url is required: the host downloads the box from BoxVault "
                         "itself", hint="set registry_url (or BOXVAULT_URL on the host)")
    return base


class TemplateNativeResource:
    def __init__(self, backend, ctx, registry=None):
        self.backend = backend
        self.ctx = ctx
        self.registry = registry

    def ensure(self, spec, params):
        if spec["state"] == "absent":
            return self._absent(spec)
        spec["provider"] = spec["provider"] or "zone"
        spec["architecture"] = spec["architecture"] or "amd64"
        facts = self.registry.resolve(spec["organization"], spec["box"], spec["selector"], spec["provider"],
                                      spec["architecture"])
        facts["source"] = "registry"
        what = "%s/%s %s (%s/%s)" % (spec["organization"], spec["box"], facts["version"], spec["provider"],
                                     spec["architecture"])
        # strict refuses a box without a registry checksum before anything is downloaded
        check_policy(facts["checksum"], facts["checksum_type"], spec["checksum_policy"], what, self.ctx.warn)
        return self._present(spec, params, facts, what)

    # ------------------------------------------------------------------ present
    def _present(self, spec, params, facts, what):
        org, box, version = spec["organization"], spec["box"], facts["version"]
        final = self.backend.dataset_of(org, box, version)
        result = dict(new_result(), version=version, checksum_verified=None, tasks=[],
                      registry={k: facts.get(k) for k in ("checksum", "checksum_type", "size", "source")})
        templates, partials, others = self.backend.find(org, box, version)
        if others:
            raise ConflictError("%s already exists and is not a template imported by this module (it has no "
                                "zoneweaver:box/version properties); refusing to touch it" % final,
                                hint="remove or rename it, or use another template_base")
        if templates:
            row = templates[0]
            if variant(row) != (spec["provider"], spec["architecture"]):
                raise InputError(
                    "%s already holds %s/%s %s for %s/%s; one dataset per version keeps one variant, so importing "
                    "%s/%s would overwrite it"
                    % (final, org, box, version, row["provider"], row["architecture"], spec["provider"],
                       spec["architecture"]),
                    hint="remove the other variant first (state=absent with its provider and architecture), or "
                         "use another template_base for this variant")
            if row["ready"]:
                result["checksum_verified"] = self._verify(row, facts, what)
                return self._finish(result, {}, {}, row)
        before = {"state": "absent"}
        after = {"state": "present", "version": version, "provider": spec["provider"],
                 "architecture": spec["architecture"], "dataset": final}
        for name in partials + [t["dataset_path"] for t in templates]:
            # a dataset without @ready or a .partial-* one: left by an import that was killed
            result["actions"].append("remove the leftover of an interrupted import %s" % name)
        result["actions"].append("download %s from %s" % (what, self.registry.url))
        result["actions"].append("receive box.zss into %s and snapshot it as @%s" % (final, READY))
        if self.ctx.check_mode:
            return self._finish(result, before, after, None)
        for name in partials + [t["dataset_path"] for t in templates]:
            self.backend.destroy(name)
        row, stats = self.backend.import_box(self.registry, facts, spec["checksum_policy"],
                                             params.get("download_dir"), warn=self.ctx.warn,
                                             max_size=spec["max_unpacked_size"])
        result["checksum_verified"] = True if stats.get("checksum_verified") else None
        result["import_stats"] = stats
        return self._finish(result, before, after, row)

    def _verify(self, row, facts, what):
        """Compare the recorded registry checksum with what the registry publishes now."""
        if not facts.get("checksum"):
            return None
        stored = row.get("registry_checksum")
        kind = (facts.get("checksum_type") or "").upper()
        if not stored:
            # imported unverified (checksum_policy=warn): the sha256 still tells
            if kind == "SHA256" and row.get("checksum"):
                stored = "SHA256:%s" % row["checksum"]
            else:
                self.ctx.warn("%s was imported without a registry checksum; it cannot be compared" % what)
                return None
        stored_kind, _sep, stored_value = stored.partition(":")
        if stored_kind.upper() != kind:
            if kind == "SHA256" and row.get("checksum"):
                stored_value = row["checksum"]
            else:
                self.ctx.warn("%s was verified with %s, the registry now publishes %s; they cannot be compared"
                              % (what, stored_kind, kind))
                return None
        if stored_value.lower() == facts["checksum"]:
            return True
        raise ChecksumError("the template %s (%s) was imported from a box with %s %s, but the registry now publishes "
                            "%s: the local copy is not the registry's box"
                            % (what, row["dataset_path"], kind.lower(), stored_value, facts["checksum"]),
                            hint="remove it (state=absent) and run again to import the registry's box, or find out "
                                 "why the registry's box changed")

    # ------------------------------------------------------------------ absent
    def _absent(self, spec):
        result = dict(new_result(), removed=[], tasks=[])
        templates, _partials, _others = self.backend.find(spec["organization"], spec["box"])
        rows = rows_of_spec(templates, spec)
        if not rows:
            return self._finish(result, {}, {}, None)
        before = {"state": "present", "versions": sort_versions(set(str(r.get("version")) for r in rows))}
        after = {"state": "absent"}
        for row in rows:
            result["actions"].append("remove %s/%s %s (%s/%s): zfs destroy -r %s" % (
                (row["organization"], row["box_name"], row["version"]) + variant(row) + (row["dataset_path"],)))
            result["removed"].append(row)
        if not self.ctx.check_mode:
            for row in rows:
                self.backend.destroy(row["dataset_path"])
        return self._finish(result, before, after, None)

    def _finish(self, result, before, after, row):
        result["template"] = row or {}
        return finish(self.ctx, result, before, after)


def run_native(params, ctx, spec):
    """zoneweaver.illumos.template with backend=native (on the host)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.options import client_from_params
    base = native_options(params, spec)
    registry = client_from_params(params, ctx) if spec["state"] == "present" else None
    runner = ctx.native_runner(secrets=registry.secrets if registry is not None else ())
    backend = TemplateNativeBackend(runner, base, warn=ctx.warn)
    result = TemplateNativeResource(backend, ctx, registry).ensure(spec, params)
    if registry is not None:
        result["_secrets"] = registry.secrets
    return result
