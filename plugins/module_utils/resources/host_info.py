# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info: what placement needs to know about a host (read-only).

Natively, on the host the module runs on: zones from `zoneadm list -cp`, links
from `dladm show-link -p`, pools from `zpool list -H -p` (the collection's
parsers); the OS release from /etc/release and uname; memory and CPUs from the
kernel through sysconf and the load average, which need no command on illumos.

Through an agent (backend=agent, or auto with api_url/hyperweaver_url): the same
keys and shapes from the agent's monitoring and lists (agent/host.py says which
fields it cannot fill).
"""

from __future__ import annotations

import os

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import dladm as dladm_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zoneadm as zoneadm_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zpool as zpool_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import resolve_backend

SECTIONS = ("os", "zones", "links", "pools", "memory", "cpu")
POOL_FIELDS = ("name", "size", "allocated", "free", "capacity", "health")
RELEASE_FILE = "/etc/release"


def os_release(release_file=RELEASE_FILE, uname=os.uname):
    """{name, release, version, machine, release_text}: release_text is the first line of /etc/release
    (for example 'OmniOS v11 r151054b'), None where the file does not exist."""
    try:
        with open(release_file, encoding="utf-8", errors="replace") as handle:
            text = handle.readline().strip() or None
    except OSError:
        text = None
    info = uname()
    return {"name": info.sysname, "release": info.release, "version": info.version, "machine": info.machine,
            "release_text": text}


def memory(sysconf=os.sysconf):
    page = sysconf("SC_PAGE_SIZE")
    total, free = sysconf("SC_PHYS_PAGES"), sysconf("SC_AVPHYS_PAGES")
    return {"total_bytes": total * page, "free_bytes": free * page,
            "used_percent": round(100.0 * (total - free) / total, 1) if total else None}


def cpu(count=os.cpu_count, loadavg=os.getloadavg):
    cpus = count() or 0
    load = loadavg()
    return {"count": cpus, "load_1m": round(load[0], 2), "load_5m": round(load[1], 2), "load_15m": round(load[2], 2),
            "free": round(max(0.0, cpus - load[0]), 2)}


def run_agent(params, ctx, wanted):
    """The sections in `wanted` through the agent: one GET each, nothing else."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.host import HostAgentBackend
    backend = HostAgentBackend(AgentApi.for_module(params, ctx))
    readers = {"os": backend.os_release, "zones": backend.zones, "links": backend.links, "pools": backend.pools,
               "memory": backend.memory, "cpu": backend.cpu}
    result = {"changed": False}
    for section in SECTIONS:
        if section in wanted:
            result[section] = readers[section]()
    return result


def run(params, ctx):
    wanted = params.get("gather") or list(SECTIONS)
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        raise InputError("gather must be among %s, got %s" % (", ".join(SECTIONS), ", ".join(unknown)))
    if resolve_backend(params) == "agent":
        return run_agent(params, ctx, wanted)
    result = {"changed": False}
    runner = ctx.native_runner() if {"zones", "links", "pools"} & set(wanted) else None
    if "os" in wanted:
        result["os"] = os_release()
    if "zones" in wanted:
        zones = zoneadm_parser.parse_list(runner.read(["zoneadm", "list", "-cp"]).stdout)
        result["zones"] = [z for z in zones if z["name"] != "global"]
    if "links" in wanted:
        argv = ["dladm", "show-link", "-p", "-o", ",".join(f.upper() for f in dladm_parser.LINK_FIELDS)]
        result["links"] = dladm_parser.parse_show_link(runner.read(argv).stdout)
    if "pools" in wanted:
        answer = runner.read(["zpool", "list", "-H", "-p", "-o", ",".join(POOL_FIELDS)])
        result["pools"] = zpool_parser.parse_list(answer.stdout, fields=POOL_FIELDS)
    if "memory" in wanted:
        result["memory"] = memory()
    if "cpu" in wanted:
        result["cpu"] = cpu()
    return result
