# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Packet filter rules for the managed block in /etc/ipf/ipf.conf (illumos-native.md 1.9).

A rule is one line of ipf.conf, e.g.

    block in quick on igb0 proto tcp from 10.190.190.20 to any port = 22 keep state

render_rule() builds that line from structured options (the words are always
written in this order, so the same options give the same line); rule_key()
normalises a line (comment dropped, whitespace collapsed) for comparing rules
by content; check_rules() keeps anything but rule lines out of the block. The
whole file is then checked with `ipf -n -f <tmp>` (files.atomic_write validate=)
before it replaces the old one, so the kernel's parser has the last word on
syntax [mem: the grammar below is the common subset of ipf.conf(5), not all of it].
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render.blocks import check_lines, render_block

CONFIG_FILE = "/etc/ipf/ipf.conf"
VALIDATE = ["ipf", "-n", "-f", "%s"]
ACTIONS = ("block", "pass")
DIRECTIONS = ("in", "out")
# First words of an ipf rule [ipf.conf(5), mem]; `log`/`count`/`skip` rules can only be given raw.
RULE_WORDS = ("block", "pass", "log", "count", "skip", "call", "auth", "preauth")
# /etc/protocols names, a number, or ipf's tcp/udp pair
PROTOCOL_RE = re.compile(r"^(?:[a-z][a-z0-9-]{0,31}|tcp/udp|\d{1,3})$")
PORT_PROTOCOLS = ("tcp", "udp", "tcp/udp")
INTERFACE_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*[0-9]$")
INTERFACE_MAX = 31


def normalise(line):
    """A rule line without its comment, whitespace collapsed ('' for a blank or comment line)."""
    return " ".join(str(line or "").split("#", 1)[0].split())


def rule_key(line):
    """What two lines must share to be the same rule: the normalised text (case kept: interface
    names are case-sensitive)."""
    return normalise(line)


def check_address(value, what):
    """`any`, an IPv4 address or an IPv4 network (host bits refused) -> the word written in the rule."""
    text = str(value if value is not None else "any").strip()
    if text.lower() in ("", "any"):
        return "any"
    address, slash, _prefix = text.partition("/")
    try:
        ipaddress.IPv4Address(address)  # four octets: IPv4Network would take '1' for 0.0.0.1
        network = ipaddress.IPv4Network(text, strict=True)
    except ValueError as exc:
        raise InputError("%s %r is not 'any', an IPv4 address or an IPv4 network: %s" % (what, text, exc),
                         hint="ipf.conf holds IPv4 rules (IPv6 rules go to ipf6.conf), e.g. 10.190.190.20 or "
                              "10.190.190.0/24")
    if network.prefixlen == 32:
        return str(network.network_address)
    return str(network)


def render_rule(spec):
    """The ipf.conf line of structured options: action, direction, quick, interface, protocol,
    source, destination, port, keep_state (already checked by check_spec)."""
    words = [spec["action"], spec["direction"]]
    if spec.get("quick"):
        words.append("quick")
    if spec.get("interface"):
        words += ["on", spec["interface"]]
    if spec.get("protocol"):
        words += ["proto", spec["protocol"]]
    words += ["from", spec.get("source") or "any", "to", spec.get("destination") or "any"]
    if spec.get("port") is not None:
        words += ["port", "=", str(spec["port"])]
    if spec.get("keep_state"):
        words += ["keep", "state"]
    return " ".join(words)


def check_spec(spec):
    """Structured options -> the same options, checked and normalised. Raises InputError."""
    action, direction = spec.get("action"), spec.get("direction")
    if action not in ACTIONS:
        raise InputError("action must be one of %s, got %r" % (", ".join(ACTIONS), action))
    if direction not in DIRECTIONS:
        raise InputError("direction must be one of %s, got %r" % (", ".join(DIRECTIONS), direction),
                         hint="in: packets the host receives on the interface; out: packets it sends")
    out = {"action": action, "direction": direction, "quick": bool(spec.get("quick")),
           "keep_state": bool(spec.get("keep_state"))}
    interface = spec.get("interface")
    if interface:
        if not INTERFACE_RE.match(str(interface)) or len(str(interface)) > INTERFACE_MAX:
            raise InputError("interface %r is not a link name (a letter first, a digit last, at most %d characters)"
                             % (interface, INTERFACE_MAX))
        out["interface"] = str(interface)
    protocol = spec.get("protocol")
    if protocol not in (None, ""):
        protocol = str(protocol).lower()
        if not PROTOCOL_RE.match(protocol):
            raise InputError("protocol %r is not a protocol name or number (tcp, udp, tcp/udp, icmp, 47...)"
                             % (spec.get("protocol"),))
        out["protocol"] = protocol
    out["source"] = check_address(spec.get("source"), "source")
    out["destination"] = check_address(spec.get("destination"), "destination")
    port = spec.get("port")
    if port is not None:
        try:
            port = int(port)
        except (TypeError, ValueError):
            port = -1
        if not 1 <= port <= 65535:
            raise InputError("port must be a number from 1 to 65535, got %r" % (spec.get("port"),))
        if out.get("protocol") not in PORT_PROTOCOLS:
            raise InputError("port needs protocol tcp, udp or tcp/udp (ipf matches ports only for them)",
                             hint="add protocol: tcp")
        out["port"] = port
    return out


def check_raw(rule):
    """A raw rule line: one line, an ipf rule keyword first. Returns it normalised (comment dropped)."""
    lines = check_lines([str(rule)], "ipf rule")
    line = normalise(lines[0])
    if not line:
        raise InputError("rule %r is empty (a comment is not a rule)" % (rule,))
    if line.split()[0].lower() not in RULE_WORDS:
        raise InputError("ipf rule %r must start with %s" % (line, ", ".join(RULE_WORDS)),
                         hint="one rule of ipf.conf(5), e.g. 'block in quick from 10.190.190.20 to any'")
    return line


def check_rules(rules):
    return [check_raw(line) for line in check_lines(rules, "ipf rule")]


def render(text, name, rules):
    """ipf.conf text with block `name` holding `rules` (None removes the block)."""
    return render_block(text, name, None if rules is None else check_rules(rules))


def parse_rule(line):
    """The parts of a rule line the module reports: action, direction, quick, interface, protocol,
    source, destination, port, keep_state (None where the line does not say)."""
    tokens = normalise(line).split()
    view = {"action": None, "direction": None, "quick": False, "interface": None, "protocol": None,
            "source": None, "destination": None, "port": None, "keep_state": False}
    if not tokens:
        return view
    view["action"] = tokens[0].lower()
    for index, token in enumerate(tokens):
        word = token.lower()
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if word in DIRECTIONS and view["direction"] is None:
            view["direction"] = word
        elif word == "quick":
            view["quick"] = True
        elif word == "on" and view["interface"] is None:
            view["interface"] = following
        elif word == "proto":
            view["protocol"] = following
        elif word == "from":
            view["source"] = following
        elif word == "to":
            view["destination"] = following
        elif word == "port" and view["destination"] is not None and index + 2 < len(tokens):
            view["port"] = tokens[index + 2] if following in ("=", "eq") else None
        elif word == "keep" and following == "state":
            view["keep_state"] = True
        elif word == "all":
            view["source"] = view["destination"] = "any"
    if view["port"] is not None and view["port"].isdigit():
        view["port"] = int(view["port"])
    return view
