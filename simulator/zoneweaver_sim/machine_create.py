"""POST /machines (/zones): body validation with the agent's error texts,
server ids and names, the typed (0.3.9) or source-style (0.2) disk plans, NICs,
template resolution, and the parent anchor + storage -> config -> install ->
finalize [-> start] task chain (agent-api.md §3 "POST /machines")."""
from __future__ import annotations

import copy
import re

from . import zonecfg
from .server import error
from .tasks import TERMINAL, create_task
from .util import parse_size

BRANDS = ("bhyve", "lx", "lipkg", "sparse", "pkgsrc", "kvm")
VMTYPES = ("template", "development", "production", "firewall", "other")
NIC_TYPES = ("external", "internal", "carp", "management", "host")
BOX_PART_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class CreateMixin:
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
            plan = {"root": f"rpool/zones/{name}",
                    "boot": {"kind": "image", "dataset": boot["dataset"], "force": bool(body.get("force"))}}
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
