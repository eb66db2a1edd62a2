"""`zfs` on the simulator's ZFS model (illumos-native.md 1.8): what the zone and storage modules run.

    zfs list [-r|-d N] [-H] [-p] [-o FIELDS] [-t TYPES] [-s PROP]... [-S PROP]... [NAME...]
    zfs get [-r|-d N] [-H] [-p] [-o FIELDS] [-t TYPES] [-s SOURCES] all|PROP[,PROP] [NAME...]
    zfs create [-p] [-s] [-b SIZE] [-o PROP=VALUE]... [-V SIZE] NAME
    zfs destroy [-r] [-R] [-f] [-d] [-n] NAME|NAME@SNAP
    zfs set PROP=VALUE... NAME
    zfs inherit [-r] PROP NAME...
    zfs snapshot [-r] [-o PROP=VALUE]... NAME@SNAP...      (all or nothing)
    zfs rollback [-r] [-R] [-f] NAME@SNAP
    zfs hold [-r] TAG NAME@SNAP... / zfs release [-r] TAG NAME@SNAP... / zfs holds [-r] [-H] [-p] NAME@SNAP...
    zfs clone [-p] [-o PROP=VALUE]... NAME@SNAP TARGET
    zfs promote CLONE
    zfs rename [-r] [-p] [-f] NAME NEWNAME
    zfs recv|receive [-Fnuv] [-o PROP=VALUE]... NAME     (the stream on standard input)

The operations are the ZFS model's (zfs.py, shared with the agent's storage
routes), so both faces agree and refusals carry zfs's texts: `cannot open 'x':
dataset does not exist`, `... has children / use '-r' ...`, `dataset already
exists`, `more recent snapshots or bookmarks exist`, `dataset is busy`.
-H: TAB separated, no header; -p: exact numbers; '-' for not applicable.
Listings are sorted as zfs sorts by name: by dataset name, a dataset before
its snapshots, snapshots oldest first (createtxg) [mem].

`zfs recv`: the shim (SHIM below) consumes standard input itself, in 1 MiB
chunks, and sends only what it received ({bytes, crc32, head}), so a stream of
any size never sits in memory. The simulated dataset is a volume (a zone box's
box.zss is a zvol's stream; volsize from the simulator's default, 20G, as the
agent face does) that records `received` {bytes, crc32, head}. (crc32, not a
cryptographic digest: the fake stands for the host's own work and should not
cost more CPU than the import it serves.) Deviations: the
stream is not parsed (any non-empty stream is accepted) and its snapshot is
not recreated [mem: real streams carry their snapshot name].
"""
from __future__ import annotations

from .. import zfs as model
from ..util import parse_size
from . import shim_template

TOOL = "zfs"
USAGE_RC = 2
READ_SUBCOMMANDS = ("list", "get", "holds", "help")
LIST_DEFAULT = ("name", "used", "avail", "refer", "mountpoint")
ALIASES = {"avail": "available", "refer": "referenced", "reservation": "reservation", "volblock": "volblocksize",
           "recsize": "recordsize", "compress": "compression", "rdonly": "readonly", "refratio": "refcompressratio",
           "ratio": "compressratio", "lused": "logicalused", "lrefer": "logicalreferenced"}
SIZE_PROPS = frozenset(("used", "available", "referenced", "volsize", "quota", "refquota", "reservation",
                        "refreservation", "usedbysnapshots", "usedbydataset", "usedbychildren",
                        "usedbyrefreservation", "written", "logicalused", "logicalreferenced", "volblocksize",
                        "recordsize"))
TYPES = ("filesystem", "volume", "snapshot")


def is_mutating(inv) -> bool:
    words = [a for a in inv.argv if not a.startswith("-")]
    if not words or words[0] in READ_SUBCOMMANDS:
        return False
    if words[0] in ("recv", "receive"):
        return not any(a.startswith("-") and "n" in a and a != "-o" for a in inv.argv[1:])
    return not (words[0] == "destroy" and any(a.startswith("-") and "n" in a for a in inv.argv[1:]))


def _usage(inv, sub, message):
    inv.fail(f"{message}\nusage:\n\tzfs {sub} ...\nFor the property list, run: zfs set|get", USAGE_RC)


