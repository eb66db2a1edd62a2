# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Map every error shape the agent produces to one exception family.

Shapes seen in the agent (agent-api.md section 8): {"msg"} on auth, {"error",
"details"?, "hint"?} in most controllers, {"success": false, "error"} envelopes,
422 field maps {FIELD: message}, and Express's HTML pages for unknown routes
(404 "Cannot GET /x") and malformed JSON (400).
"""

from __future__ import annotations

import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    AgentError, AuthError, EndpointMissingError, NotFoundError)

_PRE_RE = re.compile(r"<pre>(.*?)</pre>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^>]+>")


def _html_text(text):
    match = _PRE_RE.search(text or "")
    raw = match.group(1) if match else _TAG_RE.sub(" ", text or "")
    return " ".join(raw.replace("&nbsp;", " ").split())[:300]


def message_from_body(body):
    """The agent's own words from a JSON error body (read `error || msg`)."""
    if isinstance(body, dict):
        for key in ("error", "msg", "message"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
        fields = {k: v for k, v in body.items() if isinstance(v, str)}
        if fields:  # 422 field map: {"FIELD": "message"}
            return "; ".join("%s: %s" % item for item in sorted(fields.items()))
    if isinstance(body, str):
        return _html_text(body) if "<" in body else body.strip()[:300]
    return ""


def _details(body):
    if not isinstance(body, dict):
        return None
    extra = {k: v for k, v in body.items() if k not in ("error", "msg", "message", "success")}
    return extra or None


def error_from_response(method, path, status, body, is_html):
    """Build the exception for a non-2xx answer."""
    agent_msg = message_from_body(body) or "no error text"
    where = "%s %s" % (method, path)
    details = _details(body)
    if is_html and status == 404:
        return EndpointMissingError(
            "%s: the agent has no such endpoint (%s)" % (where, agent_msg), status=status,
            hint="this agent generation does not offer it; check agent_info's version and features")
    if status == 401:
        return AuthError("%s: authentication required: %s" % (where, agent_msg), status=status,
                         hint="set api_key (or ZONEWEAVER_API_KEY); create the first key with "
                              "zoneweaver.illumos.api_key state=bootstrap")
    if status == 403:
        if "role" in agent_msg.lower():
            hint = "use a key with a higher role (viewer < operator < admin)"
        elif "bootstrap" in agent_msg.lower() or "setup token" in agent_msg.lower():
            hint = None
        else:
            hint = "the API key is wrong or revoked; every call with it will fail"
        return AuthError("%s: forbidden: %s" % (where, agent_msg), status=status, hint=hint)
    if status == 404:
        return NotFoundError("%s: %s" % (where, agent_msg), status=status)
    hint = None
    if isinstance(body, dict) and isinstance(body.get("hint"), str):
        hint = body["hint"]
    elif is_html and status == 400:
        hint = "the agent could not parse the request body"
    error = AgentError("%s failed with HTTP %s: %s" % (where, status, agent_msg), status=status,
                       hint=hint, agent_details=details)
    return error
