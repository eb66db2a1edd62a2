"""Network, part 2 (agent-api.md section 4): IP Filter NAT and the ISC DHCP
server.  The host state keeps what /etc/ipf/ipnat.conf and /etc/dhcpd.conf
hold (as the agent's rows) and the two SMF services; mutations are tasks in
the network_nat / network_dhcp categories whose output shows the files the
agent rewrote and the svcadm/svccfg commands it ran.

The controllers (the agent's NatController and DhcpController) check only that
the required fields are there; everything else (the NAT type, addresses, MACs)
goes into the task as given, and what the tools refuse fails there.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from .network import body_of, js_str, js_truthy
from .server import Response, error
from .tasks import TaskFailure, add_line, queue_host_task, task_created
from .util import new_uuid, now_iso

NAT_CONF = "/etc/ipf/ipnat.conf"
DHCP_CONF = "/etc/dhcpd.conf"
DHCP_ACTIONS = ("start", "stop", "refresh", "restart")
DHCP_FMRI = "svc:/network/service/dhcp:ipv4"
DHCP_SERVICE = "network/service/dhcp:ipv4"
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
    if st.nat["service"]["state"] != "online":
        return None
    lines = [" ".join(_long_addr(tok) for tok in r["raw_rule"].split()) for r in st.nat["rules"]]
    return ("List of active MAP/Redirect filters:\n" + "".join(f"{ln}\n" for ln in lines)
            + "\nList of active sessions:")


def _ipf_reload(t, st):
    _out(t, f"Wrote {NAT_CONF} ({len(st.nat['rules'])} rules)", "svcadm refresh network/ipfilter",
         "svcadm disable network/ipfilter", "svcadm enable network/ipfilter")
    _svc_set(st.nat["service"], "online")


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
    _ipf_reload(t, st)
    _out(t, f"NAT rule created: {raw}")
    st.dirty = True


def nat_delete_finish(sim, t):
    st = sim.state
    rid = t["_ctx"]["id"]
    match = [r for r in st.nat["rules"] if r["id"] == rid]
    if not match:
        raise TaskFailure(f"NAT rule not found: {rid}")
    st.nat["rules"].remove(match[0])
    _ipf_reload(t, st)
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


def _dhcp_refresh(t, st, what: str):
    _out(t, f"Wrote {DHCP_CONF} ({what}):", *("  " + line for line in dhcpd_conf(st).splitlines() if line))
    _out(t, f"svcadm refresh {DHCP_SERVICE}")


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
        st.dhcp["listen_interface"] = js_str(c["listen_interface"])
        _out(t, f"svccfg -s {DHCP_SERVICE} setprop config/listen_ifnames = astring: {st.dhcp['listen_interface']}")
    _dhcp_refresh(t, st, f"subnet {st.dhcp['config']['subnet']} netmask {st.dhcp['config']['netmask']}")
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
    _dhcp_refresh(t, st, f"host {hostname} added")
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
    _dhcp_refresh(t, st, f"host {name} removed")
    _out(t, f"DHCP host entry removed: {name}")
    st.dirty = True


def _svcadm_enable(t, st) -> None:
    """`svcadm enable`: a disabled instance starts; one in maintenance stays there
    (SMF needs `svcadm clear`, which the agent never runs). dhcpd exits without a
    subnet declaration, so SMF puts it in maintenance [guess: the method's exit]."""
    svc = st.dhcp["service"]
    if svc["state"] == "maintenance":
        _out(t, f"{DHCP_FMRI} is in maintenance: svcadm enable leaves it there (svcadm clear is needed)")
        return
    if svc["state"] == "online":
        return
    if not st.dhcp.get("config"):
        _out(t, "dhcpd: No subnet declaration for the listening interfaces", f"{DHCP_FMRI} entered maintenance")
        _svc_set(svc, "maintenance")
        return
    _svc_set(svc, "online")


def dhcp_service_finish(sim, t):
    """executeDhcpServiceControlTask: start = svcadm enable, stop = svcadm disable,
    refresh = svcadm refresh, restart = svcadm disable then svcadm enable (which is
    also what takes an instance out of maintenance)."""
    st = sim.state
    action = t["_ctx"]["action"]
    svc = st.dhcp["service"]
    if action in ("stop", "restart"):
        _svc_set(svc, "disabled")
    if action in ("start", "restart"):
        _svcadm_enable(t, st)
    if action == "refresh" and svc["state"] != "online":
        _out(t, f"{DHCP_FMRI} is {svc['state']}; refresh has no effect")
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
