"""Network, part 1 (agent-api.md section 4): datalinks and IP configuration.

The host's truth is `state.links` (what `dladm show-link` would print),
`state.addresses`/`state.ip_interfaces` (ipadm) and `state.forwarding`
(routeadm).  The agent serves the VNIC, etherstub and VLAN lists (and their
details, and /monitoring/network/interfaces) from its monitoring DB, which a
collector refreshes every `host_monitoring.intervals.network_config` seconds.
The simulator keeps that DB in `state.netdb`: every change to a link queues a
copy of the link's row, due `knobs.list_lag` seconds after the change (0 =
applied at once); reads first apply what is due.  So an object created by a
completed task appears in the lists exactly list_lag seconds after the task
finished, and a deleted one disappears likewise: the worst case of the real
collector, deterministic for tests, and cheap (a row is copied once per
change, never per request).

Mutations are tasks (scope "system", category network_datalink /
network_ip); their executors are in EXECUTORS, merged by executors.py.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
import time
from datetime import datetime, timezone

from .server import Response, error
from .tasks import TaskFailure, add_line, queue_host_task, task_created
from .util import now_iso

LINK_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*[0-9]+$")
MAX_LINK_NAME = 31
ADDROBJ_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9_]*[0-9]+|lo0)/([a-zA-Z][a-zA-Z0-9]{0,31})$")
RANDOM_PREFIX = (0x2, 0x8, 0x20)     # dladm's default prefix for random VNIC MACs
VNIC_OVER = ("phys", "etherstub", "aggr")
VLAN_OVER = ("phys", "aggr")
ONLINE_STATES = ("ready", "running", "shutting_down")   # zoneadmd holds the zone's on-demand VNICs

# dladm show-linkprop of a VNIC: name -> (default, possible values; [] = free form)
VNIC_PROPS = {
    "mtu": ("1500", ["576-9000"]),
    "maxbw": (None, []),
    "priority": ("high", ["low", "medium", "high"]),
    "cpus": (None, []),
    "pool": (None, []),
    "protection": (None, ["mac-nospoof", "restricted", "ip-nospoof", "dhcp-nospoof"]),
    "allowed-ips": (None, []),
    "allowed-dhcp-cids": (None, []),
    "rxrings": (None, ["sw", "hw"]),
    "txrings": (None, ["sw", "hw"]),
    "learn_limit": ("1000", []),
    "learn_decay": ("200", []),
    "secondary-macs": (None, []),
    "zone": (None, []),
}
READONLY_PROPS = {"zone"}


# --------------------------------------------------------------------------- helpers


def valid_link_name(name) -> bool:
    return isinstance(name, str) and len(name) <= MAX_LINK_NAME and bool(LINK_NAME_RE.match(name))


def truthy(value) -> bool:
    """Query flags and loose JSON booleans: the agent compares with 'true'."""
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1", "yes"))


def body_of(req) -> dict:
    return req.body if isinstance(req.body, dict) else {}


def fmt_mac(octets) -> str:
    """illumos prints MACs without leading zeros: 2:8:20:a:b:c."""
    return ":".join(f"{o:x}" for o in octets)


def parse_mac(text) -> list[int] | None:
    if not isinstance(text, str):
        return None
    parts = re.split(r"[:-]", text.strip())
    if len(parts) != 6 or not all(re.match(r"^[0-9a-fA-F]{1,2}$", p) for p in parts):
        return None
    return [int(p, 16) for p in parts]


def _derived_mac(seed: str, prefix=RANDOM_PREFIX) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    prefix = list(prefix)
    return fmt_mac(prefix + list(digest[:6 - len(prefix)]))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _limit(req, default=100) -> int:
    try:
        n = int(req.q("limit") or default)
    except ValueError:
        n = default
    return n if n > 0 else default


def _vnics_over(st, name: str) -> list[str]:
    return sorted(n for n, link in st.links.items() if link["class"] == "vnic" and link.get("over") == name)


def _plumbed(st, name: str) -> bool:
    return name in st.ip_interfaces


# --------------------------------------------------------------------------- the monitoring DB


def link_row(sim, link: dict) -> dict:
    """One NetworkInterface row as the collector stores it (dladm's "--" for
    unset values, as the collector keeps them [guess: the OpenAPI example
    shows bridge "--"])."""
    cls = link["class"]
    return {"host": sim.hostname, "link": link["name"], "class": cls, "state": link.get("state") or "unknown",
            "zone": link.get("zone") or "--", "over": link.get("over") or "--", "speed": int(link.get("speed") or 0),
            "duplex": link.get("duplex") or "unknown", "mtu": int(link.get("mtu") or 1500),
            "vid": int(link.get("vid") or 0), "macaddress": link.get("mac") or "--",
            "macaddrtype": link.get("macaddrtype") or "--", "media": link.get("media") or "--",
            "device": link.get("device") or "--", "bridge": "--",
            "pause": "bi" if cls == "phys" else "--", "auto": "yes" if cls == "phys" else "--",
            "ptype": "current", "flags": "-----" if cls == "vlan" else "--"}


def _apply(st, entry) -> None:
    due, name, row = entry
    rows = st.netdb["rows"]
    if row is None:
        rows.pop(name, None)
        return
    old = rows.get(name)
    stamp = _iso(due)
    if old is None:
        st.netdb["next_id"] = st.netdb.get("next_id", 0) + 1
    new = {"id": old["id"] if old else st.netdb["next_id"], **row, "scan_timestamp": stamp,
           "created_at": old["created_at"] if old else stamp, "updated_at": stamp}
    rows[name] = new


def touch(sim, name: str) -> None:
    """A link changed on the host: the monitoring DB sees it list_lag seconds later."""
    st = sim.state
    link = st.links.get(name)
    row = link_row(sim, link) if link is not None else None
    due = time.time() + sim.knobs.list_lag
    pending = st.netdb.setdefault("pending", [])
    # a newer change supersedes queued ones that would land no earlier
    pending[:] = [e for e in pending if e[1] != name or e[0] < due]
    entry = [due, name, row]
    if sim.knobs.list_lag <= 0:
        _apply(st, entry)
    else:
        pending.append(entry)
    st.dirty = True


def flush(sim) -> None:
    """Apply the DB refreshes that are due (called by every DB read)."""
    st = sim.state
    pending = st.netdb.get("pending") or []
    if not pending:
        return
    now = time.time()
    due = [e for e in pending if e[0] <= now]
    if not due:
        return
    st.netdb["pending"] = [e for e in pending if e[0] > now]
    for entry in sorted(due, key=lambda e: e[0]):
        _apply(st, entry)
    st.dirty = True


def db_rows(sim, cls: str | None = None) -> list[dict]:
    flush(sim)
    rows = sorted(sim.state.netdb["rows"].values(), key=lambda r: r["link"])
    return [dict(r) for r in rows if cls is None or r["class"] == cls]


def live_rows(sim, cls: str | None = None) -> list[dict]:
    now = now_iso()
    out = []
    for name in sorted(sim.state.links):
        link = sim.state.links[name]
        if cls is None or link["class"] == cls:
            out.append({"id": None, **link_row(sim, link), "scan_timestamp": now, "created_at": link.get("created_at"),
                        "updated_at": now})
    return out


def init(sim) -> None:
    """A fresh host: the collector's first scan has seen every link."""
    st = sim.state
    if not st.netdb.get("rows") and not st.netdb.get("pending"):
        for name in sorted(st.links):
            _apply(st, [time.time(), name, link_row(sim, st.links[name])])


