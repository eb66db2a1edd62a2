# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Zones through the illumos commands: the native twin of agent/zones.py.

Same interface as ZoneAgentBackend (read, list, create, modify, power,
delete), same normalised view, so resources/zone.py plans and reports the
same way whichever backend it drives. Everything goes through one
CommandRunner: argument lists only, check mode records instead of running.

Layout on the host follows the agent's, so both backends manage the same
zones the same way: a zone's datasets live under <pool>/<parent>/<name>
(default rpool/zones/<name>), its zonepath is /<that>/path, its boot zvol
<that>/boot and new data disks <that>/diskN. Every dataset this backend
creates carries the ZFS user property zoneweaver:source=<zone> (as the agent
0.3.9 stamps its own), and state=absent with cleanup_disks destroys only
datasets carrying that stamp: attached images are never touched.

zonecfg has no place for the agent's tags and notes, so they are kept as
string attributes zoneweaver-tags (comma separated; tags cannot contain a
comma) and zoneweaver-notes; the bhyve brand ignores attributes it does not
know [mem: BOOTPY reads only the names it knows]. Notes therefore cannot
contain a double quote or a newline (zonecfg cannot quote them).

Configuration changes are applied with zonecfg in any state; a running zone
picks them up at its next boot, which the zone resource reports as
reboot_required (on the run that made the change: zonecfg keeps no record
of what the running zone booted with).
"""

from __future__ import annotations

import re
import time

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ConflictError, InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zfs as zfs_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zoneadm as zoneadm_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zonecfg as zonecfg_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render.zone_config import build_config
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render.zonecfg import (
    change_secrets, config_secrets, render_changes, render_config)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_syntax import check_value, quote
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_view import flat_config
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import view_from_agent

SOURCE_PROPERTY = "zoneweaver:source"
TAGS_ATTR, NOTES_ATTR = "zoneweaver-tags", "zoneweaver-notes"
DEFAULT_POOL, DEFAULT_PARENT = "rpool", "zones"
TEMPLATE_SNAPSHOT = "ready"
ONLINE = ("ready", "running", "shutting_down", "down", "mounted")
STOPPED = ("installed", "configured", "incomplete")
# The agent's VNIC names (vnic<type><vmtype>_<server id>_<n>), so both backends name NICs alike.
NIC_LETTER = {"external": "e", "internal": "i", "carp": "c", "management": "m", "host": "h"}
VMTYPE_DIGIT = {"template": "1", "development": "2", "production": "3", "firewall": "4", "other": "5"}
POLL_INTERVAL, MAX_POLL_INTERVAL = 0.5, 5.0
# A graceful shutdown gets this share of wait_timeout before the zone is halted.
SHUTDOWN_SHARE = 0.5
DEFAULT_TIMEOUT = 600
_VERSION_PART = re.compile(r"(\d+)")
_DISK_ATTR = re.compile(r"^disk\d*$")


class ZoneWaitTimeout(ZoneweaverError):
    """A zone did not reach the expected state before wait_timeout."""


class NativeDialect:
    """What the zone resource and zone_info read from a backend's dialect."""
    generation = "native"
    name_key = "zone_name"
    info_key = "machine_info"


def server_id_of(name):
    """'0001--web.example.com' -> '0001' (the agent's prefix), else None."""
    prefix, sep, rest = name.partition("--")
    return prefix if sep and rest and prefix.isdigit() else None


def zone_root(config):
    """The dataset holding a zone's datasets, from its zonepath /<root>/path (None if not that shape)."""
    path = str(config.get("zonepath") or "")
    if path.startswith("/") and path.endswith("/path") and path.count("/") >= 3:
        return path[1:-len("/path")]
    return None


def nic_name(nic, vmtype, server_id, index):
    letter = NIC_LETTER.get(nic.get("nic_type") or "external", "e")
    return "vnic%s%s_%s_%d" % (letter, VMTYPE_DIGIT.get(vmtype or "production", "3"), server_id or "0000", index)


def _version_key(version):
    return [int(p) if p.isdigit() else p for p in _VERSION_PART.split(version.lstrip("v")) if p]


