"""The ZFS model behind the storage routes and machine snapshots: pools, the
dataset tree in `state.datasets` (the zvols and filesystems machines create
live there too), space accounting, `zfs get` properties with their sources,
and the zfs operations with zfs's own refusals (raised as TaskFailure with
zfs's error text).

Sizes follow `zfs list -p`/`zfs get -p`: bytes, as strings on the wire.
A dataset record: {name, type, volsize, properties (LOCAL values only),
origin, refer, written, creation, createtxg, guid[, holds, defer_destroy]}.
"""
from __future__ import annotations

import re
import time

from .tasks import TaskFailure
from .util import parse_size

NAME_COMPONENT = r"[A-Za-z0-9_.:\-]+"
DATASET_RE = re.compile(rf"^{NAME_COMPONENT}(/{NAME_COMPONENT})*$")
SNAP_COMPONENT_RE = re.compile(rf"^{NAME_COMPONENT}$")
USER_PROP_RE = re.compile(r"^[a-z0-9_.+\-]*:[a-z0-9_.:+\-]*$")

ON_OFF = ("on", "off")
ENUMS = {
    "compression": ("on", "off", "lzjb", "gzip", *(f"gzip-{i}" for i in range(1, 10)), "zle", "lz4"),
    "checksum": ("on", "off", "fletcher2", "fletcher4", "sha256", "sha512", "skein", "edonr"),
    "atime": ON_OFF, "devices": ON_OFF, "exec": ON_OFF, "setuid": ON_OFF, "readonly": ON_OFF, "zoned": ON_OFF,
    "xattr": ON_OFF, "vscan": ON_OFF, "nbmand": ON_OFF, "relatime": ON_OFF,
    "canmount": ("on", "off", "noauto"), "snapdir": ("hidden", "visible"), "sync": ("standard", "always", "disabled"),
    "logbias": ("latency", "throughput"), "primarycache": ("all", "none", "metadata"),
    "secondarycache": ("all", "none", "metadata"), "dedup": ("on", "off", "verify", "sha256", "sha256,verify"),
    "copies": ("1", "2", "3"), "aclmode": ("discard", "groupmask", "passthrough", "restricted"),
    "aclinherit": ("discard", "noallow", "restricted", "passthrough", "passthrough-x"),
    "redundant_metadata": ("all", "most"), "snapdev": ("hidden", "visible"),
    "volmode": ("default", "full", "geom", "dev", "none"),
}
SIZE_PROPS = ("quota", "refquota", "reservation", "refreservation")
FS, VOL, SNAP = "filesystem", "volume", "snapshot"
# settable properties: name -> (applies to, inheritable, default)
SETTABLE = {
    "compression": ((FS, VOL), True, "off"), "checksum": ((FS, VOL), True, "on"), "atime": ((FS,), True, "on"),
    "relatime": ((FS,), True, "off"), "devices": ((FS, SNAP), True, "on"), "exec": ((FS, SNAP), True, "on"),
    "setuid": ((FS, SNAP), True, "on"), "readonly": ((FS, VOL), True, "off"), "zoned": ((FS,), True, "off"),
    "xattr": ((FS, SNAP), True, "on"), "vscan": ((FS,), True, "off"), "nbmand": ((FS, SNAP), True, "off"),
    "canmount": ((FS,), False, "on"), "snapdir": ((FS,), True, "hidden"), "sync": ((FS, VOL), True, "standard"),
    "logbias": ((FS, VOL), True, "latency"), "primarycache": ((FS, VOL, SNAP), True, "all"),
    "secondarycache": ((FS, VOL, SNAP), True, "all"), "dedup": ((FS, VOL), True, "off"),
    "copies": ((FS, VOL), True, "1"), "aclmode": ((FS,), True, "discard"), "aclinherit": ((FS,), True, "restricted"),
    "redundant_metadata": ((FS, VOL), True, "all"), "snapdev": ((VOL,), True, "hidden"),
    "volmode": ((VOL,), True, "default"), "sharenfs": ((FS,), True, "off"), "sharesmb": ((FS,), True, "off"),
    "mountpoint": ((FS,), True, None), "recordsize": ((FS,), True, "131072"),
    "quota": ((FS,), False, "0"), "refquota": ((FS,), False, "0"), "reservation": ((FS, VOL), False, "0"),
    "refreservation": ((FS, VOL), False, "0"), "volsize": ((VOL,), False, None),
    "mlslabel": ((FS, VOL, SNAP), True, "none"),
}
CREATE_ONLY = {"volblocksize": ((VOL,), "8192"), "casesensitivity": ((FS,), "sensitive"),
               "normalization": ((FS,), "none"), "utf8only": ((FS,), "off")}
