# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the environment and reaper roles: where an environment's zones go, what each host
must hold for it, and which environments have outlived their lifetime.

An environment is a named set of zones. Its zones carry tags (letters, digits and ._:=@+-):
  zw-env=<name>      membership (the reaper and prune select on it)
  zw-owner=<owner>   who asked for it
  zw-expires=<UTC>   end of its lifetime, 2026-11-22T12:00:00Z (kept across re-runs)
Placement is sticky: a zone that exists stays on its host; a new zone goes to the host with the
most free memory that still fits it (free = capacity - what the host's zones take). The capacity
is declared, or read from the host (host_info: its CPUs and memory, less a reserve). Live free
memory is not used: it moves with the ZFS ARC, while the zones' allocations are what they hold.
When the host's pools are known (host_info), a new zone's disk must also fit the free space of the
pool its volumes go on (the environment's `pool`, else rpool, the agent's usual root pool), less
the disks this plan already put there; existing zones' volumes are in that pool's use already.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import ipf as ipf_render
from ansible_collections.zoneweaver.illumos.plugins.module_utils.values import TAG_RE, format_size, parse_size

ENV_TAG = "zw-env="
OWNER_TAG = "zw-owner="
EXPIRES_TAG = "zw-expires="
# A zone whose outgoing traffic is blocked carries this tag, so the plan knows to take the rules
# away again when the zone or its deny_outgoing goes (the agent cannot list ipf.conf rules).
DENY_TAG = "zw-deny-outgoing=true"
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
_LIFETIME_RE = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_LIFETIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DEFAULT_POOL = "rpool"


def _fail(msg):
    raise AnsibleFilterError("environment: " + msg)


def lifetime_seconds(value):
    """'8h', '30m', '2d', '1w' or a number of seconds -> seconds; None/'' -> None (no expiry)."""
    if value in (None, "", 0, "0"):
        return None
    match = _LIFETIME_RE.match(str(value))
    if not match:
        _fail("lifetime must be a number with an optional unit s, m, h, d or w (such as 8h), got %r" % (value,))
    return int(match.group(1)) * _LIFETIME_UNITS[match.group(2)]


def format_time(epoch):
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).strftime(_TIME_FORMAT)


def parse_time(text):
    try:
        stamp = datetime.datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None
    return int(stamp.timestamp())


def _tag_value(tags, prefix):
    for tag in tags or ():
        if isinstance(tag, str) and tag.startswith(prefix):
            return tag[len(prefix):]
    return None


def _short_name(zone_name):
    """'0003--web.demo.example.com' -> 'web'."""
    return zone_name.split("--", 1)[-1].split(".", 1)[0]


def _size(value, what):
    try:
        return parse_size(value, what)
    except InputError as exc:
        _fail(str(exc))


def _mac(prefix, name):
    digest = hashlib.md5(("%s/0" % name).encode("utf-8")).hexdigest()
    return "%s:%s:%s:%s" % (prefix, digest[0:2], digest[2:4], digest[4:6])


def _check_spec(env):
    name = env.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        _fail("name must be 1 to 32 lower-case letters, digits and '-', got %r" % (name,))
    owner = env.get("owner")
    if owner and not TAG_RE.match(OWNER_TAG + str(owner)):
        _fail("owner %r may hold only letters, digits and ._:=@+-" % (owner,))
    seen = set()
    for zone in env.get("zones") or ():
        short = zone.get("name") if isinstance(zone, dict) else None
        if not isinstance(short, str) or not NAME_RE.match(short):
            _fail("each zone needs a name of lower-case letters, digits and '-', got %r" % (short,))
        if short in seen:
            _fail("zone %r is listed twice in environment %s" % (short, name))
        seen.add(short)


def deny_outgoing_rules(address):
    """The ipf.conf rules that stop a zone at `address` from opening connections through the host:
    it may still renew its DHCP lease and answer connections made to it (state kept for them).
    A zone's packets reach the host's stack `in` on the host's link to the zone network and leave
    towards it `out` [mem: not checked on a live host], hence the directions."""
    specs = ({"action": "pass", "direction": "in", "quick": True, "protocol": "udp", "source": address,
              "port": 67, "keep_state": True},
             {"action": "pass", "direction": "out", "quick": True, "destination": address, "keep_state": True},
             {"action": "block", "direction": "in", "quick": True, "source": address})
    return [ipf_render.render_rule(ipf_render.check_spec(spec)) for spec in specs]


