# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ZFS dataset resource: normalise the spec, read the dataset, plan, apply.

Property comparison is the point of this module. `zfs get -p` reports sizes in
bytes, so `volsize: 10G`, `10240M` and `10737418240` are all equal to
`10737418240`; on/off properties accept YAML booleans; the rest compare as
strings. A property whose value already equals the wanted one is unchanged
whatever its source: a value inherited from the parent (or the default) is not
made local on every run, which is the long-standing complaint about
community.general.zfs. `force_local` asks for a local value explicitly.

The agent interpolates names, property names and values into `zfs` command
lines unquoted, so all of them are checked against strict patterns here,
before any request (the native backend passes argument lists, but keeps the
same rules, so a playbook works with either backend).

`inherit` resets a local value with `zfs inherit`, which only the native
backend can run (the agent API has no such operation).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import task_ids_of
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    finish, new_result, reconcile, select_backend)

MAX_NAME = 255
_COMPONENT_RE = re.compile(r"^[A-Za-z0-9_.:\-]+$")
_POOL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:\-]*$")
SNAPSHOT_PART_RE = re.compile(r"^[A-Za-z0-9_.:\-]+$")
NATIVE_PROP_RE = re.compile(r"^[a-z][a-z0-9_]*$")
USER_PROP_RE = re.compile(r"^[a-z0-9_.+\-]+:[a-z0-9_.:+\-]*$")
# Values go unquoted into `zfs set k=v` / `zfs create -o k=v`: no blanks, quotes or shell metacharacters.
VALUE_RE = re.compile(r"^[A-Za-z0-9_.:,/@+=%\-]{1,1024}$")
HOLD_TAG_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,255}$")

SIZE_PROPS = frozenset(("quota", "refquota", "reservation", "refreservation", "volsize", "recordsize",
                        "volblocksize", "special_small_blocks"))
# Sizes where `none` (0 in `zfs get -p`) means "no limit".
NONE_SIZE_PROPS = frozenset(("quota", "refquota", "reservation", "refreservation"))
# `zfs inherit` refuses these; set them to none instead.
NOT_INHERITABLE = frozenset(("quota", "refquota", "reservation", "refreservation", "volsize", "volblocksize", "type"))
ONOFF_PROPS = frozenset(("atime", "relatime", "readonly", "devices", "exec", "setuid", "xattr", "nbmand", "vscan",
                         "zoned", "overlay", "utf8only", "jailed"))
# Reported by `zfs get` but never settable.
READONLY_PROPS = frozenset((
    "type", "creation", "used", "available", "avail", "referenced", "refer", "compressratio", "refcompressratio",
    "mounted", "origin", "usedbysnapshots", "usedbydataset", "usedbychildren", "usedbyrefreservation",
    "defer_destroy", "userrefs", "objsetid", "createtxg", "guid", "logicalused", "logicalreferenced", "written",
    "clones", "filesystem_count", "snapshot_count", "keystatus", "encryptionroot", "receive_resume_token",
    "inconsistent", "redact_snaps", "snapshots_changed", "name"))
# Settable only when the dataset is created.
CREATE_ONLY_PROPS = frozenset(("volblocksize", "casesensitivity", "normalization", "utf8only", "encryption",
                               "keyformat", "pbkdf2iters"))
VOLUME_ONLY_PROPS = frozenset(("volsize", "volblocksize", "volmode"))
FILESYSTEM_ONLY_PROPS = frozenset(("recordsize", "mountpoint", "quota", "refquota", "atime", "relatime", "canmount",
                                   "devices", "exec", "setuid", "xattr", "nbmand", "vscan", "zoned", "sharenfs",
                                   "sharesmb", "aclmode", "aclinherit", "casesensitivity", "normalization",
                                   "utf8only", "snapdir", "overlay"))
TYPES = ("filesystem", "volume")
CLONE_CHECK_LIMIT = 64
MAX_CONCURRENCY = 8


