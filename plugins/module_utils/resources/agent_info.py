# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an agent is: the public GET /status, plus GET /version and the key's
role (GET /api-keys/info) when an API key is given.

v0.2 agents have no /status (Express's HTML 404) and no roles; what they can
tell is read from /version when a key is given.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent import dialect as dialects
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    EndpointMissingError, NotFoundError)

FIELDS = ("version", "generation", "name", "hostname", "platform", "arch", "features", "hypervisors",
          "bootstrap_available", "uptime", "machines_path", "key_role")


def _optional_get(client, path):
    """A read that older agents may not offer: None on a missing endpoint."""
    try:
        answer = client.get(path)
    except (EndpointMissingError, NotFoundError):
        return None
    return answer if isinstance(answer, dict) else None


def read_agent(api):
    """The `agent` dictionary. Raises AuthError when a given key is rejected."""
    dialect = api.refresh_dialect()
    status = dialect.status or {}
    has_status = bool(status)
    version_info = key_info = None
    if api.client.api_key:
        version_info = _optional_get(api.client, "/version")
        key_info = _optional_get(api.client, "/api-keys/info")
    version_info = version_info or {}
    key_info = key_info or {}
    version = status.get("version") or version_info.get("version")
    if version and not has_status:
        # A v0.2 agent's real version is only known from /version.
        dialect = dialects.Dialect(version, (), {})
    bootstrap = status.get("bootstrapAvailable")
    agent = {
        "version": str(version) if version else None,
        "generation": dialect.generation,
        "name": status.get("agent") or version_info.get("name"),
        "hostname": status.get("hostname"),
        "platform": status.get("platform") or version_info.get("platform"),
        "arch": status.get("arch") or version_info.get("arch"),
        "features": sorted(status.get("features") or ()),
        "hypervisors": list(status.get("hypervisors") or ()),
        "bootstrap_available": bool(bootstrap) if bootstrap is not None else None,
        "uptime": status.get("uptime", version_info.get("uptime_seconds")),
        "machines_path": dialect.machines_path,
        "key_role": key_info.get("role"),  # None without a key, and on agents without roles
        "key_name": key_info.get("name"),
        "node_version": version_info.get("node_version"),
        "status_endpoint": has_status,
    }
    return agent


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.agent_info)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    api = AgentApi.for_module(params, ctx, need_key=False)
    return {"changed": False, "agent": read_agent(api)}
