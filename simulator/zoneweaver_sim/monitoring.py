"""Host monitoring (GET /monitoring/system/memory, /system/cpu, /storage/pools, /host) and the
simulated host's hardware they describe.

The agent's collector samples the host into its monitoring DB (memory and CPU every minute,
pools every storage interval) and these routes read the newest rows back. The simulator has
no collector: each answer is a sample taken at request time from one hardware model, so the
figures move with the simulated zones at once:
- memory: the kernel's share, every running zone's `ram` (bhyve wires its guest memory),
  and the ZFS ARC, which takes part of what is left (reclaimable: counted in `available`);
- CPU: a small base load plus a share per vCPU of each running zone;
- pools: sized by the hardware model, allocated by the datasets (zone volumes included).

Hardware knobs (persisted with the host): `memory` (bytes or a size, default 64G), `cpus`
(default 16) and pool sizes; see set_hardware, GET/PUT /_sim/hardware and the CLI's
--memory/--cpus/--pool-size.

Wire details follow the agents' controllers (SystemMetricsController, StorageMonitoringController,
SummaryController.getHostInfo): the latest-sample answers carry
{<rows>, totalCount, returnedCount, latest, sampling, queryTime}; pool rows come newest scan
first and a table keeps earlier scans (two are served); `alloc`/`free` are `zpool iostat`'s
rounded figures and `alloc_bytes`/`free_bytes` their byte values as strings. The 0.2 collector's
iostat parser skips every line containing "pool", so there a pool such as `rpool` only has the
row of its `zpool status` scan, without figures.
"""
from __future__ import annotations

import itertools
import json
import math
import secrets
import time
from datetime import datetime, timezone

from . import zfs
from .server import Response
from .util import parse_size

GIB = 1 << 30
DEFAULT_HARDWARE = {"memory": 64 * GIB, "cpus": 16}
PAGE_SIZE = 4096
STORAGE_INTERVAL = 300          # host_monitoring.intervals.storage: the age of the previous pool scan
BASE_LOAD = 0.25                # the global zone's own load average
LOAD_PER_VCPU = 0.1             # a mostly idle guest's share per vCPU [guess]
ARC_SHARE = 0.4                 # of the memory neither the kernel nor the zones hold [guess]


# --------------------------------------------------------------------------- the hardware model


def hardware(st) -> dict:
    """{memory (bytes), cpus} of the simulated host."""
    out = dict(DEFAULT_HARDWARE)
    out.update(getattr(st, "hardware", None) or {})
    return out


def set_hardware(sim, memory=None, cpus=None, pools=None) -> dict:
    """Change the host's hardware: total memory, CPU count, pool sizes ({name: size}; a new
    name adds an empty pool). All values are checked before any is applied."""
    st = sim.state
    changes = {}
    if memory is not None:
        size = parse_size(memory)
        if not size or size < 256 << 20:
            raise ValueError(f"memory must be a size of at least 256M, got {memory!r}")
        changes["memory"] = size
    if cpus is not None:
        if isinstance(cpus, bool) or not isinstance(cpus, int) or not 1 <= cpus <= 1024:
            raise ValueError(f"cpus must be a whole number from 1 to 1024, got {cpus!r}")
        changes["cpus"] = cpus
    sizes = {}
    for name, value in (pools or {}).items():
        if not zfs.valid_dataset_name(name) or "/" in name:
            raise ValueError(f"pool name {name!r} is not valid")
        size = parse_size(value)
        if not size or size < 64 << 20:
            raise ValueError(f"pool {name} must be at least 64M, got {value!r}")
        sizes[name] = size
    with st.lock:
        st.hardware = dict(getattr(st, "hardware", None) or {}, **changes)
        for name, size in sizes.items():
            if name in st.pools:
                st.pools[name]["size"] = size
            else:
                st.pools[name] = {"size": size, "health": "ONLINE", "altroot": None,
                                  "guid": str(secrets.randbits(63)), "created_at": _iso(time.time()),
                                  "vdevs": [{"type": "disk", "devices": [f"c9t{len(st.pools)}d0"]}]}
                st.add_dataset(name, "filesystem")
        st.dirty = True
    st.save()
    return describe(sim)


def describe(sim) -> dict:
    st = sim.state
    with st.lock:
        hw = hardware(st)
        return {"memory": hw["memory"], "cpus": hw["cpus"],
                "pools": {name: pool["size"] for name, pool in sorted(st.pools.items())}}


def _vcpus(value) -> int:
    """zonecfg vcpus: '4' or 'sockets=1,cores=2,threads=2'."""
    text = str(value or "1")
    if "=" not in text:
        try:
            return max(1, int(text))
        except ValueError:
            return 1
    count = 1
    for part in text.split(","):
        key, _sep, number = part.partition("=")
        if key.strip() in ("sockets", "cores", "threads") and number.strip().isdigit():
            count *= int(number)
    return count


def _running(st) -> list[dict]:
    return [hz["config"] for hz in st.host_zones.values() if hz.get("state") == "running"]


