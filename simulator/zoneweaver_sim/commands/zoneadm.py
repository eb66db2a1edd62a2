"""`zoneadm`: the zone state machine of the simulated host (illumos-native.md 1.1, 3).

    zoneadm list [-c|-i] [-n] [-p|-v]        zoneadm -z ZONE list -p
    zoneadm -z ZONE install | boot | ready | halt | shutdown [-r] | reboot | uninstall -F | verify
    zoneadm -z ZONE mark incomplete

`list -p` prints zoneid:zonename:state:zonepath:uuid:brand:ip-type:debugid
(OmniOS's 8 fields; ':' in zonepaths escaped), running zones first. Guards
and texts follow the reference's sanity_check notes; state changes go
through the same function as the agent's tasks (executors.set_zone_state),
so the DB row, on-demand VNICs and the agent face stay in step.

Knobs (sim.command_knobs): install_seconds and boot_seconds show the zone
incomplete/ready that long (the command blocks, as the real one does);
shutdown_seconds keeps a graceful shutdown in shutting_down that long
after the command returned; ignore_shutdown leaves the zone running.
"""
from __future__ import annotations

import threading

from .. import executors
from ..util import new_uuid
from ..zfs import FS, create as zfs_create
from .zonecfg import discover

TOOL = "zoneadm"
USAGE_RC = 253          # Z_USAGE
READ_SUBCOMMANDS = ("list", "verify", "help")
RUNNING = ("running",)
ONLINE = ("ready", "running", "shutting_down", "down")
USAGE = ("usage:\tzoneadm [-z <zone>] [-u <uuid-match>] [-R <root>] <subcommand>\n"
         "\tsubcommands: list, install, boot, ready, halt, shutdown, reboot, uninstall, verify, mark")


def _split(argv):
    """zoneadm [-z zone] [-u uuid] [-R root] subcommand args -> (zone, subcommand, args)."""
    zone, i = None, 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in ("-z", "-u", "-R") and i + 1 < len(argv):
            if argv[i] == "-z":
                zone = argv[i + 1]
            i += 2
        else:
            return zone, None, argv[i:]
    if i >= len(argv):
        return zone, None, []
    return zone, argv[i], argv[i + 1:]


def is_mutating(inv) -> bool:
    _zone, sub, _args = _split(inv.argv)
    return sub is not None and sub not in READ_SUBCOMMANDS


def _flags(inv, args, allowed):
    flags = set()
    for arg in args:
        if arg == "--":
            break
        if not arg.startswith("-") or len(arg) < 2:
            continue
        for letter in arg[1:]:
            if letter not in allowed:
                inv.fail(f"zoneadm: illegal option -- {letter}\n{USAGE}", USAGE_RC)
            flags.add(letter)
    return flags


def _index(st, name):
    names = list(st.host_zones)
    return names.index(name) + 1 if name in names else 0


def _line(st, name, hz):
    """One `list -p` line of a zone."""
    idx = _index(st, name)
    zoneid = str(idx) if hz["state"] in ONLINE else "-"
    cfg = hz.get("config") or {}
    zonepath = str(cfg.get("zonepath") or "").replace(":", "\\:")
    ip_type = "shared" if cfg.get("ip-type") == "shared" else "excl"
    uuid = hz.get("uuid") or ""
    brand = cfg.get("brand") or "ipkg"
    return f"{zoneid}:{name}:{hz['state']}:{zonepath}:{uuid}:{brand}:{ip_type}:{idx}"


GLOBAL_LINE = "0:global:running:/::ipkg:shared:0"


def _zone(inv, name):
    if not name:
        inv.fail("zoneadm: no zone specified (use -z zone)", USAGE_RC)   # [mem]
    if name == "global":
        inv.fail("zoneadm: the global zone cannot be managed by zoneweaver-sim")
    hz = inv.state.host_zones.get(name)
    if hz is None:
        inv.fail(f"zoneadm: {name}: No such zone configured")   # [tool]
    return hz


def _set_state(inv, name, state):
    executors.set_zone_state(inv.sim, name, state)
    discover(inv.sim, name)


# --------------------------------------------------------------------------- list