READONLY = ("type", "creation", "used", "available", "referenced", "compressratio", "mounted", "origin",
            "usedbysnapshots", "usedbydataset", "usedbychildren", "usedbyrefreservation", "refcompressratio",
            "written", "logicalused", "logicalreferenced", "guid", "createtxg", "version", "defer_destroy",
            "userrefs", "clones")


# --------------------------------------------------------------------------- names


def is_snap(name: str) -> bool:
    return "@" in name


def split_snap(name: str) -> tuple[str, str]:
    ds, _sep, snap = name.partition("@")
    return ds, snap


def pool_of(name: str) -> str:
    return name.split("@")[0].split("/")[0]


def parent_of(name: str) -> str | None:
    if is_snap(name):
        return split_snap(name)[0]
    return name.rsplit("/", 1)[0] if "/" in name else None


def valid_dataset_name(name) -> bool:
    return isinstance(name, str) and len(name) < 256 and bool(DATASET_RE.match(name))


def valid_snapshot_name(name) -> bool:
    if not isinstance(name, str) or name.count("@") != 1:
        return False
    ds, snap = split_snap(name)
    return valid_dataset_name(ds) and bool(SNAP_COMPONENT_RE.match(snap)) and len(name) < 256


def children(st, name: str) -> list[str]:
    """Direct child filesystems/volumes."""
    pre = name + "/"
    return sorted(d for d in st.datasets if d.startswith(pre) and "/" not in d[len(pre):] and not is_snap(d))


def descendants(st, name: str) -> list[str]:
    pre = name + "/"
    return sorted(d for d in st.datasets if d.startswith(pre) and not is_snap(d))


def snapshots_of(st, name: str) -> list[dict]:
    """The dataset's own snapshots, oldest first."""
    pre = name + "@"
    return sorted((ds for d, ds in st.datasets.items() if d.startswith(pre)), key=lambda s: s.get("createtxg", 0))


def clones_of(st, snap: str) -> list[str]:
    return sorted(d for d, ds in st.datasets.items() if ds.get("origin") == snap)


def in_use_by(st, name: str) -> str | None:
    """The zone whose configuration uses this zvol (A's in_use_by)."""
    from .zonecfg import zone_datasets
    for zone in sorted(st.host_zones):
        if name in zone_datasets(st.host_zones[zone]["config"]):
            return zone
    return None


def zone_root(hz: dict | None) -> str | None:
    if not hz:
        return None
    return hz["config"].get("zonepath", "").lstrip("/").rsplit("/path", 1)[0] or None


# --------------------------------------------------------------------------- space


def _size(value) -> int:
    if value in (None, "", "none", "-"):
        return 0
    n = parse_size(value)
    return n or 0


def usage(st) -> dict[str, dict]:
    """used/refer/usedby* of every dataset, computed bottom-up once."""
    out: dict[str, dict] = {}
    for name in sorted(st.datasets, key=lambda n: (-n.count("/"), n)):
        ds = st.datasets[name]
        if is_snap(name):
            out[name] = {"used": int(ds.get("used", 0)), "refer": int(ds.get("refer", 0))}
    for name in sorted((n for n in st.datasets if not is_snap(n)), key=lambda n: (-n.count("/"), n)):
        ds = st.datasets[name]
        refer = int(ds.get("refer", 0))
        snaps = sum(out[s["name"]]["used"] for s in snapshots_of(st, name))
        kids = sum(out[c]["used"] for c in children(st, name) if c in out)
        refres = _size(ds["properties"].get("refreservation"))
        byref = max(0, refres - refer)
        out[name] = {"used": refer + snaps + kids + byref, "refer": refer, "usedbysnapshots": snaps,
                     "usedbychildren": kids, "usedbydataset": refer, "usedbyrefreservation": byref}
    return out


