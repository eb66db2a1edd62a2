"""Zone configuration as `zadm show` prints it (agent-api.md §3 GET {M}/config):
building it from a create body, editing it for a modify, VNIC naming, and the
knob_current view.  Pure functions over plain dicts; the task executors decide
when they run."""
from __future__ import annotations

import re

from .tasks import TaskFailure
from .util import format_size, parse_size

NAME_RE = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-_.]*[a-zA-Z0-9])?$")
VMTYPE_DIGIT = {"template": "1", "development": "2", "production": "3", "firewall": "4", "other": "5"}
NIC_LETTER = {"external": "e", "internal": "i", "carp": "c", "management": "m", "host": "h"}
BHYVE_BRANDS = {"bhyve", "kvm"}
POWERED_OFF = {"configured", "incomplete", "installed", "down"}

# modify field -> zonecfg attr written verbatim (stringified)
SIMPLE_ATTRS = {
    "ram": "ram", "vcpus": "vcpus", "bootrom": "bootrom", "hostbridge": "hostbridge", "diskif": "diskif",
    "netif": "netif", "os_type": "type", "vnc": "vnc", "acpi": "acpi", "xhci": "xhci", "uefivars": "uefivars",
    "rng": "rng", "bootorder": "bootorder", "bootnext": "bootnext", "fs_allowed": "fs-allowed",
}
CLOUD_INIT_ATTRS = {"enabled": "cloud-init", "dns_domain": "dns-domain", "password": "password",
                    "resolvers": "resolvers", "sshkey": "sshkey"}


def valid_zone_name(name) -> bool:
    return isinstance(name, str) and 0 < len(name) <= 64 and bool(NAME_RE.match(name))


def vnic_name(nic_type: str | None, vmtype: str | None, server_id: str | None, index: int) -> str:
    letter = NIC_LETTER.get(nic_type or "external", "e")
    digit = VMTYPE_DIGIT.get(vmtype or "production", "3")
    return f"vnic{letter}{digit}_{server_id or '0000'}_{index}"


def zvol_device(ds: str) -> dict:
    return {"match": f"/dev/zvol/rdsk/{ds}"}


def nic_to_net(nic: dict, physical: str) -> dict:
    """A nics[]/add_nics[] entry -> a zonecfg net resource (only set keys)."""
    net = {"physical": physical}
    if nic.get("global_nic"):
        net["global-nic"] = str(nic["global_nic"])
    if nic.get("vlan_id") not in (None, ""):
        net["vlan-id"] = str(nic["vlan_id"])
    if nic.get("mac_addr") and nic.get("mac_addr") != "auto":
        net["mac-addr"] = str(nic["mac_addr"])
    if nic.get("allowed_address"):
        net["allowed-address"] = str(nic["allowed_address"])
    for k in ("address", "defrouter"):
        if nic.get(k):
            net[k] = str(nic[k])
    if isinstance(nic.get("props"), dict) and nic["props"]:
        net["property"] = [{"name": str(k), "value": str(v)} for k, v in nic["props"].items()]
    return net


def vcpus_value(settings: dict, zones: dict) -> str:
    if zones.get("cpu_configuration") == "complex" and zones.get("complex_cpu_conf"):
        c = zones["complex_cpu_conf"][0]
        return f"sockets={c.get('sockets', 1)},cores={c.get('cores', 1)},threads={c.get('threads', 1)}"
    return str(settings.get("vcpus") or 1)


def _bool_str(v) -> str:
    return "true" if v else "false"


