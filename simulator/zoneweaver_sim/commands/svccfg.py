"""`svccfg -s FMRI`: the `config` properties of the simulated host's SMF instances
(illumos-native.md 1.10, 1.11).

    svccfg -s FMRI listprop [pattern]
    svccfg -s FMRI setprop config/NAME = [TYPE:] VALUE        (or = [TYPE:] ("v1" "v2"))
    svccfg -s FMRI delprop config/NAME
    svccfg -s FMRI refresh

Properties (natdhcp.smf_props): ipfilter's config/ipnat_config_file, and
dhcp:ipv4's config/config_file, config/lease_file and config/listen_ifnames
(the value the agent face reports as listen_interface). The file paths are
paths on this machine (under the simulator's files root by default), so
pointing a service at another file is one setprop. listprop prints
`name  type  "value" ...` with astring values quoted [ZWA]; a property that
does not exist prints nothing. Values are live at once (the running snapshot
that `svcadm refresh` would update is not modelled [mem]).
"""
from __future__ import annotations

import fnmatch
import re

from ..natdhcp import smf_delprop, smf_props, smf_setprop, svc_refresh
from .svcs import match_instances

TOOL = "svccfg"
USAGE_RC = 2
READ_SUBCOMMANDS = ("listprop", "listpg", "list", "describe", "export", "help")
GROUP = "config"
# the SMF property types (scf_type_t); setprop refuses any other word [mem: svccfg(8)]
PROPERTY_TYPES = frozenset(("boolean", "count", "integer", "time", "astring", "opaque", "ustring", "uri", "fmri",
                            "host", "hostname", "net_address", "net_address_v4", "net_address_v6"))
USAGE = "Usage: svccfg [-v] [-s FMRI] [-f file] [command [args...]]"
_VALUE = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def _split(argv):
    """-> (fmri pattern or None, subcommand or None, args)."""
    pattern, i = None, 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "-s" and i + 1 < len(argv):
            pattern = argv[i + 1]
            i += 2
        elif argv[i] == "-v":
            i += 1
        else:
            return pattern, None, argv[i:]
    return pattern, (argv[i] if i < len(argv) else None), argv[i + 1:]


def is_mutating(inv) -> bool:
    _pattern, sub, _args = _split(inv.argv)
    return sub is not None and sub not in READ_SUBCOMMANDS


def _values(text: str) -> list[str]:
    return [plain or quoted.replace('\\"', '"') for quoted, plain in _VALUE.findall(text)]


def _shown(ptype: str, values: list[str]) -> str:
    if ptype in ("astring", "ustring", "fmri", "host", "hostname", "net_address", "uri"):
        return " ".join('"%s"' % v.replace('"', '\\"') for v in values)
    return " ".join(values)


def _listprop(inv, fmri, pattern):
    props = smf_props(inv.sim, fmri)
    if pattern is None or pattern == GROUP:
        shown = props
        lines = [(GROUP, "application", "")]
    else:
        shown = [p for p in props if p[0] == pattern or fnmatch.fnmatchcase(p[0], pattern)]
        lines = [(GROUP, "application", "")] if fnmatch.fnmatchcase(GROUP, pattern) else []
    lines += [(name, ptype, _shown(ptype, values)) for name, ptype, values in shown]
    width = max((len(name) for name, _t, _v in lines), default=0) + 2
    for name, ptype, values in lines:
        inv.out(f"{name:<{width}}{ptype}" + (f"  {values}" if values else ""))


def _setprop(inv, fmri, args):
    text = " ".join(args)
    match = re.match(r"^\s*([^\s=]+)\s*=\s*(?:([a-z_]+):\s*)?(.*?)\s*$", text)
    if not match:
        inv.fail("svccfg: Syntax error.\nUsage: setprop pg/name = [type:] value", 1)
    name, ptype, rest = match.groups()
    if ptype is not None and ptype not in PROPERTY_TYPES:   # svccfg knows only the SMF types
        inv.fail(f"svccfg: Unknown type \"{ptype}\".", 1)
    group, slash, _prop = name.partition("/")
    if not slash:
        inv.fail(f"svccfg: Property names must be of the form pg/name: \"{name}\".", 1)
    if group != GROUP:
        inv.fail(f"svccfg: No such property group \"{group}\".", 1)
    if rest.startswith("(") and rest.endswith(")"):
        values = _values(rest[1:-1])
    else:
        values = _values(rest)
        if len(values) != 1:
            inv.fail("svccfg: Syntax error: one value, or a list in parentheses, expected.", 1)
    current = next((p for p in smf_props(inv.sim, fmri) if p[0] == name), None)
    if ptype is None:
        if current is None:
            inv.fail("svccfg: Type required for new properties.", 1)
        ptype = current[1]
    smf_setprop(inv.sim, fmri, name, ptype, values)


def run(inv):
    pattern, sub, args = _split(inv.argv)
    if pattern is None or sub is None:
        inv.fail(f"{USAGE}\nzoneweaver-sim: give -s FMRI and a subcommand (interactive mode is not supported)",
                 USAGE_RC)
    found = match_instances(pattern, inv.sim)
    if not found:
        inv.fail(f"svccfg: Pattern '{pattern}' doesn't match any instances or services.", 1)
    if len(found) > 1:
        inv.fail(f"svccfg: Pattern '{pattern}' matches multiple instances.", 1)
    fmri = found[0]
    if sub == "listprop":
        _listprop(inv, fmri, args[0] if args else None)
    elif sub == "setprop":
        _setprop(inv, fmri, args)
    elif sub == "delprop":
        if len(args) != 1:
            inv.fail("svccfg: Syntax error.\nUsage: delprop pg/name", 1)
        if not smf_delprop(inv.sim, fmri, args[0]):
            inv.fail(f"svccfg: Couldn't find property \"{args[0]}\".", 1)
    elif sub == "refresh":
        svc_refresh(inv.sim, fmri)
    else:
        inv.fail(f"svccfg: {sub} is not implemented by zoneweaver-sim", USAGE_RC)
    return 0