def pool_alloc(st, pool: str, use: dict | None = None) -> int:
    use = use or usage(st)
    return use.get(pool, {}).get("used", 0)


def avail(st, name: str, use: dict) -> int:
    pool = st.pools.get(pool_of(name)) or {"size": 0}
    free = max(0, pool["size"] - pool_alloc(st, pool_of(name), use))
    node = name
    while node:
        ds = st.datasets.get(node)
        if ds is not None:
            quota = _size(ds["properties"].get("quota"))
            if quota:
                free = min(free, max(0, quota - use[node]["used"]))
        node = parent_of(node)
    return free


def mountpoint(st, name: str) -> tuple[str, str]:
    """(value, source) of a filesystem's mountpoint."""
    rel, node = "", name
    while node:
        ds = st.datasets.get(node) or {"properties": {}}
        local = ds["properties"].get("mountpoint")
        if local is not None:
            if local in ("none", "legacy"):
                value = local
            else:
                value = (local.rstrip("/") + rel) or "/"
            return value, "local" if node == name else f"inherited from {node}"
        rel = "/" + node.rsplit("/", 1)[-1] + rel if "/" in node else rel
        node = parent_of(node)
    return "/" + name, "default"


def _inherited(st, name: str, prop: str, default) -> tuple:
    node = parent_of(name)
    while node:
        ds = st.datasets.get(node)
        if ds is not None and prop in ds["properties"]:
            return ds["properties"][prop], f"inherited from {node}"
        node = parent_of(node)
    return default, "default"


def list_row(st, name: str, use: dict, with_in_use: bool) -> dict:
    ds = st.datasets[name]
    u = use[name]
    snap = ds["type"] == SNAP
    if ds["type"] == FS:
        mp = mountpoint(st, name)[0]
    else:
        mp = "-"
    row = {"name": name, "type": ds["type"], "used": str(u["used"]), "avail": "-" if snap else str(avail(st, name, use)),
           "refer": str(u["refer"]), "mountpoint": mp}
    if with_in_use and ds["type"] == VOL:
        row["in_use_by"] = in_use_by(st, name)
    return row


def get_properties(st, name: str) -> dict:
    """`zfs get -p all NAME` as {prop: {value, source}}."""
    ds = st.datasets[name]
    dtype = ds["type"]
    use = usage(st)
    u = use[name]
    local = ds["properties"]
    props: dict[str, dict] = {}

    def put(prop, value, source="-"):
        props[prop] = {"value": str(value), "source": source}

    put("type", dtype)
    put("creation", ds.get("creation", int(time.time())))
    put("used", u["used"])
    if dtype != SNAP:
        put("available", avail(st, name, use))
    put("referenced", u["refer"])
    put("compressratio", "1.00")
    if dtype == FS:
        mp, mps = mountpoint(st, name)
        canmount = local.get("canmount", "on")
        put("mounted", "yes" if canmount == "on" and mp not in ("none", "legacy") else "no")
        put("mountpoint", mp, mps)
    put("origin", ds.get("origin") or "-")
    for prop, (applies, inheritable, default) in SETTABLE.items():
        if dtype not in applies or prop in ("mountpoint",):
            continue
        if prop == "volsize":
            put("volsize", ds.get("volsize") or _size(local.get("volsize")), "local")
            continue
        if prop in SIZE_PROPS:
            value = _size(local.get(prop))
            put(prop, value, "local" if value else "default")
            continue
        if dtype == SNAP:
            value, source = _inherited(st, name, prop, default) if inheritable else (default, "default")
        elif prop in local:
            value, source = local[prop], "local"
        elif inheritable:
            value, source = _inherited(st, name, prop, default)
        else:
            value, source = default, "default"
        put(prop, value, source)
    for prop, (applies, default) in CREATE_ONLY.items():
        if dtype in applies or (dtype == SNAP and FS in applies):
            put(prop, local.get(prop, default), "-" if prop != "volblocksize" else "default")
    if dtype == FS:
        put("version", "5")
    if dtype != SNAP:
        put("usedbysnapshots", u["usedbysnapshots"])
        put("usedbydataset", u["usedbydataset"])
        put("usedbychildren", u["usedbychildren"])
        put("usedbyrefreservation", u["usedbyrefreservation"])
    put("refcompressratio", "1.00")
    put("written", ds.get("written", u["refer"]))
    put("logicalused", u["used"])
    put("logicalreferenced", u["refer"])
    put("guid", ds.get("guid", "0"))
    put("createtxg", ds.get("createtxg", 1))
    if dtype == SNAP:
        put("defer_destroy", "on" if ds.get("defer_destroy") else "off")
        put("userrefs", len(ds.get("holds") or {}))
        put("clones", ",".join(clones_of(st, name)))
    # user properties: local, else inherited from the nearest ancestor (snapshots from their dataset)
    seen = set()
    node = name
    while node:
        rec = st.datasets.get(node)
        for prop, value in ((rec or {}).get("properties") or {}).items():
            if ":" in prop and prop not in seen:
                seen.add(prop)
                props[prop] = {"value": str(value), "source": "local" if node == name else f"inherited from {node}"}
        node = parent_of(node)
    return dict(sorted(props.items()))


