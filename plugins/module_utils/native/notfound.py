# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How each tool says "that object does not exist" (illumos-native.md sections 1 and 6).

Reads use these to turn a failed lookup into "absent" instead of an error.
Only a non-zero exit with one of these texts on stderr counts: any other
failure is a real error and must not be mistaken for absence.
"""

from __future__ import annotations

# Lower-cased substrings of stderr. Tags as in the reference.
NOT_FOUND_TEXTS = {
    # [tool] zoneadm: "zoneadm: web: No such zone configured", rc 1.
    "zoneadm": ("no such zone configured",),
    # [tool] zonecfg prints "web: No such zone configured" for export/info of an unknown zone.
    "zonecfg": ("no such zone configured",),
    # [tool] "dladm: invalid vnic name 'x': object not found"; "invalid link name" for show-link.
    "dladm": ("object not found", "invalid link name"),
    # [mem] "cannot open 'pool/x': dataset does not exist", rc 1.
    "zfs": ("dataset does not exist",),
    # [mem] "cannot open 'tank': no such pool".
    "zpool": ("no such pool",),
    # [tool] "svcs: Pattern 'x' doesn't match any instances", rc 1.
    "svcs": ("doesn't match any instances",),
    # [mem] svcadm/svccfg wording for an unknown FMRI.
    "svcadm": ("doesn't match any instances", "not found"),
    "svccfg": ("doesn't match any instances", "doesn't match any entities", "not found"),
    # [mem] ipadm: "Object not found" / "Interface does not exist" / "No such interface".
    "ipadm": ("object not found", "interface does not exist", "no such interface", "address object not found"),
}


def is_not_found(tool, rc, stderr):
    """True when `tool` failed because the object it was asked about does not exist."""
    if not rc:
        return False
    text = (stderr or "").lower()
    return any(needle in text for needle in NOT_FOUND_TEXTS.get(tool, ()))


def not_found(tool):
    """A predicate (rc, stderr) -> bool for `tool`, for CommandRunner.read(missing=...)."""
    if tool not in NOT_FOUND_TEXTS:
        raise KeyError("no not-found texts known for %r" % tool)

    def predicate(rc, stderr):
        return is_not_found(tool, rc, stderr)
    predicate.tool = tool
    return predicate
