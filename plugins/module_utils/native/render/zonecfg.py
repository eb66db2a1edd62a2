# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""zonecfg command files: a whole config (for `create`) and change scripts.

render_config(config) writes a config dict (the shape parsers/zonecfg gives)
as the command file `zonecfg -z Z -f -` reads; its text is the same as
OmniOS's `zonecfg export`, so parse_export(render_config(c)) == c.

render_changes(config, changes) turns the zone resource's change set into
select/set/end, add/end and remove commands against the zone's current
config. It needs the parsed config, not only the view, because it must know
which attributes and resources exist: `select` of a missing attr and `add`
of an existing one both fail, and attributes such as `password` never appear
in the view.

Feed scripts on stdin (`zonecfg -z Z -f -`, data=script): values such as a
cloud-init password then never appear in a process listing or an error's
command line. zonecfg commits at the end of the file; an error anywhere
makes it exit non-zero without committing [src zonecfg.c read_input, mem for
the exact behaviour of partial files].
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_syntax import (
    GLOBAL_PROPS, LIST_PROPS, RESOURCE_PROPS, RESOURCE_TYPES, bare_or_quoted, check_prop_name, quote)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import normalize_vcpus

ZVOL_DEVICE = "/dev/zvol/rdsk/%s"
SECRET_ATTRS = frozenset(("password",))
# cloud_init keys of the change set -> bhyve attribute names [src BOOTPY].
CLOUD_INIT_ATTRS = (("enabled", "cloud-init"), ("dns_domain", "dns-domain"), ("resolvers", "resolvers"),
                    ("sshkey", "sshkey"), ("password", "password"))
NIC_PROPS = (("allowed_address", "allowed-address"), ("mac_address", "mac-addr"), ("vlan_id", "vlan-id"),
             ("global_nic", "global-nic"), ("defrouter", "defrouter"))
MAX_DISKS, MAX_CDROMS = 16, 8  # diskN with N < 16, cdromN with N < 8 [src BOOTPY]
HANDLED_CHANGES = frozenset(("autoboot", "ram", "vcpus", "bootrom", "add_cdroms", "remove_cdroms", "add_disks",
                             "remove_disks", "add_nics", "update_nics", "remove_nics", "cloud_init"))
BOOTROM_RE = re.compile(r"^[A-Za-z0-9_./\-]+$")
BOOTROM_RULE = "a firmware name such as BHYVE_RELEASE or BHYVE_RELEASE_CSM, or an absolute path"


# --------------------------------------------------------------------------- whole config
def _ordered(keys, known):
    return [k for k in known if k in keys] + sorted(k for k in keys if k not in known)


def _complex(value, keys, what):
    unknown = set(value) - set(keys)
    if unknown:
        raise InputError("%s has unknown keys %s" % (what, ", ".join(sorted(unknown))))
    # The key (name=, priv=, ...) is a bare word; only the value part is quoted, as export does.
    parts = ["%s=%s" % (k, bare_or_quoted(value[k], what)) if k != "value" else "%s=%s" % (k, quote(value[k], what))
             for k in keys if value.get(k) is not None]
    return "(%s)" % ",".join(parts)


def _resource_lines(rtype, resource):
    check_prop_name(rtype, "zonecfg resource type")
    lines = ["add %s" % rtype]
    lists = LIST_PROPS.get(rtype, {})
    simple = [k for k in resource if k not in lists]
    for key in _ordered(simple, RESOURCE_PROPS.get(rtype, ())):
        value = resource[key]
        if value in (None, ""):
            continue
        check_prop_name(key)
        lines.append("set %s=%s" % (key, quote(value, "%s %s" % (rtype, key))))
    for key, keys in lists.items():
        for item in resource.get(key) or ():
            what = "%s %s" % (rtype, key)
            if keys is None:
                lines.append("add %s %s" % (key, bare_or_quoted(item, what)))
            else:
                lines.append("add %s %s" % (key, _complex(item, keys, what)))
    lines.append("end")
    return lines


def render_config(config):
    """A config dict -> zonecfg command file text (create -b, globals, resources)."""
    lines = ["create -b"]
    scalars = [k for k, v in config.items() if not isinstance(v, list) and k != "zonename"]
    for key in _ordered(scalars, GLOBAL_PROPS):
        value = config[key]
        if value in (None, ""):
            continue
        check_prop_name(key)
        lines.append("set %s=%s" % (key, bare_or_quoted(value, key)))
    resources = [k for k, v in config.items() if isinstance(v, list)]
    for rtype in _ordered(resources, RESOURCE_TYPES):
        for resource in config[rtype]:
            lines.extend(_resource_lines(rtype, resource))
    return "\n".join(lines) + "\n"