# --------------------------------------------------------------------------- validation


def check_property(st, name: str | None, dtype: str, prop: str, value, creating: bool = False) -> str | None:
    """zfs's verdict on `prop=value` for a dataset of `dtype`; None when fine."""
    what = f"'{name}'" if name else "dataset"
    if not isinstance(prop, str) or not prop:
        return "invalid property ''"
    if ":" in prop:
        if not USER_PROP_RE.match(prop):
            return f"invalid user property '{prop}': names contain lowercase letters, digits and ':+._-'"
        return None
    value = "" if value is None else str(value)
    if prop in READONLY:
        return f"cannot set property for {what}: '{prop}' is readonly"
    if prop in CREATE_ONLY:
        if not creating:
            return f"cannot set property for {what}: '{prop}' is readonly"
        if dtype not in CREATE_ONLY[prop][0]:
            return f"cannot set property for {what}: '{prop}' does not apply to datasets of this type"
        if prop == "volblocksize" and (parse_size(value) or 0) not in [1 << i for i in range(9, 18)]:
            return f"cannot set property for {what}: 'volblocksize' must be power of 2 from 512B to 128KB"
        return None
    if prop not in SETTABLE:
        return f"invalid property '{prop}'"
    if dtype not in SETTABLE[prop][0]:
        return f"cannot set property for {what}: '{prop}' does not apply to datasets of this type"
    if prop in ENUMS and value not in ENUMS[prop]:
        return f"cannot set property for {what}: '{prop}' must be one of '{' | '.join(ENUMS[prop])}'"
    if prop in SIZE_PROPS and value != "none" and parse_size(value) is None:
        return f"cannot set property for {what}: bad numeric value '{value}'"
    if prop == "volsize" and not parse_size(value):
        return f"cannot set property for {what}: bad numeric value '{value}'"
    if prop == "recordsize" and (parse_size(value) or 0) not in [1 << i for i in range(9, 21)]:
        return f"cannot set property for {what}: 'recordsize' must be power of 2 from 512B to 1M"
    if prop == "mountpoint" and value not in ("none", "legacy") and not value.startswith("/"):
        return f"cannot set property for {what}: 'mountpoint' must be an absolute path, 'none', or 'legacy'"
    return None


def canonical(prop: str, value) -> str:
    """How a set value is stored (and printed by zfs get -p)."""
    value = str(value)
    if prop in SIZE_PROPS + ("volsize", "recordsize", "volblocksize") and value != "none":
        return str(parse_size(value))
    return value


# --------------------------------------------------------------------------- operations (zfs semantics)


def fail(msg: str):
    raise TaskFailure(msg)


def require(st, name: str) -> dict:
    ds = st.datasets.get(name)
    if ds is None:
        fail(f"cannot open '{name}': dataset does not exist")
    return ds


