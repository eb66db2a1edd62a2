"""`ipnat`: the IP Filter NAT rules of the simulated host's kernel (illumos-native.md 1.9).

    ipnat -l                 the loaded rules, then the sessions (none are modelled)
    ipnat -n -f FILE         check FILE's syntax only (no kernel access)
    ipnat [-C] [-F] [-r] -f FILE ...    flush rules (-C) / the NAT table (-F), load (or remove, -r) FILE's rules

The kernel's rules are natdhcp.py's st.nat["loaded"]: what IP Filter loaded from
its ipnat.conf at its last start or refresh (svcadm), changed by `ipnat -f`.
The agent face lists the same text as active_rules. Everything but -n needs
network/ipfilter online; otherwise the ioctls fail with an I/O error [mem].
FILE is what the shim sent for `-f FILE` (read on the caller's side), else the
local file; `-f -` reads standard input. Rules are printed as ipnat -l
prints them: 0/32 as 0.0.0.0/32 [mem]. Syntax errors name the line [mem: wording].
"""
from __future__ import annotations

from ..natdhcp import ipnat_list, parse_ipnat, read_file_operand

TOOL = "ipnat"
USAGE_RC = 1
FLAGS = "CFdhlnrsvf"
USAGE = "Usage: ipnat [-CdFhlnrsvz] [-f filename]"


def _parse(inv):
    """-> (set of flag letters, [file names])."""
    flags, names, argv, i = set(), [], inv.argv, 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            inv.fail(f"ipnat: unexpected argument '{arg}'\n{USAGE}", USAGE_RC)
        for letter in arg[1:]:
            if letter == "z":
                inv.fail("ipnat: -z (a zone's IP stack) is not implemented by zoneweaver-sim", 2)
            if letter not in FLAGS:
                inv.fail(f"ipnat: illegal option -- {letter}\n{USAGE}", USAGE_RC)
            if letter == "f":
                if i + 1 >= len(argv):
                    inv.fail(f"ipnat: option requires an argument -- f\n{USAGE}", USAGE_RC)
                i += 1
                names.append(argv[i])
            flags.add(letter)
        i += 1
    return flags, names


def is_mutating(inv) -> bool:
    try:
        flags, _names = _parse(inv)
    except Exception:
        return False
    return "n" not in flags and bool(flags & {"C", "F", "f"})


def run(inv):
    flags, names = _parse(inv)
    if not flags:
        inv.fail(USAGE, USAGE_RC)
    if "s" in flags:
        inv.fail("ipnat: -s (statistics) is not implemented by zoneweaver-sim", 2)
    files = []
    for name in names:
        rules, error = parse_ipnat(read_file_operand(inv, name, f"ipnat: open({name}): No such file or directory"))
        if error:
            inv.fail(f"ipnat: {name}: {error}", 1)
        files.append(rules)
    if "n" in flags:
        return 0
    st = inv.state
    if st.nat["service"]["state"] not in ("online", "degraded"):
        call = "SIOCIPFFL" if flags & {"C", "F"} else "SIOCADNAT" if files else "SIOCGNATS"
        inv.fail(f"ipnat: ioctl({call}): I/O error", 1)
    if "loaded" not in st.nat:
        st.nat["loaded"] = [r["raw_rule"] for r in st.nat["rules"]]
    if "C" in flags:
        inv.out(f"{len(st.nat['loaded'])} entries flushed from NAT list")
        st.nat["loaded"] = []
    if "F" in flags:
        inv.out("0 entries flushed from NAT table")
    for rules in files:
        if "r" in flags:
            st.nat["loaded"] = [r for r in st.nat["loaded"] if r not in rules]
        else:
            st.nat["loaded"] = st.nat["loaded"] + rules
    if files or flags & {"C", "F"}:
        st.dirty = True
    if "l" in flags:
        inv.out(ipnat_list(st))
    return 0
