"""PUT {M} and the pending-changes routes: 0.3.9's three answers (DB-only ->
completed; powered off -> zone_modify task; running -> accrued
pending_power_cycle changes applied at the next agent-driven power cycle) and
0.2's always-a-task behaviour (agent-api.md §3 "PUT {M}")."""
from __future__ import annotations

import copy
import re

from . import zonecfg
from .server import error
from .tasks import create_task
from .util import format_size, now_iso, parse_size

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


def redact_changes(changes: dict) -> dict:
    """Task metadata and answers must not carry secrets (the real executor
    keeps vagrant_user_pass out of metadata too)."""
    out = copy.deepcopy(changes)
    if isinstance(out.get("cloud_init"), dict) and "password" in out["cloud_init"]:
        out["cloud_init"]["password"] = "********"
    for key in ("vagrant_user_pass",):
        if key in out:
            out[key] = "********"
    return out


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


class ModifyMixin:
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
                               pending_changes=redact_changes(merged), requires_restart=True, **extra)
        t = create_task(self.sim, name, "zone_modify", created_by=req.actor,
                        metadata={nk: name, "changes": redact_changes(infra)}, ctx={"changes": infra})
        return self.answer(success=True, task_id=t["id"], **{nk: name}, operation="zone_modify", status="pending",
                           message="Modification queued. Changes will take effect on next zone boot.",
                           requires_restart=True, **extra)

    def _validate_modify(self, ch: dict) -> None:
        def arr(field, item=None):
            if field in ch:
                v = ch[field]
                if not isinstance(v, list) or (item and not all(isinstance(x, item) for x in v)):
                    kind = " of strings" if item is str else " of objects" if item is dict else ""
                    raise error(400, f"{field} must be an array{kind}")
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
        tags_ok = isinstance(ch.get("tags"), list) and all(isinstance(x, str) for x in ch["tags"])
        if "tags" in ch and ch["tags"] is not None and not tags_ok:
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
                           cleared=redact_changes(cleared) if cleared else None)

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
