"""`routeadm`: the simulated host's global IP forwarding (illumos-native.md 1.7).

    routeadm                                    the human report [mem: layout]
    routeadm -p [OPTION|VARIABLE ...]           one line per option, then per variable
    routeadm [-u] [-e OPTION]... [-d OPTION]... [-r OPTION]...

`-p` prints network.routeadm_text() (the text the agent's GET
/network/forwarding parses, so both faces read one truth): `name
persistent=... default=... current=...`, variable lines end with a space.
-e/-d/-r change the persistent setting (enabled, disabled, default), which
the running system follows only after `-u` (given alone or with them), as on
illumos. Only ipv4-forwarding and ipv6-forwarding can be changed here; the
routing options and -s variables are not modelled. Exit code 1 for a refusal
[mem], texts [mem].
"""
from __future__ import annotations

from .. import network as model
from .dladm import getopt

TOOL = "routeadm"
USAGE_RC = 1
USAGE = ("usage: routeadm [-p [option]]\n"
         "       routeadm [-R <root-dir>] [-e <option> ...] [-d <option> ...] [-r <option> ...]\n"
         "       routeadm [-R <root-dir>] -u")
FORWARDING = {"ipv4-forwarding": "ipv4", "ipv6-forwarding": "ipv6"}
OPTIONS = ("ipv4-forwarding", "ipv4-routing", "ipv6-forwarding", "ipv6-routing")
CHANGES = {"e": "enabled", "d": "disabled", "r": "default"}


def is_mutating(inv) -> bool:
    return any(a.startswith("-") and set(a[1:]) & set("edrsu") for a in inv.argv)


def _report_lines(inv):
    """{name: line} of `routeadm -p`, in its order."""
    lines = {}
    for line in model.routeadm_text(inv.state).split("\n"):
        if line:
            lines[line.split(" ", 1)[0]] = line
    return lines


def _human(inv):
    """The table routeadm prints without options [mem: column layout]."""
    st = inv.state
    inv.out("              Configuration   Current              Current")
    inv.out("                     Option   Configuration        System State")
    inv.out("---------------------------------------------------------------")
    inv.out(f"{'IPv4 routing':>27}   {'enabled (default)':<20} disabled")
    inv.out(f"{'IPv6 routing':>27}   {'disabled (default)':<20} disabled")
    for proto, label in (("ipv4", "IPv4 forwarding"), ("ipv6", "IPv6 forwarding")):
        entry = st.forwarding[proto]
        config = entry["persistent"]
        if config == "default":
            config = f"{model.FORWARDING_DEFAULT} (default)"
        inv.out(f"{label:>27}   {config:<20} {entry['current']}")
    inv.out("")
    inv.out(f"{'Routing services':>27}   \"route:default ripng:default\"")


def run(inv):
    opts, operands = getopt(inv, inv.argv, "pue:d:r:s:R:lm", USAGE)
    letters = [key for key, _value in opts]
    if "p" in letters:
        if len(letters) > 1:
            inv.fail(USAGE, USAGE_RC)
        lines = _report_lines(inv)
        for name in operands or lines:
            if name not in lines:
                inv.fail(f"routeadm: {name}: unknown option or variable")          # [mem]
            inv.out(lines[name])
        return 0
    if operands:
        inv.fail(USAGE, USAGE_RC)
    if not opts:
        _human(inv)
        return 0
    for key, value in opts:
        if key in ("s", "R", "l", "m"):
            inv.fail(f"routeadm: -{key}: not supported by zoneweaver-sim")
        if key in CHANGES:
            if value not in OPTIONS:
                inv.fail(f"routeadm: {value}: unknown option")                     # [mem]
            if value not in FORWARDING:
                inv.fail(f"routeadm: {value}: not supported by zoneweaver-sim (forwarding only)")
    for key, value in opts:
        if key in CHANGES:
            model.routeadm_set(inv.state, FORWARDING[value], CHANGES[key])
    if "u" in letters:
        model.routeadm_update(inv.state)
    return 0
