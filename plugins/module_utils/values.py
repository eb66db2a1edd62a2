# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Value normalisation, in one place.

Idempotence compares what the user set with what the host reports. Both go
through these functions first, so `2G`, `2048M` and `2147483648` are equal,
and `2:8:20:a:b:c` equals `02:08:20:0A:0B:0C`.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTPE]?)(?:i?B)?\s*$", re.IGNORECASE)
_UNITS = "KMGTPE"

# Zone (machine) names: the agent's rule (agent-api.md section 3), at most 64 chars.
ZONE_NAME_RE = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-_.]*[a-zA-Z0-9])?$")
# DNS-ish hostname label(s) for settings.hostname / settings.domain.
HOSTNAME_RE = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?$")
DOMAIN_RE = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$")
SERVER_ID_RE = re.compile(r"^\d{1,8}$")
# VNIC names must start with a letter and end in a digit (dladm rule, enforced by the agent).
VNIC_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*[0-9]$")
LINK_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*[0-9]$")
# Paths passed to zonecfg: absolute, no shell or zonecfg metacharacters.
PATH_RE = re.compile(r"^/[A-Za-z0-9._+\-/]*$")
ZVOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9._:\-]+)+$")
TAG_RE = re.compile(r"^[A-Za-z0-9._:=@+\-]{1,128}$")
# Zone brands the agent knows (agent-api.md section 3).
BRANDS = ("bhyve", "lx", "lipkg", "sparse", "pkgsrc", "kvm")
# dladm: MAXLINKNAMELEN is 32 with the terminating NUL.
MAX_LINK_NAME = 31
LINK_RULE = "a datalink name: a letter first, a digit last, letters, digits and '_' between, at most 31 characters"
# ipadm: the part after the slash of an address object is alphanumeric, starts with a letter.
ADDROBJ_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9]{0,31}$")

_TRUE = frozenset(("true", "on", "yes", "1", "y"))
_FALSE = frozenset(("false", "off", "no", "0", "n", ""))


def parse_size(value, what="size"):
    """Return a size in bytes from 1024, '1024', '10G', '10240M', '1.5T', '8KiB'."""
    if isinstance(value, bool):
        raise InputError("%s must be a size such as 10G, got %r" % (what, value))
    if isinstance(value, int):
        if value < 0:
            raise InputError("%s must not be negative, got %r" % (what, value))
        return value
    match = _SIZE_RE.match(str(value))
    if not match:
        raise InputError("%s must be a size such as 512M, 10G or a byte count, got %r" % (what, value))
    number, unit = match.groups()
    factor = 1024 ** (_UNITS.index(unit.upper()) + 1) if unit else 1
    size = int(float(number) * factor)
    if size > 1024 ** 6:
        raise InputError("%s %r is larger than any pool can hold" % (what, value))
    return size


