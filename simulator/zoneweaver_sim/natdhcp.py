"""Network, part 2 (agent-api.md section 4): IP Filter NAT and the ISC DHCP
server.  The host state keeps what /etc/ipf/ipnat.conf and /etc/dhcpd.conf
hold (as the agent's rows) and the two SMF services; mutations are tasks in
the network_nat / network_dhcp categories whose output shows the files the
agent rewrote and the svcadm/svccfg commands it ran.

The controllers (the agent's NatController and DhcpController) check only that
the required fields are there; everything else (the NAT type, addresses, MACs)
goes into the task as given, and what the tools refuse fails there.

The host's side, shared with the fake commands (commands/ipnat, svcs, svcadm,
svccfg), so both faces see one host:
- Files are real files under the simulator's files root (`sim.files_root`:
  $ZONEWEAVER_SIM_ROOT, else <state_dir>/root), at the paths the services'
  SMF properties name (config/ipnat_config_file of ipfilter, config/config_file
  of dhcp:ipv4; defaults <root>/etc/ipf/ipnat.conf and <root>/etc/dhcpd.conf).
  The agent's tasks rewrite those files whole (as ZWA does), the native
  modules edit them in place; both are read back by the services below. The
  simulator must therefore run on the machine where the files are written.
- SMF instances svc:/network/ipfilter:default and svc:/network/service/dhcp:ipv4
  (st.nat["service"], st.dhcp["service"]: state, since, enabled, reason,
  props). Starting IP Filter loads the rules of its file into the kernel
  (st.nat["loaded"], what `ipnat -l` lists); a file ipnat cannot parse puts it
  in maintenance. Starting dhcpd checks its file (syntax, at least one subnet
  declaration); a failure puts it in maintenance. enable leaves an instance in
  maintenance there (svcadm clear is needed); disable always works; restart
  acts only on a running instance; refresh reloads IP Filter's rules and only
  re-reads properties for dhcpd [mem: dhcpd has no reload].
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone

from .network import body_of, js_str, js_truthy
from .server import Response, error
from .tasks import TaskFailure, add_line, queue_host_task, task_created
from .util import new_uuid, now_iso

NAT_CONF = "/etc/ipf/ipnat.conf"
DHCP_CONF = "/etc/dhcpd.conf"
DHCP_LEASES = "/var/db/dhcpd.leases"
DHCP_ACTIONS = ("start", "stop", "refresh", "restart")
DHCP_FMRI = "svc:/network/service/dhcp:ipv4"
DHCP_SERVICE = "network/service/dhcp:ipv4"
IPFILTER_FMRI = "svc:/network/ipfilter:default"
IPNAT_PROP = "config/ipnat_config_file"
DHCP_CONFIG_PROP = "config/config_file"
DHCP_LEASE_PROP = "config/lease_file"
LISTEN_PROP = "config/listen_ifnames"
ROOT_ENV = "ZONEWEAVER_SIM_ROOT"
# The SMF instances the simulated host has: FMRI -> the HostState attribute holding it.
SMF_INSTANCES = {IPFILTER_FMRI: "nat", DHCP_FMRI: "dhcp"}
# an ipnat address: a.b.c.d[/n] or ipnat's short forms 0/32, 0/0 [mem]
NAT_ADDR_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){0,3}(/\d{1,2})?$")


def _out(t, *lines):
    for line in lines:
        add_line(t, line)


def _noop(sim, t):
    pass


def _commands_begin(sim, t):
    _out(t, *t["_ctx"].get("commands", []))


def _svc_set(svc: dict, state: str) -> None:
    if svc.get("state") != state:
        svc["state"] = state
        svc["since"] = now_iso()


def svcs_stime(iso: str | None, now: datetime | None = None) -> str | None:
    """svcs's STIME column for a state change at `iso`: HH:MM:SS within the last
    24 hours, Mon_DD within the year, else the year [mem: svcs.c]."""
    if not iso:
        return None
    then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    age = ((now or datetime.now(timezone.utc)) - then).total_seconds()
    if age < 24 * 3600:
        return then.strftime("%H:%M:%S")
    return then.strftime("%b_%d") if age < 365 * 24 * 3600 else then.strftime("%Y")


def svcs_status(svc: dict) -> tuple[str, str | None, str]:
    """`svcs -H -o state,stime FMRI`, trimmed as the agent's executeCommand does:
    (state, since, raw); `since` is the STIME word, `raw` the whole line (no FMRI:
    it was not asked for)."""
    stime = svcs_stime(svc.get("since"))
    raw = f"{svc['state']:<14} {stime}" if stime else svc["state"]
    return svc["state"], stime, raw


# --------------------------------------------------------------------------- host files


def files_root(sim) -> str:
    """The directory standing for the simulated host's `/` (created on first use)."""
    root = getattr(sim, "files_root", None)
    if not root:
        root = os.environ.get(ROOT_ENV) or os.path.join(sim.state_dir, "root")
        sim.files_root = root
    return root


