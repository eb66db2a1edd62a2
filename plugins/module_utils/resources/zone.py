# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zone resource: normalise the spec, read the zone, plan, apply.

Check mode and diff come from the same plan as a real run, so they cannot
disagree with it. Only the keys the user set are compared (after values.py
normalisation); everything else on the zone is left alone.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import task_ids_of
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    backend_applied, finish, new_result, reconcile, report_partial_change, select_backend)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import (
    normalize_nic, normalize_vcpus, public_view)

STATES = ("present", "absent", "running", "stopped", "restarted")
BRANDS = values.BRANDS
RUNNING = frozenset(("running", "ready"))
STOPPED = frozenset(("installed", "configured", "incomplete", "down"))
BOOT_TYPES = ("template", "blank", "image", "none")
# Change-set keys a running bhyve zone only picks up at its next boot.
BOOT_TIME_CHANGES = frozenset(("vcpus", "ram", "bootrom", "cloud_init", "add_cdroms", "remove_cdroms", "add_disks",
                               "remove_disks", "add_nics", "update_nics", "remove_nics"))


# --------------------------------------------------------------------------- spec
def normalize_spec(params):
    """Validate and normalise the user's options. Raises InputError before any call."""
    name = values.check_zone_name(params["name"])
    hostname, domain, server_id = params.get("hostname"), params.get("domain"), params.get("server_id")
    base = name
    if "--" in name:
        prefix, base = name.split("--", 1)
        if prefix.isdigit():
            server_id = server_id or prefix
    if not hostname or not domain:
        host_part, _dot, domain_part = base.partition(".")
        hostname = hostname or host_part
        domain = domain or domain_part or None
    spec = {"name": name, "hostname": hostname, "domain": domain,
            "server_id": str(server_id) if server_id is not None else None}
    if spec["server_id"] is not None:
        values.check_pattern(spec["server_id"], values.SERVER_ID_RE, "server_id", "use 1 to 8 digits")
    values.check_pattern(hostname, values.HOSTNAME_RE, "hostname", "letters, digits and '-'")
    if domain:
        values.check_pattern(domain, values.DOMAIN_RE, "domain", "letters, digits, '-' and '.'")
    if params.get("brand") is not None:
        spec["brand"] = params["brand"]
    for key in ("vmtype", "bootrom", "notes"):
        if params.get(key) is not None:
            spec[key] = params[key]
    if spec.get("bootrom") is not None:
        values.check_pattern(spec["bootrom"], values.re.compile(r"^[A-Za-z0-9_./\-]+$"), "bootrom",
                             "a firmware name such as BHYVE_RELEASE or BHYVE_RELEASE_CSM")
    if params.get("vcpus") is not None:
        spec["vcpus"] = _vcpus(params["vcpus"])
    if params.get("ram") is not None:
        spec["ram"] = values.parse_size(params["ram"], "ram")
        if spec["ram"] < 1024 ** 2:
            raise InputError("ram %r is below 1M; give a size such as 2G" % params["ram"])
    if params.get("autoboot") is not None:
        spec["autoboot"] = params["autoboot"]
    if params.get("tags") is not None:
        spec["tags"] = [values.check_pattern(t, values.TAG_RE, "tag", "letters, digits and ._:=@+-")
                        for t in params["tags"]]
    if params.get("boot_disk") is not None:
        spec["boot_disk"] = _boot_disk(params["boot_disk"])
    if params.get("disks") is not None:
        spec["disks"] = [_disk(d, i) for i, d in enumerate(params["disks"])]
    if params.get("nics") is not None:
        spec["nics"] = [_nic(n, i) for i, n in enumerate(params["nics"])]
    if params.get("cdroms") is not None:
        spec["cdroms"] = [values.check_pattern(c, values.PATH_RE, "cdrom path", "an absolute path to an ISO")
                          for c in params["cdroms"]]
    if params.get("cloud_init") is not None:
        spec["cloud_init"] = _cloud_init(params["cloud_init"])
    return spec