def create(st, name: str, dtype: str, properties: dict, lines: list[str]) -> None:
    if name in st.datasets:
        fail(f"cannot create '{name}': dataset already exists")
    if pool_of(name) not in st.pools:
        fail(f"cannot create '{name}': no such pool '{pool_of(name)}'")
    parent = parent_of(name)
    if parent is None:
        fail(f"cannot create '{name}': missing dataset name")
    if parent not in st.datasets:
        fail(f"cannot create '{name}': parent does not exist")
    if st.datasets[parent]["type"] != FS:
        fail(f"cannot create '{name}': parent is not a filesystem")
    props = {}
    for k, v in (properties or {}).items():
        problem = check_property(st, name, dtype, k, v, creating=True)
        if problem:
            fail(problem)
        props[k] = canonical(k, v)
    opts = " ".join(f"-o {k}={v}" for k, v in props.items() if k != "volsize")
    volsize = None
    if dtype == VOL:
        volsize = int(props["volsize"])
        if "refreservation" not in props:
            props["refreservation"] = str(volsize)     # a thick zvol reserves its size
        lines.append(f"zfs create {opts + ' ' if opts else ''}-V {volsize} {name}")
    else:
        lines.append(f"zfs create {opts + ' ' if opts else ''}{name}")
    use = usage(st)
    if dtype == VOL and _size(props.get("refreservation")) > avail(st, parent, use):
        fail(f"cannot create '{name}': out of space")
    st.add_dataset(name, dtype, volsize=volsize, properties=props)


def destroy(st, name: str, recursive: bool, force: bool, lines: list[str]) -> None:
    ds = require(st, name)
    if is_snap(name):
        destroy_snapshot(st, name, recursive=False, defer=False, lines=lines)
        return
    if parent_of(name) is None:
        fail(f"cannot destroy '{name}': operation does not apply to pools\n"
             f"use 'zfs destroy -r {name}' to destroy all datasets in the pool\n"
             f"use 'zpool destroy {name}' to destroy the pool itself")
    doomed = descendants(st, name) + [name]
    kids = [d for d in sorted(st.datasets) if (d.startswith(name + "/") or d.startswith(name + "@"))]
    if kids and not recursive:
        kind = "filesystem" if ds["type"] == FS else "volume"
        fail(f"cannot destroy '{name}': {kind} has children\nuse '-r' to destroy the following datasets:\n"
             + "\n".join(kids))
    snaps = [d for d in st.datasets if is_snap(d) and split_snap(d)[0] in doomed]
    outside = sorted(c for s in snaps for c in clones_of(st, s) if c not in doomed
                     and not any(c.startswith(x + "/") for x in doomed))
    if outside:
        fail(f"cannot destroy '{name}': filesystem has dependent clones\n"
             "use '-R' to destroy the following datasets:\n" + "\n".join(outside))
    for s in snaps:
        if st.datasets[s].get("holds"):
            fail(f"cannot destroy snapshot {s}: dataset is busy")
    for d in doomed:
        user = in_use_by(st, d)
        if user and (st.host_zones.get(user) or {}).get("state") in ("ready", "running", "shutting_down"):
            fail(f"cannot destroy '{d}': dataset is busy")
    lines.append(f"zfs destroy {'-r ' if recursive else ''}{'-f ' if force else ''}{name}")
    for d in [d for d in st.datasets if d == name or d.startswith(name + "/") or d.startswith(name + "@")]:
        del st.datasets[d]
    st.dirty = True


def set_properties(st, name: str, properties: dict, lines: list[str]) -> None:
    ds = require(st, name)
    use = usage(st)
    for k, v in properties.items():
        problem = check_property(st, name, ds["type"], k, v)
        if problem:
            fail(problem)
        if k == "quota" and str(v) != "none" and parse_size(v) < use[name]["used"]:
            fail(f"cannot set property for '{name}': size is less than current used or reserved space")
    for k, v in properties.items():
        lines.append(f"zfs set {k}={v} {name}")
        value = canonical(k, v)
        if k in SIZE_PROPS and str(v) == "none":
            ds["properties"].pop(k, None)
        elif k == "volsize":
            ds["volsize"] = int(value)
            ds["properties"]["volsize"] = value
            if _size(ds["properties"].get("refreservation")):
                ds["properties"]["refreservation"] = value   # a thick zvol's reservation follows its size
        else:
            ds["properties"][k] = value
    st.dirty = True


