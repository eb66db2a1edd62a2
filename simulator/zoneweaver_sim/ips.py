"""The simulated host's IPS image: publishers, the packages they offer, and
what is installed (the model behind the fake `pkg`, commands/pkg.py).

A fresh host has the two OmniOS publishers (omnios = core, extra.omnios =
omnios-extra) and a few core packages installed. The catalog is fixed:
CATALOG maps a publisher to {package stem: [versions, oldest first]}. The
Zoneweaver Agent's package is offered by any publisher other than the two
OmniOS ones (the one the operator adds for the agent), as long as it has an
origin and is enabled.

Installing the agent's package delivers what the real package does that the
rest of the host can see: its default config.yaml under the files root
(preserved, never overwritten), its data directory, and the SMF instance
svc:/system/virtualization/zoneweaver-agent:default (disabled). Uninstalling
disables the instance and removes it; config.yaml and the data stay, as the
package marks them (preserve=true, directories not delivered) [mem].

Versions are `release-branch` strings such as 0.3.9-151054.0; a request
`name@0.3.9` matches every version of that release (pkg's own rule: a
requested version matches versions that start with its components).
"""
from __future__ import annotations

import copy
import re

from .util import now_iso

OS_PUBLISHERS = ("omnios", "extra.omnios")
BRANCH = "151054.0"
TIMESTAMP = "20250301T120000Z"
AGENT_PACKAGE = "system/virtualization/zoneweaver-agent"
CATALOG = {
    "omnios": {
        "system/zones": ["0.5.11-" + BRANCH],
        "system/bhyve": ["0.5.11-" + BRANCH],
        "system/zones/brand/bhyve": ["0.5.11-" + BRANCH],
        "database/sqlite-3": ["3.46.1-" + BRANCH, "3.47.0-" + BRANCH],
        "network/rsync": ["3.2.7-" + BRANCH, "3.3.0-" + BRANCH],
        "network/service/isc-dhcp": ["4.4.3-" + BRANCH],   # [mem: the FMRI]
    },
    "extra.omnios": {
        "ooce/system/zadm": ["0.3.2-" + BRANCH, "0.3.4-" + BRANCH],
        "ooce/runtime/node-22": ["22.11.0-" + BRANCH, "22.14.0-" + BRANCH],
    },
}
# offered by the operator's own publisher for the agent (any publisher not in OS_PUBLISHERS)
AGENT_CATALOG = {AGENT_PACKAGE: ["0.3.8-" + BRANCH, "0.3.9-" + BRANCH, "0.3.10-" + BRANCH]}
# what installing a package pulls in (depend type=require)
DEPENDS = {AGENT_PACKAGE: ["ooce/runtime/node-22", "database/sqlite-3"],
           "ooce/system/zadm": [], "system/zones/brand/bhyve": ["system/bhyve", "system/zones"]}
SEED_PUBLISHERS = [
    {"name": "omnios", "origins": ["https://pkg.omnios.org/r151054/core/"], "enabled": True, "sticky": True},
    {"name": "extra.omnios", "origins": ["https://pkg.omnios.org/r151054/extra/"], "enabled": True, "sticky": True},
]
SEED_INSTALLED = {"system/zones": ("omnios", "0.5.11-" + BRANCH), "database/sqlite-3": ("omnios", "3.46.1-" + BRANCH)}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./+-]*$")


class PkgError(Exception):
    """A refusal of pkg: the message (pkg's own text) and the exit code."""

    def __init__(self, message: str, rc: int = 1):
        super().__init__(message)
        self.message = message
        self.rc = rc


def image(st) -> dict:
    """The image state (seeded on first use): {publishers: [...], installed: {stem: {publisher, version, since}}}."""
    if not st.pkg:
        st.pkg.update({"publishers": copy.deepcopy(SEED_PUBLISHERS),
                       "installed": {stem: {"publisher": pub, "version": ver, "since": now_iso()}
                                     for stem, (pub, ver) in SEED_INSTALLED.items()}})
    return st.pkg


def publishers(st) -> list[dict]:
    return image(st)["publishers"]


def publisher(st, name: str) -> dict | None:
    return next((p for p in publishers(st) if p["name"] == name), None)


def installed(st) -> dict:
    return image(st)["installed"]


def version_key(version: str) -> tuple:
    """Sort key of `0.3.10-151054.0`: numeric components, release before branch."""
    release, _dash, branch = version.partition("-")

    def nums(text):
        return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.,]", text) if x != "")
    return nums(release), nums(branch)


def version_matches(requested: str | None, version: str) -> bool:
    if not requested:
        return True
    return version == requested or any(version.startswith(requested + sep) for sep in ".-,:")


def offered(st) -> dict:
    """{stem: [(publisher, version), ...]} of every enabled publisher with an origin, in search order."""
    found: dict[str, list] = {}
    for pub in publishers(st):
        if not pub.get("enabled", True) or not pub.get("origins"):
            continue
        catalog = CATALOG.get(pub["name"]) if pub["name"] in OS_PUBLISHERS else AGENT_CATALOG
        for stem, versions in (catalog or {}).items():
            found.setdefault(stem, []).extend((pub["name"], v) for v in versions)
    return found


def match_stem(names, pattern: str) -> list[str]:
    """pkg's matching of a package pattern without version: the full stem, or its trailing components."""
    pattern = pattern.removeprefix("pkg:/").lstrip("/")
    if pattern.startswith("/"):
        pattern = pattern[1:]
    return [n for n in names if n == pattern or n.endswith("/" + pattern)]


def split_spec(spec: str) -> tuple[str, str | None]:
    stem, _at, version = spec.partition("@")
    return stem, (version or None)


def resolve(st, spec: str) -> tuple[str, str, str]:
    """(stem, publisher, version) of the newest offered version matching `spec`, or PkgError."""
    stem_pattern, version = split_spec(spec)
    catalog = offered(st)
    stems = match_stem(list(catalog), stem_pattern)
    if len(stems) > 1:
        raise PkgError(f"'{stem_pattern}' matches multiple packages\n" + "".join(f"\t{s}\n" for s in stems))
    candidates = [(pub, ver) for pub, ver in catalog.get(stems[0], []) if version_matches(version, ver)] if stems else []
    if not candidates:
        raise PkgError(NO_MATCH + f"\n\n        {spec}")
    pub, ver = max(candidates, key=lambda c: version_key(c[1]))
    return stems[0], pub, ver


NO_MATCH = ("The following pattern(s) did not match any allowable packages.  Try\n"
            "using a different matching pattern, or refreshing publisher information:")


def deliver(sim, stem: str) -> None:
    """What a package puts on the host beyond its files (the agent's config and SMF instance)."""
    if stem == AGENT_PACKAGE:
        from . import agentsvc
        agentsvc.delivered(sim)


def remove(sim, stem: str) -> None:
    if stem == AGENT_PACKAGE:
        from . import agentsvc
        agentsvc.removed(sim)
