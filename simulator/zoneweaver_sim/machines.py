"""Machine (zone) routes, both generations (agent-api.md §3): list, detail,
config, create with its task chain, server ids, power operations, delete,
modify with A's three answers, pending changes, notes and tags.

`{M}` is /machines/:machineName on 0.3.9 and /zones/:zoneName on 0.2; the
dialect supplies the nouns and JSON keys."""
from __future__ import annotations

import copy
import re

from . import zonecfg
from .server import HTTPError, Response, error
from .tasks import TERMINAL, create_task, task_json
from .util import format_size, now_iso, parse_size

BRANDS = ("bhyve", "lx", "lipkg", "sparse", "pkgsrc", "kvm")
VMTYPES = ("template", "development", "production", "firewall", "other")
NIC_TYPES = ("external", "internal", "carp", "management", "host")
BOX_PART_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
DOC_SECTIONS = ("settings", "zones", "networks", "disks", "provisioner", "provisioner_ref",
                "provisioner_state", "pending_changes", "guest_info", "snapshots", "metadata")

# modify fields per generation; "immediate" ones never queue a task
_INFRA_COMMON = {"ram", "vcpus", "bootrom", "hostbridge", "diskif", "netif", "os_type", "vnc", "acpi", "xhci",
                 "autoboot", "cpu_configuration", "complex_cpu_conf", "add_nics", "remove_nics", "add_disks",
                 "remove_disks", "add_cdroms", "remove_cdroms", "cloud_init"}
INFRA_A = _INFRA_COMMON | {"uefivars", "rng", "bootorder", "bootnext", "update_nics", "add_filesystems",
                           "remove_filesystems", "capped_cpu", "capped_memory", "dedicated_cpu", "rctls",
                           "remove_rctls", "security_flags", "admins", "remove_admins", "fs_allowed", "virtfs", "ppt"}
IMMEDIATE_A = {"notes", "tags", "provisioner", "vagrant_user", "vagrant_user_pass", "vagrant_user_private_key_path",
               "boot_priority", "consoleport", "consolehost", "guest_agent", "snapshots", "resize_disks"}
INFRA_Z = set(_INFRA_COMMON)
IMMEDIATE_Z = {"notes", "tags", "provisioner"}
LIST_FIELDS = {"add_nics", "remove_nics", "update_nics", "add_disks", "remove_disks", "add_cdroms", "remove_cdroms",
               "add_filesystems", "remove_filesystems", "rctls", "remove_rctls", "admins", "remove_admins"}
ACTIVE = {"running", "ready", "shutting_down"}


def _redact(changes: dict) -> dict:
    """Task metadata must not carry secrets (the real executor keeps
    vagrant_user_pass out of metadata too)."""
    out = copy.deepcopy(changes)
    if isinstance(out.get("cloud_init"), dict) and "password" in out["cloud_init"]:
        out["cloud_init"]["password"] = "********"
    return out


