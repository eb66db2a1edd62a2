# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: zones
short_description: Zones of Zoneweaver Agents and Hyperweaver Servers as inventory hosts
version_added: 0.1.0
description:
  - Reads the zones (bhyve and native) of one or more Zoneweaver Agents, directly and/or through
    Hyperweaver Servers, and makes each zone an inventory host with its facts as host variables,
    grouped by agent, state, brand and tag.
  - The inventory source is a YAML file whose name ends in C(zoneweaver.yml), C(zoneweaver.yaml),
    C(zones.yml) or C(zones.yaml), with O(plugin=zoneweaver.illumos.zones).
  - "Cost: one list request per agent (C(GET /machines), or C(GET /zones) on agents before 0.3.6),
    all agents at the same time (O(max_workers)). A Hyperweaver Server adds one login and one
    C(GET /api/servers); the agents' generations come from that list, so no C(GET /status) is sent.
    O(want_details) adds one request per zone that passed the filters, O(resolve_addresses) two per agent."
  - All data read from agents is marked unsafe, so a zone's notes or tags can never be run as a template.
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; always V(zoneweaver.illumos.zones).
    required: true
    choices: ['zoneweaver.illumos.zones']
    type: str
  agents:
    description:
      - Zoneweaver Agents to read directly.
      - Every string value may be a template (for example a C(lookup)) or a vaulted value.
    type: list
    elements: dict
    default: []
    suboptions:
      url:
        description: URL of the agent, for example V(https://omni1.example.com:5001).
        type: str
        required: true
      api_key:
        description:
          - API key of the agent (any role; V(viewer) is enough).
          - Mutually exclusive with O(agents[].api_key_env).
        type: str
      api_key_env:
        description: Name of an environment variable holding the API key (handy in AWX, see the notes).
        type: str
      name:
        description:
          - Label of the agent, used in group names (C(<group_prefix>agent_<name>)) and the C(agent) fact.
          - Defaults to the host part of O(agents[].url), or host and port when several agents share a host.
        type: str
      validate_certs:
        description: Verify the agent's TLS certificate. Defaults to O(validate_certs).
        type: bool
      ca_path:
        description: PEM file with the certificate authority (or self-signed certificate) to trust.
        type: path
  hyperweaver:
    description:
      - Hyperweaver Servers whose registered agents are read through the server's agent relay
        (C(/api/agents/{id}/...)); the server holds the agents' keys.
      - The user sees and reaches only the agents (and machines) its organisation may see; an agent the
        server refuses is reported like an unreachable one.
      - Every string value may be a template or a vaulted value.
    type: list
    elements: dict
    default: []
    suboptions:
      url:
        description: URL of the Hyperweaver Server, for example V(https://hyperweaver.example.com:3443).
        type: str
        required: true
      username:
        description: User name or email of a local or LDAP account (the server has no API keys).
        type: str
      password:
        description: Password of O(hyperweaver[].username). The login token is reused within the run.
        type: str
      password_env:
        description: Name of an environment variable holding the password.
        type: str
      token:
        description: A login token (JWT) to use instead of logging in; it lasts 24 hours.
        type: str
      token_env:
        description: Name of an environment variable holding the token.
        type: str
      agents:
        description: Read only these agents of the server, by id or registered name (C(entity_name)).
        type: list
        elements: str
      validate_certs:
        description: Verify the server's TLS certificate. Defaults to O(validate_certs).
        type: bool
      ca_path:
        description: PEM file with the certificate authority to trust.
        type: path
  api_url:
    description:
      - URL of a single agent, used only when neither O(agents) nor O(hyperweaver) is set.
    type: str
    env:
      - name: ZONEWEAVER_URL
  api_key:
    description:
      - API key of O(api_url).
    type: str
    env:
      - name: ZONEWEAVER_API_KEY
  validate_certs:
    description:
      - Default for verifying TLS certificates. Rather than turning it off, trust a self-signed
        certificate with C(ca_path).
    type: bool
    default: true
    env:
      - name: ZONEWEAVER_VALIDATE_CERTS
  timeout:
    description: Seconds to wait for one HTTP answer (connecting is capped at 10 seconds).
    type: int
    default: 10
  max_workers:
    description:
      - Requests in flight at the same time, over all agents. Every worker has its own HTTP session.
      - The workers mostly wait on the network, so the default lets a fleet of up to 32 agents be read in one
        round trip; lower it to spare a slow Hyperweaver Server.
    type: int
    default: 32
  want_details:
    description:
      - Also read each zone's detail (C(GET /machines/{name})) for the full configuration and the live state
        (C(system_status) is zoneadm's state right now, C(pending_tasks), C(pending_changes)); see the notes.
      - Only zones that pass O(status), O(brands), O(tags) and O(filters) are read; the filters see the
        facts of the list, not these.
    type: bool
    default: false
  status:
    description: Keep only zones in one of these states (for example V(running), V(installed)).
    type: list
    elements: str
    default: []
  brands:
    description: Keep only zones of these brands (for example V(bhyve), V(lx), V(sparse)).
    type: list
    elements: str
    default: []
  tags:
    description: Keep only zones carrying at least one of these tags.
    type: list
    elements: str
    default: []
  filters:
    description:
      - Jinja2 conditionals; a zone becomes a host only if all of them are true.
      - They see the zone's facts both with and without O(facts_prefix), for example
        V(zoneweaver_vcpus >= 2) or V("'web' in tags").
      - With O(strict) an expression that fails is an error, otherwise the zone is left out.
    type: list
    elements: str
    default: []
  hostname:
    description:
      - Template for the inventory hostname, over the same variables as O(filters),
        for example V({{ name | regex_replace('^[0-9]+--', '') }}) or V({{ name }}@{{ agent }}).
      - Defaults to the zone name. A name already taken by another zone is reported and that zone skipped.
    type: str
  group_prefix:
    description: Prefix of the groups this plugin makes.
    type: str
    default: zoneweaver_
  facts_prefix:
    description: Prefix of the host variables carrying the zone's facts.
    type: str
    default: zoneweaver_
  host_facts:
    description:
      - The zone facts set as host variables (each with O(facts_prefix)); V(all) sets every fact that was read.
      - O(filters), O(hostname), O(compose), O(groups) and O(keyed_groups) see every fact whatever is chosen
        here, so a fact needed only to build groups or C(ansible_host) costs nothing at run time.
      - Each host variable costs ansible-core time on every inventory run (about 0.2 s per 2000 hosts for a
        list of dicts such as C(nics)), so the default set is small.
      - This chooses among the facts of the list answer, C(name), C(status), C(brand), C(vcpus), C(ram), C(tags),
        C(addresses), C(notes), C(server_id), C(vm_type) and C(nics). The facts O(want_details) and
        O(resolve_addresses) add, and C(facts_error), are always set when present.
    type: list
    elements: str
    default: [name, status, brand, vcpus, ram, tags, addresses]
  use_zlogin:
    description:
      - For native zones (every brand except V(bhyve) and V(kvm)) set C(ansible_connection) to
        C(zoneweaver.illumos.zlogin), C(ansible_host) to the agent's host (the global zone) and
        C(ansible_zlogin_zone) to the zone name.
      - The zlogin connection plugin comes with the collection's native (SSH to the global zone) support.
    type: bool
    default: false
  resolve_addresses:
    description:
      - Also read the agent's DHCP reservations (C(GET /network/dhcp/hosts)) and NAT rules
        (C(GET /network/nat/rules)), two more requests per agent.
      - A zone without an allowed-address gets its reserved DHCP address (matched by MAC, else host name).
      - An C(rdr) rule redirecting to the zone's address wins, because a zone on a private etherstub is only
        reachable through it. C(ansible_host) becomes the address the rule catches (the agent's host for
        C(0/0)); a rule that maps a port to the zone's port 22 also sets C(ansible_port). The agent's API writes
        whole-address rules (C(rdr igb0 192.0.2.10/32 -> 10.190.190.10)), so the port usually stays 22.
      - Agents without these routes are read as if they had none.
    type: bool
    default: false
  strict_sources:
    description:
      - Fail when an agent or server cannot be read (unreachable, refused key, refused by
        Hyperweaver's organisation scope). By default it is reported as a warning and its zones left out.
      - Failing means no partial inventory from this file; ansible-core reports the source as unparsed.
        To stop the run as well, set C(any_unparsed_is_failed) in the C([inventory]) section
        (E(ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED)).
    type: bool
    default: false
notes:
  - "Host variables of every zone by default (named here with the default O(facts_prefix)): C(zoneweaver_name),
    C(_status), C(_brand), C(_vcpus), C(_ram), C(_tags) and C(_addresses) (the NICs' allowed addresses without
    prefix length). With O(host_facts) also C(_notes), C(_server_id), C(_vm_type) and C(_nics) (a list of
    C(physical), C(global_nic), C(vlan_id), C(mac_address), C(allowed_address)). Its agent's facts are variables
    of the agent's group C(<group_prefix>agent_<agent>), set once per agent: C(zoneweaver_agent) (the label),
    C(_agent_url), C(_agent_host), and for agents read through Hyperweaver C(_agent_id), C(_hyperweaver_url) and
    C(_agent_version)."
  - "With O(want_details) also C(_autoboot), C(_bootrom), C(_boot_disk), C(_disks), C(_cdroms), C(_cloud_init),
    C(_addresses), C(_is_orphaned), C(_reboot_pending), C(_zone_id), C(_host), C(_vnc_port), C(_system_status),
    C(_pending_tasks) and C(_pending_changes); with O(resolve_addresses) C(_dhcp_address) and C(_ssh_forward)
    where they apply."
  - "C(ansible_host) is the first NIC allowed-address of the zone's configuration (without prefix length);
    zones without one get none. O(compose) runs afterwards and can override C(ansible_host),
    C(ansible_port), C(ansible_connection) and C(ansible_user)."
  - "Groups: C(<group_prefix>agent_<agent>), C(<group_prefix>status_<status>), C(<group_prefix>brand_<brand>)
    and C(<group_prefix>tag_<tag>), with invalid characters replaced by C(_)."
  - "Caching (O(cache)) stores what the agents answered, per inventory file, never a key or token.
    A run that could not read every source voids the cache entry instead of storing a partial answer,
    and a changed source list or filter option invalidates it. C(--flush-cache) reads afresh."
  - "AWX / Automation Controller: keep the file in the project as an inventory source; give the keys
    through a custom credential type whose injector sets environment variables, and name them with
    O(agents[].api_key_env) / O(hyperweaver[].password_env) (or set E(ZONEWEAVER_URL) and
    E(ZONEWEAVER_API_KEY) for a single agent). Vaulted values work too."
requirements:
  - requests (Python library, on the controller)
"""

EXAMPLES = r"""
# zoneweaver.yml: two agents read directly, keys from vault and from the environment
plugin: zoneweaver.illumos.zones
agents:
  - url: https://omni1.example.com:5001
    api_key: !vault |
      $ANSIBLE_VAULT;1.1;AES256
      62353634333163633336343265623632626339313032653563653165313262343931643431656138
      6134333736323265656466646539663134306166666237630a653363623262636663333762316136
      3037646432383064630a663165303564623338666131353366373630656661333437393937343331
    ca_path: /etc/pki/zoneweaver/omni1-ca.pem
  - url: https://omni2.example.com:5001
    name: omni2
    api_key_env: OMNI2_API_KEY
status: [running]
filters:
  - zoneweaver_brand == 'bhyve'
hostname: "{{ name | regex_replace('^[0-9]+--', '') }}"
keyed_groups:
  - key: zoneweaver_vm_type
    prefix: vmtype
groups:
  big: zoneweaver_vcpus is number and zoneweaver_vcpus >= 4
compose:
  ansible_user: "'vagrant'"

# zones.yml: every agent a Hyperweaver Server lets this user see
---
plugin: zoneweaver.illumos.zones
hyperweaver:
  - url: https://hyperweaver.example.com:3443
    username: automation
    password: "{{ lookup('ansible.builtin.env', 'HYPERWEAVER_PASSWORD') }}"
    agents: [omni1, omni2]
want_details: true
resolve_addresses: true
use_zlogin: true
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/zoneweaver-inventory
cache_timeout: 600
strict_sources: true
"""

import hashlib
import json
import os

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.group import to_safe_group_name
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

if getattr(BaseInventoryPlugin, "trusted_by_default", True) is False:
    # ansible-core 2.19+: every value an inventory plugin sets passes through the
    # inventory's variable visitor, which strips trust unless the plugin declares
    # trusted_by_default (this one declares False). wrap_var would only repeat that.
    def make_unsafe(value):
        return value
else:  # pragma: no cover - cores before 2.19 (the collection needs 2.19, kept for safety)
    from ansible.utils.unsafe_proxy import wrap_var as make_unsafe

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.hyperweaver.client import HyperweaverClient
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_inventory import (
    AGENT_FACTS, LIST_LEVEL_FACTS, Collector, DirectAgent, HyperweaverSource, Target, host_of, reachability, zone_facts)

CACHE_SCHEMA = 1
FILE_SUFFIXES = ("zoneweaver.yml", "zoneweaver.yaml", "zones.yml", "zones.yaml")
AGENT_KEYS = frozenset(("url", "api_key", "api_key_env", "name", "validate_certs", "ca_path"))
HYPERWEAVER_KEYS = frozenset(("url", "username", "password", "password_env", "token", "token_env", "agents",
                              "validate_certs", "ca_path"))


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Zones of Zoneweaver Agents (directly or through Hyperweaver) as hosts."""

    NAME = "zoneweaver.illumos.zones"
    trusted_by_default = False  # agent data is never templated (zone notes, tags, names)

    def verify_file(self, path):
        if super().verify_file(path) and path.endswith(FILE_SUFFIXES):
            return True
        self.display.vvv("zoneweaver.illumos.zones: skipping %s: the name does not end in %s"
                         % (path, " or ".join(FILE_SUFFIXES)))
        return False

    # ------------------------------------------------------------------ parse
    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        agents, hyperweavers = self._sources()
        fingerprint = self._fingerprint(agents, hyperweavers)

        cache_key = self.get_cache_key(path)
        user_cache = self.get_option("cache")
        read_cache = user_cache and cache
        update_cache = user_cache and not cache
        data = None
        if read_cache:
            try:
                cached = self._cache[cache_key]
            except KeyError:
                update_cache = True
            else:
                if isinstance(cached, dict) and cached.get("fingerprint") == fingerprint:
                    data = cached
                else:  # the file's sources or filters changed since the cache was written
                    update_cache = True
        if data is None:
            data = self._fetch(agents, hyperweavers)
            data["fingerprint"] = fingerprint
            if update_cache:
                # A partial answer is not kept, and it voids an older entry: the next run asks every source again.
                self._cache[cache_key] = data if data["complete"] else {"schema": CACHE_SCHEMA, "incomplete": True}
        self._populate(data)

    # ------------------------------------------------------------------ options
    def _resolve(self, value):
        """Template a configured value (lookups, vault) when it is one."""
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, str):
            return self.templar.template(value) if self.templar.is_template(value) else value
        if isinstance(value, (list, tuple)):
            return [self._resolve(item) for item in value]
        # A !vault value (EncryptedString) is not a str; templating decrypts it.
        return to_text(self.templar.template(value))

    def _entry(self, entry, allowed, what, index):
        if not isinstance(entry, dict):
            raise AnsibleParserError("%s[%d] must be a dictionary, got %s" % (what, index, type(entry).__name__))
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise AnsibleParserError("%s[%d] has unknown key(s) %s; known: %s"
                                     % (what, index, ", ".join(unknown), ", ".join(sorted(allowed))))
        resolved = {key: self._resolve(value) for key, value in entry.items()}
        if not resolved.get("url"):
            raise AnsibleParserError("%s[%d] needs a url" % (what, index))
        for key in ("validate_certs",):
            if resolved.get(key) is not None:
                resolved[key] = boolean(resolved[key], strict=False)
        return resolved

    def _secret(self, entry, key, what):
        env_name = entry.get(key + "_env")
        if entry.get(key) and env_name:
            raise AnsibleParserError("%s: set %s or %s_env, not both" % (what, key, key))
        if env_name:
            value = os.environ.get(str(env_name))
            if not value:
                self.display.warning("zoneweaver.illumos.zones: %s: environment variable %s is not set"
                                     % (what, env_name))
            return value or None
        return entry.get(key) or None

    def _sources(self):
        """(direct Targets, HyperweaverSources) from the options; no request is sent."""
        validate = self.get_option("validate_certs")
        timeout = self.get_option("timeout")
        agent_entries = [self._entry(e, AGENT_KEYS, "agents", i) for i, e in enumerate(self.get_option("agents") or [])]
        hw_entries = [self._entry(e, HYPERWEAVER_KEYS, "hyperweaver", i)
                      for i, e in enumerate(self.get_option("hyperweaver") or [])]
        if not agent_entries and not hw_entries and self.get_option("api_url"):
            agent_entries = [{"url": self._resolve(self.get_option("api_url")),
                              "api_key": self._resolve(self.get_option("api_key"))}]
        if not agent_entries and not hw_entries:
            raise AnsibleParserError("zoneweaver.illumos.zones: no source: set agents, hyperweaver, "
                                     "or api_url (ZONEWEAVER_URL)")
        hosts = [host_of(e["url"]) for e in agent_entries]
        targets = []
        for index, entry in enumerate(agent_entries):
            url = str(entry["url"]).rstrip("/")
            host = hosts[index]
            label = entry.get("name")
            if not label:
                port = url.rsplit(":", 1)[-1] if url.count(":") > 1 else None
                label = "%s_%s" % (host, port) if hosts.count(host) > 1 and port else host
            what = "agents[%d] (%s)" % (index, label)
            key = self._secret(entry, "api_key", what)
            target = Target(str(label), url, host)
            if not key:
                target.error = "no API key (set api_key or api_key_env)"
            else:
                try:
                    agent = DirectAgent(url, api_key=key,
                                        validate_certs=validate if entry.get("validate_certs") is None
                                        else entry["validate_certs"],
                                        ca_path=entry.get("ca_path"), timeout=timeout, retries=1)
                except ZoneweaverError as exc:
                    raise AnsibleParserError("zoneweaver.illumos.zones: %s: %s" % (what, exc))
                target.client_factory = agent.client
            targets.append(target)
        sources = []
        for index, entry in enumerate(hw_entries):
            what = "hyperweaver[%d] (%s)" % (index, entry["url"])
            try:
                client = HyperweaverClient(
                    entry["url"], username=entry.get("username"), password=self._secret(entry, "password", what),
                    token=self._secret(entry, "token", what),
                    validate_certs=validate if entry.get("validate_certs") is None else entry["validate_certs"],
                    ca_path=entry.get("ca_path"), timeout=timeout, retries=1)
            except ZoneweaverError as exc:
                raise AnsibleParserError("zoneweaver.illumos.zones: %s: %s" % (what, exc))
            sources.append(HyperweaverSource(client, only=entry.get("agents")))
        return targets, sources

    def _fingerprint(self, targets, sources):
        """What the fetched data depends on (never a secret)."""
        facts = {
            "schema": CACHE_SCHEMA,
            "agents": [[t.label, t.url] for t in targets],
            "hyperweaver": [[s.client.url, s.client.username, s.only] for s in sources],
        }
        for option in ("want_details", "status", "brands", "tags", "filters", "resolve_addresses", "facts_prefix"):
            facts[option] = self.get_option(option)
        text = json.dumps(facts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    # ------------------------------------------------------------------ fetch
    def _list_params(self):
        """Server-side filters the agent applies itself (one value each)."""
        params = {}
        if len(self.get_option("status") or []) == 1:
            params["status"] = self.get_option("status")[0]
        if len(self.get_option("tags") or []) == 1:
            params["tag"] = self.get_option("tags")[0]
        return params or None

    def _fetch(self, targets, sources):
        resolve = self.get_option("resolve_addresses")
        complete = True
        failures = []
        with Collector(self.get_option("max_workers")) as collector:
            results, errors = collector.collect(targets, sources, resolve_addresses=resolve,
                                                params=self._list_params())
            failures.extend(errors)
            agents = self._agents_data(results)
            details = []
            if self.get_option("want_details"):
                wanted = []
                for agent, result in zip(agents, results):
                    for row in agent["rows"]:
                        if self._keep(self._facts(row, agent)):
                            wanted.append((result["target"], agent["noun"], row["name"]))
                found, errors = collector.details(wanted)
                failures.extend(errors)
                details = [[label, name, detail] for (label, name), detail in sorted(found.items())]
        if failures:
            complete = False
            self._report(failures)
        return {"schema": CACHE_SCHEMA, "agents": agents, "details": details, "complete": complete}

    @staticmethod
    def _agents_data(results):
        agents, seen = [], set()
        for result in results:
            target = result["target"]
            facts = target.facts()
            label = facts["agent"]
            if label in seen:  # two servers (or a server and a direct entry) with the same agent name
                label = "%s_%s" % (label, target.agent_id if target.agent_id is not None else len(seen))
                facts["agent"] = label
                target.label = label
            seen.add(label)
            agents.append(dict(facts, noun=result["noun"], rows=result["rows"],
                               dhcp_hosts=result.get("dhcp_hosts"), nat_rules=result.get("nat_rules")))
        return agents

    def _report(self, failures):
        lines = ["%s: %s" % (what, message) for what, message in failures]
        if self.get_option("strict_sources"):
            raise AnsibleError("zoneweaver.illumos.zones could not read every source (strict_sources):\n  - "
                               + "\n  - ".join(lines))
        for line in lines:
            self.display.warning("zoneweaver.illumos.zones: skipped %s" % line)

    # ------------------------------------------------------------------ hosts
    @staticmethod
    def _facts(row, agent, detail=None):
        facts = zone_facts(row, agent["noun"], detail)
        for key in AGENT_FACTS:
            if key in agent:
                facts[key] = agent[key]
        return make_unsafe(facts)

    def _variables(self, facts):
        prefix = self.get_option("facts_prefix") or ""
        variables = dict(facts)
        variables.update(("%s%s" % (prefix, key), value) for key, value in facts.items())
        return variables

    def _keep(self, facts):
        statuses = self.get_option("status") or []
        if statuses and facts.get("status") not in statuses:
            return False
        brands = self.get_option("brands") or []
        if brands and facts.get("brand") not in brands:
            return False
        tags = self.get_option("tags") or []
        if tags and not set(tags) & set(facts.get("tags") or ()):
            return False
        filters = self.get_option("filters") or []
        if not filters:
            return True
        variables = self._variables(facts)
        for expression in filters:
            try:
                self.templar.available_variables = variables
                if not boolean(self.templar.evaluate_conditional(expression), strict=False):
                    return False
            except Exception as exc:  # pylint: disable=broad-except
                if self.get_option("strict"):
                    raise AnsibleError("zoneweaver.illumos.zones: filter %r failed for zone %r: %s"
                                       % (expression, facts.get("name"), exc))
                return False
        return True

    def _hostname(self, facts):
        template = self.get_option("hostname")
        if not template:
            return facts.get("name")
        self.templar.available_variables = self._variables(facts)
        try:
            name = self.templar.template(template)
        except Exception as exc:  # pylint: disable=broad-except
            if self.get_option("strict"):
                raise AnsibleError("zoneweaver.illumos.zones: hostname template failed for zone %r: %s"
                                   % (facts.get("name"), exc))
            return facts.get("name")
        return to_text(name).strip() or facts.get("name")

    def _group(self, *parts):
        """The group for these name parts, created on first use (thousands of hosts share a few groups)."""
        group = self._groups.get(parts)
        if group is None:
            name = (self.get_option("group_prefix") or "") + "_".join(to_text(p) for p in parts)
            group = self._groups[parts] = self.inventory.add_group(to_safe_group_name(name, force=True, silent=True))
        return group

    def _populate(self, data):
        self._groups = {}
        details = {(label, name): detail for label, name, detail in data.get("details") or ()}
        prefix = self.get_option("facts_prefix") or ""
        strict = self.get_option("strict")
        use_zlogin = self.get_option("use_zlogin")
        chosen = set(self.get_option("host_facts") or ())
        keep_all = "all" in chosen
        owners = {}
        for agent in data["agents"]:
            agent_group = self._group("agent", agent["agent"])
            # The agent's facts are the same for all its zones: set once, on its group.
            agent_vars = make_unsafe({prefix + key: agent[key] for key in AGENT_FACTS if key in agent})
            for key, value in agent_vars.items():
                self.inventory.set_variable(agent_group, key, value)
            for row in agent["rows"]:
                facts = self._facts(row, agent)
                if not self._keep(facts):
                    continue
                detail = details.get((agent["agent"], row["name"]))
                if detail is not None:
                    facts = self._facts(row, agent, detail)
                hostname = make_unsafe(self._hostname(facts))
                if hostname in owners:
                    self.display.warning("zoneweaver.illumos.zones: zone %r on agent %r has the inventory hostname "
                                         "%r of zone %r on agent %r; skipped (make names unique with the hostname "
                                         "option, for example '{{ name }}@{{ agent }}')"
                                         % (facts["name"], agent["agent"], hostname, owners[hostname][1],
                                            owners[hostname][0]))
                    continue
                owners[hostname] = (agent["agent"], facts["name"])
                connection, extra = reachability(facts, agent.get("dhcp_hosts"), agent.get("nat_rules"), use_zlogin)
                facts.update(make_unsafe(extra))
                self.inventory.add_host(hostname, group=agent_group)
                for key, value in facts.items():
                    if key not in AGENT_FACTS and (keep_all or key in chosen or key not in LIST_LEVEL_FACTS):
                        self.inventory.set_variable(hostname, prefix + key, value)
                connection = make_unsafe(connection)
                for key, value in connection.items():
                    self.inventory.set_variable(hostname, key, value)
                if facts.get("status"):
                    self.inventory.add_child(self._group("status", facts["status"]), hostname)
                if facts.get("brand"):
                    self.inventory.add_child(self._group("brand", facts["brand"]), hostname)
                for tag in facts.get("tags") or ():
                    self.inventory.add_child(self._group("tag", tag), hostname)
                self._construct(hostname, agent_vars, facts, connection, strict)

    def _construct(self, hostname, agent_vars, facts, connection, strict):
        """compose, groups, keyed_groups over all the zone's facts (chosen as host variables or not),
        its connection variables and its agent's."""
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed = self.get_option("keyed_groups")
        if not (compose or groups or keyed):
            return
        prefix = self.get_option("facts_prefix") or ""
        variables = dict(agent_vars)
        variables.update((prefix + key, value) for key, value in facts.items() if key not in AGENT_FACTS)
        variables.update(self.inventory.get_host(hostname).get_vars())
        variables.update(connection)
        self._set_composite_vars(compose, variables, hostname, strict=strict)
        self._add_host_to_composed_groups(groups, variables, hostname, strict=strict)
        self._add_host_to_keyed_groups(keyed, variables, hostname, strict=strict)