# --------------------------------------------------------------------------- zones' NICs


def zone_state_changed(sim, zone: str, state: str) -> None:
    """zoneadmd creates a zone's on-demand VNICs (net resources with a
    global-nic) when it readies the zone and deletes them at halt; a
    pre-created VNIC named by `physical` is lent to the zone while it runs."""
    st = sim.state
    hz = st.host_zones.get(zone)
    if hz is None:
        return
    online = state in ONLINE_STATES
    for net in hz["config"].get("net", []):
        name = net.get("physical")
        if not name:
            continue
        link = st.links.get(name)
        if net.get("global-nic"):
            if online and link is None:
                over = net["global-nic"]
                parent = st.links.get(over) or {}
                mac = parse_mac(net.get("mac-addr") or "")
                props = {}
                for p in net.get("property", []):
                    if p.get("name") in VNIC_PROPS:
                        props[p["name"]] = p.get("value")
                if net.get("allowed-address"):
                    props["allowed-ips"] = net["allowed-address"].split("/")[0]
                    props["protection"] = "mac-nospoof,ip-nospoof"
                st.links[name] = {
                    "name": name, "class": "vnic", "over": over, "mtu": parent.get("mtu", 1500),
                    "state": parent.get("state", "up"), "speed": parent.get("speed", 0),
                    "duplex": parent.get("duplex", "full"),
                    "mac": fmt_mac(mac) if mac else _derived_mac(f"{zone}/{name}"),
                    "macaddrtype": "fixed" if mac else "random", "vid": int(net.get("vlan-id") or 0),
                    "zone": zone, "temporary": True, "props": props, "on_demand": True, "created_at": now_iso()}
                touch(sim, name)
            elif not online and link is not None and link.get("on_demand") and link.get("zone") == zone:
                del st.links[name]
                touch(sim, name)
        elif link is not None and link["class"] == "vnic":
            want = zone if online else None
            if link.get("zone") != want:
                link["zone"] = want
                touch(sim, name)


# --------------------------------------------------------------------------- executors


def _out(t, *lines):
    for line in lines:
        add_line(t, line)


def _commands_begin(sim, t):
    _out(t, *t["_ctx"].get("commands", []))


def _noop(sim, t):
    pass


def _random_mac(ctx) -> str:
    prefix = RANDOM_PREFIX
    if ctx.get("mac_prefix"):
        prefix = tuple(int(p, 16) for p in re.split(r"[:-]", ctx["mac_prefix"]))
    return _derived_mac(f"{ctx['name']}/{time.time()}", prefix)


def create_vnic_finish(sim, t):
    st = sim.state
    c = t["_ctx"]
    name, over = c["name"], c["link"]
    if name in st.links:
        raise TaskFailure(f"dladm: create-vnic failed: object already exists ({name})")
    parent = st.links.get(over)
    if parent is None or parent["class"] not in VNIC_OVER:
        raise TaskFailure(f"dladm: invalid link name '{over}'")
    mode = c.get("mac_address") or "auto"
    if mode == "factory":
        if parent["class"] != "phys":
            raise TaskFailure(f"dladm: create-vnic failed: no factory MAC address available on '{over}'")
        base = parse_mac(parent["mac"])
        base[-1] = (base[-1] + int(c.get("slot") or 1)) % 256
        mac, mtype = fmt_mac(base), "factory"
    elif mode in ("auto", "random"):
        mac, mtype = _random_mac(c), "random"
    else:
        mac, mtype = fmt_mac(parse_mac(mode)), "fixed"
    props = dict(c.get("properties") or {})
    mtu = int(props.get("mtu") or parent.get("mtu", 1500))
    if mtu > int(parent.get("mtu", 1500)):
        raise TaskFailure(f"dladm: warning: cannot set link property 'mtu' on '{name}': value out of range")
    st.links[name] = {"name": name, "class": "vnic", "over": over, "mtu": mtu, "state": parent.get("state", "up"),
                      "speed": parent.get("speed", 0), "duplex": parent.get("duplex", "full") if parent["class"] == "phys"
                      else "unknown", "mac": mac, "macaddrtype": mtype, "vid": int(c.get("vlan_id") or 0),
                      "zone": None, "temporary": bool(c.get("temporary")),
                      "props": {k: str(v) for k, v in props.items() if k != "mtu"}, "created_at": now_iso()}
    touch(sim, name)
    _out(t, f"VNIC {name} created over {over} (mac {mac})")


