# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Datalinks and IP configuration through the agent (agent-api.md section 4).

The same paths serve both agent generations:
- links: GET /monitoring/network/interfaces (every datalink class);
- VNICs: GET/POST /network/vnics, DELETE /network/vnics/{vnic},
  GET/PUT /network/vnics/{vnic}/properties;
- etherstubs: GET/POST /network/etherstubs, DELETE /network/etherstubs/{e}?force=;
- VLANs: GET/POST /network/vlans, DELETE /network/vlans/{vlan};
- IP addresses: GET/POST /network/addresses, DELETE /network/addresses/{if}/{name},
  PUT .../enable and .../disable (the agent's route captures the address object
  with its slash, so the slash is sent as is);
- forwarding: GET/PUT /network/forwarding.

Each list is read with ONE request (with a limit far above the agent's default
of 100, so no object hides behind the page size). VNIC, etherstub and VLAN
lists come from the agent's monitoring database and lag behind task completion
by a collector interval (~10 s); settle() waits for the task and then for the
list to agree (agent/lists.py). Mutations answer 202 with a task_id; tasks
keep no result, so callers re-read. Reads return the agent's rows; the
resources normalise them.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.lists import wait_visible
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import task_ids_of
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import AgentError

LIST_LIMIT = 10000
LINKS = "/monitoring/network/interfaces"
VNICS = "/network/vnics"
ETHERSTUBS = "/network/etherstubs"
VLANS = "/network/vlans"
ADDRESSES = "/network/addresses"
FORWARDING = "/network/forwarding"


def _as_dict(answer):
    return answer if isinstance(answer, dict) else {}


def _rows(answer, key):
    rows = _as_dict(answer).get(key)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def unique_rows(rows, key="link"):
    """One row per name. The agent orders its monitoring rows newest scan first,
    so the first row of a name is the current one."""
    seen = {}
    for row in rows:
        name = row.get(key)
        if name and name not in seen:
            seen[name] = row
    return list(seen.values())


def already_exists(error, kind, name):
    """The agent answers 400 (not 409) with "<Kind> <name> already exists" when a
    create names an object of that kind that exists on the host (it asks dladm
    live, while the lists may not show the object yet). Other 400s, including a
    name taken by a link of another class, are real errors."""
    if not isinstance(error, AgentError) or error.status not in (400, 409):
        return False
    return ("%s %s already exist" % (kind, name)).lower() in str(error.msg).lower()


def _flag(value):
    """Query flags: the agent compares with the string 'true'."""
    return "true" if value else None


class NetworkAgentBackend:
    def __init__(self, api):
        self.api = api
        self.client = api.client
        self.tasks = []

    def _mutate(self, method, path, body=None, params=None):
        """Send one mutation; keep its task ids so wait=false runs can be followed."""
        answer = _as_dict(self.client.request(method, path, params=params, body=body))
        self.tasks.extend({"step": step, "task_id": task_id} for step, task_id in task_ids_of(answer))
        return answer

    def wait(self, answer, timeout):
        """Wait for the tasks an answer names; returns [(step, task_id)]."""
        return self.api.wait_for(answer, timeout)

    def settle(self, answer, read, present, timeout, what):
        """Wait for the answer's tasks, then until read() shows the object
        (present=True) or no longer shows it. Returns the last read."""
        self.wait(answer, timeout)
        return wait_visible(read, present, timeout, what)

    # --- links ----------------------------------------------------------------
    def links(self):
        """Every datalink the agent's monitoring knows (phys, aggr, etherstub, vnic, vlan...)."""
        return unique_rows(_rows(self.client.get(LINKS, params={"limit": LIST_LIMIT}), "interfaces"))

    # --- VNICs ------------------------------------------------------------------
    def vnics(self):
        return unique_rows(_rows(self.client.get(VNICS, params={"limit": LIST_LIMIT}), "vnics"))

    def vnic_properties(self, name, names=None):
        """{property: current value or None} from the live dladm show-linkprop."""
        params = {"property": ",".join(names)} if names else None
        answer = self.client.get("%s/%s/properties" % (VNICS, self.client.segment(name)), params=params)
        props = {}
        for entry in _rows(answer, "properties"):
            if entry.get("property"):
                props[entry["property"]] = entry.get("value")
        return props

    def create_vnic(self, body):
        return self._mutate("POST", VNICS, body)

    def delete_vnic(self, name):
        return self._mutate("DELETE", "%s/%s" % (VNICS, self.client.segment(name)))

    def set_vnic_properties(self, name, properties):
        return self._mutate("PUT", "%s/%s/properties" % (VNICS, self.client.segment(name)),
                            {"properties": dict(properties), "temporary": False})

    # --- etherstubs -------------------------------------------------------------
    def etherstubs(self):
        return unique_rows(_rows(self.client.get(ETHERSTUBS, params={"limit": LIST_LIMIT}), "etherstubs"))

    def create_etherstub(self, name):
        return self._mutate("POST", ETHERSTUBS, {"name": name, "temporary": False})

    def delete_etherstub(self, name, force=False):
        return self._mutate("DELETE", "%s/%s" % (ETHERSTUBS, self.client.segment(name)),
                            params={"force": _flag(force)})

    # --- VLANs --------------------------------------------------------------------
    def vlans(self, live=True):
        """live=True reads dladm show-vlan directly (no collector lag)."""
        answer = self.client.get(VLANS, params={"limit": LIST_LIMIT, "live": _flag(live)})
        return unique_rows(_rows(answer, "vlans"))

    def create_vlan(self, body):
        return self._mutate("POST", VLANS, body)

    def delete_vlan(self, name):
        return self._mutate("DELETE", "%s/%s" % (VLANS, self.client.segment(name)))

    # --- IP addresses -------------------------------------------------------------
    def addresses(self, live=True):
        """live=True reads ipadm show-addr directly (no collector lag)."""
        answer = self.client.get(ADDRESSES, params={"limit": LIST_LIMIT, "live": _flag(live)})
        return unique_rows(_rows(answer, "addresses"), key="addrobj")

    def _addrobj_path(self, addrobj, *rest):
        interface, _sep, name = str(addrobj).partition("/")
        path = "%s/%s/%s" % (ADDRESSES, self.client.segment(interface), self.client.segment(name))
        return path + "".join("/" + part for part in rest)

    def create_address(self, body):
        return self._mutate("POST", ADDRESSES, body)

    def delete_address(self, addrobj, release=False):
        return self._mutate("DELETE", self._addrobj_path(addrobj), params={"release": _flag(release)})

    def enable_address(self, addrobj):
        return self._mutate("PUT", self._addrobj_path(addrobj, "enable"), {})

    def disable_address(self, addrobj):
        return self._mutate("PUT", self._addrobj_path(addrobj, "disable"), {})

    # --- forwarding -----------------------------------------------------------------
    def forwarding(self):
        """{forwarding: {ipv4: {current, persistent}, ipv6: {...}}, interfaces: [...], raw}."""
        return _as_dict(self.client.get(FORWARDING))

    def set_forwarding(self, body):
        """body: {enabled?: bool (global IPv4), interfaces?: [names]}. The agent sets the
        listed interfaces' IPv4 forwarding on, or off when enabled is false."""
        return self._mutate("PUT", FORWARDING, body)