def _pool_free(host, pool, explicit):
    """Free bytes of `pool` on the host; None when unknown (no pools read, or the default pool is not
    there: the agent then uses another root pool, which nothing here can name); 0 when the
    environment names a pool the host does not have."""
    pools = host.get("pools")
    if not isinstance(pools, list):
        return None
    for entry in pools:
        if isinstance(entry, dict) and entry.get("name") == pool:
            try:
                return max(0, int(entry.get("free")))
            except (TypeError, ValueError):
                return None
    return 0 if explicit else None


def _host_rows(hosts, need_capacity, pool=None):
    rows = []
    for host in hosts:
        capacity = host.get("capacity") or {}
        if need_capacity and ("vcpus" not in capacity or "ram" not in capacity):
            _fail("host %s has no capacity to place zones by; set zoneweaver_capacity: {vcpus: 32, ram: 128G} for it"
                  % host.get("host"))
        rows.append({
            "host": host["host"],
            "vcpus": int(capacity.get("vcpus", 0)),
            "ram": _size(capacity.get("ram", 0), "capacity ram of %s" % host["host"]),
            "zones": list(host.get("zones") or ()),
            "dhcp_hosts": list(host.get("dhcp_hosts") or ()),
            "nat_rules": list(host.get("nat_rules") or ()),
            "free_disk": _pool_free(host, pool or DEFAULT_POOL, bool(pool)),
        })
    return rows


def _zone_need(zone, defaults):
    vcpus = zone.get("vcpus", defaults.get("vcpus", 1))
    ram = zone.get("ram", defaults.get("ram", "1G"))
    return int(vcpus if not isinstance(vcpus, dict) else vcpus.get("sockets", 1) * vcpus.get("cores", 1)
               * vcpus.get("threads", 1)), _size(ram, "ram of zone %s" % zone["name"])


def _zone_disk(zone, defaults):
    """Bytes the zone's boot disk asks for; None when it names no size (a template's own size)."""
    disk = zone.get("disk", defaults.get("disk"))
    return _size(disk, "disk of zone %s" % zone["name"]) if disk else None


