"""What each task operation does to the simulated host: the zone state
machine (configured -> incomplete -> installed -> ready -> running ->
shutting_down -> installed, `down` after a failed shutdown), ZFS datasets,
and the command lines a real agent would have logged as task output.

Each operation has begin (task dispatched; transitional state), finish (task
done) and on_fail (state left behind by a failure or cancellation)."""
from __future__ import annotations

import copy

from . import machine_snapshots, natdhcp, network, storage, templates, zonecfg
from .tasks import TaskFailure, add_line
from .util import format_size, new_uuid, now_iso


def set_zone_state(sim, name: str, state: str) -> None:
    """zoneadm state changed; each task refreshes the DB row too."""
    hz = sim.state.host_zones.get(name)
    if hz is not None:
        hz["state"] = state
    row = sim.state.machines.get(name)
    if row is not None:
        row["status"] = state
        row["last_seen"] = row["updatedAt"] = now_iso()
    network.zone_state_changed(sim, name, state)   # on-demand VNICs live while the zone runs
    sim.state.dirty = True


BOOT_WRITES = 1 << 20   # what a boot writes to each of the zone's datasets (so `written` moves)


def _guest_writes(sim, name: str) -> None:
    st = sim.state
    for ds_name in machine_snapshots.machine_tree(st, name)[1]:
        ds = st.datasets.get(ds_name)
        if ds is not None:
            ds["refer"] = ds.get("refer", 0) + BOOT_WRITES
            ds["written"] = ds.get("written", 0) + BOOT_WRITES


def _zone(sim, t) -> dict:
    hz = sim.state.host_zones.get(t["zone_name"])
    if hz is None:
        raise TaskFailure(f"zoneadm: {t['zone_name']}: No such zone configured")
    return hz


def _out(t, *lines, stream="stdout"):
    for line in lines:
        add_line(t, line, stream)


# --------------------------------------------------------------------------- power


def start_begin(sim, t):
    name = t["zone_name"]
    hz = _zone(sim, t)
    if hz["state"] == "running":
        t["_ctx"]["noop"] = True
        _out(t, f"Zone {name} is already running")
        return
    if hz["state"] in ("configured", "incomplete"):
        raise TaskFailure(f"zoneadm: zone '{name}': must be installed before boot.")
    _out(t, f"zoneadm -z {name} boot")
    set_zone_state(sim, name, "ready")


def start_finish(sim, t):
    if t["_ctx"].get("noop"):
        return
    set_zone_state(sim, t["zone_name"], "running")
    _guest_writes(sim, t["zone_name"])
    _out(t, f"Zone {t['zone_name']} booted")


def start_fail(sim, t):
    hz = sim.state.host_zones.get(t["zone_name"])
    if hz and hz["state"] == "ready":
        set_zone_state(sim, t["zone_name"], "installed")


def stop_begin(sim, t):
    name = t["zone_name"]
    hz = _zone(sim, t)
    if hz["state"] in ("installed", "configured", "incomplete"):
        t["_ctx"]["noop"] = True
        _out(t, f"Zone {name} is not running (state: {hz['state']})")
        return
    force = (t["_ctx"] or {}).get("force")
    _out(t, f"zoneadm -z {name} {'halt' if force else 'shutdown'}")
    set_zone_state(sim, name, "shutting_down")


def stop_finish(sim, t):
    if t["_ctx"].get("noop"):
        return
    set_zone_state(sim, t["zone_name"], "installed")
    _out(t, f"Zone {t['zone_name']} stopped")


def stop_fail(sim, t):
    hz = sim.state.host_zones.get(t["zone_name"])
    if hz and hz["state"] == "shutting_down":
        set_zone_state(sim, t["zone_name"], "down")   # shutdown never finished


def restart_begin(sim, t):
    hz = _zone(sim, t)
    if hz["state"] != "running":
        raise TaskFailure(f"zoneadm: zone '{t['zone_name']}': not running")
    _out(t, f"zoneadm -z {t['zone_name']} reboot")
    set_zone_state(sim, t["zone_name"], "shutting_down")


def restart_finish(sim, t):
    set_zone_state(sim, t["zone_name"], "running")


# --------------------------------------------------------------------------- delete


def delete_begin(sim, t):
    name = t["zone_name"]
    hz = sim.state.host_zones.get(name)
    if hz is None:
        _out(t, f"Zone {name} not present on the system; removing database record only")
        return
    if hz["state"] in ("running", "ready", "shutting_down", "down"):
        _out(t, f"zoneadm -z {name} halt")
    if hz["state"] != "configured":
        _out(t, f"zoneadm -z {name} uninstall -F")
        set_zone_state(sim, name, "incomplete")


