"""zoneweaver-sim serve ...: run the simulator in the foreground until
SIGTERM/SIGINT."""
from __future__ import annotations

import argparse
import re
import signal
import sys
import threading

from .fleetcli import fleet_size
from .sim import Simulator


def _latency(value: str):
    if "," in value:
        lo, hi = value.split(",", 1)
        return (float(lo), float(hi))
    return float(value)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zoneweaver-sim", description="Zoneweaver Agent API simulator")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the agent API on 127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="TCP port (0 = pick a free one)")
    s.add_argument("--port-file", help="write the chosen port to this file")
    s.add_argument("--generation", choices=["0.2", "0.3.9"], default="0.3.9")
    s.add_argument("--state-dir", help="persist the host state here (default: a temporary directory)")
    s.add_argument("--tls", action="store_true", help="serve HTTPS with a generated certificate")
    s.add_argument("--timing", choices=["fast", "realistic"], default="fast")
    s.add_argument("--admin-key", help="pre-seed this admin API key (skips bootstrap)")
    s.add_argument("--no-prefix-zone-names", action="store_true",
                   help="agent config zones.prefix_zone_names: false")
    s.add_argument("--hostname", default="omnios-sim")
    s.add_argument("--latency", type=_latency, default=None, help="seconds, or MIN,MAX")
    s.add_argument("--error-rate", type=float, default=None, help="0..1 share of injected 5xx answers")
    s.add_argument("--memory", help="the simulated host's physical memory, e.g. 128G (default 64G)")
    s.add_argument("--cpus", type=int, help="the simulated host's CPU count (default 16)")
    s.add_argument("--pool-size", action="append", default=[], metavar="POOL=SIZE",
                   help="size of a ZFS pool, e.g. rpool=2T (repeatable; a new name adds an empty pool)")
    s.add_argument("--fleet", type=fleet_size, default=None, metavar="AGENTSxZONES",
                   help="serve AGENTS agents seeded with ZONES zones each, e.g. 20x100 (one URL per agent is printed; "
                        "with --port P they listen on P, P+1, ...)")
    s.add_argument("--fleet-file", help="write every agent's name, URL and admin key (and the Hyperweaver login) "
                                        "to this JSON file")
    s.add_argument("--hyperweaver-port", type=int, default=None,
                   help="also serve a Hyperweaver Server face in front of the agent(s) on this port (0 = a free one)")
    s.add_argument("--hyperweaver-empty", action="store_true",
                   help="start the Hyperweaver face with no agent registered (registering one mints a key, "
                        "which would end the agent's bootstrap)")
    s.add_argument("--boxvault", action="append", default=[], metavar="ORG/BOX@VERSION",
                   help="also serve a BoxVault registry holding this public box (repeatable) and make it the "
                        "agent's default template source")
    k = sub.add_parser("shims", help="write the fake illumos commands (zoneadm, zonecfg, zfs, ...) into DIR")
    k.add_argument("dir", help="directory to put first in PATH")
    k.add_argument("--url", required=True, help="URL of the running simulator, e.g. http://127.0.0.1:5001")
    k.add_argument("--cafile", help="CA certificate to trust when the simulator serves HTTPS (--tls)")
    k.add_argument("--python", default=sys.executable, help="interpreter for the shims' #! line (default: this one)")
    return p


def shims(args) -> int:
    from .commands import write_shims
    for path in write_shims(args.dir, args.url, python=args.python, cafile=args.cafile):
        print(path)
    return 0


def serve(args) -> int:
    if args.fleet is not None or args.hyperweaver_port is not None or args.fleet_file:
        from . import fleetcli
        return fleetcli.serve(args)
    sim = Simulator(generation=args.generation, state_dir=args.state_dir, tls=args.tls, timing=args.timing,
                    admin_key=args.admin_key, prefix_zone_names=not args.no_prefix_zone_names,
                    hostname=args.hostname, port=args.port, hardware=_hardware(args))
    if args.latency is not None:
        sim.knobs.latency = args.latency
    if args.error_rate is not None:
        sim.knobs.error_rate = args.error_rate
    registry = _boxvault(args.boxvault) if args.boxvault else None
    if registry is not None:
        sim.template_sources = [{"name": "boxvault", "url": registry.url, "enabled": True, "default": True}]
    done = threading.Event()

    def on_signal(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sim.start()
    if args.port_file:
        with open(args.port_file, "w") as fh:
            fh.write(f"{sim.port}\n")
    print(f"zoneweaver-sim: agent {sim.generation} listening on {sim.url}", flush=True)
    print(f"zoneweaver-sim: setup token in {sim.setup_token_path}"
          + (f"; CA certificate in {sim.ca_path}" if sim.ca_path else ""), file=sys.stderr, flush=True)
    if registry is not None:
        print(f"zoneweaver-sim: BoxVault listening on {registry.url}", flush=True)
    while not done.wait(0.5):
        pass
    sim.stop()
    if registry is not None:
        registry.stop()
    return 0


def _hardware(args):
    """{memory, cpus, pools} from --memory, --cpus and --pool-size (None when none is given)."""
    pools = {}
    for spec in args.pool_size:
        name, sep, size = spec.partition("=")
        if not sep or not name or not size:
            raise SystemExit(f"--pool-size {spec!r}: expected POOL=SIZE, e.g. rpool=2T")
        pools[name] = size
    hardware = {"memory": args.memory, "cpus": args.cpus, "pools": pools or None}
    return {k: v for k, v in hardware.items() if v is not None} or None


def _boxvault(specs):
    """A started BoxVault registry holding the public boxes ORG/BOX@VERSION."""
    from .boxvault import BoxVaultSimulator
    boxes = []
    for spec in specs:
        match = re.match(r"^([A-Za-z0-9.-]+)/([A-Za-z0-9.-]+)@([0-9A-Za-z][0-9A-Za-z._-]*)$", spec)
        if not match:
            raise SystemExit(f"--boxvault {spec!r}: expected ORG/BOX@VERSION, e.g. STARTcloud/debian13-server@2025.8.22")
        boxes.append({"org": match.group(1), "name": match.group(2), "version": match.group(3)})
    return BoxVaultSimulator(boxes=boxes).start()


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "shims":
        return shims(args)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
