"""`ipadm`: the simulated host's IP interfaces, addresses and forwarding (illumos-native.md 1.6).

    ipadm show-if [-p] [-o FIELDS] [IF]
    ipadm show-addr [-p] [-o FIELDS] [ADDROBJ | IF]
    ipadm show-prop [-c] [-o FIELDS] [-p PROP[,...]] [ipv4 | ipv6]
    ipadm show-ifprop [-c] [-o FIELDS] [-p PROP[,...]] [-m ipv4|ipv6] [IF]
    ipadm set-prop [-t] -p forwarding=on|off ipv4|ipv6
    ipadm set-ifprop [-t] -p forwarding=on|off -m ipv4 IF
    ipadm create-if [-t] IF                    ipadm delete-if IF
    ipadm create-addr [-t] -T static [-d] -a [local=]ADDR[/PREFIX] IF/NAME
    ipadm create-addr [-t] -T dhcp [-w SECONDS|forever] [-1] IF/NAME
    ipadm create-addr [-t] -T addrconf IF/NAME
    ipadm delete-addr [-r] IF/NAME
    ipadm enable-addr -t IF/NAME               ipadm disable-addr -t IF/NAME

Parsable output follows libofmt (see dladm.py): `ipadm show-addr -p -o
addrobj,type,state,addr` escapes the colons of IPv6 addresses, a single
field is printed as is. For show-prop/show-ifprop the parsable flag is -c,
because -p names the properties. Only the `forwarding` property is
modelled. Changes go through the host model in network.py that the agent's
tasks use (create_address, delete_address, set_address_state,
create_ip_interface, delete_ip_interface, set_interface_forwarding), so the
agent's GET /network/addresses and /network/forwarding agree at once.

Unlike the agent's address deletion task, `ipadm delete-addr` leaves the IP
interface in place (`ipadm delete-if` removes it), and create-addr needs the
interface created first. Error texts are ipadm_status2str()'s as remembered
[mem]; every refusal exits 1 [mem].
"""
from __future__ import annotations

import ipaddress

from .. import network as model
from .dladm import flag, getopt, last, ofmt, select_fields, values_of

TOOL = "ipadm"
USAGE_RC = 1
USAGE = ("usage:  ipadm <subcommand> <args> ...\n"
         "    show-if, show-addr, show-prop, show-ifprop, set-prop, set-ifprop,\n"
         "    create-if, delete-if, create-addr, delete-addr, enable-addr, disable-addr")
IF_FIELDS = ("ifname", "class", "state", "current", "persistent", "over")
ADDR_FIELDS = ("addrobj", "type", "state", "current", "persistent", "addr")
PROP_FIELDS = ("proto", "property", "perm", "current", "persistent", "default", "possible")
IFPROP_FIELDS = ("ifname", "property", "proto", "perm", "current", "persistent", "default", "possible")
PROTOCOLS = ("ipv4", "ipv6")
PROPERTIES = ("forwarding",)
ON_OFF = {"enabled": "on", "disabled": "off"}
UNSET = "--"
UNSUPPORTED = ("up-addr", "down-addr", "refresh-addr", "set-addrprop", "show-addrprop", "reset-addrprop",
               "reset-prop", "reset-ifprop", "enable-if", "disable-if", "create-ipmp", "delete-ipmp", "add-ipmp",
               "remove-ipmp", "create-vni")


def is_mutating(inv) -> bool:
    return bool(inv.argv) and not inv.argv[0].startswith("show-")


def _single(inv, operands, usage):
    if len(operands) != 1:
        inv.fail(usage, USAGE_RC)
    return operands[0]


def _props(inv, opts, usage):
    """-p PROP[,...] of the show commands, checked against what is modelled."""
    names = [n.strip() for n in ",".join(values_of(opts, "p")).split(",") if n.strip()] or list(PROPERTIES)
    for name in names:
        if name not in PROPERTIES:
            inv.fail(f"ipadm: cannot get property '{name}': Unknown property")     # [mem]
    return names


def _protocol(inv, proto):
    if proto not in PROTOCOLS:
        inv.fail(f"ipadm: Invalid protocol '{proto}' specified")                   # [mem]
    return proto


def _assignment(inv, opts, usage):
    """-p forwarding=on|off (the one property modelled) -> 'on'/'off'."""
    pairs = ",".join(values_of(opts, "p"))
    key, sep, value = pairs.partition("=")
    if not sep or not key:
        inv.fail(usage, USAGE_RC)
    if key != "forwarding":
        inv.fail(f"ipadm: set-prop {key}: not supported by zoneweaver-sim (forwarding only)")
    if value not in ("on", "off"):
        inv.fail(f"ipadm: cannot set property 'forwarding' to '{value}': Invalid argument")   # [mem]
    return value


# --------------------------------------------------------------------------- reads


