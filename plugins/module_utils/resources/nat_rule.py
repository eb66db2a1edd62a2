# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NAT rule resource: a rule is identified by its content, never by its id.

The agent writes one line of /etc/ipf/ipnat.conf per rule and lists it as
`raw_rule` (agent-api.md section 4). Its task builds that line from the POST
body, so this module renders the same line itself:

    portmap  map   <bridge> <subnet> -> <target> portmap <protocol> auto
    bimap    bimap <bridge> <subnet> -> <target>
    rdr      rdr   <bridge> <subnet> -> <target>

and compares it with every configured rule after normalisation (whitespace,
`0/32` = `0.0.0.0/32`, a bare address = address/32, dotted masks = prefixes).
Removal finds the rule's uuid in a fresh read: the user never needs it, and
a DELETE of an id that is already gone fails inside its task.

With backend=native (native/nat_dhcp.py) the same plan edits a managed block
of ipnat.conf instead. That backend is transactional: nothing reaches the
host before its commit at the end of the run, so check mode runs the same
apply path and only the commit is a plan.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AgentError, InputError, TaskError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import (
    finish, new_result, reconcile, select_backend)

TYPES = ("portmap", "bimap", "rdr")
PROTOCOLS = ("tcp/udp", "tcp", "udp")
DEFAULT_TARGET = "0/32"
DEFAULT_PROTOCOL = "tcp/udp"
# dladm link names: a letter first, a digit last, at most 31 characters.
BRIDGE_MAX = 31
DESCRIPTION_RE = re.compile(r"^[A-Za-z0-9 _.,:;@()+=/\-]{0,200}$")
_ADDRESS_TOKEN_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){0,3}(?:/[\d.]+)?$")
ACTIVE_HEADER = "list of active map/redirect filters:"
SESSIONS_HEADER = "list of active sessions:"


# --------------------------------------------------------------------------- values
def canonical_address(token):
    """An address token of a rule as 'a.b.c.d/n' for comparison; other tokens unchanged.

    '0/32' and '0.0.0.0/32' are equal, a bare address is a /32, a dotted mask
    is a prefix, and host bits are masked the way ipnat masks them.
    """
    if not _ADDRESS_TOKEN_RE.match(token):
        return token
    address, _slash, mask = token.partition("/")
    try:
        network = ipaddress.IPv4Network("%s/%s" % (values.ipnat_ipv4(address), mask or "32"), strict=False)
    except ValueError:
        return token
    return str(network)


def _cidr(value, what, allow_bare=False):
    """User input -> the string sent to the agent. Refuses host bits and non-IPv4."""
    text = str(value).strip()
    address, slash, mask = text.partition("/")
    if not slash and not allow_bare:
        raise InputError("%s %r needs a prefix length, e.g. %s/24" % (what, text, text),
                         hint="ipnat matches networks: write the subnet as address/prefix")
    try:
        ip = values.ipnat_ipv4(address)
        network = ipaddress.IPv4Network("%s/%s" % (ip, mask or "32"), strict=False)
    except ValueError:
        raise InputError("%s %r is not an IPv4 address%s" % (what, text, " with a prefix length" if slash else ""),
                         hint="the agent's ipnat rules take IPv4 only, e.g. 10.190.190.0/24")
    if slash and network.network_address != ip:
        raise InputError("%s %r has host bits set; did you mean %s?" % (what, text, network),
                         hint="give the network address of the prefix")
    if not slash:
        return str(ip)
    if network.prefixlen == 32 and ip == ipaddress.IPv4Address("0.0.0.0"):
        return DEFAULT_TARGET  # ipnat's "the interface's own address", as the agent writes it
    return "%s/%d" % (network.network_address, network.prefixlen)


def render_rule(spec):
    """The ipnat.conf line the agent's task writes for this spec."""
    if spec["type"] == "portmap":
        return "map %s %s -> %s portmap %s auto" % (spec["bridge"], spec["subnet"], spec["target"], spec["protocol"])
    return "%s %s %s -> %s" % (spec["type"], spec["bridge"], spec["subnet"], spec["target"])


def rule_key(raw):
    """Whitespace- and address-normalised content of a rule line (comments dropped)."""
    text = str(raw or "").split("#", 1)[0]
    return " ".join(canonical_address(token) for token in text.split())