def snapshot(st, name: str, snap: str, recursive: bool, properties: dict | None, lines: list[str]) -> list[str]:
    require(st, name)
    targets = [name] + (descendants(st, name) if recursive else [])
    for d in targets:
        if f"{d}@{snap}" in st.datasets:
            fail(f"cannot create snapshot '{d}@{snap}': dataset already exists")
    for k in properties or {}:
        if ":" not in k:
            fail(f"cannot create snapshot '{name}@{snap}': property '{k}' is not a user property")
    opts = "".join(f"-o {k}={v} " for k, v in (properties or {}).items())
    lines.append(f"zfs snapshot {'-r ' if recursive else ''}{opts}{name}@{snap}")
    made = []
    for d in targets:
        st.add_dataset(f"{d}@{snap}", SNAP, properties=dict(properties or {}))
        made.append(f"{d}@{snap}")
    return made


def destroy_snapshot(st, name: str, recursive: bool, defer: bool, lines: list[str]) -> None:
    require(st, name)
    ds_name, snap = split_snap(name)
    targets = [name] + ([f"{d}@{snap}" for d in descendants(st, ds_name) if f"{d}@{snap}" in st.datasets]
                        if recursive else [])
    lines.append(f"zfs destroy {'-r ' if recursive else ''}{'-d ' if defer else ''}{name}")
    for s in targets:
        clones = clones_of(st, s)
        if clones and not defer:
            fail(f"cannot destroy '{s}': snapshot has dependent clones\nuse '-R' to destroy the following datasets:\n"
                 + "\n".join(clones))
        if st.datasets[s].get("holds") and not defer:
            fail(f"cannot destroy snapshot {s}: dataset is busy")
    for s in targets:
        if defer and (clones_of(st, s) or st.datasets[s].get("holds")):
            st.datasets[s]["defer_destroy"] = True
        else:
            del st.datasets[s]
    st.dirty = True


def rollback(st, name: str, recursive: bool, lines: list[str]) -> None:
    snap = require(st, name)
    ds_name = split_snap(name)[0]
    ds = require(st, ds_name)
    later = [s["name"] for s in snapshots_of(st, ds_name) if s.get("createtxg", 0) > snap.get("createtxg", 0)]
    if later and not recursive:
        fail(f"cannot rollback to '{name}': more recent snapshots or bookmarks exist\n"
             "use '-r' to force deletion of the following snapshots and bookmarks:\n" + "\n".join(later))
    clones = sorted(c for s in later for c in clones_of(st, s))
    if clones:
        fail(f"cannot rollback to '{name}': clones of previous snapshots exist\n"
             "use '-R' to force deletion of the following clones and dependents:\n" + "\n".join(clones))
    for s in later:
        if st.datasets[s].get("holds"):
            fail(f"cannot destroy snapshot {s}: dataset is busy")
    lines.append(f"zfs rollback {'-r ' if recursive else ''}{name}")
    for s in later:
        del st.datasets[s]
    ds["refer"] = snap.get("refer", ds.get("refer", 0))
    ds["written"] = 0
    if ds["type"] == VOL and snap.get("volsize"):
        ds["volsize"] = snap["volsize"]
        ds["properties"]["volsize"] = str(snap["volsize"])
    st.dirty = True


def clone(st, snap_name: str, target: str, properties: dict | None, lines: list[str]) -> None:
    snap = require(st, snap_name)
    src = require(st, split_snap(snap_name)[0])
    if target in st.datasets:
        fail(f"cannot create '{target}': dataset already exists")
    if pool_of(target) != pool_of(snap_name):
        fail(f"cannot create '{target}': source and target pools differ")
    parent = parent_of(target)
    if parent is None or parent not in st.datasets:
        fail(f"cannot create '{target}': parent does not exist")
    props = {}
    for k, v in (properties or {}).items():
        problem = check_property(st, target, src["type"], k, v, creating=True)
        if problem:
            fail(problem)
        props[k] = canonical(k, v)
    if src["type"] == VOL:
        props.setdefault("volsize", str(snap.get("volsize") or src.get("volsize") or 0))
    lines.append(f"zfs clone {''.join(f'-o {k}={v} ' for k, v in (properties or {}).items())}{snap_name} {target}")
    st.add_dataset(target, src["type"], volsize=int(props["volsize"]) if src["type"] == VOL else None,
                   properties=props, origin=snap_name, refer=snap.get("refer"))
    st.datasets[target]["written"] = 0