def _show_if(inv, args):
    usage = "usage: ipadm show-if [[-p] -o <field>,...] [<interface>]"
    opts, operands = getopt(inv, args, "po:", usage)
    parsable = flag(opts, "p")
    fields = select_fields(inv, opts, IF_FIELDS, parsable)
    st = inv.state
    names = sorted(st.ip_interfaces)
    if operands:
        name = _single(inv, operands, usage)
        if name not in st.ip_interfaces:
            inv.fail(f"ipadm: cannot get information for interface(s): Interface does not exist ({name})")   # [mem]
        names = [name]
    rows = []
    for name in names:
        loopback = name == "lo0"
        rows.append({"ifname": name, "class": "loopback" if loopback else "ip", "state": "ok",
                     "current": "-m46-v------" if loopback else "bm46--------",            # flags [mem]
                     "persistent": "-46", "over": UNSET})
    ofmt(inv, fields, rows, parsable)


def _addr_row(row) -> dict:
    ok = row["state"] == "ok"
    return {"addrobj": row["addrobj"], "type": row["type"], "state": row["state"],
            "current": "U----" if ok else "-----", "persistent": "U--",      # flags [mem]
            "addr": row["addr"] or UNSET}


def _show_addr(inv, args):
    usage = "usage: ipadm show-addr [[-p] -o <field>,...] [<addrobj> | <interface>]"
    opts, operands = getopt(inv, args, "po:", usage)
    parsable = flag(opts, "p")
    fields = select_fields(inv, opts, ADDR_FIELDS, parsable)
    st = inv.state
    rows = sorted(st.addresses.values(), key=lambda a: a["id"])
    if operands:
        target = _single(inv, operands, usage)
        if "/" in target:
            if target not in st.addresses:
                inv.fail("ipadm: Could not get address: Address object not found")           # [mem]
            rows = [st.addresses[target]]
        else:
            if target not in st.ip_interfaces:
                inv.fail("ipadm: Could not get address: Interface does not exist")          # [mem]
            rows = [a for a in rows if a["interface"] == target]
    ofmt(inv, fields, [_addr_row(row) for row in rows], parsable)


def _global_values(st, proto):
    entry = st.forwarding[proto]
    persistent = entry.get("persistent")
    return ON_OFF.get(entry.get("current"), "off"), ON_OFF.get(persistent, UNSET)


def _show_prop(inv, args):
    usage = "usage: ipadm show-prop [[-c] -o <field>,...] [-p <property>,...] <protocol>"
    opts, operands = getopt(inv, args, "co:p:", usage)
    parsable = flag(opts, "c")
    fields = select_fields(inv, opts, PROP_FIELDS, parsable, flag_name="-c")
    names = _props(inv, opts, usage)
    protos = [_protocol(inv, _single(inv, operands, usage))] if operands else list(PROTOCOLS)
    rows = []
    for proto in protos:
        current, persistent = _global_values(inv.state, proto)
        for name in names:
            rows.append({"proto": proto, "property": name, "perm": "rw", "current": current,
                         "persistent": persistent, "default": "off", "possible": "on,off"})
    ofmt(inv, fields, rows, parsable)


def _interface_values(st, name, proto):
    """(current, persistent) forwarding of an IP interface; only IPv4's is modelled."""
    if proto != "ipv4":
        return "off", UNSET
    entry = st.ip_interfaces[name]["forwarding"]
    return entry.get("current") or "off", entry.get("persistent") or UNSET


def _show_ifprop(inv, args):
    usage = ("usage: ipadm show-ifprop [[-c] -o <field>,...] [-p <property>,...] [-m <protocol>] "
             "[<interface>]")
    opts, operands = getopt(inv, args, "co:p:m:", usage)
    parsable = flag(opts, "c")
    fields = select_fields(inv, opts, IFPROP_FIELDS, parsable, flag_name="-c")
    names = _props(inv, opts, usage)
    proto = last(opts, "m")
    protos = [_protocol(inv, proto)] if proto else list(PROTOCOLS)
    st = inv.state
    interfaces = sorted(st.ip_interfaces)
    if operands:
        name = _single(inv, operands, usage)
        if name not in st.ip_interfaces:
            inv.fail(f"ipadm: cannot get property '{names[0]}' for '{name}': Interface does not exist")   # [mem]
        interfaces = [name]
    rows = []
    for ifname in interfaces:
        for name in names:
            for each in protos:
                current, persistent = _interface_values(st, ifname, each)
                rows.append({"ifname": ifname, "property": name, "proto": each, "perm": "rw", "current": current,
                             "persistent": persistent, "default": "off", "possible": "on,off"})
    ofmt(inv, fields, rows, parsable)


# --------------------------------------------------------------------------- changes


def _set_prop(inv, args):
    usage = "usage: ipadm set-prop [-t] -p <prop>=<value>[,...] <protocol>"
    opts, operands = getopt(inv, args, "tp:", usage)
    value = _assignment(inv, opts, usage)
    proto = _protocol(inv, _single(inv, operands, usage))
    entry = inv.state.forwarding[proto]
    word = "enabled" if value == "on" else "disabled"
    entry["current"] = word
    if not flag(opts, "t"):
        entry["persistent"] = word      # the same setting as routeadm's [mem]
    inv.state.dirty = True


