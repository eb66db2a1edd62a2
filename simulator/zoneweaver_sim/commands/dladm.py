"""`dladm`: the simulated host's datalinks (illumos-native.md 1.5).

    dladm show-link [-P] [-p] [-o FIELDS] [LINK]
    dladm show-phys [-m] [-P] [-p] [-o FIELDS] [LINK]
    dladm show-vnic [-P] [-p] [-o FIELDS] [-l LINK] [VNIC]
    dladm show-etherstub [-p] [-o link] [ETHERSTUB]
    dladm show-vlan [-P] [-p] [-o FIELDS] [VLAN]
    dladm show-linkprop [-P] [-c] [-o FIELDS] [-p PROP[,...]] [LINK]
    dladm create-vnic [-t] -l LINK [-m auto|random|factory|MAC] [-r PREFIX] [-n SLOT] [-v VID]
                      [-p PROP=VALUE[,...]] VNIC
    dladm delete-vnic [-t] VNIC
    dladm create-etherstub [-t] NAME          dladm delete-etherstub [-t] NAME
    dladm create-vlan [-f] [-t] -l LINK -v VID [NAME]
    dladm delete-vlan [-t] NAME
    dladm set-linkprop [-t] -p PROP=VALUE[,...] VNIC

Output follows libofmt: with -p (-c for show-linkprop) the fields are joined
by ':', and ':' and '\\' are escaped only when more than one field is printed;
'--' marks an unset value; MAC octets have no leading zeros. Without -p a
header of upper-cased field names and padded columns (widths approximate).

Every change goes through the host model in network.py that the agent's
tasks use (create_vnic, delete_link, create_etherstub, create_vlan,
set_link_props), so a VNIC made here is in GET /network/vnics after the
list lag, and one made through the agent is in `dladm show-vnic` at once.
Rules and texts are the model's: a link name starts with a letter and ends
in a digit, the link under a VNIC must exist, a link held by a zone or
carrying an IP interface is "link busy", an etherstub with VNICs too.

Options must come before operands (illumos getopt does not permute [mem]).
Exit code 1 for every refusal; usage errors too [mem].
"""
from __future__ import annotations

from .. import network as model

TOOL = "dladm"
USAGE_RC = 1        # [mem] dladm's usage() exits with EXIT_FAILURE
USAGE = ("usage:  dladm <subcommand> <args> ...\n"
         "    show-link, show-phys, show-vnic, show-etherstub, show-vlan, show-linkprop,\n"
         "    create-vnic, delete-vnic, create-etherstub, delete-etherstub, create-vlan, delete-vlan,\n"
         "    set-linkprop")

LINK_FIELDS = ("link", "class", "mtu", "state", "bridge", "over")
PHYS_FIELDS = ("link", "media", "state", "speed", "duplex", "device")
PHYS_MAC_FIELDS = ("link", "slot", "address", "inuse", "client")       # show-phys -m [mem]
VNIC_FIELDS = ("link", "over", "speed", "macaddress", "macaddrtype", "vid", "zone")
ETHERSTUB_FIELDS = ("link",)
VLAN_FIELDS = ("link", "vid", "over", "flags")
LINKPROP_FIELDS = ("link", "property", "perm", "value", "default", "possible")
UNSET = "--"
UNSUPPORTED = ("create-aggr", "delete-aggr", "modify-aggr", "add-aggr", "remove-aggr", "show-aggr", "rename-link",
               "reset-linkprop", "create-iptun", "delete-iptun", "create-bridge", "delete-bridge", "create-overlay",
               "delete-overlay", "create-simnet", "delete-simnet", "modify-vnic", "show-usage", "show-wifi")


def is_mutating(inv) -> bool:
    return bool(inv.argv) and not inv.argv[0].startswith("show-")


# --------------------------------------------------------------------------- shared with ipadm.py


def getopt(inv, args, optstring, usage, rc=USAGE_RC):
    """POSIX getopt: clustered flags (-tf), values as -lLINK or -l LINK; stops at
    '--' or the first operand. Returns ([(letter, value or None)], operands)."""
    found, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        j = 1
        while j < len(arg):
            letter = arg[j]
            at = optstring.find(letter)
            if at < 0 or letter == ":":
                inv.fail(f"{inv.tool}: illegal option -- {letter}\n{usage}", rc)
            if optstring[at + 1:at + 2] == ":":
                value = arg[j + 1:]
                if not value:
                    i += 1
                    if i >= len(args):
                        inv.fail(f"{inv.tool}: option requires an argument -- {letter}\n{usage}", rc)
                    value = args[i]
                found.append((letter, value))
                break
            found.append((letter, None))
            j += 1
        i += 1
    return found, args[i:]


def values_of(opts, letter):
    return [value for key, value in opts if key == letter]


