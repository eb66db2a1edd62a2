"""`zlogin ZONE COMMAND...`: run a command "inside" a running zone, minimally.

The simulated zones have no processes, so only a few commands answer:
`echo ARGS`, `true`, `false`, `exit N`, `hostname` / `zonename` (the zone's
name), `uname [-a|-s|-n|-r]`. Anything else is `sh: CMD: not found`, exit
127, as from a shell that lacks it. `;` separates commands; the last exit
code is zlogin's. Console (-C) and interactive logins are refused.
"""
from __future__ import annotations

import shlex

TOOL = "zlogin"
READ_ONLY = frozenset(("echo", "true", "false", "exit", "hostname", "zonename", "uname"))
UNAME = {"-s": "SunOS", "-n": None, "-r": "5.11", "-v": "omnios-r151054", "-m": "i86pc", "-p": "i386"}


def _split(argv):
    """zlogin [-l user] [-e c] [-ESQN] [-C] zone [command...] -> (flags, zone, command words)."""
    flags, i = set(), 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in ("-l", "-e") and i + 1 < len(argv):
            i += 2
            continue
        flags.update(argv[i][1:])
        i += 1
    if i >= len(argv):
        return flags, None, []
    return flags, argv[i], argv[i + 1:]


def is_mutating(inv) -> bool:
    _flags, _zone, words = _split(inv.argv)
    try:
        commands = [c.split() for c in " ".join(words).split(";") if c.strip()]
    except ValueError:
        return True
    return any(c[0] not in READ_ONLY for c in commands)


def _one(inv, zone, words):
    cmd, args = words[0], words[1:]
    if cmd == "echo":
        inv.out(" ".join(args))
        return 0
    if cmd in ("true", "false"):
        return 0 if cmd == "true" else 1
    if cmd == "exit":
        return int(args[0]) if args and args[0].isdigit() else 0
    if cmd in ("hostname", "zonename"):
        inv.out(zone)
        return 0
    if cmd == "uname":
        if "-a" in args:
            inv.out(f"SunOS {zone} 5.11 omnios-r151054 i86pc i386 i86pc")
        else:
            inv.out(" ".join(UNAME.get(a) or zone for a in (args or ["-s"])))
        return 0
    inv.err(f"sh: {cmd}: not found")
    return 127


def run(inv):
    flags, zone, words = _split(inv.argv)
    if "C" in flags:
        inv.fail("zlogin: the console (-C) is not supported by zoneweaver-sim")
    if not zone:
        inv.fail("usage: zlogin [-dCEQSN] [-e cmdchar] [-l user] zonename [command [argument ...]]", 2)
    hz = inv.state.host_zones.get(zone)
    if hz is None:
        inv.fail(f"zlogin: zone '{zone}' unknown")   # [mem]
    if hz["state"] != "running":
        inv.fail(f"zlogin: login allowed only to running zones ({zone} is '{hz['state']}').")   # [mem]
    if not words:
        inv.fail("zlogin: interactive logins are not supported by zoneweaver-sim; give a command")
    rc = 0
    for part in " ".join(words).split(";"):
        try:
            command = shlex.split(part)
        except ValueError as exc:
            inv.fail(f"sh: syntax error: {exc}", 2)
        if not command:
            continue
        rc = _one(inv, zone, command)
        if command[0] == "exit":
            break
    return rc