def _set_ifprop(inv, args):
    usage = "usage: ipadm set-ifprop [-t] -p <prop>=<value>[,...] -m <protocol> <interface>"
    opts, operands = getopt(inv, args, "tp:m:", usage)
    value = _assignment(inv, opts, usage)
    proto = last(opts, "m")
    if proto is None:
        inv.fail("ipadm: protocol must be specified when setting interface properties (-m)", USAGE_RC)   # [mem]
    if _protocol(inv, proto) != "ipv4":
        inv.fail("ipadm: set-ifprop -m ipv6: not supported by zoneweaver-sim (IPv4 forwarding only)")
    model.set_interface_forwarding(inv.state, _single(inv, operands, usage), value, temporary=flag(opts, "t"))


def _create_if(inv, args):
    usage = "usage: ipadm create-if [-t] <interface>"
    operands = getopt(inv, args, "t", usage)[1]
    model.create_ip_interface(inv.sim, _single(inv, operands, usage))


def _delete_if(inv, args):
    usage = "usage: ipadm delete-if <interface>"
    operands = getopt(inv, args, "", usage)[1]
    model.delete_ip_interface(inv.sim, _single(inv, operands, usage))


def _classful(ip) -> int:
    """The prefix ipadm takes for an address given without one: the netmasks database,
    else the old class of an IPv4 address [mem]; /64 for IPv6 [mem]."""
    if ip.version == 6:
        return 64
    first = ip.packed[0]
    return 8 if first < 128 else 16 if first < 192 else 24


def _static_address(inv, text):
    spec = text[len("local="):] if text.startswith("local=") else text
    if "," in spec or "remote=" in text:
        inv.fail("ipadm: create-addr with a remote address: not supported by zoneweaver-sim")
    try:
        if "/" in spec:
            iface = ipaddress.ip_interface(spec)
            return f"{iface.ip}/{iface.network.prefixlen}"
        ip = ipaddress.ip_address(spec)
        return f"{ip}/{_classful(ip)}"
    except ValueError:
        return inv.fail("ipadm: cannot create address: Invalid argument provided")   # [mem]


def _create_addr(inv, args):
    usage = ("usage: ipadm create-addr [-t] -T static [-d] -a{local|remote}=addr[/prefixlen] <addrobj>\n"
             "       ipadm create-addr [-t] -T dhcp [-w <seconds> | forever] [-1] <addrobj>\n"
             "       ipadm create-addr [-t] -T addrconf [-i interface-id] <addrobj>")
    opts, operands = getopt(inv, args, "tT:a:dw:1i:h:", usage)
    addrobj = _single(inv, operands, usage)
    kind = last(opts, "T")
    if kind not in ("static", "dhcp", "addrconf"):
        inv.fail(usage, USAGE_RC)
    match = model.ADDROBJ_RE.match(addrobj)
    if not match:
        inv.fail("ipadm: cannot create address: Invalid argument provided")          # [mem]
    ctx = {"interface": match.group(1), "addrobj": addrobj, "type": kind, "address": None, "down": flag(opts, "d")}
    if kind == "static":
        if last(opts, "a") is None:
            inv.fail(usage, USAGE_RC)
        ctx["address"] = _static_address(inv, last(opts, "a"))
    elif last(opts, "a") is not None or flag(opts, "d"):
        inv.fail(usage, USAGE_RC)
    model.create_address(inv.sim, ctx)


def _delete_addr(inv, args):
    usage = "usage: ipadm delete-addr [-r] <addrobj>"
    operands = getopt(inv, args, "r", usage)[1]
    model.delete_address(inv.sim, _single(inv, operands, usage))


def _address_state(state, verb):
    def handler(inv, args):
        usage = f"usage: ipadm {verb}-addr -t <addrobj>"
        opts, operands = getopt(inv, args, "t", usage)
        addrobj = _single(inv, operands, usage)
        if not flag(opts, "t"):
            inv.fail(f"ipadm: persistent operation not supported for {verb}-addr")    # [mem]
        model.set_address_state(inv.sim, addrobj, state, verb)
    return handler


SUBCOMMANDS = {
    "show-if": _show_if, "show-addr": _show_addr, "show-prop": _show_prop, "show-ifprop": _show_ifprop,
    "set-prop": _set_prop, "set-ifprop": _set_ifprop, "create-if": _create_if, "delete-if": _delete_if,
    "create-addr": _create_addr, "delete-addr": _delete_addr,
    "enable-addr": _address_state("ok", "enable"), "disable-addr": _address_state("disabled", "disable"),
}


def run(inv):
    if not inv.argv:
        inv.fail(USAGE, USAGE_RC)
    sub, args = inv.argv[0], inv.argv[1:]
    if sub in UNSUPPORTED:
        inv.fail(f"ipadm: {sub}: not supported by zoneweaver-sim")
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        inv.fail(f"ipadm: unknown subcommand '{sub}'\n{USAGE}", USAGE_RC)        # [mem]
    return handler(inv, args)
