"""Input checks and plans of zone_exec, zone_provision, provisioning_recipe/profile and artifact, without an agent."""

import hashlib
import io

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.artifacts import MultipartFile
from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.provisioning import (
    GuestExec, GuestExecTimeout, ProvisioningApi, exec_outcome)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import artifact, zone_exec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.named_row import NamedResource, masked
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.provisioning_recipe import recipe_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_provision import (
    _step_name, normalize, planned_steps)

ZONE = "0001--web01.example.com"


def test_exec_input():
    assert zone_exec.normalize({"name": ZONE, "command": "echo 'a b' c"})[1] == ["echo", "a b", "c"]
    assert zone_exec.normalize({"name": ZONE, "argv": ["true"], "exec_timeout": None})[2] == 30
    for bad, words in (({"argv": ["x"], "command": "x"}, "exactly one"), ({"command": ""}, "empty"),
                       ({"argv": ["x"], "exec_timeout": 0}, "exec_timeout")):
        with pytest.raises(InputError, match=words):
            zone_exec.normalize(dict({"name": ZONE}, **bad))


def test_exec_is_skipped_in_check_mode_without_connecting():
    result = zone_exec.run({"name": ZONE, "argv": ["hostname"]}, RunContext(check_mode=True))
    assert result["skipped"] is True and result["changed"] is False and result["cmd"] == ["hostname"]


def test_exec_outcome_reads_both_shapes():
    assert exec_outcome({"exited": True, "exitcode": 2, "stdout": "a", "stderr": "b", "pid": 7}) == \
        (True, 2, "a", "b", 7)
    assert exec_outcome({"exited": True, "exitcode": 0, "out-data": "aGk=", "pid": 8}) == (True, 0, "hi", "", 8)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class ExecClient:
    url = "http://agent"

    def __init__(self, finish_after):
        self.gets = 0
        self.finish_after = finish_after

    def post(self, path, body=None):
        assert body["timeout_seconds"] == 5 and body["args"] == ["5"]
        return {"pid": 42, "exited": False}

    def get(self, path):
        self.gets += 1
        if self.gets >= self.finish_after:
            return {"pid": 42, "exited": True, "exitcode": 0, "stdout": "", "stderr": ""}
        return {"pid": 42, "exited": False}


class ExecApi:
    def __init__(self, client):
        from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.dialect import Dialect
        self.client = client
        self.dialect = Dialect("0.3.9", ["machines", "guest-agent"])


def test_exec_polls_until_the_command_ends_or_the_deadline():
    clock = Clock()
    done = GuestExec(ExecApi(ExecClient(3)), clock=clock, sleep=clock.sleep).run(ZONE, ["sleep", "5"], 5)
    assert done[:2] == (True, 0)
    clock = Clock()
    with pytest.raises(GuestExecTimeout, match="still running"):
        GuestExec(ExecApi(ExecClient(10 ** 6)), clock=clock, sleep=clock.sleep).run(ZONE, ["sleep", "5"], 5)


def test_provision_input():
    assert normalize({"name": ZONE, "provisioner": None}) == (ZONE, None, "provision")
    with pytest.raises(InputError, match="provisioner"):
        normalize({"name": ZONE, "provisioner": {}})
    assert normalize({"name": ZONE, "action": "sync", "skip_boot": False, "force": False})[2] == "sync"
    with pytest.raises(InputError, match="skip_recipe only apply to action=provision"):
        normalize({"name": ZONE, "action": "run_provisioners", "skip_recipe": True})
    with pytest.raises(InputError, match="action must be one of"):
        normalize({"name": ZONE, "action": "reboot"})


def test_adhoc_plans_and_step_names():
    section = {"folders": [{"map": "./p", "to": "/vagrant"}, {"map": "./d", "to": "/data", "syncback": True}],
               "provisioners": [{"type": "ansible", "playbook": "site.yml"}, "raw.yml"]}
    assert planned_steps("sync", section) == ["sync ./p", "sync ./d"]
    assert planned_steps("syncback", section) == ["syncback /data"]
    assert planned_steps("run_provisioners", section) == ["provision site.yml", "provision raw.yml"]
    assert planned_steps("run_provisioners", None) == []
    nested = {"provisioning": {"ansible": {"playbooks": {"local": [{"playbook": "x.yml"}]}}}}
    assert planned_steps("run_provisioners", nested) == ["provision x.yml"]
    # metadata arrives as a JSON string (0.3.x toJSON) or an object (newer task lists)
    assert _step_name({"id": "t1", "operation": "zone_sync", "metadata": '{"folder": {"map": "./p"}}'}) == "sync ./p"
    assert _step_name({"id": "t2", "operation": "zone_provision", "metadata": {"playbook": {"playbook": "a.yml"}}}) \
        == "provision a.yml"
    assert _step_name({"id": "t3", "operation": "zone_hook", "metadata": "not json"}) == "hook t3"


