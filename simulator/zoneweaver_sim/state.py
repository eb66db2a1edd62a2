"""The simulated host: API keys, tasks, zones (as the host sees them and as the
agent's DB rows), ZFS pools, datasets and snapshots, datalinks (and the
agent's monitoring-DB copy of them), IP addresses, forwarding, NAT, DHCP and
templates, persisted as one JSON file so a restarted simulator keeps its host.

One re-entrant lock guards everything: HTTP handlers and the task engine take
it for the whole of each step, which keeps the model simple and consistent.
"""
from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import time

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
        self.pools: dict[str, dict] = {}        # zpool: name -> {size, health, altroot, guid, ...}
        self.templates: dict[str, dict] = {}    # local templates (template_download result)
        # network: dladm's live view, the agent's monitoring DB copy (lagging), ipadm, routeadm, ipnat, dhcpd
        self.links: dict[str, dict] = {}
        self.netdb: dict = {"rows": {}, "pending": [], "next_id": 0}
        self.ip_interfaces: dict[str, dict] = {}
        self.addresses: dict[str, dict] = {}
        self.forwarding: dict = {}
        self.nat: dict = {}
        self.dhcp: dict = {}
        self.pkg: dict = {}                 # the IPS image (ips.py): publishers, installed packages
        self.agent: dict = {}               # the agent's SMF instance (agentsvc.py), once its package is installed
        self.hardware: dict = {}            # memory and CPU count (monitoring.py; empty: the defaults)
        self.counters = {"entity": 0, "zone": 0}
        self.loaded = False
        self._seed_host()

    # ------------------------------------------------------------------ seeds
    def _seed_host(self):
        # a fresh OmniOS install: its root pool (with the usual boot environment,
        # dump and swap zvols), a data pool, and the agent's zones parent
        gib = 1 << 30
        now = now_iso()
        self.pools = {
            "rpool": {"size": 1 << 40, "health": "ONLINE", "altroot": None, "guid": _guid(), "created_at": now,
                      "vdevs": [{"type": "mirror", "devices": ["c1t0d0", "c1t1d0"]}]},
            "data": {"size": 4 << 40, "health": "ONLINE", "altroot": None, "guid": _guid(), "created_at": now,
                     "vdevs": [{"type": "raidz1", "devices": ["c2t0d0", "c2t1d0", "c2t2d0"]}]},
        }
        self.add_dataset("rpool", "filesystem", properties={"compression": "lz4"})
        self.add_dataset("rpool/ROOT", "filesystem", properties={"mountpoint": "legacy", "canmount": "off"})
        self.add_dataset("rpool/ROOT/omnios-r151054", "filesystem", refer=3 * gib // 2,
                         properties={"mountpoint": "/", "canmount": "noauto"})
        self.add_dataset("rpool/dump", "volume", volsize=4 * gib, refer=4 * gib,
                         properties={"volsize": str(4 * gib), "refreservation": "none", "checksum": "off",
                                     "compression": "off", "dedup": "off"})
        self.add_dataset("rpool/swap", "volume", volsize=4 * gib,
                         properties={"volsize": str(4 * gib), "refreservation": str(4 * gib)})
        self.add_dataset("rpool/export", "filesystem", properties={"mountpoint": "/export"})
        self.add_dataset("rpool/export/home", "filesystem")
        self.add_dataset("rpool/zones", "filesystem")
        self.add_dataset("data", "filesystem", properties={"compression": "lz4"})
        self._seed_network(now)
        self.dirty = False

    def _seed_network(self, now: str):
        def phys(name, mac, state, speed, mtu=1500):
            return {"name": name, "class": "phys", "over": None, "mtu": mtu, "state": state, "speed": speed,
                    "duplex": "full" if state == "up" else "unknown", "mac": mac, "macaddrtype": "fixed",
                    "vid": 0, "zone": None, "temporary": False, "props": {}, "media": "Ethernet",
                    "device": name, "created_at": now}
        self.links = {
            "igb0": phys("igb0", "0:25:90:5a:1c:e0", "up", 1000),
            "igb1": phys("igb1", "0:25:90:5a:1c:e1", "down", 0),
            "ixgbe0": phys("ixgbe0", "0:1b:21:8a:3e:40", "up", 10000),
        }
        self.ip_interfaces = {name: {"forwarding": {"current": "off", "persistent": "--"}} for name in ("lo0", "igb0")}
        self.addresses = {}
        for addrobj, atype, addr in (("lo0/v4", "static", "127.0.0.1/8"), ("igb0/v4", "static", "192.168.10.20/24"),
                                     ("lo0/v6", "static", "::1/128")):
            self.addresses[addrobj] = {"addrobj": addrobj, "interface": addrobj.split("/", 1)[0], "type": atype,
                                       "state": "ok", "addr": addr, "id": self.next_id("address"),
                                       "created_at": now, "updated_at": now}
        self.forwarding = {"ipv4": {"current": "disabled", "persistent": "default"},
                           "ipv6": {"current": "disabled", "persistent": "default"}}
        since = now
        self.nat = {"rules": [], "service": {"state": "disabled", "since": since}}
        self.dhcp = {"config": None, "hosts": [], "service": {"state": "disabled", "since": since}}
        self.netdb = {"rows": {}, "pending": [], "next_id": 0}   # filled by network.init()

    def next_txg(self) -> int:
        return self.next_id("txg")

    def add_dataset(self, name: str, dtype: str, volsize: int | None = None, properties: dict | None = None,
                    origin: str | None = None, refer: int | None = None) -> dict:
        if refer is None:
            if dtype == "snapshot":
                parent = self.datasets.get(name.split("@", 1)[0]) or {}
                refer = parent.get("refer", DEFAULT_REFER["filesystem"])
            else:
                refer = DEFAULT_REFER.get(dtype, DEFAULT_REFER["filesystem"])
        ds = {"name": name, "type": dtype, "volsize": volsize if dtype == "volume" else None,
              "properties": dict(properties or {}), "origin": origin, "created_at": now_iso(),
              "creation": int(time.time()), "createtxg": self.next_txg(), "guid": _guid(), "refer": int(refer)}
        if dtype == "snapshot":
            parent = self.datasets.get(name.split("@", 1)[0]) or {}
            ds["holds"] = {}
            ds["volsize"] = parent.get("volsize")       # what a rollback restores
            ds["written"] = parent.get("written", parent.get("refer", 0))
            if parent:
                parent["written"] = 0                  # written counts from the newest snapshot
        else:
            ds["written"] = int(refer)
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
                "datasets": self.datasets, "pools": self.pools, "templates": self.templates,
                "links": self.links, "netdb": self.netdb, "ip_interfaces": self.ip_interfaces,
                "addresses": self.addresses, "forwarding": self.forwarding, "nat": self.nat, "dhcp": self.dhcp,
                "pkg": self.pkg, "agent": self.agent, "hardware": self.hardware}

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
        # state files from before the network/storage surfaces keep the seeds
        for key in ("pools", "links", "netdb", "ip_interfaces", "addresses", "forwarding", "nat", "dhcp", "pkg", "agent",
                    "hardware"):
            if key in data:
                setattr(self, key, data[key])
        self.loaded = True
        return True


DEFAULT_REFER = {"filesystem": 98304, "volume": 57344}   # an empty filesystem / zvol (zfs list -p)


def _guid() -> str:
    return str(secrets.randbits(63))


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
