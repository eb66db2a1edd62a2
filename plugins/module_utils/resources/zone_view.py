# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The normalised view of a zone, shared by every backend.

A backend turns what the host reports into this shape; the zone resource
compares it with the user's spec (also normalised here). Keeping one shape
means idempotence rules are written once, not per backend.

View keys: name, status, brand, vcpus (int or "sockets=..,cores=..,threads.."),
ram (bytes), autoboot (bool), bootrom, boot_disk {path, size}, disks
[{name, path}], nics [{physical, global_nic, vlan_id, mac_address,
allowed_address}], cdroms [{name, path}], cloud_init {enabled, dns_domain,
resolvers, sshkey}, tags (list), notes, server_id, pending_changes (dict|None).
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values

_DISK_KEY = re.compile(r"^disk(\d+)$")
_CDROM_KEY = re.compile(r"^cdrom(\d*)$")

# Scalar keys compared directly, in the order they appear in diffs.
SCALAR_KEYS = ("brand", "vcpus", "ram", "autoboot", "bootrom", "notes")


def _attr_map(config):
    """zadm may put bhyve attributes at top level or in attr:[{name,value}]."""
    merged = {}
    for attr in config.get("attr") or ():
        if isinstance(attr, dict) and attr.get("name"):
            merged[attr["name"]] = attr.get("value")
    merged.update({k: v for k, v in config.items() if k != "attr"})
    return merged


def _path_of(value):
    if isinstance(value, dict):
        return value.get("path")
    return value


