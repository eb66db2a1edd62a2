"""`zpool`: reading pools (illumos-native.md 1.8).

    zpool list [-H] [-p] [-o FIELDS] [POOL...]
    zpool get [-H] [-p] [-o FIELDS] all|PROP[,PROP] [POOL...]

Default list columns: name,size,allocated,free,checkpoint,expandsize,
fragmentation,capacity,dedupratio,health,altroot. With -p sizes are bytes
and capacity/fragmentation have no '%'; checkpoint/expandsize print '-'
when zero. `zpool get version POOL` (human form) prints '-' for a
feature-flags pool, which community.general.zfs relies on.
"""
from __future__ import annotations

from .. import zfs as model
from .zfs import _human, _opts, _table

TOOL = "zpool"
READ_SUBCOMMANDS = ("list", "get", "status", "iostat", "history", "help")
LIST_DEFAULT = ("name", "size", "allocated", "free", "checkpoint", "expandsize", "fragmentation", "capacity",
                "dedupratio", "health", "altroot")
ALIASES = {"alloc": "allocated", "cap": "capacity", "frag": "fragmentation", "ckpoint": "checkpoint",
           "expandsz": "expandsize", "dedup": "dedupratio"}
SIZES = frozenset(("size", "allocated", "free", "freeing", "leaked"))
PERCENT = frozenset(("capacity", "fragmentation"))
HEADERS = {"allocated": "ALLOC", "checkpoint": "CKPOINT", "expandsize": "EXPANDSZ", "fragmentation": "FRAG",
           "capacity": "CAP", "dedupratio": "DEDUP"}


def is_mutating(inv) -> bool:
    words = [a for a in inv.argv if not a.startswith("-")]
    return bool(words) and words[0] not in READ_SUBCOMMANDS


def _value(props, prop, exact):
    entry = props.get(prop)
    if entry is None:
        return "-", "-"
    value = str(entry["value"])
    if not exact and value != "-":
        if prop in SIZES:
            value = _human(value)
        elif prop in PERCENT:
            value += "%"
        elif prop == "dedupratio":
            value += "x"
    return value, entry["source"]


def _pools(inv, names):
    st = inv.state
    missing = [n for n in names if n not in st.pools]
    for name in missing:
        inv.err(f"cannot open '{name}': no such pool")   # [mem]
    return [n for n in (names or sorted(st.pools)) if n in st.pools], missing


def _list(inv, args):
    flags, values, names = _opts(inv, "list", args, "Hpv", "oT")
    fields = [ALIASES.get(f, f) for v in values.get("o", []) for f in v.split(",")] or list(LIST_DEFAULT)
    pools, missing = _pools(inv, names)
    rows = []
    for pool in pools:
        props = model.pool_properties(inv.state, pool)
        rows.append([pool if f == "name" else _value(props, f, "p" in flags)[0] for f in fields])
    if rows or "H" in flags:
        _table(inv, [HEADERS.get(f, f) for f in fields], rows, "H" in flags)
    elif not missing:
        inv.out("no pools available")
    return 1 if missing else 0


def _get(inv, args):
    flags, values, operands = _opts(inv, "get", args, "Hp", "o")
    if not operands:
        inv.fail("missing property argument\nusage:\n\tzpool get [-Hp] [-o field[,...]] <\"all\" | property[,...]> "
                 "<pool> ...", 2)
    wanted, names = operands[0].split(","), operands[1:]
    fields = [f for v in values.get("o", []) for f in v.split(",")] or ["name", "property", "value", "source"]
    pools, missing = _pools(inv, names)
    rows = []
    for pool in pools:
        props = model.pool_properties(inv.state, pool)
        keys = sorted(props) if wanted == ["all"] else [ALIASES.get(w, w) for w in wanted]
        for prop in keys:
            value, source = _value(props, prop, "p" in flags)
            row = {"name": pool, "property": prop, "value": value, "source": source}
            rows.append([row.get(f, "-") for f in fields])
    _table(inv, fields, rows, "H" in flags)
    return 1 if missing else 0


def run(inv):
    if not inv.argv:
        inv.fail("usage: zpool command args ...", 2)
    sub, args = inv.argv[0], inv.argv[1:]
    if sub == "list":
        return _list(inv, args)
    if sub == "get":
        return _get(inv, args)
    inv.fail(f"zpool: {sub}: not supported by zoneweaver-sim (list, get)", 1)
