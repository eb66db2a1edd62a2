"""`pkg`: the IPS image of the simulated host (model in ../ips.py).

    pkg publisher [-H] [-F tsv] [publisher...]
    pkg set-publisher [-g origin]... [-G origin|*]... [-O origin] [--enable|--disable]
                      [--search-first|-P] [--sticky|--non-sticky] publisher
    pkg unset-publisher publisher...
    pkg list [-H] [-a] [-v] [pattern...]
    pkg install [-n] [-v] [-q] [--accept] [--licenses] [--no-refresh] [--no-backup-be] [--be-name BE] pkg[@ver]...
    pkg update  [-n] [-v] [-q] [-f] [--accept] [--no-refresh] [--no-backup-be] [--be-name BE] [pkg[@ver]...]
    pkg uninstall [-n] [-v] [-q] pkg...

Exit codes as pkg(1) documents them: 0 done, 1 an error, 2 bad arguments,
4 nothing to do (install of what is installed, update with nothing newer).
`pkg publisher -F tsv` prints one line per origin: PUBLISHER STICKY SYSPUB
ENABLED TYPE STATUS URI PROXY. `pkg list` shows `NAME (PUBLISHER)  VERSION
IFO`, the publisher only when it is not the first in the search order; `-v`
shows the FMRI pkg://pub/stem@version:timestamp. Adding an origin a publisher
already has is accepted without a change [mem: pkg may refuse it]; the
module checks `pkg publisher` first either way.
"""
from __future__ import annotations

from .. import ips
from ..util import now_iso

TOOL = "pkg"
USAGE_RC = 2
NOTHING_TO_DO_RC = 4
MUTATING = ("install", "update", "uninstall", "set-publisher", "unset-publisher")
USAGE = ("Usage:\n        pkg [options] command [cmd_options] [operands]\n\n"
         "Basic subcommands:\n        pkg install [-nvq] [--accept] package...\n        pkg uninstall [-nvq] package...\n"
         "        pkg update [-fnvq] [--accept] [package...]\n        pkg list [-Hav] [package...]\n"
         "        pkg publisher [-HP] [-F format] [publisher ...]\n        pkg set-publisher [-g origin] [-G origin] "
         "publisher\n        pkg unset-publisher publisher ...")
# long options of each subcommand: name -> takes a value
LONG = {"install": {"accept": False, "licenses": False, "no-refresh": False, "no-backup-be": False, "be-name": True,
                    "deny-new-be": False, "require-new-be": False, "parsable": True, "sync-actuators": False},
        "update": {"accept": False, "licenses": False, "no-refresh": False, "no-backup-be": False, "be-name": True,
                   "deny-new-be": False, "require-new-be": False, "parsable": True},
        "uninstall": {"no-backup-be": False, "be-name": True, "parsable": True},
        "set-publisher": {"enable": False, "disable": False, "search-first": False, "sticky": False,
                          "non-sticky": False, "no-refresh": False, "add-origin": True, "remove-origin": True},
        "unset-publisher": {}, "publisher": {}, "list": {"no-refresh": False}}
SHORT = {"install": ("nvq", ""), "update": ("fnvq", ""), "uninstall": ("nvq", ""), "set-publisher": ("P", "gGO"),
         "unset-publisher": ("", ""), "publisher": ("HP", "F"), "list": ("Havnu", "")}


def _sub(argv):
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] == "-R" else 1     # -R image root: one image here
    return (argv[i], argv[i + 1:]) if i < len(argv) else (None, [])


def is_mutating(inv) -> bool:
    sub, rest = _sub(inv.argv)
    if sub not in MUTATING:
        return False
    return not any(a == "-n" or (a.startswith("-") and not a.startswith("--") and "n" in a[1:]) for a in rest)