def _opts(inv, sub, args, flags, with_value):
    """getopt: -xyz flags and -o VALUE options; returns (set flags, {opt: [values]}, operands)."""
    seen, values, i = set(), {}, 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        arg = args[i]
        if arg == "--":
            i += 1
            break
        j = 1
        while j < len(arg):
            letter = arg[j]
            if letter in with_value:
                value = arg[j + 1:] or (args[i + 1] if i + 1 < len(args) else None)
                if value is None:
                    _usage(inv, sub, f"missing argument for '{letter}' option")
                if not arg[j + 1:]:
                    i += 1
                values.setdefault(letter, []).append(value)
                break
            if letter not in flags:
                _usage(inv, sub, f"invalid option '{letter}'")
            seen.add(letter)
            j += 1
        i += 1
    return seen, values, args[i:]


def _props(inv, sub, pairs):
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _usage(inv, sub, f"bad property format '{pair}': expected property=value")   # [mem]
        out[key] = value
    return out


def _one_operand(inv, sub, operands, missing):
    """The single operand `zfs sub` takes; usage error `missing` without one, `too many arguments` beyond."""
    if len(operands) != 1:
        _usage(inv, sub, missing if not operands else "too many arguments")
    return operands[0]


def _create_parents(st, name):
    """-p: the missing filesystems between the pool and `name` (never the pool itself)."""
    parts = name.split("/")
    for i in range(2, len(parts)):
        parent = "/".join(parts[:i])
        if parent not in st.datasets:
            model.create(st, parent, model.FS, {}, [])


def _human(value: str) -> str:
    """zfs's short size form (1.50G, 57K) for output without -p."""
    if not value.isdigit():
        return value
    n = int(value)
    if n < 1024:
        return str(n)
    for unit in "KMGTPE":
        n /= 1024.0
        if n < 1024 or unit == "E":
            text = f"{n:.2f}" if n < 10 else f"{n:.1f}" if n < 100 else f"{n:.0f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text + unit
    return value


def name_order(st, name):
    """zfs's default sort: the dataset part of the name, a dataset before its snapshots, snapshots by createtxg."""
    dataset, at, _snap = name.partition("@")
    return (dataset, 1 if at else 0, (st.datasets.get(name) or {}).get("createtxg", 0))


def _select(inv, names, recursive, depth, types, descend_types, own_snapshots=False):
    """Datasets to report: the named ones (every pool when none), with their
    descendants for -r / -d (a snapshot counts one level below its dataset),
    in zfs's name order. With `own_snapshots` (zfs list), `-t snapshot NAME`
    without -r/-d lists NAME's own snapshots, as current zfs does [mem: older
    releases list nothing]."""
    st = inv.state
    missing, roots = [], []
    if names:
        for name in names:
            (roots if name in st.datasets else missing).append(name)
        if own_snapshots and types == {"snapshot"} and not recursive and depth is None:
            depth = 1
    else:
        roots = sorted(n for n in st.datasets if "/" not in n and "@" not in n)
        recursive, depth = True, None
    out = []
    for root in roots:
        base = root.count("/")
        candidates = [root]
        if (recursive or depth is not None) and not model.is_snap(root):
            candidates += sorted(d for d in st.datasets if d.startswith(root + "/") or d.startswith(root + "@"))
        for d in candidates:
            level = d.split("@")[0].count("/") - base + (1 if model.is_snap(d) else 0)
            if depth is not None and level > depth:
                continue
            dtype = st.datasets[d]["type"]
            if types:
                wanted = dtype in types
            else:
                wanted = (d == root and bool(names)) or dtype in descend_types
            if wanted and d not in out:
                out.append(d)
    return sorted(out, key=lambda d: name_order(st, d)), missing


def _types(inv, sub, values):
    types = set()
    for value in values:
        for t in value.split(","):
            if t == "all":
                types.update(TYPES)
            elif t in ("filesystem", "volume", "snapshot", "snap", "vol", "fs"):
                types.add({"snap": "snapshot", "vol": "volume", "fs": "filesystem"}.get(t, t))
            else:
                _usage(inv, sub, f"invalid type '{t}'")
    return types


def _value(props, name, prop, exact):
    entry = props.get(prop)
    if prop == "name":
        return name, "-"
    if entry is None:
        return "-", "-"
    value = entry["value"]
    if value in ("", None):
        value = "-"
    if not exact and prop in SIZE_PROPS:
        value = _human(value)
    return value, entry.get("source", "-")