def build_config(sim, ctx: dict) -> dict:
    """The zone's zadm JSON right after `zonecfg create` (config sub-task)."""
    name, plan = ctx["name"], ctx["plan"]
    settings, zones = ctx["settings"], ctx["zones"]
    brand = zones.get("brand", "bhyve")
    cfg = {"zonename": name, "zonepath": f"/{plan['root']}/path", "brand": brand,
           "autoboot": _bool_str(zones.get("autostart")), "ip-type": "exclusive"}
    if brand in BHYVE_BRANDS:
        cfg["ram"] = str(settings.get("memory") or "2G").upper()
        cfg["vcpus"] = vcpus_value(settings, zones)
        cfg["bootrom"] = ctx["bootrom"]
        cfg["hostbridge"] = zones.get("hostbridge") or "i440fx"
        cfg["diskif"] = zones.get("diskif") or "virtio"
        cfg["netif"] = zones.get("netif") or "virtio-net-viona"
        cfg["acpi"] = str(zones.get("acpi") or "on")
        for key in ("vnc", "xhci", "bootorder", "bootnext"):
            if zones.get(key) not in (None, ""):
                cfg[key] = str(zones[key])
        if settings.get("os_type"):
            cfg["type"] = str(settings["os_type"])
        if zones.get("boot_priority") is not None:
            cfg["boot_priority"] = str(zones["boot_priority"])
        for key in ("consoleport", "consolehost"):
            if settings.get(key) not in (None, ""):
                cfg[key] = str(settings[key])
        devices = []
        boot = plan.get("boot")
        if boot:
            ds = sim.state.datasets.get(boot["dataset"])
            size = (ds or {}).get("volsize") or boot.get("size")
            cfg["bootdisk"] = {"path": boot["dataset"], "size": format_size(size) if size else None,
                               "sparse": _bool_str(boot.get("sparse", True))}
            if cfg["bootdisk"]["size"] is None:
                del cfg["bootdisk"]["size"]
            devices.append(zvol_device(boot["dataset"]))
        for i, disk in enumerate(plan.get("disks", [])):
            cfg[f"disk{i}"] = disk["dataset"]
            devices.append(zvol_device(disk["dataset"]))
        fs = []
        for i, path in enumerate(plan.get("cdroms", [])):
            cfg["cdrom" if i == 0 else f"cdrom{i}"] = path
            fs.append(cdrom_fs(path))
        for f in ctx.get("filesystems") or []:
            fs.append(filesystem_entry(f))
        cloud = ctx.get("cloud_init") or {}
        for k, attr in CLOUD_INIT_ATTRS.items():
            if cloud.get(k) not in (None, ""):
                cfg[attr] = str(cloud[k])
        if devices:
            cfg["device"] = devices
        if fs:
            cfg["fs"] = fs
    nets = [nic_to_net(n, n["physical"]) for n in ctx.get("nics", [])]
    if nets:
        cfg["net"] = nets
    return cfg


def cdrom_fs(path: str) -> dict:
    return {"dir": path, "special": path, "type": "lofs", "options": ["ro", "nodevices"]}


def filesystem_entry(f: dict) -> dict:
    return {"dir": f.get("dir") or f["special"], "special": f["special"], "type": f.get("type") or "lofs",
            "options": list(f.get("options") or ["nodevices"])}


# --------------------------------------------------------------------------- modify


def _slots(cfg: dict, base: str, first_bare: bool) -> list[str]:
    """Existing disk/cdrom attr names in index order (cdrom, cdrom1, ... / disk0, disk1...)."""
    names = []
    for k in cfg:
        if k == base and first_bare:
            names.append(k)
        elif k.startswith(base) and k[len(base):].isdigit():
            names.append(k)
    return names


def _next_slot(cfg: dict, base: str, first_bare: bool) -> str:
    if first_bare and base not in cfg:
        return base
    i = 1 if first_bare else 0
    while f"{base}{i}" in cfg:
        i += 1
    return f"{base}{i}"