# --------------------------------------------------------------------------- names
def check_dataset_name(name, what="name"):
    """A dataset name `pool/path`; raises InputError with the rule otherwise."""
    text = "" if name is None else str(name)
    rule = ("a ZFS dataset name such as rpool/zones/data: components of letters, digits, '_', '.', ':' and '-' "
            "separated by '/', starting with the pool name")
    if not text or text.startswith("/") or text.endswith("/") or "@" in text or ".." in text or "//" in text:
        raise InputError("invalid %s %r: %s (no leading or trailing '/', no '@', no '..')" % (what, text, rule))
    if len(text) > MAX_NAME:
        raise InputError("invalid %s %r: at most %d characters" % (what, text, MAX_NAME))
    parts = text.split("/")
    if not _POOL_RE.match(parts[0]):
        raise InputError("invalid %s %r: the pool name %r must start with a letter; %s" % (what, text, parts[0], rule))
    for part in parts[1:]:
        if not _COMPONENT_RE.match(part) or part == ".":
            raise InputError("invalid %s %r: component %r; %s" % (what, text, part, rule))
    return text


def check_snapshot_name(name, what="name"):
    """A snapshot name `pool/path@snap`; returns (dataset, snap)."""
    text = "" if name is None else str(name)
    dataset, sep, snap = text.partition("@")
    if not sep:
        raise InputError("invalid %s %r: a snapshot is named dataset@snapshot, e.g. rpool/data@before-upgrade"
                         % (what, text))
    check_dataset_name(dataset, what + " (dataset part)")
    if not SNAPSHOT_PART_RE.match(snap) or len(text) > MAX_NAME:
        raise InputError("invalid %s %r: the snapshot part %r must be letters, digits, '_', '.', ':' and '-'"
                         % (what, text, snap))
    return dataset, snap


def check_property_name(prop):
    text = "" if prop is None else str(prop)
    if NATIVE_PROP_RE.match(text) or USER_PROP_RE.match(text):
        return text
    raise InputError("invalid property name %r: use a native property (lowercase, such as compression) "
                     "or a user property module:name (lowercase letters, digits and ._+-:)" % text)


# --------------------------------------------------------------------------- values
def source_kind(source):
    """'local', 'default', 'inherited', 'received', 'temporary' or 'none' from a `zfs get` source column."""
    text = str(source or "").strip()
    if text.startswith("inherited"):
        return "inherited"
    if text in ("local", "default", "received", "temporary"):
        return text
    return "none"


def normalize_value(prop, value, what=None):
    """The comparable form of a property value: bytes (int) for sizes, 'on'/'off' for booleans, else a string.

    Used for the user's values (validated: raises InputError) and the agent's.
    """
    what = what or "properties.%s" % prop
    if isinstance(value, bool):
        value = "on" if value else "off"
    if value is None:
        raise InputError("%s needs a value; to reset a property to its inherited value use inherit: [%s]"
                         % (what, prop))
    if isinstance(value, float):
        value = ("%f" % value).rstrip("0").rstrip(".")
    text = str(value).strip()
    if not text:
        raise InputError("%s is empty; give a value, or use inherit: [%s] for the inherited one" % (what, prop))
    if prop in SIZE_PROPS:
        if text.lower() == "none" and prop in NONE_SIZE_PROPS:
            return 0
        try:
            return values.parse_size(text, what)
        except InputError:
            raise InputError("%s must be a size such as 10G, 128K or a byte count%s, got %r"
                             % (what, " (or none)" if prop in NONE_SIZE_PROPS else "", value))
    if prop in ONOFF_PROPS:
        try:
            return "on" if values.to_bool(text, what) else "off"
        except InputError:
            return text
    if prop == "mountpoint" and len(text) > 1:
        return text.rstrip("/")
    return text


def agent_value(prop, raw):
    """The comparable form of a value read from the agent (never raises)."""
    try:
        return normalize_value(prop, raw)
    except InputError:
        return str(raw)


def display_value(prop, value):
    """A value as shown in diffs and actions: sizes as 10G, others unchanged."""
    if prop in SIZE_PROPS and isinstance(value, int):
        return "none" if value == 0 and prop in NONE_SIZE_PROPS else values.format_size(value)
    return value


def wire_value(prop, value):
    """A normalised value as sent to the agent (and so to `zfs set`)."""
    if prop in SIZE_PROPS and isinstance(value, int):
        return "none" if value == 0 and prop in NONE_SIZE_PROPS else values.format_size(value)
    return str(value)


