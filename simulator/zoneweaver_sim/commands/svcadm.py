"""`svcadm`: act on the SMF instances of the simulated host (illumos-native.md 1.11).

    svcadm [-v] enable [-rst] FMRI...      svcadm [-v] disable [-st] FMRI...
    svcadm [-v] restart [-d] FMRI...       svcadm [-v] refresh FMRI...
    svcadm [-v] clear FMRI...              svcadm [-v] mark [-It] maintenance|degraded FMRI...

The semantics are natdhcp.py's (svc_enable, svc_disable, ...), shared with the
agent face: enable starts a disabled instance (IP Filter loads its ipnat.conf,
dhcpd checks its dhcpd.conf; a failure puts it in maintenance) but leaves one
in maintenance there; clear starts it again (only from maintenance or
degraded, else an error); restart acts only on a running instance; refresh
reloads IP Filter's rules. With -s, enable and disable fail when the instance
ends in maintenance [mem: wording]. Each FMRI pattern must name exactly one
instance (svcs's matching).
"""
from __future__ import annotations

from ..natdhcp import (smf_instance, svc_clear, svc_disable, svc_enable, svc_mark, svc_refresh,
                       svc_restart)
from .svcs import match_instances

TOOL = "svcadm"
USAGE_RC = 2
SUBCOMMANDS = {"enable": "rst", "disable": "st", "restart": "d", "refresh": "", "clear": "", "mark": "It"}
USAGE = ("Usage: svcadm [-S <state>] [-v] [cmd [args ... ]]\n\n"
         "\tsvcadm enable [-rst] <service> ...\t- enable and online service(s)\n"
         "\tsvcadm disable [-st] <service> ...\t- disable and offline service(s)\n"
         "\tsvcadm restart [-d] <service> ...\t- restart specified service(s)\n"
         "\tsvcadm refresh <service> ...\t\t- re-read service configuration\n"
         "\tsvcadm mark [-It] <state> <service> ...\t- set maintenance state\n"
         "\tsvcadm clear <service> ...\t\t- clear maintenance state")


def is_mutating(inv) -> bool:
    return True


def _split(inv):
    """-> (verbose, subcommand, flags, operands)."""
    argv = list(inv.argv)
    verbose = False
    while argv and argv[0].startswith("-"):
        if argv[0] != "-v":
            inv.fail(f"svcadm: illegal option -- {argv[0].lstrip('-')[:1]}\n{USAGE}", USAGE_RC)
        verbose = True
        argv.pop(0)
    if not argv or argv[0] not in SUBCOMMANDS:
        inv.fail(USAGE, USAGE_RC)
    sub, rest = argv[0], argv[1:]
    flags = set()
    while rest and rest[0].startswith("-") and rest[0] != "-":
        for letter in rest.pop(0)[1:]:
            if letter not in SUBCOMMANDS[sub]:
                inv.fail(f"svcadm: illegal option -- {letter}\n{USAGE}", USAGE_RC)
            flags.add(letter)
    return verbose, sub, flags, rest


def run(inv):
    verbose, sub, flags, operands = _split(inv)
    target = None
    if sub == "mark":
        if not operands or operands[0] not in ("maintenance", "degraded"):
            inv.fail(USAGE, USAGE_RC)
        target, operands = operands[0], operands[1:]
    if not operands:
        inv.fail(USAGE, USAGE_RC)
    rc = 0
    for pattern in operands:
        found = match_instances(pattern, inv.sim)
        if not found:
            inv.err(f"svcadm: Pattern '{pattern}' doesn't match any instances")
            rc = 1
            continue
        if len(found) > 1:
            inv.err(f"svcadm: Pattern '{pattern}' matches multiple instances:\n" + "".join(f"\t{f}\n" for f in found))
            rc = 1
            continue
        fmri = found[0]
        if sub == "enable":
            svc_enable(inv.sim, fmri)
        elif sub == "disable":
            svc_disable(inv.sim, fmri)
        elif sub == "restart":
            svc_restart(inv.sim, fmri)
        elif sub == "refresh":
            svc_refresh(inv.sim, fmri)
        elif sub == "clear":
            try:
                svc_clear(inv.sim, fmri)
            except ValueError as exc:
                inv.err(f"svcadm: {exc}")
                rc = 1
                continue
        else:
            svc_mark(inv.sim, fmri, target)
        if "s" in flags and smf_instance(inv.sim, fmri)["state"] == "maintenance":
            inv.err(f"svcadm: Instance \"{fmri}\" has entered the maintenance state.")
            rc = 1
            continue
        if verbose:
            inv.out(f"{fmri} {_past(sub)}.")
    return rc


def _past(sub: str) -> str:
    return {"enable": "enabled", "disable": "disabled", "restart": "restarted", "refresh": "refreshed",
            "clear": "cleared", "mark": "marked"}[sub]
