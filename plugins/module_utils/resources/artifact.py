# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One file in the agent's artifact store (ISOs, images, provisioning
archives), identified by storage location and filename.

Idempotent by checksum: an upload is skipped when the stored file has the
local file's checksum (computed with the algorithm the agent used for it), a
URL download when the stored file already has the expected checksum (or,
without one, exists at all), and a fetch to the controller when the local file
already matches.
"""

from __future__ import annotations

import os
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result

FILENAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,254}$")
HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
TYPES = ("iso", "image", "provisioning")
DIGEST_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}


def normalize(params):
    """The user's spec; refuses bad input (and unreadable or mismatching local files) before any call."""
    state = params.get("state") or "present"
    sources = [k for k in ("src", "url", "dest") if params.get(k)]
    if state == "present" and len(sources) != 1:
        raise InputError("state=present needs exactly one of src (upload a file), url (let the agent download "
                         "it) or dest (fetch the stored file to the controller)")
    if state == "absent" and sources:
        raise InputError("state=absent takes no src, url or dest")
    source = sources[0] if sources else None
    filename = params.get("filename")
    if not filename and source == "src":
        filename = os.path.basename(params["src"])
    elif not filename and source == "url":
        filename = params["url"].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not filename:
        raise InputError("filename is required (the artifact's name in its storage location)")
    values.check_pattern(filename, FILENAME_RE, "filename", "letters, digits and ._+- without a path")
    algorithm = params.get("checksum_algorithm") or "sha256"
    checksum = params.get("checksum")
    if checksum is not None:
        checksum = checksum.strip().lower()
        if ":" in checksum:  # sha256:<hex>, as get_url takes it
            algorithm, checksum = checksum.split(":", 1)
        if algorithm not in DIGEST_LENGTHS or not HEX_RE.match(checksum) or len(checksum) != DIGEST_LENGTHS[algorithm]:
            raise InputError("checksum must be a %s hex digest (%d characters)"
                             % (algorithm, DIGEST_LENGTHS.get(algorithm, 64)))
    spec = {"state": state, "source": source, "filename": filename, "algorithm": algorithm, "checksum": checksum,
            "type": params.get("type") or "iso", "location": params.get("storage_location")}
    if source == "src":
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.artifacts import file_digest
        src = params["src"]
        if not os.path.isfile(src) or not os.access(src, os.R_OK):
            raise InputError("src %s is not a readable file on the controller" % src)
        spec["src"] = src
        spec["local_checksum"] = file_digest(src, algorithm)
        if checksum and checksum != spec["local_checksum"]:
            raise InputError("src %s has %s %s, not the expected %s" % (src, algorithm, spec["local_checksum"],
                                                                        checksum))
    elif source == "url":
        if not re.match(r"^https?://[^\s]+$", params["url"]):
            raise InputError("url must be an http:// or https:// URL the agent can reach")
        spec["url"] = params["url"]
    elif source == "dest":
        spec["dest"] = params["dest"]
        parent = os.path.dirname(os.path.abspath(spec["dest"]))
        if not os.path.isdir(parent):
            raise InputError("dest directory %s does not exist on the controller" % parent)
    return spec


def pick_location(paths, wanted, kind):
    """The storage location by id or name, else the first enabled one of `kind`."""
    if wanted:
        for row in paths:
            if wanted in (row.get("id"), row.get("name")):
                return row
        raise InputError("storage_location %r does not exist on the agent; it has: %s"
                         % (wanted, ", ".join("%s (%s, %s)" % (p.get("name"), p.get("type"), p.get("id"))
                                              for p in paths) or "none"))
    for row in paths:
        if row.get("type") == kind and row.get("enabled", True):
            return row
    raise InputError("the agent has no enabled artifact storage location of type %s" % kind,
                     hint="add one in the agent's artifact storage configuration, or name one with storage_location")


def _local_checksum(path, algorithm):
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.artifacts import file_digest
    return file_digest(path, algorithm) if os.path.isfile(path) else None


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.artifact)."""
    spec = normalize(params)
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.artifacts import ArtifactApi
    api = AgentApi.for_module(params, ctx)
    store = ArtifactApi(api)
    location = pick_location(store.storage_paths(), spec["location"], spec["type"])
    actual = store.find(location["id"], spec["filename"])
    timeout = (params.get("wait_timeout") or 600) if params.get("wait", True) else None
    result = dict(new_result(), artifact=actual or {}, storage_location=location.get("name"))
    before = {"state": "present" if actual else "absent"}
    after = {}
    have = (actual or {}).get("checksum")
    have_algorithm = (actual or {}).get("checksum_algorithm") or spec["algorithm"]
    before["checksum"] = have

    if spec["state"] == "absent":
        if actual:
            result["actions"].append("delete")
            after = {"state": "absent"}
            if not ctx.check_mode:
                store.delete(actual["id"], timeout)
                result["artifact"] = {}
        return finish(ctx, result, before, after)

    if spec["source"] == "dest":
        if not actual:
            raise InputError("artifact %s is not in storage location %s, so it cannot be fetched"
                             % (spec["filename"], location.get("name")))
        local = _local_checksum(spec["dest"], have_algorithm)
        result["dest"] = spec["dest"]
        if local != have:
            result["actions"].append("fetch to %s" % spec["dest"])
            before, after = {"dest_checksum": local}, {"dest_checksum": have}
            if not ctx.check_mode:
                got, tmp = store.fetch(actual["id"], spec["dest"], have_algorithm)
                if have and got != have:
                    os.unlink(tmp)
                    raise ZoneweaverError("the fetched %s has %s %s, not the stored %s"
                                          % (spec["filename"], have_algorithm, got, have),
                                          hint="the file may have changed during the transfer; run again")
                os.replace(tmp, spec["dest"])
        return finish(ctx, result, before, after)

    if spec["source"] == "src":
        local = spec["local_checksum"] if have_algorithm == spec["algorithm"] else \
            _local_checksum(spec["src"], have_algorithm)
        if actual and local == have:
            return finish(ctx, result, before, after)
        result["actions"].append("upload" if not actual else "replace")
        after = {"state": "present", "checksum": local}
        if not ctx.check_mode:
            store.upload(location["id"], spec["src"], spec["filename"], spec["algorithm"],
                         spec["local_checksum"], bool(actual), timeout)
    else:  # url
        if actual and (not spec["checksum"] or (spec["checksum"] == have and have_algorithm == spec["algorithm"])):
            return finish(ctx, result, before, after)
        result["actions"].append("download" if not actual else "replace")
        after = {"state": "present", "checksum": spec["checksum"], "url": spec["url"]}
        if not ctx.check_mode:
            store.download_url(location["id"], spec["url"], spec["filename"], spec["algorithm"], spec["checksum"],
                               bool(actual), timeout)
    if not ctx.check_mode and timeout is not None:
        result["artifact"] = store.find(location["id"], spec["filename"]) or {}
    return finish(ctx, result, before, after)