def host_path(sim, path: str) -> str:
    """Where the simulated host's `path` (e.g. /etc/dhcpd.conf) is on this machine."""
    return os.path.join(files_root(sim), path.lstrip("/"))


def seed_files(sim) -> None:
    """A fresh OmniOS has /etc/ipf (empty ipnat.conf not shipped [mem]) and /var/db."""
    for directory in ("/etc/ipf", "/var/db"):
        os.makedirs(host_path(sim, directory), exist_ok=True)


def read_host_file(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def read_file_operand(inv, name: str, missing: str) -> str:
    """A config file named on a fake command's line: stdin (`-`), a file the shim sent along, or a host file.
    `missing` is the tool's own message for an absent file; the command then fails with exit code 1."""
    if name in ("-", "/dev/stdin"):
        return inv.stdin
    if name in inv.files:
        return inv.files[name]
    text = read_host_file(name)
    if text is None:
        inv.fail(missing, 1)
    return text


def write_host_file(path: str, text: str) -> None:
    """Replace a host file whole (temp + rename), as the agent's tasks do."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.zwsim-tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- SMF


def smf_fmris(sim) -> list[str]:
    """The SMF instances the host has now (an instance delivered by a package exists only while it is installed)."""
    return [f for f in SMF_INSTANCES if f not in PRESENT or PRESENT[f](sim)]


def smf_instance(sim, fmri: str) -> dict:
    svc = getattr(sim.state, SMF_INSTANCES[fmri])["service"]
    svc.setdefault("enabled", svc.get("state") not in ("disabled", None))
    return svc


def smf_props(sim, fmri: str) -> list[tuple[str, str, list[str]]]:
    """[(name, type, values)] of the instance's `config` property group."""
    svc = smf_instance(sim, fmri)
    if fmri == IPFILTER_FMRI:
        defaults = [(IPNAT_PROP, "astring", [host_path(sim, NAT_CONF)])]
    elif fmri != DHCP_FMRI:
        defaults = []
    else:
        listen = listen_ifnames(sim.state)
        defaults = [(DHCP_CONFIG_PROP, "astring", [host_path(sim, DHCP_CONF)]),
                    (DHCP_LEASE_PROP, "astring", [host_path(sim, DHCP_LEASES)]),
                    (LISTEN_PROP, "astring", listen.split() if listen else [])]
    stored = svc.get("props") or {}
    props = [(name, *stored.get(name, (ptype, values))) for name, ptype, values in defaults]
    props += [(name, ptype, list(values)) for name, (ptype, values) in stored.items()
              if name not in {p[0] for p in defaults}]
    return props


def smf_prop(sim, fmri: str, name: str) -> list[str]:
    return next((values for pname, _ptype, values in smf_props(sim, fmri) if pname == name), [])


def smf_setprop(sim, fmri: str, name: str, ptype: str, values: list[str]) -> None:
    svc = smf_instance(sim, fmri)
    if fmri == DHCP_FMRI and name == LISTEN_PROP:
        sim.state.dhcp["listen_interface"] = " ".join(values) or None   # the agent face reads it there
        (svc.get("props") or {}).pop(name, None)
    else:
        svc.setdefault("props", {})[name] = [ptype, list(values)]
    sim.state.dirty = True


def smf_delprop(sim, fmri: str, name: str) -> bool:
    svc = smf_instance(sim, fmri)
    if fmri == DHCP_FMRI and name == LISTEN_PROP:
        found = sim.state.dhcp.get("listen_interface") is not None
        sim.state.dhcp["listen_interface"] = None
        return found
    return (svc.get("props") or {}).pop(name, None) is not None


def nat_config_path(sim) -> str:
    return (smf_prop(sim, IPFILTER_FMRI, IPNAT_PROP) or [host_path(sim, NAT_CONF)])[0]


def dhcp_config_path(sim) -> str:
    return (smf_prop(sim, DHCP_FMRI, DHCP_CONFIG_PROP) or [host_path(sim, DHCP_CONF)])[0]


def _ipf_start(sim) -> str | None:
    """Load ipnat.conf into the kernel; the error that stops IP Filter, if any.
    No file means no NAT rules [mem: the method loads ipnat.conf only if it exists]."""
    st = sim.state
    path = nat_config_path(sim)
    text = read_host_file(path)
    rules, error = parse_ipnat(text or "")
    if error:
        st.nat["loaded"] = []
        return f"ipnat: {path}: {error}"
    st.nat["loaded"] = rules
    from .commands.ipf import load_filter_file   # the method loads ipf.conf too (commands/ipf.py)
    return load_filter_file(sim)


def _dhcpd_start(sim) -> str | None:
    """dhcpd reads its configuration when it starts; the error that stops it, if any."""
    path = dhcp_config_path(sim)
    text = read_host_file(path)
    if text is None:
        return f"dhcpd: Can't open {path}: No such file or directory"
    subnets, error = check_dhcpd(text)
    if error:
        return f"dhcpd: {path} {error}"
    if not subnets:
        return "dhcpd: No subnet declaration for the listening interfaces"
    return None


STARTERS = {IPFILTER_FMRI: _ipf_start, DHCP_FMRI: _dhcpd_start}
# Instances registered by other models (agentsvc.py): how they stop, whether refresh re-reads
# their configuration, and whether they exist at all (delivered by a package).
STOPPERS: dict = {}
RELOADERS: dict = {}
PRESENT: dict = {}


def _svc_start(sim, fmri: str) -> str | None:
    svc = smf_instance(sim, fmri)
    error = STARTERS[fmri](sim)
    if error:
        _svc_set(svc, "maintenance")
        svc["reason"] = error
    else:
        _svc_set(svc, "online")
        svc.pop("reason", None)
    sim.state.dirty = True
    return error


def svc_enable(sim, fmri: str) -> str | None:
    """svcadm enable: a disabled instance starts (the error, if it fails); one in
    maintenance stays there until svcadm clear."""
    svc = smf_instance(sim, fmri)
    svc["enabled"] = True
    sim.state.dirty = True
    if svc["state"] in ("disabled", "uninitialized"):
        return _svc_start(sim, fmri)
    return None


def svc_disable(sim, fmri: str) -> None:
    svc = smf_instance(sim, fmri)
    svc["enabled"] = False
    svc.pop("reason", None)
    _svc_set(svc, "disabled")
    if fmri == IPFILTER_FMRI:
        sim.state.nat["loaded"] = []    # stopping IP Filter flushes its rules [mem]
    if fmri in STOPPERS:
        STOPPERS[fmri](sim)
    sim.state.dirty = True


def svc_refresh(sim, fmri: str) -> str | None:
    """IP Filter's refresh method reloads the files (a bad file: maintenance [mem]);
    dhcpd has no reload, refresh only updates the running properties [mem]."""
    svc = smf_instance(sim, fmri)
    if (fmri == IPFILTER_FMRI or fmri in RELOADERS) and svc["state"] in ("online", "degraded"):
        return _svc_start(sim, fmri)
    return None


def svc_restart(sim, fmri: str) -> str | None:
    """Stop and start a running instance; SMF ignores a restart of any other [mem]."""
    if smf_instance(sim, fmri)["state"] in ("online", "degraded"):
        return _svc_start(sim, fmri)
    return None


def svc_clear(sim, fmri: str) -> str | None:
    """From maintenance: start again (if enabled); from degraded: online. ValueError otherwise."""
    svc = smf_instance(sim, fmri)
    if svc["state"] == "maintenance":
        svc.pop("reason", None)
        if svc.get("enabled", True):
            return _svc_start(sim, fmri)
        _svc_set(svc, "disabled")
        return None
    if svc["state"] == "degraded":
        _svc_set(svc, "online")
        return None
    raise ValueError(f'Instance "{fmri}" is not in a maintenance or degraded state.')


def svc_mark(sim, fmri: str, state: str) -> None:
    svc = smf_instance(sim, fmri)
    _svc_set(svc, state)
    svc["reason"] = "Maintenance requested by an administrator." if state == "maintenance" else svc.get("reason")
    sim.state.dirty = True


# --------------------------------------------------------------------------- what the tools parse


def _octets_ok(text: str, minimum: int = 1) -> bool:
    parts = text.split(".")
    return minimum <= len(parts) <= 4 and all(p.isdigit() and int(p) <= 255 for p in parts)


def nat_address_ok(token: str) -> bool:
    """An ipnat address: a.b.c.d[/n|/mask] or ipnat's short forms (0/32, 10/8) [mem]."""
    addr, slash, mask = token.partition("/")
    if not _octets_ok(addr):
        return False
    if not slash:
        return True
    return (mask.isdigit() and int(mask) <= 32) or (mask.count(".") == 3 and _octets_ok(mask, 4))


NAT_KINDS = ("map", "bimap", "rdr", "map-block", "rewrite")
NAT_PROTOCOLS = ("tcp", "udp", "tcp/udp", "tcpudp", "icmp")
# words that may follow a map rule's target, and whether they take an argument [mem: ipnat.conf(5)]
MAP_OPTIONS = {"proxy": True, "icmpidmap": True, "mssclamp": True, "age": True, "sequential": False,
               "frag": False, "purge": False}
RDR_OPTIONS = ("round-robin", "frag", "sticky", "mssclamp", "age", "purge")


def _ports_ok(text: str) -> bool:
    low, _dash, high = text.partition("-")
    return low.isdigit() and (not high or high.isdigit())


def _rule_error(tokens: list[str]) -> str | None:
    kind = tokens[0]
    if kind not in NAT_KINDS:
        return f"unknown rule type '{kind}'"
    if kind == "rewrite":
        return None     # not modelled: accepted as written
    if "->" not in tokens:
        return "expected '->'"
    arrow = tokens.index("->")
    left, right = tokens[2:arrow], tokens[arrow + 1:]
    if arrow < 2 or not left or not right:
        return "incomplete rule"
    if kind == "rdr":
        if not nat_address_ok(left[0]) or left[1:2] not in ([], ["port"]) or (
                left[1:] and (len(left) != 3 or not _ports_ok(left[2]))):
            return f"syntax error at '{' '.join(left)}'"
        if not all(nat_address_ok(a) for a in right[0].split(",")):
            return f"bad address '{right[0]}'"
        rest = right[1:]
        if rest[:1] == ["port"]:
            if len(rest) < 2 or not _ports_ok(rest[1]):
                return "bad port"
            rest = rest[2:]
        if rest and rest[0] in NAT_PROTOCOLS:
            rest = rest[1:]
        bad = [w for w in rest if w not in RDR_OPTIONS and not w.isdigit()]
        return f"syntax error at '{bad[0]}'" if bad else None
    if left[0] == "from":
        return None     # the from/to form is not modelled: accepted as written
    if len(left) != 1 or not nat_address_ok(left[0]):
        return f"bad address '{' '.join(left)}'"
    if not nat_address_ok(right[0]):
        return f"bad address '{right[0]}'"
    rest = right[1:]
    while rest:
        word = rest[0]
        if word == "portmap":
            if len(rest) < 3 or rest[1] not in NAT_PROTOCOLS or not (rest[2] == "auto" or re.fullmatch(r"\d+:\d+", rest[2])):
                return "portmap needs a protocol (tcp, udp, tcp/udp) and 'auto' or a port range"
            rest = rest[3:]
        elif word in MAP_OPTIONS:
            rest = rest[2:] if MAP_OPTIONS[word] else rest[1:]
        else:
            return f"syntax error at '{word}'"
    return None


def parse_ipnat(text: str) -> tuple[list[str], str | None]:
    """ipnat.conf -> (the rules, whitespace-normalised, in order; the first error or None)."""
    rules = []
    for number, line in enumerate(str(text or "").splitlines(), 1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        error = _rule_error(tokens)
        if error:
            return [], f"{error} on line {number}: {line.strip()}"
        rules.append(" ".join(tokens))
    return rules, None


_DHCP_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{};]|[^\s{};"#]+|#[^\n]*|"')
_MAC_RE = re.compile(r"^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){5}$")


def check_dhcpd(text: str) -> tuple[int, str | None]:
    """dhcpd.conf -> (number of subnet declarations, the first error as `line N: ...` or None).
    Checks braces, ';', and the values of subnet, hardware ethernet and fixed-address [ISC-like texts]."""
    depth, words, subnets = 0, [], 0
    for number, line in enumerate(str(text or "").splitlines(), 1):
        for token in _DHCP_TOKEN.findall(line):
            if token.startswith("#"):
                break
            if token == '"':
                return subnets, f"line {number}: unterminated string."
            if token == "{":
                if words[:1] == ["subnet"]:
                    if len(words) != 4 or words[2] != "netmask" or not _octets_ok(words[1], 4) \
                            or not _octets_ok(words[3], 4):
                        return subnets, f"line {number}: expecting netmask."
                    subnets += 1
                depth, words = depth + 1, []
            elif token == "}":
                if words:
                    return subnets, f"line {number}: semicolon expected."
                if depth == 0:
                    return subnets, f"line {number}: unexpected '}}'."
                depth -= 1
            elif token == ";":
                if words[:2] == ["hardware", "ethernet"] and (len(words) != 3 or not _MAC_RE.match(words[2])):
                    return subnets, f"line {number}: expecting hardware address."
                if words[:1] == ["fixed-address"] and (len(words) < 2 or not _octets_ok(words[1], 4)):
                    return subnets, f"line {number}: expecting an address."
                words = []
            else:
                words.append(token)
    if words:
        return subnets, "end of file: semicolon expected."
    if depth:
        return subnets, "end of file: expecting right brace."
    return subnets, None


# --------------------------------------------------------------------------- NAT


def raw_rule(c: dict) -> str | None:
    """The ipnat.conf line the agent's executeCreateNatRuleTask builds from
    `${bridge}` etc.; None for a type it does not know.  rdr takes no ports."""
    bridge, subnet, target = js_str(c["bridge"]), js_str(c["subnet"]), js_str(c["target"])
    if c["type"] == "portmap":
        return f"map {bridge} {subnet} -> {target} portmap {js_str(c['protocol'])} auto"
    if c["type"] == "bimap":
        return f"bimap {bridge} {subnet} -> {target}"
    if c["type"] == "rdr":
        return f"rdr {bridge} {subnet} -> {target}"
    return None


def _long_addr(token: str) -> str:
    """ipnat -l prints addresses in full: 0/32 -> 0.0.0.0/32 [mem]."""
    if "/" not in token or not NAT_ADDR_RE.match(token):
        return token
    addr, slash, prefix = token.partition("/")
    octets = addr.split(".")
    if len(octets) < 4:
        octets += ["0"] * (4 - len(octets))
    return ".".join(octets) + (f"{slash}{prefix}" if prefix else "")


def ipnat_list(st) -> str | None:
    """`ipnat -l` as the agent keeps it (stdout trimmed), or None when the
    command fails: with IP Filter not running its ioctls fail (EIO) [mem], which
    is the case while network/ipfilter is not online."""
    if st.nat["service"]["state"] not in ("online", "degraded"):
        return None
    loaded = st.nat["loaded"] if "loaded" in st.nat else [r["raw_rule"] for r in st.nat["rules"]]
    lines = [" ".join(_long_addr(tok) for tok in rule.split()) for rule in loaded]
    return ("List of active MAP/Redirect filters:\n" + "".join(f"{ln}\n" for ln in lines)
            + "\nList of active sessions:")


def agent_ipnat_conf(st) -> str:
    """ipnat.conf as the agent's tasks write it: its rules, nothing else [guess: header]."""
    return "# NAT rules - managed by zoneweaver-agent\n" + "".join(f"{r['raw_rule']}\n" for r in st.nat["rules"])


def _ipf_reload(sim, t):
    """The agent rewrites ipnat.conf whole, then refresh, disable, enable: IP Filter
    starts again from the file (maintenance if ipnat cannot load it)."""
    st = sim.state
    write_host_file(nat_config_path(sim), agent_ipnat_conf(st))
    _out(t, f"Wrote {NAT_CONF} ({len(st.nat['rules'])} rules)", "svcadm refresh network/ipfilter",
         "svcadm disable network/ipfilter", "svcadm enable network/ipfilter")
    svc_refresh(sim, IPFILTER_FMRI)
    svc_disable(sim, IPFILTER_FMRI)
    error = svc_enable(sim, IPFILTER_FMRI)
    if error:
        _out(t, error, f"{IPFILTER_FMRI} entered maintenance")


def nat_create_finish(sim, t):
    """executeCreateNatRuleTask: the rule line from the metadata, idempotent on
    raw_rule; the row keeps no description (the controller never passes one)."""
    st = sim.state
    c = t["_ctx"]
    raw = raw_rule(c)
    if raw is None:
        raise TaskFailure(f"Unsupported NAT type: {js_str(c['type'])}")
    if any(r["raw_rule"] == raw for r in st.nat["rules"]):
        _out(t, f"NAT rule already exists: {raw}")   # idempotent: no duplicate
        return
    now = now_iso()
    st.nat["rules"].append({"id": new_uuid(), "rule": raw, "bridge": js_str(c["bridge"]),
                            "subnet": js_str(c["subnet"]), "target": js_str(c["target"]),
                            "protocol": js_str(c["protocol"]), "type": c["type"], "raw_rule": raw,
                            "description": None, "created_by": t["created_by"], "created_at": now, "updated_at": now})
    _ipf_reload(sim, t)
    _out(t, f"NAT rule created: {raw}")
    st.dirty = True


def nat_delete_finish(sim, t):
    st = sim.state
    rid = t["_ctx"]["id"]
    match = [r for r in st.nat["rules"] if r["id"] == rid]
    if not match:
        raise TaskFailure(f"NAT rule not found: {rid}")
    st.nat["rules"].remove(match[0])
    _ipf_reload(sim, t)
    _out(t, f"NAT rule deleted: {match[0]['raw_rule']}")
    st.dirty = True


# --------------------------------------------------------------------------- DHCP


def listen_ifnames(st) -> str | None:
    """svc:/network/service/dhcp:ipv4's config/listen_ifnames: set only by a config
    update that names an interface, kept otherwise (an SMF property)."""
    if "listen_interface" in st.dhcp:
        return st.dhcp["listen_interface"]
    return (st.dhcp.get("config") or {}).get("listen_interface")    # state files written before it moved


def dhcpd_conf(st) -> str:
    """/etc/dhcpd.conf as the agent's tasks leave it: the subnet block its config
    update writes (no `authoritative;`), then the host blocks appended one by one."""
    out = []
    cfg = st.dhcp.get("config")
    if cfg:
        out += ["# DHCP server configuration - managed by zoneweaver-agent",
                f"# Last updated: {cfg.get('updated_at') or now_iso()}", "",
                f"subnet {cfg['subnet']} netmask {cfg['netmask']} {{", f"  option routers {cfg['router']};",
                f"  range {cfg['range_start']} {cfg['range_end']};"]
        if cfg.get("dns"):
            out.append(f"  option domain-name-servers {cfg['dns']};")
        out += ["}"]
    for h in st.dhcp["hosts"]:
        out += ["", f"host {h['hostname']} {{", f"  hardware ethernet {h['mac']};", f"  fixed-address {h['ip']};", "}"]
    return "\n".join(out) + "\n"


def _dhcp_refresh(sim, t, what: str):
    st = sim.state
    write_host_file(dhcp_config_path(sim), dhcpd_conf(st))
    _out(t, f"Wrote {DHCP_CONF} ({what}):", *("  " + line for line in dhcpd_conf(st).splitlines() if line))
    _out(t, f"svcadm refresh {DHCP_SERVICE}")
    svc_refresh(sim, DHCP_FMRI)


def dhcp_config_finish(sim, t):
    """executeDhcpUpdateConfigTask: rewrite the subnet block (hosts kept), set
    config/listen_ifnames only when an interface was given, refresh."""
    st = sim.state
    c = t["_ctx"]
    st.dhcp["listen_interface"] = listen_ifnames(st)
    st.dhcp["config"] = {k: js_str(c[k]) for k in ("subnet", "netmask", "router", "range_start", "range_end")}
    st.dhcp["config"]["dns"] = js_str(c["dns"]) if js_truthy(c.get("dns")) else None
    st.dhcp["config"]["updated_at"] = now_iso()
    if js_truthy(c.get("listen_interface")):
        smf_setprop(sim, DHCP_FMRI, LISTEN_PROP, "astring", [js_str(c["listen_interface"])])
        _out(t, f"svccfg -s {DHCP_SERVICE} setprop config/listen_ifnames = astring: {st.dhcp['listen_interface']}")
    _dhcp_refresh(sim, t, f"subnet {st.dhcp['config']['subnet']} netmask {st.dhcp['config']['netmask']}")
    _out(t, f"DHCP configuration updated for subnet {st.dhcp['config']['subnet']}/{st.dhcp['config']['netmask']}")
    st.dirty = True


def dhcp_add_finish(sim, t):
    """executeDhcpAddHostTask: hostname, mac and ip compared as given (exact
    strings, a database OR query); the first entry sharing any of them refuses."""
    st = sim.state
    c = t["_ctx"]
    hostname, mac, ip = js_str(c["hostname"]), js_str(c["mac"]), js_str(c["ip"])
    clash = next((h for h in st.dhcp["hosts"] if h["hostname"] == hostname or h["mac"] == mac or h["ip"] == ip), None)
    if clash is not None:
        raise TaskFailure(f"Host entry conflict: {clash['hostname']} already uses this hostname, MAC, or IP")
    now = now_iso()
    # the task creates the row with created_by 'api' whoever asked, and no description
    st.dhcp["hosts"].append({"id": new_uuid(), "hostname": hostname, "mac": mac, "ip": ip, "description": None,
                             "created_by": "api", "created_at": now, "updated_at": now})
    _dhcp_refresh(sim, t, f"host {hostname} added")
    _out(t, f"DHCP host entry added: {hostname} ({mac} \u2192 {ip})")
    st.dirty = True


def dhcp_remove_finish(sim, t):
    st = sim.state
    name = t["_ctx"]["hostname"]
    match = [h for h in st.dhcp["hosts"] if h["hostname"] == name]
    if not match:
        raise TaskFailure(f"Host entry '{name}' not found in database")
    for host in match:
        st.dhcp["hosts"].remove(host)
    _dhcp_refresh(sim, t, f"host {name} removed")
    _out(t, f"DHCP host entry removed: {name}")
    st.dirty = True


def _svcadm_enable(sim, t) -> None:
    """`svcadm enable`: a disabled instance starts; one in maintenance stays there
    (SMF needs `svcadm clear`, which the agent never runs). dhcpd exits without a
    subnet declaration, so SMF puts it in maintenance [guess: the method's exit]."""
    svc = smf_instance(sim, DHCP_FMRI)
    if svc["state"] == "maintenance":
        _out(t, f"{DHCP_FMRI} is in maintenance: svcadm enable leaves it there (svcadm clear is needed)")
    error = svc_enable(sim, DHCP_FMRI)
    if error:
        _out(t, error, f"{DHCP_FMRI} entered maintenance")


def dhcp_service_finish(sim, t):
    """executeDhcpServiceControlTask: start = svcadm enable, stop = svcadm disable,
    refresh = svcadm refresh, restart = svcadm disable then svcadm enable (which is
    also what takes an instance out of maintenance)."""
    action = t["_ctx"]["action"]
    svc = smf_instance(sim, DHCP_FMRI)
    if action in ("stop", "restart"):
        svc_disable(sim, DHCP_FMRI)
    if action in ("start", "restart"):
        _svcadm_enable(sim, t)
    if action == "refresh":
        if svc["state"] != "online":
            _out(t, f"{DHCP_FMRI} is {svc['state']}; refresh has no effect")
        svc_refresh(sim, DHCP_FMRI)
    _out(t, f"DHCP service {action} completed successfully")


EXECUTORS = {
    "create_nat_rule": (_commands_begin, nat_create_finish, _noop),
    "delete_nat_rule": (_commands_begin, nat_delete_finish, _noop),
    "dhcp_update_config": (_commands_begin, dhcp_config_finish, _noop),
    "dhcp_add_host": (_commands_begin, dhcp_add_finish, _noop),
    "dhcp_remove_host": (_commands_begin, dhcp_remove_finish, _noop),
    "dhcp_service_control": (_commands_begin, dhcp_service_finish, _noop),
}


# --------------------------------------------------------------------------- routes


class NatDhcp:
    def __init__(self, sim):
        self.sim = sim
        self.st = sim.state

    # ---- NAT
    def nat_rules(self, req):
        st = self.st
        return Response(200, {"active_rules": ipnat_list(st), "configured_rules": [dict(r) for r in st.nat["rules"]],
                              "config_file": NAT_CONF})

    def nat_create(self, req):
        """NatController.createNatRule: bridge and subnet required; target,
        protocol and type default only when absent (JS destructuring defaults) and
        are not checked; the metadata carries nothing else (no description, no
        ports)."""
        body = body_of(req)
        bridge, subnet = body.get("bridge"), body.get("subnet")
        if not js_truthy(bridge) or not js_truthy(subnet):
            raise error(400, "bridge and subnet are required")
        ctx = {"bridge": bridge, "subnet": subnet, "target": body.get("target", "0/32"),
               "protocol": body.get("protocol", "tcp/udp"), "type": body.get("type", "portmap")}
        raw = raw_rule(ctx)
        ctx["commands"] = [f"Adding NAT rule to {NAT_CONF}: {raw}" if raw else
                           f"NAT rule of type {js_str(ctx['type'])} for {NAT_CONF}"]
        metadata = {k: v for k, v in ctx.items() if k != "commands"}
        if self.sim.dialect.is_a:
            metadata["created_by"] = req.actor
        t = queue_host_task(self.sim, req, "create_nat_rule", metadata=metadata, ctx=ctx)
        return task_created(t, f"NAT rule creation task queued for {js_str(bridge)} ({js_str(subnet)})",
                            bridge=bridge, subnet=subnet)

    def nat_delete(self, req):
        """deleteNatRule: any id is queued (the route parameter is never empty);
        an unknown one fails in the task."""
        rid = req.params["ruleId"]
        t = queue_host_task(self.sim, req, "delete_nat_rule", metadata={"rule_id": rid},
                            ctx={"id": rid, "commands": [f"Removing NAT rule {rid} from {NAT_CONF}"]})
        return task_created(t, f"NAT rule deletion task queued for rule {rid}", rule_id=rid)

    def nat_status(self, req):
        state, since, raw = svcs_status(self.st.nat["service"])
        return Response(200, {"service": "network/ipfilter", "state": state, "since": since, "raw": raw})

    # ---- DHCP
    def dhcp_config(self, req):
        """getDhcpConfig: dhcpd.conf parsed; `options.dns` only when the block has
        domain-name-servers."""
        st = self.st
        cfg = st.dhcp.get("config")
        subnets = []
        if cfg:
            options = {"routers": cfg["router"]}
            if cfg.get("dns"):
                options["dns"] = cfg["dns"]
            subnets.append({"subnet": cfg["subnet"], "netmask": cfg["netmask"], "options": options,
                            "range_start": cfg["range_start"], "range_end": cfg["range_end"]})
        hosts = [{"hostname": h["hostname"], "mac": h["mac"], "ip": h["ip"]} for h in st.dhcp["hosts"]]
        return Response(200, {"config_file": DHCP_CONF, "subnets": subnets, "hosts": hosts})

    def dhcp_config_put(self, req):
        """updateDhcpConfig: the five fields must be there; nothing is parsed."""
        body = body_of(req)
        fields = ("subnet", "netmask", "router", "range_start", "range_end")
        if not all(js_truthy(body.get(k)) for k in fields):
            raise error(400, "subnet, netmask, router, range_start, and range_end are required")
        ctx = {k: body.get(k) for k in fields + ("dns", "listen_interface")}
        ctx["commands"] = [f"Writing subnet {js_str(ctx['subnet'])} netmask {js_str(ctx['netmask'])} to {DHCP_CONF}"]
        t = queue_host_task(self.sim, req, "dhcp_update_config",
                            metadata={k: v for k, v in ctx.items() if k != "commands"}, ctx=ctx)
        return task_created(t, "DHCP configuration update task queued", subnet=body["subnet"], netmask=body["netmask"])

    def dhcp_hosts(self, req):
        hosts = [dict(h) for h in self.st.dhcp["hosts"]]
        return Response(200, {"hosts": hosts, "total": len(hosts)})

    def dhcp_host_add(self, req):
        """addDhcpHost: hostname, mac and ip must be there; they go to the task as given."""
        body = body_of(req)
        hostname, mac, ip = body.get("hostname"), body.get("mac"), body.get("ip")
        if not (js_truthy(hostname) and js_truthy(mac) and js_truthy(ip)):
            raise error(400, "hostname, mac, and ip are required")
        ctx = {"hostname": hostname, "mac": mac, "ip": ip,
               "commands": [f"Adding host {js_str(hostname)} (hardware ethernet {js_str(mac)}; fixed-address "
                            f"{js_str(ip)}) to {DHCP_CONF}"]}
        t = queue_host_task(self.sim, req, "dhcp_add_host", metadata={"hostname": hostname, "mac": mac, "ip": ip},
                            ctx=ctx)
        return task_created(t, f"DHCP host entry task queued for {js_str(hostname)}", hostname=hostname, mac=mac,
                            ip=ip)

    def dhcp_host_delete(self, req):
        hostname = req.params["hostname"]
        t = queue_host_task(self.sim, req, "dhcp_remove_host", metadata={"hostname": hostname},
                            ctx={"hostname": hostname, "commands": [f"Removing host {hostname} from {DHCP_CONF}"]})
        return task_created(t, f"DHCP host removal task queued for {hostname}", hostname=hostname)

    def dhcp_status(self, req):
        state, since = svcs_status(self.st.dhcp["service"])[:2]
        return Response(200, {"service": DHCP_SERVICE, "state": state, "since": since,
                              "listen_interface": listen_ifnames(self.st)})

    def dhcp_status_put(self, req):
        action = body_of(req).get("action")
        if action not in DHCP_ACTIONS:
            raise error(400, "action must be one of: start, stop, refresh, restart")
        cmds = {"start": ["svcadm enable"], "stop": ["svcadm disable"], "refresh": ["svcadm refresh"],
                "restart": ["svcadm disable", "svcadm enable"]}[action]
        t = queue_host_task(self.sim, req, "dhcp_service_control", metadata={"action": action},
                            ctx={"action": action, "commands": [f"{cmd} {DHCP_SERVICE}" for cmd in cmds]})
        return task_created(t, f"DHCP service {action} task queued", action=action)


def register(router, sim):
    seed_files(sim)
    n = NatDhcp(sim)

    def destructure(prop, what):
        return {"error": f"Failed to {what}",
                "details": f"Cannot destructure property '{prop}' of 'req.body' as it is undefined."}

    router.add("GET", "/network/nat/rules", n.nat_rules)
    router.add("POST", "/network/nat/rules", n.nat_create, needs_body=True,
               body_fail=destructure("bridge", "queue NAT rule creation"))
    router.add("DELETE", "/network/nat/rules/:ruleId", n.nat_delete)
    router.add("GET", "/network/nat/status", n.nat_status)
    router.add("GET", "/network/dhcp/config", n.dhcp_config)
    router.add("PUT", "/network/dhcp/config", n.dhcp_config_put, needs_body=True,
               body_fail=destructure("subnet", "queue DHCP config update"))
    router.add("GET", "/network/dhcp/hosts", n.dhcp_hosts)
    router.add("POST", "/network/dhcp/hosts", n.dhcp_host_add, needs_body=True,
               body_fail=destructure("hostname", "queue DHCP host creation"))
    router.add("DELETE", "/network/dhcp/hosts/:hostname", n.dhcp_host_delete)
    router.add("GET", "/network/dhcp/status", n.dhcp_status)
    router.add("PUT", "/network/dhcp/status", n.dhcp_status_put, needs_body=True,
               body_fail=destructure("action", "queue DHCP service action"))
    return n


# The agent's own SMF instance registers itself in the tables above.
from . import agentsvc  # noqa: E402  pylint: disable=wrong-import-position

agentsvc.register_smf()