def _list(inv, name, args):
    flags = _flags(inv, args, "cinpv")
    if "p" in flags and "v" in flags:
        inv.fail("zoneadm: -p and -v are mutually exclusive", USAGE_RC)   # [mem]
    st = inv.state
    if name:
        if name == "global":
            rows = [("global", None)]
        else:
            rows = [(name, _zone(inv, name))]
    else:
        running = [(n, hz) for n, hz in st.host_zones.items() if hz["state"] in ONLINE]
        others = [(n, hz) for n, hz in st.host_zones.items() if hz["state"] not in ONLINE]
        if "c" in flags:
            zones = running + others
        elif "i" in flags:
            zones = running + [(n, hz) for n, hz in others if hz["state"] not in ("configured",)]
        else:
            zones = running
        rows = ([] if "n" in flags else [("global", None)]) + zones
    for zname, hz in rows:
        if "p" in flags:
            inv.out(GLOBAL_LINE if hz is None else _line(st, zname, hz))
        elif "v" in flags:
            if zname == rows[0][0]:
                inv.out(f"  {'ID':>2} {'NAME':<16} {'STATUS':<10} {'PATH':<30} {'BRAND':<8} IP")
            if hz is None:
                inv.out(f"  {'0':>2} {'global':<16} {'running':<10} {'/':<30} {'ipkg':<8} shared")
            else:
                fields = _line(st, zname, hz).split(":")
                inv.out(f"  {fields[0]:>2} {zname:<16} {hz['state']:<10} {hz['config'].get('zonepath', ''):<30} "
                        f"{fields[5]:<8} {fields[6]}")
        else:
            inv.out(zname)


# --------------------------------------------------------------------------- transitions

def _zonepath_dataset(hz):
    """The dataset zoneadm install creates for a zonepath whose parent is a dataset."""
    path = str(hz["config"].get("zonepath") or "").strip("/")
    return path or None


def _install(inv, name, args):
    hz = _zone(inv, name)
    state = hz["state"]
    if state == "incomplete":
        inv.fail(f"zoneadm: zone '{name}': zone is incomplete; uninstall required.")   # [src]
    if state != "configured":
        inv.fail(f"zoneadm: zone '{name}' is already installed.")   # [src]
    _set_state(inv, name, "incomplete")
    inv.pause(float(inv.knobs.get("install_seconds") or 0))
    hz = inv.state.host_zones.get(name)
    if hz is None or hz["state"] != "incomplete":
        inv.fail(f"zoneadm: zone '{name}': install was interrupted")   # deleted or changed meanwhile
    st = inv.state
    ds = _zonepath_dataset(hz)
    if ds and ds not in st.datasets and "/" in ds and ds.rsplit("/", 1)[0] in st.datasets \
            and st.datasets[ds.rsplit("/", 1)[0]]["type"] == FS:
        zfs_create(st, ds, FS, {}, [])
        inv.out("A ZFS file system has been created for this zone.")   # [mem]
    hz["uuid"] = hz.get("uuid") or new_uuid()
    _set_state(inv, name, "installed")


def _uninstall(inv, name, args):
    hz = _zone(inv, name)
    flags = _flags(inv, args, "Fh")
    state = hz["state"]
    if state in ONLINE:
        inv.fail(f"zoneadm: zone '{name}': uninstall operation is invalid for running zones.")   # [src]
    if state == "configured":
        inv.fail(f"zoneadm: zone '{name}' is already in state 'configured'.")   # [src]
    if "F" not in flags:
        answer = (inv.stdin or "").strip().lower()
        inv.out(f"Are you sure you want to uninstall zone {name} (y/[n])? ")
        if not answer.startswith("y"):
            return 1
    _set_state(inv, name, "incomplete")
    st = inv.state
    ds = _zonepath_dataset(hz)
    if ds and ds in st.datasets:
        st.destroy_dataset(ds)      # the zonepath dataset install made goes with the zone's root
    _set_state(inv, name, "configured")
    return 0


