"""`zoneweaver-sim serve --fleet AxZ` and `--hyperweaver-port N`: many agents, and/or
a Hyperweaver Server face in front of the served agent(s), in the foreground
until SIGTERM/SIGINT.

    zoneweaver-sim serve --fleet 20x100 --latency 0.05 --fleet-file fleet.json
    zoneweaver-sim serve --hyperweaver-port 3443 --admin-key hw_0123456789abcdef.secret
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading

from .fleet import Fleet
from .hyperweaver import HyperweaverSimulator
from .sim import Simulator

HYPERWEAVER_USER = "admin"
HYPERWEAVER_PASSWORD = "admin-password"


def fleet_size(value: str) -> tuple[int, int]:
    """'20x100' -> (20 agents, 100 zones each)."""
    match = re.match(r"^\s*(\d+)\s*[xX*]\s*(\d+)\s*$", value or "")
    if not match or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError("--fleet takes AGENTSxZONES, for example 20x100")
    return int(match.group(1)), int(match.group(2))


def _describe(agents: list, hyperweaver) -> dict:
    data = {"agents": [{"name": sim.hostname, "url": sim.url, "api_key": getattr(sim, "admin_key", None),
                        "generation": sim.generation, "zones": len(sim.state.machines), "ca_path": sim.ca_path}
                       for sim in agents]}
    if hyperweaver is not None:
        data["hyperweaver"] = {"url": hyperweaver.url, "username": HYPERWEAVER_USER,
                               "password": HYPERWEAVER_PASSWORD, "ca_path": hyperweaver.ca_path}
    return data


def serve(args) -> int:
    if args.fleet is not None and (args.state_dir or args.admin_key):
        print("zoneweaver-sim: --fleet makes its own state and keys; drop --state-dir/--admin-key", file=sys.stderr)
        return 2
    fleet = None
    if args.fleet is not None:
        count, zones = args.fleet
        fleet = Fleet(agents=count, zones=zones, latency=0.0, generation=args.generation, timing=args.timing,
                      tls=args.tls, base_port=args.port)
        agents = fleet.start().agents
    else:
        sim = Simulator(generation=args.generation, state_dir=args.state_dir, tls=args.tls, timing=args.timing,
                        admin_key=args.admin_key, prefix_zone_names=not args.no_prefix_zone_names,
                        hostname=args.hostname, port=args.port)
        if args.admin_key:
            sim.admin_key = args.admin_key
        agents = [sim.start()]
    for sim in agents:
        if args.latency is not None:
            sim.knobs.latency = args.latency
        if args.error_rate is not None:
            sim.knobs.error_rate = args.error_rate
    hyperweaver = None
    if args.hyperweaver_port is not None:
        registered = {} if getattr(args, "hyperweaver_empty", False) else {i + 1: sim for i, sim in enumerate(agents)}
        hyperweaver = HyperweaverSimulator(agents=registered, tls=args.tls,
                                           users={HYPERWEAVER_USER: {"password": HYPERWEAVER_PASSWORD,
                                                                     "role": "super-admin"}},
                                           port=args.hyperweaver_port).start()
    done = threading.Event()

    def on_signal(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        if args.port_file:
            with open(args.port_file, "w") as fh:
                fh.write(f"{agents[0].port}\n")
        if args.fleet_file:
            fd = os.open(args.fleet_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # it holds keys
            with os.fdopen(fd, "w") as fh:
                json.dump(_describe(agents, hyperweaver), fh, indent=2)
                fh.write("\n")
        for sim in agents:
            print(f"zoneweaver-sim: agent {sim.generation} {sim.hostname} listening on {sim.url}", flush=True)
        if hyperweaver is not None:
            print(f"zoneweaver-sim: hyperweaver listening on {hyperweaver.url}", flush=True)
            print(f"zoneweaver-sim: hyperweaver login {HYPERWEAVER_USER} / {HYPERWEAVER_PASSWORD}", file=sys.stderr,
                  flush=True)
        if fleet is None:
            print(f"zoneweaver-sim: setup token in {agents[0].setup_token_path}"
                  + (f"; CA certificate in {agents[0].ca_path}" if agents[0].ca_path else ""), file=sys.stderr,
                  flush=True)
        elif args.fleet_file:
            print(f"zoneweaver-sim: agents' URLs and admin keys in {args.fleet_file}", file=sys.stderr, flush=True)
        while not done.wait(0.5):
            pass
    finally:
        if hyperweaver is not None:
            hyperweaver.stop()
        if fleet is not None:
            fleet.stop()
        else:
            agents[0].stop()
    return 0