class Machines:
    def __init__(self, sim):
        self.sim = sim
        self.d = sim.dialect
        self.st = sim.state

    # ------------------------------------------------------------------ helpers
    def row_or_404(self, name: str) -> dict:
        if not zonecfg.valid_zone_name(name):
            raise error(400, "Invalid zone name")
        row = self.st.machines.get(name)
        if row is None:
            raise error(404, "Zone not found")
        return row

    def merged_config(self, row: dict) -> dict:
        hz = self.st.host_zones.get(row["name"])
        cfg = copy.deepcopy(hz["config"]) if hz else {}
        doc = row.get("document") or {}
        if self.d.document_overlay:
            for k in DOC_SECTIONS:
                if k in doc:
                    cfg[k] = copy.deepcopy(doc[k])
        elif "provisioner" in doc:
            cfg["provisioner"] = copy.deepcopy(doc["provisioner"])
        return cfg

    def zone_json(self, row: dict) -> dict:
        keys = ("id", "name", "zone_id", "host", "status", "brand", "vnc_port", "is_orphaned", "auto_discovered",
                "last_seen", "server_id", "vm_type", "notes", "tags")
        out = {k: copy.deepcopy(row.get(k)) for k in keys}
        out["configuration"] = self.merged_config(row)
        out["createdAt"], out["updatedAt"] = row["createdAt"], row["updatedAt"]
        return out

    def refresh(self, row: dict) -> None:
        """Detail GETs refresh the DB row from the live zoneadm state."""
        hz = self.st.host_zones.get(row["name"])
        if hz is None:
            if not row.get("is_orphaned"):
                row["is_orphaned"] = True
                self.st.dirty = True
        elif row["status"] != hz["state"]:
            row["status"] = hz["state"]
            row["last_seen"] = row["updatedAt"] = now_iso()
            self.st.dirty = True

    def tasks_for(self, name: str, ops=None, statuses=("pending", "running")) -> list[dict]:
        return [t for t in self.st.tasks.values()
                if t["zone_name"] == name and t["status"] in statuses and (ops is None or t["operation"] in ops)]

    def answer(self, **body) -> Response:
        return Response(200, body)

    def doc(self, row: dict) -> dict:
        return row.setdefault("document", {})

    # ------------------------------------------------------------------ reads
    def list(self, req):
        rows = list(self.st.machines.values())
        status = req.q("status")
        if status:
            rows = [r for r in rows if r["status"] == status]
        tag = req.q("tag")
        if tag:
            rows = [r for r in rows if tag in (r.get("tags") or [])]
        orphaned = req.q("orphaned")
        if orphaned in ("true", "false"):
            rows = [r for r in rows if bool(r.get("is_orphaned")) == (orphaned == "true")]
        rows.sort(key=lambda r: r["name"])
        return Response(200, {self.d.list_key: [self.zone_json(r) for r in rows], "total": len(rows)})

    def detail(self, req):
        row = self.row_or_404(req.params["name"])
        self.refresh(row)
        hz = self.st.host_zones.get(row["name"])
        pending = sorted(self.tasks_for(row["name"]), key=lambda t: t["_seq"])[:10]
        body = {self.d.info_key: self.zone_json(row), "configuration": self.merged_config(row),
                "active_vnc_session": None, "pending_tasks": [task_json(self.sim, t, "embedded") for t in pending],
                "system_status": hz["state"] if hz else "not_found"}
        if self.d.pending_changes:
            body["pending_changes"] = copy.deepcopy(self.doc(row).get("pending_changes")) or None
            body["knob_current"] = zonecfg.knob_current(hz["config"] if hz else {})
        return Response(200, body)

    def config(self, req):
        row = self.row_or_404(req.params["name"])
        if row["name"] not in self.st.host_zones:
            raise error(404, "Zone not found")
        return Response(200, {self.d.name_key: row["name"], "configuration": self.merged_config(row)})

    def used_ids(self) -> dict[str, str]:
        used = {r["server_id"]: r["name"] for r in self.st.machines.values() if r.get("server_id")}
        # creates still in flight have claimed their id too
        for t in self.st.tasks.values():
            if t["operation"] == "zone_create_orchestration" and t["status"] not in TERMINAL:
                sid = t["_ctx"].get("server_id")
                if sid and sid not in used:
                    used[sid] = t["zone_name"]
        return used

    def next_id(self) -> str:
        used = {int(s) for s in self.used_ids() if s.isdigit()}
        n = 1
        while n in used:
            n += 1
        return f"{n:04d}"

    def ids(self, req):
        used = [{"server_id": r["server_id"], self.d.name_key: r["name"], "status": r["status"]}
                for r in sorted(self.st.machines.values(), key=lambda r: r.get("server_id") or "")
                if r.get("server_id")]
        return Response(200, {"used": used,
                              "constraints": {"format": "numeric", "min_length": 4, "max_length": 8,
                                              "min_value": 1, "max_value": 99999999},
                              "next_available": self.next_id(), "total_used": len(used)})

    def ids_next(self, req):
        return Response(200, {"server_id": self.next_id()})

    # ------------------------------------------------------------------ create
    def create(self, req):
        body = req.body if isinstance(req.body, dict) else {}
        settings, zones = body.get("settings"), body.get("zones")
        if not (isinstance(settings, dict) and settings.get("hostname") and settings.get("domain")
                and isinstance(zones, dict) and zones.get("brand")):
            raise error(400, "Missing required parameters: settings.hostname, settings.domain, and zones.brand are required")
        settings, zones = copy.deepcopy(settings), copy.deepcopy(zones)
        hostname, domain = str(settings["hostname"]), str(settings["domain"])
        if zones["brand"] not in BRANDS:
            raise error(400, f"Invalid brand '{zones['brand']}'. Must be one of: {', '.join(BRANDS)}")
        vmtype = zones.get("vmtype") or "production"
        if vmtype not in VMTYPES:
            raise error(400, f"Invalid vmtype '{vmtype}'. Must be one of: {', '.join(VMTYPES)}")
        sid = self._server_id(settings)
        name = f"{sid}--{hostname}.{domain}" if self.sim.prefix_zone_names else f"{hostname}.{domain}"
        if not zonecfg.valid_zone_name(name):
            raise error(400, "Invalid zone name")
        if name in self.st.machines:
            raise error(409, f"Zone {name} already exists in database")
        if name in self.st.host_zones:
            raise error(409, f"Zone {name} already exists on the system",
                        system_status=self.st.host_zones[name]["state"])
        for t in self.st.tasks.values():
            if (t["operation"] == "zone_create_orchestration" and t["zone_name"] == name
                    and t["status"] not in TERMINAL):
                raise error(409, f"Zone {name} is already being created", parent_task_id=t["id"])
        if sid:
            owner = self.used_ids().get(sid)
            if owner:
                raise error(409, f"Server ID {sid} is already in use by {owner}", server_id=sid)
        self._validate_settings(settings, zones)
        for key, kind in (("tags", list), ("nics", list), ("cdroms", list), ("filesystems", list),
                          ("cloud_init", dict), ("networks", list)):
            if body.get(key) is not None and not isinstance(body[key], kind):
                raise error(400, f"{key} must be an {'array' if kind is list else 'object'}")
        if body.get("tags") is not None and not all(isinstance(x, str) for x in body["tags"]):
            raise error(400, "tags must be an array of strings")
        if body.get("notes") is not None and not isinstance(body["notes"], str):
            raise error(400, "notes must be a string or null")
        plan, template = (self._plan_a if self.d.typed_disks else self._plan_z)(body, settings, name)
        template_ref, needs_download = template if template else (None, False)
        self._check_image_use(plan, name, bool(body.get("force")))
        nics = self._nics(body.get("nics") or [], vmtype, sid)
        for f in body.get("filesystems") or []:
            if not isinstance(f, dict) or not f.get("special"):
                raise error(400, "filesystems entries require special")
        if self.d.typed_disks:
            fw = settings.get("firmware_type")
            if fw not in (None, "UEFI", "BIOS"):
                raise error(400, "settings.firmware_type must be one of: UEFI, BIOS")
            bootrom = zones.get("bootrom") or ("BHYVE_RELEASE_CSM" if fw == "BIOS" else "BHYVE_RELEASE")
        else:
            bootrom = zones.get("bootrom") or "BHYVE_RELEASE_CSM"
        if sid:
            settings["server_id"] = sid
        document = {"settings": settings, "zones": zones, "networks": copy.deepcopy(body.get("networks") or []),
                    "disks": copy.deepcopy(body.get("disks") or {})}
        if isinstance(body.get("provisioner"), dict):
            document["provisioner"] = copy.deepcopy(body["provisioner"])
        ctx = {"name": name, "plan": plan, "settings": settings, "zones": zones, "nics": nics,
               "cloud_init": copy.deepcopy(body.get("cloud_init") or {}),
               "filesystems": copy.deepcopy(body.get("filesystems") or []), "bootrom": bootrom,
               "server_id": sid, "notes": body.get("notes"), "tags": body.get("tags"), "document": document,
               "template": template_ref}
        return self._queue_create(req, name, ctx, template_ref if needs_download else None,
                                  bool(body.get("start_after_create")))

    def _server_id(self, settings: dict) -> str | None:
        sid = settings.get("server_id")
        noun = self.d.noun
        if sid in (None, ""):
            if self.sim.prefix_zone_names:
                raise error(400, "settings.server_id is required when zone name prefixing is enabled",
                            hint=f"Use GET /{noun}/ids/next to get the next available server ID, "
                                 f"or GET /{noun}/ids for all used IDs",
                            config={"prefix_zone_names": True})
            return None
        s = str(sid)
        if isinstance(sid, bool) or not s.isdigit() or len(s) > 8 or int(s) < 1:
            raise error(400, "settings.server_id must be numeric (1-99999999, at most 8 digits)", provided=sid)
        return s.zfill(4)

    def _validate_settings(self, settings: dict, zones: dict) -> None:
        v = settings.get("vcpus")
        if v is not None and (isinstance(v, bool) or not str(v).isdigit() or int(v) < 1):
            raise error(400, "settings.vcpus must be a positive integer")
        mem = settings.get("memory")
        if mem is not None and parse_size(mem) is None:
            raise error(400, f"settings.memory is not a valid size: {mem}")
        port = settings.get("consoleport")
        if port is not None and (isinstance(port, bool) or not str(port).isdigit() or not 1025 <= int(port) <= 65535):
            raise error(400, "settings.consoleport must be between 1025 and 65535")
        self._validate_cpu(zones)

    def _validate_cpu(self, spec: dict, prefix: str = "zones.") -> None:
        conf = spec.get("cpu_configuration")
        if conf is None:
            return
        if conf not in ("simple", "complex"):
            raise error(400, f"{prefix}cpu_configuration must be 'simple' or 'complex'")
        if conf == "complex":
            c = spec.get("complex_cpu_conf")
            if not (isinstance(c, list) and c and isinstance(c[0], dict)):
                raise error(400, f"{prefix}complex_cpu_conf is required when cpu_configuration is 'complex'")
            for key, hi in (("sockets", 16), ("cores", 32), ("threads", 2)):
                val = c[0].get(key)
                if isinstance(val, bool) or not isinstance(val, int) or not 1 <= val <= hi:
                    raise error(400, f"{prefix}complex_cpu_conf {key} must be an integer between 1 and {hi}")

    def _template_ref(self, settings: dict) -> tuple[dict, bool]:
        box = settings.get("box")
        if not isinstance(box, str) or box.count("/") != 1 or not all(BOX_PART_RE.match(p) for p in box.split("/")):
            raise error(400, "settings.box must be in the form 'organization/box-name'", provided=box)
        org, bname = box.split("/")
        version = settings.get("box_version") or "latest"
        if not BOX_PART_RE.match(str(version)):
            raise error(400, f"Invalid box_version: {version}")
        local = [t for t in self.st.templates.values()
                 if t["organization"] == org and t["box_name"] == bname and t["provider"] == "zone"]
        if version == "latest":
            if local:
                version = sorted((t["version"] for t in local), reverse=True)[0]
            else:
                version = "1.0.0"   # the simulator's registry answer for "latest"
        found = any(t["version"] == version for t in local)
        return ({"organization": org, "box_name": bname, "version": version,
                 "architecture": settings.get("box_arch") or "amd64", "url": settings.get("box_url")}, not found)

    def _plan_a(self, body, settings, name):
        """The typed disk wire of 0.3.9 (disks.boot.type)."""
        disks = body.get("disks") or {}
        if not isinstance(disks, dict):
            raise error(400, "disks must be an object")
        if "additional" in disks:
            raise error(400, "disks.additional is not supported; declare disks.additional_disks[] entries with type image|blank")
        boot = disks.get("boot")
        if boot is None:
            boot = {"type": "template" if settings.get("box") else "none"}
        if not isinstance(boot, dict):
            raise error(400, "disks.boot must be an object")
        if "source" in boot:
            raise error(400, "disks.boot.type is required (template|image|blank|none); the disks.boot.source shape is not supported")
        btype = boot.get("type")
        if btype not in ("template", "image", "blank", "none"):
            raise error(400, "disks.boot.type must be one of: template, image, blank, none")
        pool, parent = boot.get("pool") or "rpool", boot.get("dataset") or "zones"
        plan = {"root": f"{pool}/{parent}/{name}", "boot": None, "disks": [], "cdroms": []}
        template = None
        if btype == "none":
            extra = set(boot) - {"type"}
            if extra:
                raise error(400, f"disks.boot.type none takes no other keys (got {', '.join(sorted(extra))})")
        elif btype == "blank":
            size = parse_size(boot.get("size"))
            if not boot.get("size"):
                raise error(400, "disks.boot.type blank requires size")
            if not size:
                raise error(400, f"disks.boot.size is not a valid size: {boot.get('size')}")
            plan["boot"] = {"kind": "blank", "dataset": f"{plan['root']}/{boot.get('volume_name') or 'boot'}",
                            "size": size, "sparse": boot.get("sparse", True) is not False}
        elif btype == "image":
            if not boot.get("path"):
                raise error(400, "disks.boot.type image requires path")
            plan["boot"] = {"kind": "image", "dataset": boot["path"], "force": bool(boot.get("force"))}
        else:
            if not settings.get("box"):
                raise error(400, "disks.boot.type template requires settings.box")
            strategy = boot.get("clone_strategy") or "copy"
            if strategy not in ("clone", "copy", "localize"):
                raise error(400, "disks.boot.clone_strategy must be one of: clone, copy, localize")
            size = parse_size(boot["size"]) if boot.get("size") else None
            if boot.get("size") and not size:
                raise error(400, f"disks.boot.size is not a valid size: {boot.get('size')}")
            template = self._template_ref(settings)
            plan["boot"] = {"kind": "template", "dataset": f"{plan['root']}/{boot.get('volume_name') or 'boot'}",
                            "size": size, "sparse": boot.get("sparse", True) is not False,
                            "clone_strategy": "clone" if strategy == "localize" else strategy}
        extra_disks = disks.get("additional_disks") or []
        if not isinstance(extra_disks, list):
            raise error(400, "disks.additional_disks must be an array")
        for i, disk in enumerate(extra_disks):
            where = f"disks.additional_disks[{i}]"
            plan["disks"].append(self._typed_disk(disk, where, name, i))
        cdroms = disks.get("cdroms") or []
        if not isinstance(cdroms, list):
            raise error(400, "disks.cdroms must be an array")
        for i, cd in enumerate(cdroms):
            if not isinstance(cd, dict) or (bool(cd.get("path")) == bool(cd.get("iso"))):
                raise error(400, f"disks.cdroms[{i}] must set exactly one of path or iso")
            plan["cdroms"].append(cd.get("path") or f"/iso/{cd['iso']}")
        return plan, template

    def _typed_disk(self, disk, where: str, name: str, index: int) -> dict:
        if not isinstance(disk, dict) or disk.get("type") not in ("image", "blank"):
            raise error(400, f"{where}.type must be one of: image, blank")
        if disk["type"] == "image":
            if not disk.get("path"):
                raise error(400, f"{where}: type image requires path")
            return {"kind": "image", "dataset": disk["path"], "force": bool(disk.get("force"))}
        if not disk.get("size"):
            raise error(400, f"{where}: type blank requires size")
        size = parse_size(disk["size"])
        if not size:
            raise error(400, f"{where}.size is not a valid size: {disk['size']}")
        pool, parent = disk.get("pool") or "rpool", disk.get("dataset") or "zones"
        return {"kind": "blank", "dataset": f"{pool}/{parent}/{name}/{disk.get('volume_name') or f'disk{index}'}",
                "size": size, "sparse": disk.get("sparse", True) is not False}

    def _plan_z(self, body, settings, name):
        """0.2's shape: disks.boot.source{type template|scratch}, disks.additional[], top-level cdroms[]."""
        disks = body.get("disks") or {}
        if not isinstance(disks, dict):
            raise error(400, "disks must be an object")
        boot = disks.get("boot")
        if boot is None and settings.get("box"):
            boot = {"source": {"type": "template"}}
        pool = (boot or {}).get("pool") or "rpool"
        parent = (boot or {}).get("dataset") or "zones"
        source = (boot or {}).get("source")
        template = None
        if boot is not None and not source and (boot or {}).get("dataset") and not boot.get("size"):
            # existing zvol: disks.boot.dataset is its full path
            plan = {"root": f"rpool/zones/{name}", "boot": {"kind": "image", "dataset": boot["dataset"],
                                                             "force": bool(body.get("force"))}}
        else:
            plan = {"root": f"{pool}/{parent}/{name}", "boot": None}
            if boot is not None:
                stype = (source or {}).get("type", "scratch")
                if stype not in ("template", "scratch"):
                    raise error(400, "disks.boot.source.type must be 'template' or 'scratch'")
                size = parse_size(boot.get("size") or "48G")
                if not size:
                    raise error(400, f"Invalid disk size: {boot.get('size')}")
                entry = {"dataset": f"{plan['root']}/{boot.get('volume_name') or 'boot'}", "size": size,
                         "sparse": boot.get("sparse", True) is not False}
                if stype == "scratch":
                    entry["kind"] = "blank"
                else:
                    entry.update(kind="template", clone_strategy=source.get("clone_strategy") or "clone",
                                 size=parse_size(boot["size"]) if boot.get("size") else None)
                    if source.get("template_dataset"):
                        entry["template_dataset"] = source["template_dataset"]
                    elif settings.get("box"):
                        template = self._template_ref(settings)
                    else:
                        raise error(400, "disks.boot.source.template_dataset or settings.box is required for template disks")
                plan["boot"] = entry
        plan["disks"] = []
        extra = disks.get("additional") or []
        if not isinstance(extra, list):
            raise error(400, "disks.additional must be an array")
        for i, disk in enumerate(extra):
            if not isinstance(disk, dict):
                raise error(400, f"disks.additional[{i}] must be an object")
            if disk.get("size"):
                size = parse_size(disk["size"])
                if not size:
                    raise error(400, f"Invalid disk size: {disk['size']}")
                d_pool, d_parent = disk.get("pool") or "rpool", disk.get("dataset") or "zones"
                plan["disks"].append({"kind": "blank", "size": size, "sparse": disk.get("sparse", True) is not False,
                                      "dataset": f"{d_pool}/{d_parent}/{name}/{disk.get('volume_name') or f'disk{i}'}"})
            elif disk.get("dataset"):
                plan["disks"].append({"kind": "image", "dataset": disk["dataset"]})
            else:
                raise error(400, f"disks.additional[{i}] needs size (new volume) or dataset (existing zvol)")
        plan["cdroms"] = []
        for i, cd in enumerate(body.get("cdroms") or []):
            if not isinstance(cd, dict) or not cd.get("path"):
                raise error(400, f"cdroms[{i}].path is required")
            plan["cdroms"].append(cd["path"])
        return plan, template

    def _check_image_use(self, plan: dict, name: str, force: bool) -> None:
        images = [d for d in ([plan["boot"]] if plan.get("boot") else []) + plan["disks"] if d["kind"] == "image"]
        for img in images:
            if force or img.get("force"):
                continue
            for other, hz in self.st.host_zones.items():
                if img["dataset"] in zonecfg.zone_datasets(hz["config"]):
                    raise error(400, f"zvol {img['dataset']} is already in use by {other}",
                                hint="Set force: true to attach it anyway")

    def _nics(self, nics: list, vmtype: str, sid: str | None) -> list[dict]:
        out = []
        for i, nic in enumerate(nics):
            if not isinstance(nic, dict):
                raise error(400, f"nics[{i}] must be an object")
            ntype = nic.get("nic_type") or "external"
            if ntype not in NIC_TYPES:
                raise error(400, f"nics[{i}].nic_type must be one of: {', '.join(NIC_TYPES)}")
            vlan = nic.get("vlan_id")
            if vlan not in (None, "") and (isinstance(vlan, bool) or not str(vlan).isdigit()
                                           or not 1 <= int(vlan) <= 4094):
                raise error(400, f"nics[{i}].vlan_id must be between 1 and 4094")
            entry = dict(nic)
            entry["physical"] = nic.get("physical") or zonecfg.vnic_name(ntype, vmtype, sid, i)
            out.append(entry)
        names = [n["physical"] for n in out]
        if len(set(names)) != len(names):
            raise error(400, "nics: duplicate physical names")
        return out

    def _queue_create(self, req, name, ctx, template, start_after):
        actor = req.actor
        meta = {self.d.name_key: name, "hostname": ctx["settings"]["hostname"],
                "domain": ctx["settings"]["domain"], "server_id": ctx["server_id"],
                "brand": ctx["zones"].get("brand"), "start_after_create": start_after}
        anchor = create_task(self.sim, name, "zone_create_orchestration", created_by=actor, metadata=meta,
                             ctx={"server_id": ctx["server_id"]})
        sub, prev = {}, None
        if template is not None:
            dl = create_task(self.sim, "system", "template_download", created_by=actor, parent_task_id=anchor["id"],
                             metadata=dict(template), ctx={"template": template})
            sub["template_download"] = prev = dl["id"]
        for key, op in (("storage", "zone_create_storage"), ("config", "zone_create_config"),
                        ("install", "zone_create_install"), ("finalize", "zone_create_finalize")):
            t = create_task(self.sim, name, op, created_by=actor, depends_on=prev, parent_task_id=anchor["id"],
                            metadata={self.d.name_key: name, "step": key}, ctx=ctx)
            sub[key] = prev = t["id"]
        if start_after:
            t = create_task(self.sim, name, "start", created_by=actor, depends_on=prev, parent_task_id=anchor["id"],
                            metadata={self.d.name_key: name})
            sub["start"] = t["id"]
        needs_download = template is not None
        return self.answer(success=True, parent_task_id=anchor["id"], **{self.d.name_key: name},
                           operation="zone_create_orchestration", status="pending",
                           message=("Template download and zone creation queued" if needs_download
                                    else "Zone creation queued"),
                           requires_download=needs_download, sub_tasks=sub)

    # ------------------------------------------------------------------ power
    def _apply_pending(self, req, row, depends_on=None) -> str | None:
        """A: accrued modify changes ride the next agent-driven power cycle."""
        if not self.d.pending_changes:
            return None
        doc = self.doc(row)
        changes = doc.get("pending_changes")
        if not changes:
            return None
        t = create_task(self.sim, row["name"], "zone_modify", created_by=req.actor, depends_on=depends_on,
                        metadata={self.d.name_key: row["name"], "changes": _redact(changes), "pending_apply": True},
                        ctx={"changes": changes})
        doc.pop("pending_changes", None)
        self.st.dirty = True
        return t["id"]

    def start(self, req):
        row = self.row_or_404(req.params["name"])
        name, nk = row["name"], self.d.name_key
        if row["status"] == "running":
            return self.answer(success=True, **{nk: name}, operation="start", status="already_running",
                               message="Zone is already running")
        queued = self.tasks_for(name, ops=("start",))
        if queued:
            return self.answer(success=True, task_id=queued[0]["id"], **{nk: name}, operation="start",
                               status="pending", message="Start task already queued")
        apply_id = self._apply_pending(req, row)
        t = create_task(self.sim, name, "start", created_by=req.actor, depends_on=apply_id, metadata={nk: name})
        return self.answer(success=True, task_id=t["id"], **{nk: name}, operation="start", status="pending",
                           message="Start task queued successfully")

    def stop(self, req):
        row = self.row_or_404(req.params["name"])
        name, nk = row["name"], self.d.name_key
        force = req.q("force") == "true"
        if row["status"] in ("configured", "installed"):
            return self.answer(success=True, **{nk: name}, operation="stop", status="already_stopped",
                               message="Zone is already stopped")
        for t in self.tasks_for(name, ops=("start",), statuses=("pending",)):
            self.sim.engine.cancel(t)   # a stop supersedes queued starts
        queued = self.tasks_for(name, ops=("stop",))
        if queued:
            return self.answer(success=True, task_id=queued[0]["id"], **{nk: name}, operation="stop",
                               status="pending", message="Stop task already queued", force=force)
        t = create_task(self.sim, name, "stop", created_by=req.actor, metadata={nk: name, "force": force},
                        ctx={"force": force})
        self._apply_pending(req, row, depends_on=t["id"])
        return self.answer(success=True, task_id=t["id"], **{nk: name}, operation="stop", status="pending",
                           message="Stop task queued successfully", force=force)

    def restart(self, req):
        row = self.row_or_404(req.params["name"])
        name, nk = row["name"], self.d.name_key
        stop = create_task(self.sim, name, "stop", created_by=req.actor, metadata={nk: name, "restart": True})
        apply_id = self._apply_pending(req, row, depends_on=stop["id"])
        start = create_task(self.sim, name, "start", created_by=req.actor, depends_on=apply_id or stop["id"],
                            metadata={nk: name, "restart": True})
        return self.answer(success=True, restart_tasks={"stop_task_id": stop["id"], "start_task_id": start["id"]},
                           **{nk: name}, operation="restart", status="pending",
                           message="Restart tasks queued successfully")

    def delete(self, req):
        row = self.row_or_404(req.params["name"])
        name, nk = row["name"], self.d.name_key
        force = bool(req.q("force"))          # any non-empty string, "false" included
        cleanup = req.q(self.d.cleanup_flag) == "true"
        cleanup_net = req.q("cleanup_networking") == "true"
        if row["status"] == "running" and not force:
            raise error(400, "Zone is running. Use force=true to stop and delete", current_status=row["status"])
        ids, prev = [], None
        if row["status"] == "running":
            stop = create_task(self.sim, name, "stop", created_by=req.actor, metadata={nk: name, "force": True},
                               ctx={"force": True})
            ids.append(stop["id"])
            prev = stop["id"]
        hz = self.st.host_zones.get(name)
        root = executors_root(hz)
        t = create_task(self.sim, name, "delete", created_by=req.actor, depends_on=prev,
                        metadata={nk: name, "force": force, self.d.cleanup_flag: cleanup,
                                  "cleanup_networking": cleanup_net},
                        ctx={"cleanup": cleanup, "cleanup_networking": cleanup_net, "root": root})
        ids.append(t["id"])
        return self.answer(success=True, delete_tasks=ids, **{nk: name}, operation="delete", status="pending",
                           message="Delete tasks queued successfully", force=force)

    # ------------------------------------------------------------------ modify
    def modify(self, req):
        body = req.body if isinstance(req.body, dict) else {}
        row = self.row_or_404(req.params["name"])
        name, nk = row["name"], self.d.name_key
        infra_fields = INFRA_A if self.d.is_a else INFRA_Z
        immediate_fields = IMMEDIATE_A if self.d.is_a else IMMEDIATE_Z
        present = {k: v for k, v in body.items() if k in infra_fields or k in immediate_fields}
        if not present:
            raise error(400, "No modification fields specified")
        self._validate_modify(present)
        infra = {k: copy.deepcopy(v) for k, v in present.items() if k in infra_fields}
        extra = {}
        requires_restart = self._apply_immediate(row, {k: v for k, v in present.items() if k in immediate_fields}, extra)
        self.st.dirty = True
        if not infra:
            return self.answer(success=True, **{nk: name}, operation="zone_modify", status="completed",
                               message="Zone updated successfully", requires_restart=requires_restart, **extra)
        state = row["status"]
        if self.d.pending_changes and state not in zonecfg.POWERED_OFF:
            doc = self.doc(row)
            merged = merge_changes(doc.get("pending_changes") or {}, infra)
            doc["pending_changes"] = merged
            row["updatedAt"] = now_iso()
            return self.answer(success=True, **{nk: name}, operation="zone_modify", status="pending_power_cycle",
                               message="Zone is not powered off; changes accrued and will be applied at the next "
                                       "agent-driven stop, start or restart",
                               pending_changes=_redact(merged), requires_restart=True, **extra)
        t = create_task(self.sim, name, "zone_modify", created_by=req.actor,
                        metadata={nk: name, "changes": _redact(infra)}, ctx={"changes": infra})
        return self.answer(success=True, task_id=t["id"], **{nk: name}, operation="zone_modify", status="pending",
                           message="Modification queued. Changes will take effect on next zone boot.",
                           requires_restart=True, **extra)

    def _validate_modify(self, ch: dict) -> None:
        def arr(field, item=None):
            if field in ch:
                v = ch[field]
                if not isinstance(v, list) or (item and not all(isinstance(x, item) for x in v)):
                    raise error(400, f"{field} must be an array" + (" of strings" if item is str else
                                                                     " of objects" if item is dict else ""))
        for f in ("remove_nics", "remove_disks", "remove_cdroms", "remove_filesystems", "remove_rctls", "remove_admins"):
            arr(f, str)
        for f in ("add_nics", "update_nics", "add_disks", "add_cdroms", "add_filesystems", "rctls", "admins",
                  "resize_disks", "virtfs", "ppt"):
            arr(f, dict)
        if "ram" in ch and (ch["ram"] is None or parse_size(ch["ram"]) is None):
            raise error(400, f"Invalid ram value: {ch['ram']}")
        if "vcpus" in ch:
            v = ch["vcpus"]
            ok = (not isinstance(v, bool) and isinstance(v, (int, str))
                  and (str(v).isdigit() and int(v) >= 1 or re.match(r"^sockets=\d+,cores=\d+,threads=\d+$", str(v))))
            if not ok:
                raise error(400, f"Invalid vcpus value: {v}")
        if "autoboot" in ch and not isinstance(ch["autoboot"], bool):
            raise error(400, "autoboot must be a boolean")
        if "notes" in ch and ch["notes"] is not None and not isinstance(ch["notes"], str):
            raise error(400, "notes must be a string or null")
        if "tags" in ch and ch["tags"] is not None and not (isinstance(ch["tags"], list)
                                                             and all(isinstance(x, str) for x in ch["tags"])):
            raise error(400, "tags must be an array of strings or null")
        if "cloud_init" in ch and not isinstance(ch["cloud_init"], dict):
            raise error(400, "cloud_init must be an object")
        self._validate_cpu(ch, prefix="")
        for i, nic in enumerate(ch.get("update_nics") or []):
            if not nic.get("physical"):
                raise error(400, f"update_nics[{i + 1}].physical is required")
        for i, disk in enumerate(ch.get("add_disks") or []):
            where = f"add_disks[{i + 1}]"   # 1-based, as A's refusals say
            if self.d.typed_disks:
                self._typed_disk(disk, where, "x", i)
            elif disk.get("create_new") and not parse_size(disk.get("size")):
                raise error(400, f"{where}: size is required for a new disk")
        for i, cd in enumerate(ch.get("add_cdroms") or []):
            if self.d.typed_disks:
                if bool(cd.get("path")) == bool(cd.get("iso")):
                    raise error(400, f"add_cdroms[{i + 1}] must set exactly one of path or iso")
            elif not cd.get("path"):
                raise error(400, f"add_cdroms[{i + 1}].path is required")
        for key, lo, hi in (("boot_priority", 1, 100), ("consoleport", 1025, 65535)):
            v = ch.get(key)
            if key in ch and v is not None and (isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi):
                raise error(400, f"{key} must be an integer between {lo} and {hi} (or null)")

    def _apply_immediate(self, row: dict, ch: dict, extra: dict) -> bool:
        """DB-only fields (and the attrs A writes through zonecfg's offline
        store) apply synchronously.  Returns requires_restart."""
        requires_restart = False
        doc = self.doc(row)
        hz = self.st.host_zones.get(row["name"])
        if "notes" in ch:
            row["notes"] = ch["notes"]
        if "tags" in ch:
            row["tags"] = ch["tags"]
        if "provisioner" in ch:
            doc["provisioner"] = copy.deepcopy(ch["provisioner"])
        if "snapshots" in ch:
            doc["snapshots"] = copy.deepcopy(ch["snapshots"])
        for key in ("vagrant_user", "vagrant_user_pass", "vagrant_user_private_key_path"):
            if key in ch:
                settings = doc.setdefault("settings", {})
                if ch[key] in (None, ""):
                    settings.pop(key, None)
                else:
                    settings[key] = ch[key]
        if hz is not None:
            for key in ("boot_priority", "consoleport", "consolehost"):
                if key in ch:
                    if ch[key] in (None, ""):
                        hz["config"].pop(key, None)
                    else:
                        hz["config"][key] = str(ch[key])
            if "guest_agent" in ch:
                requires_restart = True
                if ch["guest_agent"]:
                    hz["config"]["extra"] = "-s 9,virtio-console,org.qemu.guest_agent.0=/tmp/qga.sock"
                else:
                    hz["config"].pop("extra", None)
            if ch.get("resize_disks"):
                extra["resized_disks"] = self._resize(row, hz, ch["resize_disks"])
                requires_restart = requires_restart or any(r["requires_restart"] for r in extra["resized_disks"])
        row["updatedAt"] = now_iso()
        return requires_restart

    def _resize(self, row, hz, entries) -> list[dict]:
        cfg = hz["config"]
        out = []
        for i, e in enumerate(entries):
            disk = e.get("name")
            ds_name = (cfg.get("bootdisk") or {}).get("path") if disk == "bootdisk" else cfg.get(disk)
            if not isinstance(ds_name, str) or ds_name not in self.st.datasets:
                raise error(400, f"resize_disks[{i + 1}]: no disk named {disk}")
            size = parse_size(e.get("size"))
            if not size:
                raise error(400, f"resize_disks[{i + 1}]: invalid size {e.get('size')}")
            ds = self.st.datasets[ds_name]
            prev = ds.get("volsize") or 0
            if size < prev:
                if not e.get("allow_shrink"):
                    raise error(400, f"resize_disks[{i + 1}]: shrinking {disk} truncates the volume; "
                                     "set allow_shrink: true to confirm")
                if row["status"] not in zonecfg.POWERED_OFF:
                    raise error(400, f"resize_disks[{i + 1}]: shrinking requires the machine to be powered off")
            ds["volsize"] = size
            ds["properties"]["volsize"] = str(size)
            if disk == "bootdisk" and isinstance(cfg.get("bootdisk"), dict):
                cfg["bootdisk"]["size"] = format_size(size)
            diskif = cfg.get("diskif", "virtio")
            out.append({"name": disk, "dataset": ds_name, "diskif": diskif, "previous_bytes": prev,
                        "resized_to": size, "shrunk": size < prev,
                        "requires_restart": diskif.startswith(("ahci", "ide"))})
        return out

    def pending_clear(self, req):
        row = self.row_or_404(req.params["name"])
        doc = self.doc(row)
        cleared = doc.pop("pending_changes", None)
        self.st.dirty = True
        return self.answer(success=True, **{self.d.name_key: row["name"]},
                           message="Pending changes cleared" if cleared else "No pending changes",
                           cleared=_redact(cleared) if cleared else None)

    def pending_apply(self, req):
        row = self.row_or_404(req.params["name"])
        if not self.doc(row).get("pending_changes"):
            raise error(400, "No pending changes to apply")
        if row["status"] not in zonecfg.POWERED_OFF:
            raise error(400, "Machine must be powered off to apply pending changes; they apply automatically "
                             "at the next agent-driven power cycle", current_status=row["status"])
        tid = self._apply_pending(req, row)
        return self.answer(success=True, task_id=tid, **{self.d.name_key: row["name"]}, operation="zone_modify",
                           status="pending", message="Pending changes apply queued")

    # ------------------------------------------------------------------ notes / tags
    def notes_get(self, req):
        row = self.row_or_404(req.params["name"])
        return self.answer(**{self.d.name_key: row["name"]}, notes=row.get("notes"))

    def notes_put(self, req):
        row = self.row_or_404(req.params["name"])
        body = req.body if isinstance(req.body, dict) else {}
        notes = body.get("notes")
        if notes is not None and not isinstance(notes, str):
            raise error(400, "notes must be a string or null")
        row["notes"] = notes if notes != "" else None
        row["updatedAt"] = now_iso()
        self.st.dirty = True
        return self.answer(success=True, **{self.d.name_key: row["name"]}, notes=row["notes"])

    def tags_get(self, req):
        row = self.row_or_404(req.params["name"])
        return self.answer(**{self.d.name_key: row["name"]}, tags=list(row.get("tags") or []))

    def tags_put(self, req):
        row = self.row_or_404(req.params["name"])
        body = req.body if isinstance(req.body, dict) else {}
        tags = body.get("tags")
        if tags is not None and not (isinstance(tags, list) and all(isinstance(x, str) for x in tags)):
            raise error(400, "tags must be an array of strings or null")
        row["tags"] = [t.strip() for t in tags if t.strip()] if tags else None
        row["updatedAt"] = now_iso()
        self.st.dirty = True
        return self.answer(success=True, **{self.d.name_key: row["name"]}, tags=list(row["tags"] or []))