def promote(st, name: str, lines: list[str]) -> None:
    ds = require(st, name)
    origin = ds.get("origin")
    if not origin:
        fail(f"cannot promote '{name}': not a cloned filesystem")
    old_name, snap_part = split_snap(origin)
    old = require(st, old_name)
    origin_rec = require(st, origin)
    moving = [s for s in snapshots_of(st, old_name) if s.get("createtxg", 0) <= origin_rec.get("createtxg", 0)]
    for s in moving:
        new = f"{name}@{split_snap(s['name'])[1]}"
        if new in st.datasets:
            fail(f"cannot promote '{name}': snapshot name '{split_snap(s['name'])[1]}' from origin conflicts "
                 f"with '{new}' from target")
    lines.append(f"zfs promote {name}")
    renames = {}
    for s in moving:
        new = f"{name}@{split_snap(s['name'])[1]}"
        renames[s["name"]] = new
        rec = st.datasets.pop(s["name"])
        rec["name"] = new
        st.datasets[new] = rec
    for rec in st.datasets.values():
        if rec.get("origin") in renames:
            rec["origin"] = renames[rec["origin"]]
    ds["origin"] = old.get("origin")
    old["origin"] = f"{name}@{snap_part}"
    st.dirty = True


def rename(st, name: str, new_name: str, recursive: bool, lines: list[str]) -> None:
    require(st, name)
    if is_snap(name):
        ds_name, snap = split_snap(name)
        new_snap = split_snap(new_name)[1] if is_snap(new_name) else new_name
        if is_snap(new_name) and split_snap(new_name)[0] != ds_name:
            fail("cannot rename to '{}': snapshots must be part of same dataset".format(new_name))
        if not SNAP_COMPONENT_RE.match(new_snap):
            fail(f"cannot rename to '{ds_name}@{new_snap}': invalid character in name")
        pairs = [(name, f"{ds_name}@{new_snap}")]
        if recursive:
            pairs += [(f"{d}@{snap}", f"{d}@{new_snap}") for d in descendants(st, ds_name) if f"{d}@{snap}" in st.datasets]
        for _old, new in pairs:
            if new in st.datasets:
                fail(f"cannot rename to '{new}': dataset already exists")
        lines.append(f"zfs rename {'-r ' if recursive else ''}{name} {ds_name}@{new_snap}")
    else:
        if is_snap(new_name):
            fail(f"cannot rename to '{new_name}': snapshot delimiter '@' is not expected here")
        if new_name in st.datasets:
            fail(f"cannot rename to '{new_name}': dataset already exists")
        if pool_of(new_name) != pool_of(name):
            fail(f"cannot rename to '{new_name}': datasets must be within same pool")
        if new_name.startswith(name + "/"):
            fail(f"cannot rename to '{new_name}': New dataset name cannot be a descendant of current dataset name")
        parent = parent_of(new_name)
        if parent is None or parent not in st.datasets:
            fail(f"cannot rename to '{new_name}': parent does not exist")
        user = in_use_by(st, name)
        if user and (st.host_zones.get(user) or {}).get("state") in ("ready", "running", "shutting_down"):
            fail(f"cannot rename '{name}': dataset is busy")
        pairs = [(d, new_name + d[len(name):]) for d in st.datasets
                 if d == name or d.startswith(name + "/") or d.startswith(name + "@")]
        lines.append(f"zfs rename {name} {new_name}")
    mapping = dict(pairs)
    for old, new in pairs:
        rec = st.datasets.pop(old)
        rec["name"] = new
        st.datasets[new] = rec
    for rec in st.datasets.values():
        if rec.get("origin") in mapping:
            rec["origin"] = mapping[rec["origin"]]
    st.dirty = True


