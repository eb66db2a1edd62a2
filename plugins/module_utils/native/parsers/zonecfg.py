# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`zonecfg -z Z export` and `zonecfg -z Z info` (illumos-native.md 1.2, 1.3).

Both give the same config dict, close to the agent's `zadm show` view:
global properties as hyphenated string keys (`zonepath`, `brand`, `autoboot`
'true'/'false', `ip-type`, ...) and each resource type as a list of dicts
(`net`, `fs`, `device`, `attr`, `dataset`, `rctl`, ...). Multi-valued
properties are lists: fs `options` [str], net/device `property`
[{name, value}], rctl `value` [{priv, limit, action}]. bhyve attributes stay
in `attr` [{name, type, value}] (zone_view accepts that form), so nothing
is lost and render/zonecfg.py can write the config back unchanged.

Export is the machine format; `info` adds what export lacks (the zone name,
aliased resource controls such as `[cpu-shares: 1]`) and is parsed tolerantly.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_syntax import (
    LIST_PROPS, RESOURCE_TYPES, parse_complex, parse_list, unquote)


def _error(msg, lineno, line):
    return ParseError("zonecfg export line %d: %s" % (lineno, msg), tool="zonecfg", line=line)


def _set_value(rest, lineno, line):
    """'zonepath=/z/p' / 'value="a b"' / 'value=sockets=1,cores=2' -> (key, value).

    Everything after the first '=' is the value: illumos-gate prints values
    with '=' bare (only spaces trigger quotes), OmniOS quotes them.
    """
    key, sep, value = rest.partition("=")
    key = key.strip()
    if not sep or not key:
        raise _error("expected 'set name=value'", lineno, line)
    value = value.strip()
    if value.startswith('"'):
        if len(value) < 2 or not value.endswith('"') or '"' in value[1:-1]:
            raise _error("unbalanced quotes", lineno, line)
        value = value[1:-1]
    return key, value


def _add_list_value(resource, rtype, rest, lineno, line):
    """`add options ro` / `add property (name=netif,value="e1000")` / `add value (priv=..)`."""
    prop, _sep, raw = rest.strip().partition(" ")
    raw = raw.strip()
    if not prop or not raw:
        raise _error("expected 'add <property> <value>'", lineno, line)
    keys = LIST_PROPS.get(rtype, {}).get(prop)
    if keys is not None or raw.startswith("("):
        value = parse_complex(raw)
        if value is None:
            raise _error("expected a (name=value,...) list", lineno, line)
    else:
        value = unquote(raw)
    resource.setdefault(prop, []).append(value)


def parse_export(text, zonename=None):
    """Export text -> config dict. `zonename` (export does not print it) is added when given."""
    config = {}
    if zonename is not None:
        config["zonename"] = zonename
    rtype, resource = None, None
    for lineno, raw in enumerate(str(text or "").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _sep, rest = line.partition(" ")
        if word == "create":
            if rtype is not None:
                raise _error("create inside a resource", lineno, raw)
            continue
        if word in ("commit", "verify", "exit"):
            continue
        if word == "set":
            key, value = _set_value(rest, lineno, raw)
            (resource if rtype is not None else config)[key] = value
        elif word == "add" and rtype is None:
            rtype, resource = rest.strip(), {}
            if not rtype or " " in rtype:
                raise _error("expected 'add <resource-type>'", lineno, raw)
        elif word == "add":
            _add_list_value(resource, rtype, rest, lineno, raw)
        elif word == "end":
            if rtype is None:
                raise _error("'end' outside a resource", lineno, raw)
            config.setdefault(rtype, []).append(resource)
            rtype, resource = None, None
        else:
            raise _error("unexpected command %r" % word, lineno, raw)
    if rtype is not None:
        raise ParseError("zonecfg export ended inside an unfinished '%s' resource" % rtype, tool="zonecfg")
    return config


# --------------------------------------------------------------------------- info
def _info_pair(body):
    """'key: value' / '[key: value]' / 'key not specified' -> (key, value|None) or None."""
    body = body.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    if body.endswith(" not specified"):
        return body[:-len(" not specified")].strip(), None
    key, sep, value = body.partition(":")
    if not sep or not key or " " in key.strip():
        return None
    return key.strip(), value.strip()


def _is_header(lines, index):
    """'net:' starts a resource when it is a known type or tab-indented lines follow.
    ('bootargs: ' with its trailing space lost would otherwise look the same.)"""
    line = lines[index].rstrip()
    if not line.endswith(":") or line.startswith(("\t", " ")) or " " in line:
        return False
    name = line[:-1]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    return name in RESOURCE_TYPES or following.startswith("\t")


def _info_resource_value(rtype, key, value):
    if key == "options":
        listed = parse_list(value)
        return listed if listed is not None else [unquote(value)]
    if key == "property" or (rtype == "rctl" and key == "value"):
        return parse_complex(value)
    return unquote(value)


def parse_info(text):
    """`zonecfg -z Z info` -> config dict (same shape as parse_export)."""
    lines = [line.rstrip("\r") for line in str(text or "").split("\n")]
    config = {}
    rtype, resource = None, None
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if _is_header(lines, index):
            if rtype is not None:
                config.setdefault(rtype, []).append(resource)
            rtype, resource = line.strip()[:-1], {}
            continue
        indented = line.startswith(("\t", " "))
        if not indented and rtype is not None:
            config.setdefault(rtype, []).append(resource)
            rtype, resource = None, None
        pair = _info_pair(line)
        if pair is None:
            raise ParseError("zonecfg info printed an unexpected line", tool="zonecfg", line=line)
        key, value = pair
        if value is None:
            continue
        if rtype is None:
            config[key] = unquote(value)
            continue
        parsed = _info_resource_value(rtype, key, value)
        if parsed is None:
            raise ParseError("zonecfg info printed an unreadable %s value" % key, tool="zonecfg", line=line)
        if key == "options":
            if parsed:  # `options: []` means none; export omits the key then
                resource[key] = parsed
        elif key == "property" or (rtype == "rctl" and key == "value"):
            resource.setdefault(key, []).append(parsed)
        else:
            resource[key] = parsed
    if rtype is not None:
        config.setdefault(rtype, []).append(resource)
    # info prints empty globals as 'bootargs: ' [src info_bootargs]; export omits them.
    return {k: v for k, v in config.items() if v != ""}


def attrs(config):
    """{attr name: value} of a config's `attr` resources."""
    return {a.get("name"): a.get("value") for a in config.get("attr") or () if a.get("name")}
