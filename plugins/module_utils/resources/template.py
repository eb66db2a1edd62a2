# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The template resource: a BoxVault box imported on the host as
rpool/templates/{org}/{box}/{version} (+ @ready), through the agent.

The agent pulls only concrete versions and never compares its sha256 with the
registry's (hyperweaver-boxvault.md 3.2), so this resource:
1. resolves the version selector (exact, latest, constraint) against the
   registry itself: directly with registry_url, else through the agent's
   configured source (GET /templates/remote/{source}/{org}/{box});
2. refuses, before any change, a registry entry without a checksum it can
   compare (checksum_policy=strict), or warns (warn);
3. pulls only when the agent has no such template (a 409 counts as present);
4. after the download task, compares the agent's recorded sha256 with the
   registry's; a mismatch removes the template it just imported and fails. An
   existing template whose checksum differs is reported, never silently accepted.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import task_ids_of
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.client import (
    redact_url, normalize_checksum, normalize_vagrant, pick)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.download import POLICIES, check_policy
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import ChecksumError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.versions import (
    ORG_BOX_RE, Selector, Version, check_name, sort_versions)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, InputError, NotFoundError, ZoneweaverError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result, reconcile

STATES = ("present", "absent")
SOURCE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
VIEW_KEYS = ("id", "source_name", "organization", "box_name", "version", "provider", "architecture", "dataset_path",
             "original_filename", "size", "checksum", "checksum_algorithm", "source_url", "downloaded_at",
             "last_verified", "metadata")


def variant(row):
    """(provider, architecture) of a template row; the agent leaves them out for the defaults."""
    return (row.get("provider") or "zone", row.get("architecture") or "amd64")


def rows_of_spec(rows, spec):
    """The template rows of the spec's provider, architecture and version selector, oldest version first."""
    kept = []
    for row in rows:
        provider, arch = variant(row)
        if spec["provider"] and provider != spec["provider"]:
            continue
        if spec["architecture"] and arch != spec["architecture"]:
            continue
        if spec["version"] is not None and not spec["selector"].matches(str(row.get("version"))):
            continue
        kept.append(row)
    return sorted(kept, key=lambda r: Version(str(r.get("version") or "")).key)


def normalize_spec(params):
    """Validate the options; raises InputError before any request."""
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    spec = {"state": state,
            "organization": check_name(params.get("organization"), "organization", ORG_BOX_RE),
            "box": check_name(params.get("box"), "box", ORG_BOX_RE),
            "provider": check_name(params["provider"], "provider") if params.get("provider") else None,
            "architecture": check_name(params["architecture"], "architecture") if params.get("architecture") else None,
            "version": params.get("version"),
            "source_name": params.get("source_name"),
            "checksum_policy": params.get("checksum_policy") or "strict"}
    spec["selector"] = Selector(spec["version"])
    if state == "absent" and spec["version"] is not None and spec["selector"].kind == "latest":
        raise InputError("state=absent takes an exact version or a constraint, not 'latest'",
                         hint="name the version to remove, a constraint such as '<2025.8', or leave version out "
                              "to remove every version of the box")
    if spec["source_name"] is not None:
        if not SOURCE_NAME_RE.match(str(spec["source_name"])):
            raise InputError("invalid source_name %r: letters, digits, '.', '_' and '-'" % (spec["source_name"],))
    if spec["checksum_policy"] not in POLICIES:
        raise InputError("checksum_policy must be one of %s" % ", ".join(POLICIES))
    if params.get("registry_token") and (params.get("registry_username") or params.get("registry_password")):
        raise InputError("give either registry_token (or BOXVAULT_TOKEN) or registry_username/registry_password "
                         "(or BOXVAULT_USERNAME/BOXVAULT_PASSWORD), not both")
    if bool(params.get("registry_username")) != bool(params.get("registry_password")):
        raise InputError("registry_username and registry_password go together")
    return spec


def public_view(row):
    if not row:
        return {}
    view = {key: row.get(key) for key in VIEW_KEYS}
    view["source_url"] = redact_url(row.get("source_url"))
    return view


def _norm_url(url):
    text = str(url or "").strip().rstrip("/")
    return text[:-4] if text.endswith("/api") else text


