# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ZFS datasets, snapshots, pools and machine snapshots through the agent.

Addressing differs by generation (agent-api.md section 5):

- 0.2 and 0.3.0-0.3.8 carry a dataset or snapshot name in the path, with '/'
  (and '@') percent-encoded: /storage/datasets/rpool%2Fdata/properties,
  /storage/snapshots/rpool%2Fdata%40s1/holds/keep.
- 0.3.9 and later carry it in the `name` query parameter (path segments are
  re-split by the Hyperweaver proxy): /storage/dataset/properties?name=rpool/data,
  /storage/snapshot/holds?name=rpool/data@s1&tag=keep.

Reads are live `zfs` calls, so byte counts arrive as strings (`zfs -p`); rows
returned here carry them as integers. DELETE requests carry a JSON body. Every
mutation answers 202 with a task_id; with wait, the task is waited for here.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, NotFoundError

DATASET_BYTE_FIELDS = ("used", "avail", "refer")
POOL_BYTE_FIELDS = ("size", "alloc", "free")


def to_bytes(value):
    """A byte count from the agent ('1234', 1234, '-', None, or a human '1.5G'); None when unknown."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text in ("", "-", "none"):
        return 0 if text == "none" else None
    if text.isdigit():
        return int(text)
    try:
        return values.parse_size(text)
    except InputError:
        return None


def dataset_row(row):
    """A GET /storage/datasets row with integer byte counts and mountpoint None for '-'."""
    out = dict(row)
    for key in DATASET_BYTE_FIELDS:
        if key in out:
            out[key] = to_bytes(out[key])
    if out.get("mountpoint") in ("-", ""):
        out["mountpoint"] = None
    return out


def pool_row(row):
    """A GET /storage/pools row with integer byte counts and capacity."""
    out = dict(row)
    for key in POOL_BYTE_FIELDS:
        if key in out:
            out[key] = to_bytes(out[key])
    capacity = str(out.get("capacity_percent") if out.get("capacity_percent") is not None else "").rstrip("%")
    out["capacity_percent"] = int(capacity) if capacity.isdigit() else None
    if isinstance(out.get("dedup_ratio"), str):
        out["dedup_ratio"] = out["dedup_ratio"].rstrip("x")
    if out.get("altroot") in ("-", ""):
        out["altroot"] = None
    return out


class StorageAgentBackend:
    """The storage calls of one agent; names are validated by the resources before they get here."""

    def __init__(self, api):
        self.api = api
        self.client = api.client

    @property
    def dialect(self):
        return self.api.dialect

    @property
    def query_style(self):
        return self.dialect.dataset_query_style

    # The agent has no `zfs inherit` operation (PUT .../properties runs `zfs set`).
    supports_inherit = False

    # --- addressing -------------------------------------------------------
    def dataset_address(self, name, action=None):
        """(path, params) of one dataset, optionally of a sub-resource (properties, snapshots...)."""
        if self.query_style:
            return "/storage/dataset" + ("/" + action if action else ""), {"name": name}
        return "/storage/datasets/" + self.client.segment(name) + ("/" + action if action else ""), {}

    def snapshot_address(self, snapshot, action=None, tag=None):
        """(path, params) of one snapshot `ds@snap`, optionally of rollback/holds (and one hold tag)."""
        if self.query_style:
            params = {"name": snapshot}
            if tag is not None:
                params["tag"] = tag
            return "/storage/snapshot" + ("/" + action if action else ""), params
        path = "/storage/snapshots/" + self.client.segment(snapshot) + ("/" + action if action else "")
        if tag is not None:
            path += "/" + self.client.segment(tag)
        return path, {}

    # --- reads ------------------------------------------------------------
    def list_pools(self):
        answer = self.client.get("/storage/pools")
        return [pool_row(row) for row in (answer.get("pools") or []) if isinstance(row, dict)]

    def list_datasets(self, root=None, kind=None, recursive=False):
        """Rows of `zfs list [-r] [-t kind] [root]`.

        Without `recursive`, a root lists only itself; snapshots are only listed with kind='snapshot'.
        """
        params = {"pool": root, "type": kind, "recursive": "true" if recursive else None}
        answer = self.client.get("/storage/datasets", params=params)
        return [dataset_row(row) for row in (answer.get("datasets") or []) if isinstance(row, dict)]

    def get_dataset(self, name):
        """{name, properties: {prop: {value, source}}} of a dataset or snapshot, or None if missing."""
        path, params = self.dataset_address(name)
        try:
            answer = self.client.get(path, params=params)
        except NotFoundError:
            return None
        props = answer.get("properties") if isinstance(answer, dict) else None
        return {"name": answer.get("name") or name, "properties": props if isinstance(props, dict) else {}}

    def list_holds(self, snapshot):
        """Hold tags on this snapshot (not on same-named snapshots of descendants), or None if it is missing."""
        path, params = self.snapshot_address(snapshot, "holds")
        try:
            answer = self.client.get(path, params=params)
        except NotFoundError:
            return None
        tags = []
        for hold in answer.get("holds") or ():
            if isinstance(hold, dict) and hold.get("tag") and hold.get("name", snapshot) == snapshot:
                tags.append(str(hold["tag"]))
            elif isinstance(hold, str):
                tags.append(hold)
        return sorted(set(tags))

    # --- dataset mutations --------------------------------------------------
    def _mutate(self, method, path, params, body, wait, timeout):
        answer = self.client.request(method, path, params=params, body=body)
        if wait:
            self.api.wait_for(answer, timeout)
        return answer if isinstance(answer, dict) else {}

    def create_dataset(self, name, kind, properties, wait=True, timeout=None):
        body = {"name": name, "type": kind, "properties": dict(properties)}
        return self._mutate("POST", "/storage/datasets", None, body, wait, timeout)

    def destroy_dataset(self, name, recursive=False, force=False, wait=True, timeout=None):
        path, params = self.dataset_address(name)
        return self._mutate("DELETE", path, params, {"recursive": bool(recursive), "force": bool(force)}, wait, timeout)

    def set_properties(self, name, properties, allow_shrink=False, wait=True, timeout=None):
        path, params = self.dataset_address(name, "properties")
        body = {"properties": dict(properties)}
        if allow_shrink:
            body["allow_shrink"] = True
        return self._mutate("PUT", path, params, body, wait, timeout)

    # --- snapshot mutations -------------------------------------------------
    def create_snapshot(self, snapshot, recursive=False, wait=True, timeout=None):
        dataset, snap = snapshot.split("@", 1)
        path, params = self.dataset_address(dataset, "snapshots")
        return self._mutate("POST", path, params, {"snapshot_name": snap, "recursive": bool(recursive)}, wait, timeout)

    def destroy_snapshot(self, snapshot, recursive=False, defer=False, wait=True, timeout=None):
        path, params = self.snapshot_address(snapshot)
        return self._mutate("DELETE", path, params, {"recursive": bool(recursive), "defer": bool(defer)}, wait, timeout)

    def rollback(self, snapshot, destroy_newer=False, force=False, wait=True, timeout=None):
        """`zfs rollback [-r] [-f]`: -r (the agent's `recursive`) destroys newer snapshots."""
        path, params = self.snapshot_address(snapshot, "rollback")
        return self._mutate("POST", path, params, {"recursive": bool(destroy_newer), "force": bool(force)}, wait, timeout)

    def hold(self, snapshot, tag, recursive=False, wait=True, timeout=None):
        path, params = self.snapshot_address(snapshot, "holds")
        return self._mutate("POST", path, params, {"tag": tag, "recursive": bool(recursive)}, wait, timeout)

    def release(self, snapshot, tag, recursive=False, wait=True, timeout=None):
        path, params = self.snapshot_address(snapshot, "holds", tag=tag)
        return self._mutate("DELETE", path, params, {"recursive": bool(recursive)}, wait, timeout)

    # --- machine snapshots (0.3.9+, feature machine-snapshots) -------------
    @property
    def has_machine_snapshots(self):
        dialect = self.dialect
        return "machine-snapshots" in dialect.features or (dialect.machines and dialect.is_at_least(0, 3, 9))

    def list_machine_snapshots(self, machine):
        """The machine's snapshots, or None when the agent does not know the machine."""
        try:
            answer = self.client.get(self.dialect.machine_path(machine, "snapshots"))
        except NotFoundError:
            return None
        return [row for row in (answer.get("snapshots") or []) if isinstance(row, dict)]

    def machine_status(self, machine):
        """The machine's zoneadm status from GET {M}, or None when it is unknown."""
        try:
            detail = self.client.get(self.dialect.machine_path(machine))
        except NotFoundError:
            return None
        info = detail.get(self.dialect.info_key) or detail.get("machine_info") or detail.get("zone_info") or {}
        return info.get("status") or detail.get("system_status")

    def create_machine_snapshot(self, machine, name, description=None, wait=True, timeout=None):
        body = {"name": name}
        if description is not None:
            body["description"] = description
        return self._mutate("POST", self.dialect.machine_path(machine, "snapshots"), None, body, wait, timeout)

    def modify_machine_snapshot(self, machine, name, description, wait=True, timeout=None):
        path = self.dialect.machine_path(machine, "snapshots", self.client.segment(name))
        return self._mutate("PUT", path, None, {"description": description}, wait, timeout)

    def delete_machine_snapshot(self, machine, name, wait=True, timeout=None):
        path = self.dialect.machine_path(machine, "snapshots", self.client.segment(name))
        return self._mutate("DELETE", path, None, None, wait, timeout)

    def restore_machine_snapshot(self, machine, name, wait=True, timeout=None):
        path = self.dialect.machine_path(machine, "snapshots", self.client.segment(name), "restore")
        return self._mutate("POST", path, None, {}, wait, timeout)