def delete_finish(sim, t):
    st = sim.state
    name = t["zone_name"]
    ctx = t["_ctx"]
    hz = st.host_zones.pop(name, None)
    st.machines.pop(name, None)
    root = ctx.get("root") or (zonecfg_root(hz["config"]) if hz else None)
    if hz is not None:
        _out(t, f"zonecfg -z {name} delete -F")
    if root and f"{root}/path" in st.datasets:
        st.destroy_dataset(f"{root}/path")   # zoneadm uninstall removes the zonepath dataset
    if ctx.get("cleanup") and root:
        if sim.dialect.is_a:
            # only datasets this agent stamped die; attached images survive
            doomed = [d for d, ds in st.datasets.items()
                      if ds["properties"].get("zoneweaver:source") == name]
            for d in sorted(doomed, key=len, reverse=True):
                if d in st.datasets and not any(o.startswith(d + "/") for o in st.datasets if o not in doomed):
                    st.destroy_dataset(d)
                    _out(t, f"zfs destroy -r {d}")
        elif root in st.datasets:
            st.destroy_dataset(root)
            _out(t, f"zfs destroy -r {root}")
    if ctx.get("cleanup_networking"):
        for n in (hz or {}).get("config", {}).get("net", []):
            _out(t, f"dladm delete-vnic {n.get('physical')}")
    _out(t, f"Zone {name} deleted")
    st.dirty = True


def delete_fail(sim, t):
    hz = sim.state.host_zones.get(t["zone_name"])
    if hz and hz["state"] == "incomplete":
        set_zone_state(sim, t["zone_name"], "incomplete")


def zonecfg_root(cfg: dict) -> str:
    return cfg.get("zonepath", "").lstrip("/").rsplit("/path", 1)[0]


# --------------------------------------------------------------------------- create chain


def storage_finish(sim, t):
    st = sim.state
    ctx = t["_ctx"]
    plan = ctx["plan"]
    name = ctx["name"]
    lines: list[str] = []
    stamp = {"zoneweaver:source": name} if sim.dialect.is_a else {}
    boot = plan.get("boot")
    targets = ([boot] if boot else []) + list(plan.get("disks", []))
    # check everything before creating anything, like a careful executor
    for disk in targets:
        if disk["kind"] == "image":
            ds = st.datasets.get(disk["dataset"])
            if ds is None or ds["type"] != "volume":
                raise TaskFailure(f"cannot open '{disk['dataset']}': dataset does not exist")
        elif disk["dataset"] in st.datasets:
            raise TaskFailure(f"cannot create '{disk['dataset']}': dataset already exists")
    source = None
    if boot and boot["kind"] == "template":
        source = boot.get("template_dataset") or _template_dataset(sim, ctx.get("template"))
        if not source or source not in st.datasets or f"{source}@ready" not in st.datasets:
            raise TaskFailure(f"cannot open '{source}@ready': dataset does not exist")
    if plan["root"] not in st.datasets:
        st.ensure_parents(plan["root"])
        st.add_dataset(plan["root"], "filesystem", properties=stamp)
        lines.append(f"zfs create -p {plan['root']}")
    for disk in targets:
        if disk["kind"] == "blank":
            zonecfg.create_zvol(sim, disk["dataset"], disk["size"], disk.get("sparse", True), name, lines)
        elif disk["kind"] == "template":
            tmpl = st.datasets[source]
            size = max(disk.get("size") or 0, tmpl.get("volsize") or 0)
            if disk.get("clone_strategy") == "clone":
                zonecfg.create_zvol(sim, disk["dataset"], size, True, name, lines, origin=f"{source}@ready")
            else:
                lines.append(f"zfs send {source}@ready | zfs recv -F {disk['dataset']}")
                zonecfg.create_zvol(sim, disk["dataset"], size, disk.get("sparse", True), name, [])
            if disk.get("size") and disk["size"] > (tmpl.get("volsize") or 0):
                lines.append(f"zfs set volsize={format_size(disk['size'])} {disk['dataset']}")
            disk["size"] = size
        else:
            lines.append(f"Attaching existing zvol {disk['dataset']}")
    _out(t, *lines)


def _template_dataset(sim, ref: dict | None) -> str | None:
    if not ref:
        return None
    for tmpl in sim.state.templates.values():
        if (tmpl["organization"], tmpl["box_name"], tmpl["version"]) == (ref["organization"], ref["box_name"], ref["version"]):
            return tmpl["dataset_path"]
    return None


def config_finish(sim, t):
    st = sim.state
    ctx = t["_ctx"]
    name = ctx["name"]
    if name in st.host_zones:
        raise TaskFailure(f"zonecfg: Zone {name} already exists; create not allowed.")
    cfg = zonecfg.build_config(sim, ctx)
    st.host_zones[name] = {"state": "configured", "config": cfg, "uuid": None}
    st.dirty = True
    _out(t, f"zonecfg -z {name} \"create -b; set zonepath={cfg['zonepath']}; set brand={cfg['brand']}; "
            f"set autoboot={cfg['autoboot']}; set ip-type=exclusive\"")
    for key, value in cfg.items():
        if key in ("zonename", "zonepath", "brand", "autoboot", "ip-type"):
            continue
        if key == "password":
            value = "********"   # zonecfg echo in task output must not leak it
        _out(t, f"zonecfg -z {name} \"add {key} {value if isinstance(value, str) else '...'}\"")


