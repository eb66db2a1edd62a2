"""`svcs`: the SMF instances of the simulated host (illumos-native.md 1.11).

    svcs [-aH] [-o col[,col]...] [pattern...]      columns: state, nstate, stime, fmri
    svcs -x[v] [pattern...]                        why an instance is not running

The instances and their states are natdhcp.py's model (SMF_INSTANCES), the
same ones the agent face reports (GET /network/nat/status and
/network/dhcp/status), so `svcs` and the agent always agree.

Columns are padded (STATE 14, NSTATE 14, STIME 8 wide [mem]), the last one
is not. Without patterns only enabled instances (and any not disabled) are
listed, as svcs does without -a. Patterns follow svcs's matching: a full FMRI,
the trailing components of the service (`ipfilter`, `service/dhcp`), an
optional `:instance`, or a glob. A pattern matching nothing prints
`svcs: Pattern 'x' doesn't match any instances` and makes the exit code 1.
"""
from __future__ import annotations

import fnmatch
from datetime import datetime

from ..natdhcp import SMF_INSTANCES, smf_fmris, smf_instance, svcs_stime

TOOL = "svcs"
USAGE_RC = 2
COLUMNS = {"state": 14, "nstate": 14, "stime": 8, "fmri": 0}
DEFAULT_COLUMNS = ("state", "stime", "fmri")
USAGE = "Usage: svcs [-aHpv?] [-o col[,col]...] [-R FMRI-instance]... [-sS col] [-Z | -z zone ]\n" \
        "\t[<service> | <pattern>]...\n       svcs -x [-v] [-Z | -z zone ] [<service> | <pattern>]..."


def match_instances(pattern: str, sim=None) -> list[str]:
    """The FMRIs of SMF_INSTANCES that `pattern` names, in registry order (with `sim`: only
    the instances that host has)."""
    known = smf_fmris(sim) if sim is not None else list(SMF_INSTANCES)
    if any(c in pattern for c in "*?["):
        return [f for f in known if fnmatch.fnmatchcase(f, pattern) or fnmatch.fnmatchcase(f[5:], pattern)]
    text = pattern
    absolute = text.startswith("svc:/")
    if absolute:
        text = text[5:]
    elif text.startswith("/"):
        text, absolute = text[1:], True
    service, _colon, instance = text.partition(":")
    found = []
    for fmri in known:
        path, _c, inst = fmri[5:].partition(":")
        if instance and inst != instance:
            continue
        if path == service or (not absolute and path.endswith("/" + service)):
            found.append(fmri)
    return found


def is_mutating(inv) -> bool:
    return False


def _columns(inv, spec: str) -> list[str]:
    names = [c.strip().lower() for c in spec.split(",") if c.strip()]
    for name in names:
        if name not in COLUMNS:
            inv.fail(f"svcs: Unrecognized column \"{name}\".\n{USAGE}", USAGE_RC)
    return names


def _row(sim, fmri: str, columns: list[str]) -> str:
    svc = smf_instance(sim, fmri)
    values = {"state": svc["state"], "nstate": "-", "stime": svcs_stime(svc.get("since")) or "-", "fmri": fmri}
    cells = []
    for index, name in enumerate(columns):
        last = index == len(columns) - 1
        width = COLUMNS[name]
        cells.append(values[name] if last or not width else f"{values[name]:<{width}}")
    return " ".join(cells)


def _when(iso: str | None) -> str:
    """svcs -x's `since` text, e.g. 'Fri Nov 22 07:39:00 2025' (UTC here)."""
    if not iso:
        return "-"
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%a %b %d %H:%M:%S %Y")


def _explain(inv, fmri: str, verbose: bool) -> None:
    svc = smf_instance(inv.sim, fmri)
    state = svc["state"]
    inv.out(f"{fmri}")
    inv.out(f" State: {state} since {_when(svc.get('since'))}")
    if state == "maintenance":
        inv.out(f"Reason: {svc.get('reason') or 'Start method failed.'}")
        inv.out(f"   See: svcs -xv {fmri}" if not verbose else "   See: the service's log")
        inv.out("Impact: This service is not running.")
    elif state == "disabled":
        inv.out("Reason: Disabled by an administrator.")
        inv.out("Impact: This service is not running.")
    inv.out("")


def run(inv):
    argv = inv.argv
    columns, header, every, explain, verbose, patterns = list(DEFAULT_COLUMNS), True, False, False, False, []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            patterns += argv[i + 1:]
            break
        if not arg.startswith("-") or arg == "-":
            patterns.append(arg)
            i += 1
            continue
        letters = arg[1:]
        for pos, letter in enumerate(letters):
            if letter == "H":
                header = False
            elif letter == "a":
                every = True
            elif letter == "x":
                explain = True
            elif letter == "v":
                verbose = True
            elif letter == "o":
                spec = letters[pos + 1:] or (argv[i + 1] if i + 1 < len(argv) else None)
                if spec is None:
                    inv.fail(f"svcs: option requires an argument -- o\n{USAGE}", USAGE_RC)
                columns = _columns(inv, spec)
                if not letters[pos + 1:]:
                    i += 1
                break
            elif letter in ("z", "Z"):
                inv.fail("svcs: -z/-Z (services of a zone) is not implemented by zoneweaver-sim", USAGE_RC)
            else:
                inv.fail(f"svcs: illegal option -- {letter}\n{USAGE}", USAGE_RC)
        i += 1
    rc = 0
    if patterns:
        fmris = []
        for pattern in patterns:
            found = match_instances(pattern, inv.sim)
            if not found:
                inv.err(f"svcs: Pattern '{pattern}' doesn't match any instances")
                rc = 1
            fmris += [f for f in found if f not in fmris]
    else:
        fmris = [f for f in smf_fmris(inv.sim)
                 if every or explain or smf_instance(inv.sim, f).get("enabled") or smf_instance(inv.sim, f)["state"] != "disabled"]
    if explain:
        for fmri in fmris:
            if patterns or smf_instance(inv.sim, fmri)["state"] not in ("online", "disabled"):
                _explain(inv, fmri, verbose)
        return rc
    if header and fmris:
        inv.out(_header(columns))
    for fmri in fmris:
        inv.out(_row(inv.sim, fmri, columns))
    return rc


def _header(columns: list[str]) -> str:
    cells = []
    for index, name in enumerate(columns):
        width = COLUMNS[name]
        title = name.upper()
        cells.append(title if index == len(columns) - 1 or not width else f"{title:<{width}}")
    return " ".join(cells)