def current(props, prop):
    """(comparable value, source text) of a property of a `GET dataset` answer; (None, None) when unset."""
    entry = props.get(prop)
    if isinstance(entry, dict):
        raw, source = entry.get("value"), entry.get("source")
    elif entry is not None:
        raw, source = entry, None
    else:
        return None, None
    if raw is None or (raw == "-" and source in (None, "", "-")):
        return None, source  # unset user property, or a property that does not apply to this type
    return agent_value(prop, raw), source


def numeric(props, prop):
    """A read-only byte count such as `written` or `used` as an int; None when absent or not a number."""
    entry = props.get(prop)
    raw = entry.get("value") if isinstance(entry, dict) else entry
    text = str(raw if raw is not None else "").strip()
    return int(text) if text.isdigit() else None


# --------------------------------------------------------------------------- spec
def normalize_spec(params):
    """Validate and normalise the user's options. Raises InputError before any call."""
    name = check_dataset_name(params.get("name"))
    state = params.get("state") or "present"
    kind = params.get("type")
    if kind is not None and kind not in TYPES:
        raise InputError("type must be filesystem or volume, got %r" % kind)
    props = {}
    for prop, value in sorted((params.get("properties") or {}).items()):
        prop = check_property_name(prop)
        if prop in READONLY_PROPS:
            raise InputError("properties.%s is read-only in ZFS and cannot be set" % prop)
        norm = normalize_value(prop, value)
        wire = wire_value(prop, norm)
        if not VALUE_RE.match(wire):
            raise InputError("properties.%s value %r has characters the agent cannot pass to zfs safely; "
                             "use letters, digits and _.:,/@+=%%- (no blanks or quotes)" % (prop, value))
        props[prop] = norm
    force_local = [check_property_name(p) for p in params.get("force_local") or ()]
    inherit = [check_property_name(p) for p in params.get("inherit") or ()]
    for prop in force_local:
        if prop not in props:
            raise InputError("force_local names %s, which is not in properties: give the value to make local" % prop)
    both = sorted(set(inherit) & set(props))
    if both:
        raise InputError("%s cannot be both set (properties) and inherited (inherit)" % ", ".join(both))
    for prop in inherit:
        if prop in READONLY_PROPS or prop in CREATE_ONLY_PROPS or prop in NOT_INHERITABLE:
            raise InputError("inherit names %s, which ZFS cannot inherit%s" % (
                prop, "; set it to none in properties instead" if prop in NONE_SIZE_PROPS else ""))
    if kind is None and "volsize" in props:
        kind = "volume"
    if kind == "filesystem":
        wrong = sorted(set(props) & VOLUME_ONLY_PROPS)
        if wrong:
            raise InputError("%s only appl%s to volumes, and type is filesystem"
                             % (", ".join(wrong), "ies" if len(wrong) == 1 else "y"))
    if kind == "volume":
        wrong = sorted(set(props) & FILESYSTEM_ONLY_PROPS)
        if wrong:
            raise InputError("%s only appl%s to file systems, and type is volume"
                             % (", ".join(wrong), "ies" if len(wrong) == 1 else "y"))
    if props.get("volsize") == 0:
        raise InputError("properties.volsize must be larger than 0")
    return {"name": name, "state": state, "type": kind, "properties": props, "force_local": sorted(set(force_local)),
            "inherit": sorted(set(inherit)), "recursive": bool(params.get("recursive")),
            "allow_shrink": bool(params.get("allow_shrink")), "force": bool(params.get("force"))}


