"""`ipf`: the IP Filter packet filter rules of the simulated host's kernel.

    ipf -n -f FILE           check FILE's syntax only (no kernel access)
    ipf [-F a|i|o] [-r] -f FILE ...   flush all / inbound / outbound rules, then load (or remove, -r) FILE's
    ipf -F a                 flush only

The kernel's rules are st.nat["ipf_loaded"] (in file order): what IP Filter loaded
from /etc/ipf/ipf.conf at its last start or refresh (natdhcp._ipf_start calls
load_filter_file), changed by `ipf -f`. `ipfstat -io` (commands/ipfstat.py) lists
them. Everything but -n needs network/ipfilter online; otherwise the ioctls fail
with an I/O error [mem]. FILE is what the shim sent for `-f FILE` (read on the
caller's side), else the local file; `-f -` reads standard input.

The grammar checked is the common subset of ipf.conf(5) [mem]: action (block
[return-rst|return-icmp], pass, log, count, skip N, auth, preauth), in|out, log,
quick, on IF, proto P, `all` or `from [!]A [port] to [!]A [port]` (A: any, an
IPv4 address or network, a.b.c.d mask m), then flags, icmp-type, with, keep
state/frags, head, group. `port` needs proto tcp, udp or tcp/udp. Errors name the
line [mem: wording].
"""
from __future__ import annotations

import ipaddress
import os

from ..natdhcp import host_path, read_file_operand, read_host_file

TOOL = "ipf"
USAGE_RC = 1
FLAGS = "AdDEFIlnrsvVyzZf"
USAGE = "usage: ipf [-6AdDEInoPrRsvVyzZ] [-l block|pass|nomatch|state|nat] [-cc] [-F i|o|a|s|S|u] [-f filename]"
IPF_CONF = "/etc/ipf/ipf.conf"
ACTIONS = ("block", "pass", "log", "count", "skip", "auth", "preauth", "call")
PORT_OPS = ("=", "eq", "!=", "ne", "<", "lt", ">", "gt", "<=", "le", ">=", "ge")
PORT_PROTOS = ("tcp", "udp", "tcp/udp")
TAIL_WORDS = ("flags", "icmp-type", "with", "keep", "head", "group", "code", "not", "no")


def _parse(inv):
    """-> (set of flag letters, flush letter or None, [file names])."""
    flags, names, flush, argv, i = set(), [], None, inv.argv, 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            inv.fail(f"ipf: unexpected argument '{arg}'\n{USAGE}", USAGE_RC)
        letters = arg[1:]
        j = 0
        while j < len(letters):
            letter = letters[j]
            if letter not in FLAGS:
                inv.fail(f"ipf: illegal option -- {letter}\n{USAGE}", USAGE_RC)
            if letter in "Ff":
                value = letters[j + 1:]
                if not value:
                    if i + 1 >= len(argv):
                        inv.fail(f"ipf: option requires an argument -- {letter}\n{USAGE}", USAGE_RC)
                    i += 1
                    value = argv[i]
                if letter == "f":
                    names.append(value)
                else:
                    if value not in ("a", "i", "o"):
                        inv.fail(f"ipf: -F {value}: only a, i and o are implemented by zoneweaver-sim", 2)
                    flush = value
                flags.add(letter)
                break
            flags.add(letter)
            j += 1
        i += 1
    return flags, flush, names


def is_mutating(inv) -> bool:
    try:
        flags, _flush, _names = _parse(inv)
    except Exception:
        return False
    return "n" not in flags and bool(flags & {"F", "f", "D", "E", "s", "z", "Z"})


def _address(tokens, i):
    """Index after the address at tokens[i] (`any`, [!]a.b.c.d[/n], a.b.c.d mask m), or an error text."""
    if i >= len(tokens):
        return None, "address expected"
    word = tokens[i]
    if word == "!":
        i += 1
        word = tokens[i] if i < len(tokens) else ""
    word = word.lstrip("!")
    if word in ("any", "<thishost>"):
        return i + 1, None
    try:
        if i + 2 < len(tokens) and tokens[i + 1] == "mask":
            ipaddress.IPv4Network(f"{word}/{tokens[i + 2]}", strict=False)
            return i + 3, None
        ipaddress.IPv4Network(word, strict=False)
    except ValueError:
        return None, f"bad address '{word}'"
    return i + 1, None