def _human(size):
    """A size for people: exact where it is ('10G'), else one decimal of the largest unit ('931.3G')."""
    exact = format_size(size)
    if size < 1024 or (not exact.isdigit() and int(exact[:-1]) < 1024):
        return exact
    units = "KMGTPE"
    index = min(len(units), (len(bin(size)) - 3) // 10)
    return "%.1f%s" % (size / 1024.0 ** index, units[index - 1])


def _free_text(row, pool, with_disk):
    text = "%s %d vCPU %s" % (row["host"], row["free_vcpus"], format_size(max(row["free_ram"], 0)))
    if with_disk and row["free_disk"] is not None:
        text += " %s %s" % (pool, _human(row["free_disk"]))
    return text


def _used(zone_row):
    vcpus = zone_row.get("vcpus") or 0
    if isinstance(vcpus, dict):
        vcpus = vcpus.get("sockets", 1) * vcpus.get("cores", 1) * vcpus.get("threads", 1)
    try:
        ram = parse_size(zone_row.get("ram") or 0)
    except InputError:
        ram = 0
    return int(vcpus), ram


def _free_ips(ip_range, taken):
    start, end = (ipaddress.IPv4Address(a) for a in ip_range)
    address = start
    while address <= end:
        if str(address) not in taken:
            yield str(address)
        address += 1


def environment_plan(env, hosts, now, defaults=None):
    """What every host must hold for environment `env`.

    env: {name, owner, ssh_keys, lifetime, renew, domain, prefix_zone_names, link, uplink, ip_range,
          mac_prefix, pool (of the zones' volumes; empty: the agent's default), zones: [{name, vcpus, ram, disk, image, image_version, expose: [address]}]}
         (`zones` empty or state absent: the environment is removed everywhere)
    hosts: [{host, capacity: {vcpus, ram}, zones: zone_info rows, dhcp_hosts: [{hostname, ip}],
             nat_rules: nat rules as network_info returns them,
             pools: host_info pools [{name, free}] (optional: without them no disk is checked)}]
    now: the current time, seconds since the epoch.
    """
    defaults = dict(defaults or {})
    _check_spec(env)
    name = env["name"]
    env_tag = ENV_TAG + name
    removing = env.get("state", "present") == "absent"
    wanted = [] if removing else list(env.get("zones") or ())
    pool = env.get("pool") or None
    rows = _host_rows(hosts, bool(wanted), pool)
    if not rows:
        _fail("no hosts to place environment %s on" % name)
    domain = env.get("domain") or "zones.local"
    prefix = env.get("prefix_zone_names", True)
    link = env.get("link") or "zwstub0"
    uplink = env.get("uplink") or "igb0"
    mac_prefix = env.get("mac_prefix") or "02:08:20"
    ip_range = env.get("ip_range") or ["10.190.190.20", "10.190.190.99"]

    # what exists: this environment's zones (sticky) and everything else on each host
    existing = {}
    expires = None
    for row in rows:
        row["free_vcpus"], row["free_ram"] = row["vcpus"], row["ram"]
        row["plan"] = []
        for zone in row["zones"]:
            if env_tag in (zone.get("tags") or ()):
                existing[_short_name(zone["name"])] = (row, zone)
                stamp = _tag_value(zone.get("tags"), EXPIRES_TAG)
                expires = expires or stamp
            else:
                vcpus, ram = _used(zone)
                row["free_vcpus"] -= vcpus
                row["free_ram"] -= ram
    lifetime = lifetime_seconds(env.get("lifetime"))
    if lifetime is None:
        expires = None
    elif expires is None or env.get("renew"):
        expires = format_time(int(now) + lifetime)

    placement = {}
    for zone in wanted:          # existing zones keep their host
        if zone["name"] in existing:
            row = existing[zone["name"]][0]
            placement[zone["name"]] = row
            vcpus, ram = _zone_need(zone, defaults)
            row["free_vcpus"] -= vcpus
            row["free_ram"] -= ram
    new = [z for z in wanted if z["name"] not in existing]
    for zone in sorted(new, key=lambda z: (-_zone_need(z, defaults)[1], z["name"])):
        vcpus, ram = _zone_need(zone, defaults)
        disk = _zone_disk(zone, defaults)
        fits = [r for r in rows if r["free_ram"] >= ram and r["free_vcpus"] >= vcpus
                and (disk is None or r["free_disk"] is None or r["free_disk"] >= disk)]
        if not fits:
            with_disk = disk is not None and any(r["free_disk"] is not None for r in rows)
            _fail("zone %s of environment %s (%d vCPU, %s%s) fits on no host; free: %s" % (
                zone["name"], name, vcpus, format_size(ram), ", %s disk" % format_size(disk) if with_disk else "",
                ", ".join(_free_text(r, pool or DEFAULT_POOL, with_disk) for r in rows)))
        row = max(fits, key=lambda r: (r["free_ram"], r["free_vcpus"], -rows.index(r)))
        placement[zone["name"]] = row
        row["free_vcpus"] -= vcpus
        row["free_ram"] -= ram
        if disk is not None and row["free_disk"] is not None:
            row["free_disk"] -= disk

    tags_common = [env_tag]
    if env.get("owner"):
        tags_common.append(OWNER_TAG + str(env["owner"]))
    if expires:
        tags_common.append(EXPIRES_TAG + expires)
    keys = list(env.get("ssh_keys") or ())
    out = {"name": name, "expires": expires, "tag": env_tag, "placement": {}, "hosts": {}}
    for row in rows:
        used_ids = set()
        for zone in row["zones"]:
            head = zone["name"].split("--", 1)[0] if "--" in zone["name"] else None
            if head and head.isdigit():
                used_ids.add(int(head))
        own_dhcp = {}
        taken_ips = set()
        for entry in row["dhcp_hosts"]:
            taken_ips.add(entry.get("ip"))
            own_dhcp[entry.get("hostname")] = entry.get("ip")
        free_ips = _free_ips(ip_range, taken_ips)
        zones, dhcp, expose, keep_ips, deny_rules = [], [], [], set(), []
        for zone in wanted:
            if placement[zone["name"]] is not row:
                continue
            dhcp_name = "%s-%s" % (zone["name"], name)
            if zone["name"] in existing:
                full = existing[zone["name"]][1]["name"]
            else:
                base = "%s.%s.%s" % (zone["name"], name, domain)
                if prefix:
                    server_id = next(i for i in range(1, 10000) if i not in used_ids)
                    used_ids.add(server_id)
                    full = "%04d--%s" % (server_id, base)
                else:
                    full = base
            ip = own_dhcp.get(dhcp_name)
            if ip is None:
                ip = next(free_ips, None)
                if ip is None:
                    _fail("no free address left in %s-%s on %s for zone %s"
                          % (ip_range[0], ip_range[1], row["host"], zone["name"]))
            keep_ips.add(ip)
            mac = zone.get("mac") or _mac(mac_prefix, full)
            deny = bool(zone.get("deny_outgoing", env.get("deny_outgoing", False)))
            spec = {"name": full, "state": "running",
                    "vcpus": _zone_need(zone, defaults)[0],
                    "ram": zone.get("ram", defaults.get("ram", "1G")),
                    "nics": [{"global_nic": link, "mac_address": mac}],
                    "tags": tags_common + ["zw-zone=" + zone["name"]] + ([DENY_TAG] if deny else [])
                    + list(zone.get("tags") or ())}
            image = zone.get("image", defaults.get("image"))
            disk = zone.get("disk", defaults.get("disk"))
            if image:
                spec["boot_disk"] = {"type": "template", "box": image,
                                     "box_version": zone.get("image_version", defaults.get("image_version", "latest"))}
                if disk:
                    spec["boot_disk"]["size"] = disk
            elif disk:
                spec["boot_disk"] = {"type": "blank", "size": disk}
            if pool and "boot_disk" in spec:
                spec["boot_disk"]["pool"] = pool
            if keys:
                spec["cloud_init"] = {"enabled": True, "sshkey": keys[0]}
            zones.append(spec)
            if deny:
                deny_rules += [{"zone": zone["name"], "rule": rule} for rule in deny_outgoing_rules(ip)]
            dhcp.append({"hostname": dhcp_name, "mac": mac, "ip": ip})
            for address in zone.get("expose") or ():
                expose.append({"uplink": uplink, "external": str(address).split("/", maxsplit=1)[0] + "/32", "target": ip + "/32"})
            out["placement"][zone["name"]] = {"host": row["host"], "name": full, "ip": ip}
        # this environment's leftovers on the host: zones (pruned by tag), DHCP entries, redirections
        suffix = "-" + name
        wanted_dhcp = {e["hostname"] for e in dhcp}
        old_here = {short for short, (r, z) in existing.items() if r is row}
        dhcp_remove = sorted(h for h in own_dhcp if h and h.endswith(suffix) and h[:-len(suffix)] in old_here
                             and h not in wanted_dhcp)
        old_ips = {own_dhcp[h] for h in own_dhcp if h and h.endswith(suffix) and h[:-len(suffix)] in old_here}
        wanted_rules = {(e["uplink"], e["external"], e["target"]) for e in expose}
        expose_remove = [{"uplink": r.get("bridge"), "external": r.get("subnet"), "target": r.get("target")}
                         for r in row["nat_rules"]
                         if r.get("type") == "rdr" and str(r.get("target", "")).split("/", maxsplit=1)[0] in old_ips | keep_ips
                         and (r.get("bridge"), r.get("subnet"), r.get("target")) not in wanted_rules]
        removed = sorted(z["name"] for short, (r, z) in existing.items()
                         if r is row and short not in {w["name"] for w in wanted})
        # rules of zones that had deny_outgoing (their tag says so) and are gone or no longer want it
        wanted_deny = {d["rule"] for d in deny_rules}
        deny_remove = []
        for short, (r, z) in sorted(existing.items()):
            address = own_dhcp.get("%s-%s" % (short, name))
            if r is row and DENY_TAG in (z.get("tags") or ()) and address:
                deny_remove += [{"zone": short, "rule": rule} for rule in deny_outgoing_rules(address)
                                if rule not in wanted_deny]
        out["hosts"][row["host"]] = {"zones": zones, "dhcp": dhcp, "expose": expose, "dhcp_remove": dhcp_remove,
                                     "expose_remove": expose_remove, "removed": removed,
                                     "deny_outgoing": deny_rules, "deny_outgoing_remove": deny_remove,
                                     "touched": bool(zones or removed or dhcp_remove or expose_remove
                                                     or deny_remove),
                                     "free": _free_view(row, pool or DEFAULT_POOL)}
    return out


def _free_view(row, pool):
    """What is left on the host after the plan: vCPUs and memory, and the pool's space when known."""
    free = {"vcpus": row["free_vcpus"], "ram": format_size(max(row["free_ram"], 0))}
    if row["free_disk"] is not None:
        free["disk"] = _human(max(row["free_disk"], 0))
        free["pool"] = pool
    return free


def environment_expired(zones_by_host, now):
    """Names of the environments whose zw-expires tag is in the past on any host, sorted.

    zones_by_host: {host: [zone_info rows]} (or a list of such rows)."""
    rows = zones_by_host.values() if isinstance(zones_by_host, dict) else [zones_by_host]
    expired = set()
    for zones in rows:
        for zone in zones or ():
            env = _tag_value(zone.get("tags"), ENV_TAG)
            stamp = parse_time(_tag_value(zone.get("tags"), EXPIRES_TAG))
            if env and stamp is not None and stamp <= int(now):
                expired.add(env)
    return sorted(expired)


class FilterModule(object):
    def filters(self):
        return {"environment_plan": environment_plan, "environment_expired": environment_expired}