def apply_modify(sim, name: str, cfg: dict, changes: dict, lines: list[str]) -> None:
    """Apply a modify body (already validated) to a zadm config in place,
    creating new blank zvols.  Raises TaskFailure with zonecfg-style errors."""
    st = sim.state
    root = cfg.get("zonepath", f"/rpool/zones/{name}/path").lstrip("/").rsplit("/path", 1)[0]
    for field, attr in SIMPLE_ATTRS.items():
        if field in changes and changes[field] is not None:
            cfg[attr] = str(changes[field]).upper() if field == "ram" else str(changes[field])
            lines.append(f"zonecfg -z {name} \"select attr name={attr}; set value={cfg[attr]}; end\"")
    if "autoboot" in changes:
        cfg["autoboot"] = _bool_str(changes["autoboot"])
        lines.append(f"zonecfg -z {name} \"set autoboot={cfg['autoboot']}\"")
    if changes.get("cpu_configuration") == "complex" and changes.get("complex_cpu_conf"):
        cfg["vcpus"] = vcpus_value({}, changes)
        lines.append(f"zonecfg -z {name} \"select attr name=vcpus; set value={cfg['vcpus']}; end\"")
    for k, attr in CLOUD_INIT_ATTRS.items():
        ci = changes.get("cloud_init") or {}
        if k in ci:
            if ci[k] in (None, ""):
                cfg.pop(attr, None)
            else:
                cfg[attr] = str(ci[k])
            lines.append(f"zonecfg -z {name} \"select attr name={attr}; set value=...; end\"")
    # NICs
    nets = cfg.setdefault("net", [])
    for phys in changes.get("remove_nics") or []:
        match = [n for n in nets if n.get("physical") == phys]
        if not match:
            raise TaskFailure(f"zonecfg: No such net resource with physical={phys}")
        nets.remove(match[0])
        lines.append(f"zonecfg -z {name} \"remove net physical={phys}\"")
    for upd in changes.get("update_nics") or []:
        match = [n for n in nets if n.get("physical") == upd.get("physical")]
        if not match:
            raise TaskFailure(f"zonecfg: No such net resource with physical={upd.get('physical')}")
        fresh = nic_to_net(upd, upd["physical"])
        match[0].update(fresh)
        lines.append(f"zonecfg -z {name} \"select net physical={upd['physical']}; ...; end\"")
    for nic in changes.get("add_nics") or []:
        physical = nic.get("physical") or _generated_vnic(sim, name, nets, nic)
        if any(n.get("physical") == physical for n in nets):
            raise TaskFailure(f"zonecfg: net resource with physical={physical} already exists")
        nets.append(nic_to_net(nic, physical))
        lines.append(f"zonecfg -z {name} \"add net; set physical={physical}; end\"")
    if not nets:
        cfg.pop("net", None)
    # disks
    devices = cfg.setdefault("device", [])
    for disk in changes.get("remove_disks") or []:
        if disk not in cfg or not disk.startswith("disk"):
            raise TaskFailure(f"zonecfg: No such attr resource with name={disk}")
        ds = cfg.pop(disk)
        devices[:] = [d for d in devices if d.get("match") != f"/dev/zvol/rdsk/{ds}"]
        lines.append(f"zonecfg -z {name} \"remove attr name={disk}; remove device match=/dev/zvol/rdsk/{ds}\"")
    for spec in changes.get("add_disks") or []:
        slot = _next_slot(cfg, "disk", first_bare=False)
        ds = _materialize_disk(sim, name, root, slot, spec, lines)
        cfg[slot] = ds
        devices.append(zvol_device(ds))
        lines.append(f"zonecfg -z {name} \"add attr; set name={slot}; set type=string; set value={ds}; end; "
                     f"add device; set match=/dev/zvol/rdsk/{ds}; end\"")
    if not devices:
        cfg.pop("device", None)
    # cdroms
    fs = cfg.setdefault("fs", [])
    for cd in changes.get("remove_cdroms") or []:
        key = "cdrom" if cd == "cdrom0" else cd
        if key not in cfg or not key.startswith("cdrom"):
            raise TaskFailure(f"zonecfg: No such attr resource with name={cd}")
        path = cfg.pop(key)
        fs[:] = [f for f in fs if f.get("special") != path]
        lines.append(f"zonecfg -z {name} \"remove attr name={key}; remove fs dir={path}\"")
    for cd in changes.get("add_cdroms") or []:
        path = cd.get("path") or f"/iso/{cd.get('iso')}"
        slot = _next_slot(cfg, "cdrom", first_bare=True)
        cfg[slot] = path
        fs.append(cdrom_fs(path))
        lines.append(f"zonecfg -z {name} \"add attr; set name={slot}; set type=string; set value={path}; end\"")
    for d in changes.get("remove_filesystems") or []:
        before = len(fs)
        fs[:] = [f for f in fs if f.get("dir") != d]
        if len(fs) == before:
            raise TaskFailure(f"zonecfg: No such fs resource with dir={d}")
        lines.append(f"zonecfg -z {name} \"remove fs dir={d}\"")
    for f in changes.get("add_filesystems") or []:
        fs.append(filesystem_entry(f))
        lines.append(f"zonecfg -z {name} \"add fs; set dir={fs[-1]['dir']}; set special={f['special']}; end\"")
    if not fs:
        cfg.pop("fs", None)
    # resource controls and friends: stored the way zadm prints resources
    for field, key in (("capped_cpu", "capped-cpu"), ("capped_memory", "capped-memory"),
                       ("dedicated_cpu", "dedicated-cpu"), ("security_flags", "security-flags")):
        if field in changes:
            if changes[field] is None:
                cfg.pop(key, None)
            else:
                cfg[key] = {k: str(v) for k, v in changes[field].items()}
            lines.append(f"zonecfg -z {name} \"{'remove' if changes[field] is None else 'add'} {key}\"")
    if changes.get("rctls") or changes.get("remove_rctls"):
        rctl = {r["name"]: r for r in cfg.get("rctl", [])}
        for n in changes.get("remove_rctls") or []:
            rctl.pop(n, None)
        for r in changes.get("rctls") or []:
            rctl[r["name"]] = {"name": r["name"], "value": f"(priv={r.get('priv', 'privileged')},"
                               f"limit={r['limit']},action={r.get('action', 'deny')})"}
        cfg["rctl"] = list(rctl.values())
        if not cfg["rctl"]:
            del cfg["rctl"]
    if changes.get("admins") or changes.get("remove_admins"):
        adm = {a["user"]: a for a in cfg.get("admin", [])}
        for u in changes.get("remove_admins") or []:
            adm.pop(u, None)
        for a in changes.get("admins") or []:
            adm[a["user"]] = {"user": a["user"], "auths": a["auths"]}
        cfg["admin"] = list(adm.values())
        if not cfg["admin"]:
            del cfg["admin"]
    for field, base in (("virtfs", "virtfs"), ("ppt", "ppt")):
        if field in changes and changes[field] is not None:
            for k in [k for k in cfg if k.startswith(base) and k[len(base):].isdigit()]:
                del cfg[k]
            for i, e in enumerate(changes[field]):
                cfg[f"{base}{i}"] = (f"{e['name']},{e['path']}" + (",ro" if e.get("ro") else "")
                                     if field == "virtfs" else f"{e['device']}:{e.get('state', 'on')}")