def _port(tokens, i, proto):
    """Index after an optional port clause at tokens[i], or an error text."""
    if i >= len(tokens) or tokens[i] != "port":
        return i, None
    if proto not in PORT_PROTOS:
        return None, "port operation on non tcp/udp"
    rest = tokens[i + 1:i + 4]
    if len(rest) >= 2 and rest[0] in PORT_OPS and _port_number(rest[1]):
        return i + 3, None
    if len(rest) == 3 and _port_number(rest[0]) and rest[1] in ("<>", "><") and _port_number(rest[2]):
        return i + 4, None
    return None, "bad port"


def _port_number(word):
    return word.isdigit() and 0 <= int(word) <= 65535 or word.isalpha()


def rule_error(tokens) -> str | None:
    """Why a rule's tokens are not an ipf rule, or None."""
    i = 0
    action = tokens[0]
    if action not in ACTIONS:
        return f"unknown action '{action}'"
    i = 1
    if action == "block" and i < len(tokens) and tokens[i].startswith(("return-rst", "return-icmp")):
        i += 1
    if action in ("skip", "call"):
        i += 1
    if i >= len(tokens) or tokens[i] not in ("in", "out"):
        return "in or out expected"
    i += 1
    proto = None
    while i < len(tokens) and tokens[i] in ("log", "body", "first", "or-block", "quick", "on", "level", "proto",
                                            "tos", "ttl"):
        word = tokens[i]
        if word in ("on", "level", "proto", "tos", "ttl"):
            if i + 1 >= len(tokens):
                return f"'{word}' needs an argument"
            if word == "proto":
                proto = tokens[i + 1]
            i += 2
        else:
            i += 1
    if i < len(tokens) and tokens[i] == "all":
        i += 1
    else:
        for word in ("from", "to"):
            if i >= len(tokens) or tokens[i] != word:
                return f"'{word}' expected"
            i, error = _address(tokens, i + 1)
            if error:
                return error
            i, error = _port(tokens, i, proto)
            if error:
                return error
    while i < len(tokens):
        word = tokens[i]
        if word == "keep":
            if i + 1 >= len(tokens) or tokens[i + 1] not in ("state", "frags"):
                return "keep state or keep frags expected"
            i += 2
        elif word in ("flags", "icmp-type", "code", "head", "group", "with", "not", "no"):
            if i + 1 >= len(tokens):
                return f"'{word}' needs an argument"
            i += 2
        else:
            return f"unexpected '{word}'"
    return None


def parse_ipf(text: str) -> tuple[list[str], str | None]:
    """ipf.conf -> (the rules, whitespace-normalised, in order; the first error or None)."""
    rules = []
    for number, line in enumerate(str(text or "").splitlines(), 1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        error = rule_error(tokens)
        if error:
            return [], f"{number}: syntax error ({error}): {line.strip()}"
        rules.append(" ".join(tokens))
    return rules, None


def filter_conf_path(sim) -> str:
    return host_path(sim, IPF_CONF)


def load_filter_file(sim) -> str | None:
    """What IP Filter's start or refresh does with ipf.conf: load its rules; the error that stops it, if any.
    No file means no filter rules [mem]."""
    path = filter_conf_path(sim)
    if not os.path.exists(path):
        sim.state.nat["ipf_loaded"] = []
        return None
    rules, error = parse_ipf(read_host_file(path) or "")
    sim.state.nat["ipf_loaded"] = [] if error else rules
    return f"ipf: {path}: {error}" if error else None


def run(inv):
    flags, flush, names = _parse(inv)
    if not flags:
        inv.fail(USAGE, USAGE_RC)
    unsupported = flags - set("Ffnrv")
    if unsupported:
        inv.fail(f"ipf: -{''.join(sorted(unsupported))} is not implemented by zoneweaver-sim", 2)
    files = []
    for name in names:
        rules, error = parse_ipf(read_file_operand(inv, name, f"ipf: fopen({name}): No such file or directory"))
        if error:
            inv.fail(f"ipf: {name}: {error}", 1)
        files.append(rules)
    if "n" in flags:
        return 0
    st = inv.state
    if st.nat["service"]["state"] not in ("online", "degraded"):
        inv.fail("ipf: ioctl(SIOCIPFFL): I/O error" if flush else "ipf: ioctl(SIOCADAFR): I/O error", 1)
    loaded = list(st.nat.get("ipf_loaded") or [])
    if flush:
        kept = [r for r in loaded if flush != "a" and r.split()[1:2] != [{"i": "in", "o": "out"}[flush]]]
        inv.out(f"{len(loaded) - len(kept)} filter rules removed")
        loaded = kept
    for rules in files:
        if "r" in flags:
            loaded = [r for r in loaded if r not in rules]
        else:
            loaded += rules
    st.nat["ipf_loaded"] = loaded
    st.dirty = True
    return 0