def _delete_link(sim, t, name: str, cls: str, cmd: str) -> None:
    st = sim.state
    link = st.links.get(name)
    if link is None or link["class"] != cls:
        raise TaskFailure(f"dladm: invalid {'vnic' if cls == 'vnic' else cls} name '{name}': object not found")
    if link.get("zone"):
        raise TaskFailure(f"dladm: {cmd} failed: link busy ({name} is in use by zone {link['zone']})")
    if _plumbed(st, name):
        raise TaskFailure(f"dladm: {cmd} failed: link busy ({name} has an IP interface; ipadm delete-if {name} first)")
    del st.links[name]
    touch(sim, name)


def delete_vnic_finish(sim, t):
    _delete_link(sim, t, t["_ctx"]["name"], "vnic", "vnic deletion")
    _out(t, f"VNIC {t['_ctx']['name']} deleted")


def set_vnic_props_finish(sim, t):
    st = sim.state
    c = t["_ctx"]
    link = st.links.get(c["name"])
    if link is None or link["class"] != "vnic":
        raise TaskFailure(f"dladm: invalid vnic name '{c['name']}': object not found")
    parent = st.links.get(link.get("over")) or {}
    for key, value in c["properties"].items():
        if key == "mtu":
            if int(value) > int(parent.get("mtu", 1500)):
                raise TaskFailure(f"dladm: warning: cannot set link property 'mtu' on '{c['name']}': value out of range")
            link["mtu"] = int(value)
        elif value in (None, ""):
            link["props"].pop(key, None)       # dladm reset-linkprop
        else:
            link["props"][key] = str(value)
    touch(sim, c["name"])


def create_etherstub_finish(sim, t):
    st = sim.state
    name = t["_ctx"]["name"]
    if name in st.links:
        raise TaskFailure(f"dladm: create-etherstub failed: object already exists ({name})")
    st.links[name] = {"name": name, "class": "etherstub", "over": None, "mtu": 9000, "state": "unknown", "speed": 0,
                      "duplex": "unknown", "mac": _derived_mac(f"etherstub/{name}"), "macaddrtype": "random", "vid": 0,
                      "zone": None, "temporary": bool(t["_ctx"].get("temporary")), "props": {}, "created_at": now_iso()}
    touch(sim, name)


def delete_etherstub_finish(sim, t):
    st = sim.state
    c = t["_ctx"]
    name = c["name"]
    if name not in st.links or st.links[name]["class"] != "etherstub":
        raise TaskFailure(f"dladm: invalid etherstub name '{name}': object not found")
    vnics = _vnics_over(st, name)
    if vnics and not c.get("force"):
        raise TaskFailure(f"dladm: etherstub deletion failed: link busy (VNICs on {name}: {', '.join(vnics)})")
    for vnic in vnics:
        _out(t, f"dladm delete-vnic {vnic}")
        _delete_link(sim, t, vnic, "vnic", "vnic deletion")
    del st.links[name]
    touch(sim, name)
    _out(t, f"Etherstub {name} deleted")


def create_vlan_finish(sim, t):
    st = sim.state
    c = t["_ctx"]
    name, over, vid = c["name"], c["link"], int(c["vid"])
    if name in st.links:
        raise TaskFailure(f"dladm: create-vlan failed: object already exists ({name})")
    parent = st.links.get(over)
    if parent is None or parent["class"] not in VLAN_OVER:
        raise TaskFailure(f"dladm: invalid link name '{over}'")
    for link in st.links.values():
        if link["class"] == "vlan" and link.get("over") == over and int(link.get("vid") or 0) == vid:
            raise TaskFailure(f"dladm: create-vlan failed: VLAN {vid} over {over} already exists ({link['name']})")
    st.links[name] = {"name": name, "class": "vlan", "over": over, "mtu": parent.get("mtu", 1500),
                      "state": parent.get("state", "up"), "speed": parent.get("speed", 0),
                      "duplex": parent.get("duplex", "full"), "mac": parent.get("mac"), "macaddrtype": "fixed",
                      "vid": vid, "zone": None, "temporary": bool(c.get("temporary")), "props": {},
                      "created_at": now_iso()}
    touch(sim, name)


def delete_vlan_finish(sim, t):
    _delete_link(sim, t, t["_ctx"]["name"], "vlan", "VLAN deletion")


# ---- IP addresses


def _dhcp_address(seed: str) -> str:
    n = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return f"192.168.10.{100 + n % 100}/24"


def create_addr_finish(sim, t):
    st = sim.state
    c = t["_ctx"]
    ifname, addrobj = c["interface"], c["addrobj"]
    if ifname != "lo0" and (ifname not in st.links or st.links[ifname]["class"] == "etherstub"):
        raise TaskFailure(f"ipadm: cannot create address: Interface {ifname} does not exist")
    if addrobj in st.addresses:
        raise TaskFailure(f"ipadm: cannot create address: Address object already exists ({addrobj})")
    if c["type"] == "static":
        addr = c["address"]
        ip = addr.split("/")[0]
        for other in st.addresses.values():
            if other["addr"].split("/")[0] == ip:
                raise TaskFailure(f"ipadm: cannot create address: Duplicate address detected ({ip} on {other['addrobj']})")
    elif c["type"] == "dhcp":
        addr = _dhcp_address(addrobj)
    else:
        mac = parse_mac((st.links.get(ifname) or {}).get("mac") or "") or [2, 8, 32, 0, 0, 1]
        eui = [mac[0] ^ 2, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]]
        addr = "fe80::" + ":".join(f"{(eui[i] << 8) | eui[i + 1]:x}" for i in range(0, 8, 2)) + "/10"
    if not _plumbed(st, ifname):
        st.ip_interfaces[ifname] = {"forwarding": {"current": "off", "persistent": "--"}}
    now = now_iso()
    st.addresses[addrobj] = {"addrobj": addrobj, "interface": ifname, "type": c["type"],
                             "state": "down" if c.get("down") else "ok", "addr": addr,
                             "id": st.next_id("address"), "created_at": now, "updated_at": now}
    st.dirty = True
    _out(t, f"{addrobj} {c['type']} {addr}")