def memory_figures(st) -> dict:
    total = hardware(st)["memory"]
    kernel = GIB + total // 64
    zones = sum(parse_size(cfg.get("ram")) or 0 for cfg in _running(st))
    arc = int(max(0, total - kernel - zones) * ARC_SHARE)
    used = min(total, kernel + zones + arc)
    free = total - used
    swap_total = sum(ds.get("volsize") or 0 for name, ds in st.datasets.items()
                     if ds.get("type") == "volume" and name.rsplit("/", 1)[-1] == "swap")
    swap_used = min(swap_total, max(0, kernel + zones - total))
    return {"total": total, "used": used, "free": free, "available": free + arc, "arc": arc,
            "arc_target": arc, "kernel": kernel, "swap_total": swap_total, "swap_used": swap_used}


def cpu_figures(st) -> dict:
    cpus = hardware(st)["cpus"]
    running = _running(st)
    vcpus = sum(_vcpus(cfg.get("vcpus")) for cfg in running)
    load = BASE_LOAD + LOAD_PER_VCPU * vcpus
    busy = min(100.0, round(100.0 * load / cpus, 2))
    return {"cpus": cpus, "load": (round(load, 2), round(load * 0.9, 2), round(load * 0.8, 2)),
            "busy": busy, "processes_running": 1 + len(running)}


def nicenum(n: int) -> str:
    """`zpool iostat`'s rounded figure: 3 significant digits and a unit ('6.05G', '61.9G', '176G')."""
    units, index, value = "KMGTPE", 0, float(n)
    while value >= 1024 and index < len(units):
        value /= 1024
        index += 1
    if index == 0:
        return str(n)
    if n % (1024 ** index) == 0:
        return f"{n // 1024 ** index}{units[index - 1]}"
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f}{units[index - 1]}"


