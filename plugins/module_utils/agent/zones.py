# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Zones through the agent: the HTTP calls and request bodies of each generation.

The resource layer speaks in normalised views and change sets; this backend
turns them into /machines (0.3.7+) or /zones (0.2) requests and waits for the
resulting tasks (agent-api.md section 3).
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AmbiguousMutationError, ConflictError, NotFoundError, TaskError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import chain_in_flight, open_tasks
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import view_from_agent

_CREATE_PREFIX = re.compile(r"^zone_create_")


def _nic_body(nic):
    body = {}
    for key, wire in (("physical", "physical"), ("global_nic", "global_nic"), ("vlan_id", "vlan_id"),
                      ("allowed_address", "allowed_address"), ("nic_type", "nic_type")):
        if nic.get(key) not in (None, ""):
            body[wire] = nic[key]
    mac = nic.get("mac_address")
    if mac and mac != "auto":
        body["mac_addr"] = mac
    return body


class ZoneAgentBackend:
    def __init__(self, api):
        self.api = api
        self.client = api.client

    @property
    def dialect(self):
        return self.api.dialect

    # --- reads ------------------------------------------------------------
    def read(self, name):
        """The zone's view, or None when the agent does not know it."""
        try:
            detail = self.client.get(self.dialect.machine_path(name))
        except NotFoundError:
            return None
        return view_from_agent(detail, self.dialect)

    def list(self, status=None, tag=None):
        answer = self.client.get(self.dialect.machines_path, params={"status": status, "tag": tag})
        rows = answer.get(self.dialect.list_key) or answer.get("machines") or answer.get("zones") or []
        return rows

    # --- create -----------------------------------------------------------
    def create_body(self, spec, start):
        """The create body (settings/zones/disks/nics...) for this generation."""
        settings = {"hostname": spec["hostname"], "domain": spec["domain"]}
        if spec.get("server_id"):
            settings["server_id"] = spec["server_id"]
        if spec.get("vcpus") is not None and isinstance(spec["vcpus"], int):
            settings["vcpus"] = spec["vcpus"]
        if spec.get("ram") is not None:
            settings["memory"] = values.format_size(spec["ram"])
        zones = {"brand": spec.get("brand") or "bhyve"}
        if spec.get("vmtype"):
            zones["vmtype"] = spec["vmtype"]
        if spec.get("autoboot") is not None:
            zones["autostart"] = spec["autoboot"]
        if spec.get("bootrom"):
            zones["bootrom"] = spec["bootrom"]
        if isinstance(spec.get("vcpus"), str):  # sockets=..,cores=..,threads=..
            topo = dict(p.split("=") for p in spec["vcpus"].split(","))
            zones["cpu_configuration"] = "complex"
            zones["complex_cpu_conf"] = [{k: int(v) for k, v in topo.items()}]
        body = {"settings": settings, "zones": zones, "start_after_create": bool(start)}
        boot = spec.get("boot_disk")
        if boot and boot.get("box"):
            settings["box"] = boot["box"]
            if boot.get("box_version"):
                settings["box_version"] = boot["box_version"]
        body.update(self._disks_body(spec))
        if spec.get("nics"):
            body["nics"] = [_nic_body(nic) for nic in spec["nics"]]
        if spec.get("cloud_init"):
            body["cloud_init"] = self._cloud_init_body(spec["cloud_init"])
        if spec.get("tags") is not None:
            body["tags"] = list(spec["tags"])
        if spec.get("notes") is not None:
            body["notes"] = spec["notes"]
        return body

    def _disks_body(self, spec):
        boot = spec.get("boot_disk")
        extra = spec.get("disks") or []
        cdroms = [{"path": cd} for cd in spec.get("cdroms") or ()]
        if self.dialect.typed_disks:
            disks = {}
            if boot:
                entry = {"type": boot["type"]}
                for key in ("path", "pool", "dataset", "volume_name", "sparse", "clone_strategy"):
                    if boot.get(key) is not None:
                        entry[key] = boot[key]
                if boot.get("size") is not None:
                    entry["size"] = values.format_size(boot["size"])
                disks["boot"] = entry
            if extra:
                disks["additional_disks"] = [self._typed_disk(d) for d in extra]
            if cdroms:
                disks["cdroms"] = cdroms
            return {"disks": disks} if disks else {}
        # v0.2: disks.boot.source {type: template|scratch}, disks.additional, top-level cdroms.
        out = {}
        disks = {}
        if boot and boot["type"] in ("template", "blank"):
            entry = {"source": {"type": "template" if boot["type"] == "template" else "scratch"}}
            if boot.get("clone_strategy"):
                entry["source"]["clone_strategy"] = boot["clone_strategy"]
            for key in ("pool", "dataset", "volume_name", "sparse"):
                if boot.get(key) is not None:
                    entry[key] = boot[key]
            if boot.get("size") is not None:
                entry["size"] = values.format_size(boot["size"])
            disks["boot"] = entry
        elif boot and boot["type"] == "image":
            disks["boot"] = {"dataset": boot["path"]}
        if extra:
            disks["additional"] = [self._legacy_disk(d) for d in extra]
        if disks:
            out["disks"] = disks
        if cdroms:
            out["cdroms"] = cdroms
        return out

    @staticmethod
    def _typed_disk(disk):
        if disk.get("path"):
            return {"type": "image", "path": disk["path"]}
        entry = {"type": "blank", "size": values.format_size(disk["size"])}
        if disk.get("sparse") is not None:
            entry["sparse"] = disk["sparse"]
        return entry

    @staticmethod
    def _legacy_disk(disk):
        if disk.get("path"):
            return {"existing_dataset": disk["path"]}
        return {"create_new": True, "size": values.format_size(disk["size"])}

    @staticmethod
    def _cloud_init_body(cloud):
        body = {}
        if cloud.get("enabled") is not None:
            body["enabled"] = cloud["enabled"]
        for key in ("dns_domain", "sshkey", "password"):
            if cloud.get(key) is not None:
                body[key] = cloud[key]
        if cloud.get("resolvers") is not None:
            body["resolvers"] = ",".join(cloud["resolvers"])
        return body

    def create(self, spec, start, wait, timeout):
        try:
            answer = self.client.post(self.dialect.machines_path, body=self.create_body(spec, start))
        except AmbiguousMutationError:
            answer = self.creation_in_flight(spec["name"])
            if answer is None:
                raise   # nothing queued: the caller re-reads and may safely send the creation again
        except AgentError as exc:
            raise self._unlisted_zone(spec["name"], exc) or exc
        if wait:
            self.api.wait_for(answer, timeout)
        return answer

    def creation_in_flight(self, name):
        """After a creation whose answer was lost: the chain the agent queued for `name`, as a
        create answer ({parent_task_id, sub_tasks}), or None when none runs. The zone's row only
        appears at the chain's finalize step, so a re-read cannot see a creation in progress, and
        sending it again would be refused (409)."""
        found = chain_in_flight(self.client, self.dialect.name_key, name, "zone_create_orchestration")
        if found is None:
            return None
        anchor, chain = found
        steps = {_CREATE_PREFIX.sub("", str(t.get("operation") or "step")): t["id"] for t in chain}
        return {"parent_task_id": anchor, self.dialect.name_key: name, "operation": "zone_create_orchestration",
                "sub_tasks": steps}

    def settle(self, name, timeout):
        """Wait until none of the zone's tasks is pending or running, so that after a change whose
        answer was lost the re-read sees what the agent did (a delete or modify still queued would
        otherwise be planned, and sent, a second time). How those tasks end is for the re-read
        to find out."""
        for task in open_tasks(self.client, self.dialect.name_key, name):
            try:
                self.api.waiter.wait(task["id"], timeout, step=task.get("operation"))
            except TaskError:
                pass

    def _unlisted_zone(self, name, exc):
        """A 409 with `system_status`: the zone exists on the host but not in the agent's database
        (agent-api.md section 3, create errors). That is what a creation interrupted before its
        finalize step leaves (an agent restart, say): the zone stays 'incomplete' or 'configured' on
        the host, GET {M} answers 404 so state=absent sees nothing, and the agent offers no call to
        adopt or remove it (its discovery pass every 300 s may list it; not confirmed for an
        incomplete zone). Explain that and the fix, instead of the agent's bare 409."""
        details = exc.details.get("agent_details") or {}
        if exc.status != 409 or not details.get("system_status"):
            return None
        return ConflictError(
            "zone %s already exists on the host (zoneadm state '%s') but the agent at %s does not list it: "
            "an earlier creation was most likely interrupted (for example by an agent restart) before the "
            "agent recorded the zone, and the agent has no call to adopt or remove such a zone"
            % (name, details["system_status"], self.client.url),
            hint="remove the leftover on the host, then run this task again: run zoneweaver.illumos.zone "
                 "name=%s state=absent backend=native cleanup_disks=true on that host (it uninstalls the "
                 "zone, deletes its configuration and the zvols stamped for it), or by hand: zoneadm -z %s "
                 "uninstall -F; zonecfg -z %s delete -F; then destroy its zvols (zfs list -r POOL/zones/%s). "
                 "If the agent has listed the zone meanwhile (its discovery pass), also remove that record "
                 "with state=absent through the agent" % (name, name, name, name),
            status=409, system_status=details["system_status"])

    # --- modify -----------------------------------------------------------
    def modify_body(self, changes, actual):
        """Translate a change set from the planner into a PUT {M} body."""
        body = {}
        if "ram" in changes:
            body["ram"] = values.format_size(changes["ram"])
        if "vcpus" in changes:
            if isinstance(changes["vcpus"], int):
                body["vcpus"] = str(changes["vcpus"])
                body["cpu_configuration"] = "simple"
            else:
                topo = dict(p.split("=") for p in changes["vcpus"].split(","))
                body["cpu_configuration"] = "complex"
                body["complex_cpu_conf"] = [{k: int(v) for k, v in topo.items()}]
        for key in ("autoboot", "bootrom", "notes"):
            if key in changes:
                body[key] = changes[key]
        if "tags" in changes:
            body["tags"] = list(changes["tags"])
        if changes.get("add_cdroms"):
            body["add_cdroms"] = [{"path": p} for p in changes["add_cdroms"]]
        if changes.get("remove_cdroms"):
            body["remove_cdroms"] = list(changes["remove_cdroms"])
        if changes.get("add_disks"):
            convert = self._typed_disk if self.dialect.typed_disks else self._legacy_disk
            body["add_disks"] = [convert(d) for d in changes["add_disks"]]
        if changes.get("remove_disks"):
            body["remove_disks"] = list(changes["remove_disks"])
        if changes.get("add_nics"):
            body["add_nics"] = [_nic_body(n) for n in changes["add_nics"]]
        remove_nics = list(changes.get("remove_nics") or ())
        if changes.get("update_nics"):
            if self.dialect.typed_disks:  # 0.3.9 edits net resources in place
                body["update_nics"] = [_nic_body(n) for n in changes["update_nics"]]
            else:  # older agents: detach and re-add
                remove_nics.extend(n["physical"] for n in changes["update_nics"])
                body.setdefault("add_nics", []).extend(_nic_body(n) for n in changes["update_nics"])
        if remove_nics:
            body["remove_nics"] = remove_nics
        if changes.get("cloud_init"):
            body["cloud_init"] = self._cloud_init_body(changes["cloud_init"])
        return body

    def modify(self, name, changes, actual, wait, timeout):
        """Apply a change set; return the agent's answer (status tells if it is pending)."""
        answer = self.client.put(self.dialect.machine_path(name), body=self.modify_body(changes, actual))
        if wait and answer.get("task_id"):
            self.api.wait_for(answer, timeout)
        return answer

    # --- power and delete ----------------------------------------------------
    def power(self, name, action, wait, timeout, force=False):
        params = {"force": "true"} if force and action == "stop" else None
        answer = self.client.post(self.dialect.machine_path(name, action), body={}, params=params)
        if wait:
            self.api.wait_for(answer, timeout)
        return answer

    def delete(self, name, force, cleanup_disks, cleanup_networking, wait, timeout):
        params = {self.dialect.cleanup_disks_key: "true" if cleanup_disks else None,
                  "cleanup_networking": "true" if cleanup_networking else None}
        if force:  # the agent treats any non-empty force value as true, so omit it otherwise
            params["force"] = "true"
        answer = self.client.delete(self.dialect.machine_path(name), params=params)
        if wait:
            self.api.wait_for(answer, timeout)
        return answer