def delete_addr_finish(sim, t):
    st = sim.state
    addrobj = t["_ctx"]["addrobj"]
    if addrobj not in st.addresses:
        raise TaskFailure(f"ipadm: cannot delete address: Object not found ({addrobj})")
    del st.addresses[addrobj]
    # The agent then runs `ipadm show-addr <if>` and, when nothing is left on the
    # interface, `ipadm delete-if <if>` (its executeDeleteIPAddressTask), which is
    # what lets the VNIC underneath be deleted afterwards.
    ifname = addrobj.split("/", 1)[0]
    if ifname not in ("lo0",) and not any(a.split("/", 1)[0] == ifname for a in st.addresses):
        st.ip_interfaces.pop(ifname, None)
    st.dirty = True


def _addr_state(sim, t, state: str, verb: str):
    st = sim.state
    addrobj = t["_ctx"]["addrobj"]
    row = st.addresses.get(addrobj)
    if row is None:
        raise TaskFailure(f"ipadm: cannot {verb} address: Object not found ({addrobj})")
    row["state"] = state
    row["updated_at"] = now_iso()
    st.dirty = True


def enable_addr_finish(sim, t):
    _addr_state(sim, t, "ok", "enable")


def disable_addr_finish(sim, t):
    _addr_state(sim, t, "disabled", "disable")


def forwarding_finish(sim, t):
    st = sim.state
    c = t["_ctx"]
    for ifname in c.get("interfaces") or []:
        if ifname not in st.ip_interfaces:
            raise TaskFailure(f"ipadm: cannot set property 'forwarding' on '{ifname}': Interface does not exist")
    if c.get("enabled") is not None:
        word = "enabled" if c["enabled"] else "disabled"
        st.forwarding["ipv4"] = {"current": word, "persistent": word}
    value = "off" if c.get("enabled") is False else "on"
    for ifname in c.get("interfaces") or []:
        st.ip_interfaces[ifname]["forwarding"] = {"current": value, "persistent": value}
    st.dirty = True


EXECUTORS = {
    "create_vnic": (_commands_begin, create_vnic_finish, _noop),
    "delete_vnic": (_commands_begin, delete_vnic_finish, _noop),
    "set_vnic_properties": (_commands_begin, set_vnic_props_finish, _noop),
    "create_etherstub": (_commands_begin, create_etherstub_finish, _noop),
    "delete_etherstub": (_commands_begin, delete_etherstub_finish, _noop),
    "create_vlan": (_commands_begin, create_vlan_finish, _noop),
    "delete_vlan": (_commands_begin, delete_vlan_finish, _noop),
    "create_ip_address": (_commands_begin, create_addr_finish, _noop),
    "delete_ip_address": (_commands_begin, delete_addr_finish, _noop),
    "enable_ip_address": (_commands_begin, enable_addr_finish, _noop),
    "disable_ip_address": (_commands_begin, disable_addr_finish, _noop),
    "configure_forwarding": (_commands_begin, forwarding_finish, _noop),
}


# --------------------------------------------------------------------------- views


def address_row(sim, a: dict, stamp: str) -> dict:
    ip, _sep, prefix = a["addr"].partition("/")
    version = "v6" if ":" in ip else "v4"
    return {"id": a["id"], "host": sim.hostname, "addrobj": a["addrobj"], "interface": a["interface"],
            "type": a["type"], "state": a["state"], "addr": a["addr"], "ip_address": ip,
            "prefix_length": int(prefix or (128 if version == "v6" else 32)), "ip_version": version,
            "scan_timestamp": stamp, "created_at": a["created_at"], "updated_at": a["updated_at"]}


def routeadm_text(st) -> str:
    """`routeadm -p` (one line per option; variable lines end with a space)."""
    v4, v6 = st.forwarding["ipv4"], st.forwarding["ipv6"]
    lines = [f"ipv4-forwarding persistent={v4['persistent']} default=disabled current={v4['current']}",
             "ipv4-routing persistent=default default=enabled current=disabled",
             f"ipv6-forwarding persistent={v6['persistent']} default=disabled current={v6['current']}",
             "ipv6-routing persistent=default default=disabled current=disabled",
             'ipv4-routing-daemon persistent="" default="/usr/sbin/in.routed" ',
             'ipv4-routing-daemon-args persistent="" default="" ',
             'ipv4-routing-stop-cmd persistent="" default="kill -TERM `cat /var/tmp/in.routed.pid`" ',
             'ipv6-routing-daemon persistent="" default="/usr/lib/inet/in.ripngd" ',
             'ipv6-routing-daemon-args persistent="" default="-s" ',
             'ipv6-routing-stop-cmd persistent="" default="kill -TERM `cat /var/tmp/in.ripngd.pid`" ',
             'routing-svcs persistent="route:default ripng:default" default="route:default ripng:default" ']
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- routes


