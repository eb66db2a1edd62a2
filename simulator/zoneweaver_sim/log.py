"""Request log: one entry per agent request, secrets masked.  Tests use it to
prove e.g. that check mode sent no mutating request."""
from __future__ import annotations

import copy
import threading

SECRET_KEYS = {"setuptoken", "password", "api_key", "token", "vagrant_user_pass"}
# The same names in every spelling the services use (apiKey, api-key, authToken, ...): keys are
# compared lower-cased with '_' and '-' removed.
_SECRET_FORMS = {k.replace("_", "") for k in SECRET_KEYS} | {"authtoken", "accesstoken", "refreshtoken",
                                                             "newpassword", "currentpassword"}


def is_secret_key(key) -> bool:
    return isinstance(key, str) and key.lower().replace("_", "").replace("-", "") in _SECRET_FORMS


MASK = "********"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def redact(value):
    """Deep copy of a JSON value with every secret field masked (any depth, so
    cloud_init.password is covered by 'password')."""
    if isinstance(value, dict):
        return {k: (MASK if is_secret_key(k) and v is not None else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries: list[dict] = []

    def add(self, method, path, query, body, auth) -> dict:
        entry = {"method": method, "path": path, "query": redact(copy.deepcopy(query)),
                 "body": redact(body), "status": None, "auth": auth}
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._entries]

    def mutations(self) -> list[dict]:
        return [e for e in self.entries() if e["method"] not in READ_METHODS and not e["path"].startswith("/_sim/")]

    def clear(self) -> int:
        with self._lock:
            n = len(self._entries)
            self._entries.clear()
            return n
