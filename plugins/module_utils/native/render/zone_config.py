# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A new zone's spec -> its zonecfg config dict (then render/zonecfg.render_config).

bhyve (illumos-native.md 1.4, 2): attrs ram, vcpus, bootrom, bootdisk,
diskN, cdromN, vnc, cloud-init helpers, extra and any other brand attribute;
every zvol is also exposed with `add device; set match=/dev/zvol/rdsk/<ds>`
[MAN7], every ISO with a read-only lofs mount of the same path
(`add fs ... add options ro; add options nodevices`) [reference 1.4]; NICs are
`add net` with physical and the OmniOS on-demand VNIC properties.
ipkg/lipkg/sparse/pkgsrc/lx: zonepath, brand, autoboot, ip-type, nets,
datasets, fs; lx takes its kernel-version attribute.

All values are validated here with values.py rules, and quoted by the
renderer; nothing a user writes can become a zonecfg command.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render.zonecfg import (
    CLOUD_INIT_ATTRS, MAX_CDROMS, MAX_DISKS, NIC_PROPS, ZVOL_DEVICE, BOOTROM_RE, BOOTROM_RULE, cloud_value,
    check_link, nic_value, format_ram, format_vcpus)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_syntax import (
    check_prop_name, check_value)

BRANDS = ("bhyve", "ipkg", "lipkg", "sparse", "pkgsrc", "lx")
IP_TYPES = ("exclusive", "shared")
ATTR_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")
SERIAL_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,20}$")
KERNEL_VERSION_RE = re.compile(r"^[0-9][0-9.]*$")
FS_TYPES_RE = re.compile(r"^[a-z][a-z0-9]*$")
# Spec keys each family understands; anything else is refused, never ignored.
COMMON_KEYS = frozenset(("brand", "zonepath", "autoboot", "ip_type", "nics", "datasets", "fs", "attrs", "limitpriv"))
BHYVE_KEYS = COMMON_KEYS | {"ram", "vcpus", "bootrom", "boot_disk", "disks", "cdroms", "vnc", "cloud_init", "extra"}
LX_KEYS = COMMON_KEYS | {"kernel_version"}


def _attr(name, value):
    return {"name": name, "type": "string", "value": check_value(value, "attr %s" % name)}


def _nic(nic, index):
    what = "nics[%d]" % index
    if not isinstance(nic, dict):
        raise InputError("%s must be a dictionary" % what)
    unknown = set(nic) - {"physical", "properties"} - {k for k, _p in NIC_PROPS}
    if unknown:
        raise InputError("%s has unknown keys: %s" % (what, ", ".join(sorted(unknown))))
    net = {"physical": check_link(nic.get("physical"), what + ".physical")}
    for key, prop in NIC_PROPS:
        value = nic.get(key)
        if value in (None, "") or (key == "mac_address" and value in ("auto", "random", "factory")):
            continue
        net[prop] = nic_value(key, value)
    props = nic.get("properties") or {}
    if props:
        net["property"] = [{"name": check_prop_name(k, what + " property name"), "value": check_value(v, k)}
                           for k, v in sorted(props.items())]
    return net


def _fs(entry, index):
    what = "fs[%d]" % index
    if not isinstance(entry, dict) or not entry.get("dir") or not entry.get("special"):
        raise InputError("%s needs dir and special" % what)
    fs = {"dir": values.check_pattern(entry["dir"], values.PATH_RE, what + ".dir", "an absolute path"),
          "special": check_value(entry["special"], what + ".special"),
          "type": values.check_pattern(entry.get("type") or "lofs", FS_TYPES_RE, what + ".type", "a file system type")}
    options = [check_value(o, what + ".options") for o in entry.get("options") or ()]
    if options:
        fs["options"] = options
    return fs


def _common(spec, allowed):
    unknown = set(spec) - allowed
    if unknown:
        raise InputError("zone spec for brand %s has unknown keys: %s" % (spec.get("brand"), ", ".join(sorted(unknown))))
    ip_type = spec.get("ip_type") or "exclusive"
    if ip_type not in IP_TYPES:
        raise InputError("ip_type must be one of %s, got %r" % (", ".join(IP_TYPES), ip_type))
    config = {
        "zonepath": values.check_pattern(spec.get("zonepath"), values.PATH_RE, "zonepath",
                                         "an absolute path such as /rpool/zones/web01/path"),
        "brand": spec["brand"],
        "autoboot": "true" if values.to_bool(spec.get("autoboot", False), "autoboot") else "false",
    }
    if spec.get("limitpriv"):
        config["limitpriv"] = check_value(spec["limitpriv"], "limitpriv")
    config["ip-type"] = ip_type
    return config


def _finish(config, fs, nets, devices, attrs, datasets):
    for key, items in (("fs", fs), ("net", nets), ("device", devices), ("attr", attrs), ("dataset", datasets)):
        if items:
            config[key] = items
    return config


def _extra_attrs(spec, taken):
    attrs = []
    for name, value in sorted((spec.get("attrs") or {}).items()):
        values.check_pattern(name, ATTR_NAME_RE, "attribute name", "a letter, then letters, digits, '_', '.', '-'")
        if name in taken:
            raise InputError("attribute %s is set by its own option; remove it from attrs" % name)
        if value is None:
            continue
        attrs.append(_attr(name, value))
    return attrs