def _bytes_of(text: str) -> int:
    """The agent's parseUnitToBytes: floor(number * 1024^unit)."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}
    number = text.rstrip("KMGTPE")
    return int(math.floor(float(number) * units[text[len(number):]]))


# --------------------------------------------------------------------------- rows


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Monitoring:
    def __init__(self, sim):
        self.sim = sim
        self.st = sim.state
        self.d = sim.dialect
        self._ids = itertools.count(1)     # one DB row per sample taken

    def _stamps(self, epoch):
        stamp = _iso(epoch)
        return {"scan_timestamp": stamp, "created_at": stamp, "updated_at": stamp}

    def _envelope(self, key, row, req, started):
        body = {key: [row], "totalCount": 1, "returnedCount": 1, "latest": row,
                "sampling": {"applied": True, "strategy": "latest-system-wide"}}
        if req.q("since"):
            # the history path: the simulator keeps no history, its one sample is the newest
            body["sampling"] = {"applied": True, "strategy": "javascript-time-sampling",
                                "samplesRequested": _int(req.q("limit"), 100), "samplesReturned": 1}
            body["metadata"] = {"timeSpan": {"start": row["scan_timestamp"], "end": row["scan_timestamp"],
                                             "durationMinutes": 0}}
        body["queryTime"] = f"{int((time.monotonic() - started) * 1000)}ms"
        return Response(200, body)

    def memory(self, req):
        started = time.monotonic()
        m = memory_figures(self.st)
        row = {"id": next(self._ids), **self._stamps(time.time()), "total_memory_bytes": m["total"],
               "used_memory_bytes": m["used"], "free_memory_bytes": m["free"],
               "available_memory_bytes": m["available"],
               "memory_utilization_pct": round(100.0 * m["used"] / m["total"], 2),
               "swap_total_bytes": m["swap_total"], "swap_used_bytes": m["swap_used"],
               "swap_free_bytes": m["swap_total"] - m["swap_used"],
               "swap_utilization_pct": round(100.0 * m["swap_used"] / m["swap_total"], 2) if m["swap_total"] else 0}
        if self.d.is_a:
            # the 0.3.9 spec's MemoryStats also documents the ARC, kernel and page columns [guess: served]
            row.update({"arc_size_bytes": m["arc"], "arc_target_bytes": m["arc_target"],
                        "kernel_memory_bytes": m["kernel"], "page_size_bytes": PAGE_SIZE,
                        "pages_total": m["total"] // PAGE_SIZE, "pages_free": m["free"] // PAGE_SIZE})
        for key in ("created_at", "updated_at"):
            row.pop(key)          # MEMORY_STATS_ATTRIBUTES selects id, scan_timestamp and the figures only
        return self._envelope("memory", row, req, started)

    def cpu(self, req):
        started = time.monotonic()
        c = cpu_figures(self.st)
        busy = c["busy"]
        row = {"id": next(self._ids), "scan_timestamp": _iso(time.time()), "cpu_count": c["cpus"],
               "cpu_utilization_pct": busy, "user_pct": round(busy * 0.6, 2), "system_pct": round(busy * 0.4, 2),
               "idle_pct": round(100.0 - busy, 2), "iowait_pct": 0,
               "load_avg_1min": c["load"][0], "load_avg_5min": c["load"][1], "load_avg_15min": c["load"][2],
               "processes_running": c["processes_running"], "processes_blocked": 0,
               "context_switches": 1200 + 40 * c["processes_running"], "interrupts": 900, "system_calls": 5000,
               "page_faults": 30, "page_ins": 0, "page_outs": 0}
        if self.d.is_a:
            row["io_delay_pct"] = 0     # the max pool %w of the interval: idle simulated pools
        if str(req.q("include_cores")).lower() == "true":
            cores = [{"core": i, "user_pct": row["user_pct"], "system_pct": row["system_pct"],
                      "idle_pct": row["idle_pct"], "utilization_pct": busy} for i in range(c["cpus"])]
            if not self.d.is_a:
                # 0.2 selects the raw column as well and adds its parse [guess: the same objects]
                row["per_core_data"] = json.dumps(cores, separators=(",", ":"))
            row["per_core_parsed"] = cores
        return self._envelope("cpu", row, req, started)

    def _pool_rows(self, epoch, first_id):
        """One scan: a row per pool, sorted by name."""
        st = self.st
        use = zfs.usage(st)
        rows = []
        for offset, name in enumerate(sorted(st.pools)):
            pool = st.pools[name]
            row = {"id": first_id + offset, "host": self.sim.hostname, "pool": name, "alloc": None, "free": None,
                   "alloc_bytes": None, "free_bytes": None, "capacity": None, "read_ops": None, "write_ops": None,
                   "read_bandwidth": None, "write_bandwidth": None, "health": pool.get("health", "ONLINE"),
                   # `zpool status` prints a status: line only for a pool with a problem
                   "status": None, "errors": "No known data errors", "scan_type": "status", **self._stamps(epoch)}
            if self.d.is_a or "pool" not in name:
                alloc = zfs.pool_alloc(st, name, use)
                alloc_text, free_text = nicenum(alloc), nicenum(max(0, pool["size"] - alloc))
                alloc_b, free_b = _bytes_of(alloc_text), _bytes_of(free_text)
                total = alloc_b + free_b
                row.update({"alloc": alloc_text, "free": free_text, "alloc_bytes": str(alloc_b),
                            "free_bytes": str(free_b),
                            "capacity": round(alloc_b / total * 100, 2) if total else 0,
                            "read_ops": "0", "write_ops": "0", "read_bandwidth": "0", "write_bandwidth": "0",
                            "scan_type": "iostat"})
            rows.append(row)
        return rows

    def pools(self, req):
        now = time.time()
        count = len(self.st.pools)
        # the current scan and the one before it (same figures: nothing happened in between)
        rows = self._pool_rows(now, 1 + count) + self._pool_rows(now - STORAGE_INTERVAL, 1)
        wanted, health = req.q("pool"), req.q("health")
        if wanted:
            rows = [r for r in rows if str(wanted).lower() in r["pool"].lower()]   # LIKE %pool%
        if health:
            rows = [r for r in rows if r["health"] == health]
        total = len(rows)
        return Response(200, {"pools": rows[:_int(req.q("limit"), 50)], "totalCount": total})

    def host(self, req):
        uptime = int(time.monotonic() - self.sim.started_at)
        started = time.time() - uptime
        scan = _iso(time.time())
        return Response(200, {
            "id": 1, "host": self.sim.hostname, "hostname": self.sim.hostname, "platform": "sunos",
            "release": "5.11", "arch": "x64", "uptime": uptime, "network_acct_enabled": True,
            "network_acct_file": "/var/log/net.log", "last_network_scan": scan, "last_network_stats_scan": scan,
            "last_network_usage_scan": scan, "last_storage_scan": scan, "network_scan_errors": 0,
            "storage_scan_errors": 0, "last_error_message": None, "created_at": _iso(started), "updated_at": scan})


def _int(value, default: int) -> int:
    """parseInt as the controllers use it (a bad value counts as the default here)."""
    try:
        return max(0, int(str(value)))
    except (TypeError, ValueError):
        return default


def register(router, sim):
    mon = Monitoring(sim)
    router.add("GET", "/monitoring/system/memory", mon.memory)
    router.add("GET", "/monitoring/system/cpu", mon.cpu)
    router.add("GET", "/monitoring/storage/pools", mon.pools)
    router.add("GET", "/monitoring/host", mon.host)
    return mon


def register_admin(router, sim):
    """GET/PUT /_sim/hardware: read or change the simulated host's hardware."""

    def get_hardware(req):
        return Response(200, describe(sim))

    def put_hardware(req):
        body = req.body if isinstance(req.body, dict) else {}
        unknown = set(body) - {"memory", "cpus", "pools"}
        if unknown:
            return Response(400, {"error": f"unknown hardware keys: {sorted(unknown)}"})
        if body.get("pools") is not None and not isinstance(body["pools"], dict):
            return Response(400, {"error": "pools must map a pool name to its size"})
        try:
            return Response(200, set_hardware(sim, body.get("memory"), body.get("cpus"), body.get("pools")))
        except ValueError as exc:
            return Response(400, {"error": str(exc)})

    router.add("GET", "/_sim/hardware", get_hardware)
    router.add("PUT", "/_sim/hardware", put_hardware)
