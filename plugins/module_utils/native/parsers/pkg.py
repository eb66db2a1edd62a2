# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`pkg publisher -H -F tsv` and `pkg list -Hv` (IPS on OmniOS).

`pkg publisher -H -F tsv` prints one line per origin or mirror, TAB separated:
PUBLISHER STICKY SYSPUB ENABLED TYPE STATUS URI PROXY; a publisher without
origins prints one line with URI '-' [mem]. `pkg list -Hv` prints one line
per installed package: the FMRI pkg://PUBLISHER/STEM@VERSION:TIMESTAMP and
the IFO flags. VERSION is release[,build]-branch; the build part (',5.11')
is dropped by newer pkg(5) and ignored here.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import output_lines

PUBLISHER_FIELDS = ("publisher", "sticky", "syspub", "enabled", "type", "status", "uri", "proxy")
FMRI_RE = re.compile(r"^pkg://(?P<publisher>[^/\s]+)/(?P<stem>[^@\s]+)@(?P<version>[^:\s]+)(?::(?P<timestamp>\S+))?$")
# A package argument: a stem (optionally pkg:/ prefixed) and an optional version, never an option.
SPEC_RE = re.compile(r"^(?:pkg:/+)?[A-Za-z0-9][A-Za-z0-9_./+-]*(?:@[0-9][0-9A-Za-z.,:-]*)?$")
PUBLISHER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _bool(value, line):
    if value not in ("true", "false"):
        raise ParseError("pkg publisher printed %r where true or false belongs" % value, tool="pkg", line=line)
    return value == "true"


def parse_publishers(text):
    """-> {name: {name, origins: [...], mirrors: [...], enabled, sticky}} in search order."""
    publishers = {}
    for line in output_lines(text):
        cells = line.split("\t")
        if len(cells) < len(PUBLISHER_FIELDS) - 1:
            raise ParseError("pkg publisher -F tsv printed %d columns, expected %d" % (len(cells), len(PUBLISHER_FIELDS)),
                             tool="pkg", line=line)
        row = dict(zip(PUBLISHER_FIELDS, cells))
        pub = publishers.setdefault(row["publisher"], {"name": row["publisher"], "origins": [], "mirrors": [],
                                                       "enabled": _bool(row["enabled"], line),
                                                       "sticky": _bool(row["sticky"], line)})
        if row["uri"] not in ("-", ""):
            pub["mirrors" if row["type"] == "mirror" else "origins"].append(row["uri"])
    return publishers


def normal_version(version):
    """'0.5.11,5.11-151054.0' -> '0.5.11-151054.0' (the build part is not compared)."""
    release, dash, branch = version.partition("-")
    return release.split(",", 1)[0] + dash + branch


def parse_list_verbose(text):
    """-> {stem: {publisher, version, fmri}} of `pkg list -Hv`."""
    packages = {}
    for line in output_lines(text):
        parts = line.split()
        match = FMRI_RE.match(parts[0]) if parts else None
        if match is None:
            raise ParseError("pkg list -Hv printed a line that does not start with a pkg:// FMRI", tool="pkg",
                             line=line)
        packages[match.group("stem")] = {"publisher": match.group("publisher"),
                                         "version": normal_version(match.group("version")), "fmri": parts[0]}
    return packages


def split_spec(spec):
    """'pkg:/web/nginx@1.24' -> ('web/nginx', '1.24'); no version -> (stem, None)."""
    stem, _at, version = spec.partition("@")
    stem = re.sub(r"^pkg:/+", "", stem)
    return stem, (version or None)


def match_installed(installed, stem_pattern):
    """pkg's matching of a pattern: the whole stem or its trailing components ('zadm' is 'ooce/system/zadm')."""
    return sorted(stem for stem in installed if stem == stem_pattern or stem.endswith("/" + stem_pattern))


def version_matches(requested, version):
    """pkg's rule: a requested version matches every version that starts with its components."""
    if not requested:
        return True
    version = normal_version(version)
    requested = normal_version(requested)
    return version == requested or any(version.startswith(requested + sep) for sep in ".-,:")
