# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Agent API keys (agent-api.md section 1): bootstrap the first one with the
host's setup token, ensure named keys exist or are gone.

Secrets rule: the setup token and every key (the one used and the ones
minted) never enter a message, warning or diff. A minted key leaves only as
the result's `api_key`, with `_no_log_result` so Ansible censors the displayed
result while `register` keeps it, and optionally in `dest` (created 0600,
atomically: it is never readable by others, not even for an instant).
"""

from __future__ import annotations

import os
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AuthError, EndpointMissingError, InputError, NotFoundError, ZoneweaverError)

STATES = ("bootstrap", "present", "absent")
ROLES = ("admin", "operator", "viewer")
DEFAULT_ROLE = "viewer"  # least privilege: ask for more explicitly
SETUP_TOKEN_RE = re.compile(r"^[0-9A-Fa-f]{64}$")
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
PUBLIC_KEY_ID_RE = re.compile(r"^hw_([A-Za-z0-9_\-]{16})\.")
NAME_MAX = 255
BOOTSTRAP_GONE = "bootstrap is no longer available on this agent; use an existing key"
TOKEN_HINT = ("pass setup_token: the 64 hex characters of setup.token beside the agent's config file "
              "(for example /etc/zoneweaver-agent/setup.token, mode 0600), also printed in the agent's "
              "startup log while no key exists")


# --------------------------------------------------------------------------- spec
def _check_name(name, what="name"):
    text = str(name)
    if not text.strip() or len(text) > NAME_MAX or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InputError("invalid %s %r: use 1 to %d printable characters" % (what, text[:80], NAME_MAX))
    return text


def normalize_spec(params):
    """Validate the options; raises InputError before any request. Never echoes a secret."""
    state = params.get("state") or "present"
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    spec = {"state": state, "name": params.get("name"), "description": params.get("description"),
            "role": params.get("role"), "key_id": params.get("key_id"), "dest": params.get("dest")}
    if spec["name"] is not None:
        _check_name(spec["name"])
    if spec["description"] is not None:
        spec["description"] = str(spec["description"])
        if len(spec["description"]) > 1000:
            raise InputError("description is longer than 1000 characters")
    if spec["role"] is not None and spec["role"] not in ROLES:
        raise InputError("role must be one of %s, got %r" % (", ".join(ROLES), spec["role"]))
    if spec["key_id"] is not None:
        spec["key_id"] = str(spec["key_id"])
        if not KEY_ID_RE.match(spec["key_id"]):
            raise InputError("invalid key_id %r: the key's entity id (a number) or its 16-character key id"
                             % spec["key_id"][:80])
    token = params.get("setup_token")
    if token is not None:
        token = str(token).strip()
        if not SETUP_TOKEN_RE.match(token):
            # Never show the value: it is a secret even when malformed.
            raise InputError("setup_token is not a setup token (64 hexadecimal characters)", hint=TOKEN_HINT)
    spec["setup_token"] = token
    if state == "present" and not spec["name"]:
        raise InputError("state=present needs name: the key's name on the agent")
    if state == "absent" and not spec["name"] and not spec["key_id"]:
        raise InputError("state=absent needs name or key_id to select the key to remove")
    if state != "bootstrap" and token is not None:
        raise InputError("setup_token is only used with state=bootstrap")
    if state == "absent" and spec["dest"]:
        raise InputError("dest is only used when a key is created (state=bootstrap or state=present)")
    if state == "absent" and spec["role"]:
        raise InputError("role is only used with state=present")
    if state == "bootstrap" and (spec["role"] or spec["key_id"]):
        raise InputError("state=bootstrap always creates an admin key; role and key_id do not apply")
    if spec["dest"]:
        spec["dest"] = _check_dest(spec["dest"])
    return spec


def _check_dest(dest):
    path = os.path.abspath(os.path.expanduser(str(dest)))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise InputError("dest %s is a directory; give the path of the file to write the key to" % path)
    if not os.path.isdir(folder):
        raise InputError("dest %s: directory %s does not exist" % (path, folder),
                         hint="create it first (for example with ansible.builtin.file state=directory mode=0700)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError("dest %s: directory %s is not writable" % (path, folder))
    return path


# --------------------------------------------------------------------------- dest
class SecretFile:
    """A key file written atomically with mode 0600.

    The temporary file is created (O_EXCL, 0600) before the key is minted, so a
    controller-side failure cannot lose a key the agent has already issued.
    """

    def __init__(self, path):
        self.path = path
        self.tmp = None
        self.fd = None

    def open(self):
        folder, base = os.path.split(self.path)
        for _attempt in range(100):
            candidate = os.path.join(folder, ".%s.%s.tmp" % (base, os.urandom(6).hex()))
            try:
                self.fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            except OSError as exc:
                raise InputError("cannot write dest %s: %s" % (self.path, exc.strerror))
            self.tmp = candidate
            return self
        raise InputError("cannot create a temporary file beside dest %s" % self.path)

    def commit(self, secret):
        try:
            os.fchmod(self.fd, 0o600)
            os.write(self.fd, (secret + "\n").encode("utf-8"))
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None
            os.replace(self.tmp, self.path)
            self.tmp = None
        except OSError as exc:
            self.discard()
            raise ZoneweaverError("the agent created the key but writing dest %s failed: %s" % (self.path, exc.strerror),
                                  hint="the key cannot be read back: remove it (state=absent) and run again")

    def discard(self):
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None
        if self.tmp:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None


# --------------------------------------------------------------------------- resource
def _public_row(row):
    keep = ("id", "name", "key_id", "description", "role", "is_active", "created_at", "last_used")
    return {k: row.get(k) for k in keep if k in row}


def _summary(name, role, state):
    """A diff side: name, role (agents with roles only) and state."""
    out = {"name": name}
    if role:
        out["role"] = role
    out["state"] = state
    return out


def _public_key_id(key):
    """The public part of a 0.3.8+ key (hw_<16 characters>.<secret>), or None."""
    match = PUBLIC_KEY_ID_RE.match(str(key))
    return match.group(1) if match else None


def _scrub(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


class ApiKeyResource:
    def __init__(self, api, ctx):
        self.api = api
        self.client = api.client
        self.ctx = ctx

    # --- reads --------------------------------------------------------------
    def rows(self):
        answer = self.client.get("/api-keys")
        rows = answer.get("entities") if isinstance(answer, dict) else answer
        return [row for row in rows or () if isinstance(row, dict)]

    def key_works(self):
        """True when the configured api_key is accepted (GET /api-keys/info)."""
        try:
            self.client.get("/api-keys/info")
        except AuthError:
            return False
        except (EndpointMissingError, NotFoundError):
            self.client.get("/api-keys")  # no /info on this agent: any authenticated read tells
        return True

    # --- bootstrap ------------------------------------------------------------
    def bootstrap(self, spec):
        dialect = self.api.refresh_dialect()
        available = dialect.status.get("bootstrapAvailable") if dialect.status else None
        result = {"changed": False, "state": "bootstrap", "bootstrap_available": available}
        if self.client.api_key:
            valid = self.key_works()
            result["key_valid"] = valid
            if valid:
                result["msg"] = "api_key already works on this agent; bootstrap is not needed"
                return result
            self.ctx.warn("the api_key given was rejected by the agent (wrong or revoked)")
        if available is False:
            result["msg"] = BOOTSTRAP_GONE
            return result
        if self.ctx.check_mode:
            if available is None:
                self.ctx.warn("this agent (generation %s) cannot tell whether bootstrap is still available "
                              "without trying; check mode assumes it is" % dialect.generation)
            result.update(changed=True, msg="would bootstrap the first admin key")
            return result
        body = {}
        if spec["name"]:
            body["name"] = spec["name"]
        if spec["description"] is not None:
            body["description"] = spec["description"]
        if spec["setup_token"]:
            body["setupToken"] = spec["setup_token"]
        secret_file = SecretFile(spec["dest"]).open() if spec["dest"] else None
        try:
            try:
                answer = self.client.post("/api-keys/bootstrap", body=body, auth=False)
            except AuthError as exc:
                text = str(exc.msg).lower()
                if exc.status == 403 and "disabled" in text:
                    result["msg"] = BOOTSTRAP_GONE
                    return result
                if "token" in text:
                    raise AuthError(_scrub(exc.msg, [spec["setup_token"]]), status=exc.status,
                                    hint="the setup token is wrong" if spec["setup_token"] else TOKEN_HINT)
                raise
            key = answer.get("api_key") if isinstance(answer, dict) else None
            if not key:
                raise AgentError("POST /api-keys/bootstrap answered without an api_key",
                                 status=200, hint="this does not look like a Zoneweaver Agent")
            if secret_file:
                secret_file.commit(key)
                result["dest"] = spec["dest"]
        finally:
            if secret_file:
                secret_file.discard()
        result.update(changed=True, api_key=key, _no_log_result=True, role="admin",
                      msg="bootstrapped the first admin key%s" % (" into " + spec["dest"] if spec["dest"] else ""))
        return result

    # --- present --------------------------------------------------------------
    def present(self, spec):
        dialect = self.api.dialect
        role = spec["role"]
        if not dialect.has_roles:
            if role:
                self.ctx.warn("agent %s has no key roles: role=%s is ignored and the key can do everything"
                              % (dialect.version, role))
            role = None
        else:
            role = role or DEFAULT_ROLE
        rows = [row for row in self.rows() if row.get("name") == spec["name"] and row.get("is_active", True)]
        result = {"changed": False, "state": "present"}
        if rows:
            row = rows[0]
            if len(rows) > 1:
                self.ctx.warn("%d active keys are named %r; reporting the first (id %s)"
                              % (len(rows), spec["name"], row.get("id")))
            if spec["role"] and role and row.get("role") and row.get("role") != role:
                self.ctx.warn("key %r exists with role %s, not %s; a key's role cannot be changed in place: "
                              "remove it (state=absent) and create it again" % (spec["name"], row.get("role"), role))
            result.update(key=_public_row(row), msg="key %r exists (its secret cannot be read back)" % spec["name"])
            return result
        after = _summary(spec["name"], role, "present")
        result.update(changed=True, key={"name": spec["name"], "role": role, "description": spec["description"]})
        if self.ctx.diff:
            result["diff"] = {"before": _summary(spec["name"], None, "absent"), "after": after}
        if self.ctx.check_mode:
            result["msg"] = "would create key %r" % spec["name"]
            return result
        body = {"name": spec["name"]}
        if spec["description"] is not None:
            body["description"] = spec["description"]
        if role:
            body["role"] = role
        secret_file = SecretFile(spec["dest"]).open() if spec["dest"] else None
        try:
            answer = self.client.post("/api-keys/generate", body=body)
            key = answer.get("api_key") if isinstance(answer, dict) else None
            if not key:
                raise AgentError("POST /api-keys/generate answered without an api_key", status=200)
            if secret_file:
                secret_file.commit(key)
                result["dest"] = spec["dest"]
        finally:
            if secret_file:
                secret_file.discard()
        result["key"] = {"id": answer.get("entity_id"), "name": answer.get("name", spec["name"]),
                         "description": answer.get("description"), "role": answer.get("role", role),
                         "is_active": True}
        public_id = answer.get("key_id") or _public_key_id(key)
        if public_id:  # agents 0.3.8 and later: hw_<key_id>.<secret>
            result["key"]["key_id"] = public_id
        result.update(api_key=key, _no_log_result=True,
                      msg="created key %r%s" % (spec["name"], " into " + spec["dest"] if spec["dest"] else ""))
        return result

    # --- absent ---------------------------------------------------------------
    def absent(self, spec):
        rows = self.rows()
        if spec["key_id"] is not None:
            rows = [row for row in rows if spec["key_id"] in (str(row.get("id")), str(row.get("key_id")))]
        if spec["name"] is not None:
            rows = [row for row in rows if row.get("name") == spec["name"]]
        label = repr(spec["name"]) if spec["name"] is not None else "with id %s" % spec["key_id"]
        result = {"changed": False, "state": "absent", "keys": [_public_row(row) for row in rows]}
        if not rows:
            result["msg"] = "no key %s on this agent" % label
            return result
        result["changed"] = True
        if self.ctx.diff:
            result["diff"] = {"before": _summary(rows[0].get("name"), rows[0].get("role"), "present"),
                              "after": _summary(rows[0].get("name"), None, "absent")}
        if self.ctx.check_mode:
            result["msg"] = "would remove %d key%s %s" % (len(rows), "" if len(rows) == 1 else "s", label)
            return result
        removed = 0
        for row in rows:
            try:
                self.client.delete("/api-keys/%s" % self.client.segment(row.get("id")))
                removed += 1
            except NotFoundError:
                continue  # removed meanwhile: that is what we want
            except AgentError as exc:
                if exc.status == 409:
                    raise AgentError("cannot remove key %r (id %s): it is the last active admin key"
                                     % (row.get("name"), row.get("id")), status=409,
                                     hint="create another admin key first, with state=present and role=admin")
                raise
        result["changed"] = bool(removed)
        result["msg"] = "removed %d key%s %s" % (removed, "" if removed == 1 else "s", label)
        return result


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.api_key)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    spec = normalize_spec(params)
    api = AgentApi.for_module(params, ctx, need_key=spec["state"] != "bootstrap")
    resource = ApiKeyResource(api, ctx)
    return getattr(resource, spec["state"])(spec)