class Network:
    def __init__(self, sim):
        self.sim = sim
        self.st = sim.state

    # ---- shared
    def _link_or_400(self, name, allowed, what):
        link = self.st.links.get(name) if isinstance(name, str) else None
        if link is None:
            raise error(400, f"Link {name} not found", details=f"dladm: invalid link name '{name}'")
        if link["class"] not in allowed:
            raise error(400, f"Link {name} is a {link['class']}; {what} can only be created over: {', '.join(allowed)}")
        return link

    def _name_free_or_400(self, name, kind_noun, cls):
        link = self.st.links.get(name)
        if link is not None:
            if link["class"] == cls:
                raise error(400, f"{kind_noun} {name} already exists")
            raise error(400, f"Datalink {name} already exists (class {link['class']})")

    def _rows(self, req, cls):
        if truthy(req.q("live")):
            return live_rows(self.sim, cls), "live"
        return db_rows(self.sim, cls), "database"

    # ---- links
    def interfaces(self, req):
        rows = db_rows(self.sim)
        if req.q("host"):
            rows = [r for r in rows if r["host"] == req.q("host")]
        if req.q("state"):
            rows = [r for r in rows if r["state"] == req.q("state")]
        if req.q("link"):
            rows = [r for r in rows if r["link"] == req.q("link")]
        limit = _limit(req)
        try:
            offset = max(0, int(req.q("offset") or 0))
        except ValueError:
            offset = 0
        page = rows[offset:offset + limit]
        return Response(200, {"interfaces": page, "totalCount": len(rows),
                              "pagination": {"limit": limit, "offset": offset, "hasMore": offset + limit < len(rows)}})

    def bridged_interfaces(self, req):
        rows = []
        members = sorted({m for link in self.st.links.values() if link["class"] == "aggr" for m in link.get("members", [])})
        for name in sorted(self.st.links):
            link = self.st.links[name]
            if link["class"] not in ("phys", "aggr", "etherstub", "simnet", "overlay") or name in members:
                continue
            rows.append({"name": name, "class": link["class"], "state": link.get("state") or "unknown",
                         "status": "up" if link.get("state") == "up" else "down", "wireless": False,
                         "provisioning": name == "zwestub_0"})
        return Response(200, {"interfaces": rows, "excluded_aggr_members": members, "total": len(rows)})

    # ---- VNICs
    def vnic_list(self, req):
        rows, source = self._rows(req, "vnic")
        for key in ("over", "zone", "state"):
            if req.q(key):
                rows = [r for r in rows if r[key] == req.q(key)]
        rows = rows[:_limit(req)]
        return Response(200, {"vnics": rows, "source": source, "returned": len(rows)})

    def vnic_detail(self, req):
        name = req.params["vnic"]
        rows = [r for r in db_rows(self.sim, "vnic") if r["link"] == name]
        if not rows:
            raise error(404, f"VNIC {name} not found")
        return Response(200, rows[0])

    def vnic_create(self, req):
        body = body_of(req)
        name, over = body.get("name"), body.get("link")
        if not name or not over:
            raise error(400, "name and link are required")
        if not valid_link_name(name):
            raise error(400, f"Invalid VNIC name: {name}. Must start with a letter, contain only letters, digits "
                             "and underscores, end with a digit, and be at most 31 characters")
        self._name_free_or_400(name, "VNIC", "vnic")
        self._link_or_400(over, VNIC_OVER, "VNICs")
        vid = body.get("vlan_id")
        if vid not in (None, ""):
            if isinstance(vid, bool) or not str(vid).isdigit() or not 1 <= int(vid) <= 4094:
                raise error(400, "vlan_id must be an integer between 1 and 4094")
            vid = int(vid)
        else:
            vid = None
        mac = body.get("mac_address") or "auto"
        if mac not in ("auto", "random", "factory") and parse_mac(mac) is None:
            raise error(400, f"Invalid mac_address: {mac}. Use auto, random, factory or a MAC address")
        prefix = body.get("mac_prefix")
        if prefix is not None:
            parts = re.split(r"[:-]", str(prefix))
            if mac != "random" or not 1 <= len(parts) <= 5 or not all(re.match(r"^[0-9a-fA-F]{1,2}$", p) for p in parts):
                raise error(400, "mac_prefix must be 1-5 hex octets and requires mac_address=random")
        slot = body.get("slot")
        if slot is not None and (mac != "factory" or isinstance(slot, bool) or not str(slot).isdigit()):
            raise error(400, "slot must be an integer and requires mac_address=factory")
        props = self._check_props(body.get("properties"), required=False)
        temporary = truthy(body.get("temporary"))
        cmd = ["dladm create-vnic"] + (["-t"] if temporary else []) + [f"-l {over}"]
        if mac == "random":
            cmd.append("-m random" + (f" -r {prefix}" if prefix else ""))
        elif mac == "factory":
            cmd.append("-m factory" + (f" -n {slot}" if slot is not None else ""))
        elif mac != "auto":
            cmd.append(f"-m {fmt_mac(parse_mac(mac))}")
        if vid:
            cmd.append(f"-v {vid}")
        if props:
            cmd.append("-p " + ",".join(f"{k}={v}" for k, v in props.items()))
        cmd.append(name)
        ctx = {"name": name, "link": over, "mac_address": mac, "mac_prefix": prefix, "slot": slot, "vlan_id": vid,
               "temporary": temporary, "properties": props, "commands": [" ".join(cmd)]}
        t = queue_host_task(self.sim, req, "create_vnic", metadata={k: v for k, v in ctx.items() if k != "commands"},
                            ctx=ctx)
        return task_created(t, f"VNIC creation task created for {name}", vnic_name=name, underlying_link=over)

    def _live_vnic_or_404(self, name):
        link = self.st.links.get(name)
        if link is None or link["class"] != "vnic":
            raise error(404, f"VNIC {name} not found")
        return link

    def vnic_delete(self, req):
        name = req.params["vnic"]
        self._live_vnic_or_404(name)
        temporary = truthy(req.q("temporary"))
        ctx = {"name": name, "temporary": temporary,
               "commands": [f"dladm delete-vnic {'-t ' if temporary else ''}{name}"]}
        t = queue_host_task(self.sim, req, "delete_vnic", metadata={"vnic": name, "temporary": temporary}, ctx=ctx)
        return task_created(t, f"VNIC deletion task created for {name}", vnic_name=name, temporary=temporary)

    def vnic_stats(self, req):
        name = req.params["vnic"]
        self._live_vnic_or_404(name)
        seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
        stats = {"link": name} if self.sim.dialect.is_a else {}
        stats.update(ipackets=seed % 100000, rbytes=(seed % 100000) * 612, ierrors=0, opackets=seed % 70000,
                     obytes=(seed % 70000) * 498, oerrors=0)
        return Response(200, {"vnic": name, "statistics": stats, "timestamp": now_iso()})

    def _prop_rows(self, link, names=None):
        parent = self.st.links.get(link.get("over")) or {}
        rows = []
        for prop, (default, possible) in VNIC_PROPS.items():
            if names and prop not in names:
                continue
            if prop == "mtu":
                value, possible = str(link.get("mtu", 1500)), [f"576-{parent.get('mtu', 1500)}"]
            elif prop == "zone":
                value = link.get("zone")
            else:
                value = link["props"].get(prop, default)
            rows.append({"property": prop, "value": value, "default": default, "possible": list(possible)})
        return rows

    def vnic_props_get(self, req):
        name = req.params["vnic"]
        link = self._live_vnic_or_404(name)
        names = [n.strip() for n in str(req.q("property") or "").split(",") if n.strip()]
        rows = self._prop_rows(link, names)
        if self.sim.dialect.is_a:
            return Response(200, {"vnic": name, "properties": rows, "timestamp": now_iso()})
        # 0.2 passes dladm show-linkprop's fields through: "--" for unset, POSSIBLE as one string
        rows = [{"property": r["property"], "value": r["value"] if r["value"] is not None else "--",
                 "default": r["default"] if r["default"] is not None else "--",
                 "possible": ",".join(r["possible"]) or "--"} for r in rows]
        return Response(200, {"vnic": name, "properties": rows})

    def _check_props(self, props, required: bool) -> dict:
        if props is None and not required:
            return {}
        if not isinstance(props, dict) or (required and not props):
            raise error(400, "properties must be a non-empty object" if required else "properties must be an object")
        out = {}
        for key, value in props.items():
            if key not in VNIC_PROPS or key in READONLY_PROPS:
                raise error(400, f"Invalid property: {key}", details=f"dladm: warning: invalid link property '{key}'")
            value = "" if value is None else str(value)
            possible = VNIC_PROPS[key][1]
            if key == "mtu":
                if not value.isdigit() or not 576 <= int(value) <= 9000:
                    raise error(400, f"Invalid value for mtu: {value} (576-9000)")
            elif key == "protection" and value:
                bad = [v for v in value.split(",") if v not in possible]
                if bad:
                    raise error(400, f"Invalid value for protection: {value} (one or more of {', '.join(possible)})")
            elif possible and value and value not in possible:
                raise error(400, f"Invalid value for {key}: {value} (one of {', '.join(possible)})")
            out[key] = value
        return out

    def vnic_props_put(self, req):
        name = req.params["vnic"]
        body = body_of(req)
        self._live_vnic_or_404(name)
        props = self._check_props(body.get("properties"), required=True)
        temporary = truthy(body.get("temporary"))
        cmds = [(f"dladm reset-linkprop {'-t ' if temporary else ''}-p {k} {name}" if v == "" else
                 f"dladm set-linkprop {'-t ' if temporary else ''}-p {k}={v} {name}") for k, v in props.items()]
        t = queue_host_task(self.sim, req, "set_vnic_properties",
                            metadata={"vnic": name, "properties": props, "temporary": temporary},
                            ctx={"name": name, "properties": props, "commands": cmds})
        return task_created(t, f"VNIC property update task created for {name}", vnic_name=name, properties=props,
                            temporary=temporary)

    # ---- etherstubs
    def etherstub_list(self, req):
        rows, source = self._rows(req, "etherstub")
        if req.q("name"):
            rows = [r for r in rows if r["link"] == req.q("name")]
        rows = rows[:_limit(req)]
        count = "returned" if self.sim.dialect.is_a else "total"    # the 0.2 spec names the count `total`
        return Response(200, {"etherstubs": rows, "source": source, count: len(rows)})

    def etherstub_detail(self, req):
        name = req.params["etherstub"]
        rows = [r for r in db_rows(self.sim, "etherstub") if r["link"] == name]
        if not rows:
            raise error(404, f"Etherstub {name} not found")
        return Response(200, rows[0])

    def etherstub_create(self, req):
        body = body_of(req)
        name = body.get("name")
        if not name:
            raise error(400, "name is required")
        if not valid_link_name(name):
            raise error(400, f"Invalid etherstub name: {name}. Must start with a letter, contain only letters, "
                             "digits and underscores, end with a digit, and be at most 31 characters")
        self._name_free_or_400(name, "Etherstub", "etherstub")
        temporary = truthy(body.get("temporary"))
        t = queue_host_task(self.sim, req, "create_etherstub", metadata={"name": name, "temporary": temporary},
                            ctx={"name": name, "temporary": temporary,
                                 "commands": [f"dladm create-etherstub {'-t ' if temporary else ''}{name}"]})
        return task_created(t, f"Etherstub creation task created for {name}", etherstub_name=name, temporary=temporary)

    def etherstub_delete(self, req):
        name = req.params["etherstub"]
        link = self.st.links.get(name)
        if link is None or link["class"] != "etherstub":
            raise error(404, f"Etherstub {name} not found")
        temporary, force = truthy(req.q("temporary")), truthy(req.q("force"))
        vnics = _vnics_over(self.st, name)
        if vnics and not force:
            raise error(400, "VNICs still exist on the etherstub (delete them first or pass force=true)",
                        details=f"{name} carries: {', '.join(vnics)}")
        t = queue_host_task(self.sim, req, "delete_etherstub",
                            metadata={"etherstub": name, "temporary": temporary, "force": force},
                            ctx={"name": name, "force": force, "temporary": temporary,
                                 "commands": [f"dladm delete-etherstub {'-t ' if temporary else ''}{name}"]})
        return task_created(t, f"Etherstub deletion task created for {name}", etherstub_name=name,
                            temporary=temporary, force=force)

    # ---- VLANs
    def vlan_list(self, req):
        rows, source = self._rows(req, "vlan")
        if req.q("vid"):
            rows = [r for r in rows if str(r["vid"]) == str(req.q("vid"))]
        if req.q("over"):
            rows = [r for r in rows if r["over"] == req.q("over")]
        rows = rows[:_limit(req)]
        return Response(200, {"vlans": rows, "total": len(rows), "source": source})

    def vlan_detail(self, req):
        name = req.params["vlan"]
        rows, _source = self._rows(req, "vlan")
        rows = [r for r in rows if r["link"] == name]
        if not rows:
            raise error(404, f"VLAN {name} not found")
        return Response(200, rows[0])

    def vlan_create(self, req):
        body = body_of(req)
        vid, over = body.get("vid"), body.get("link")
        if vid in (None, "") or not over:
            raise error(400, "vid and link are required")
        if isinstance(vid, bool) or not str(vid).isdigit() or not 1 <= int(vid) <= 4094:
            raise error(400, "vid must be an integer between 1 and 4094")
        vid = int(vid)
        self._link_or_400(over, VLAN_OVER, "VLANs")
        name = body.get("name")
        if not name:
            # dladm's implicit name: driver + (vid * 1000 + instance) [mem]
            m = re.match(r"^(.*?)(\d+)$", over)
            name = f"{m.group(1)}{vid * 1000 + int(m.group(2))}"
        if not valid_link_name(name):
            raise error(400, f"Invalid VLAN name: {name}. Must start with a letter, contain only letters, digits "
                             "and underscores, end with a digit, and be at most 31 characters")
        self._name_free_or_400(name, "VLAN", "vlan")
        force, temporary = truthy(body.get("force")), truthy(body.get("temporary"))
        cmd = "dladm create-vlan " + ("-f " if force else "") + ("-t " if temporary else "") + f"-l {over} -v {vid} {name}"
        t = queue_host_task(self.sim, req, "create_vlan",
                            metadata={"name": name, "vid": vid, "link": over, "force": force, "temporary": temporary},
                            ctx={"name": name, "vid": vid, "link": over, "temporary": temporary, "commands": [cmd]})
        return task_created(t, f"VLAN creation task created for {name}", vlan_name=name, vid=vid, over=over,
                            temporary=temporary)

    def vlan_delete(self, req):
        name = req.params["vlan"]
        link = self.st.links.get(name)
        if link is None or link["class"] != "vlan":
            raise error(404, f"VLAN {name} not found")
        temporary = truthy(req.q("temporary"))
        t = queue_host_task(self.sim, req, "delete_vlan", metadata={"vlan": name, "temporary": temporary},
                            ctx={"name": name, "commands": [f"dladm delete-vlan {'-t ' if temporary else ''}{name}"]})
        return task_created(t, f"VLAN deletion task created for {name}", vlan_name=name, temporary=temporary)

    # ---- IP addresses
    def address_list(self, req):
        stamp = now_iso()
        rows = [address_row(self.sim, a, stamp) for a in sorted(self.st.addresses.values(), key=lambda a: a["id"])]
        if req.q("interface"):
            rows = [r for r in rows if str(req.q("interface")) in r["interface"]]
        for key in ("ip_version", "type", "state"):
            if req.q(key):
                rows = [r for r in rows if r[key] == req.q(key)]
        total = len(rows)
        rows = rows[:_limit(req)]
        return Response(200, {"addresses": rows, "total": total,
                              "source": "live" if truthy(req.q("live")) else "database"})

    def address_create(self, req):
        body = body_of(req)
        ifname, atype, addrobj = body.get("interface"), body.get("type"), body.get("addrobj")
        missing = [k for k, v in (("interface", ifname), ("type", atype), ("addrobj", addrobj)) if not v]
        if missing:
            raise error(400, f"Missing required fields: {', '.join(missing)}")
        if atype not in ("static", "dhcp", "addrconf"):
            raise error(400, "type must be one of: static, dhcp, addrconf")
        m = ADDROBJ_RE.match(str(addrobj))
        if not m or m.group(1) != ifname:
            raise error(400, f"Invalid addrobj: {addrobj}. Use <interface>/<name>, e.g. {ifname}/v4 "
                             "(the name: a letter, then letters and digits)")
        if ifname != "lo0":
            link = self.st.links.get(ifname)
            if link is None or link["class"] == "etherstub":
                raise error(400, f"Interface {ifname} not found")
        if addrobj in self.st.addresses:
            raise error(400, f"Address object {addrobj} already exists")
        address = body.get("address")
        if atype == "static":
            if not address or "/" not in str(address):
                raise error(400, "address is required for static addresses, with its prefix length (e.g. 192.168.1.10/24)")
            try:
                iface = ipaddress.ip_interface(str(address))
            except ValueError:
                raise error(400, f"Invalid address: {address}") from None
            address = f"{iface.ip}/{iface.network.prefixlen}"
        elif address:
            raise error(400, f"address applies only to static addresses, not {atype}")
        temporary, down = truthy(body.get("temporary")), truthy(body.get("down"))
        cmds = []
        if not _plumbed(self.st, ifname):
            cmds.append(f"ipadm create-if {ifname}")
        opts = ("-t " if temporary else "") + f"-T {atype}"
        if atype == "static":
            opts += (" -d" if down else "") + f" -a local={address}"
        elif atype == "dhcp":
            opts += f" -w {body.get('wait') or 30}" + (" -1" if truthy(body.get("primary")) else "")
        cmds.append(f"ipadm create-addr {opts} {addrobj}")
        ctx = {"interface": ifname, "type": atype, "addrobj": addrobj, "address": address, "down": down,
               "temporary": temporary, "commands": cmds}
        t = queue_host_task(self.sim, req, "create_ip_address",
                            metadata={k: v for k, v in ctx.items() if k != "commands"}, ctx=ctx)
        return task_created(t, f"IP address creation task created for {addrobj}", addrobj=addrobj, type=atype,
                            interface=ifname)

    @staticmethod
    def _addrobj(req) -> str:
        p = req.params
        return f"{p['iface']}/{p['aname']}" if "iface" in p else p["addrobj"]

    def address_delete(self, req):
        addrobj = self._addrobj(req)
        if addrobj not in self.st.addresses:
            raise error(404, f"Address object {addrobj} not found")
        release = truthy(req.q("release"))
        t = queue_host_task(self.sim, req, "delete_ip_address", metadata={"addrobj": addrobj, "release": release},
                            ctx={"addrobj": addrobj,
                                 "commands": [f"ipadm delete-addr {'-r ' if release else ''}{addrobj}"]})
        return task_created(t, f"IP address deletion task created for {addrobj}", addrobj=addrobj, release=release)

    def address_enable(self, req):
        addrobj = self._addrobj(req)
        if addrobj not in self.st.addresses:
            raise error(404, f"Address object {addrobj} not found")
        t = queue_host_task(self.sim, req, "enable_ip_address", metadata={"addrobj": addrobj},
                            ctx={"addrobj": addrobj, "commands": [f"ipadm enable-addr -t {addrobj}"]})
        return task_created(t, f"IP address enable task created for {addrobj}", addrobj=addrobj)

    def address_disable(self, req):
        # the spec documents no 404 here: an unknown address object fails in the task [guess]
        addrobj = self._addrobj(req)
        t = queue_host_task(self.sim, req, "disable_ip_address", metadata={"addrobj": addrobj},
                            ctx={"addrobj": addrobj, "commands": [f"ipadm disable-addr -t {addrobj}"]})
        return task_created(t, f"IP address disable task created for {addrobj}", addrobj=addrobj)

    # ---- forwarding
    def forwarding_get(self, req):
        st = self.st
        interfaces = [{"interface": name, **st.ip_interfaces[name]["forwarding"]} for name in sorted(st.ip_interfaces)]
        return Response(200, {"forwarding": {k: dict(st.forwarding[k]) for k in ("ipv4", "ipv6")},
                              "interfaces": interfaces, "raw": routeadm_text(st)})

    def forwarding_put(self, req):
        body = body_of(req)
        enabled, interfaces = body.get("enabled"), body.get("interfaces")
        if enabled is None and interfaces is None:
            raise error(400, "At least one of enabled or interfaces is required")
        if enabled is not None and not isinstance(enabled, bool):
            raise error(400, "enabled must be a boolean")
        if interfaces is not None and not (isinstance(interfaces, list) and all(isinstance(i, str) for i in interfaces)):
            raise error(400, "interfaces must be an array of interface names")
        cmds = []
        if enabled is not None:
            cmds.append(f"routeadm -u {'-e' if enabled else '-d'} ipv4-forwarding")
        for ifname in interfaces or []:
            cmds.append(f"ipadm set-ifprop -p forwarding={'off' if enabled is False else 'on'} -m ipv4 {ifname}")
        t = queue_host_task(self.sim, req, "configure_forwarding", metadata={"enabled": enabled, "interfaces": interfaces},
                            ctx={"enabled": enabled, "interfaces": interfaces, "commands": cmds})
        return task_created(t, "Forwarding configuration task queued", enabled=enabled, interfaces=interfaces)