def hold(st, name: str, tag: str, recursive: bool, lines: list[str]) -> None:
    require(st, name)
    ds_name, snap = split_snap(name)
    targets = [name] + ([f"{d}@{snap}" for d in descendants(st, ds_name) if f"{d}@{snap}" in st.datasets]
                        if recursive else [])
    for s in targets:
        if tag in (st.datasets[s].get("holds") or {}):
            fail(f"cannot hold snapshot '{s}': tag already exists on this dataset")
    lines.append(f"zfs hold {'-r ' if recursive else ''}{tag} {name}")
    now = int(time.time())
    for s in targets:
        st.datasets[s].setdefault("holds", {})[tag] = now
    st.dirty = True


def release(st, name: str, tag: str, recursive: bool, lines: list[str]) -> None:
    require(st, name)
    ds_name, snap = split_snap(name)
    targets = [name] + ([f"{d}@{snap}" for d in descendants(st, ds_name) if f"{d}@{snap}" in st.datasets]
                        if recursive else [])
    for s in targets:
        if tag not in (st.datasets[s].get("holds") or {}):
            fail(f"cannot release hold from snapshot '{s}': no such tag on this dataset")
    lines.append(f"zfs release {'-r ' if recursive else ''}{tag} {name}")
    for s in targets:
        rec = st.datasets[s]
        del rec["holds"][tag]
        if rec.get("defer_destroy") and not rec["holds"] and not clones_of(st, s):
            del st.datasets[s]
            lines.append(f"{s}: deferred destroy completed")
    st.dirty = True


def holds_rows(st, name: str, recursive: bool) -> list[dict]:
    ds_name, snap = split_snap(name)
    targets = [name] + ([f"{d}@{snap}" for d in descendants(st, ds_name) if f"{d}@{snap}" in st.datasets]
                        if recursive else [])
    rows = []
    for s in targets:
        for tag, when in sorted((st.datasets[s].get("holds") or {}).items()):
            # `zfs holds -H` prints ctime-like stamps ("Wed Nov 22 07:52 2023") [mem]
            rows.append({"name": s, "tag": tag, "timestamp": time.strftime("%a %b %d %H:%M %Y", time.localtime(when))})
    return rows


def pool_properties(st, pool: str) -> dict:
    p = st.pools[pool]
    use = usage(st)
    alloc = pool_alloc(st, pool, use)
    size = p["size"]

    def pv(value, source="-"):
        return {"value": str(value), "source": source}

    props = {
        "allocated": pv(alloc), "altroot": pv(p.get("altroot") or "-", "default"), "ashift": pv(12, "local"),
        "autoexpand": pv("off", "default"), "autoreplace": pv("off", "default"), "autotrim": pv("off", "default"),
        "bootfs": pv("rpool/ROOT/omnios-r151054" if pool == "rpool" else "-", "local" if pool == "rpool" else "default"),
        "bootsize": pv("-", "default"), "cachefile": pv("-", "default"),
        "capacity": pv(alloc * 100 // size if size else 0), "checkpoint": pv("-"), "comment": pv("-", "default"),
        "dedupditto": pv(0, "default"), "dedupratio": pv("1.00"), "delegation": pv("on", "default"),
        "expandsize": pv("-"), "failmode": pv("wait", "default"), "fragmentation": pv(1), "free": pv(size - alloc),
        "freeing": pv(0), "guid": pv(p.get("guid", "0")), "health": pv(p.get("health", "ONLINE")),
        "leaked": pv(0), "listsnapshots": pv("off", "default"), "multihost": pv("off", "default"),
        "readonly": pv("off"), "size": pv(size), "version": pv("-", "default"),
    }
    return props


def pool_row(st, pool: str, use: dict) -> dict:
    p = st.pools[pool]
    alloc = pool_alloc(st, pool, use)
    return {"name": pool, "size": str(p["size"]), "alloc": str(alloc), "free": str(p["size"] - alloc),
            "capacity_percent": str(alloc * 100 // p["size"] if p["size"] else 0), "dedup_ratio": "1.00",
            "health": p.get("health", "ONLINE"), "altroot": p.get("altroot")}