def _parse(inv, sub, args):
    """-> (flags set, options {letter or long name: [values]}, operands)."""
    flags, options, operands = set(), {}, []
    bool_letters, value_letters = SHORT[sub]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            operands += args[i + 1:]
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if name not in LONG[sub]:
                inv.fail(f"pkg {sub}: illegal option -- {name}\n{USAGE}", USAGE_RC)
            if LONG[sub][name]:
                if not eq:
                    if i + 1 >= len(args):
                        inv.fail(f"pkg {sub}: option --{name} requires an argument", USAGE_RC)
                    i += 1
                    value = args[i]
                options.setdefault(name, []).append(value)
            else:
                flags.add(name)
        elif arg.startswith("-") and arg != "-":
            letters = arg[1:]
            for pos, letter in enumerate(letters):
                if letter in bool_letters:
                    flags.add(letter)
                elif letter in value_letters:
                    value = letters[pos + 1:]
                    if not value:
                        if i + 1 >= len(args):
                            inv.fail(f"pkg {sub}: option requires an argument -- {letter}\n{USAGE}", USAGE_RC)
                        i += 1
                        value = args[i]
                    options.setdefault(letter, []).append(value)
                    break
                else:
                    inv.fail(f"pkg {sub}: illegal option -- {letter}\n{USAGE}", USAGE_RC)
        else:
            operands.append(arg)
        i += 1
    return flags, options, operands


def run(inv):
    sub, rest = _sub(inv.argv)
    if sub is None:
        inv.fail(f"pkg: no subcommand specified\n{USAGE}", USAGE_RC)
    if sub not in SHORT:
        inv.fail(f"pkg: unknown subcommand '{sub}'\n{USAGE}", USAGE_RC)
    flags, options, operands = _parse(inv, sub, rest)
    handler = {"publisher": _publisher, "set-publisher": _set_publisher, "unset-publisher": _unset_publisher,
               "list": _list, "install": _install, "update": _update, "uninstall": _uninstall}[sub]
    return handler(inv, flags, options, operands)


# --------------------------------------------------------------------------- publishers

def _publisher(inv, flags, options, operands):
    fmt = (options.get("F") or ["default"])[-1]
    if fmt not in ("default", "tsv"):
        inv.fail(f"pkg publisher: Invalid format '{fmt}'.  Supported formats: default, tsv", USAGE_RC)
    pubs = ips.publishers(inv.state)
    if operands:
        unknown = [n for n in operands if ips.publisher(inv.state, n) is None]
        if unknown:
            inv.fail("pkg publisher: Unknown publisher(s): " + ", ".join(f"'{n}'" for n in unknown), 1)
        pubs = [p for p in pubs if p["name"] in operands]
    rows = []
    for pub in pubs:
        status = "online" if pub.get("enabled", True) else "disabled"
        for origin in pub.get("origins") or ["-"]:
            rows.append((pub["name"], str(pub.get("sticky", True)).lower(), "false",
                         str(pub.get("enabled", True)).lower(), "origin", status, origin, "-"))
    if fmt == "tsv":
        if "H" not in flags:
            inv.out("PUBLISHER\tSTICKY\tSYSPUB\tENABLED\tTYPE\tSTATUS\tURI\tPROXY")
        for row in rows:
            inv.out("\t".join(row))
        return 0
    if "H" not in flags:
        inv.out(f"{'PUBLISHER':<28}{'TYPE':<9}{'STATUS':<7}{'P':<2}LOCATION")
    for name, _sticky, _sys, _enabled, kind, status, uri, _proxy in rows:
        inv.out(f"{name:<28}{kind:<9}{status:<7}{'F':<2}{uri}")
    return 0


def _set_publisher(inv, flags, options, operands):
    if len(operands) != 1:
        inv.fail(f"pkg set-publisher: requires exactly one publisher name\n{USAGE}", USAGE_RC)
    name = operands[0]
    if not ips.NAME_RE.match(name):
        inv.fail(f"pkg set-publisher: '{name}' is not a valid publisher name.", 1)
    if "enable" in flags and "disable" in flags:
        inv.fail("pkg set-publisher: the --enable and --disable options may not be combined", USAGE_RC)
    add = options.get("g", []) + options.get("add-origin", [])
    drop = options.get("G", []) + options.get("remove-origin", [])
    replace = options.get("O")
    for origin in add + (replace or []):
        if not origin.startswith(("http://", "https://", "file:/")):
            inv.fail(f"pkg set-publisher: The origin URI '{origin}' is not valid.", 1)
    pub = ips.publisher(inv.state, name)
    if pub is None:
        if not add and not replace:
            inv.fail(f"pkg set-publisher: Publisher '{name}' does not exist; an origin (-g or -O) "
                     "is required to add it.", 1)
        pub = {"name": name, "origins": [], "enabled": True, "sticky": True}
        ips.publishers(inv.state).append(pub)
    if replace:
        pub["origins"] = list(dict.fromkeys(replace))
    for origin in drop:
        if origin == "*":
            pub["origins"] = []
        elif origin in pub["origins"]:
            pub["origins"].remove(origin)
        else:
            inv.fail(f"pkg set-publisher: The origin '{origin}' does not exist for publisher '{name}'.", 1)
    for origin in add:
        if origin not in pub["origins"]:
            pub["origins"].append(origin)
    if "enable" in flags:
        pub["enabled"] = True
    if "disable" in flags:
        pub["enabled"] = False
    if "sticky" in flags:
        pub["sticky"] = True
    if "non-sticky" in flags:
        pub["sticky"] = False
    if "search-first" in flags or "P" in flags:
        pubs = ips.publishers(inv.state)
        pubs.remove(pub)
        pubs.insert(0, pub)
    inv.state.dirty = True
    return 0