class TemplateResource:
    def __init__(self, backend, ctx, registry=None):
        self.backend = backend
        self.ctx = ctx
        self.registry = registry
        self.tasks = []

    def _record(self, answer, step):
        ids = task_ids_of(answer)
        self.tasks.extend({"step": step, "task_id": task_id} for _step, task_id in ids)
        return answer

    # ------------------------------------------------------------------ entry
    def ensure(self, params):
        spec = normalize_spec(params)
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        if spec["state"] == "absent":
            return reconcile(self.ctx, lambda: self._absent_once(spec, wait, timeout))
        spec["provider"] = spec["provider"] or "zone"
        spec["architecture"] = spec["architecture"] or "amd64"
        source = self._source(spec, params)
        facts = self._resolve(spec, source)
        what = "%s/%s %s (%s/%s)" % (spec["organization"], spec["box"], facts["version"], spec["provider"],
                                     spec["architecture"])
        verify = self._checksum_plan(spec, facts, what)
        return reconcile(self.ctx, lambda: self._present_once(spec, source, facts, verify, what, wait, timeout))

    # ------------------------------------------------------------------ source and version
    def _source(self, spec, params):
        sources = self.backend.sources()
        enabled = [s for s in sources if s["enabled"]]
        listing = ", ".join("%s=%s" % (s["name"], s["url"]) for s in sources) or "none"
        registry_url = _norm_url(params.get("registry_url")) if params.get("registry_url") else None
        if spec["source_name"]:
            match = next((s for s in sources if s["name"] == spec["source_name"]), None)
            if match is None:
                raise InputError("the agent has no template source named %r (its sources: %s)"
                                 % (spec["source_name"], listing))
            if not match["enabled"]:
                raise InputError("the agent's template source %r is disabled" % spec["source_name"])
            if registry_url and _norm_url(match["url"]) != registry_url:
                self.ctx.warn("registry_url %s is not the URL of the agent's source %s (%s): the version and the "
                              "checksum come from registry_url, the box from the source"
                              % (registry_url, match["name"], match["url"]))
            return match
        if registry_url:
            matches = [s for s in enabled if _norm_url(s["url"]) == registry_url]
            if not matches:
                raise InputError("none of the agent's template sources points at registry_url %s (its sources: %s)"
                                 % (registry_url, listing),
                                 hint="set source_name to the agent's source for this registry, or add the registry "
                                      "to the agent's template_sources")
            return matches[0]
        if not enabled:
            raise InputError("the agent has no enabled template source",
                             hint="configure template_sources on the agent, or check agent_info's features")
        defaults = [s for s in enabled if s["default"]]
        return (defaults or enabled)[0]

    def _resolve(self, spec, source):
        org, box = spec["organization"], spec["box"]
        if self.registry is not None:
            facts = self.registry.resolve(org, box, spec["selector"], spec["provider"], spec["architecture"])
            facts["source"] = "registry"
            return facts
        try:
            meta = self.backend.remote_box(source["name"], org, box)
        except NotFoundError as exc:
            raise NotFoundError("the agent's template source %s has no box %s/%s: %s" % (source["name"], org, box, exc.msg),
                                status=exc.status, hint="check organization and box, and that the source's token "
                                                        "may read the box")
        except AgentError as exc:
            said = (exc.details.get("agent_details") or {}).get("details")
            raise AgentError("the agent could not read %s/%s from its template source %s: %s%s"
                             % (org, box, source["name"], exc.msg, " (%s)" % said if said else ""),
                             status=exc.status,
                             hint="check the source's auth_token in the agent's configuration, or give registry_url "
                                  "and registry_token so this module reads the registry itself")
        facts = pick(normalize_vagrant(meta if isinstance(meta, dict) else {}, org, box), spec["selector"],
                     spec["provider"], spec["architecture"])
        facts["source"] = "agent"
        return facts

    def _checksum_plan(self, spec, facts, what):
        """True when the registry's checksum can be compared with the agent's sha256."""
        if not check_policy(facts["checksum"], facts["checksum_type"], spec["checksum_policy"], what, self.ctx.warn):
            return False
        if facts["checksum_type"] != "SHA256":
            text = ("the registry publishes a %s checksum for %s, but the agent records sha256 only, so the import "
                    "cannot be verified" % (facts["checksum_type"].lower(), what))
            if spec["checksum_policy"] == "strict":
                raise ChecksumError(text + "; refusing it", hint="set checksum_policy: warn to accept it unverified")
            self.ctx.warn(text)
            return False
        return True

    # ------------------------------------------------------------------ present
    def _present_once(self, spec, source, facts, verify, what, wait, timeout):
        org, box, version = spec["organization"], spec["box"], facts["version"]
        result = dict(new_result(), version=version, checksum_verified=None,
                      registry={k: facts.get(k) for k in ("checksum", "checksum_type", "size", "source")},
                      source_name=source["name"])
        rows = self.backend.find(org, box, version)
        same = [r for r in rows if variant(r) == (spec["provider"], spec["architecture"])]
        if same:
            result["checksum_verified"] = self._verify(same[0], facts, verify, what, existing=True, timeout=timeout)
            return self._finish(result, {}, {}, same[0])
        if rows:
            other = rows[0]
            raise InputError(
                "%s/%s %s is already imported for %s/%s into %s; the agent keeps one variant per version (the dataset "
                "name carries neither provider nor architecture), so importing %s/%s would overwrite it"
                % (org, box, version, other.get("provider"), other.get("architecture"), other.get("dataset_path"),
                   spec["provider"], spec["architecture"]),
                hint="remove the other variant first (state=absent with its provider and architecture)")
        result["actions"].append("pull %s" % what)
        before = {"state": "absent"}
        after = {"state": "present", "version": version, "provider": spec["provider"],
                 "architecture": spec["architecture"]}
        if self.ctx.check_mode:
            return self._finish(result, before, after, None)
        body = {"source_name": source["name"], "organization": org, "box_name": box, "version": version,
                "provider": spec["provider"], "architecture": spec["architecture"]}
        answer = self.backend.pull(body)
        if "exists" in answer:   # imported meanwhile (another run): nothing was done here
            result["actions"] = []
            row = self._one(org, box, version, spec)
            result["checksum_verified"] = self._verify(row, facts, verify, what, existing=True, timeout=timeout)
            return self._finish(result, {}, {}, row)
        self._record(answer, "template_download")
        if not wait:
            if verify:
                self.ctx.warn("wait=false: the checksum of %s is not verified; run the task again with wait=true "
                              "to verify the imported template" % what)
            return self._finish(result, before, after, None)
        self.backend.wait(answer, timeout)
        row = self._one(org, box, version, spec)
        if row is None:
            raise ZoneweaverError("the download task of %s completed, but the agent lists no such template" % what,
                                  hint="look at the task with zoneweaver.illumos.task_info")
        result["checksum_verified"] = self._verify(row, facts, verify, what, existing=False, timeout=timeout)
        return self._finish(result, before, after, row)

    def _one(self, org, box, version, spec):
        rows = [r for r in self.backend.find(org, box, version)
                if variant(r) == (spec["provider"], spec["architecture"])]
        return rows[0] if rows else None

    def _verify(self, row, facts, verify, what, existing, timeout):
        if not verify or row is None:
            return None
        stored = normalize_checksum(row.get("checksum"))
        algorithm = str(row.get("checksum_algorithm") or "sha256").lower()
        if not stored or algorithm != "sha256":
            self.ctx.warn("the agent recorded no sha256 for %s; it cannot be compared with the registry's" % what)
            return None
        expected = facts["checksum"]
        if stored == expected:
            return True
        if existing:
            raise ChecksumError(
                "the template %s on the agent (id %s, dataset %s) has sha256 %s, but the registry publishes %s: "
                "the local copy is not the registry's box" % (what, row.get("id"), row.get("dataset_path"), stored,
                                                              expected),
                hint="remove it (state=absent) and run again to pull a fresh copy, or find out why the registry's "
                     "box changed", template_id=row.get("id"))
        removal = "the imported template %s was removed again" % row.get("id")
        try:
            answer = self._record(self.backend.delete(row["id"]), "template_delete")
            self.backend.wait(answer, timeout)
        except ZoneweaverError as exc:
            removal = "removing the imported template %s failed too: %s" % (row.get("id"), exc)
        raise ChecksumError("checksum mismatch for %s: the registry publishes sha256 %s, the agent downloaded a box "
                            "with sha256 %s; %s" % (what, expected, stored, removal),
                            hint="the box was damaged in transit or on the registry, or replaced after it was "
                                 "published; the agent itself never verifies it", template_id=row.get("id"))

    # ------------------------------------------------------------------ absent
    def _absent_once(self, spec, wait, timeout):
        result = dict(new_result(), removed=[])
        rows = rows_of_spec(self.backend.find(spec["organization"], spec["box"]), spec)
        if not rows:
            return self._finish(result, {}, {}, None)
        versions = sort_versions(set(str(r.get("version")) for r in rows))
        before = {"state": "present", "versions": versions}
        after = {"state": "absent"}
        for row in rows:
            result["actions"].append("remove %s/%s %s (%s/%s)" % ((row.get("organization"), row.get("box_name"),
                                                                   row.get("version")) + variant(row)))
            result["removed"].append(public_view(row))
        if not self.ctx.check_mode:
            for row in rows:
                try:
                    answer = self._record(self.backend.delete(row["id"]), "template_delete")
                except NotFoundError:
                    continue      # gone meanwhile
                if wait:
                    self.backend.wait(answer, timeout)
        return self._finish(result, before, after, None)

    def _finish(self, result, before, after, row):
        result["template"] = public_view(row)
        result["tasks"] = self.tasks
        return finish(self.ctx, result, before, after)


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.template)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.templates import TemplateAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.options import client_from_params
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import resolve_backend
    # Validate before connecting: bad input never costs a request.
    spec = normalize_spec(params)
    if resolve_backend(params) == "native":
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.template_native import run_native
        return run_native(params, ctx, spec)
    registry = client_from_params(params, ctx) if spec["state"] == "present" else None
    api = AgentApi.for_module(params, ctx)
    result = TemplateResource(TemplateAgentBackend(api), ctx, registry).ensure(params)
    if registry is not None:
        result["_secrets"] = registry.secrets
    return result