def config_secrets(config):
    """Values in a config that must be masked in messages (e.g. the cloud-init password)."""
    return [a["value"] for a in config.get("attr") or () if a.get("name") in SECRET_ATTRS and a.get("value")]


# --------------------------------------------------------------------------- value formats
def format_ram(size):
    """bytes -> '4G'. Only whole MiB: a bare byte count below 1 MiB would be read as MiB by bhyve."""
    size = values.parse_size(size, "ram")
    if size < 1024 ** 2 or size % (1024 ** 2):
        raise InputError("ram must be a whole number of MiB (at least 1M), got %r" % size)
    return values.format_size(size)


def format_vcpus(value):
    """2 -> '2'; {'sockets': 1, 'cores': 2} / 'sockets=1,cores=2,threads=1' -> canonical topology."""
    if isinstance(value, dict):
        value = ",".join("%s=%s" % (k, value[k]) for k in ("sockets", "cores", "threads") if value.get(k) is not None)
    try:
        normalized = normalize_vcpus(value)
    except (TypeError, ValueError):
        raise InputError("vcpus must be a count or sockets=S,cores=C,threads=T, got %r" % (value,))
    if normalized is None:
        raise InputError("vcpus must not be empty")
    if isinstance(normalized, int) and normalized < 1:
        raise InputError("vcpus must be at least 1, got %r" % (value,))
    return str(normalized)


# --------------------------------------------------------------------------- change scripts
class _Script:
    """Accumulates commands against a copy of the config, so later steps see earlier ones."""

    def __init__(self, config):
        self.lines = []
        self.attrs = {a["name"]: a.get("value") for a in config.get("attr") or () if a.get("name")}
        self.devices = {d.get("match") for d in config.get("device") or ()}
        self.fs_dirs = {f.get("dir") for f in config.get("fs") or ()}
        self.nets = {n.get("physical") for n in config.get("net") or ()}

    def set_attr(self, name, value):
        """Set, add or (value None/'') remove one string attr."""
        if value in (None, ""):
            if name in self.attrs:
                self.lines.append("remove attr name=%s" % quote(name))
                del self.attrs[name]
            return
        if name in self.attrs:
            if self.attrs[name] != str(value):
                self.lines += ["select attr name=%s" % quote(name), "set value=%s" % quote(value, name), "end"]
        else:
            self.lines += ["add attr", "set name=%s" % quote(name), 'set type="string"',
                           "set value=%s" % quote(value, name), "end"]
        self.attrs[name] = str(value)

    def add_device(self, match):
        if match not in self.devices:
            self.lines += ["add device", "set match=%s" % quote(match), "end"]
            self.devices.add(match)

    def remove_device(self, match):
        if match in self.devices:
            self.lines.append("remove device match=%s" % quote(match))
            self.devices.discard(match)

    def add_lofs(self, path):
        if path not in self.fs_dirs:
            self.lines += ["add fs", "set dir=%s" % quote(path), "set special=%s" % quote(path), 'set type="lofs"',
                           "add options ro", "add options nodevices", "end"]
            self.fs_dirs.add(path)

    def remove_fs(self, path):
        if path in self.fs_dirs:
            self.lines.append("remove fs dir=%s" % quote(path))
            self.fs_dirs.discard(path)

    def free_name(self, prefix, limit):
        for index in range(limit):
            name = "%s%d" % (prefix, index)
            if name not in self.attrs and not (prefix == "cdrom" and index == 0 and "cdrom" in self.attrs):
                return name
        raise InputError("no free %sN attribute left (at most %d)" % (prefix, limit))


def net_lines(nic, select=None):
    """`add net` (or `select net physical=X`) ... `end` for a NIC dict (zone resource keys)."""
    lines = ["select net physical=%s" % quote(select)] if select else ["add net"]
    if not select:
        lines.append("set physical=%s" % quote(check_link(nic.get("physical"), "nic physical")))
    for key, prop in NIC_PROPS:
        value = nic.get(key)
        if value in (None, "") or (key == "mac_address" and value in ("auto", "random", "factory")):
            continue  # no mac-addr means zoneadmd picks one; auto/random are not zonecfg values
        lines.append("set %s=%s" % (prop, quote(nic_value(key, value), "nic %s" % key)))
    for name, value in sorted((nic.get("properties") or {}).items()):
        check_prop_name(name, "nic property name")
        lines.append("add property (name=%s,value=%s)" % (name, quote(value, "nic property %s" % name)))
    lines.append("end")
    return lines


def check_link(value, what):
    return values.check_pattern(value, values.LINK_NAME_RE, what,
                                "a link name that starts with a letter and ends in a digit")