def format_size(size):
    """Bytes as the shortest exact agent/zonecfg size string: 2147483648 -> '2G'."""
    size = int(size)
    for index in range(len(_UNITS), 0, -1):
        factor = 1024 ** index
        if size and size % factor == 0:
            return "%d%s" % (size // factor, _UNITS[index - 1])
    return str(size)


def normalize_mac(value, what="mac_address"):
    """'2:8:20:a:b:c' / '02-08-20-0A-0B-0C' -> '02:08:20:0a:0b:0c'."""
    parts = re.split(r"[:\-]", str(value).strip())
    if len(parts) != 6 or not all(re.match(r"^[0-9A-Fa-f]{1,2}$", p) for p in parts):
        raise InputError("%s must be a MAC address such as 02:08:20:0a:0b:0c, got %r" % (what, value))
    return ":".join("%02x" % int(p, 16) for p in parts)


def to_bool(value, what="value"):
    """Booleans the agent reports as 'true'/'false'/'on'/'off' strings."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError("%s must be a boolean, got %r" % (what, value))


def to_int(value, what="value", minimum=None, maximum=None):
    if isinstance(value, bool):
        raise InputError("%s must be an integer, got %r" % (what, value))
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InputError("%s must be an integer, got %r" % (what, value))
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        raise InputError("%s must be between %s and %s, got %r" % (what, minimum, maximum, value))
    return number


def check_pattern(value, pattern, what, rule):
    """Refuse a value that does not match `pattern`; `rule` explains the rule."""
    text = "" if value is None else str(value)
    if not pattern.match(text):
        raise InputError("invalid %s %r: %s" % (what, text, rule))
    return text


def check_zone_name(name):
    check_pattern(name, ZONE_NAME_RE, "zone name",
                  "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
    if len(name) > 64:
        raise InputError("invalid zone name %r: at most 64 characters" % name)
    return name


def check_vlan_id(value, what="vlan_id"):
    return to_int(value, what, 1, 4094)


def check_cidr(value, what="address", require_prefix=True):
    """'10.0.0.5/24' -> normalised interface string; refuses a missing prefix."""
    text = str(value).strip()
    if require_prefix and "/" not in text:
        raise InputError("%s %r needs a prefix length, e.g. %s/24" % (what, text, text))
    try:
        return str(ipaddress.ip_interface(text))
    except ValueError:
        raise InputError("%s %r is not a valid IP address with prefix" % (what, text))


def check_link_name(value, what="link"):
    """Names that reach dladm/ipadm unquoted (through the agent, too): refuse anything else."""
    text = check_pattern(value, LINK_NAME_RE, what, LINK_RULE)
    if len(text) > MAX_LINK_NAME:
        raise InputError("invalid %s %r: %s" % (what, text, LINK_RULE))
    return text


def check_addrobj(value, what="addrobj"):
    """'vnic0/v4' -> ('vnic0', 'v4'); both parts reach ipadm unquoted."""
    text = "" if value is None else str(value).strip()
    interface, sep, name = text.partition("/")
    rule = "<interface>/<name>, e.g. vnic0/v4: the interface is a datalink name, the name letters and digits"
    if not sep or not ADDROBJ_NAME_RE.match(name):
        raise InputError("invalid %s %r: %s" % (what, text, rule))
    check_link_name(interface, "%s interface" % what)
    return interface, name


def ipv4_address(value, what):
    """A dotted IPv4 address, normalised ('010.1.1.1' is refused, as the agent would write it as given)."""
    text = str(value).strip()
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise InputError("%s must be an IPv4 address such as 10.190.190.10, got %r" % (what, text))


def ipv4_network(subnet, netmask=None):
    """(subnet, netmask) in any of the forms below -> IPv4Network; InputError otherwise.

    subnet: '10.190.190.0/24' or '10.190.190.0' (then netmask is needed);
    netmask: '255.255.255.0', '24' or '/24'.
    """
    text = str(subnet).strip()
    address, slash, prefix = text.partition("/")
    mask = None if netmask is None else str(netmask).strip().lstrip("/")
    if slash and mask is not None:
        try:
            same = ipaddress.IPv4Network("0.0.0.0/%s" % prefix).prefixlen == ipaddress.IPv4Network(
                "0.0.0.0/%s" % mask).prefixlen
        except ValueError:
            same = False
        if not same:
            raise InputError("subnet %r and netmask %r disagree; give the prefix in one of them" % (text, netmask))
    mask = prefix if slash else mask
    if not mask:
        raise InputError("subnet %r needs a netmask: write it as %s/24 or set netmask: 255.255.255.0" % (text, text))
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        raise InputError("subnet %r is not an IPv4 network address such as 10.190.190.0" % text)
    try:
        network = ipaddress.IPv4Network("%s/%s" % (ip, mask), strict=False)
    except ValueError:
        raise InputError("netmask %r is not a valid IPv4 netmask or prefix length (e.g. 255.255.255.0 or 24)" % mask)
    if network.network_address != ip:
        raise InputError("subnet %s/%s has host bits set; did you mean %s?" % (ip, network.prefixlen, network))
    return network


def ipnat_ipv4(text):
    """The address part of an ipnat address ('0' is ipnat's shorthand for 0.0.0.0); ValueError otherwise."""
    if text == "0":
        return ipaddress.IPv4Address("0.0.0.0")
    if text.count(".") != 3:
        raise ValueError(text)
    return ipaddress.IPv4Address(text)