def _vcpus(value):
    if isinstance(value, dict):
        topo = {k: values.to_int(value.get(k, 1), "vcpus.%s" % k, 1, limit)
                for k, limit in (("sockets", 16), ("cores", 32), ("threads", 2))}
        return normalize_vcpus(",".join("%s=%s" % kv for kv in topo.items()))
    return values.to_int(value, "vcpus", 1, 512)


def _boot_disk(boot):
    boot = {k: v for k, v in boot.items() if v is not None}
    kind = boot.get("type") or ("template" if boot.get("box") else "blank" if boot.get("size") else None)
    if kind not in BOOT_TYPES:
        raise InputError("boot_disk.type must be one of %s" % ", ".join(BOOT_TYPES))
    boot["type"] = kind
    if kind == "blank" and boot.get("size") is None:
        raise InputError("boot_disk.type=blank needs boot_disk.size, e.g. 20G")
    if kind == "image" and not boot.get("path"):
        raise InputError("boot_disk.type=image needs boot_disk.path (an existing zvol such as rpool/vols/web01)")
    if kind == "template" and not boot.get("box"):
        raise InputError("boot_disk.type=template needs boot_disk.box (organisation/box)")
    if boot.get("box"):
        values.check_pattern(boot["box"], values.re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*/[A-Za-z0-9][A-Za-z0-9._\-]*$"),
                             "boot_disk.box", "organisation/box, e.g. STARTcloud/debian13-server")
    if boot.get("box_version") is not None:
        values.check_pattern(boot["box_version"], values.re.compile(r"^(latest|v?[0-9][0-9A-Za-z.\-]*)$"),
                             "boot_disk.box_version", "a version such as 2025.8.22 or 'latest'")
    if boot.get("size") is not None:
        boot["size"] = values.parse_size(boot["size"], "boot_disk.size")
    if boot.get("path") is not None:
        values.check_pattern(boot["path"], values.ZVOL_RE, "boot_disk.path", "a zvol name such as rpool/vols/disk0")
    return boot


def _disk(disk, index):
    what = "disks[%d]" % index
    if not isinstance(disk, dict) or bool(disk.get("size")) == bool(disk.get("path")):
        raise InputError("%s needs exactly one of size (a new blank zvol) or path (an existing zvol)" % what)
    if disk.get("path"):
        return {"path": values.check_pattern(disk["path"], values.ZVOL_RE, what + ".path",
                                             "a zvol name such as rpool/vols/disk0")}
    entry = {"size": values.parse_size(disk["size"], what + ".size")}
    if disk.get("sparse") is not None:
        entry["sparse"] = values.to_bool(disk["sparse"], what + ".sparse")
    return entry


def _nic(nic, index):
    what = "nics[%d]" % index
    if not isinstance(nic, dict):
        raise InputError("%s must be a dictionary" % what)
    unknown = set(nic) - {"physical", "global_nic", "vlan_id", "mac_address", "allowed_address", "nic_type"}
    if unknown:
        raise InputError("%s has unknown keys: %s" % (what, ", ".join(sorted(unknown))))
    entry = normalize_nic({k: v for k, v in nic.items() if v is not None})
    for key in ("physical", "global_nic"):
        if entry.get(key):
            values.check_pattern(entry[key], values.LINK_NAME_RE, "%s.%s" % (what, key),
                                 "a link name that starts with a letter and ends in a digit")
    if entry.get("allowed_address"):
        entry["allowed_address"] = values.check_cidr(entry["allowed_address"], what + ".allowed_address")
    if nic.get("nic_type"):
        entry["nic_type"] = nic["nic_type"]
    return {k: v for k, v in entry.items() if v is not None}


def _cloud_init(cloud):
    out = {}
    if cloud.get("enabled") is not None:
        enabled = cloud["enabled"]
        out["enabled"] = ("on" if enabled else "off") if isinstance(enabled, bool) else str(enabled)
    for key in ("dns_domain", "sshkey", "password"):
        if cloud.get(key) is not None:
            out[key] = str(cloud[key])
    if cloud.get("resolvers") is not None:
        out["resolvers"] = [str(r) for r in cloud["resolvers"]]
    return out