def _generated_vnic(sim, name, nets, nic) -> str:
    row = sim.state.machines.get(name) or {}
    i = len(nets)
    while True:
        cand = vnic_name(nic.get("nic_type"), row.get("vm_type"), row.get("server_id"), i)
        if not any(n.get("physical") == cand for n in nets):
            return cand
        i += 1


def _materialize_disk(sim, name, root, slot, spec, lines) -> str:
    """add_disks entry -> the zvol path, creating it when it is a blank one."""
    st = sim.state
    kind = spec.get("type")
    if kind is None:   # Z shape: {create_new, existing_dataset, pool, dataset, volume_name, size}
        kind = "blank" if spec.get("create_new") or not spec.get("existing_dataset") else "image"
    if kind == "image":
        ds = spec.get("path") or spec.get("existing_dataset")
        if ds not in st.datasets or st.datasets[ds]["type"] != "volume":
            raise TaskFailure(f"cannot open '{ds}': dataset does not exist")
        return ds
    pool = spec.get("pool") or "rpool"
    parent = spec.get("dataset") or "zones"
    ds = f"{pool}/{parent}/{name}/{spec.get('volume_name') or slot}"
    if ds in st.datasets:
        raise TaskFailure(f"cannot create '{ds}': dataset already exists")
    size = parse_size(spec.get("size"))
    create_zvol(sim, ds, size, spec.get("sparse", True), name, lines)
    return ds


def create_zvol(sim, ds: str, size: int, sparse: bool, owner: str, lines: list[str], origin: str | None = None):
    st = sim.state
    st.ensure_parents(ds)
    props = {"volsize": str(size), "refreservation": "none" if sparse else str(size)}
    if sim.dialect.is_a:
        props["zoneweaver:source"] = owner   # A stamps what it creates; cleanup destroys only those
    st.add_dataset(ds, "volume", volsize=size, properties=props, origin=origin)
    if origin:
        lines.append(f"zfs clone {origin} {ds}")
    else:
        lines.append(f"zfs create -p {'-s ' if sparse else ''}-V {format_size(size)} {ds}")


# --------------------------------------------------------------------------- views


def knob_current(cfg: dict) -> dict:
    out = {}
    if "vnc" in cfg:
        out["vnc"] = cfg["vnc"]
    if cfg.get("bootorder"):
        out["bootorder"] = [t for t in cfg["bootorder"].split(",") if t]
    for key in ("boot_priority", "consoleport"):
        if cfg.get(key) not in (None, ""):
            try:
                out[key] = int(cfg[key])
            except ValueError:
                pass
    if cfg.get("consolehost"):
        out["consolehost"] = cfg["consolehost"]
    nics = []
    for n in cfg.get("net", []):
        row = {"physical": n.get("physical")}
        netif = next((p["value"] for p in n.get("property", []) if p["name"] == "netif"), None) or cfg.get("netif")
        if netif:
            row["netif"] = netif
        row["props"] = {p["name"]: p["value"] for p in n.get("property", [])}
        nics.append(row)
    out["nics"] = nics
    topo = None
    m = re.match(r"^sockets=(\d+),cores=(\d+),threads=(\d+)$", cfg.get("vcpus", ""))
    if m:
        topo = {"sockets": int(m.group(1)), "cores": int(m.group(2)), "threads": int(m.group(3))}
    out["cpu_topology"] = topo
    return out


def zone_datasets(cfg: dict) -> list[str]:
    """Every zvol the config references (bootdisk, diskN)."""
    out = []
    bd = cfg.get("bootdisk")
    if isinstance(bd, dict) and bd.get("path"):
        out.append(bd["path"])
    elif isinstance(bd, str):
        out.append(bd)
    out += [v for k, v in cfg.items() if k.startswith("disk") and k[4:].isdigit() and isinstance(v, str)]
    return out