def parse_rule(raw):
    """The parts of one ipnat rule line: type, bridge, subnet, target, protocol, ports."""
    line = str(raw or "").split("#", 1)[0].strip()
    tokens = line.split()
    view = {"raw_rule": " ".join(tokens), "type": None, "bridge": None, "subnet": None, "target": None,
            "protocol": None}
    if not tokens:
        return view
    kind = tokens[0].lower()
    view["type"] = "portmap" if kind == "map" and "portmap" in tokens else kind
    view["bridge"] = tokens[1] if len(tokens) > 1 else None
    view["subnet"] = tokens[2] if len(tokens) > 2 else None
    if "->" in tokens:
        arrow = tokens.index("->")
        view["target"] = tokens[arrow + 1] if len(tokens) > arrow + 1 else None
        for side, part in (("match_port", tokens[:arrow]), ("target_port", tokens[arrow:])):
            if "port" in part and part.index("port") + 1 < len(part):
                view[side] = part[part.index("port") + 1]
    if "portmap" in tokens and tokens.index("portmap") + 1 < len(tokens):
        view["protocol"] = tokens[tokens.index("portmap") + 1]
    elif kind == "rdr" and tokens[-1] in ("tcp", "udp", "tcp/udp", "tcpudp", "icmp"):
        view["protocol"] = tokens[-1]
    return view


def raw_of(row):
    return row.get("raw_rule") or row.get("rule") or ""


def rule_view(row):
    """One configured rule as the modules return it: parsed from raw_rule, plus the agent's fields."""
    view = parse_rule(raw_of(row))
    view["id"] = row.get("id")
    view["description"] = row.get("description")
    view["created_by"] = row.get("created_by")
    view["created_at"] = row.get("created_at") or row.get("createdAt")
    return view


def parse_active(text):
    """`ipnat -l` text -> (rules, sessions): the loaded rules parsed, the session lines as they are."""
    rules, sessions = [], []
    section = None
    for line in str(text or "").splitlines():
        stripped = line.strip()
        lowered = stripped.lower()
        if lowered == ACTIVE_HEADER:
            section = "rules"
        elif lowered == SESSIONS_HEADER:
            section = "sessions"
        elif stripped and section == "rules":
            rules.append(parse_rule(stripped))
        elif stripped and section == "sessions":
            sessions.append(stripped)
    return rules, sessions


# --------------------------------------------------------------------------- spec
def normalize_spec(params):
    """Validate and normalise the user's options. Raises InputError before any request."""
    kind = params.get("type") or "portmap"
    if kind not in TYPES:
        raise InputError("type must be one of %s, got %r" % (", ".join(TYPES), kind))
    bridge = values.check_pattern(params.get("bridge"), values.LINK_NAME_RE, "bridge",
                                  "the outside interface, a link name such as igb0 (a letter first, a digit last)")
    if len(bridge) > BRIDGE_MAX:
        raise InputError("bridge %r is longer than %d characters" % (bridge, BRIDGE_MAX))
    if params.get("subnet") in (None, ""):
        raise InputError("subnet is required, e.g. 10.190.190.0/24")
    spec = {"type": kind, "bridge": bridge, "subnet": _cidr(params["subnet"], "subnet"),
            "target": _cidr(params.get("target") or DEFAULT_TARGET, "target", allow_bare=True)}
    protocol = params.get("protocol")
    if kind == "portmap":
        protocol = protocol or DEFAULT_PROTOCOL
        if protocol not in PROTOCOLS:
            raise InputError("protocol must be one of %s, got %r" % (", ".join(PROTOCOLS), protocol))
        spec["protocol"] = protocol
    elif protocol is not None:
        raise InputError("protocol applies only to type=portmap: the agent writes %s rules without a protocol"
                         % kind, hint="remove protocol, or use type=portmap")
    description = params.get("description")
    if description is not None:
        spec["description"] = values.check_pattern(description, DESCRIPTION_RE, "description",
                                                   "at most 200 letters, digits, spaces and _.,:;@()+=/-")
    spec["raw_rule"] = render_rule(spec)
    spec["key"] = rule_key(spec["raw_rule"])
    return spec


def post_body(spec):
    body = {"bridge": spec["bridge"], "subnet": spec["subnet"], "target": spec["target"], "type": spec["type"]}
    if "protocol" in spec:
        body["protocol"] = spec["protocol"]
    if spec.get("description"):
        body["description"] = spec["description"]
    return body


def planned_view(spec):
    """The rule as it will be listed, before the agent has given it an id."""
    view = parse_rule(spec["raw_rule"])
    view.update(id=None, description=spec.get("description"), created_by=None, created_at=None)
    return view


def matching(rows, key):
    return [row for row in rows if rule_key(raw_of(row)) == key]


def plans_only(ctx, backend):
    """Check mode stops before the first change, except with a transactional backend
    (native), which keeps every change in memory until its commit."""
    return ctx.check_mode and not getattr(backend, "transactional", False)


def native_only(params, ctx, backend, names):
    """Warn about native-backend options set for an agent run (the agent writes its own files)."""
    if getattr(backend, "transactional", False):
        return
    for name in names:
        if params.get(name):
            ctx.warn("%s is used only by the native backend; the agent ignores it" % name)