def flag(opts, letter) -> bool:
    return any(key == letter for key, _value in opts)


def last(opts, letter):
    found = values_of(opts, letter)
    return found[-1] if found else None


def select_fields(inv, opts, known, parsable, flag_name="-p", letter="o"):
    """The -o field list (comma separated, case-insensitive, `all`); -p needs it."""
    wanted = values_of(opts, letter)
    if not wanted:
        if parsable:
            inv.fail(f"{inv.tool}: {flag_name} requires -o")     # [src man] "-p requires -o"; wording [mem]
        return list(known)
    fields = []
    for item in ",".join(wanted).split(","):
        name = item.strip().lower()
        if name == "all":
            fields.extend(known)
        elif name in known:
            fields.append(name)
        else:
            inv.fail(f"{inv.tool}: invalid field(s) specified: {item}")   # [mem] ofmt's wording
    return fields


def ofmt(inv, fields, rows, parsable) -> None:
    """Print rows (dicts of text) as libofmt does."""
    if parsable:
        for row in rows:
            values = [str(row[f]) for f in fields]
            if len(fields) > 1:
                values = [v.replace("\\", "\\\\").replace(":", "\\:") for v in values]
            inv.out(":".join(values))
        return
    widths = [max([len(f)] + [len(str(row[f])) for row in rows]) for f in fields]
    inv.out(" ".join(f.upper().ljust(w) for f, w in zip(fields, widths)).rstrip())
    for row in rows:
        inv.out(" ".join(str(row[f]).ljust(w) for f, w in zip(fields, widths)).rstrip())


def _text(value) -> str:
    return UNSET if value in (None, "") else str(value)


# --------------------------------------------------------------------------- reads


def _links(inv, cls=None, persistent=False):
    """The host's links, sorted (-P: only those that survive a reboot)."""
    st = inv.state
    out = []
    for name in sorted(st.links):
        link = st.links[name]
        if cls is not None and link["class"] != cls:
            continue
        if persistent and link.get("temporary"):
            continue
        out.append(link)
    return out


def _one(inv, links, name, cls_word):
    """Only `name` of `links`, or dladm's not-found error."""
    if name is None:
        return links
    chosen = [link for link in links if link["name"] == name]
    if not chosen:
        if cls_word == "link":
            inv.fail(f"dladm: invalid link name '{name}'")                       # [mem]
        inv.fail(f"dladm: invalid {cls_word} name '{name}': object not found")   # [tool] for vnic; others [mem]
    return chosen


def _operand(inv, operands, usage):
    if len(operands) > 1:
        inv.fail(f"{usage}", USAGE_RC)
    return operands[0] if operands else None


def _link_row(link) -> dict:
    over = link.get("over") if link["class"] in ("vnic", "vlan") else None
    return {"link": link["name"], "class": link["class"], "mtu": str(int(link.get("mtu") or 1500)),
            "state": link.get("state") or "unknown", "bridge": UNSET, "over": _text(over)}


def _show_link(inv, args):
    usage = "usage: dladm show-link [-P] [[-p] -o <field>,...] [<link>]"
    opts, operands = getopt(inv, args, "Ppo:s", usage)
    parsable = flag(opts, "p")
    fields = select_fields(inv, opts, LINK_FIELDS, parsable)
    links = _one(inv, _links(inv, persistent=flag(opts, "P")), _operand(inv, operands, usage), "link")
    ofmt(inv, fields, [_link_row(link) for link in links], parsable)


def _show_phys(inv, args):
    usage = "usage: dladm show-phys [-m | -H | -P] [[-p] -o <field>,...] [<link>]"
    opts, operands = getopt(inv, args, "mHPpo:", usage)
    parsable = flag(opts, "p")
    name = _operand(inv, operands, usage)
    links = _links(inv, "phys", persistent=flag(opts, "P"))
    if name is not None and name not in [link["name"] for link in links]:
        inv.fail(f"dladm: invalid link name '{name}'")                           # [mem]
    links = [link for link in links if name is None or link["name"] == name]
    if flag(opts, "m"):
        fields = select_fields(inv, opts, PHYS_MAC_FIELDS, parsable)
        rows = [{"link": link["name"], "slot": "primary", "address": _text(link.get("mac")), "inuse": "yes",
                 "client": link["name"]} for link in links]
    else:
        fields = select_fields(inv, opts, PHYS_FIELDS, parsable)
        rows = [{"link": link["name"], "media": link.get("media") or "Ethernet", "state": link.get("state") or "unknown",
                 "speed": str(int(link.get("speed") or 0)), "duplex": link.get("duplex") or "unknown",
                 "device": link.get("device") or link["name"]} for link in links]
    ofmt(inv, fields, rows, parsable)


