"""The simulated host: API keys, tasks, zones (as the host sees them and as the
agent's DB rows), ZFS datasets and templates, persisted as one JSON file so a
restarted simulator keeps its host.

One re-entrant lock guards everything: HTTP handlers and the task engine take
it for the whole of each step, which keeps the model simple and consistent.
"""
from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading

from .util import now_iso

STATE_FILE = "state.json"
SCHEMA = 1


class HostState:
    def __init__(self, state_dir: str, generation: str, hostname: str):
        self.dir = state_dir
        self.lock = threading.RLock()
        self._save_lock = threading.Lock()   # serialises snapshot+write, so the newest snapshot lands last
        self.dirty = False
        self.generation = generation
        self.hostname = hostname
        self.keys: list[dict] = []          # API key entities
        self.tasks: dict[str, dict] = {}    # id -> task row (insertion ordered)
        self.host_zones: dict[str, dict] = {}   # what zoneadm/zonecfg know: name -> {state, config, uuid}
        self.machines: dict[str, dict] = {}     # the agent DB's zone rows: name -> row
        self.datasets: dict[str, dict] = {}     # zfs: name -> {name, type, volsize, properties, ...}
        self.templates: dict[str, dict] = {}    # local templates (template_download result)
        self.counters = {"entity": 0, "zone": 0}
        self.loaded = False
        self._seed_host()

    # ------------------------------------------------------------------ seeds
    def _seed_host(self):
        # a fresh OmniOS install has its root pool and the agent's zones parent
        for name in ("rpool", "rpool/zones"):
            self.add_dataset(name, "filesystem")
        self.dirty = False

    def add_dataset(self, name: str, dtype: str, volsize: int | None = None, properties: dict | None = None,
                    origin: str | None = None) -> dict:
        ds = {"name": name, "type": dtype, "volsize": volsize if dtype == "volume" else None,
              "properties": dict(properties or {}), "origin": origin, "created_at": now_iso()}
        self.datasets[name] = ds
        self.dirty = True
        return ds

    def ensure_parents(self, name: str, properties: dict | None = None):
        """zfs create -p: make every missing ancestor filesystem."""
        parts = name.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent not in self.datasets:
                self.add_dataset(parent, "filesystem", properties=properties)

    def destroy_dataset(self, name: str, recursive: bool = True):
        for ds in [d for d in self.datasets if d == name or d.startswith(name + "/") or d.startswith(name + "@")]:
            if ds == name or recursive:
                del self.datasets[ds]
        self.dirty = True

    def next_id(self, counter: str) -> int:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        self.dirty = True
        return self.counters[counter]

    # ------------------------------------------------------------------ persistence
    @property
    def path(self) -> str:
        return os.path.join(self.dir, STATE_FILE)

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "generation": self.generation, "hostname": self.hostname,
                "counters": self.counters, "keys": self.keys, "tasks": list(self.tasks.values()),
                "host_zones": self.host_zones, "machines": self.machines,
                "datasets": self.datasets, "templates": self.templates}

    def save(self, force: bool = False):
        with self._save_lock:
            with self.lock:
                if not (self.dirty or force):
                    return
                data = json.dumps(self.to_dict(), separators=(",", ":"))
                self.dirty = False
            # atomic replace, so a crash never leaves half a state file
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".state-", suffix=".json")
            with os.fdopen(fd, "w") as fh:
                fh.write(data)
            os.replace(tmp, self.path)

    def load(self) -> bool:
        if not os.path.exists(self.path):
            return False
        with open(self.path) as fh:
            data = json.load(fh)
        if data.get("generation") != self.generation:
            raise ValueError(f"state in {self.dir} belongs to generation {data.get('generation')!r}, "
                             f"not {self.generation!r}")
        self.counters = data.get("counters", self.counters)
        self.keys = data.get("keys", [])
        self.tasks = {t["id"]: t for t in data.get("tasks", [])}
        self.host_zones = data.get("host_zones", {})
        self.machines = data.get("machines", {})
        self.datasets = data.get("datasets", {})
        self.templates = data.get("templates", {})
        self.loaded = True
        return True


def load_or_create_setup_token(state_dir: str) -> str:
    """64 hex chars in setup.token (mode 0600), like the agent's claim token
    beside its config file."""
    path = os.path.join(state_dir, "setup.token")
    if os.path.exists(path):
        with open(path) as fh:
            token = fh.read().strip()
        if len(token) == 64:
            return token
    token = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    return token
