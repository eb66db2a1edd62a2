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
finished: the worst case of the real collector, deterministic for tests, and
cheap (a row is copied once per change, never per request).  The agent's
VNIC/etherstub/VLAN deletion tasks destroy the link's rows themselves, so those
leave the lists at once (forget()); links that vanish otherwise (VNICs removed by
a forced etherstub deletion, a halted zone's on-demand VNICs) leave with the lag.

Request checks follow the agent's controllers (VnicModificationController,
EtherstubController, VlanController, NetworkQueryController, NatController's
forwarding handlers): they check little, with JavaScript semantics (js_*
below), and leave the rest to dladm/ipadm inside the task.

Mutations are tasks (scope "system", category network_datalink /
network_ip); their executors are in EXECUTORS, merged by executors.py.
"""
from __future__ import annotations

import math

import hashlib
import ipaddress
import re
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from .server import Response, error
from .tasks import TaskFailure, add_line, queue_host_task, task_created
from .util import now_iso

LINK_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*[0-9]+$")
MAX_LINK_NAME = 31
ADDROBJ_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9_]*[0-9]+|lo0)/([a-zA-Z][a-zA-Z0-9]{0,31})$")
RANDOM_PREFIX = (0x2, 0x8, 0x20)     # dladm's default prefix for random VNIC MACs
RANDOM_PREFIX_RE = re.compile(r"(?:[0-9a-fA-F]{2}:){2}[0-9a-fA-F]{2}")   # the agent's check of mac_prefix
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


# The agent's controllers test request fields with JavaScript semantics
# (`if (!x)`, `x < 1`, `${x}` in a command line); these mirror them.
_JS_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def js_truthy(value) -> bool:
    """`if (value)`: null, false, 0, "" are false; "false", [] and {} are true."""
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return not math.isnan(value) and value != 0      # NaN is false too
    return True


def js_number(value):
    """The number a relational operator (`x < 1`) coerces value to; None for NaN."""
    if value is None or isinstance(value, bool):
        return float(bool(value))
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return 0.0 if not value else (js_number(js_str(value[0])) if len(value) == 1 else None)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        return float(text) if _JS_NUMBER_RE.match(text) else None
    return None


def js_out_of_range(value, low, high) -> bool:
    """`value < low || value > high`: false when value is not a number (NaN)."""
    n = js_number(value)
    return n is not None and (n < low or n > high)


def js_str(value) -> str:
    """`${value}` in a template string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return ",".join("" if v is None else js_str(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def js_int(value):
    """A whole number given as a JSON number or string (what dladm/ipadm would accept), else None."""
    n = js_number(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
    return int(n) if n is not None and n.is_integer() and str(value).strip() else None


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


def forget(sim, name: str) -> None:
    """A delete task removed the link's monitoring rows itself (the agent's
    VNIC/etherstub/VLAN deletion tasks destroy the NetworkInterfaces rows after
    dladm succeeds): the lists drop it at once, without waiting for the collector."""
    st = sim.state
    st.netdb["rows"].pop(name, None)
    pending = st.netdb.get("pending") or []
    pending[:] = [e for e in pending if e[1] != name]
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
    if ctx.get("mac_address") == "random" and js_truthy(ctx.get("mac_prefix")):
        prefix = tuple(int(p, 16) for p in str(ctx["mac_prefix"]).split(":"))
    return _derived_mac(f"{ctx['name']}/{time.time()}", prefix)


def _prop_problem(key: str, value: str, parent: dict) -> str | None:
    """Why dladm refuses to set `key` to `value` (libdladm's status text), or None.
    The texts are dladm_status2str()'s [mem]; an unknown property is "object not found"."""
    if key not in VNIC_PROPS or key in READONLY_PROPS:
        return "object not found"
    possible = VNIC_PROPS[key][1]
    if key == "mtu":
        if not value.isdigit() or not 576 <= int(value) <= 9000:
            return "invalid value"
        if int(value) > int(parent.get("mtu", 1500)):
            return "value out of range"
    elif key == "protection":
        if any(v not in possible for v in value.split(",")):
            return "invalid value"
    elif possible and value not in possible:
        return "invalid value"
    return None


def _vnic_props(raw) -> dict:
    """properties as the agent's task joins them into `-p k=v,...` (`${value}`)."""
    if isinstance(raw, list):
        raw = {str(i): v for i, v in enumerate(raw)}
    return {str(k): js_str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


# ---- the host model: what dladm/ipadm/routeadm do, shared by the agent's tasks
# below and the fake commands (commands/dladm.py, ipadm.py, routeadm.py). Each
# raises TaskFailure with the tool's own text; the executors add the agent's prefix.


def create_vnic(sim, c) -> dict:
    """`dladm create-vnic` from c = {name, link, mac_address (auto|random|factory|MAC),
    mac_prefix, slot, vlan_id, temporary, properties}; values as given (JS semantics)."""
    st = sim.state
    name, over = c["name"], c["link"]

    def fail(text):
        raise TaskFailure(text)

    mode, vid = c.get("mac_address"), c.get("vlan_id")
    mac = None
    if js_truthy(mode) and mode not in ("auto", "random", "factory"):
        mac = parse_mac(mode) if isinstance(mode, str) else None
        if mac is None:
            fail(f"dladm: invalid MAC address '{js_str(mode)}'")                  # [mem]
    if js_truthy(vid) and (js_int(vid) is None or not 1 <= js_int(vid) <= 4094):
        fail(f"dladm: invalid VLAN identifier '{js_str(vid)}'")                   # [mem]
    if len(name) > MAX_LINK_NAME:
        fail(f"dladm: link name too long '{name}'")
    if not valid_link_name(name):   # the agent's controller refuses these before its task
        fail(f"dladm: invalid link name '{name}'")
    parent = st.links.get(over)
    if parent is None:
        fail(f"dladm: invalid link name '{over}'")
    props = _vnic_props(c.get("properties"))
    for key, value in props.items():
        problem = _prop_problem(key, value, parent)
        if problem:
            fail(f"dladm: vnic creation over {over} failed: {problem}")            # [guess] which status
    if name in st.links:
        fail(f"dladm: vnic creation over {over} failed: object already exists")
    if parent["class"] not in VNIC_OVER:
        fail(f"dladm: vnic creation over {over} failed: invalid argument")        # [guess]
    if mode == "factory":
        slot = js_int(c.get("slot"))
        if parent["class"] != "phys" or slot is None:
            fail(f"dladm: vnic creation over {over} failed: no factory MAC address available")
        base = parse_mac(parent["mac"])
        base[-1] = (base[-1] + slot) % 256
        mac, mtype = fmt_mac(base), "factory"
    elif mac is not None:
        mac, mtype = fmt_mac(mac), "fixed"
    else:
        mac, mtype = _random_mac(c), "random"
    mtu = int(props.pop("mtu", None) or parent.get("mtu", 1500))
    st.links[name] = {"name": name, "class": "vnic", "over": over, "mtu": mtu, "state": parent.get("state", "up"),
                      "speed": parent.get("speed", 0), "duplex": parent.get("duplex", "full") if parent["class"] == "phys"
                      else "unknown", "mac": mac, "macaddrtype": mtype, "vid": js_int(vid) if js_truthy(vid) else 0,
                      "zone": None, "temporary": js_truthy(c.get("temporary")), "props": props, "created_at": now_iso()}
    touch(sim, name)
    return st.links[name]


def delete_link(sim, name: str, cls: str, what: str) -> None:
    """`dladm delete-<cls> NAME`; refused while a zone holds the link or it has an IP interface."""
    st = sim.state
    link = st.links.get(name)
    if link is None or link["class"] != cls:
        raise TaskFailure(f"dladm: invalid {cls} name '{name}': object not found")
    if link.get("zone"):
        raise TaskFailure(f"dladm: {what} deletion failed: link busy ({name} is in use by zone {link['zone']})")
    if _plumbed(st, name):
        raise TaskFailure(f"dladm: {what} deletion failed: link busy "
                          f"({name} has an IP interface; ipadm delete-if {name} first)")
    if cls == "etherstub" and _vnics_over(st, name):
        raise TaskFailure(f"dladm: {what} deletion failed: link busy")
    del st.links[name]
    touch(sim, name)


def set_link_props(sim, name: str, props: dict) -> None:
    """`dladm set-linkprop -p k=v,... NAME` of a VNIC: sets what it can; the
    refused properties' warnings, one per line, in the TaskFailure."""
    st = sim.state
    link = st.links.get(name)
    if link is None or link["class"] != "vnic":
        raise TaskFailure(f"dladm: invalid link name '{name}'")
    parent = st.links.get(link.get("over")) or {}
    warnings = []
    for key, value in _vnic_props(props).items():
        if value == "":
            warnings.append(f"dladm: warning: no value specified for '{key}'")      # [mem]
            continue
        problem = _prop_problem(key, value, parent)
        if problem:
            warnings.append(f"dladm: warning: cannot set link property '{key}' on '{name}': {problem}")
        elif key == "mtu":
            link["mtu"] = int(value)
        else:
            link["props"][key] = value
    touch(sim, name)
    if warnings:
        raise TaskFailure("\n".join(warnings))


def create_etherstub(sim, name: str, temporary=False) -> dict:
    """`dladm create-etherstub [-t] NAME`."""
    st = sim.state
    if len(name) > MAX_LINK_NAME:
        raise TaskFailure(f"dladm: link name too long '{name}'")
    if not valid_link_name(name):
        raise TaskFailure(f"dladm: invalid link name '{name}'")
    if name in st.links:
        raise TaskFailure("dladm: etherstub creation failed: object already exists")
    st.links[name] = {"name": name, "class": "etherstub", "over": None, "mtu": 9000, "state": "unknown", "speed": 0,
                      "duplex": "unknown", "mac": _derived_mac(f"etherstub/{name}"), "macaddrtype": "random", "vid": 0,
                      "zone": None, "temporary": js_truthy(temporary), "props": {}, "created_at": now_iso()}
    touch(sim, name)
    return st.links[name]


def vlan_default_name(over: str, vid) -> str:
    """The name of a VLAN link created without one: <driver><1000*vid+ppa> for
    links named like that, else vlan<vid> (the agent's rule; dladm's own [mem])."""
    m = re.fullmatch(r"([a-zA-Z]+)(\d+)", over)
    if m:
        n = js_number(vid)
        return m.group(1) + (js_str(1000 * n + int(m.group(2))) if n is not None else "NaN")
    return f"vlan{js_str(vid)}"


def create_vlan(sim, c) -> dict:
    """`dladm create-vlan [-f] [-t] -l LINK -v VID NAME` from c = {name, link, vid, temporary}."""
    st = sim.state
    name, over, vid = c["name"], c["link"], js_int(c["vid"])

    def fail(text):
        raise TaskFailure(text)

    if vid is None or not 1 <= vid <= 4094:
        fail(f"dladm: invalid VLAN identifier '{js_str(c['vid'])}'")              # [mem]
    if len(name) > MAX_LINK_NAME:
        fail(f"dladm: link name too long '{name}'")
    if not valid_link_name(name):
        fail(f"dladm: invalid link name '{name}'")
    parent = st.links.get(over)
    if parent is None:
        fail(f"dladm: invalid link name '{over}'")
    if name in st.links:
        fail(f"dladm: VLAN creation over {over} failed: object already exists")   # [mem]
    if parent["class"] not in VLAN_OVER:
        fail(f"dladm: VLAN creation over {over} failed: invalid argument")        # [guess]
    for link in st.links.values():
        if link["class"] == "vlan" and link.get("over") == over and int(link.get("vid") or 0) == vid:
            fail(f"dladm: VLAN creation over {over} failed: object already exists "
                 f"(VLAN {vid} is {link['name']})")
    st.links[name] = {"name": name, "class": "vlan", "over": over, "mtu": parent.get("mtu", 1500),
                      "state": parent.get("state", "up"), "speed": parent.get("speed", 0),
                      "duplex": parent.get("duplex", "full"), "mac": parent.get("mac"), "macaddrtype": "fixed",
                      "vid": vid, "zone": None, "temporary": js_truthy(c.get("temporary")), "props": {},
                      "created_at": now_iso()}
    touch(sim, name)
    return st.links[name]


def create_ip_interface(sim, ifname: str) -> None:
    """`ipadm create-if IF`: IP on a datalink (not an etherstub) or lo0. Texts [mem]."""
    st = sim.state
    if _plumbed(st, ifname):
        raise TaskFailure(f"ipadm: Could not create {ifname} : Interface already exists")
    if ifname != "lo0" and (ifname not in st.links or st.links[ifname]["class"] == "etherstub"):
        raise TaskFailure(f"ipadm: Could not create {ifname} : Interface does not exist")
    link = st.links.get(ifname) or {}
    if link.get("zone"):
        raise TaskFailure(f"ipadm: Could not create {ifname} : Datalink in use by zone {link['zone']}")
    st.ip_interfaces[ifname] = {"forwarding": {"current": "off", "persistent": "--"}}
    st.dirty = True


def delete_ip_interface(sim, ifname: str) -> None:
    """`ipadm delete-if IF`: the interface and every address on it. Texts [mem]."""
    st = sim.state
    if not _plumbed(st, ifname):
        raise TaskFailure(f"ipadm: Could not delete interface {ifname}: Interface does not exist")
    for addrobj in [a for a in st.addresses if a.split("/", 1)[0] == ifname]:
        del st.addresses[addrobj]
    del st.ip_interfaces[ifname]
    st.dirty = True


def create_address(sim, c, plumb=False) -> dict:
    """`ipadm create-addr` from c = {interface, addrobj, type, address (static: A/P), down}.
    The interface must have IP (`ipadm create-if`) unless plumb=True, which does that first."""
    st = sim.state
    ifname, addrobj = c["interface"], c["addrobj"]
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
        if not plumb:
            raise TaskFailure(f"ipadm: cannot create address: Interface {ifname} does not exist")   # [mem]
        st.ip_interfaces[ifname] = {"forwarding": {"current": "off", "persistent": "--"}}
    now = now_iso()
    st.addresses[addrobj] = {"addrobj": addrobj, "interface": ifname, "type": c["type"],
                             "state": "down" if c.get("down") else "ok", "addr": addr,
                             "id": st.next_id("address"), "created_at": now, "updated_at": now}
    st.dirty = True
    return st.addresses[addrobj]


def delete_address(sim, addrobj: str) -> None:
    """`ipadm delete-addr ADDROBJ` (the IP interface stays)."""
    st = sim.state
    if addrobj not in st.addresses:
        raise TaskFailure(f"ipadm: cannot delete address: Object not found ({addrobj})")
    del st.addresses[addrobj]
    st.dirty = True


def set_address_state(sim, addrobj: str, state: str, verb: str) -> None:
    """`ipadm enable-addr|disable-addr -t ADDROBJ`."""
    st = sim.state
    row = st.addresses.get(addrobj)
    if row is None:
        raise TaskFailure(f"ipadm: cannot {verb} address: Object not found ({addrobj})")
    row["state"] = state
    row["updated_at"] = now_iso()
    st.dirty = True


FORWARDING_DEFAULT = "disabled"     # routeadm's default for ipv4-/ipv6-forwarding


def routeadm_set(st, proto: str, persistent: str) -> None:
    """`routeadm -e|-d|-r <proto>-forwarding`: the persistent setting (enabled|disabled|default)."""
    st.forwarding[proto]["persistent"] = persistent
    st.dirty = True


def routeadm_update(st) -> None:
    """`routeadm -u`: the running values follow the persistent settings."""
    for entry in st.forwarding.values():
        entry["current"] = FORWARDING_DEFAULT if entry["persistent"] == "default" else entry["persistent"]
    st.dirty = True


def set_interface_forwarding(st, ifname: str, value: str, temporary=False) -> None:
    """`ipadm set-ifprop [-t] -p forwarding=on|off -m ipv4 IF`."""
    if ifname not in st.ip_interfaces:
        raise TaskFailure(f"ipadm: cannot set property 'forwarding' on '{ifname}': Interface does not exist")
    entry = st.ip_interfaces[ifname]["forwarding"]
    entry["current"] = value
    if not temporary:
        entry["persistent"] = value
    st.dirty = True


# ---- the agent's tasks

# A link class's word in dladm's messages and in the agent's delete task's messages.
_DELETE_WORDS = {"vnic": ("vnic", "VNIC"), "etherstub": ("etherstub", "etherstub"), "vlan": ("VLAN", "VLAN")}


@contextmanager
def _agent_error_prefix(prefix):
    """The agent's task fails with the command's message after its own: "<prefix>: <message>"."""
    try:
        yield
    except TaskFailure as exc:
        raise TaskFailure(f"{prefix}: {exc}") from None


def _delete_link_task(sim, t, name, cls):
    """The agent's VNIC/etherstub/VLAN delete task: `dladm delete-<cls>`, then the link's monitoring rows go."""
    dladm_word, agent_word = _DELETE_WORDS[cls]
    with _agent_error_prefix(f"Failed to delete {agent_word} {name}"):
        delete_link(sim, name, cls, dladm_word)
    forget(sim, name)
    _out(t, f"{agent_word[0].upper()}{agent_word[1:]} {name} deleted successfully")   # "Etherstub x deleted..."


def create_vnic_finish(sim, t):
    """The agent's executeCreateVNICTask: one `dladm create-vnic` built from the
    request as given; everything the controller did not check fails here, with
    dladm's message after the agent's "Failed to create VNIC <name>: "."""
    c = t["_ctx"]
    with _agent_error_prefix(f"Failed to create VNIC {c['name']}"):
        create_vnic(sim, c)
    _out(t, f"VNIC {c['name']} created successfully over {c['link']}")


def delete_vnic_finish(sim, t):
    """executeDeleteVNICTask: dladm delete-vnic, then the VNIC's monitoring rows are destroyed."""
    _delete_link_task(sim, t, t["_ctx"]["name"], "vnic")


def set_vnic_props_finish(sim, t):
    """executeSetVNICPropertiesTask: ONE `dladm set-linkprop -p k=v,... vnic`.
    dladm sets what it can and warns about the rest; any warning fails the task."""
    c = t["_ctx"]
    name = c["name"]
    with _agent_error_prefix(f"Failed to set VNIC {name} properties"):
        set_link_props(sim, name, c["properties"])
    _out(t, f"VNIC {name} properties set successfully")


def create_etherstub_finish(sim, t):
    """executeCreateEtherstubTask: `dladm create-etherstub [-t] NAME`."""
    name = t["_ctx"]["name"]
    with _agent_error_prefix(f"Failed to create etherstub {name}"):
        create_etherstub(sim, name, t["_ctx"].get("temporary"))
    _out(t, f"Etherstub {name} created successfully")


def delete_etherstub_finish(sim, t):
    """executeDeleteEtherstubTask: with force, `dladm delete-vnic` for each VNIC on
    it (failures ignored; their monitoring rows are left to the collector), then
    `dladm delete-etherstub`, which fails while any VNIC is left."""
    st = sim.state
    c = t["_ctx"]
    name = c["name"]
    if c.get("force"):
        for vnic in _vnics_over(st, name):
            _out(t, f"dladm delete-vnic {vnic}")
            try:
                delete_link(sim, vnic, "vnic", "vnic")
            except TaskFailure as exc:
                add_line(t, str(exc), "stderr")
    _delete_link_task(sim, t, name, "etherstub")


def create_vlan_finish(sim, t):
    """executeCreateVlanTask: `dladm create-vlan [-f] [-t] -l LINK -v VID NAME`."""
    c = t["_ctx"]
    with _agent_error_prefix(f"Failed to create VLAN {c['name']}"):
        link = create_vlan(sim, c)
    _out(t, f"VLAN {c['name']} created successfully (VID {link['vid']}) over {c['link']}")


def delete_vlan_finish(sim, t):
    _delete_link_task(sim, t, t["_ctx"]["name"], "vlan")


# ---- IP addresses


def _dhcp_address(seed: str) -> str:
    n = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return f"192.168.10.{100 + n % 100}/24"


def create_addr_finish(sim, t):
    """The agent's task: `ipadm create-if IF` when the interface has no IP yet, then `ipadm create-addr`."""
    st = sim.state
    c = t["_ctx"]
    ifname = c["interface"]
    if ifname != "lo0" and (ifname not in st.links or st.links[ifname]["class"] == "etherstub"):
        raise TaskFailure(f"ipadm: cannot create address: Interface {ifname} does not exist")
    row = create_address(sim, c, plumb=True)
    _out(t, f"{c['addrobj']} {c['type']} {row['addr']}")


def delete_addr_finish(sim, t):
    st = sim.state
    addrobj = t["_ctx"]["addrobj"]
    delete_address(sim, addrobj)
    # The agent then runs `ipadm show-addr <if>` and, when nothing is left on the
    # interface, `ipadm delete-if <if>` (its executeDeleteIPAddressTask), which is
    # what lets the VNIC underneath be deleted afterwards.
    ifname = addrobj.split("/", 1)[0]
    if ifname not in ("lo0",) and not any(a.split("/", 1)[0] == ifname for a in st.addresses):
        st.ip_interfaces.pop(ifname, None)
    st.dirty = True


def enable_addr_finish(sim, t):
    set_address_state(sim, t["_ctx"]["addrobj"], "ok", "enable")


def disable_addr_finish(sim, t):
    set_address_state(sim, t["_ctx"]["addrobj"], "disabled", "disable")


def forwarding_finish(sim, t):
    """The agent's executeConfigureForwardingTask: `routeadm -u -e|-d ipv4-forwarding`
    when `enabled` was sent (even null: -d), then `ipadm set-ifprop -p forwarding=on|off
    -m ipv4 IF` per interface (off only when enabled is false). Errors are collected;
    the task fails only when every step failed."""
    st = sim.state
    c = t["_ctx"]
    enabled, interfaces = c.get("enabled"), c.get("interfaces")
    errors, steps = [], 0
    if c.get("has_enabled"):
        steps += 1
        routeadm_set(st, "ipv4", "enabled" if js_truthy(enabled) else "disabled")
        routeadm_update(st)
    if js_truthy(interfaces) and not isinstance(interfaces, list):
        if isinstance(interfaces, str):   # `interfaces.map` of a string
            raise TaskFailure("IP forwarding configuration failed: interfaces.map is not a function")
        interfaces = []
    value = "off" if enabled is False else "on"
    for ifname in interfaces or []:
        steps += 1
        ifname = js_str(ifname)
        try:
            set_interface_forwarding(st, ifname, value)
        except TaskFailure as exc:
            errors.append(f"Interface {ifname}: {exc}")
    st.dirty = True
    if errors:
        for line in errors:
            add_line(t, line, "stderr")
        if len(errors) >= steps:
            raise TaskFailure(f"IP forwarding configured with {len(errors)} error(s): " + "; ".join(errors))
        _out(t, f"IP forwarding configured with {len(errors)} error(s)")
        return
    _out(t, "IP forwarding configured successfully")


# Every network task logs its commands when it starts and does its work when it finishes.
_FINISHERS = {
    "create_vnic": create_vnic_finish,
    "delete_vnic": delete_vnic_finish,
    "set_vnic_properties": set_vnic_props_finish,
    "create_etherstub": create_etherstub_finish,
    "delete_etherstub": delete_etherstub_finish,
    "create_vlan": create_vlan_finish,
    "delete_vlan": delete_vlan_finish,
    "create_ip_address": create_addr_finish,
    "delete_ip_address": delete_addr_finish,
    "enable_ip_address": enable_addr_finish,
    "disable_ip_address": disable_addr_finish,
    "configure_forwarding": forwarding_finish,
}
EXECUTORS = {operation: (_commands_begin, finish, _noop) for operation, finish in _FINISHERS.items()}


# --------------------------------------------------------------------------- views


def address_row(sim, a: dict, stamp: str) -> dict:
    ip, _sep, prefix = a["addr"].partition("/")
    version = "v6" if ":" in ip else "v4"
    return {"id": a["id"], "host": sim.hostname, "addrobj": a["addrobj"], "interface": a["interface"],
            "type": a["type"], "state": a["state"], "addr": a["addr"], "ip_address": ip,
            "prefix_length": int(prefix or (128 if version == "v6" else 32)), "ip_version": version,
            "scan_timestamp": stamp, "created_at": a["created_at"], "updated_at": a["updated_at"]}


def live_address_row(a: dict) -> dict:
    """One row of GET /network/addresses?live=true.  The agent runs `ipadm show-addr
    -p -o addrobj,type,state,addr` and splits each line on ':' (its
    NetworkQueryController.getIPAddresses).  With several fields ipadm escapes the
    colons of an IPv6 address (`lo0/v6:static:ok:\\:\\:1/128`), so for IPv6 the
    agent's `addr` is the fragment before the first escaped colon (`\\`, `fe80\\`)
    and, having no ':' left, is classed v4.  Reproduced as the agent answers."""
    line = ":".join(f.replace("\\", "\\\\").replace(":", "\\:")
                    for f in (a["addrobj"], a["type"], a["state"], a["addr"]))
    addrobj, atype, state, addr = line.split(":")[:4]
    return {"addrobj": addrobj, "interface": addrobj.split("/")[0], "type": atype, "state": state, "addr": addr,
            "ip_version": "v6" if ":" in addr else "v4", "source": "live"}


def forwarding_view(text: str) -> dict:
    """The agent's routeadm -p parse (NatController.getForwardingStatus): a
    forwarding line says enabled only when it reads `persistent=enabled` /
    `current=enabled`; anything else (`default`, `disabled`) is "disabled"."""
    view = {"ipv4": {"current": "unknown", "persistent": "unknown"},
            "ipv6": {"current": "unknown", "persistent": "unknown"}}
    for line in text.split("\n"):
        for proto in ("ipv4", "ipv6"):
            if f"{proto}-forwarding" in line:
                view[proto] = {"current": "enabled" if "current=enabled" in line else "disabled",
                               "persistent": "enabled" if "persistent=enabled" in line else "disabled"}
    return view


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
    def _exists(self, name, cls) -> bool:
        """`dladm show-<cls> NAME` succeeds: only a link of that class counts."""
        link = self.st.links.get(name) if isinstance(name, str) else None
        return link is not None and link["class"] == cls

    def _require_link(self, name, cls, label) -> None:
        """The agent's 404 when `dladm show-<cls> NAME` does not know the link."""
        if not self._exists(name, cls):
            raise error(404, f"{label} {name} not found",
                        details=f"dladm: invalid {cls} name '{name}': object not found")     # [tool] for show-vnic

    @staticmethod
    def _link_row(rows, name, label) -> dict:
        """The row of link `name` in a listing, or the agent's 404."""
        for row in rows:
            if row["link"] == name:
                return row
        raise error(404, f"{label} {name} not found")

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
        return Response(200, self._link_row(db_rows(self.sim, "vnic"), req.params["vnic"], "VNIC"))

    def vnic_create(self, req):
        """VnicModificationController.createVNIC: name/link present, the name's
        pattern, factory needs a slot, a random prefix is XX:XX:XX, vlan_id in
        1-4094 (JS comparisons: null counts as 0), and `dladm show-vnic NAME`.
        The link, the MAC and the properties are left to dladm, in the task."""
        body = body_of(req)
        name, over = body.get("name"), body.get("link")
        mac = body.get("mac_address", "auto")
        prefix, slot, vid = body.get("mac_prefix"), body.get("slot"), body.get("vlan_id")
        if not js_truthy(name) or not js_truthy(over):
            raise error(400, "name and link are required")
        name, over = js_str(name), js_str(over)
        if not LINK_NAME_RE.fullmatch(name):
            raise error(400, "VNIC name must start with letter, contain alphanumeric/underscore, and end with number")
        if mac == "factory" and "slot" not in body:
            raise error(400, "slot is required when mac_address is factory")
        if mac == "random" and js_truthy(prefix) and not RANDOM_PREFIX_RE.fullmatch(js_str(prefix)):
            raise error(400, "mac_prefix must be in format XX:XX:XX when specified")
        if "vlan_id" in body and js_out_of_range(vid, 1, 4094):
            raise error(400, "vlan_id must be between 1 and 4094")
        if self._exists(name, "vnic"):
            raise error(400, f"VNIC {name} already exists")
        temporary, props = body.get("temporary", False), body.get("properties", {})
        cmd = ["dladm create-vnic"] + (["-t"] if js_truthy(temporary) else []) + [f"-l {over}"]
        if mac == "factory":
            cmd.append(f"-m factory -n {js_str(slot)}")
        elif mac == "random":
            cmd.append("-m random" + (f" -r {js_str(prefix)}" if js_truthy(prefix) else ""))
        elif js_truthy(mac):
            cmd.append(f"-m {js_str(mac)}")
        if js_truthy(vid):
            cmd.append(f"-v {js_str(vid)}")
        if _vnic_props(props):
            cmd.append("-p " + ",".join(f"{k}={v}" for k, v in _vnic_props(props).items()))
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
        self._require_link(name, "vnic", "VNIC")
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

    def vnic_props_put(self, req):
        """setVNICProperties: a non-empty properties object (checked first), then
        `dladm show-vnic` (404); names and values are dladm's business, in the task."""
        name = req.params["vnic"]
        body = body_of(req)
        props, temporary = body.get("properties"), body.get("temporary", False)
        if not isinstance(props, (dict, list)) or not props:
            raise error(400, "properties object is required and must contain at least one property")
        self._require_link(name, "vnic", "VNIC")
        pairs = ",".join(f"{k}={v}" for k, v in _vnic_props(props).items())
        cmd = f"dladm set-linkprop {'-t ' if js_truthy(temporary) else ''}-p {pairs} {name}"
        t = queue_host_task(self.sim, req, "set_vnic_properties",
                            metadata={"vnic": name, "properties": props, "temporary": temporary},
                            ctx={"name": name, "properties": props, "commands": [cmd]})
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
        return Response(200, self._link_row(db_rows(self.sim, "etherstub"), req.params["etherstub"], "Etherstub"))

    def etherstub_create(self, req):
        """EtherstubController.createEtherstub: a name of letters, digits and '_'
        starting with a letter (no trailing digit needed: dladm refuses that in the
        task), and `dladm show-etherstub NAME` (another class's name passes)."""
        body = body_of(req)
        name, temporary = body.get("name"), body.get("temporary", False)
        if not js_truthy(name):
            raise error(400, "name is required")
        name = js_str(name)
        if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_]*", name):
            raise error(400, "Etherstub name must start with letter and contain only alphanumeric characters and "
                             "underscores")
        if self._exists(name, "etherstub"):
            raise error(400, f"Etherstub {name} already exists")
        t = queue_host_task(self.sim, req, "create_etherstub", metadata={"name": name, "temporary": temporary},
                            ctx={"name": name, "temporary": temporary,
                                 "commands": [f"dladm create-etherstub {'-t ' if js_truthy(temporary) else ''}{name}"]})
        return task_created(t, f"Etherstub creation task created for {name}", etherstub_name=name, temporary=temporary)

    def etherstub_delete(self, req):
        """EtherstubController.deleteEtherstub: 404 unless `dladm show-etherstub`
        knows it; without force, VNICs on it (`dladm show-vnic -l`) answer 400
        {error, vnics, suggestion}."""
        name = req.params["etherstub"]
        self._require_link(name, "etherstub", "Etherstub")
        temporary, force = truthy(req.q("temporary")), truthy(req.q("force"))
        vnics = _vnics_over(self.st, name)
        if vnics and not force:
            raise error(400, f"Cannot delete etherstub {name}. VNICs still exist on it: {', '.join(vnics)}",
                        vnics=vnics, suggestion="Delete VNICs first or use force=true")
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
        rows, _source = self._rows(req, "vlan")
        return Response(200, self._link_row(rows, req.params["vlan"], "VLAN"))

    def vlan_create(self, req):
        """VlanController.createVlan: vid and link present, vid in 1-4094 (a JS
        comparison: a non-numeric vid passes), `dladm show-link LINK` of any class,
        the name (given, or derived: `^[a-zA-Z]+\\d+$` links get
        <base><1000*vid+ppa>, any other link vlan<vid>), then `dladm show-vlan NAME`
        (a name held by another class passes; the task fails)."""
        body = body_of(req)
        vid, over, name = body.get("vid"), body.get("link"), body.get("name")
        if not js_truthy(vid) or not js_truthy(over):
            raise error(400, "vid and link are required")
        if js_out_of_range(vid, 1, 4094):
            raise error(400, "VLAN ID must be between 1 and 4094")
        over = js_str(over)
        if over not in self.st.links:
            raise error(400, f"Underlying link {over} not found or not available")
        name = js_str(name) if js_truthy(name) else vlan_default_name(over, vid)
        if self._exists(name, "vlan"):
            raise error(400, f"VLAN {name} already exists")
        force, temporary = body.get("force", False), body.get("temporary", False)
        cmd = ("dladm create-vlan " + ("-f " if js_truthy(force) else "") + ("-t " if js_truthy(temporary) else "")
               + f"-l {over} -v {js_str(vid)} {name}")
        t = queue_host_task(self.sim, req, "create_vlan",
                            metadata={"vid": vid, "link": over, "name": name, "force": force, "temporary": temporary},
                            ctx={"name": name, "vid": vid, "link": over, "temporary": temporary, "commands": [cmd]})
        return task_created(t, f"VLAN creation task created for {name} (VID {js_str(vid)}) over {over}",
                            vlan_name=name, vid=vid, over=over, temporary=temporary)

    def vlan_delete(self, req):
        name = req.params["vlan"]
        self._require_link(name, "vlan", "VLAN")
        temporary = truthy(req.q("temporary"))
        t = queue_host_task(self.sim, req, "delete_vlan", metadata={"vlan": name, "temporary": temporary},
                            ctx={"name": name, "commands": [f"dladm delete-vlan {'-t ' if temporary else ''}{name}"]})
        return task_created(t, f"VLAN deletion task created for {name}", vlan_name=name, temporary=temporary)

    # ---- IP addresses
    def address_list(self, req):
        """NetworkQueryController.getIPAddresses: the monitoring rows, or with
        live=true ipadm's reduced rows (see live_address_row), filtered after the
        parse; live `total` counts the returned rows, the DB's all matches."""
        live = truthy(req.q("live"))
        ordered = sorted(self.st.addresses.values(), key=lambda a: a["id"])
        if live:
            rows = [live_address_row(a) for a in ordered]
        else:
            stamp = now_iso()
            rows = [address_row(self.sim, a, stamp) for a in ordered]
        if req.q("interface"):
            rows = [r for r in rows if str(req.q("interface")) in r["interface"]]
        for key in ("ip_version", "type", "state"):
            if req.q(key):
                rows = [r for r in rows if r[key] == req.q(key)]
        total = len(rows)
        rows = rows[:_limit(req)]
        return Response(200, {"addresses": rows, "total": len(rows) if live else total,
                              "source": "live" if live else "database"})

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
        """NatController.getForwardingStatus: routeadm -p parsed (enabled/disabled
        only), the per-interface ipadm rows, and routeadm's text trimmed."""
        st = self.st
        raw = routeadm_text(st).strip()
        interfaces = [{"interface": name, **st.ip_interfaces[name]["forwarding"]} for name in sorted(st.ip_interfaces)]
        return Response(200, {"forwarding": forwarding_view(raw), "interfaces": interfaces, "raw": raw})

    def forwarding_put(self, req):
        """configureForwarding: 400 only when enabled is absent and interfaces is
        empty; no type checks. The echo omits what was not sent (undefined)."""
        body = body_of(req)
        enabled, interfaces = body.get("enabled"), body.get("interfaces")
        no_list = not js_truthy(interfaces) or (isinstance(interfaces, (list, str)) and len(interfaces) == 0)
        if "enabled" not in body and no_list:
            raise error(400, "enabled or interfaces must be specified")
        cmds = []
        if "enabled" in body:
            cmds.append(f"routeadm -u {'-e' if js_truthy(enabled) else '-d'} ipv4-forwarding")
        if isinstance(interfaces, list):
            for ifname in interfaces:
                cmds.append(f"ipadm set-ifprop -p forwarding={'off' if enabled is False else 'on'} -m ipv4 "
                            f"{js_str(ifname)}")
        echo = {k: body[k] for k in ("enabled", "interfaces") if k in body}
        t = queue_host_task(self.sim, req, "configure_forwarding", metadata=echo,
                            ctx={"enabled": enabled, "has_enabled": "enabled" in body, "interfaces": interfaces,
                                 "commands": cmds})
        return task_created(t, "IP forwarding configuration task queued", **echo)


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