def _boot(inv, name, args):
    hz = _zone(inv, name)
    state = hz["state"]
    if state in ("configured", "incomplete"):
        inv.fail(f"zoneadm: zone '{name}': must be installed before boot.")   # [src]
    if state == "running":
        inv.fail(f"zoneadm: zone '{name}': zone is already booted")   # [mem]
    if state in ("shutting_down", "down"):
        inv.fail(f"zoneadm: zone '{name}': zone is {state.replace('_', ' ')}; halt it before booting")   # [mem]
    if state != "ready":
        _set_state(inv, name, "ready")
        inv.pause(float(inv.knobs.get("boot_seconds") or 0))
        hz = inv.state.host_zones.get(name)
        if hz is None or hz["state"] != "ready":
            inv.fail(f"zoneadm: zone '{name}': boot was interrupted")
    _set_state(inv, name, "running")


def _ready(inv, name, args):
    hz = _zone(inv, name)
    if hz["state"] in ("configured", "incomplete"):
        inv.fail(f"zoneadm: zone '{name}': must be installed before ready.")   # [src]
    if hz["state"] == "running":
        inv.fail(f"zoneadm: zone '{name}': zone is already booted")   # [mem]
    _set_state(inv, name, "ready")


def _halt(inv, name, args):
    hz = _zone(inv, name)
    state = hz["state"]
    if state in ("configured", "incomplete"):
        inv.fail(f"zoneadm: zone '{name}': must be installed before halt.")   # [src]
    if state == "installed":
        inv.err(f"zoneadm: zone '{name}': zone is already halted.")   # [mem] accepted, rc 0
        return 0
    _set_state(inv, name, "installed")
    return 0


def _finish_shutdown(sim, name, then):
    with sim.state.lock:
        hz = sim.state.host_zones.get(name)
        if hz is not None and hz["state"] == "shutting_down":
            executors.set_zone_state(sim, name, then)
            discover(sim, name)
    try:
        sim.state.save()
    except OSError:
        pass


def _shutdown(inv, name, args):
    hz = _zone(inv, name)
    reboot = "r" in _flags(inv, args, "r")
    if hz["state"] not in RUNNING:
        inv.fail(f"zoneadm: zone '{name}': not running")   # [src]
    if inv.knobs.get("ignore_shutdown"):
        return 0                      # the guest never acts on the request
    then = "running" if reboot else "installed"
    delay = float(inv.knobs.get("shutdown_seconds") or 0)
    if delay <= 0:
        _set_state(inv, name, then)
        return 0
    _set_state(inv, name, "shutting_down")
    timer = threading.Timer(delay, _finish_shutdown, args=(inv.sim, name, then))
    timer.daemon = True
    timer.start()
    return 0


def _reboot(inv, name, args):
    hz = _zone(inv, name)
    if hz["state"] not in RUNNING:
        inv.fail(f"zoneadm: zone '{name}': not running")   # [src]
    _set_state(inv, name, "running")


def _verify(inv, name, args):
    _zone(inv, name)


def _mark(inv, name, args):
    hz = _zone(inv, name)
    if args != ["incomplete"]:
        inv.fail(f"zoneadm: mark: only 'incomplete' is supported\n{USAGE}", USAGE_RC)
    if hz["state"] != "installed":
        inv.fail(f"zoneadm: zone '{name}': mark operation is invalid for zones in state '{hz['state']}'.")
    _set_state(inv, name, "incomplete")


SUBCOMMANDS = {"list": _list, "install": _install, "uninstall": _uninstall, "boot": _boot, "ready": _ready,
               "halt": _halt, "shutdown": _shutdown, "reboot": _reboot, "verify": _verify, "mark": _mark}
UNSUPPORTED = ("clone", "attach", "detach", "move", "mount", "unmount", "apply")


def run(inv):
    zone, sub, args = _split(inv.argv)
    if sub is None:
        inv.fail(USAGE, USAGE_RC)
    if sub in UNSUPPORTED:
        inv.fail(f"zoneadm: {sub}: not supported by zoneweaver-sim")
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        inv.fail(f"zoneadm: unknown subcommand '{sub}'\n{USAGE}", USAGE_RC)   # [mem]
    if sub != "list" and not zone:
        inv.fail(f"zoneadm: {sub}: a zone name is required (-z zone)", USAGE_RC)   # [mem]
    return handler(inv, zone, args)
