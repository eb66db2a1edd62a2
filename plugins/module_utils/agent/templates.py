# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local templates through the agent (agent-api.md section 6).

Both generations share /templates/sources, /templates/remote/... and
/templates/pull; the local list is /templates on 0.3.9 and /templates/local
before (dialect.templates_path). The agent refuses `latest` and never compares
its sha256 with the registry's: callers resolve versions and verify checksums.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.errors import error_from_response
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import EndpointMissingError


class TemplateAgentBackend:
    def __init__(self, api):
        self.api = api
        self.client = api.client

    @property
    def dialect(self):
        return self.api.dialect

    def _get(self, path):
        try:
            return self.client.get(path)
        except EndpointMissingError as exc:
            exc.hint = "this agent does not serve templates (template_sources is not enabled in its configuration)"
            raise

    def sources(self):
        """[{name, url, enabled, default}] (0.2 rows carry no enabled/default)."""
        answer = self._get("/templates/sources")
        rows = answer.get("sources") if isinstance(answer, dict) else answer
        out = []
        for row in rows or ():
            out.append({"name": row.get("name"), "url": str(row.get("url") or "").rstrip("/"),
                        "enabled": row.get("enabled", True) is not False, "default": bool(row.get("default"))})
        return out

    def remote_box(self, source, org, box):
        """The Vagrant metadata of org/box as the agent's source sees it (with the agent's own token)."""
        seg = self.client.segment
        return self._get("/templates/remote/%s/%s/%s" % (seg(source), seg(org), seg(box)))

    def list(self):
        answer = self._get(self.dialect.templates_path)
        rows = answer.get("templates") if isinstance(answer, dict) else answer
        return [r for r in rows or () if isinstance(r, dict)]

    def find(self, org, box, version=None):
        return [r for r in self.list() if r.get("organization") == org and r.get("box_name") == box
                and (version is None or r.get("version") == version)]

    def pull(self, body):
        """POST /templates/pull. Returns the 202 answer, or {"exists": template_id} for a 409."""
        status, answer, is_html = self.client.request("POST", "/templates/pull", body=body, raw=True)
        if 200 <= status < 300:
            return answer if isinstance(answer, dict) else {}
        if status == 409 and isinstance(answer, dict):
            return {"exists": answer.get("template_id")}
        raise error_from_response("POST", "/templates/pull", status, answer, is_html)

    def delete(self, template_id):
        return self.client.delete("%s/%s" % (self.dialect.templates_path, self.client.segment(template_id)))

    def wait(self, answer, timeout):
        return self.api.wait_for(answer, timeout)
