# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the zones of many agents at once, for the zoneweaver.illumos.zones inventory.

Plain Python (no Ansible imports): the inventory plugin adds options,
templating, filters, groups and the cache on top.

Cost model, per agent:
- ONE list request. Agents of 0.3.6 and later answer GET /machines; older
  ones answer it with Express's HTML 404, and then GET /zones is asked. The
  list itself tells the generation, so the separate GET /status of
  dialect.detect() is not needed. Through a Hyperweaver Server the agent's
  /status is already in GET /api/servers (`capabilities`), so the relay is
  asked once per agent plus one login and one server list per server.
- resolve_addresses adds GET /network/dhcp/hosts and GET /network/nat/rules,
  sent at the same time as the list (a failure there keeps the zones and is
  reported).
- want_details adds GET {M}/{name} per zone that passed the filters.
All requests go through one ThreadPoolExecutor (max_workers). Every thread
builds its own AgentClient with its own requests.Session (AgentClient shares
one session per URL and process, and a Session is not documented as
thread-safe); the Hyperweaver client keeps one session per thread itself.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from urllib.parse import urlsplit

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.client import AgentClient, new_session
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    EndpointMissingError, NotFoundError, TransportError, ZoneweaverError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import (
    public_view, view_from_agent)

VM_BRANDS = frozenset(("bhyve", "kvm"))
AGENT_FACTS = ("agent", "agent_url", "agent_host", "agent_id", "hyperweaver_url", "agent_version")
NOUNS = ("machines", "zones")
_INFO_KEY = {"machines": "machine_info", "zones": "zone_info"}
# ipnat rdr: `rdr IF ADDR[/MASK] [port P[-P2]] -> TARGET[/32] [port TP] ...`. The agent's API writes
# the portless form (`rdr igb0 192.0.2.10/32 -> 10.190.190.10`); hand-written rules may carry ports.
_RDR_RE = re.compile(r"^\s*rdr\s+\S+\s+(\S+)(?:\s+port\s+(\d+)(?:\s*[-:]\s*\d+)?)?\s+->\s+([0-9.]+)(?:/\d+)?"
                     r"(?:\s+port\s+(\d+))?", re.IGNORECASE)
_ANY_ADDRESS = ("0", "0.0.0.0")
_PREFIX_RE = re.compile(r"^\d+--")


class _Generation:
    """What view_from_agent needs of a Dialect, known from the list noun."""

    def __init__(self, noun):
        self.info_key = _INFO_KEY.get(noun, "machine_info")


def host_of(url):
    """'https://omni1.example.com:5001' -> 'omni1.example.com'."""
    return urlsplit(str(url)).hostname or str(url)


class Target:
    """One agent to read, directly or through a Hyperweaver Server."""

    def __init__(self, label, url, host, client_factory=None, noun=None, agent_id=None, hyperweaver=None,
                 version=None, error=None):
        self.label = label
        self.url = url
        self.host = host
        self.client_factory = client_factory
        self.noun = noun
        self.agent_id = agent_id
        self.hyperweaver = hyperweaver
        self.version = version
        self.error = error          # a reason not to read it at all (known before any request)

    def describe(self):
        if self.hyperweaver:
            return "agent %r (id %s via Hyperweaver %s)" % (self.label, self.agent_id, self.hyperweaver)
        return "agent %r (%s)" % (self.label, self.url)

    def facts(self):
        """AGENT_FACTS: the same for every zone of the agent (the last three
        only for agents read through Hyperweaver)."""
        facts = {"agent": self.label, "agent_url": self.url, "agent_host": self.host}
        if self.hyperweaver:
            facts.update(agent_id=self.agent_id, hyperweaver_url=self.hyperweaver, agent_version=self.version)
        return facts


class DirectAgent:
    """An agent reached with its own URL and key; one client per thread."""

    def __init__(self, url, api_key=None, validate_certs=True, ca_path=None, timeout=30, retries=2):
        self.kwargs = dict(api_key=api_key, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
                           retries=retries)
        self.url = str(url).rstrip("/")
        AgentClient(self.url, **self.kwargs)  # validates the URL and the requests import up front
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions = []

    def client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            # A session of this thread's own instead of the per-URL shared one.
            session = new_session(pool_connections=1, pool_maxsize=2)
            client = AgentClient(self.url, session=session, **self.kwargs)
            with self._lock:
                self._sessions.append(session)
            self._local.client = client
        return client

    def close(self):
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions = []


