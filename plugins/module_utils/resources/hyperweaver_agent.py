# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Agents registered on a Hyperweaver Server (hyperweaver-boxvault.md 1.3, `/api/servers`).

What the server offers, and what follows from it:
- A registration is identified by (hostname, port, protocol), unique on the server.
- GET /api/servers lists rows in snake_case; the agent key is never returned, so
  it cannot be compared: `update_key` decides whether it is pushed again.
- POST /api/servers creates (camelCase body; every failure is HTTP 500 with a
  message: duplicate, key refused, agent unreachable). The server checks the key
  against the agent itself, so the SERVER must reach the agent, not the controller.
- PATCH /api/servers/{id} changes only allowInsecure; PUT /api/servers/{id}/orgs
  sets the owning organisations. Nothing else can be changed in place: a new
  entity name, description or key means deleting and registering again, which
  gives the agent a new id and (the delete cascades) drops its organisation rows.
  So that is done only when asked (recreate, or update_key=always for the key),
  after checking the server reaches the agent, and the organisations of the
  agent and of its machines are put back.
- DELETE /api/servers/{id} is a hard delete.

Secrets: the agent key and the login password/token never enter a message,
warning or diff (the server's messages do not echo them either).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AuthError, ConflictError, EndpointMissingError, InputError, TransportError, ZoneweaverError)

STATES = ("present", "absent")
PROTOCOLS = ("http", "https")
UPDATE_KEY = ("always", "on_create")
DEFAULT_PORT = 5001
NAME_MAX = 255
DESCRIPTION_MAX = 1000
# Fields of a registration shown in results and diffs (never the key).
ROW_FIELDS = ("id", "hostname", "port", "protocol", "entity_name", "description", "is_active", "allow_insecure",
              "last_seen", "last_used", "created_at", "updated_at", "org_uuids")
_HOST_RE = re.compile(r"^[A-Za-z0-9._:\[\]-]+$")
# What axios/Node puts into the server's message when it cannot reach the agent.
_UNREACHABLE_RE = re.compile(r"ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|"
                             r"socket hang up|timeout of \d+ms exceeded|certificate|self[- ]signed|getaddrinfo",
                             re.IGNORECASE)
_REACH_HINT = ("the Hyperweaver Server (not the controller) must reach the agent: check hostname, port and "
               "protocol, and set allow_insecure for an agent with a self-signed certificate")
_KEY_HINT = ("give api_key: a key the agent accepts (create one with zoneweaver.illumos.api_key, role admin "
             "or operator for full use through the server)")


# --------------------------------------------------------------------------- spec
def _text(value, what, limit, empty_ok=False):
    text = str(value)
    if (not empty_ok and not text.strip()) or len(text) > limit or any(ord(c) < 32 or ord(c) == 127 for c in text):
        lowest = 0 if empty_ok else 1
        raise InputError("invalid %s %r: use %d to %d printable characters" % (what, text[:80], lowest, limit))
    return text


def normalize_spec(params):
    """Validate the options; raises InputError before any request. Never echoes a secret."""
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    if not params.get("hyperweaver_url"):
        raise InputError("hyperweaver_url is required: the URL of the Hyperweaver Server",
                         hint="set hyperweaver_url or the ZONEWEAVER_HYPERWEAVER_URL environment variable")
    hostname = str(params.get("hostname") or "").strip()
    if not hostname:
        raise InputError("hostname is required: the agent's host name or address as the server reaches it")
    if "://" in hostname or "/" in hostname:
        raise InputError("hostname %r must be a host name or address, not a URL" % hostname[:120],
                         hint="split https://omni1.example.com:5001 into hostname, port and protocol")
    if not _HOST_RE.match(hostname) or len(hostname) > NAME_MAX:
        raise InputError("invalid hostname %r" % hostname[:120])
    port = params.get("port")
    port = DEFAULT_PORT if port is None else port
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise InputError("port must be a number, got %r" % (port,)) from None
    if not 0 < port < 65536:
        raise InputError("port must be between 1 and 65535, got %d" % port)
    protocol = params.get("protocol") or "https"
    if protocol not in PROTOCOLS:
        raise InputError("protocol must be http or https, got %r" % (protocol,))
    update_key = params.get("update_key") or "on_create"
    if update_key not in UPDATE_KEY:
        raise InputError("update_key must be always or on_create, got %r" % (update_key,))
    spec = {"state": state, "hostname": hostname, "port": port, "protocol": protocol, "update_key": update_key,
            "entity_name": None, "description": None, "allow_insecure": params.get("allow_insecure"),
            "orgs": None, "recreate": bool(params.get("recreate")), "api_key": None}
    if params.get("entity_name") is not None:
        spec["entity_name"] = _text(params["entity_name"], "entity_name", NAME_MAX).strip()
    if params.get("description") is not None:
        spec["description"] = _text(params["description"], "description", DESCRIPTION_MAX, empty_ok=True)
    if params.get("orgs") is not None:
        orgs = []
        for org in params["orgs"]:
            org = _text(org, "organisation uuid in orgs", NAME_MAX).strip()
            if org not in orgs:
                orgs.append(org)
        spec["orgs"] = orgs
    key = params.get("api_key")
    if key is not None:
        key = str(key).strip()
        if not key or any(ord(c) < 33 or ord(c) == 127 for c in key):
            # Never show the value: it is a secret even when malformed.
            raise InputError("api_key is empty or contains spaces or control characters")
        spec["api_key"] = key
    if spec["allow_insecure"] is not None:
        spec["allow_insecure"] = bool(spec["allow_insecure"])
    if protocol == "http" and spec["allow_insecure"]:
        raise InputError("allow_insecure only applies to protocol=https (it skips the agent's certificate check)")
    return spec


# --------------------------------------------------------------------------- helpers
def _same(row, spec):
    """Whether a GET /api/servers row is the registration (hostname, port, protocol)."""
    try:
        port = int(row.get("port"))
    except (TypeError, ValueError):
        return False
    return (str(row.get("hostname") or "").lower() == spec["hostname"].lower() and port == spec["port"]
            and str(row.get("protocol") or "").lower() == spec["protocol"])


def _public(row, orgs=None):
    out = {k: row.get(k) for k in ROW_FIELDS if k in row}
    caps = row.get("capabilities") if isinstance(row.get("capabilities"), dict) else None
    out["capabilities"] = caps
    out["agent_version"] = caps.get("version") if caps else None
    if orgs is not None:
        out["orgs"] = list(orgs)
    return out


def _blank(value):
    return value in (None, "")


def _side(spec_or_row, state, orgs=None, key=None):
    """One side of the diff: the compared settings (never the key)."""
    out = {"state": state}
    if state == "present":
        for field in ("hostname", "port", "protocol", "entity_name", "description", "allow_insecure"):
            out[field] = spec_or_row.get(field)
        if orgs is not None:
            out["orgs"] = sorted(orgs)
        if key:
            out["api_key"] = key
    return out


def _scrub(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


class HyperweaverAgentResource:
    def __init__(self, client, ctx):
        self.client = client
        self.ctx = ctx

    # --- reads --------------------------------------------------------------
    def find(self, spec):
        rows = [row for row in self.client.servers() if isinstance(row, dict) and _same(row, spec)]
        if len(rows) > 1:
            self.ctx.warn("%d registrations match %s://%s:%s; using id %s"
                          % (len(rows), spec["protocol"], spec["hostname"], spec["port"], rows[0].get("id")))
        return rows[0] if rows else None

    def row(self, server_id):
        for row in self.client.servers():
            if isinstance(row, dict) and str(row.get("id")) == str(server_id):
                return row
        return None

    def orgs(self, server_id):
        answer = self.client.get("/api/servers/%s/orgs" % server_id)
        orgs = answer.get("orgs") if isinstance(answer, dict) else None
        if not isinstance(orgs, list):
            raise AgentError("GET /api/servers/%s/orgs did not answer with a list of organisations" % server_id)
        return [str(org) for org in orgs]

    def machine_orgs(self, row):
        """{machine: [org uuid]} for the agent's machines that have their own organisations.

        Only asked when the agent has any organisation at all (org_uuids is the
        union of its own and its machines'); one list through the relay plus one
        read per machine.
        """
        if not row.get("org_uuids"):
            return {}
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_inventory import list_rows
        caps = row.get("capabilities") if isinstance(row.get("capabilities"), dict) else {}
        noun = "machines" if "machines" in (caps.get("features") or ()) else None
        agent = self.client.agent(row["id"], label=row.get("entity_name"), capabilities=caps)
        names = [r["name"] for r in list_rows(agent, noun)[0]]
        found = {}
        for name in names:
            answer = self.client.get("/api/servers/%s/machines/%s/orgs" % (row["id"], quote(name, safe="")))
            orgs = answer.get("orgs") if isinstance(answer, dict) else None
            if orgs:
                found[name] = [str(org) for org in orgs]
        return found

    # --- writes -------------------------------------------------------------
    def _register(self, spec, entity_name, description, allow_insecure, api_key):
        """POST /api/servers; the new registration's id."""
        body = {"hostname": spec["hostname"], "port": spec["port"], "protocol": spec["protocol"],
                "entityName": entity_name}
        if not _blank(description):
            body["description"] = description
        if api_key:
            body["apiKey"] = api_key
        if allow_insecure is not None:
            body["allowInsecure"] = bool(allow_insecure)
        status, answer, is_html = self.client.request("POST", "/api/servers", body=body, raw=True)
        server = answer.get("server") if isinstance(answer, dict) else None
        if 200 <= status < 300 and not is_html and isinstance(server, dict) and server.get("id") is not None:
            return server["id"]
        raise self._post_error(spec, status, answer, is_html, api_key)

    def _post_error(self, spec, status, answer, is_html, api_key):
        where = "registering %s://%s:%s on Hyperweaver %s" % (spec["protocol"], spec["hostname"], spec["port"],
                                                              self.client.url)
        message = _scrub(_message(answer), [api_key])
        if is_html:
            return EndpointMissingError("%s: the server answered with a web page, not the API" % where, status=status,
                                        hint="check hyperweaver_url: it must be the Hyperweaver Server")
        if status == 403:
            return AuthError("%s: refused: %s" % (where, message), status=status,
                             hint="registering agents needs a Hyperweaver admin or super-admin account (other "
                                  "accounts also see only the agents of their organisation)")
        if status == 409 or "already exists" in message:
            return ConflictError("%s: %s" % (where, message), status=status,
                                 hint="the server already has this hostname, port and protocol (the account may "
                                      "not see it); an admin account sees every registration")
        if status == 400:
            return InputError("%s: the server refused the request: %s" % (where, message), status=status)
        lowered = message.lower()
        if _UNREACHABLE_RE.search(message):
            return TransportError("%s: Hyperweaver could not reach the agent: %s" % (where, message),
                                  status=status, hint=_REACH_HINT)
        if lowered.startswith("provided api key is invalid"):
            return AuthError("%s: the agent refused api_key: %s" % (where, message), status=status, hint=_KEY_HINT)
        if lowered.startswith("agent error") and not api_key:
            return AuthError("%s: no api_key was given, so the server asked the agent for one (bootstrap), and the "
                             "agent refused: %s" % (where, message), status=status,
                             hint="current agents only bootstrap with the host's setup token; " + _KEY_HINT)
        return AgentError("%s failed with HTTP %s: %s" % (where, status, message), status=status)

    def _delete(self, server_id):
        """DELETE /api/servers/{id}; False when it was already gone."""
        status, answer, is_html = self.client.request("DELETE", "/api/servers/%s" % server_id, raw=True)
        if 200 <= status < 300 and not is_html:
            return True
        if status == 404:
            return False
        if status == 403:
            raise AuthError("removing agent id %s from Hyperweaver %s: refused: %s"
                            % (server_id, self.client.url, _message(answer)), status=status,
                            hint="removing agents needs a Hyperweaver admin or super-admin account")
        raise AgentError("removing agent id %s from Hyperweaver %s failed with HTTP %s: %s"
                         % (server_id, self.client.url, status, _message(answer)), status=status)

    def _put_orgs(self, server_id, orgs):
        self.client.put("/api/servers/%s/orgs" % server_id, body={"orgs": list(orgs)})

    def _probe(self, spec, allow_insecure):
        """POST /api/servers/test: can the server reach the agent (no key, no change)?"""
        answer = self.client.post("/api/servers/test", body={
            "hostname": spec["hostname"], "port": spec["port"], "protocol": spec["protocol"],
            "allowInsecure": bool(allow_insecure)})
        if isinstance(answer, dict) and answer.get("success") is False:
            raise TransportError("Hyperweaver %s cannot reach the agent at %s://%s:%s (%s); nothing was changed"
                                 % (self.client.url, spec["protocol"], spec["hostname"], spec["port"],
                                    answer.get("error") or answer.get("message") or "connection failed"),
                                 hint=_REACH_HINT)

    # --- states -------------------------------------------------------------
    def present(self, spec):
        row = self.find(spec)
        if row is None:
            return self.create(spec)
        return self.update(spec, row)

    def create(self, spec):
        entity_name = spec["entity_name"] or spec["hostname"]
        wanted = dict(spec, entity_name=entity_name)
        result = {"changed": True, "state": "present", "recreated": False}
        if self.ctx.diff:
            result["diff"] = {"before": _side({}, "absent"),
                              "after": _side(wanted, "present", spec["orgs"] or None,
                                             "(set)" if spec["api_key"] else None)}
        if not spec["api_key"]:
            self.ctx.warn("no api_key: the server will ask the agent for a key through its bootstrap, which current "
                          "agents refuse without the host's setup token")
        if self.ctx.check_mode:
            result["agent"] = {k: wanted.get(k) for k in ("hostname", "port", "protocol", "entity_name",
                                                          "description", "allow_insecure")}
            result["msg"] = "would register agent %r (%s://%s:%s)" % (
                entity_name, spec["protocol"], spec["hostname"], spec["port"])
            return result
        server_id = self._register(spec, entity_name, spec["description"], spec["allow_insecure"], spec["api_key"])
        if spec["orgs"]:
            self._put_orgs(server_id, spec["orgs"])
        row = self.row(server_id) or {"id": server_id}
        result["agent"] = _public(row, spec["orgs"] if spec["orgs"] is not None else None)
        result["msg"] = "registered agent %r as id %s" % (entity_name, server_id)
        return result

    def update(self, spec, row):
        server_id = row["id"]
        current_orgs = self.orgs(server_id) if spec["orgs"] is not None else None
        fixed = []   # settings only a new registration can change
        if spec["entity_name"] is not None and spec["entity_name"] != row.get("entity_name"):
            fixed.append("entity_name")
        if spec["description"] is not None and (spec["description"] or None) != (row.get("description") or None):
            fixed.append("description")
        rekey = bool(spec["api_key"]) and spec["update_key"] == "always"
        patch = spec["allow_insecure"] is not None and spec["allow_insecure"] != bool(row.get("allow_insecure"))
        set_orgs = current_orgs is not None and set(current_orgs) != set(spec["orgs"])
        recreate = bool(fixed) or rekey
        before = dict(row)
        after = dict(row)
        for field in ("entity_name", "description", "allow_insecure"):
            if spec[field] is not None:
                after[field] = spec[field]
        result = {"changed": recreate or patch or set_orgs, "state": "present", "recreated": False}
        if self.ctx.diff and result["changed"]:
            result["diff"] = {"before": _side(before, "present", current_orgs, "(stored)" if rekey else None),
                              "after": _side(after, "present", spec["orgs"], "(replaced)" if rekey else None)}
        if fixed and not spec["recreate"]:
            raise ConflictError("agent %r (id %s) differs in %s, which Hyperweaver cannot change in place; nothing "
                                "was changed" % (row.get("entity_name"), server_id, " and ".join(fixed)),
                                hint="set recreate: true to delete and register it again (it gets a new id; its "
                                     "organisations and those of its machines are restored), or leave %s unset"
                                     % " and ".join(fixed))
        if recreate and not spec["api_key"]:
            raise InputError("agent %r (id %s) must be registered again to change %s, and that needs api_key: the "
                             "server never gives back the key it holds"
                             % (row.get("entity_name"), server_id, " and ".join(fixed)), hint=_KEY_HINT)
        if not result["changed"]:
            result["agent"] = _public(row, current_orgs)
            result["msg"] = "agent %r (id %s) is registered as wanted" % (row.get("entity_name"), server_id)
            return result
        what = fixed + (["api_key"] if rekey else []) + (["allow_insecure"] if patch else []) + \
            (["orgs"] if set_orgs else [])
        if self.ctx.check_mode:
            result["agent"] = _public(after, spec["orgs"] if spec["orgs"] is not None else None)
            result["recreated"] = recreate
            result["msg"] = "would %s agent %r (id %s): %s" % ("register again" if recreate else "update",
                                                               row.get("entity_name"), server_id, ", ".join(what))
            return result
        if recreate:
            return self._recreate(spec, row, after, current_orgs, result, what)
        if patch:
            self.client.patch("/api/servers/%s" % server_id, body={"allowInsecure": spec["allow_insecure"]})
        if set_orgs:
            self._put_orgs(server_id, spec["orgs"])
        fresh = self.row(server_id) or after
        result["agent"] = _public(fresh, spec["orgs"] if spec["orgs"] is not None else None)
        result["msg"] = "updated agent %r (id %s): %s" % (fresh.get("entity_name"), server_id, ", ".join(what))
        return result

    def _recreate(self, spec, row, after, current_orgs, result, what):
        """Delete and register again, then restore the organisations (the delete cascades to them)."""
        old_id = row["id"]
        allow_insecure = after.get("allow_insecure")
        # Everything that can fail is checked first: the server reaches the agent, and
        # the organisation assignments to restore are known.
        self._probe(spec, allow_insecure)
        orgs = spec["orgs"] if spec["orgs"] is not None else (current_orgs if current_orgs is not None
                                                              else self.orgs(old_id))
        try:
            machines = self.machine_orgs(row)
        except ZoneweaverError as exc:
            raise AgentError("cannot read the per-machine organisations of agent %r (id %s) to restore them after "
                             "registering it again; nothing was changed: %s" % (row.get("entity_name"), old_id, exc),
                             status=getattr(exc, "status", None))
        self._delete(old_id)
        try:
            new_id = self._register(spec, after.get("entity_name") or spec["hostname"], after.get("description"),
                                    allow_insecure, spec["api_key"])
        except ZoneweaverError as exc:
            exc.msg = ("agent %r was removed from Hyperweaver (it was id %s) to register it again, and registering "
                       "it failed; it is NOT registered now: %s" % (row.get("entity_name"), old_id, exc.msg))
            exc.args = (exc.msg,)
            raise
        if orgs:
            self._put_orgs(new_id, orgs)
        for name, machine_orgs in sorted(machines.items()):
            self.client.put("/api/servers/%s/machines/%s/orgs" % (new_id, quote(name, safe="")),
                            body={"orgs": machine_orgs})
        if str(new_id) != str(old_id):
            self.ctx.warn("agent %r was registered again: its id changed from %s to %s (tasks that name it by id "
                          "through hyperweaver_agent must use the new id or its entity name)"
                          % (after.get("entity_name"), old_id, new_id))
        fresh = self.row(new_id) or {"id": new_id}
        result.update(recreated=True, previous_id=old_id,
                      agent=_public(fresh, spec["orgs"] if spec["orgs"] is not None else None),
                      msg="registered agent %r again (id %s, was %s): %s"
                          % (fresh.get("entity_name"), new_id, old_id, ", ".join(what)))
        if machines:
            result["restored_machine_orgs"] = sorted(machines)
        return result

    def absent(self, spec):
        row = self.find(spec)
        result = {"changed": False, "state": "absent"}
        if row is None:
            result["msg"] = "no agent is registered as %s://%s:%s" % (spec["protocol"], spec["hostname"], spec["port"])
            return result
        result["changed"] = True
        result["agent"] = _public(row)
        if self.ctx.diff:
            result["diff"] = {"before": _side(row, "present"), "after": _side({}, "absent")}
        if self.ctx.check_mode:
            result["msg"] = "would remove agent %r (id %s)" % (row.get("entity_name"), row.get("id"))
            return result
        result["changed"] = self._delete(row["id"])
        result["msg"] = "removed agent %r (id %s)" % (row.get("entity_name"), row.get("id"))
        return result


def _message(answer):
    if isinstance(answer, dict):
        for key in ("message", "error", "msg"):
            if isinstance(answer.get(key), str) and answer[key]:
                return answer[key]
    if isinstance(answer, str):
        return answer.strip()[:300]
    return "no error text"


def client_from_params(params):
    """A HyperweaverClient for the server options (the login token is shared between tasks)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import _token_cache_dir
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.hyperweaver.client import HyperweaverClient
    return HyperweaverClient(
        params["hyperweaver_url"], username=params.get("hyperweaver_username"),
        password=params.get("hyperweaver_password"), token=params.get("hyperweaver_token"),
        validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
        timeout=params.get("timeout") or 30, token_cache=_token_cache_dir())


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.hyperweaver_agent)."""
    spec = normalize_spec(params)
    client = client_from_params(params)
    if client.url.startswith("https://") and not params.get("validate_certs", True) and not params.get("ca_path"):
        ctx.warn("validate_certs is false: the Hyperweaver Server's identity is not verified; "
                 "trust its certificate with ca_path instead")
    result = getattr(HyperweaverAgentResource(client, ctx), spec["state"])(spec)
    if spec["api_key"]:
        result["_secrets"] = [spec["api_key"]]
    return result