def normalize_vcpus(value):
    """2, '2' -> 2; 'sockets=2,cores=2,threads=1' stays a canonical string."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    parts = dict(part.split("=", 1) for part in text.split(",") if "=" in part)
    return ",".join("%s=%s" % (k, int(parts.get(k, 1))) for k in ("sockets", "cores", "threads"))


def normalize_nic(entry):
    """A NIC from the agent (zonecfg hyphen keys) or the user (underscore keys)."""
    def pick(*names):
        for name in names:
            if entry.get(name) not in (None, ""):
                return entry[name]
        return None
    nic = {
        "physical": pick("physical"),
        "global_nic": pick("global_nic", "global-nic"),
        "vlan_id": pick("vlan_id", "vlan-id"),
        "mac_address": pick("mac_address", "mac_addr", "mac-addr"),
        "allowed_address": pick("allowed_address", "allowed-address"),
    }
    if nic["vlan_id"] is not None:
        nic["vlan_id"] = values.check_vlan_id(nic["vlan_id"], "nic vlan_id")
    if nic["mac_address"] not in (None, "auto", "random", "factory"):
        nic["mac_address"] = values.normalize_mac(nic["mac_address"], "nic mac_address")
    return nic


def view_from_agent(detail, dialect):
    """Build the view from GET {M} (machine_info/zone_info + configuration)."""
    info = detail.get(dialect.info_key) or detail.get("machine_info") or detail.get("zone_info") or {}
    config = detail.get("configuration") or info.get("configuration") or {}
    attrs = _attr_map(config)
    disks, cdroms = [], []
    for key in sorted(attrs, key=lambda k: (len(k), k)):
        disk = _DISK_KEY.match(key)
        if disk and attrs[key]:
            disks.append({"name": key, "path": _path_of(attrs[key])})
        cdrom = _CDROM_KEY.match(key)
        if cdrom and attrs[key]:
            # "cdrom" is how zadm shows the first one; the modify API calls it cdrom0.
            cdroms.append({"name": "cdrom%s" % (cdrom.group(1) or "0"), "path": _path_of(attrs[key])})
    boot = attrs.get("bootdisk")
    boot_disk = None
    if boot:
        size = boot.get("size") if isinstance(boot, dict) else None
        boot_disk = {"path": _path_of(boot), "size": values.parse_size(size) if size else None}
    resolvers = attrs.get("resolvers")
    view = {
        "name": info.get("name") or config.get("zonename"),
        "status": info.get("status") or detail.get("system_status"),
        "brand": info.get("brand") or config.get("brand"),
        "vcpus": normalize_vcpus(attrs.get("vcpus")),
        "ram": values.parse_size(attrs["ram"]) if attrs.get("ram") else None,
        "autoboot": values.to_bool(config.get("autoboot"), "autoboot") if config.get("autoboot") is not None else None,
        "bootrom": attrs.get("bootrom"),
        "boot_disk": boot_disk,
        "disks": disks,
        "nics": [normalize_nic(n) for n in config.get("net") or () if isinstance(n, dict)],
        "cdroms": cdroms,
        "cloud_init": {
            "enabled": attrs.get("cloud-init"),
            "dns_domain": attrs.get("dns-domain"),
            "resolvers": [r for r in str(resolvers).split(",") if r] if resolvers else None,
            "sshkey": attrs.get("sshkey"),
        },
        "tags": list(info.get("tags") or []),
        "notes": info.get("notes"),
        "server_id": info.get("server_id"),
        "vnc_port": info.get("vnc_port"),
        "pending_changes": detail.get("pending_changes") or None,
    }
    if view["pending_changes"]:
        overlay_pending(view, view["pending_changes"])
    return view


def overlay_pending(view, pending):
    """Show accrued-but-unapplied changes (0.3.9 pending_power_cycle) as the
    zone's configuration, so a re-run does not queue them again.
    [mem] the exact shape of pending_changes is not documented; it is read
    here as the accrued PUT body (field -> value)."""
    if pending.get("ram"):
        view["ram"] = values.parse_size(pending["ram"])
    if pending.get("vcpus") is not None:
        view["vcpus"] = normalize_vcpus(pending["vcpus"])
    if pending.get("autoboot") is not None:
        view["autoboot"] = values.to_bool(pending["autoboot"])
    if pending.get("bootrom"):
        view["bootrom"] = pending["bootrom"]
    removed = set(pending.get("remove_cdroms") or ())
    view["cdroms"] = [c for c in view["cdroms"] if c["name"] not in removed]
    for index, cd in enumerate(pending.get("add_cdroms") or ()):
        view["cdroms"].append({"name": "pending%d" % index, "path": cd.get("path")})
    removed = set(pending.get("remove_disks") or ())
    view["disks"] = [d for d in view["disks"] if d["name"] not in removed]
    for index, disk in enumerate(pending.get("add_disks") or ()):
        view["disks"].append({"name": "pending%d" % index, "path": disk.get("path"), "size": disk.get("size")})
    removed = set(pending.get("remove_nics") or ())
    view["nics"] = [n for n in view["nics"] if n.get("physical") not in removed]
    for nic in pending.get("add_nics") or ():
        view["nics"].append(normalize_nic(nic))
    for update in pending.get("update_nics") or ():
        for nic in view["nics"]:
            if nic.get("physical") == update.get("physical"):
                nic.update({k: v for k, v in normalize_nic(update).items() if v is not None})
    cloud = pending.get("cloud_init") or {}
    for key in ("enabled", "dns_domain", "sshkey"):
        if cloud.get(key) is not None:
            view["cloud_init"][key] = cloud[key]
    if cloud.get("resolvers"):
        view["cloud_init"]["resolvers"] = [r for r in str(cloud["resolvers"]).split(",") if r]


def public_view(view):
    """The zone as returned to playbooks: sizes as strings, no internals."""
    out = dict(view)
    if out.get("ram") is not None:
        out["ram"] = values.format_size(out["ram"])
    if out.get("boot_disk") and out["boot_disk"].get("size") is not None:
        out["boot_disk"] = dict(out["boot_disk"], size=values.format_size(out["boot_disk"]["size"]))
    out["reboot_pending"] = bool(view.get("pending_changes"))
    return out