class ChildrenClient:
    """GET /tasks answers the anchor's children in an order unrelated to the chain (same timestamps)."""

    def __init__(self, rows):
        self.rows = rows
        self.asked = None

    def get(self, path, params=None):
        self.asked = (path, params)
        return {"tasks": self.rows}


def test_adhoc_chain_follows_depends_on():
    rows = [{"id": "c", "depends_on": "b", "created_at": "t"}, {"id": "a", "depends_on": None, "created_at": "t"},
            {"id": "b", "depends_on": "a", "created_at": "t"}]
    client = ChildrenClient(rows)
    api = type("Api", (), {"client": client})()
    assert [r["id"] for r in ProvisioningApi(api).children("p1")] == ["a", "b", "c"]
    assert client.asked[1]["parent_task_id"] == "p1"
    # 0.2 upstream chains the first child on the anchor itself: that is outside the children, so still first
    rows[1]["depends_on"] = "p1"
    assert [r["id"] for r in ProvisioningApi(api).children("p1")] == ["a", "b", "c"]


class Collection:
    noun = "recipe"

    def __init__(self, rows):
        self.rows = rows
        self.calls = []

    def find(self, name):
        return next((r for r in self.rows if r["name"] == name), None)

    def create(self, body):
        self.calls.append(("create", body))
        return dict(body, id="new")

    def update(self, item_id, body):
        self.calls.append(("update", item_id, body))
        return dict(self.find("r"), **body)

    def delete(self, item_id):
        self.calls.append(("delete", item_id))


def test_named_resource_sends_only_differences_and_nothing_in_check_mode():
    rows = [{"id": "1", "name": "r", "os_family": "linux", "steps": [{"type": "wait"}], "timeout_seconds": 300}]
    coll = Collection(rows)
    out = NamedResource(coll, RunContext(diff=True), (), ("os_family", "steps")).ensure(
        "r", "present", recipe_spec({"os_family": "linux", "timeout_seconds": 60}))
    assert out["actions"] == ["update"] and coll.calls == [("update", "1", {"timeout_seconds": 60})]
    assert out["diff"] == {"before": {"timeout_seconds": 300}, "after": {"timeout_seconds": 60}}
    coll = Collection(rows)
    checked = NamedResource(coll, RunContext(check_mode=True), (), ()).ensure("r", "absent", {})
    assert checked["changed"] is True and coll.calls == []
    with pytest.raises(InputError, match="needs steps"):
        resource = NamedResource(Collection([]), RunContext(), (), ("os_family", "steps"))
        resource.ensure("x", "present", {"os_family": "linux"})


def test_masked_hides_secret_values_but_keeps_keys():
    assert masked({"default_credentials": {"password": "p"}, "name": "n"}, ("default_credentials",)) == \
        {"default_credentials": {"password": "********"}, "name": "n"}


def test_artifact_input(tmp_path):
    src = tmp_path / "a.iso"
    src.write_bytes(b"abc")
    good = hashlib.sha256(b"abc").hexdigest()
    spec = artifact.normalize({"src": str(src), "checksum": "SHA256:" + good.upper()})
    assert spec["filename"] == "a.iso" and spec["local_checksum"] == good and spec["algorithm"] == "sha256"
    assert artifact.normalize({"url": "https://h/x/disk.img?sig=1"})["filename"] == "disk.img"
    for bad, words in (({}, "exactly one"), ({"src": str(src), "checksum": "0" * 64}, "not the expected"),
                       ({"src": str(src), "checksum": "abc"}, "hex digest"), ({"dest": "/nonexistent/dir/x"}, "filename"),
                       ({"state": "absent", "src": str(src)}, "takes no"), ({"url": "file:///etc/passwd"}, "url")):
        with pytest.raises(InputError, match=words):
            artifact.normalize(bad)


def test_pick_location():
    paths = [{"id": "1", "name": "isos", "type": "iso"}, {"id": "2", "name": "imgs", "type": "image", "enabled": False},
             {"id": "3", "name": "imgs2", "type": "image"}]
    assert artifact.pick_location(paths, None, "image")["id"] == "3"
    assert artifact.pick_location(paths, "isos", "image")["id"] == "1"
    with pytest.raises(InputError, match="does not exist"):
        artifact.pick_location(paths, "nope", "iso")


def test_multipart_body_has_its_length_and_the_file(tmp_path):
    src = tmp_path / "f.bin"
    src.write_bytes(b"\x00\x01" * 3000)
    body = MultipartFile(str(src), "file", "f.bin")
    data = io.BytesIO()
    while True:
        block = body.read(1000)
        if not block:
            break
        data.write(block)
    body.close()
    raw = data.getvalue()
    assert len(raw) == len(body)
    assert b'name="file"; filename="f.bin"' in raw and b"\x00\x01" * 3000 in raw
    assert raw.endswith(("--%s--\r\n" % body.boundary).encode())
