"""`ipfstat -io`: the packet filter rules loaded in the simulated host's kernel (commands/ipf.py).

Outbound rules first, then inbound, as `ipfstat -io` prints them; an empty list says
`empty list for ipfilter(out)` / `(in)` [mem: wording]. Single addresses are shown as
a.b.c.d/32 [mem]. Needs network/ipfilter online (else an I/O error [mem]). Other options
(statistics, -t) are not implemented.
"""
from __future__ import annotations

TOOL = "ipfstat"


def is_mutating(inv) -> bool:
    return False


def _shown(rule: str) -> str:
    words = rule.split()
    for i, word in enumerate(words[:-1]):
        if word in ("from", "to") and "/" not in words[i + 1] and words[i + 1][:1].isdigit():
            words[i + 1] += "/32"
    return " ".join(words)


def run(inv):
    letters = set("".join(a[1:] for a in inv.argv if a.startswith("-")))
    if any(not a.startswith("-") for a in inv.argv) or not letters or not letters <= {"i", "o"}:
        inv.fail("ipfstat: only -i, -o and -io are implemented by zoneweaver-sim", 2)
    st = inv.state
    if st.nat["service"]["state"] not in ("online", "degraded"):
        inv.fail("ipfstat: open(IPL_NAME): I/O error", 1)
    loaded = st.nat.get("ipf_loaded") or []
    for direction, letter in (("out", "o"), ("in", "i")):
        if letter not in letters:
            continue
        rules = [_shown(r) for r in loaded if r.split()[1:2] == [direction] or
                 (len(r.split()) > 2 and r.split()[2] == direction and r.split()[0] in ("skip", "call"))]
        if rules:
            for rule in rules:
                inv.out(rule)
        else:
            inv.out(f"empty list for ipfilter({direction})")
    return 0