# --------------------------------------------------------------------------- plan
def config_changes(spec, actual):
    """Differences between the spec and the zone, over the keys the user set.

    Returns (changes, before, after): changes is a change set for the backend,
    before/after are the diff's views of the differing keys.
    """
    changes, before, after = {}, {}, {}
    if spec.get("brand") and actual.get("brand") and spec["brand"] != actual["brand"]:
        raise InputError("zone %s has brand %s; the brand of an existing zone cannot change to %s"
                         % (spec["name"], actual["brand"], spec["brand"]),
                         hint="remove the zone (state=absent) and create it again")
    for key in ("vcpus", "ram", "autoboot", "bootrom", "notes"):
        if key in spec and not _same(key, spec[key], actual.get(key)):
            changes[key] = spec[key]
            before[key], after[key] = _shown(key, actual.get(key)), _shown(key, spec[key])
    if "tags" in spec and sorted(set(spec["tags"])) != sorted(set(actual.get("tags") or [])):
        changes["tags"] = spec["tags"]
        before["tags"], after["tags"] = actual.get("tags") or [], spec["tags"]
    _plan_cdroms(spec, actual, changes, before, after)
    _plan_disks(spec, actual, changes, before, after)
    _plan_nics(spec, actual, changes, before, after)
    _plan_cloud_init(spec, actual, changes, before, after)
    return changes, before, after


def _shown(key, value):
    return values.format_size(value) if key == "ram" and value is not None else value


def _same(key, wanted, have):
    if key == "notes":
        # empty notes are no notes: the agent answers "" or null, zonecfg drops an empty attr
        return (wanted or None) == (have or None)
    return wanted == have


def _plan_cdroms(spec, actual, changes, before, after):
    if "cdroms" not in spec:
        return
    have = [c["path"] for c in actual["cdroms"]]
    add = [p for p in spec["cdroms"] if p not in have]
    remove = [c["name"] for c in actual["cdroms"] if c["path"] not in spec["cdroms"]]
    if add or remove:
        changes["add_cdroms"], changes["remove_cdroms"] = add, remove
        before["cdroms"], after["cdroms"] = have, spec["cdroms"]


def _plan_disks(spec, actual, changes, before, after):
    """Extra disks by position: disks[i] is the zone's i-th data disk."""
    if "disks" not in spec:
        return
    have = actual["disks"]
    add, remove = [], []
    for index, want in enumerate(spec["disks"]):
        current = have[index] if index < len(have) else None
        if current is None:
            add.append(want)
        elif want.get("path") and want["path"] != current.get("path"):
            remove.append(current["name"])
            add.append(want)
    remove.extend(d["name"] for d in have[len(spec["disks"]):])
    if add or remove:
        changes["add_disks"], changes["remove_disks"] = add, remove
        before["disks"] = [d.get("path") for d in have]
        after["disks"] = [d.get("path") or "new %s zvol" % values.format_size(d["size"]) for d in spec["disks"]]


def _nic_differs(want, current):
    for key in ("global_nic", "vlan_id", "allowed_address", "physical"):
        if key in want and want[key] != current.get(key):
            return True
    mac = want.get("mac_address")
    return mac not in (None, "auto", "random", "factory") and mac != current.get("mac_address")


def _plan_nics(spec, actual, changes, before, after):
    """NICs by position: nics[i] is the zone's i-th net resource."""
    if "nics" not in spec:
        return
    have = actual["nics"]
    add, update, remove = [], [], []
    for index, want in enumerate(spec["nics"]):
        current = have[index] if index < len(have) else None
        if current is None:
            add.append(want)
        elif _nic_differs(want, current):
            if "physical" in want and want["physical"] != current.get("physical"):
                remove.append(current["physical"])
                add.append(want)
            else:
                update.append(dict(want, physical=current.get("physical")))
    remove.extend(n.get("physical") for n in have[len(spec["nics"]):] if n.get("physical"))
    if add or update or remove:
        changes["add_nics"], changes["update_nics"], changes["remove_nics"] = add, update, remove
        keys = ("physical", "global_nic", "vlan_id", "mac_address", "allowed_address")
        before["nics"] = [{k: n.get(k) for k in keys if n.get(k) is not None} for n in have]
        after["nics"] = [dict(n) for n in spec["nics"]]