class ZoneNativeBackend:
    """Zones of the host the module runs on. `runner` is a CommandRunner;
    `clock`/`sleep` are injectable for tests; `warn` takes a message."""

    dialect = NativeDialect

    def __init__(self, runner, warn=None, clock=time.monotonic, sleep=time.sleep, poll_interval=POLL_INTERVAL):
        self.runner = runner
        self.warn = warn or (lambda message: None)
        self.clock = clock
        self.sleep = sleep
        self.poll_interval = poll_interval

    # ------------------------------------------------------------------ reads
    def zone_line(self, name):
        """`zoneadm -z Z list -p` parsed, or None when there is no such zone."""
        result = self.runner.read(["zoneadm", "-z", name, "list", "-p"], missing="zoneadm")
        if result is None:
            return None
        lines = zoneadm_parser.parse_list(result.stdout)
        return lines[0] if lines else None

    def config(self, name):
        """`zonecfg -z Z export` parsed, or None when there is no such zone."""
        result = self.runner.read(["zonecfg", "-z", name, "export"], missing="zonecfg")
        if result is None:
            return None
        return zonecfg_parser.parse_export(result.stdout, zonename=name)

    def dataset(self, name):
        """{type, volsize, source} of a dataset (source: the zoneweaver:source stamp), or None."""
        result = self.runner.read(["zfs", "get", "-H", "-p", "-o", "name,property,value,source",
                                   "type,volsize," + SOURCE_PROPERTY, name], missing="zfs")
        if result is None:
            return None
        props = zfs_parser.parse_get(result.stdout).get(name)
        if not props:
            return None
        stamp = props.get(SOURCE_PROPERTY) or {}
        return {"name": name, "type": (props.get("type") or {}).get("value"),
                "volsize": (props.get("volsize") or {}).get("value"),
                "source": stamp.get("value") if stamp.get("source") == "local" else None}

    def row(self, name, zone, config):
        """The zone as an agent list row, so zone_info filters both backends alike."""
        attrs = zonecfg_parser.attrs(config)
        flat = flat_config(config)
        for key in (TAGS_ATTR, NOTES_ATTR):
            flat.pop(key, None)
        return {"name": name, "status": (zone or {}).get("state"),
                "brand": config.get("brand") or (zone or {}).get("brand"),
                "tags": [t for t in str(attrs.get(TAGS_ATTR) or "").split(",") if t],
                "notes": attrs.get(NOTES_ATTR) or None, "server_id": server_id_of(name), "vnc_port": None,
                "configuration": flat}

    @staticmethod
    def view(row):
        return view_from_agent({"machine_info": row, "configuration": row["configuration"]}, NativeDialect)

    def read(self, name):
        """The zone's view, or None when the host does not know it."""
        zone = self.zone_line(name)
        if zone is None:
            return None
        config = self.config(name)
        if config is None:
            return None
        return self.view(self.row(name, zone, config))

    def list(self, status=None, tag=None, pick=None, each=map):
        """The non-global zones as rows, in the state / with the tag asked for (None: all).

        One `zoneadm list -cp`, then one `zonecfg -z Z export` per zone, and only for the
        zones whose name `pick(name)` accepts (None: every zone). `each(function, zones)`
        reads the configurations: map (one after the other), or a thread pool's map when
        this backend's runner allows calls from several threads (CommandRunner.for_threads).
        """
        zones = [zone for zone in zoneadm_parser.parse_list(self.runner.read(["zoneadm", "list", "-cp"]).stdout)
                 if zone["name"] != "global" and (status is None or zone["state"] == status)
                 and (pick is None or pick(zone["name"]))]
        return [row for row in each(self._listed_row, zones)
                if row is not None and (tag is None or tag in row["tags"])]

    def _listed_row(self, zone):
        config = self.config(zone["name"])
        if config is None:  # deleted since the list was read
            return None
        return self.row(zone["name"], zone, config)

    # ------------------------------------------------------------------ create
    def plan_create(self, spec):
        """Read what exists and work out the creation: {config, script, commands}.

        Raises InputError/ConflictError before anything is changed: a bad
        value, a missing image or template, or a zvol that is someone else's.
        """
        name = spec["name"]
        boot = dict(spec.get("boot_disk") or {})
        pool = boot.get("pool") or DEFAULT_POOL
        parent = boot.get("dataset") or DEFAULT_PARENT
        root = values.check_pattern("%s/%s/%s" % (pool, parent, name), values.ZVOL_RE, "zone dataset",
                                    "boot_disk.pool and boot_disk.dataset must name a dataset such as rpool/zones")
        stamp = ["-o", "%s=%s" % (SOURCE_PROPERTY, name)]
        commands = []
        native = {"brand": spec.get("brand") or "bhyve", "zonepath": "/%s/path" % root,
                  "autoboot": spec.get("autoboot", False)}
        for key in ("ram", "vcpus", "bootrom", "cdroms", "cloud_init"):
            if spec.get(key) is not None:
                native[key] = spec[key]
        if spec.get("nics"):
            native["nics"] = [self._nic(nic, spec, index) for index, nic in enumerate(spec["nics"])]
        attrs = self._meta_attrs(spec)
        if attrs:
            native["attrs"] = attrs
        volumes = []  # (dataset, create command or None to attach, option name)
        kind = boot.get("type")
        if kind and kind != "none":
            target = boot.get("path") if kind == "image" else root + "/boot"
            native["boot_disk"] = target
            volumes.append((target, self._boot_command(kind, boot, target, pool, stamp), "boot_disk"))
        disks = []
        for index, disk in enumerate(spec.get("disks") or ()):
            if disk.get("path"):
                volumes.append((disk["path"], None, "disks[%d]" % index))
                disks.append(disk["path"])
            else:
                target = "%s/disk%d" % (root, index)
                volumes.append((target, ["zfs", "create"] + (["-s"] if disk.get("sparse", True) else []) + stamp
                                + ["-V", values.format_size(disk["size"]), target], "disks[%d]" % index))
                disks.append(target)
        if disks:
            native["disks"] = disks
        config = build_config(native)  # validates every value
        script = render_config(config)
        if self.dataset(root) is None:
            commands.append(["zfs", "create", "-p"] + stamp + [root])
        for target, command, what in volumes:
            commands.extend(self._volume_commands(name, target, command, what))
        return {"root": root, "config": config, "script": script, "commands": commands}

    def preflight_create(self, spec):
        """Check mode: everything create() would refuse, refused now (reads only)."""
        self.plan_create(spec)

    def preflight_modify(self, name, changes):
        """Check mode: everything modify() would refuse, refused now (reads only)."""
        self.plan_modify(name, changes)

    def _nic(self, nic, spec, index):
        out = {k: v for k, v in nic.items() if k != "nic_type" and v is not None}
        if not out.get("physical"):
            out["physical"] = nic_name(nic, spec.get("vmtype"), spec.get("server_id") or server_id_of(spec["name"]),
                                       index)
        return out

    @staticmethod
    def _meta_attrs(spec):
        attrs = {}
        if spec.get("tags"):
            attrs[TAGS_ATTR] = ",".join(spec["tags"])
        if spec.get("notes"):
            attrs[NOTES_ATTR] = check_value(spec["notes"], "notes")
        return attrs

    def _boot_command(self, kind, boot, target, pool, stamp):
        if kind == "image":
            return None
        if kind == "blank":
            return ["zfs", "create"] + (["-s"] if boot.get("sparse", True) else []) + stamp + [
                "-V", values.format_size(boot["size"]), target]
        if boot.get("clone_strategy") not in (None, "clone"):
            raise InputError("boot_disk.clone_strategy=%s needs the agent; the native backend clones templates "
                             "(zfs clone)" % boot["clone_strategy"], hint="leave clone_strategy unset or clone")
        snapshot, volsize = self._template(pool, boot["box"], boot.get("box_version"))
        commands = ["zfs", "clone"] + stamp + [snapshot, target]
        if boot.get("size") and volsize and boot["size"] > volsize:
            return [commands, ["zfs", "set", "volsize=%s" % values.format_size(boot["size"]), target]]
        return commands

    def _template(self, pool, box, version):
        """The template's `@ready` snapshot (and size) under <pool>/templates/<org>/<box>/<version>,
        where the agent keeps downloaded templates; `latest` or no version picks the highest."""
        base = "%s/templates/%s" % (pool, box)
        result = self.runner.read(["zfs", "list", "-H", "-p", "-o", "name,volsize", "-t", "snapshot", "-r", base],
                                  missing="zfs")
        found = {}
        for row in zfs_parser.parse_list(result.stdout if result else "", fields=("name", "volsize")):
            dataset, _at, snap = row["name"].partition("@")
            if snap == TEMPLATE_SNAPSHOT and dataset.startswith(base + "/") and "/" not in dataset[len(base) + 1:]:
                found[dataset[len(base) + 1:]] = row["volsize"]
        wanted = version if version not in (None, "latest") else (
            max(found, key=_version_key) if found else None)
        if wanted not in found:
            raise InputError("template %s%s is not on this host: no %s/%s@%s snapshot"
                             % (box, " " + version if version else "", base, wanted or "<version>", TEMPLATE_SNAPSHOT),
                             hint="download it first (zoneweaver.illumos.template through the agent, or zfs recv) "
                                  "and snapshot it as @%s" % TEMPLATE_SNAPSHOT)
        return "%s/%s@%s" % (base, wanted, TEMPLATE_SNAPSHOT), found[wanted]

    def _volume_commands(self, name, target, command, what):
        """The commands that make `target` (none when it exists and is ours, or is an image to attach)."""
        existing = self.dataset(target)
        if command is None:
            if existing is None or existing["type"] != "volume":
                problem = "does not exist" if existing is None else "is a %s, not a volume" % existing["type"]
                raise InputError("%s: zvol %s %s" % (what, target, problem),
                                 hint="create it first (zfs create -V), or give a size for a new blank disk")
            return []
        if existing is not None:
            if existing["type"] == "volume" and existing["source"] == name:
                return []  # left by an earlier, interrupted run of this zone's creation
            raise ConflictError("%s: dataset %s already exists and was not created for zone %s" % (what, target, name),
                                hint="destroy it, or attach it with boot_disk.type=image / disks[].path")
        return command if isinstance(command[0], list) else [command]

    def create(self, spec, start, wait, timeout):
        deadline = self._deadline(timeout)
        name = spec["name"]
        plan = self.plan_create(spec)
        for secret in config_secrets(plan["config"]):
            self.runner.add_secret(secret)
        for command in plan["commands"]:
            self.runner.change(command)
        self.runner.change(["zonecfg", "-z", name, "-f", "-"], data=plan["script"])
        self.runner.change(["zoneadm", "-z", name, "install"])
        self.wait_for(name, ("installed",), deadline, "install")
        if start:
            self.runner.change(["zoneadm", "-z", name, "boot"])
            if wait:
                self.wait_for(name, ("running",), deadline, "boot")
        return {"zone_name": name}

    # ------------------------------------------------------------------ modify
    def plan_modify(self, name, changes, config=None):
        """{script, commands} for a change set against the zone's current config."""
        config = config if config is not None else self.config(name)
        if config is None:
            raise ZoneweaverError("zone %s vanished while it was being changed" % name)
        changes = dict(changes)
        meta = {key: changes.pop(key) for key in ("tags", "notes") if key in changes}
        commands = []
        if changes.get("add_disks"):
            changes["add_disks"], commands = self._new_disks(name, config, changes["add_disks"])
        if changes.get("add_nics"):
            taken = {n.get("physical") for n in config.get("net") or ()}
            named = []
            for wanted in changes["add_nics"]:
                nic = {k: v for k, v in wanted.items() if k != "nic_type"}
                index = len(taken)
                while not nic.get("physical"):
                    candidate = nic_name(wanted, None, server_id_of(name), index)
                    if candidate not in taken:
                        nic["physical"] = candidate
                    index += 1
                taken.add(nic["physical"])
                named.append(nic)
            changes["add_nics"] = named
        script = render_changes(config, changes) + self._meta_script(config, meta)
        return {"script": script, "commands": commands}

    def _new_disks(self, name, config, disks):
        """Blank disks become new zvols <root>/diskN (N free); images pass through."""
        root = zone_root(config)
        out, commands, used = [], [], set()
        listed = self.runner.read(["zfs", "list", "-H", "-p", "-o", "name", "-r", root], missing="zfs") if root else None
        used.update(line.strip() for line in (listed.stdout.splitlines() if listed else ()) if line.strip())
        for disk in disks:
            if disk.get("path"):
                out.append(disk)
                continue
            if root is None:
                raise InputError("zone %s has zonepath %s, not /<dataset>/path: give the new disk's zvol as a path"
                                 % (name, config.get("zonepath")))
            index = 0
            while "%s/disk%d" % (root, index) in used:
                index += 1
            target = "%s/disk%d" % (root, index)
            used.add(target)
            commands.append(["zfs", "create"] + (["-s"] if disk.get("sparse", True) else [])
                            + ["-o", "%s=%s" % (SOURCE_PROPERTY, name), "-V", values.format_size(disk["size"]), target])
            out.append({"path": target})
        return out, commands

    @staticmethod
    def _meta_script(config, meta):
        attrs = zonecfg_parser.attrs(config)
        lines = []
        wanted = {}
        if "tags" in meta:
            wanted[TAGS_ATTR] = ",".join(meta["tags"] or ())
        if "notes" in meta:
            wanted[NOTES_ATTR] = check_value(meta["notes"], "notes") if meta["notes"] else ""
        for attr, value in wanted.items():
            if not value:
                if attr in attrs:
                    lines.append("remove attr name=%s" % quote(attr))
            elif attr in attrs:
                if attrs[attr] != value:
                    lines += ["select attr name=%s" % quote(attr), "set value=%s" % quote(value, attr), "end"]
            else:
                lines += ["add attr", "set name=%s" % quote(attr), 'set type="string"',
                          "set value=%s" % quote(value, attr), "end"]
        return "\n".join(lines) + "\n" if lines else ""

    def modify(self, name, changes, actual=None, wait=True, timeout=None):
        """Apply a change set with one zonecfg command file (zvols for new blank disks first).
        zonecfg is synchronous, so `actual`, `wait` and `timeout` (the agent interface's) are not needed."""
        plan = self.plan_modify(name, changes)
        for secret in change_secrets(changes):
            self.runner.add_secret(secret)
        for command in plan["commands"]:
            self.runner.change(command)
        if plan["script"]:
            self.runner.change(["zonecfg", "-z", name, "-f", "-"], data=plan["script"])
        return {"zone_name": name, "status": "applied"}

    # ------------------------------------------------------------------ power
    def power(self, name, action, wait=True, timeout=None, force=False):
        deadline = self._deadline(timeout)
        zone = self._require(name)
        if action == "start":
            self._start(name, zone["state"], deadline, wait)
        elif action == "stop":
            self._stop(name, zone["state"], deadline, wait, force, timeout)
        elif action == "restart":
            if zone["state"] == "running":
                self.runner.change(["zoneadm", "-z", name, "reboot"])
                if wait:
                    self.wait_for(name, ("running",), deadline, "reboot")
            else:
                self._start(name, zone["state"], deadline, wait)
        else:
            raise InputError("unknown power action %r" % action)
        return {"zone_name": name}

    def _start(self, name, state, deadline, wait):
        if state == "running":
            return
        if state == "incomplete":
            raise ZoneweaverError("zone %s is incomplete: an install or uninstall was interrupted" % name,
                                  hint="remove it with state=absent, or run zoneadm -z %s uninstall -F" % name)
        if state == "configured":
            self.runner.change(["zoneadm", "-z", name, "install"])
            self.wait_for(name, ("installed",), deadline, "install")
        elif state == "shutting_down":
            state = self.wait_for(name, ("installed", "down"), deadline, "shutdown")
        if state == "down":
            self.runner.change(["zoneadm", "-z", name, "halt"])
            self.wait_for(name, ("installed",), deadline, "halt")
        self.runner.change(["zoneadm", "-z", name, "boot"])
        if wait:
            self.wait_for(name, ("running",), deadline, "boot")

    def _stop(self, name, state, deadline, wait, force, timeout):
        if state in STOPPED:
            return
        if state == "running" and not force:
            self.runner.change(["zoneadm", "-z", name, "shutdown"])
            if not wait:
                return
            window = (timeout or DEFAULT_TIMEOUT) * SHUTDOWN_SHARE
            if self.wait_for(name, ("installed",), min(deadline, self.clock() + window), "shutdown",
                             fail=False) == "installed":
                return
            self.warn("zone %s did not shut down within %ds; halting it" % (name, int(window)))
        elif state == "shutting_down" and not force:
            if self.wait_for(name, ("installed",), deadline, "shutdown", fail=False) == "installed":
                return
        self.runner.change(["zoneadm", "-z", name, "halt"])
        if wait:
            self.wait_for(name, ("installed",), deadline, "halt")

    # ------------------------------------------------------------------ delete
    def delete(self, name, force=False, cleanup_disks=True, cleanup_networking=True, wait=True, timeout=None):
        """Halt, uninstall, delete the configuration, then (cleanup_disks) destroy the
        datasets stamped for this zone. Networking needs no cleanup natively: the
        zone's NICs are on-demand VNICs (global-nic) that zoneadmd removes at halt.
        `force` does not matter here (the resource stops a running zone gracefully
        first unless forced; what is left is halted), and every step is waited for,
        since the next one needs it."""
        deadline = self._deadline(timeout)
        zone = self.zone_line(name)
        if zone is None:
            return {"zone_name": name}
        config = self.config(name) or {}
        state = zone["state"]
        if state == "mounted":
            self.runner.change(["zoneadm", "-z", name, "unmount"])
            state = self.wait_for(name, ("installed",), deadline, "unmount")
        if state in ONLINE:
            self.runner.change(["zoneadm", "-z", name, "halt"])
            state = self.wait_for(name, ("installed",), deadline, "halt")
        if state in ("installed", "incomplete"):
            self.runner.change(["zoneadm", "-z", name, "uninstall", "-F"])
            self.wait_for(name, ("configured",), deadline, "uninstall")
        self.runner.change(["zonecfg", "-z", name, "delete", "-F"])
        if cleanup_disks:
            self._destroy_owned(name, config)
        return {"zone_name": name}

    def _destroy_owned(self, name, config):
        root = zone_root(config)
        referenced = [str(value).split(",", 1)[0] for attr, value in zonecfg_parser.attrs(config).items()
                      if value and (attr == "bootdisk" or _DISK_ATTR.match(attr))]
        owned, kept = [], []
        if root:
            result = self.runner.read(["zfs", "get", "-H", "-p", "-r", "-t", "filesystem,volume", "-o",
                                       "name,property,value,source", SOURCE_PROPERTY, root], missing="zfs")
            for dataset, props in zfs_parser.parse_get(result.stdout if result else "").items():
                stamp = props.get(SOURCE_PROPERTY) or {}
                (owned if stamp.get("source") == "local" and stamp.get("value") == name else kept).append(dataset)
        for path in referenced:
            if path in owned or path in kept or (root and path.startswith(root + "/")):
                continue
            info = self.dataset(path)
            if info is not None and info["source"] == name:
                owned.append(path)
        for dataset in sorted((d for d in owned if d != root), key=lambda d: (-d.count("/"), d)):
            self.runner.change(["zfs", "destroy", "-r", dataset])
        if root and root in owned:
            rest = [d for d in kept if d != root and d.startswith(root + "/")]
            if rest:
                self.warn("kept %s: it still holds datasets not created for zone %s (%s)"
                          % (root, name, ", ".join(sorted(rest))))
            else:
                self.runner.change(["zfs", "destroy", "-r", root])
        foreign = [p for p in referenced if p not in owned]
        if foreign:
            self.warn("kept disks of zone %s that were not created for it: %s" % (name, ", ".join(foreign)))

    # ------------------------------------------------------------------ waiting
    def _deadline(self, timeout):
        return self.clock() + (timeout or DEFAULT_TIMEOUT)

    def _require(self, name):
        zone = self.zone_line(name)
        if zone is None:
            raise ZoneweaverError("zone %s does not exist on this host" % name)
        return zone

    def wait_for(self, name, states, deadline, step, fail=True):
        """Poll `zoneadm -z Z list -p` until the zone is in one of `states`
        (None = gone); returns the state. On the deadline: ZoneWaitTimeout,
        or the last state with fail=False. Check mode never waits."""
        if self.runner.check_mode:
            return states[0]
        interval = self.poll_interval
        while True:
            zone = self.zone_line(name)
            state = zone["state"] if zone else None
            if state in states:
                return state
            now = self.clock()
            if now >= deadline:
                if not fail:
                    return state
                raise ZoneWaitTimeout("zone %s is %s after %s, not %s, and wait_timeout has passed"
                                      % (name, state or "gone", step, " or ".join(s or "gone" for s in states)),
                                      hint="check it with zoneadm -z %s list -p; raise wait_timeout if the host is slow"
                                           % name, zone=name, state=state, step=step)
            self.sleep(min(interval, max(deadline - now, 0)))
            interval = min(interval * 2, MAX_POLL_INTERVAL)