def complete(backend, ctx, result):
    """Let a transactional backend commit and add what it did (service actions, backup, block diff)."""
    finisher = getattr(backend, "complete", None)
    return finisher(result, diff=ctx.diff) if finisher is not None else result


# --------------------------------------------------------------------------- apply
class NatRuleResource:
    def __init__(self, backend, ctx):
        self.backend = backend
        self.ctx = ctx

    def ensure(self, params):
        spec = normalize_spec(params)
        state = params.get("state") or "present"
        return reconcile(self.ctx, lambda: self._ensure_once(spec, state, params))

    def _read(self):
        return self.backend.nat_rules()["configured_rules"]

    def _ensure_once(self, spec, state, params):
        wait, timeout = params.get("wait", True), params.get("wait_timeout") or 600
        result = new_result()
        found = matching(self._read(), spec["key"])
        before = {"state": "present", "raw_rule": raw_of(found[0])} if found else {"state": "absent"}

        if state == "absent":
            after = {"state": "absent"}
            result["rule"] = {}
            if not found:
                return finish(self.ctx, result, before, after)
            copies = " (%d copies)" % len(found) if len(found) > 1 else ""
            result["actions"].append("delete %s%s" % (raw_of(found[0]), copies))
            if plans_only(self.ctx, self.backend):
                return finish(self.ctx, result, before, after)
            task_ids = []
            for row in found:
                task_ids.extend(self._delete(row, wait, timeout))
            if wait:
                left = matching(self._read(), spec["key"])
                if left:
                    raise AgentError("the delete task of NAT rule %r completed, but GET /network/nat/rules still "
                                     "lists it (id %s)" % (spec["raw_rule"], left[0].get("id")))
            else:
                result["task_ids"] = task_ids
            return finish(self.ctx, result, before, after)

        after = {"state": "present", "raw_rule": spec["raw_rule"]}
        if found:
            result["rule"] = rule_view(found[0])
            return finish(self.ctx, result, after, after)
        result["actions"].append("create %s" % spec["raw_rule"])
        if plans_only(self.ctx, self.backend):
            result["rule"] = planned_view(spec)
            return finish(self.ctx, result, before, after)
        answer = self.backend.create_nat_rule(post_body(spec), wait, timeout)
        if not wait:
            result["rule"] = planned_view(spec)
            result["task_ids"] = [answer["task_id"]] if answer.get("task_id") else []
            return finish(self.ctx, result, before, after)
        created = matching(self._read(), spec["key"])
        if not created:
            raise AgentError("the NAT rule task completed, but GET /network/nat/rules lists no rule %r"
                             % spec["raw_rule"],
                             hint="the agent may write rules differently than this module expects; "
                                  "compare with zoneweaver.illumos.nat_rule_info")
        result["rule"] = rule_view(created[0])
        return finish(self.ctx, result, before, after)

    def _delete(self, row, wait, timeout):
        """DELETE one rule by uuid. A rule removed by someone else meanwhile makes the
        agent's task fail ("NAT rule not found"): re-read, and if it is gone, that is success."""
        if row.get("id") in (None, ""):  # early 0.2 releases numbered rules from 0: an id of 0 is valid
            raise AgentError("GET /network/nat/rules lists NAT rule %r without an id, so it cannot be deleted"
                             % raw_of(row), hint="remove the line from /etc/ipf/ipnat.conf on the host")
        try:
            answer = self.backend.delete_nat_rule(str(row["id"]), wait, timeout)
        except TaskError:
            if any(other.get("id") == row["id"] for other in self._read()):
                raise
            self.ctx.warn("NAT rule %s (%s) disappeared while it was being deleted" % (row["id"], raw_of(row)))
            return []
        return [answer["task_id"]] if answer.get("task_id") else []


def nat_backend(params, ctx, read_active=True, locking=False):
    """NatDhcpAgentBackend or NatDhcpNativeBackend, as the backend option says (locking: this run
    may edit the config file, so it holds its lock from the first read to the write)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.nat_dhcp import NatDhcpAgentBackend
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.nat_dhcp import NatDhcpNativeBackend
    backend = select_backend(params, ctx, NatDhcpAgentBackend, lambda runner: NatDhcpNativeBackend(
        runner, warn=ctx.warn, ipnat_conf=params.get("config_file"), backup=params.get("backup"),
        read_active=read_active, locking=locking))
    native_only(params, ctx, backend, ("config_file", "backup"))
    return backend


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.nat_rule)."""
    normalize_spec(params)  # bad input never costs a request or a command
    backend = nat_backend(params, ctx, read_active=False, locking=True)
    if getattr(backend, "transactional", False):
        params = dict(params, wait=True)  # the native backend's changes are done when it returns
    return complete(backend, ctx, NatRuleResource(backend, ctx).ensure(params))
