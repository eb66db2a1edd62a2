# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One handle on an agent: client + detected dialect + task waiter.

The client is an AgentClient (straight to the agent) or a Hyperweaver agent
client (through a Hyperweaver Server's relay); both have the same interface.
"""

from __future__ import annotations

import os

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect as dialects
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.client import AgentClient
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import TaskWaiter, task_ids_of
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError


class AgentApi:
    def __init__(self, client, wait_timeout=600):
        self.client = client
        self.wait_timeout = wait_timeout
        self.waiter = TaskWaiter(client)
        self._dialect = None

    @classmethod
    def from_params(cls, params):
        """Build from the shared connection options (see options.py)."""
        if params.get("hyperweaver_url"):
            return cls(_hyperweaver_client(params), wait_timeout=params.get("wait_timeout") or 600)
        if not params.get("api_url"):
            raise InputError("api_url is required to reach a Zoneweaver Agent",
                             hint="set api_url or the ZONEWEAVER_URL environment variable "
                                  "(or hyperweaver_url to go through a Hyperweaver Server)")
        client = AgentClient(
            params["api_url"], api_key=params.get("api_key"),
            validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
            client_cert=params.get("client_cert"), client_key=params.get("client_key"),
            timeout=params.get("timeout") or 30)
        return cls(client, wait_timeout=params.get("wait_timeout") or 600)

    @classmethod
    def for_module(cls, params, ctx, need_key=True):
        """The usual start of a module run: build, warn about TLS, check the key."""
        api = cls.from_params(params)
        if api.client.url.startswith("https://") and not params.get("validate_certs", True) \
                and not params.get("ca_path"):
            ctx.warn("validate_certs is false: the agent's identity is not verified; "
                     "trust its certificate with ca_path instead")
        if need_key:
            api.require_key()
        return api

    @property
    def dialect(self):
        if self._dialect is None:
            caps = getattr(self.client, "capabilities", None)
            if caps and caps.get("version"):
                # Hyperweaver stores each agent's GET /status answer: no need to ask again.
                self._dialect = dialects.Dialect(caps["version"], caps.get("features") or (), caps)
            else:
                self._dialect = dialects.detect(self.client)
        return self._dialect

    def refresh_dialect(self):
        """Re-detect the generation from a fresh GET /status (bootstrapAvailable,
        uptime and the version can change while a cached answer would not)."""
        dialects.forget(self.client.url)
        self._dialect = None
        return self.dialect

    def require_key(self):
        if not (self.client.api_key or getattr(self.client, "has_credentials", False)):
            raise InputError("api_key is required for this operation",
                             hint="set api_key or ZONEWEAVER_API_KEY; a fresh agent's first key comes from "
                                  "zoneweaver.illumos.api_key state=bootstrap with the host's setup token")

    def wait_for(self, answer, timeout=None):
        """Wait for every task an answer names, in chain order; return the steps."""
        steps = task_ids_of(answer)
        self.waiter.wait_all(steps, self.wait_timeout if timeout is None else timeout)
        return steps


def _token_cache_dir():
    """Where Hyperweaver login tokens are shared between the play's worker processes."""
    base = os.environ.get("ANSIBLE_LOCAL_TEMP") or os.path.join(os.path.expanduser("~"), ".ansible", "tmp")
    return os.path.join(base, "zoneweaver-hyperweaver")


def _hyperweaver_client(params):
    """The agent named by hyperweaver_agent, behind the server at hyperweaver_url."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.hyperweaver.client import HyperweaverClient
    if params.get("api_url") or params.get("api_key"):
        raise InputError("hyperweaver_url cannot be combined with api_url or api_key",
                         hint="the Hyperweaver Server holds the agent's key; give hyperweaver_agent instead")
    if not params.get("hyperweaver_agent"):
        raise InputError("hyperweaver_agent is required with hyperweaver_url: the agent's id or entity name "
                         "on the server")
    server = HyperweaverClient(
        params["hyperweaver_url"], username=params.get("hyperweaver_username"),
        password=params.get("hyperweaver_password"), token=params.get("hyperweaver_token"),
        validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
        client_cert=params.get("client_cert"), client_key=params.get("client_key"),
        timeout=params.get("timeout") or 30, token_cache=_token_cache_dir())
    return server.agent_by_name(params["hyperweaver_agent"])