def nic_value(key, value):
    if key == "global_nic":
        return value if value == "auto" else check_link(value, "nic global_nic")
    if key == "vlan_id":
        return str(values.check_vlan_id(value, "nic vlan_id"))
    if key == "mac_address":
        return values.normalize_mac(value, "nic mac_address")
    if key in ("allowed_address",):
        return values.check_cidr(value, "nic allowed_address")
    if key == "defrouter":
        return values.check_cidr(value, "nic defrouter", require_prefix=False).partition("/")[0]
    return value


def _cdrom_attr(script, name):
    """The attr actually holding cdrom `name` ('cdrom0' may be stored as plain 'cdrom')."""
    if name in script.attrs:
        return name
    if name == "cdrom0" and "cdrom" in script.attrs:
        return "cdrom"
    return None


def render_changes(config, changes):
    """(current config, change set from resources/zone.config_changes) -> script text.

    Removals come first so freed diskN/cdromN names and NIC names can be
    reused by additions in the same script. Returns '' when nothing changes.
    """
    unknown = set(changes) - HANDLED_CHANGES
    if unknown:
        raise InputError("the native backend cannot change %s of a zone" % ", ".join(sorted(unknown)),
                         hint="zonecfg has no place for these; leave them unset with backend=native")
    script = _Script(config)
    lines = script.lines
    if "autoboot" in changes:
        lines.append("set autoboot=%s" % ("true" if values.to_bool(changes["autoboot"], "autoboot") else "false"))
    if "ram" in changes:
        script.set_attr("ram", format_ram(changes["ram"]))
    if "vcpus" in changes:
        script.set_attr("vcpus", format_vcpus(changes["vcpus"]))
    if "bootrom" in changes:
        script.set_attr("bootrom", values.check_pattern(changes["bootrom"], BOOTROM_RE, "bootrom", BOOTROM_RULE))
    for name in changes.get("remove_cdroms") or ():
        attr = _cdrom_attr(script, name)
        if attr is None:
            continue
        script.remove_fs(script.attrs[attr])
        script.set_attr(attr, None)
    for name in changes.get("remove_disks") or ():
        if name in script.attrs:
            script.remove_device(ZVOL_DEVICE % script.attrs[name].split(",", 1)[0])
            script.set_attr(name, None)
    for physical in changes.get("remove_nics") or ():
        if physical in script.nets:
            lines.append("remove net physical=%s" % quote(physical))
            script.nets.discard(physical)
    for path in changes.get("add_cdroms") or ():
        path = values.check_pattern(path, values.PATH_RE, "cdrom path", "an absolute path to an ISO")
        script.set_attr(script.free_name("cdrom", MAX_CDROMS), path)
        script.add_lofs(path)
    for disk in changes.get("add_disks") or ():
        if not disk.get("path"):
            raise InputError("a new disk needs its zvol path here; create the zvol first (zfs create -V)")
        path = values.check_pattern(disk["path"], values.ZVOL_RE, "disk path", "a zvol name such as rpool/vols/disk0")
        script.set_attr(script.free_name("disk", MAX_DISKS), path)
        script.add_device(ZVOL_DEVICE % path)
    for nic in changes.get("update_nics") or ():
        physical = nic.get("physical")
        if physical not in script.nets:
            raise InputError("cannot update NIC %r: the zone has no net resource with that physical" % physical)
        lines.extend(net_lines(nic, select=physical))
    for nic in changes.get("add_nics") or ():
        lines.extend(net_lines(nic))
        script.nets.add(nic.get("physical"))
    cloud = changes.get("cloud_init") or {}
    for key, attr in CLOUD_INIT_ATTRS:
        if key in cloud:
            script.set_attr(attr, cloud_value(key, cloud[key]))
    return "\n".join(lines) + "\n" if lines else ""


def change_secrets(changes):
    """Values in a change set that must be masked in messages."""
    password = (changes.get("cloud_init") or {}).get("password")
    return [password] if password else []


def cloud_value(key, value):
    """cloud_init values as bhyve attr values; '' / [] remove the attribute."""
    if value is None:
        return None
    if key == "enabled" and isinstance(value, bool):
        return "on" if value else "off"
    if key == "resolvers":
        items = [value] if isinstance(value, str) else list(value)
        return ",".join(values.check_cidr(r, "cloud_init resolver", require_prefix=False).partition("/")[0]
                        for r in items if str(r).strip())
    if key == "dns_domain" and value:
        return values.check_pattern(value, values.DOMAIN_RE, "cloud_init dns_domain", "letters, digits, '-' and '.'")
    return str(value)