class HyperweaverSource:
    """A Hyperweaver Server: log in once, list its agents, read them through the relay."""

    def __init__(self, client, only=None):
        self.client = client
        self.only = [str(item) for item in only or ()]

    def discover(self):
        """The server's agents as Targets (one login + one GET /api/servers)."""
        targets = []
        for server in self.client.servers():
            if not isinstance(server, dict) or server.get("id") is None:
                continue
            label = server.get("entity_name") or server.get("hostname") or "agent%s" % server.get("id")
            if self.only and not set(self.only) & {str(server["id"]), str(label)}:
                continue
            if server.get("is_active") is False:
                continue  # deactivated on purpose; the relay answers 404 for it
            caps = server.get("capabilities") if isinstance(server.get("capabilities"), dict) else {}
            target = Target(label, "%s/api/agents/%s" % (self.client.url, server["id"]), server.get("hostname"),
                            agent_id=server["id"], hyperweaver=self.client.url, version=caps.get("version"))
            if caps.get("role") != "agent":
                target.error = ("Hyperweaver has no GET /status answer from it yet (capabilities), so its relay "
                                "refuses it (409 'Registered backend is not an agent')")
            else:
                target.noun = "machines" if "machines" in (caps.get("features") or ()) else "zones"
                agent = self.client.agent(server["id"], label=label, capabilities=caps)
                target.client_factory = lambda agent=agent: agent
            targets.append(target)
        return targets


def list_rows(client, noun=None, params=None):
    """GET the zone list with one request when the noun is known or current.
    Returns (rows, noun)."""
    tried = []
    for candidate in ((noun,) if noun else NOUNS):
        try:
            body = client.get("/" + candidate, params=params)
        except EndpointMissingError:
            tried.append("/" + candidate)
            continue
        rows = body.get(candidate) if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise TransportError("GET %s%s did not answer like a Zoneweaver Agent" % (client.url, "/" + candidate),
                                 hint="check the URL: it must point at the agent (port 5001 by default)")
        return [row for row in rows if isinstance(row, dict) and row.get("name")], candidate
    raise EndpointMissingError("%s has neither %s" % (client.url, " nor ".join(tried)),
                               hint="check the URL: it must point at a Zoneweaver Agent")


def _optional_list(client, path, key):
    """A list that only some agents serve (network routes): None when missing."""
    try:
        body = client.get(path)
    except (EndpointMissingError, NotFoundError):
        return None
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, list) else None


def read_target(target, params=None):
    """The zone list of one agent (one request for 0.3.6+ agents)."""
    rows, noun = list_rows(target.client_factory(), target.noun, params)
    return {"rows": rows, "noun": noun}


def read_network(target):
    """The agent's DHCP reservations and NAT rules (None where it has no such route)."""
    client = target.client_factory()
    return {"dhcp_hosts": _optional_list(client, "/network/dhcp/hosts", "hosts"),
            "nat_rules": _optional_list(client, "/network/nat/rules", "configured_rules")}


def read_detail(target, noun, name):
    """GET {M}/{name}; None if the zone went away since the list was read."""
    client = target.client_factory()
    try:
        return client.get("/%s/%s" % (noun, AgentClient.segment(name)))
    except NotFoundError:
        return None