def register(router, sim):
    n = Network(sim)
    init(sim)

    def destructure(prop, what):
        return {"error": f"Failed to {what}",
                "details": f"Cannot destructure property '{prop}' of 'req.body' as it is undefined."}

    router.add("GET", "/monitoring/network/interfaces", n.interfaces)
    if sim.dialect.is_a:
        router.add("GET", "/provisioning/bridged-interfaces", n.bridged_interfaces)
    router.add("GET", "/network/vnics", n.vnic_list)
    router.add("POST", "/network/vnics", n.vnic_create, needs_body=True, body_fail=destructure("name", "create VNIC"))
    router.add("GET", "/network/vnics/:vnic", n.vnic_detail)
    router.add("DELETE", "/network/vnics/:vnic", n.vnic_delete)
    router.add("GET", "/network/vnics/:vnic/stats", n.vnic_stats)
    router.add("GET", "/network/vnics/:vnic/properties", n.vnic_props_get)
    router.add("PUT", "/network/vnics/:vnic/properties", n.vnic_props_put, needs_body=True,
               body_fail=destructure("properties", "set VNIC properties"))
    router.add("GET", "/network/etherstubs", n.etherstub_list)
    router.add("POST", "/network/etherstubs", n.etherstub_create, needs_body=True,
               body_fail=destructure("name", "create etherstub"))
    router.add("GET", "/network/etherstubs/:etherstub", n.etherstub_detail)
    router.add("DELETE", "/network/etherstubs/:etherstub", n.etherstub_delete)
    router.add("GET", "/network/vlans", n.vlan_list)
    router.add("POST", "/network/vlans", n.vlan_create, needs_body=True, body_fail=destructure("vid", "create VLAN"))
    router.add("GET", "/network/vlans/:vlan", n.vlan_detail)
    router.add("DELETE", "/network/vlans/:vlan", n.vlan_delete)
    router.add("GET", "/network/addresses", n.address_list)
    router.add("POST", "/network/addresses", n.address_create, needs_body=True,
               body_fail=destructure("interface", "create IP address"))
    # the address object carries a slash: %2F-encoded in one segment (Express
    # decodes it into the parameter), or sent as is (two segments) [guess: the
    # agent's route may capture the rest of the path]
    for path in ("/network/addresses/:addrobj", "/network/addresses/:iface/:aname"):
        router.add("DELETE", path, n.address_delete)
        router.add("PUT", f"{path}/enable", n.address_enable)
        router.add("PUT", f"{path}/disable", n.address_disable)
    router.add("GET", "/network/forwarding", n.forwarding_get)
    router.add("PUT", "/network/forwarding", n.forwarding_put, needs_body=True,
               body_fail=destructure("enabled", "configure forwarding"))
    return n
