"""A fleet of simulated agents: N Simulators, each seeded with M zones.

    from zoneweaver_sim.fleet import Fleet
    with Fleet(agents=20, zones=100, latency=0.05) as fleet:
        fleet.agents          # [Simulator], each with .admin_key
        fleet.describe()      # [{"name", "url", "api_key", "generation", "zones"}]
        fleet.request_count()

The zones are written straight into each host's state (zoneadm's view and the
agent's DB row, as the create chain's finalize step leaves them), so seeding
2000 zones takes well under a second and runs no task. Every agent answers
after `latency` seconds per request (its latency knob), like a WAN link.
"""
from __future__ import annotations

import json
import os
import secrets

from . import zonecfg
from .sim import Simulator
from .util import new_uuid, now_iso

NATIVE_BRANDS = ("sparse", "lx", "lipkg")


def admin_key(generation: str) -> str:
    """A fresh admin key in the generation's format."""
    if generation == "0.2":
        return "wh_" + secrets.token_urlsafe(32)
    return "hw_%s.%s" % (secrets.token_urlsafe(12), secrets.token_urlsafe(24))


def zone_plan(agent_index: int, n: int) -> dict:
    """The deterministic shape of zone n (1-based) on agent agent_index (0-based)."""
    brand = NATIVE_BRANDS[(n // 5) % len(NATIVE_BRANDS)] if n % 5 == 0 else "bhyve"
    return {
        "server_id": "%04d" % n,
        "brand": brand,
        "status": "installed" if n % 10 == 0 else "running",
        "vm_type": "development" if n % 3 == 0 else "production",
        "tags": ["fleet", "web" if n % 2 else "db"],
        "vcpus": 1 + n % 4,
        "ram": "%dG" % (1 << (n % 3)),
        "address": "10.%d.%d.%d/24" % (agent_index + 1, n // 250, n % 250 + 2),
        "mac": "02:08:20:%02x:%02x:%02x" % (agent_index % 256, (n >> 8) % 256, n % 256),
    }


def seed_zones(sim: Simulator, count: int, agent_index: int = 0, domain: str = "example.com") -> list[str]:
    """Write `count` zones into sim's host state directly; return their names."""
    st = sim.state
    names = []
    with st.lock:
        for n in range(1, count + 1):
            plan = zone_plan(agent_index, n)
            name = "%s--%s-z%03d.%s" % (plan["server_id"], sim.hostname, n, domain)
            root = "rpool/zones/%s" % name
            vnic = zonecfg.vnic_name("external", plan["vm_type"], plan["server_id"], 0)
            net = {"physical": vnic, "global-nic": "igb0", "mac-addr": plan["mac"],
                   "allowed-address": plan["address"]}
            cfg = {"zonename": name, "zonepath": "/%s/path" % root, "brand": plan["brand"],
                   "autoboot": "true", "ip-type": "exclusive"}
            if plan["brand"] in zonecfg.BHYVE_BRANDS:
                cfg.update({"ram": plan["ram"], "vcpus": str(plan["vcpus"]), "bootrom": "BHYVE_RELEASE_CSM",
                            "hostbridge": "i440fx", "diskif": "virtio", "netif": "virtio-net-viona", "acpi": "on",
                            "bootdisk": {"path": root + "/boot", "size": "20G", "sparse": "true"},
                            "device": [zonecfg.zvol_device(root + "/boot")]})
                st.add_dataset(root + "/boot", "volume", volsize=20 << 30,
                               properties={"zoneweaver:source": name} if sim.dialect.is_a else {})
            cfg["net"] = [net]
            st.ensure_parents(root + "/path")
            if root not in st.datasets:
                st.add_dataset(root, "filesystem")
            st.add_dataset(root + "/path", "filesystem")
            uuid = new_uuid()
            st.host_zones[name] = {"state": plan["status"], "config": cfg, "uuid": uuid}
            now = now_iso()
            host, dot, dom = name.split("--", 1)[1].partition(".")
            document = {}
            if sim.dialect.document_overlay:
                document = {"settings": {"hostname": host, "domain": dom, "server_id": plan["server_id"],
                                         "vcpus": plan["vcpus"], "memory": plan["ram"]},
                            "zones": {"brand": plan["brand"], "vmtype": plan["vm_type"]}}
            st.machines[name] = {
                "id": st.next_id("zone"), "name": name, "zone_id": uuid, "host": sim.hostname,
                "status": plan["status"], "brand": plan["brand"], "vnc_port": None, "is_orphaned": False,
                "auto_discovered": False, "last_seen": now, "server_id": plan["server_id"],
                "vm_type": plan["vm_type"], "notes": None, "tags": list(plan["tags"]), "document": document,
                "createdAt": now, "updatedAt": now}
            names.append(name)
        st.dirty = True
    st.save()
    return names


class Fleet:
    """N simulated agents with M zones each, on 127.0.0.1."""

    def __init__(self, agents: int = 20, zones: int = 100, latency: float = 0.05, generation: str = "0.3.9",
                 timing: str = "fast", tls: bool = False, hostname_prefix: str = "omni", base_port: int = 0):
        if agents < 1 or zones < 0:
            raise ValueError("a fleet needs at least one agent and zero or more zones")
        self.size = int(agents)
        self.zones_per_agent = int(zones)
        self.latency = latency
        self.generation = generation
        self.timing = timing
        self.tls = tls
        self.hostname_prefix = hostname_prefix
        self.base_port = int(base_port)   # 0: free ports; else agent i listens on base_port + i
        self.agents: list[Simulator] = []
        self.zone_names: dict[str, list[str]] = {}

    def start(self) -> "Fleet":
        if self.agents:
            return self
        width = max(2, len(str(self.size)))
        try:
            for index in range(self.size):
                key = admin_key(self.generation)
                hostname = "%s%0*d" % (self.hostname_prefix, width, index + 1)
                sim = Simulator(generation=self.generation, timing=self.timing, admin_key=key, tls=self.tls,
                                hostname=hostname, port=self.base_port + index if self.base_port else 0)
                sim.admin_key = key
                self.zone_names[hostname] = seed_zones(sim, self.zones_per_agent, index)
                sim.knobs.latency = self.latency
                self.agents.append(sim)
                sim.start()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for sim in self.agents:
            sim.stop()
        self.agents = []

    def __enter__(self) -> "Fleet":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ introspection
    @property
    def urls(self) -> list[str]:
        return [sim.url for sim in self.agents]

    @property
    def keys(self) -> list[str]:
        return [sim.admin_key for sim in self.agents]

    def set_latency(self, latency) -> None:
        for sim in self.agents:
            sim.knobs.latency = latency

    def request_count(self) -> int:
        """Agent requests logged by all agents (the /_sim control routes are not)."""
        return sum(len(sim.log) for sim in self.agents)

    def clear_logs(self) -> None:
        for sim in self.agents:
            sim.clear_log()

    def describe(self) -> list[dict]:
        return [{"name": sim.hostname, "url": sim.url, "api_key": sim.admin_key, "generation": sim.generation,
                 "zones": len(self.zone_names.get(sim.hostname, ())), "ca_path": sim.ca_path}
                for sim in self.agents]

    def write_file(self, path: str) -> None:
        """JSON with every agent's name, URL and admin key (mode 0600: it holds keys)."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"agents": self.describe()}, fh, indent=2)
            fh.write("\n")