def _vnic_row(inv, link) -> dict:
    return {"link": link["name"], "over": _text(link.get("over")), "speed": str(int(link.get("speed") or 0)),
            "macaddress": _text(link.get("mac")), "macaddrtype": _text(link.get("macaddrtype")),
            "vid": str(int(link.get("vid") or 0)), "zone": _text(link.get("zone"))}


def _show_vnic(inv, args):
    usage = "usage: dladm show-vnic [-pP] [-s [-i <interval>]] [-l <link>] [-o <field>,...] [<vnic-link>]"
    opts, operands = getopt(inv, args, "pPo:l:", usage)
    parsable = flag(opts, "p")
    fields = select_fields(inv, opts, VNIC_FIELDS, parsable)
    links = _links(inv, "vnic", persistent=flag(opts, "P"))
    over = last(opts, "l")
    if over is not None:
        if over not in inv.state.links:
            inv.fail(f"dladm: invalid link name '{over}'")                       # [mem]
        links = [link for link in links if link.get("over") == over]
    links = _one(inv, links, _operand(inv, operands, usage), "vnic")
    ofmt(inv, fields, [_vnic_row(inv, link) for link in links], parsable)


def _show_etherstub(inv, args):
    usage = "usage: dladm show-etherstub [<etherstub>]"
    opts, operands = getopt(inv, args, "pPo:", usage)
    parsable = flag(opts, "p")
    # ZWA runs plain `-p` (without -o) and gets the names [tool]; the man page lists no options.
    fields = select_fields(inv, opts, ETHERSTUB_FIELDS, False)
    links = _one(inv, _links(inv, "etherstub", persistent=flag(opts, "P")), _operand(inv, operands, usage),
                 "etherstub")
    ofmt(inv, fields, [{"link": link["name"]} for link in links], parsable)


def _show_vlan(inv, args):
    usage = "usage: dladm show-vlan [-pP] [-o <field>,...] [<vlan-link>]"
    opts, operands = getopt(inv, args, "pPo:", usage)
    parsable = flag(opts, "p")
    fields = select_fields(inv, opts, VLAN_FIELDS, parsable)
    links = _one(inv, _links(inv, "vlan", persistent=flag(opts, "P")), _operand(inv, operands, usage), "vlan")
    rows = [{"link": link["name"], "vid": str(int(link.get("vid") or 0)), "over": _text(link.get("over")),
             "flags": "-----"} for link in links]                               # FLAGS format [mem]
    ofmt(inv, fields, rows, parsable)


def _prop_rows(inv, link, names):
    """show-linkprop rows of one link: a VNIC's properties are the model's (VNIC_PROPS);
    other links show mtu only."""
    if link["class"] == "vnic":
        rows = model.Network(inv.sim)._prop_rows(link)
    else:
        rows = [{"property": "mtu", "value": str(int(link.get("mtu") or 1500)), "default": "1500",
                 "possible": ["576-9000"]}]
    known = {row["property"]: row for row in rows}
    if names:
        for name in names:
            if name not in known:
                inv.fail(f"dladm: invalid link property '{name}'")              # [mem]
        rows = [known[name] for name in names]
    return [{"link": link["name"], "property": row["property"],
             "perm": "r-" if row["property"] in model.READONLY_PROPS else "rw", "value": _text(row["value"]),
             "default": _text(row["default"]), "possible": _text(",".join(row["possible"]))} for row in rows]


def _show_linkprop(inv, args):
    usage = "usage: dladm show-linkprop [-cP] [-o <field>,...] [-p <prop>,...] [<name>]"
    opts, operands = getopt(inv, args, "cPo:p:", usage)
    parsable = flag(opts, "c")      # -p names properties here, so the parsable flag is -c
    fields = select_fields(inv, opts, LINKPROP_FIELDS, parsable, flag_name="-c")
    names = [n.strip() for n in ",".join(values_of(opts, "p")).split(",") if n.strip()]
    links = _one(inv, _links(inv, persistent=flag(opts, "P")), _operand(inv, operands, usage), "link")
    rows = []
    for link in links:
        rows.extend(_prop_rows(inv, link, names))
    ofmt(inv, fields, rows, parsable)


# --------------------------------------------------------------------------- changes


def parse_props(inv, texts) -> dict:
    """-p 'k=v,k2=v2,v3' (several -p are joined with ','): a token without '='
    is one more value of the property before it, as libdladm reads lists [mem]."""
    props, key = {}, None
    for token in ",".join(texts).split(","):
        if "=" in token:
            key, _sep, value = token.partition("=")
            key = key.strip()
            if not key:
                inv.fail("dladm: invalid link properties specified")             # [mem]
            props[key] = value
        elif key is not None and token:
            props[key] = props[key] + "," + token if props[key] else token
        elif token:
            inv.fail("dladm: invalid link properties specified")                 # [mem]
    return props