# --------------------------------------------------------------------------- plan
def plan_properties(spec, actual_props):
    """What to change on an existing dataset.

    Returns (to_set, to_inherit, before, after): to_set maps property -> normalised value; to_inherit lists
    properties to reset; before/after map property -> {value, source} for the diff. Raises InputError for a
    change ZFS or the agent cannot make (create-only property, volsize shrink without allow_shrink).
    """
    to_set, to_inherit, before, after = {}, [], {}, {}
    for prop, want in spec["properties"].items():
        have, source = current(actual_props, prop)
        kind = source_kind(source)
        if have == want and not (prop in spec["force_local"] and kind != "local"):
            continue
        if prop in CREATE_ONLY_PROPS and have is not None:
            raise InputError("%s of %s is %s and can only be chosen when the dataset is created, not changed to %s"
                             % (prop, spec["name"], display_value(prop, have), display_value(prop, want)),
                             hint="recreate the dataset to change it")
        if prop == "volsize" and isinstance(have, int) and want < have and not spec["allow_shrink"]:
            raise InputError("refusing to shrink volume %s from %s to %s: a shrink truncates the volume and destroys "
                             "everything past the new end" % (spec["name"], values.format_size(have),
                                                              values.format_size(want)),
                             hint="set allow_shrink: true if that is really wanted")
        to_set[prop] = want
        before[prop] = {"value": display_value(prop, have), "source": source}
        after[prop] = {"value": display_value(prop, want), "source": "local"}
    for prop in spec["inherit"]:
        have, source = current(actual_props, prop)
        if source_kind(source) in ("local", "received"):
            to_inherit.append(prop)
            before[prop] = {"value": display_value(prop, have), "source": source}
            after[prop] = {"value": None, "source": "inherited"}
    return to_set, to_inherit, before, after


def is_shrink(spec, actual_props):
    have = current(actual_props, "volsize")[0]
    want = spec["properties"].get("volsize")
    return isinstance(have, int) and want is not None and want < have


def destroy_blockers(name, tree_rows, snapshot_rows, clones=None):
    """What stands in the way of destroying `name` without recursion.

    tree_rows: `zfs list -r name` rows; snapshot_rows: `zfs list -r -t snapshot name` rows;
    clones: {snapshot: [clone, ...]} for those snapshots. Returns {children, snapshots, clones}
    (clones only those outside the dataset's own tree, which even a recursive destroy cannot remove).
    """
    prefix = name + "/"
    children = sorted(r["name"] for r in tree_rows if str(r.get("name", "")).startswith(prefix))
    snapshots = [r["name"] for r in snapshot_rows
                 if str(r.get("name", "")).startswith(name + "@") or str(r.get("name", "")).startswith(prefix)]
    outside = sorted({c for snap in snapshots for c in (clones or {}).get(snap, ())
                      if c != name and not c.startswith(prefix)})
    return {"children": children, "snapshots": snapshots, "clones": outside}


def _listing(items, limit=5):
    shown = ", ".join(items[:limit])
    return shown + (" and %d more" % (len(items) - limit) if len(items) > limit else "")


def clone_names(props):
    """The `clones` property of a snapshot as a list."""
    raw = (props.get("clones") or {}).get("value") if isinstance(props.get("clones"), dict) else props.get("clones")
    if not raw or raw == "-":
        return []
    return [c.strip() for c in str(raw).split(",") if c.strip()]


def view(dataset):
    """The dataset as returned: name, type and every property as {value, source}."""
    if not dataset:
        return {}
    props = {}
    for prop, entry in sorted(dataset["properties"].items()):
        if isinstance(entry, dict):
            props[prop] = {"value": entry.get("value"), "source": entry.get("source")}
        else:
            props[prop] = {"value": entry, "source": None}
    kind = (props.get("type") or {}).get("value")
    return {"name": dataset["name"], "type": kind, "properties": props}