class Collector:
    """Runs the reads of many agents through one bounded thread pool."""

    def __init__(self, max_workers=32):
        self.max_workers = max(1, int(max_workers))
        self._pool = None

    def __enter__(self):
        self._pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="zoneweaver-inventory")
        return self

    def __exit__(self, *exc):
        self._pool.shutdown(wait=True)
        self._pool = None

    def collect(self, targets, hyperweavers=(), resolve_addresses=False, params=None):
        """Read every target and every Hyperweaver server's agents.

        Returns (results, failures): results is a list of
        {"target", "rows", "noun", "dhcp_hosts", "nat_rules"} in a stable
        order (direct agents first, in the given order, then each server's
        agents by id); failures a list of (what, error message).
        """
        pending = {}
        order = []
        results = {}
        failures = []

        def submit_target(target):
            order.append(target)
            if target.error:
                failures.append((target.describe(), target.error))
                return
            pending[self._pool.submit(read_target, target, params)] = ("list", target)
            if resolve_addresses:
                pending[self._pool.submit(read_network, target)] = ("network", target)

        for target in targets:
            submit_target(target)
        hw_order = list(hyperweavers)
        discovered = {}
        network = {}
        for source in hw_order:
            pending[self._pool.submit(source.discover)] = ("hyperweaver", source)
        while pending:
            done = wait(list(pending), return_when=FIRST_COMPLETED)[0]
            for future in done:
                kind, item = pending.pop(future)
                try:
                    value = future.result()
                except ZoneweaverError as exc:
                    if kind == "hyperweaver":
                        failures.append(("Hyperweaver %s" % item.client.url, str(exc)))
                    elif kind == "network":
                        failures.append(("the DHCP/NAT lists of %s" % item.describe(), str(exc)))
                    else:
                        failures.append((item.describe(), str(exc)))
                    continue
                if kind == "hyperweaver":
                    discovered[item] = sorted(value, key=lambda t: str(t.agent_id))
                    for target in discovered[item]:
                        submit_target(target)
                elif kind == "network":
                    network[id(item)] = value
                else:
                    results[id(item)] = dict(value, target=item)
        for key, value in network.items():
            if key in results:
                results[key].update(value)
        ordered = [results[id(t)] for t in order if id(t) in results and t.hyperweaver is None]
        for source in hw_order:
            ordered.extend(results[id(t)] for t in discovered.get(source, ()) if id(t) in results)
        return ordered, failures

    def details(self, wanted):
        """wanted: [(target, noun, name)] -> ({(label, name): detail}, failures)."""
        futures = [(item, self._pool.submit(read_detail, *item)) for item in wanted]
        found, failures = {}, []
        for (target, noun, name), future in futures:
            try:
                detail = future.result()
            except ZoneweaverError as exc:
                failures.append(("zone %r on %s" % (name, target.describe()), str(exc)))
                continue
            if isinstance(detail, dict):
                found[(target.label, name)] = detail
        return found, failures


# --------------------------------------------------------------------------- facts

def _addresses(nics):
    found = []
    for nic in nics or ():
        for part in str(nic.get("allowed_address") or "").split(","):
            address = part.strip().split("/", 1)[0]
            if address and address not in found:
                found.append(address)
    return found


# Facts from the list row, for every zone: what inventories group, filter and compose on.
LIST_FACTS = ("name", "status", "brand", "vcpus", "ram", "tags", "notes", "server_id", "vm_type", "nics")
# Every zone's facts from the list answer; the inventory's host_facts option chooses among them.
LIST_LEVEL_FACTS = frozenset(LIST_FACTS + ("addresses",))
# Added with want_details (the zone's GET {M}): the rest of the configuration and the live state.
DETAIL_FACTS = ("autoboot", "bootrom", "boot_disk", "disks", "cdroms", "cloud_init", "addresses", "is_orphaned",
                "reboot_pending", "zone_id", "host", "vnc_port", "system_status", "pending_tasks", "pending_changes")


def zone_facts(row, noun, detail=None):
    """The facts of one zone (unprefixed): LIST_FACTS from its list row, plus
    DETAIL_FACTS when its detail answer is given. (Each host variable costs
    ansible-inventory time on every run, so the list-level set stays small.)

    Raises nothing for odd agent data: a zone whose configuration cannot be
    normalised keeps the row's plain fields and gets `facts_error`.
    """
    facts = {"name": row.get("name"), "status": row.get("status"), "brand": row.get("brand"), "vcpus": None,
             "ram": None, "tags": list(row.get("tags") or []), "notes": row.get("notes"),
             "server_id": row.get("server_id"), "vm_type": row.get("vm_type"), "nics": []}
    generation = _Generation(noun)
    if detail is None:
        config = row.get("configuration") if isinstance(row.get("configuration"), dict) else {}
        source = {generation.info_key: row, "configuration": config}
        if isinstance(config.get("pending_changes"), dict):  # 0.3.9 keeps accrued changes in the document
            source["pending_changes"] = config["pending_changes"]
    else:
        source = detail
    try:
        view = public_view(view_from_agent(source, generation))
    except (ZoneweaverError, ValueError, TypeError, AttributeError) as exc:
        facts["facts_error"] = "the zone's configuration could not be read: %s" % exc
        return facts
    for key in LIST_FACTS:
        if view.get(key) is not None:
            facts[key] = view[key]
    facts["tags"] = list(facts["tags"] or [])
    facts["addresses"] = _addresses(facts["nics"])
    if detail is not None:
        info = detail.get(generation.info_key) or {}
        for key in ("autoboot", "bootrom", "boot_disk", "disks", "cdroms", "cloud_init", "vnc_port",
                    "reboot_pending", "pending_changes"):
            facts[key] = view.get(key)
        facts["is_orphaned"] = bool(info.get("is_orphaned", row.get("is_orphaned")))
        facts["zone_id"] = info.get("zone_id", row.get("zone_id"))
        facts["host"] = info.get("host", row.get("host"))
        facts["system_status"] = detail.get("system_status")
        facts["pending_tasks"] = [{"id": t.get("id"), "operation": t.get("operation"), "status": t.get("status")}
                                  for t in detail.get("pending_tasks") or () if isinstance(t, dict)]
    return facts