def _name_operand(inv, operands, usage):
    if len(operands) != 1:
        inv.fail(usage, USAGE_RC)
    return operands[0]


def _create_vnic(inv, args):
    usage = ("usage: dladm create-vnic [-t] -l <link> [-m <value> | auto |\n"
             "    {factory [-n <slot-id>]} | {random [-r <prefix>]} | {vrrp -V <vrid> -A {inet | inet6}}]\n"
             "    [-v <vid> [-f]] [-p <prop>=<value>[,...]] [-R <root-dir>] <vnic-link>")
    opts, operands = getopt(inv, args, "tfl:m:n:r:v:p:R:", usage)
    name = _name_operand(inv, operands, usage)
    over = last(opts, "l")
    if over is None:
        inv.fail(usage, USAGE_RC)
    mode = last(opts, "m") or "auto"
    prefix, slot = last(opts, "r"), last(opts, "n")
    if prefix is not None and mode != "random":
        inv.fail(usage, USAGE_RC)
    if slot is not None and mode != "factory":
        inv.fail(usage, USAGE_RC)
    if mode == "vrrp":
        inv.fail("dladm: create-vnic -m vrrp: not supported by zoneweaver-sim")
    if prefix is not None and model.parse_mac(prefix + ":0:0:0") is None:
        inv.fail(f"dladm: invalid MAC address prefix '{prefix}'")                # [mem]
    model.create_vnic(inv.sim, {"name": name, "link": over, "mac_address": mode, "mac_prefix": prefix,
                                "slot": slot if slot is not None else ("1" if mode == "factory" else None),   # [mem] first free slot
                                "vlan_id": last(opts, "v"), "temporary": flag(opts, "t"),
                                "properties": parse_props(inv, values_of(opts, "p"))})


def _delete(cls, what):
    def handler(inv, args):
        usage = f"usage: dladm delete-{cls} [-t] [-R <root-dir>] <{cls}-link>"
        operands = getopt(inv, args, "tR:", usage)[1]
        model.delete_link(inv.sim, _name_operand(inv, operands, usage), cls, what)
    return handler


def _create_etherstub(inv, args):
    usage = "usage: dladm create-etherstub [-t] [-R <root-dir>] <link>"
    opts, operands = getopt(inv, args, "tR:", usage)
    model.create_etherstub(inv.sim, _name_operand(inv, operands, usage), flag(opts, "t"))


def _create_vlan(inv, args):
    usage = "usage: dladm create-vlan [-ft] [-R <root-dir>] -l <link> -v <vid> [<vlan-link>]"
    opts, operands = getopt(inv, args, "ftR:l:v:p:", usage)
    over, vid = last(opts, "l"), last(opts, "v")
    if over is None or vid is None or len(operands) > 1:
        inv.fail(usage, USAGE_RC)
    # dladm derives a missing name itself; the simulator uses the agent's rule [mem]
    name = operands[0] if operands else model.vlan_default_name(over, vid)
    model.create_vlan(inv.sim, {"name": name, "link": over, "vid": vid, "temporary": flag(opts, "t")})


def _set_linkprop(inv, args):
    usage = "usage: dladm set-linkprop [-t] -p <prop>=<value>[,...] [-R <root-dir>] <link>"
    opts, operands = getopt(inv, args, "tp:R:", usage)
    name = _name_operand(inv, operands, usage)
    props = parse_props(inv, values_of(opts, "p"))
    if not props:
        inv.fail(usage, USAGE_RC)
    link = inv.state.links.get(name)
    if link is not None and link["class"] != "vnic":
        inv.fail(f"dladm: set-linkprop on a {link['class']} link: not supported by zoneweaver-sim (VNICs only)")
    model.set_link_props(inv.sim, name, props)


SUBCOMMANDS = {
    "show-link": _show_link, "show-phys": _show_phys, "show-vnic": _show_vnic, "show-etherstub": _show_etherstub,
    "show-vlan": _show_vlan, "show-linkprop": _show_linkprop,
    "create-vnic": _create_vnic, "delete-vnic": _delete("vnic", "vnic"),
    "create-etherstub": _create_etherstub, "delete-etherstub": _delete("etherstub", "etherstub"),
    "create-vlan": _create_vlan, "delete-vlan": _delete("vlan", "VLAN"),
    "set-linkprop": _set_linkprop,
}


def run(inv):
    if not inv.argv:
        inv.fail(USAGE, USAGE_RC)
    sub, args = inv.argv[0], inv.argv[1:]
    if sub in UNSUPPORTED:
        inv.fail(f"dladm: {sub}: not supported by zoneweaver-sim")
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        inv.fail(f"dladm: unknown subcommand '{sub}'\n{USAGE}", USAGE_RC)        # [mem]
    return handler(inv, args)