def _plan_cloud_init(spec, actual, changes, before, after):
    if "cloud_init" not in spec:
        return
    want, have = spec["cloud_init"], actual.get("cloud_init") or {}
    differing = {k: v for k, v in want.items() if k != "password" and v != have.get(k)}
    if differing:
        changes["cloud_init"] = dict(want)  # password rides along when something else changes
        before["cloud_init"] = {k: have.get(k) for k in differing}
        after["cloud_init"] = differing


class ZonePlan:
    """What a run would do to one zone: actions (the result's list), the diff's
    before/after, the change set, and the power steps around it."""

    def __init__(self):
        self.actions = []
        self.before = {}
        self.after = {}
        self.changes = {}
        self.stop_first = False
        self.start = False       # create-and-start, or start a stopped zone
        self.restart = False
        self.reboot_required = False


def plan_zone(spec, state, actual):
    """The plan for one normalised spec against the zone's view (None: absent).

    Pure: no calls. The zone module applies it after a fresh read; the zones
    module also uses it on list rows to find the zones that need nothing.
    """
    plan = ZonePlan()
    before = plan.before
    before["state"] = "absent" if actual is None else actual["status"]
    after = plan.after
    if state == "absent":
        if actual is not None:
            plan.actions.append("delete")
            after["state"] = "absent"
        return plan

    if actual is None:
        plan.start = state in ("running", "restarted")
        plan.actions.append("create" + (" and start" if plan.start else ""))
        after.update(state="running" if plan.start else "installed")
        after.update(ZoneResource.spec_summary(spec))
        return plan

    changes, diff_before, diff_after = config_changes(spec, actual)
    plan.changes = changes
    before.update(diff_before)
    after.update(diff_after)
    status = actual["status"]
    running = status in RUNNING
    boot_time = bool(set(changes) & BOOT_TIME_CHANGES)
    plan.stop_first = state == "stopped" and running
    if plan.stop_first:
        plan.actions.append("stop")
    if changes:
        plan.actions.append("modify")
    if state == "running" and not running:
        plan.actions.append("start")
        plan.start = True
    if state == "restarted":
        plan.actions.append("restart" if running else "start")
        plan.restart, plan.start = running, not running
    will_run = state in ("running", "restarted") or (state == "present" and running)
    plan.reboot_required = bool(actual.get("pending_changes")) and state != "restarted"
    if boot_time and running and not plan.stop_first and state != "restarted":
        plan.reboot_required = True
    after["state"] = "running" if will_run else ("installed" if plan.stop_first else status)
    if after["state"] == before["state"] and state != "restarted":
        after.pop("state")
        before.pop("state")
    return plan


def check_state(spec, state):
    """Refuse a spec that cannot be applied in this state (before any call)."""
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    if state != "absent" and not spec.get("domain"):
        raise InputError("zone %s needs a domain: name it host.domain (or NNNN--host.domain) or set domain"
                         % spec["name"])