def _hostname_candidates(name):
    bare = _PREFIX_RE.sub("", str(name or ""))
    return {str(name), bare, bare.split(".", 1)[0]}


def _macs(nics):
    found = set()
    for nic in nics or ():
        try:
            found.add(values.normalize_mac(nic.get("mac_address")))
        except (ZoneweaverError, ValueError, TypeError, AttributeError):
            continue
    return found


def dhcp_address(facts, dhcp_hosts):
    """The address the agent's DHCP server hands this zone (by MAC, else hostname)."""
    macs = _macs(facts.get("nics"))
    names = _hostname_candidates(facts.get("name"))
    by_name = None
    for entry in dhcp_hosts or ():
        if not isinstance(entry, dict) or not entry.get("ip"):
            continue
        try:
            mac = values.normalize_mac(entry.get("mac"))
        except (ZoneweaverError, ValueError, TypeError, AttributeError):
            mac = None
        if mac and mac in macs:
            return entry["ip"]
        if by_name is None and entry.get("hostname") in names:
            by_name = entry["ip"]
    return by_name


def _rdr_address(match):
    """The destination an rdr rule catches: one address, 'any' (None), or not one host (False)."""
    address, _slash, mask = match.partition("/")
    if address in _ANY_ADDRESS:
        return None
    if mask and mask != "32":
        return False
    return address


def ssh_forward(address, nat_rules, agent_host, port=22):
    """(host, port) where an ipnat rdr rule makes address:port reachable, or None.

    The port is None when the rule redirects whole addresses (the port stays 22).
    A rule that catches any destination (0/0) is reached at the agent's host.
    """
    for rule in nat_rules or ():
        if not isinstance(rule, dict):
            continue
        for text in (rule.get("raw_rule"), rule.get("rule")):
            match = _RDR_RE.match(str(text or ""))
            if not match or match.group(3) != address:
                continue
            caught = _rdr_address(match.group(1))
            if caught is False:
                continue
            outer, inner = match.group(2), match.group(4)
            if outer and int(inner or outer) != port:
                continue
            if not outer and inner and int(inner) != port:
                continue
            return (caught or agent_host, int(outer) if outer else None)
    return None


def reachability(facts, dhcp_hosts=None, nat_rules=None, use_zlogin=False):
    """(connection vars, extra facts) for one zone, from what its agent knows.

    - use_zlogin and a native (non-bhyve/kvm) zone: the zlogin connection from
      the global zone; ansible_host is the agent's host.
    - else the first NIC allowed-address; with resolve_addresses also the DHCP
      reservation, and an ipnat rdr rule redirecting to that address (port 22)
      wins, because a zone on a private etherstub is only reachable through it.
    """
    extra = {}
    if use_zlogin and facts.get("brand") not in VM_BRANDS:
        return ({"ansible_connection": "zoneweaver.illumos.zlogin", "ansible_host": facts.get("agent_host"),
                 "ansible_zlogin_zone": facts.get("name")}, extra)
    address = (_addresses(facts.get("nics")) or [None])[0]
    if dhcp_hosts:
        leased = dhcp_address(facts, dhcp_hosts)
        if leased:
            extra["dhcp_address"] = leased
            address = address or leased
    if address and nat_rules:
        forward = ssh_forward(address, nat_rules, facts.get("agent_host"))
        if forward:
            extra["ssh_forward"] = {"host": forward[0], "port": forward[1] or 22}
            connection = {"ansible_host": forward[0]}
            if forward[1]:
                connection["ansible_port"] = forward[1]
            return connection, extra
    return ({"ansible_host": address} if address else {}), extra