def _unset_publisher(inv, flags, options, operands):
    if not operands:
        inv.fail(f"pkg unset-publisher: at least one publisher must be specified\n{USAGE}", USAGE_RC)
    for name in operands:
        pub = ips.publisher(inv.state, name)
        if pub is None:
            inv.fail(f"pkg unset-publisher: Unknown publisher '{name}'.", 1)
        in_use = sorted(stem for stem, row in ips.installed(inv.state).items() if row["publisher"] == name)
        if pub.get("sticky", True) and in_use and name in ips.OS_PUBLISHERS:
            inv.fail(f"pkg unset-publisher: Publisher '{name}' is in use by installed packages.", 1)
        ips.publishers(inv.state).remove(pub)
    inv.state.dirty = True
    return 0


# --------------------------------------------------------------------------- packages

def _fmri(stem, row):
    return f"pkg://{row['publisher']}/{stem}@{row['version']}:{ips.TIMESTAMP}"


def _list(inv, flags, options, operands):
    installed = ips.installed(inv.state)
    first = (ips.publishers(inv.state) or [{"name": None}])[0]["name"]
    rows = {stem: dict(row, ifo="i--") for stem, row in installed.items()}
    if "a" in flags:
        for stem, offers in ips.offered(inv.state).items():
            if stem not in rows:
                pub, ver = max(offers, key=lambda o: ips.version_key(o[1]))
                rows[stem] = {"publisher": pub, "version": ver, "ifo": "---"}
    shown, missing = [], []
    if operands:
        for pattern in operands:
            stem_pattern, version = ips.split_spec(pattern)
            found = [s for s in ips.match_stem(list(rows), stem_pattern)
                     if ips.version_matches(version, rows[s]["version"])]
            if not found:
                missing.append(pattern)
            shown += [s for s in found if s not in shown]
    else:
        shown = list(rows)
    shown.sort()
    if not shown:
        if operands:
            inv.fail("pkg list: No packages matching the following patterns are installed:\n"
                     + "".join(f"  {p}\n" for p in missing), 1)
        inv.fail("pkg list: No packages installed", 1)
    if "H" not in flags:
        inv.out(f"{'FMRI':<76}IFO" if "v" in flags else f"{'NAME (PUBLISHER)':<50}{'VERSION':<27}IFO")
    for stem in shown:
        row = rows[stem]
        if "v" in flags:
            inv.out(f"{_fmri(stem, row):<75} {row['ifo']}")
        else:
            name = stem if row["publisher"] == first else f"{stem} ({row['publisher']})"
            inv.out(f"{name:<49} {row['version']:<26} {row['ifo']}")
    if missing:
        inv.err("pkg list: No packages matching the following patterns are installed:\n"
                + "".join(f"  {p}\n" for p in missing))
        return 1
    return 0


def _plan_summary(inv, flags, install=(), update=(), remove=()):
    if "q" in flags:
        return
    for label, items in (("install", install), ("update", update), ("remove", remove)):
        if items:
            inv.out(f"{'Packages to ' + label + ':':>31}  {len(items):>3}")
    inv.out(f"{'Create boot environment:':>31}  No")
    if "v" in flags:
        inv.out("")
        inv.out("Changed packages:")
        for stem, before, after in list(install) + list(update) + list(remove):
            inv.out(f"{stem}\n    {before or 'None'} -> {after or 'None'}")