def _boot_disk(boot):
    if isinstance(boot, dict):
        path, serial = boot.get("path"), boot.get("serial")
    else:
        path, serial = boot, None
    path = values.check_pattern(path, values.ZVOL_RE, "boot_disk", "a zvol name such as rpool/zones/web01/boot")
    if serial is not None:
        values.check_pattern(serial, SERIAL_RE, "boot_disk serial", "up to 20 letters, digits, '_', '.', '-'")
        return path, "%s,serial=%s" % (path, serial)
    return path, path


def bhyve_config(spec):
    spec = dict(spec, brand="bhyve")
    config = _common(spec, BHYVE_KEYS)
    if config["ip-type"] != "exclusive":
        raise InputError("bhyve zones use ip_type=exclusive")
    attrs, devices, fs, taken = [], [], [], set()

    def add(name, value):
        taken.add(name)
        if value not in (None, ""):
            attrs.append(_attr(name, value))
    if spec.get("ram") is not None:
        add("ram", format_ram(spec["ram"]))
    if spec.get("vcpus") is not None:
        add("vcpus", format_vcpus(spec["vcpus"]))
    if spec.get("bootrom"):
        add("bootrom", values.check_pattern(spec["bootrom"], BOOTROM_RE, "bootrom", BOOTROM_RULE))
    if spec.get("boot_disk"):
        path, value = _boot_disk(spec["boot_disk"])
        add("bootdisk", value)
        devices.append({"match": ZVOL_DEVICE % path})
    disks = list(spec.get("disks") or ())
    if len(disks) > MAX_DISKS:
        raise InputError("at most %d disks, got %d" % (MAX_DISKS, len(disks)))
    for index, disk in enumerate(disks):
        path = disk.get("path") if isinstance(disk, dict) else disk
        path = values.check_pattern(path, values.ZVOL_RE, "disks[%d]" % index, "a zvol name such as rpool/vols/disk0")
        add("disk%d" % index, path)
        devices.append({"match": ZVOL_DEVICE % path})
    cdroms = list(spec.get("cdroms") or ())
    if len(cdroms) > MAX_CDROMS:
        raise InputError("at most %d cdroms, got %d" % (MAX_CDROMS, len(cdroms)))
    for index, path in enumerate(cdroms):
        path = values.check_pattern(path, values.PATH_RE, "cdroms[%d]" % index, "an absolute path to an ISO")
        add("cdrom%d" % index, path)
        fs.append({"dir": path, "special": path, "type": "lofs", "options": ["ro", "nodevices"]})
    if spec.get("vnc") is not None:
        vnc = spec["vnc"]
        add("vnc", ("on" if vnc else "off") if isinstance(vnc, bool) else check_value(vnc, "vnc"))
    cloud = spec.get("cloud_init") or {}
    unknown = set(cloud) - {k for k, _a in CLOUD_INIT_ATTRS}
    if unknown:
        raise InputError("cloud_init has unknown keys: %s" % ", ".join(sorted(unknown)))
    for key, attr in CLOUD_INIT_ATTRS:
        if key in cloud:
            add(attr, cloud_value(key, cloud[key]))
    if spec.get("extra"):
        add("extra", check_value(spec["extra"], "extra"))
    attrs += _extra_attrs(spec, taken)
    fs += [_fs(e, i) for i, e in enumerate(spec.get("fs") or ())]
    nets = [_nic(n, i) for i, n in enumerate(spec.get("nics") or ())]
    datasets = [{"name": values.check_pattern(d, values.ZVOL_RE, "dataset", "a dataset name such as rpool/data/web")}
                for d in spec.get("datasets") or ()]
    return _finish(config, fs, nets, devices, attrs, datasets)


def os_zone_config(spec):
    """ipkg, lipkg, sparse, pkgsrc and lx zones."""
    allowed = LX_KEYS if spec.get("brand") == "lx" else COMMON_KEYS
    config = _common(spec, allowed)
    taken, attrs = set(), []
    if spec.get("brand") == "lx" and spec.get("kernel_version"):
        taken.add("kernel-version")
        attrs.append(_attr("kernel-version", values.check_pattern(
            spec["kernel_version"], KERNEL_VERSION_RE, "kernel_version", "a version such as 4.4")))
    attrs += _extra_attrs(spec, taken)
    fs = [_fs(e, i) for i, e in enumerate(spec.get("fs") or ())]
    nets = [_nic(n, i) for i, n in enumerate(spec.get("nics") or ())]
    if config["ip-type"] == "shared" and nets:
        raise InputError("nics here describe exclusive-IP links; shared-IP zones are not supported by this renderer")
    datasets = [{"name": values.check_pattern(d, values.ZVOL_RE, "dataset", "a dataset name such as rpool/data/web")}
                for d in spec.get("datasets") or ()]
    return _finish(config, fs, nets, [], attrs, datasets)


def build_config(spec):
    """Spec (underscore keys, as the zone resource normalises them) -> config dict."""
    brand = spec.get("brand")
    if brand not in BRANDS:
        raise InputError("brand must be one of %s for the native backend, got %r" % (", ".join(BRANDS), brand))
    if brand == "bhyve":
        return bhyve_config(spec)
    return os_zone_config(spec)
