# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ZFS datasets, snapshots, pools and machine snapshots through `zfs`/`zpool`:
the native twin of agent/storage.py.

Same method names and return shapes as StorageAgentBackend, so the storage
resources plan and report the same way whichever backend they drive:

- list rows: {name, type, used, avail, refer, mountpoint} with integer byte
  counts, mountpoint/avail None for '-' (volumes, snapshots), ordered as the
  agent orders them (by name components; a dataset's snapshots oldest first,
  by createtxg, whatever order the local `zfs list` prints) [mem: the exact
  default order of `zfs list` differs between releases, so it is not relied on];
- get_dataset: {name, properties: {prop: {value, source}}} with the values and
  sources as `zfs get -H -p` prints them (strings; source 'local', 'default',
  '-', 'inherited from X'...), as the agent passes them on;
- mutations return {} (no task ids): every command is synchronous, so `wait`
  and `timeout` (the agent interface's) change nothing here.

Natively `zfs inherit` exists (supports_inherit). Every command goes through
one CommandRunner: argument lists only (no shell, so no quoting problem), and
check mode records the changes instead of running them.

Machine snapshots (zone_snapshot) follow the agent's model: one snapshot name
across the zone's datasets, i.e. its root dataset (from the zonepath
/<root>/path) recursively plus the zvols its configuration references from
outside that tree (bootdisk, diskN attributes). The description is the user
property zoneweaver:description of the root's snapshot (the simulated agent's
convention [mem: the real agent's storage of descriptions is unconfirmed]).
"""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zfs as zfs_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zpool as zpool_parser

LIST_FIELDS = ("name", "type", "used", "avail", "refer", "mountpoint", "createtxg")
POOL_FIELDS = ("name", "size", "allocated", "free", "capacity", "dedupratio", "health", "altroot")
DESCRIPTION_PROPERTY = "zoneweaver:description"
SNAPSHOT_FIELDS = ("name", "used", "userrefs", "createtxg", "creation", DESCRIPTION_PROPERTY)
DATASET_TYPES = "filesystem,volume"


def wire_entry(entry):
    """A parsed `zfs get` entry back in the form `zfs get -H -p` prints (and the agent passes on)."""
    value = entry.get("value")
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = "%.2f" % value
    else:
        text = str(value)
    kind = entry.get("source")
    if kind is None:
        source = "-"
    elif kind == "inherited":
        source = "inherited from %s" % entry.get("inherited_from")
    else:
        source = kind
    return {"value": text, "source": source}


def sort_key(row):
    """The agent's order: by name components, a dataset before its snapshots, snapshots oldest first."""
    name = str(row.get("name") or "")
    dataset, at, _snap = name.partition("@")
    return (tuple(dataset.split("/")), 1 if at else 0, row.get("createtxg") or 0)


def iso_time(epoch):
    """Epoch seconds (`zfs get -p creation`) as the agent prints times (ISO 8601, UTC, ms, Z)."""
    if not isinstance(epoch, int):
        return None
    stamp = datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class StorageNativeBackend:
    """The storage of the host the module runs on. `runner` is a CommandRunner; `warn` takes a message."""

    # `zfs inherit` is a command like any other here.
    supports_inherit = True
    has_machine_snapshots = True

    def __init__(self, runner, warn=None):
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zones import NativeDialect
        self.runner = runner
        self.warn = warn or (lambda message: None)
        self.dialect = NativeDialect
        self._zones = None

    # --- reads ------------------------------------------------------------
    def list_pools(self):
        """`zpool list` rows in the agent's shape: {name, size, alloc, free, capacity_percent, dedup_ratio,
        health, altroot}, sizes in bytes."""
        result = self.runner.read(["zpool", "list", "-H", "-p", "-o", ",".join(POOL_FIELDS)])
        rows = []
        for row in zpool_parser.parse_list(result.stdout, fields=POOL_FIELDS):
            ratio = row.get("dedupratio")
            rows.append({"name": row["name"], "size": row.get("size"), "alloc": row.get("allocated"),
                         "free": row.get("free"),
                         "capacity_percent": row["capacity"] if isinstance(row.get("capacity"), int) else None,
                         "dedup_ratio": "%.2f" % ratio if isinstance(ratio, float) else None,
                         "health": row.get("health"), "altroot": row.get("altroot")})
        return rows

    def list_datasets(self, root=None, kind=None, recursive=False):
        """Rows of `zfs list [-r] [-t kind] [root]`.

        Without `recursive`, a root lists only itself (with kind='snapshot': its own snapshots);
        snapshots are only listed with kind='snapshot'. A missing root raises CommandError
        (`cannot open 'x': dataset does not exist`), as the agent answers 500 for it.
        """
        # Snapshots also carry their hold count, so a caller can skip `zfs holds` for the common case of none.
        fields = LIST_FIELDS + ("userrefs",) if kind == "snapshot" else LIST_FIELDS
        argv = ["zfs", "list", "-H", "-p", "-o", ",".join(fields)]
        if root is not None:
            if recursive:
                argv.append("-r")
            elif kind == "snapshot":
                argv += ["-d", "1"]
        argv += ["-t", kind or DATASET_TYPES]
        if root is not None:
            argv.append(root)
        rows = zfs_parser.parse_list(self.runner.read(argv).stdout, fields=fields)
        out = []
        for row in sorted(rows, key=sort_key):
            row.pop("createtxg", None)
            out.append(row)
        return out

    def get_dataset(self, name):
        """{name, properties: {prop: {value, source}}} of a dataset or snapshot, or None if missing."""
        result = self.runner.read(["zfs", "get", "-H", "-p", "-o", "name,property,value,source", "all", name],
                                  missing="zfs")
        if result is None:
            return None
        props = zfs_parser.parse_get(result.stdout).get(name)
        if not props:
            return None
        return {"name": name, "properties": {prop: wire_entry(entry) for prop, entry in props.items()}}

    def list_holds(self, snapshot):
        """Hold tags on this snapshot (not on same-named snapshots of descendants), or None if it is missing."""
        result = self.runner.read(["zfs", "holds", "-H", snapshot], missing="zfs")
        if result is None:
            return None
        return sorted({row["tag"] for row in zfs_parser.parse_holds(result.stdout) if row["name"] == snapshot})

    # --- dataset mutations --------------------------------------------------
    def create_dataset(self, name, kind, properties, wait=True, timeout=None):
        """`zfs create [-o k=v]... [-V volsize] name` (no -p: the resource checks the parent first)."""
        argv = ["zfs", "create"]
        for prop, value in sorted(properties.items()):
            if prop != "volsize":
                argv += ["-o", "%s=%s" % (prop, value)]
        if kind == "volume":
            argv += ["-V", str(properties["volsize"])]
        self.runner.change(argv + [name])
        return {}

    def destroy_dataset(self, name, recursive=False, force=False, wait=True, timeout=None):
        self.runner.change(["zfs", "destroy"] + (["-r"] if recursive else []) + (["-f"] if force else []) + [name])
        return {}

    def set_properties(self, name, properties, allow_shrink=False, wait=True, timeout=None):
        """One `zfs set` per property, as the agent does (a multi-property `zfs set` is not in every
        release [mem]). zfs itself does not guard a volsize shrink: the resource does (allow_shrink)."""
        for prop, value in sorted(properties.items()):
            self.runner.change(["zfs", "set", "%s=%s" % (prop, value), name])
        return {}

    def inherit_properties(self, name, properties, wait=True, timeout=None):
        """`zfs inherit PROP name` for each property: the local value goes, the parent's or default applies."""
        for prop in properties:
            self.runner.change(["zfs", "inherit", prop, name])
        return {}

    # --- snapshot mutations -------------------------------------------------
    def create_snapshot(self, snapshot, recursive=False, wait=True, timeout=None):
        self.runner.change(["zfs", "snapshot"] + (["-r"] if recursive else []) + [snapshot])
        return {}

    def destroy_snapshot(self, snapshot, recursive=False, defer=False, wait=True, timeout=None):
        self.runner.change(["zfs", "destroy"] + (["-r"] if recursive else []) + (["-d"] if defer else []) + [snapshot])
        return {}

    def rollback(self, snapshot, destroy_newer=False, force=False, wait=True, timeout=None):
        """`zfs rollback [-r] [-f]`: -r destroys newer snapshots."""
        self.runner.change(["zfs", "rollback"] + (["-r"] if destroy_newer else []) + (["-f"] if force else [])
                           + [snapshot])
        return {}

    def hold(self, snapshot, tag, recursive=False, wait=True, timeout=None):
        self.runner.change(["zfs", "hold"] + (["-r"] if recursive else []) + [tag, snapshot])
        return {}

    def release(self, snapshot, tag, recursive=False, wait=True, timeout=None):
        self.runner.change(["zfs", "release"] + (["-r"] if recursive else []) + [tag, snapshot])
        return {}

    # --- machine snapshots ----------------------------------------------------
    @property
    def zones(self):
        if self._zones is None:
            from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zones import ZoneNativeBackend
            self._zones = ZoneNativeBackend(self.runner, warn=self.warn)
        return self._zones

    def machine_tree(self, machine):
        """(root, datasets) of a zone: its root dataset recursively, then the zvols its configuration
        references from elsewhere; None when the host has no such zone."""
        listing = self._zone_listing(machine, snapshots=False)
        return None if listing is None else listing[:2]

    def _zone_listing(self, machine, snapshots):
        """(root, datasets, snapshot rows) of a zone, or None when the host has no such zone.

        With `snapshots`, one `zfs list -t filesystem,volume,snapshot -r ROOT` (plus one per outside zvol)
        reads the datasets and their snapshots together, so a no-change run costs two reads with zonecfg's."""
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zonecfg as zonecfg_parser
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zones import zone_root
        # `zonecfg -z Z export` fails for an unknown zone: it alone tells whether the zone exists
        config = self.zones.config(machine)
        if config is None:
            return None
        root = zone_root(config)
        fields = SNAPSHOT_FIELDS if snapshots else ("name",)
        listing = ["zfs", "list", "-H", "-p", "-o", ",".join(fields), "-t",
                   DATASET_TYPES + (",snapshot" if snapshots else "")]
        rows = []
        if root:
            listed = self.runner.read(listing + ["-r", root], missing="zfs")
            rows = zfs_parser.parse_list(listed.stdout if listed else "", fields=fields)
        tree = sorted((r["name"] for r in rows if "@" not in r["name"]), key=lambda n: tuple(n.split("/")))
        for attr, value in sorted(zonecfg_parser.attrs(config).items()):
            if not value or not (attr == "bootdisk" or (attr.startswith("disk") and attr[4:].isdigit())):
                continue
            path = str(value).split(",", 1)[0]
            if path in tree or path.startswith("/"):
                continue
            if not snapshots:
                if self.runner.read(["zfs", "list", "-H", "-p", "-o", "name", path], missing="zfs") is not None:
                    tree.append(path)
                continue
            listed = self.runner.read(listing + ["-d", "1", path], missing="zfs")
            found = zfs_parser.parse_list(listed.stdout, fields=fields) if listed is not None else []
            if any(r["name"] == path for r in found):
                tree.append(path)
                rows += found
        return (root if root in tree else None), tree, [r for r in rows if "@" in r["name"]]

    def _grouped(self, machine):
        listing = self._zone_listing(machine, snapshots=True)
        if listing is None:
            return None, None, None
        root, tree, snapshot_rows = listing
        groups = {}
        position = {dataset: index for index, dataset in enumerate(tree)}
        rows = [r for r in snapshot_rows if r["name"].partition("@")[0] in position]
        # tree order (root, what is below it, then the outside zvols), as the agent lists dataset_names
        for row in sorted(rows, key=lambda r: (position[r["name"].partition("@")[0]], r.get("createtxg") or 0)):
            dataset, _at, snap = row["name"].partition("@")
            group = groups.setdefault(snap, {"name": snap, "description": None, "created": None, "createtxg": None,
                                             "datasets": 0, "dataset_names": [], "used_bytes": 0, "holds": 0})
            group["datasets"] += 1
            group["dataset_names"].append(dataset)
            group["used_bytes"] += row.get("used") or 0
            group["holds"] += row.get("userrefs") or 0
            txg = row.get("createtxg") or 0
            if group["createtxg"] is None or txg < group["createtxg"]:
                group["createtxg"], group["created"] = txg, iso_time(row.get("creation"))
            description = row.get(DESCRIPTION_PROPERTY)
            if description is not None and (dataset == root or group["description"] is None):
                group["description"] = description
        return root, tree, sorted(groups.values(), key=lambda g: g["createtxg"] or 0)

    def list_machine_snapshots(self, machine):
        """The zone's snapshots (as the agent groups them), or None when the host has no such zone."""
        return self._grouped(machine)[2]

    def machine_status(self, machine):
        zone = self.zones.zone_line(machine)
        return zone["state"] if zone else None

    def _carriers(self, machine, name):
        root, tree, groups = self._grouped(machine)
        if groups is None:
            raise ZoneweaverError("zone %s does not exist on this host" % machine)
        group = next((g for g in groups if g["name"] == name), None)
        return root, tree, (group["dataset_names"] if group else [])

    def _describe(self, target, description):
        if description:
            self.runner.change(["zfs", "set", "%s=%s" % (DESCRIPTION_PROPERTY, description), target])
        else:
            self.runner.change(["zfs", "inherit", DESCRIPTION_PROPERTY, target])

    def create_machine_snapshot(self, machine, name, description=None, wait=True, timeout=None):
        """One `zfs snapshot -r` of the root and the outside zvols (several snapshots in one command are
        taken atomically [mem]), then the description on the root's snapshot."""
        tree_info = self.machine_tree(machine)
        if tree_info is None:
            raise ZoneweaverError("zone %s does not exist on this host" % machine)
        root, tree = tree_info
        if not tree:
            raise ZoneweaverError("zone %s has no datasets to snapshot" % machine,
                                  hint="its zonepath is not /<dataset>/path and it references no zvols")
        inside = [d for d in tree if root and (d == root or d.startswith(root + "/"))]
        targets = ([root] if root else []) + [d for d in tree if d not in inside]
        self.runner.change(["zfs", "snapshot"] + (["-r"] if root else []) + ["%s@%s" % (d, name) for d in targets])
        if description:
            self._describe("%s@%s" % (targets[0], name), description)
        return {}

    def modify_machine_snapshot(self, machine, name, description, wait=True, timeout=None):
        root, _tree, carriers = self._carriers(machine, name)
        if not carriers:
            raise ZoneweaverError("snapshot %s of zone %s does not exist" % (name, machine))
        self._describe("%s@%s" % (root if root in carriers else carriers[0], name), description)
        return {}

    def delete_machine_snapshot(self, machine, name, wait=True, timeout=None):
        """Destroy the snapshot on every dataset carrying it; holds and clones are checked on all of them
        first, so a refusal leaves every one in place."""
        root, _tree, carriers = self._carriers(machine, name)
        if not carriers:
            return {}
        snaps = ["%s@%s" % (d, name) for d in carriers]
        got = zfs_parser.parse_get(self.runner.read(["zfs", "get", "-H", "-p", "-o", "name,property,value,source",
                                                     "userrefs,clones"] + snaps).stdout)
        held = [s for s in snaps if (got.get(s, {}).get("userrefs") or {}).get("value")]
        cloned = [s for s in snaps if (got.get(s, {}).get("clones") or {}).get("value")]
        if held or cloned:
            raise ZoneweaverError("cannot delete snapshot %s of zone %s: %s" % (name, machine, "; ".join(
                (["held: %s" % ", ".join(held)] if held else []) + (["has clones: %s" % ", ".join(cloned)] if cloned else []))),
                hint="release the holds (zfs release) and destroy or promote the clones first")
        # the root's `destroy -r` takes the snapshot of everything below it; the rest one by one
        covered = [d for d in carriers if root in carriers and (d == root or d.startswith(root + "/"))]
        if covered:
            self.runner.change(["zfs", "destroy", "-r", "%s@%s" % (root, name)])
        for dataset in carriers:
            if dataset not in covered:
                self.runner.change(["zfs", "destroy", "%s@%s" % (dataset, name)])
        return {}

    def restore_machine_snapshot(self, machine, name, wait=True, timeout=None):
        """`zfs rollback -r` on every dataset carrying the snapshot (the resource checked the zone is off)."""
        _root, _tree, carriers = self._carriers(machine, name)
        if not carriers:
            raise ZoneweaverError("snapshot %s of zone %s does not exist" % (name, machine))
        for dataset in carriers:
            self.runner.change(["zfs", "rollback", "-r", "%s@%s" % (dataset, name)])
        return {}
