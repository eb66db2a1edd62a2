"""Helpers for the simulator tests: a small HTTP client that knows the
generation's nouns, and bootstrap.  (A uniquely named module rather than
conftest, so test modules import it unambiguously next to other conftests.)"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import requests

SIM_SRC = Path(__file__).resolve().parents[2] / "simulator"
if str(SIM_SRC) not in sys.path:
    sys.path.insert(0, str(SIM_SRC))

from zoneweaver_sim import Simulator  # noqa: E402

GENERATIONS = ["0.3.9", "0.2"]
TERMINAL = {"completed", "completed_with_errors", "failed", "cancelled"}
_UNSET = object()


class Api:
    """requests.Session bound to one simulator and (optionally) one key."""

    def __init__(self, sim: Simulator, key: str | None = None):
        self.sim = sim
        self.url = sim.url
        self.key = key
        self.s = requests.Session()
        self.is_a = sim.generation == "0.3.9"
        self.noun = "machines" if self.is_a else "zones"
        self.nk = "machine_name" if self.is_a else "zone_name"
        self.info_key = "machine_info" if self.is_a else "zone_info"

    def req(self, method: str, path: str, *, key=_UNSET, json=_UNSET, headers=None, **kw) -> requests.Response:
        h = dict(headers or {})
        k = self.key if key is _UNSET else key
        if k:
            h.setdefault("Authorization", f"Bearer {k}")
        if json is not _UNSET:
            kw["json"] = json
        elif method in ("POST", "PUT") and "data" not in kw:
            kw["json"] = {}   # always send a body on POST/PUT (agent-api.md §0)
        if self.sim.ca_path:
            kw.setdefault("verify", self.sim.ca_path)   # per request: Session.verify loses to REQUESTS_CA_BUNDLE
        return self.s.request(method, self.url + path, headers=h, timeout=10, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, **kw):
        return self.req("POST", path, **kw)

    def put(self, path, **kw):
        return self.req("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)

    def m(self, name: str, suffix: str = "") -> str:
        return f"/{self.noun}/{name}{suffix}"

    def task(self, task_id: str) -> dict:
        r = self.get(f"/tasks/{task_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def wait(self, task_id: str, timeout: float = 10.0, statuses=None) -> dict:
        statuses = TERMINAL if statuses is None else statuses
        deadline = time.monotonic() + timeout
        while True:
            t = self.task(task_id)
            if t["status"] in statuses:
                return t
            if time.monotonic() > deadline:
                raise AssertionError(f"task {task_id} still {t['status']} after {timeout}s: {t}")
            time.sleep(0.02)

    def create_body(self, hostname="web01", server_id="0001", disk="20G", **extra) -> dict:
        body = {"settings": {"hostname": hostname, "domain": "example.com", "server_id": server_id,
                             "memory": "2G", "vcpus": 2},
                "zones": {"brand": "bhyve"},
                "nics": [{"global_nic": "igb0", "nic_type": "external"}]}
        if disk:
            if self.is_a:
                body["disks"] = {"boot": {"type": "blank", "size": disk}}
            else:
                body["disks"] = {"boot": {"source": {"type": "scratch"}, "size": disk}}
        body.update(extra)
        return body

    def create(self, hostname="web01", server_id="0001", wait=True, **extra) -> dict:
        r = self.post(f"/{self.noun}", json=self.create_body(hostname, server_id, **extra))
        assert r.status_code == 200, r.text
        body = r.json()
        if wait:
            anchor = self.wait(body["parent_task_id"])
            assert anchor["status"] == "completed", anchor
        return body

    def machine(self, name: str) -> dict:
        r = self.get(self.m(name))
        assert r.status_code == 200, r.text
        return r.json()[self.info_key]


def bootstrap(api: Api) -> str:
    r = api.post("/api-keys/bootstrap", key=None, json={"name": "test-admin", "setupToken": api.sim.setup_token})
    assert r.status_code == 200, r.text
    return r.json()["api_key"]