def install_begin(sim, t):
    hz = _zone(sim, t)
    if hz["state"] == "installed":
        raise TaskFailure(f"zoneadm: zone '{t['zone_name']}' is already installed.")
    if hz["state"] == "incomplete":
        raise TaskFailure(f"zoneadm: zone '{t['zone_name']}': zone is incomplete; uninstall required.")
    _out(t, f"zoneadm -z {t['zone_name']} install")
    set_zone_state(sim, t["zone_name"], "incomplete")


def install_finish(sim, t):
    st = sim.state
    name = t["zone_name"]
    hz = _zone(sim, t)
    hz["uuid"] = new_uuid()
    zonepath_ds = zonecfg_root(hz["config"]) + "/path"
    if zonepath_ds not in st.datasets:
        st.ensure_parents(zonepath_ds)
        st.add_dataset(zonepath_ds, "filesystem",
                       properties={"zoneweaver:source": name} if sim.dialect.is_a else {})
    set_zone_state(sim, name, "installed")
    _out(t, f"Zone {name} installed (uuid {hz['uuid']})")


def finalize_finish(sim, t):
    st = sim.state
    ctx = t["_ctx"]
    name = ctx["name"]
    hz = _zone(sim, t)
    now = now_iso()
    row = {"id": st.next_id("zone"), "name": name, "zone_id": hz.get("uuid") or name,
           "host": sim.hostname, "status": hz["state"], "brand": ctx["zones"].get("brand", "bhyve"),
           "vnc_port": None, "is_orphaned": False, "auto_discovered": False, "last_seen": now,
           "server_id": ctx.get("server_id"), "vm_type": ctx["zones"].get("vmtype") or "production",
           "notes": ctx.get("notes"), "tags": ctx.get("tags"), "document": ctx.get("document") or {},
           "createdAt": now, "updatedAt": now}
    st.machines[name] = row   # syncZoneToDatabase: the row appears only now
    st.dirty = True
    _out(t, f"Zone {name} registered in database")


def template_download_finish(sim, t):
    st = sim.state
    ref = t["_ctx"]["template"]
    org, box, version = ref["organization"], ref["box_name"], ref["version"]
    ds = f"rpool/templates/{org}/{box}/{version}"
    _out(t, f"Downloading {org}/{box} v{version} (zone/amd64)", "zfs recv -u -F " + ds, f"zfs snapshot {ds}@ready")
    size = 20 << 30
    if ds not in st.datasets:
        st.ensure_parents(ds)
        st.add_dataset(ds, "volume", volsize=size, properties={"volsize": str(size)})
        st.add_dataset(f"{ds}@ready", "snapshot")
    tid = new_uuid()
    now = now_iso()
    st.templates[tid] = {
        "id": tid, "source_name": ref.get("source_name") or "default", "organization": org, "box_name": box,
        "version": version, "provider": "zone", "architecture": ref.get("architecture") or "amd64",
        "dataset_path": ds, "original_filename": f"{box}-{version}-zone-amd64.box", "size": size,
        "checksum": None, "checksum_algorithm": "sha256", "source_url": ref.get("url"),
        "downloaded_at": now, "last_verified": now, "metadata": {"provider": "zone", "format": "zss"},
        "created_at": now, "updated_at": now}
    t["progress_info"] = {"status": "completed", "received_bytes": size, "total_bytes": size}


def modify_finish(sim, t):
    name = t["zone_name"]
    hz = _zone(sim, t)
    cfg = copy.deepcopy(hz["config"])
    lines: list[str] = []
    zonecfg.apply_modify(sim, name, cfg, t["_ctx"].get("changes") or {}, lines)
    hz["config"] = cfg   # all-or-nothing, like one zonecfg -f command file
    row = sim.state.machines.get(name)
    if row:
        row["updatedAt"] = now_iso()
    sim.state.dirty = True
    _out(t, *lines)
    _out(t, "Modification applied; changes take effect on next zone boot")


def _noop(sim, t):
    pass


def _generic_begin(sim, t):
    _out(t, f"Running {t['operation']}")


EXECUTORS = {
    "start": (start_begin, start_finish, start_fail),
    "stop": (stop_begin, stop_finish, stop_fail),
    "restart": (restart_begin, restart_finish, _noop),
    "delete": (delete_begin, delete_finish, delete_fail),
    "zone_create_storage": (_generic_begin, storage_finish, _noop),
    "zone_create_config": (_generic_begin, config_finish, _noop),
    "zone_create_install": (install_begin, install_finish, _noop),
    "zone_create_finalize": (_generic_begin, finalize_finish, _noop),
    "template_download": (_generic_begin, template_download_finish, _noop),
    "zone_modify": (_generic_begin, modify_finish, _noop),
}
for _module in (network, natdhcp, storage, machine_snapshots, templates):
    EXECUTORS.update(_module.EXECUTORS)


def begin(sim, t):
    EXECUTORS.get(t["operation"], (_generic_begin, _noop, _noop))[0](sim, t)


def finish(sim, t):
    EXECUTORS.get(t["operation"], (_generic_begin, _noop, _noop))[1](sim, t)


def on_fail(sim, t):
    EXECUTORS.get(t["operation"], (_generic_begin, _noop, _noop))[2](sim, t)
