# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read boxes from a BoxVault registry, directly from the controller.

Lists boxes (one, an organisation's, or everything /api/discover shows the
caller) with their versions, providers, architectures, checksums and sizes,
filtered by a version selector, provider and architecture; with a box, also
resolves the selector to the one version a pull would use.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import RegistryNotFoundError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.versions import (
    ORG_BOX_RE, Selector, check_name)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError


def normalize_spec(params):
    spec = {"organization": params.get("organization"), "box": params.get("box"),
            "version": params.get("version"), "provider": params.get("provider"),
            "architecture": params.get("architecture")}
    if spec["organization"] is not None:
        check_name(spec["organization"], "organization", ORG_BOX_RE)
    if spec["box"] is not None:
        check_name(spec["box"], "box", ORG_BOX_RE)
        if spec["organization"] is None:
            raise InputError("box needs organization", hint="set organization to the box's BoxVault organisation")
    for key in ("provider", "architecture"):
        if spec[key] is not None:
            check_name(spec[key], key)
    spec["selector"] = Selector(spec["version"])
    if params.get("registry_token") and (params.get("registry_username") or params.get("registry_password")):
        raise InputError("give either registry_token (or BOXVAULT_TOKEN) or registry_username/registry_password "
                         "(or BOXVAULT_USERNAME/BOXVAULT_PASSWORD), not both")
    if bool(params.get("registry_username")) != bool(params.get("registry_password")):
        raise InputError("registry_username and registry_password go together")
    if not params.get("registry_url"):
        raise InputError("registry_url is required", hint="set registry_url or the BOXVAULT_URL environment variable, "
                                                          "e.g. https://boxvault.example.com")
    return spec


def filter_box(box, spec):
    """Keep the providers/architectures asked for, and the versions the selector means."""
    versions = []
    for version in box["versions"]:
        providers = []
        for prov in version["providers"]:
            if spec["provider"] is not None and prov["name"] != spec["provider"]:
                continue
            archs = [a for a in prov["architectures"]
                     if spec["architecture"] is None or a["name"] == spec["architecture"]]
            if archs or (spec["provider"] is None and spec["architecture"] is None):
                providers.append(dict(prov, architectures=archs))
        if providers or (spec["provider"] is None and spec["architecture"] is None):
            versions.append(dict(version, providers=providers))
    if spec["version"] is not None:
        selector = spec["selector"]
        if selector.kind == "constraint":
            versions = [v for v in versions if selector.matches(v["version"])]
        else:
            chosen = selector.select([v["version"] for v in versions if _has_file(v)])
            versions = [v for v in versions if v["version"] == chosen]
    return dict(box, versions=versions)


def _has_file(version):
    return any(a.get("available") for p in version["providers"] for a in p["architectures"])


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.boxvault_box_info)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.options import client_from_params
    spec = normalize_spec(params)
    client = client_from_params(params, ctx)
    try:
        boxes = client.catalog(spec["organization"], spec["box"])
    except RegistryNotFoundError:
        if spec["box"] is None and spec["organization"] is None:
            raise
        boxes = []
    resolved = {}
    if spec["box"] is not None and boxes:
        try:
            resolved = client.resolve(spec["organization"], spec["box"], spec["selector"], spec["provider"] or "zone",
                                      spec["architecture"] or "amd64", catalog=boxes[0])
        except RegistryNotFoundError:
            if spec["version"] is not None:
                raise
    elif spec["box"] is not None and spec["version"] is not None:
        raise RegistryNotFoundError("BoxVault at %s has no box %s/%s (or it is private and the credentials do not "
                                    "open it)" % (client.url, spec["organization"], spec["box"]),
                                    hint="check organization and box, and registry_token or registry_username")
    return {"changed": False, "boxes": [filter_box(b, spec) for b in boxes], "resolved": resolved,
            "_secrets": client.secrets}