def executors_root(hz) -> str | None:
    if not hz:
        return None
    return hz["config"].get("zonepath", "").lstrip("/").rsplit("/path", 1)[0] or None


def merge_changes(old: dict, new: dict) -> dict:
    """Accrue a modify body into the pending set: lists append, cloud_init
    merges, everything else is last-writer-wins."""
    out = copy.deepcopy(old)
    for k, v in new.items():
        if k in LIST_FIELDS and isinstance(out.get(k), list):
            out[k] = out[k] + copy.deepcopy(v)
        elif k == "cloud_init" and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = copy.deepcopy(v)
    return out


def register(router, sim):
    m = Machines(sim)
    d = sim.dialect
    base = f"/{d.noun}"
    item = f"{base}/:name"
    def destructure(prop, what):
        return {"error": f"Failed to {what}",
                "details": f"Cannot destructure property '{prop}' of 'req.body' as it is undefined."}

    router.add("GET", base, m.list)
    router.add("POST", base, m.create, needs_body=True, body_fail=destructure("settings", "queue creation task"))
    router.add("GET", f"{base}/ids", m.ids)
    router.add("GET", f"{base}/ids/next", m.ids_next)
    router.add("GET", item, m.detail)
    router.add("PUT", item, m.modify, needs_body=True, body_fail=destructure("ram", "queue modification task"))
    router.add("DELETE", item, m.delete)
    router.add("GET", f"{item}/config", m.config)
    router.add("POST", f"{item}/start", m.start)
    router.add("POST", f"{item}/stop", m.stop)
    router.add("POST", f"{item}/restart", m.restart)
    if d.pending_changes:
        router.add("DELETE", f"{item}/pending-changes", m.pending_clear)
        router.add("POST", f"{item}/pending-changes/apply", m.pending_apply)
    router.add("GET", f"{item}/notes", m.notes_get)
    router.add("PUT", f"{item}/notes", m.notes_put, needs_body=True, body_fail=destructure("notes", "update notes"))
    router.add("GET", f"{item}/tags", m.tags_get)
    router.add("PUT", f"{item}/tags", m.tags_put, needs_body=True, body_fail=destructure("tags", "update tags"))
    return m