def _with_depends(inv, plan: dict) -> None:
    """Add the missing dependencies of the packages in `plan` (stem -> (publisher, version))."""
    pending = list(plan)
    while pending:
        stem = pending.pop()
        for dep in ips.DEPENDS.get(stem, []):
            if dep in plan or dep in ips.installed(inv.state):
                continue
            try:
                plan[dep] = ips.resolve(inv.state, dep)[1:]
            except ips.PkgError:
                inv.fail(f"pkg install: No matching version of {stem} can be installed:\n"
                         f"  Reject:  pkg://{plan[stem][0]}/{stem}@{plan[stem][1]}\n"
                         f"  Reason:  No version for 'require' dependency on {dep} can be found", 1)
            pending.append(dep)


def _apply(inv, plan: dict) -> None:
    installed = ips.installed(inv.state)
    for stem, (pub, ver) in plan.items():
        new = stem not in installed
        installed[stem] = {"publisher": pub, "version": ver, "since": now_iso()}
        if new:
            ips.deliver(inv.sim, stem)
    inv.state.dirty = True


def _install(inv, flags, options, operands):
    if not operands:
        inv.fail(f"pkg install: at least one package name required\n{USAGE}", USAGE_RC)
    installed = ips.installed(inv.state)
    plan, changes = {}, ([], [])
    for spec in operands:
        try:
            stem, pub, ver = ips.resolve(inv.state, spec)
        except ips.PkgError as exc:
            inv.fail(f"pkg install: {exc.message}", exc.rc)
        have = installed.get(stem)
        requested = ips.split_spec(spec)[1]
        if have and (requested is None or ips.version_matches(requested, have["version"])):
            continue        # installed, and at an acceptable version: nothing to do for it
        plan[stem] = (pub, ver)
        (changes[1] if have else changes[0]).append((stem, have["version"] if have else None, ver))
    _with_depends(inv, plan)
    for stem, (_pub, ver) in plan.items():
        if stem not in installed and not any(c[0] == stem for c in changes[0]):
            changes[0].append((stem, None, ver))
    if not plan:
        inv.out("No updates necessary for this image.")
        return NOTHING_TO_DO_RC
    _plan_summary(inv, flags, install=changes[0], update=changes[1])
    if "n" not in flags:
        _apply(inv, plan)
    return 0


def _update(inv, flags, options, operands):
    installed = ips.installed(inv.state)
    plan, changes = {}, []
    targets = operands or list(installed)
    for spec in targets:
        stem_pattern, requested = ips.split_spec(spec)
        stems = ips.match_stem(list(installed), stem_pattern)
        if not stems:
            inv.fail(f"pkg update: The following package(s) are not installed:\n        {spec}", 1)
        stem = stems[0]
        try:
            _stem, pub, ver = ips.resolve(inv.state, stem + (f"@{requested}" if requested else ""))
        except ips.PkgError as exc:
            if operands:
                inv.fail(f"pkg update: {exc.message}", exc.rc)
            continue        # an installed package no publisher offers any more stays as it is
        have = installed[stem]["version"]
        if requested is None and ips.version_key(ver) <= ips.version_key(have):
            continue
        if requested is not None and ips.version_matches(requested, have):
            continue
        plan[stem] = (pub, ver)
        changes.append((stem, have, ver))
    if not plan:
        inv.out("No updates available for this image.")
        return NOTHING_TO_DO_RC
    _with_depends(inv, plan)
    _plan_summary(inv, flags, update=changes)
    if "n" not in flags:
        _apply(inv, plan)
    return 0


def _uninstall(inv, flags, options, operands):
    if not operands:
        inv.fail(f"pkg uninstall: at least one package name required\n{USAGE}", USAGE_RC)
    installed = ips.installed(inv.state)
    stems = []
    for spec in operands:
        stem_pattern, _version = ips.split_spec(spec)
        found = ips.match_stem(list(installed), stem_pattern)
        if not found:
            inv.fail(f"pkg uninstall: {ips.NO_MATCH}\n\n        {spec}", 1)
        stems += [s for s in found if s not in stems]
    for stem in stems:
        needed_by = [other for other, deps in ips.DEPENDS.items()
                     if stem in deps and other in installed and other not in stems]
        if needed_by:
            inv.fail(f"pkg uninstall: Cannot remove '{stem}' due to the following packages that depend on it:\n"
                     + "".join(f"  {n}\n" for n in needed_by), 1)
    _plan_summary(inv, flags, remove=[(s, installed[s]["version"], None) for s in stems])
    if "n" not in flags:
        for stem in stems:
            ips.remove(inv.sim, stem)
            del installed[stem]
        inv.state.dirty = True
    return 0