# --------------------------------------------------------------------------- apply
class ZfsDatasetResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx
        self.tasks = []

    def _record(self, answer):
        """Keep the agent's task ids, so wait=false runs can be followed with task_info."""
        self.tasks.extend({"step": step, "task_id": task_id} for step, task_id in task_ids_of(answer))
        return answer

    def ensure(self, spec, params):
        return reconcile(self.ctx, lambda: self._ensure_once(spec, params))

    def _ensure_once(self, spec, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        name = spec["name"]
        actual = self.backend.get_dataset(name)
        result = new_result()
        if spec["state"] == "absent":
            return self._absent(spec, actual, result, wait, timeout)
        if actual is None:
            return self._create(spec, result, wait, timeout)
        props = actual["properties"]
        have_type, _source = current(props, "type")
        if spec["type"] and have_type and have_type != spec["type"]:
            raise InputError("%s is a %s, not a %s; ZFS cannot convert it" % (name, have_type, spec["type"]),
                             hint="remove it (state=absent) and create it again, or fix type")
        if have_type == "snapshot":
            raise InputError("%s is a snapshot; manage it with zoneweaver.illumos.zfs_snapshot" % name)
        spec = dict(spec, type=have_type or spec["type"])
        to_set, to_inherit, before, after = plan_properties(spec, props)
        wrong = sorted(set(to_set) & (VOLUME_ONLY_PROPS if have_type == "filesystem" else
                                      FILESYSTEM_ONLY_PROPS if have_type == "volume" else set()))
        if wrong:
            raise InputError("%s %s: %s cannot be set on a %s" % (have_type, name, ", ".join(wrong), have_type))
        if to_inherit and not self.backend.supports_inherit:
            raise InputError(
                "cannot reset %s of %s to the inherited value: the Zoneweaver Agent API has no `zfs inherit` "
                "operation" % (", ".join(to_inherit), name),
                hint="run `zfs inherit %s %s` on the host; inherit only succeeds here when the property is "
                     "already inherited" % (to_inherit[0], name))
        if to_set:
            result["actions"].append("set " + " ".join("%s=%s" % (p, wire_value(p, v)) for p, v in to_set.items()))
        if to_inherit:
            result["actions"].append("inherit " + " ".join(to_inherit))
        diff_before = {"properties": before} if before else {}
        diff_after = {"properties": after} if after else {}
        if self.ctx.check_mode or not (to_set or to_inherit):
            return self._finish(result, diff_before, diff_after, actual)
        if to_set:
            wire = {p: wire_value(p, v) for p, v in to_set.items()}
            shrink = is_shrink(spec, props) and spec["allow_shrink"]
            self._record(self.backend.set_properties(name, wire, allow_shrink=shrink, wait=wait, timeout=timeout))
        if to_inherit:
            self._record(self.backend.inherit_properties(name, to_inherit, wait=wait, timeout=timeout))
        if not wait:
            return self._finish(result, diff_before, diff_after, None)
        reread = self.backend.get_dataset(name)
        self._verify(spec, to_set, reread, to_inherit)
        return self._finish(result, diff_before, diff_after, reread)

    def _create(self, spec, result, wait, timeout):
        name = spec["name"]
        kind = spec["type"] or "filesystem"
        if "/" not in name:
            raise InputError("pool %s does not exist; this module creates datasets inside a pool, not pools" % name)
        if kind == "volume" and "volsize" not in spec["properties"]:
            raise InputError("creating volume %s needs properties.volsize, e.g. volsize: 10G" % name)
        if spec["inherit"]:
            self.ctx.warn("inherit has no effect on a new dataset: its properties start out inherited")
        parent = name.rsplit("/", 1)[0]
        if self.backend.get_dataset(parent) is None:
            if "/" not in parent:
                raise InputError("cannot create %s: pool %s does not exist" % (name, parent))
            if not self.ctx.check_mode:
                raise InputError("cannot create %s: its parent %s does not exist" % (name, parent),
                                 hint="create the parent first with zoneweaver.illumos.zfs_dataset name=%s" % parent)
            # In check mode an earlier task may only have planned the parent: predict, do not fail.
            self.ctx.warn("%s does not exist yet; a real run needs it created before %s" % (parent, name))
        wire = {p: wire_value(p, v) for p, v in spec["properties"].items()}
        result["actions"].append("create %s" % kind)
        before = {"state": "absent"}
        after = {"state": "present", "type": kind,
                 "properties": {p: {"value": display_value(p, v), "source": "local"} for p, v in spec["properties"].items()}}
        if self.ctx.check_mode:
            return self._finish(result, before, after, None)
        self._record(self.backend.create_dataset(name, kind, wire, wait=wait, timeout=timeout))
        if not wait:
            return self._finish(result, before, after, None)
        created = self.backend.get_dataset(name)
        if created is None:
            raise ZoneweaverError("the agent reported the creation of %s as completed, but it does not exist" % name)
        self._verify(spec, spec["properties"], created)
        return self._finish(result, before, after, created)

    def _absent(self, spec, actual, result, wait, timeout):
        name = spec["name"]
        if actual is None:
            return self._finish(result, {}, {}, None)
        if "/" not in name:
            raise InputError("refusing to destroy %s: it is a pool's root dataset; destroy pools with zpool" % name)
        kind, _source = current(actual["properties"], "type")
        if kind == "snapshot":
            raise InputError("%s is a snapshot; remove it with zoneweaver.illumos.zfs_snapshot" % name)
        blockers = self._blockers(name)
        if blockers["clones"]:
            raise InputError("cannot destroy %s: clones of its snapshots exist outside it (%s); the agent cannot "
                             "destroy dependent clones" % (name, _listing(blockers["clones"])),
                             hint="destroy those clones first, or promote them (zfs promote)",
                             blocking_clones=blockers["clones"])
        if (blockers["children"] or blockers["snapshots"]) and not spec["recursive"]:
            parts = []
            if blockers["children"]:
                parts.append("child datasets %s" % _listing(blockers["children"]))
            if blockers["snapshots"]:
                parts.append("snapshots %s" % _listing(blockers["snapshots"]))
            raise InputError("refusing to destroy %s: it has %s" % (name, " and ".join(parts)),
                             hint="set recursive: true to destroy them too",
                             blocking_children=blockers["children"], blocking_snapshots=blockers["snapshots"])
        recursive = bool(blockers["children"] or blockers["snapshots"])
        result["actions"].append("destroy" + (" recursively" if recursive else ""))
        before = {"state": "present"}
        if recursive:
            before["destroyed_with_it"] = blockers["children"] + blockers["snapshots"]
        after = {"state": "absent"}
        if not self.ctx.check_mode:
            self._record(self.backend.destroy_dataset(name, recursive=recursive, force=spec["force"], wait=wait,
                                                      timeout=timeout))
            if wait and self.backend.get_dataset(name) is not None:
                raise ZoneweaverError("the agent reported the destruction of %s as completed, but it still exists"
                                      % name)
        return self._finish(result, before, after, None)

    def _blockers(self, name):
        tree = self.backend.list_datasets(root=name, recursive=True)
        snapshots = self.backend.list_datasets(root=name, kind="snapshot", recursive=True)
        snap_names = [row["name"] for row in snapshots if row.get("name")][:CLONE_CHECK_LIMIT]
        clones = {}
        if snap_names:
            with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(snap_names))) as pool:
                details = list(pool.map(self.backend.get_dataset, snap_names))
            clones = {snap: clone_names(detail["properties"]) for snap, detail in zip(snap_names, details) if detail}
        return destroy_blockers(name, tree, snapshots, clones)

    @staticmethod
    def _verify(spec, wanted, dataset, inherited=()):
        """The agent's property task reports success when only some `zfs set` calls worked: check the result."""
        if dataset is None:
            raise ZoneweaverError("%s disappeared while its properties were being set" % spec["name"])
        wrong = []
        for prop, want in wanted.items():
            have, _source = current(dataset["properties"], prop)
            if have != want:
                wrong.append("%s is %s, not %s" % (prop, "unset" if have is None else display_value(prop, have),
                                                   display_value(prop, want)))
        for prop in inherited:
            source = current(dataset["properties"], prop)[1]
            if source_kind(source) in ("local", "received"):
                wrong.append("%s is still %s" % (prop, source))
        if wrong:
            raise ZoneweaverError("the change of %s reported success, but %s" % (spec["name"], "; ".join(wrong)),
                                  hint="the agent's property task succeeds when only some `zfs set` calls worked; "
                                       "check the values are valid for this property")

    def _finish(self, result, before, after, dataset):
        result["dataset"] = view(dataset)
        result["tasks"] = self.tasks
        return finish(self.ctx, result, before, after)


def storage_backend(params, ctx, need_key=True):
    """StorageAgentBackend or StorageNativeBackend, as the backend option says."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.storage import StorageAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.storage import StorageNativeBackend
    return select_backend(params, ctx, StorageAgentBackend, lambda runner: StorageNativeBackend(runner, warn=ctx.warn),
                          need_key=need_key)


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zfs_dataset)."""
    # Validate before connecting: bad input never costs a request.
    spec = normalize_spec(params)
    return ZfsDatasetResource(storage_backend(params, ctx), ctx).ensure(spec, params)
