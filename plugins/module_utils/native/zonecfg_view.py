# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A parsed zonecfg config (+ its zoneadm line) -> the normalised zone view.

The view is built by resources/zone_view.view_from_agent, the same function
the agent backend uses, so both backends produce the same keys and the same
normalisation; this module only reshapes the native data the way zadm shows
it (bhyve attributes at the top level, disks as {path}) and converts the one
value whose meaning differs: bhyve `ram`.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import view_from_agent

# Attributes whose value is `zvol[,option=...]` (bootdisk path[,serial=...]) [src BOOTPY].
_DISK_ATTR = re.compile(r"^(bootdisk|disk\d*)$")
MIB = 1024 ** 2


class _NativeDialect:
    """view_from_agent reads the zone's summary under dialect.info_key."""
    info_key = "machine_info"


def parse_bhyve_ram(value):
    """bhyve `ram` attr -> bytes. A bare number below 1 MiB counts MiB [src BOOTPY]:
    `ram=2048` is 2 GiB, not 2 KiB. Suffixes k/m/g/t as in values.parse_size."""
    text = str(value).strip()
    if text.isdigit():
        number = int(text)
        return number * MIB if number < MIB else number
    return values.parse_size(text, "ram")


def disk_path(value):
    """'rpool/zones/vm1/boot,serial=ABC' -> 'rpool/zones/vm1/boot'."""
    if value is None:
        return None
    return str(value).split(",", 1)[0]


def flat_config(config):
    """The config as zadm shows it: attributes at the top level, disk attributes
    as {path, options}, ram in bytes. Global properties win over attrs of the same name."""
    flat = {}
    for attr in config.get("attr") or ():
        name, value = attr.get("name"), attr.get("value")
        if not name:
            continue
        if _DISK_ATTR.match(name) and value:
            path, _sep, options = str(value).partition(",")
            flat[name] = {"path": path, "options": options or None}
        elif name == "ram" and value:
            flat[name] = str(parse_bhyve_ram(value))
        else:
            flat[name] = value
    for key, value in config.items():
        if key != "attr":
            flat[key] = value
    return flat


def view_from_config(config, zone=None, name=None):
    """config (parsers/zonecfg) + zone (parsers/zoneadm line, optional) -> zone view.

    The name comes from `name`, the zoneadm line or the config's zonename;
    the state from the zoneadm line (None when not given). The brand falls
    back to zoneadm's, since export omits the native brand.
    """
    zone = zone or {}
    info = {
        "name": name or zone.get("name") or config.get("zonename"),
        "status": zone.get("state"),
        "brand": config.get("brand") or zone.get("brand"),
    }
    return view_from_agent({"machine_info": info, "configuration": flat_config(config)}, _NativeDialect)