# --------------------------------------------------------------------------- apply
class ZoneResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx
        self.tasks = []

    def _record(self, answer):
        """Keep the agent's task ids, so wait=false runs can be followed with task_info."""
        self.tasks.extend({"step": step, "task_id": task_id} for step, task_id in task_ids_of(answer))
        return answer

    def ensure(self, params):
        spec = normalize_spec(params)
        state = params.get("state") or "present"
        check_state(spec, state)
        # stop, modify, start; storage, config, install, finalize: a failure part way reports changed
        with report_partial_change(lambda exc: bool(self.tasks) or backend_applied(self.backend, exc)):
            return reconcile(self.ctx, lambda: self._ensure_once(spec, state, params),
                             settle=self._settler(spec["name"], params.get("wait_timeout") or 600))

    def _settler(self, name, timeout):
        """What to wait for before re-reading after a lost answer (agent: the zone's open tasks)."""
        settle = getattr(self.backend, "settle", None)
        return (lambda: settle(name, timeout)) if settle is not None else None

    def _ensure_once(self, spec, state, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        actual = self.backend.read(spec["name"])
        plan = plan_zone(spec, state, actual)
        result = dict(new_result(), reboot_required=plan.reboot_required, actions=list(plan.actions))
        name = spec["name"]

        if state == "absent":
            if plan.actions and not self.ctx.check_mode:
                force = params.get("force")
                if actual["status"] in RUNNING and not force:
                    self._record(self.backend.power(name, "stop", True, timeout))
                self._record(self.backend.delete(name, force, params.get("cleanup_disks"),
                                                 params.get("cleanup_networking"), True, timeout))
            return self._finish(result, plan.before, plan.after, None)

        if actual is None:
            if self.ctx.check_mode:
                self._preflight("preflight_create", spec)
                return self._finish(result, plan.before, plan.after, None)
            answer = self._record(self.backend.create(spec, plan.start, wait, timeout))
            created = answer.get(self.backend.dialect.name_key) or answer.get("machine_name") or answer.get("zone_name")
            if created and created != name:
                raise InputError("the agent created the zone as %s, not %s" % (created, name),
                                 hint="set name: %s in the task so later runs find it" % created)
            return self._finish(result, plan.before, plan.after, self.backend.read(name) if wait else None)

        if self.ctx.check_mode:
            if plan.changes:
                self._preflight("preflight_modify", name, plan.changes)
            return self._finish(result, plan.before, plan.after, actual)

        if plan.stop_first:
            self._record(self.backend.power(name, "stop", wait, timeout, force=params.get("force")))
        if plan.changes:
            answer = self._record(self.backend.modify(name, plan.changes, actual, wait, timeout))
            if answer.get("status") == "pending_power_cycle":
                result["pending_changes"] = answer.get("pending_changes")
        if plan.start:
            self._record(self.backend.power(name, "start", wait, timeout))
        elif plan.restart:
            self._record(self.backend.power(name, "restart", wait, timeout))
        if not (plan.stop_first or plan.changes or plan.start or plan.restart):
            return self._finish(result, plan.before, plan.after, actual)  # nothing done: the first read stands
        return self._finish(result, plan.before, plan.after, self.backend.read(name) if wait else None)

    def _preflight(self, hook, *args):
        """Check mode: let a backend that can validate without changing anything
        (the native one reads images, templates and the zone's config) refuse
        what the real run would refuse."""
        check = getattr(self.backend, hook, None)
        if check is not None:
            check(*args)

    @staticmethod
    def spec_summary(spec):
        keep = {k: v for k, v in spec.items() if k not in ("hostname", "domain", "server_id", "name")}
        if "ram" in keep:
            keep["ram"] = values.format_size(keep["ram"])
        if keep.get("cloud_init", {}).get("password"):
            keep["cloud_init"] = dict(keep["cloud_init"], password="********")
        return keep

    def _finish(self, result, before, after, view):
        result["zone"] = public_view(view) if view else {}
        result["tasks"] = self.tasks
        return finish(self.ctx, result, before, after)


def zone_backend(params, ctx):
    """ZoneAgentBackend or ZoneNativeBackend, as the backend option says."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.zones import ZoneAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zones import ZoneNativeBackend
    return select_backend(params, ctx, ZoneAgentBackend, lambda runner: ZoneNativeBackend(runner, warn=ctx.warn))


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zone)."""
    # Validate before connecting: bad input never costs a request or a command.
    normalize_spec(params)
    return ZoneResource(zone_backend(params, ctx), ctx).ensure(params)