def _table(inv, header, rows, scripted):
    if scripted:
        for row in rows:
            inv.out("\t".join(row))
        return
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    inv.out("  ".join(h.upper().ljust(w) for h, w in zip(header, widths)).rstrip())
    for row in rows:
        inv.out("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def _depth(inv, sub, values):
    if not values:
        return None
    if not values[-1].isdigit():
        _usage(inv, sub, f"invalid depth '{values[-1]}'")
    return int(values[-1])


def _sort_value(props, name, prop):
    value = _value(props, name, prop, True)[0]
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def _list(inv, args):
    flags, values, names = _opts(inv, "list", args, "rHp", "odtsS")
    fields = [f.strip() for v in values.get("o", []) for f in v.split(",")] or list(LIST_DEFAULT)
    depth = _depth(inv, "list", values.get("d"))
    explicit_types = _types(inv, "list", values.get("t", []))
    selected, missing = _select(inv, names, "r" in flags, depth, explicit_types, ("filesystem", "volume"),
                                own_snapshots=True)
    st = inv.state
    props_of = {name: model.get_properties(st, name) for name in selected}
    # -s/-S (ascending/descending, any property; -s keys before -S keys, the first the major one): stable sorts
    order = [(ALIASES.get(p, p), letter == "S") for letter in "sS" for p in values.get(letter, [])]
    for prop, descending in reversed(order):
        selected.sort(key=lambda n: _sort_value(props_of[n], n, prop), reverse=descending)
    rows = []
    for name in selected:
        rows.append([_value(props_of[name], name, ALIASES.get(f, f), "p" in flags)[0] for f in fields])
    if rows or "H" in flags:
        _table(inv, fields, rows, "H" in flags)
    elif not missing:
        inv.err("no datasets available")
    for name in missing:
        inv.err(f"cannot open '{name}': dataset does not exist")
    return 1 if missing else 0


def _get(inv, args):
    flags, values, operands = _opts(inv, "get", args, "rHp", "odts")
    if not operands:
        _usage(inv, "get", "missing property argument")
    wanted, names = operands[0].split(","), operands[1:]
    fields = [f.strip() for v in values.get("o", []) for f in v.split(",")] or ["name", "property", "value", "source"]
    sources = {s for v in values.get("s", []) for s in v.split(",")}
    depth = _depth(inv, "get", values.get("d"))
    types = _types(inv, "get", values.get("t", []))
    selected, missing = _select(inv, names, "r" in flags, depth, types, TYPES)
    st = inv.state
    rows = []
    for name in selected:
        props = model.get_properties(st, name)
        keys = list(props) if wanted == ["all"] else [ALIASES.get(w, w) for w in wanted]
        for prop in keys:
            value, source = _value(props, name, prop, "p" in flags)
            if sources and source.split(" ")[0] not in sources:
                continue
            row = {"name": name, "property": prop, "value": value, "source": source, "received": "-"}
            rows.append([row.get(f, "-") for f in fields])
    _table(inv, fields, rows, "H" in flags)
    for name in missing:
        inv.err(f"cannot open '{name}': dataset does not exist")
    return 1 if missing else 0


def _create(inv, args):
    flags, values, operands = _opts(inv, "create", args, "ps", "obV")
    name = _one_operand(inv, "create", operands, "missing dataset argument")
    st = inv.state
    if not model.valid_dataset_name(name):
        inv.fail(f"cannot create '{name}': invalid character in name")   # [mem]
    props = _props(inv, "create", values.get("o", []))
    volsize = values.get("V", [None])[-1]
    if volsize is None and ("s" in flags or "b" in values):
        _usage(inv, "create", "'-s' and '-b' can only be used when creating a volume")   # [mem]
    if "p" in flags:
        if name in st.datasets:
            return 0      # -p: an existing target is fine
        _create_parents(st, name)
    dtype = model.FS
    if volsize is not None:
        size = parse_size(volsize)
        if not size:
            inv.fail(f"bad volume size '{volsize}'")   # [mem]
        dtype = model.VOL
        props["volsize"] = str(size)
        if "s" in flags:
            props["refreservation"] = "none"
        if "b" in values:
            props["volblocksize"] = values["b"][-1]
    model.create(st, name, dtype, props, [])
    return 0


def _destroy(inv, args):
    flags, _values, operands = _opts(inv, "destroy", args, "rRfnvdp", "")
    name = _one_operand(inv, "destroy", operands, "missing dataset argument")
    st = inv.state
    model.require(st, name)
    if "n" in flags:
        return 0
    if model.is_snap(name):
        if "R" in flags:
            for clone in model.clones_of(st, name):
                if clone in st.datasets:
                    _destroy_tree(st, clone)
        model.destroy_snapshot(st, name, recursive="r" in flags or "R" in flags, defer="d" in flags, lines=[])
        return 0
    if "R" in flags:
        doomed = [d for d in st.datasets if d == name or d.startswith(name + "/") or d.startswith(name + "@")]
        for snap in [d for d in doomed if model.is_snap(d)]:
            for clone in model.clones_of(st, snap):
                if clone in st.datasets and clone not in doomed:
                    _destroy_tree(st, clone)
    model.destroy(st, name, recursive="r" in flags or "R" in flags, force="f" in flags, lines=[])
    return 0


def _destroy_tree(st, name):
    """-R: a dependent clone goes with everything below it (and its own dependents)."""
    for d in [d for d in st.datasets if d == name or d.startswith(name + "/") or d.startswith(name + "@")]:
        if model.is_snap(d):
            for clone in model.clones_of(st, d):
                if clone in st.datasets:
                    _destroy_tree(st, clone)
    model.destroy(st, name, recursive=True, force=True, lines=[])


def _snapshot(inv, args):
    flags, values, operands = _opts(inv, "snapshot", args, "r", "o")
    if not operands:
        _usage(inv, "snapshot", "missing snapshot argument")
    props = _props(inv, "snapshot", values.get("o", []))
    for operand in operands:
        if not model.valid_snapshot_name(operand):
            inv.fail(f"cannot create snapshot '{operand}': invalid character in name")   # [mem]
    st = inv.state
    # Several snapshots in one command are taken atomically: refuse before creating any [mem].
    for operand in operands:
        ds, snap = model.split_snap(operand)
        model.require(st, ds)
        for target in [ds] + (model.descendants(st, ds) if "r" in flags else []):
            if f"{target}@{snap}" in st.datasets:
                inv.fail(f"cannot create snapshot '{target}@{snap}': dataset already exists")
    for operand in operands:
        ds, snap = model.split_snap(operand)
        model.snapshot(st, ds, snap, "r" in flags, props, [])
    return 0


def _clone(inv, args):
    flags, values, operands = _opts(inv, "clone", args, "p", "o")
    if len(operands) != 2:
        _usage(inv, "clone", "missing source or target argument")
    source, target = operands
    st = inv.state
    if not model.is_snap(source):
        inv.fail(f"cannot open '{source}': operation only applies to snapshots")   # [mem]
    if not model.valid_dataset_name(target):
        inv.fail(f"cannot create '{target}': invalid character in name")
    if "p" in flags:
        _create_parents(st, target)
    model.clone(st, source, target, _props(inv, "clone", values.get("o", [])), [])
    return 0


def _set(inv, args):
    _flags, _values, operands = _opts(inv, "set", args, "", "")
    if len(operands) < 2:
        _usage(inv, "set", "missing property=value or dataset argument")
    props = _props(inv, "set", operands[:-1])
    model.set_properties(inv.state, operands[-1], props, [])
    return 0


def _inherit(inv, args):
    flags, _values, operands = _opts(inv, "inherit", args, "rS", "")
    if len(operands) < 2:
        _usage(inv, "inherit", "missing property argument" if not operands else "missing dataset argument")
    prop, names = ALIASES.get(operands[0], operands[0]), operands[1:]
    if ":" in prop:
        if not model.USER_PROP_RE.match(prop):
            _usage(inv, "inherit", f"invalid property '{prop}'")
    elif prop in model.READONLY or prop in model.CREATE_ONLY:
        inv.fail(f"{prop} property is read-only")     # [mem] zfs_main.c zfs_do_inherit
    elif prop not in model.SETTABLE:
        _usage(inv, "inherit", f"invalid property '{prop}'")
    elif not model.SETTABLE[prop][1]:
        extra = ""
        if prop in model.SIZE_PROPS:
            extra = f"\nuse 'zfs set {prop}=none' to clear\nuse 'zfs inherit -S {prop}' to revert to received value"
        inv.fail(f"'{prop}' property cannot be inherited{extra}")     # [mem]
    st = inv.state
    for name in names:
        model.require(st, name)
    for name in names:
        targets = [name]
        if "r" in flags and not model.is_snap(name):
            targets += [d for d in sorted(st.datasets) if d.startswith(name + "/") or
                        (":" in prop and d.startswith(name + "@"))]
        for target in targets:
            st.datasets[target]["properties"].pop(prop, None)
    st.dirty = True
    return 0


def _snapshot_operand(inv, name, verb):
    if not model.is_snap(name):
        model.require(inv.state, name)
        inv.fail(f"cannot {verb} '{name}': operation only applies to snapshots")     # [mem]
    return name


def _rollback(inv, args):
    flags, _values, operands = _opts(inv, "rollback", args, "rRf", "")
    name = _one_operand(inv, "rollback", operands, "missing dataset argument")
    st = inv.state
    if not model.is_snap(name):
        model.require(st, name)
        inv.fail(f"cannot open '{name}': operation not applicable to datasets of this type")     # [mem]
    snap = model.require(st, name)
    if "R" in flags:
        ds_name = model.split_snap(name)[0]
        later = [s["name"] for s in model.snapshots_of(st, ds_name) if s.get("createtxg", 0) > snap.get("createtxg", 0)]
        for clone in sorted({c for s in later for c in model.clones_of(st, s)}):
            if clone in st.datasets:
                _destroy_tree(st, clone)
    model.rollback(st, name, recursive="r" in flags or "R" in flags, lines=[])
    return 0


def _tag_and_snapshots(inv, sub, args, verb):
    """`zfs hold|release [-r] TAG NAME@SNAP...`: (recursive, tag, snapshots), every snapshot checked first."""
    flags, _values, operands = _opts(inv, sub, args, "r", "")
    if len(operands) < 2:
        _usage(inv, sub, "missing tag argument" if not operands else "missing snapshot argument")
    tag, names = operands[0], operands[1:]
    for name in names:
        _snapshot_operand(inv, name, verb)
        model.require(inv.state, name)
    return "r" in flags, tag, names


def _hold(inv, args):
    recursive, tag, names = _tag_and_snapshots(inv, "hold", args, "hold")
    for name in names:
        model.hold(inv.state, name, tag, recursive, [])
    return 0


def _release(inv, args):
    recursive, tag, names = _tag_and_snapshots(inv, "release", args, "release hold from")
    for name in names:
        model.release(inv.state, name, tag, recursive, [])
    return 0


def _holds(inv, args):
    flags, _values, operands = _opts(inv, "holds", args, "rHp", "")
    if not operands:
        _usage(inv, "holds", "missing snapshot argument")
    st = inv.state
    rows, missing = [], []
    for name in operands:
        if name not in st.datasets:
            missing.append(name)
            continue
        if not model.is_snap(name):
            inv.err(f"cannot open '{name}': operation only applies to snapshots")    # [mem]
            missing.append(name)
            continue
        for row in model.holds_rows(st, name, "r" in flags):
            when = str((st.datasets[row["name"]].get("holds") or {}).get(row["tag"], 0))
            rows.append([row["name"], row["tag"], when if "p" in flags else row["timestamp"]])
    if rows or "H" in flags:
        _table(inv, ["name", "tag", "timestamp"], rows, "H" in flags)
    for name in missing:
        if name not in st.datasets:
            inv.err(f"cannot open '{name}': dataset does not exist")
    return 1 if missing else 0


def _promote(inv, args):
    _flags, _values, operands = _opts(inv, "promote", args, "", "")
    model.promote(inv.state, _one_operand(inv, "promote", operands, "missing clone filesystem argument"), [])
    return 0


def _rename(inv, args):
    flags, _values, operands = _opts(inv, "rename", args, "rpfu", "")
    if len(operands) != 2:
        _usage(inv, "rename", "missing source dataset argument" if not operands else "missing target dataset argument"
               if len(operands) == 1 else "too many arguments")
    name, new_name = operands
    st = inv.state
    if "r" in flags and not model.is_snap(name):
        _usage(inv, "rename", "-r can only be used on snapshots")     # [mem]
    model.require(st, name)
    if "p" in flags and not model.is_snap(new_name):
        if not model.valid_dataset_name(new_name):
            inv.fail(f"cannot create '{new_name}': invalid character in name")
        _create_parents(st, new_name)
    model.rename(st, name, new_name, "r" in flags, [])
    return 0


RECV_VOLSIZE = 20 << 30     # the agent face's default volsize of an imported box (templates.py)


def _recv(inv, args):
    flags, values, operands = _opts(inv, "receive", args, "Fnsuvde", "ox")
    target = _one_operand(inv, "receive", operands, "missing snapshot argument")
    st = inv.state
    name = target.split("@", 1)[0]
    stream = inv.stream or {}
    received = int(stream.get("bytes") or 0)
    if received <= 0:
        inv.fail("cannot receive: failed to read from stream")
    if not model.valid_dataset_name(name):
        inv.fail(f"cannot receive: invalid name '{target}'")
    props = _props(inv, "receive", values.get("o", []))
    parent = model.parent_of(name)
    if parent is None or parent not in st.datasets:
        # [mem] libzfs words this one way or another; it names the missing parent
        inv.fail(f"cannot receive new volume stream: parent '{parent}' of '{name}' does not exist")
    if name in st.datasets:
        if "F" not in flags:
            inv.fail(f"cannot receive new volume stream: destination '{name}' exists\n"
                     "must specify -F to overwrite it")
        dependents = [n for n, d in st.datasets.items() if (d.get("origin") or "").startswith(name + "@")]
        if dependents:
            inv.fail(f"cannot receive new volume stream: destination has dependent clones: {', '.join(sorted(dependents))}")
    for key, value in props.items():
        problem = model.check_property(st, name, "volume", key, value, creating=True)
        if problem:
            inv.fail(f"cannot receive: {problem}")
    if "n" in flags:
        if "v" in flags:
            inv.out(f"would receive full stream of {name}")
        return 0
    if name in st.datasets:
        st.destroy_dataset(name)
    properties = {"volsize": str(RECV_VOLSIZE)}
    properties.update({k: model.canonical(k, v) for k, v in props.items()})
    ds = st.add_dataset(name, "volume", volsize=RECV_VOLSIZE, refer=received, properties=properties)
    ds["received"] = {"bytes": received, "crc32": stream.get("crc32"), "head": stream.get("head")}
    if "v" in flags:
        inv.out(f"receiving full stream of {name} into {name}")
        inv.out(f"received {received}B stream")
    return 0


SUBCOMMANDS = {"recv": _recv, "receive": _recv, "list": _list, "get": _get, "create": _create, "destroy": _destroy, "snapshot": _snapshot,
               "snap": _snapshot, "clone": _clone, "set": _set, "inherit": _inherit, "rollback": _rollback,
               "hold": _hold, "release": _release, "holds": _holds, "promote": _promote, "rename": _rename}
NOT_SIMULATED = ("send", "mount", "unmount", "upgrade", "userspace", "groupspace", "allow",
                 "unallow", "share", "unshare", "bookmark", "diff", "jail", "program", "wait")


def run(inv):
    if not inv.argv:
        inv.fail("usage: zfs command args ...", USAGE_RC)
    sub, args = inv.argv[0], inv.argv[1:]
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        inv.fail(f"zfs: {sub}: not supported by zoneweaver-sim ({', '.join(sorted(SUBCOMMANDS))})",
                 1 if sub in NOT_SIMULATED else USAGE_RC)
    return handler(inv, args)


# `zfs recv` reads its binary standard input in the shim, chunk by chunk, and sends only its
# size, crc32 and first bytes (the simulator never holds the stream).
SHIM = shim_template('''
CHUNK = 1 << 20


def consume_stream():
    """Read standard input to its end without keeping it: {{bytes, crc32, head}}.
    ZONEWEAVER_SIM_RECV_DIGEST=none counts only (benchmarks: the fake should cost no more than a pipe)."""
    digest = os.environ.get("ZONEWEAVER_SIM_RECV_DIGEST", "crc32") != "none"
    crc, count, head = 0, 0, b""
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    stream = sys.stdin.buffer.raw
    while True:
        n = stream.readinto(view)
        if not n:
            break
        if len(head) < 64:
            head += bytes(view[:64 - len(head)])
        if digest:
            crc = zlib.crc32(view[:n], crc)
        count += n
    return {{"bytes": count, "crc32": crc if digest else None, "head": base64.b64encode(head).decode("ascii")}}


def request_body(argv):
    body = {{"tool": TOOL, "argv": argv, "stdin": "", "env": forwarded_env(), "files": {{}}}}
    if argv and argv[0] in ("recv", "receive"):
        body["stream"] = consume_stream()
    return body
''', imports=("base64", "zlib"))
