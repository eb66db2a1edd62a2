# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""zonecfg's vocabulary and quoting rules, shared by the parser and the renderers.

What the lexer accepts [src zonecfg_lex.l, illumos-gate and illumos-omnios]:
- an unquoted value is a run of characters other than space, TAB, newline,
  '"', ';', '=', '[', ']', '(' and ')' (and ',' inside lists/parentheses);
- a quoted value is '"' + anything but '"' and newline + '"'. There is no
  escape character at all: a value can never contain '"' or a newline;
- an unquoted value that equals a keyword (net, value, default, ...) is read
  as that keyword, so it must be quoted;
- ';' and newline end a command, '#' at the start of a command is a comment.
So every value written here is double-quoted and values with '"', newlines
or other control characters are refused: a value can then never end the
command early or start another one (no zonecfg injection).

Export formats [src zonecfg.c export_func]: illumos-gate quotes a property
only when it contains a space (quoteit); OmniOS (illumos-omnios) quotes every
resource property (export_prop) but prints the global properties (zonepath,
brand, autoboot, ip-type, ...) bare. The parser accepts both.
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError

# Global properties in export order; zonename is printed by `info` only.
GLOBAL_PROPS = ("zonename", "zonepath", "brand", "autoboot", "bootargs", "pool", "limitpriv", "scheduling-class",
                "ip-type", "hostid", "fs-allowed")
# Resource types in export order (capped-memory: illumos-gate only; OmniOS exports it as rctls).
RESOURCE_TYPES = ("fs", "net", "device", "capped-memory", "rctl", "attr", "dataset", "dedicated-cpu", "capped-cpu",
                  "admin", "security-flags")
# Simple properties of each resource in export order [src export_func, illumos-omnios].
RESOURCE_PROPS = {
    "fs": ("dir", "special", "raw", "type"),
    "net": ("address", "allowed-address", "physical", "mac-addr", "vlan-id", "global-nic", "defrouter"),
    "device": ("match",),
    "capped-memory": ("physical", "swap", "locked"),
    "rctl": ("name",),
    "attr": ("name", "type", "value"),
    "dataset": ("name",),
    "dedicated-cpu": ("ncpus", "importance"),
    "capped-cpu": ("ncpus",),
    "admin": ("user", "auths"),
    "security-flags": ("default", "lower", "upper"),
}
# Multi-valued properties, written with `add <prop> ...` inside the resource:
# fs options are simple values; net/device `property` and rctl `value` are
# complex values `(k=v,k=v)` whose keys are listed here in export order.
LIST_PROPS = {"fs": {"options": None}, "net": {"property": ("name", "value")},
              "device": {"property": ("name", "value")}, "rctl": {"value": ("priv", "limit", "action")}}

# Words the lexer returns as keywords rather than as a value [src zonecfg_lex.l].
KEYWORDS = frozenset((
    "add", "cancel", "clear", "commit", "create", "delete", "end", "exit", "export", "help", "info", "remove",
    "revert", "select", "set", "verify", "net", "fs", "inherit-pkg-dir", "device", "rctl", "attr", "zonename",
    "dataset", "dedicated-cpu", "capped-cpu", "capped-memory", "zonepath", "brand", "autoboot", "pool", "limitpriv",
    "bootargs", "type", "value", "options", "address", "physical", "dir", "special", "raw", "name", "match",
    "priv", "limit", "action", "ncpus", "locked", "swap", "importance", "cpu-shares", "max-lwps", "max-processes",
    "max-shm-memory", "max-shm-ids", "max-msg-ids", "max-sem-ids", "max-locked-memory", "max-swap",
    "scheduling-class", "ip-type", "hostid", "user", "auths", "fs-allowed", "default", "lower", "upper",
    "zfs-io-priority", "allowed-address", "defrouter", "global-nic", "mac-addr", "vlan-id", "property", "admin",
    "security-flags",
))

_UNQUOTED = re.compile(r'^[^\s";=\[\]()#,]+$')
_FORBIDDEN = re.compile(r'["\x00-\x1f\x7f]')
PROP_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        raise InputError("a zonecfg value is missing (None)")
    return str(value)


def check_value(value, what="zonecfg value"):
    """The value as text; InputError when zonecfg could not take it literally."""
    text = _text(value)
    bad = _FORBIDDEN.search(text)
    if bad:
        raise InputError("%s %r contains %r: zonecfg has no way to quote a double quote, newline or control "
                         "character" % (what, text, bad.group(0)),
                         hint="remove that character from the value")
    return text


def quote(value, what="zonecfg value"):
    """A value for `set k=<here>`, always double-quoted (safe for any checked value)."""
    return '"%s"' % check_value(value, what)


def bare_or_quoted(value, what="zonecfg value"):
    """Bare when the lexer would read it back unchanged, else quoted (how export prints globals)."""
    text = check_value(value, what)
    if _UNQUOTED.match(text) and text not in KEYWORDS:
        return text
    return '"%s"' % text


def check_prop_name(name, what="zonecfg property name"):
    if not isinstance(name, str) or not PROP_NAME_RE.match(name):
        raise InputError("invalid %s %r: lower-case letters, digits and '-'" % (what, name))
    return name


def unquote(text):
    """A value as printed by export/info: '"a b"' -> 'a b', 'ab' -> 'ab'."""
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def split_outside_quotes(text, sep=","):
    """Split on `sep` where it is not inside double quotes."""
    parts, buf, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(char)
    parts.append("".join(buf))
    return parts


def parse_complex(text):
    """'(name=netif,value="e1000")' -> {'name': 'netif', 'value': 'e1000'}; None if not complex."""
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        return None
    result = {}
    for pair in split_outside_quotes(text[1:-1]):
        key, sep, value = pair.partition("=")
        if not sep:
            return None
        result[key.strip()] = unquote(value)
    return result


def parse_list(text):
    """'[ro,nodevices]' or '[ro,"a=b"]' -> ['ro', 'nodevices'] / ['ro', 'a=b']; None if not a list."""
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    inner = text[1:-1].strip()
    return [unquote(part) for part in split_outside_quotes(inner)] if inner else []
