"""The provisioning surfaces of the simulator (pipeline, recipes, profiles, artifacts, guest exec):
behaviour, and every answer checked against the generation's OpenAPI file as test_sim_openapi.py does."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from sim_helpers import Api, Simulator, bootstrap

REF = Path("/work/shared/reference/openapi")
SPEC_FILES = {"0.3.9": "zoneweaver-agent-0.3.9.json", "0.2": "zoneweaver-api-0.2.json"}
_SPECS = {}


def _openapi(gen, url):
    if (gen, url) not in _SPECS:
        spec = json.loads((REF / SPEC_FILES[gen]).read_text())
        spec["servers"] = [{"url": url}]
        _SPECS[(gen, url)] = (spec, OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None)))
    return _SPECS[(gen, url)]


def conforms(gen, resp, template):
    """The status is documented for the operation and the answer validates against its schema."""
    spec, openapi = _openapi(gen, resp.url.split(resp.request.path_url)[0])
    method = resp.request.method.lower()
    documented = spec["paths"][template][method]["responses"]
    assert str(resp.status_code) in documented, (template, resp.status_code, sorted(documented), resp.text[:200])
    openapi.validate_response(RequestsOpenAPIRequest(resp.request), RequestsOpenAPIResponse(resp))
    return resp


@pytest.fixture(params=["0.3.9", "0.2"])
def env(request):
    sim = Simulator(generation=request.param).start()
    api = Api(sim)
    api.key = bootstrap(api)
    api.create()   # 0001--web01.example.com, stopped after create
    yield sim, api
    sim.stop()


def _m(api, suffix=""):
    return api.m("0001--web01.example.com", suffix)


def _tmpl(api, suffix):
    return ("/machines/{name}" if api.is_a else "/zones/{name}") + suffix


def test_pipeline_runs_its_chain_and_reports_status(env):
    sim, api = env
    gen = sim.generation
    refused = conforms(gen, api.post(_m(api, "/provision")), _tmpl(api, "/provision"))
    assert refused.status_code == 400 and "No provisioning configuration" in refused.json()["error"]
    assert conforms(gen, api.post(api.m("0009--none.example.com", "/provision")),
                    _tmpl(api, "/provision")).status_code == 404
    assert api.put(_m(api), json={"provisioner": {"folders": [{"map": ".", "to": "/vagrant"}]}}).status_code == 200
    started = conforms(gen, api.post(_m(api, "/provision")), _tmpl(api, "/provision")).json()
    assert started[api.nk] == "0001--web01.example.com" and started["parent_task_id"]
    steps = [c["step"] for c in started["task_chain"]]
    assert steps == ["stage" if api.is_a else "extract", "boot", "setup_skipped", "wait_ssh", "sync", "provision"]
    for entry in started["task_chain"]:
        if entry.get("task_id"):
            assert api.wait(entry["task_id"])["status"] == "completed"
    anchor = api.wait(started["parent_task_id"])
    assert anchor["operation"] == "zone_provision_orchestration" and anchor["status"] == "completed"
    status = conforms(gen, api.get(_m(api, "/provision/status")), _tmpl(api, "/provision/status")).json()
    assert status["provisioning_status"] == "provisioned" and status["recent_tasks"]


def test_failing_step_cancels_the_rest_with_output(env):
    sim, api = env
    api.put(_m(api), json={"provisioner": {"playbook": "site.yml"}})
    sim.knobs.update({"fail_operations": {"zone_wait_ssh": "ssh: Connection refused"}})
    started = api.post(_m(api, "/provision")).json()
    ids = {c["step"]: c.get("task_id") for c in started["task_chain"]}
    failed = api.wait(ids["wait_ssh"])
    assert failed["status"] == "failed" and failed["error_message"] == "ssh: Connection refused"
    output = api.get("/tasks/%s/output" % ids["wait_ssh"]).json()["output"]
    assert any("Waiting for SSH" in line["data"] for line in output)
    assert any(line["stream"] == "stderr" and "Connection refused" in line["data"] for line in output)
    cancelled = api.wait(ids["provision"])
    assert cancelled["status"] == "cancelled" and cancelled["error_message"] == "Dependency failed"


def test_recipes_crud(env):
    sim, api = env
    gen = sim.generation
    body = {"name": "debian", "os_family": "linux", "steps": [{"type": "wait", "pattern": "login:"}]}
    created = conforms(gen, api.post("/provisioning/recipes", json=body), "/provisioning/recipes")
    assert created.status_code == 201
    recipe = created.json()["recipe"]
    assert recipe["login_prompt"] == "login:" and recipe["timeout_seconds"] == 300 and recipe["brand"] == "bhyve"
    assert conforms(gen, api.post("/provisioning/recipes", json=body), "/provisioning/recipes").status_code == 409
    assert conforms(gen, api.post("/provisioning/recipes", json={"name": "x"}),
                    "/provisioning/recipes").status_code == 400
    listed = conforms(gen, api.get("/provisioning/recipes?os_family=linux"), "/provisioning/recipes").json()
    assert listed["count"] == 1 and listed["recipes"][0]["id"] == recipe["id"]
    item = "/provisioning/recipes/" + recipe["id"]
    updated = conforms(gen, api.put(item, json={"timeout_seconds": 60}), "/provisioning/recipes/{id}").json()
    assert updated["recipe"]["timeout_seconds"] == 60
    assert conforms(gen, api.get(item), "/provisioning/recipes/{id}").json()["recipe"]["timeout_seconds"] == 60
    assert conforms(gen, api.delete(item), "/provisioning/recipes/{id}").status_code == 200
    assert conforms(gen, api.get(item), "/provisioning/recipes/{id}").status_code == 404


def test_profiles_exist_only_on_0_2(env):
    sim, api = env
    answer = api.post("/provisioning/profiles", json={"name": "web", "default_credentials": {"username": "v"}})
    if api.is_a:
        assert answer.status_code == 404 and "Cannot POST" in answer.text
        return
    assert conforms(sim.generation, answer, "/provisioning/profiles").status_code == 201
    profile = answer.json()["profile"]
    assert conforms(sim.generation, api.post("/provisioning/profiles", json={"name": "web"}),
                    "/provisioning/profiles").status_code == 409
    item = "/provisioning/profiles/" + profile["id"]
    assert conforms(sim.generation, api.get(item), "/provisioning/profiles/{id}").json()["profile"]["name"] == "web"
    assert conforms(sim.generation, api.delete(item), "/provisioning/profiles/{id}").status_code == 200


def test_artifacts_upload_download_delete(env):
    sim, api = env
    gen = sim.generation
    paths = conforms(gen, api.get("/artifacts/storage/paths"), "/artifacts/storage/paths").json()["paths"]
    iso = next(p for p in paths if p["type"] == "iso")
    data = b"iso-bytes" * 1000
    assert conforms(gen, api.post("/artifacts/upload/prepare", json={"filename": "a.iso"}),
                    "/artifacts/upload/prepare").status_code == 400
    assert conforms(gen, api.post("/artifacts/upload/prepare", json={"filename": "a.iso", "size": 1,
                                                                     "storage_path_id": "nope"}),
                    "/artifacts/upload/prepare").status_code == 404
    prepared = conforms(gen, api.post("/artifacts/upload/prepare", json={
        "filename": "a.iso", "size": len(data), "storage_path_id": iso["id"],
        "checksum": hashlib.sha256(data).hexdigest()}), "/artifacts/upload/prepare").json()
    assert api.task(prepared["task_id"])["status"] == "prepared"
    uploaded = api.s.post(api.url + "/artifacts/upload/" + prepared["task_id"], files={"file": ("a.iso", data)},
                          headers={"Authorization": "Bearer " + api.key}, timeout=10)
    assert conforms(gen, uploaded, "/artifacts/upload/{taskId}").status_code == 202
    assert api.wait(prepared["task_id"])["status"] == "completed"
    listed = conforms(gen, api.get("/artifacts?type=iso"), "/artifacts").json()
    row = listed["artifacts"][0]
    assert row["checksum"] == hashlib.sha256(data).hexdigest() and row["size"] == len(data)
    assert listed["pagination"] == {"total": 1, "limit": 50, "offset": 0, "has_more": False}
    assert conforms(gen, api.get("/artifacts/" + row["id"]), "/artifacts/{id}").json()["filename"] == "a.iso"
    fetched = conforms(gen, api.get("/artifacts/%s/download" % row["id"]), "/artifacts/{id}/download")
    assert fetched.content == data
    again = conforms(gen, api.post("/artifacts/upload/prepare", json={
        "filename": "a.iso", "size": len(data), "storage_path_id": iso["id"]}), "/artifacts/upload/prepare")
    assert again.status_code == 400, "an existing file without overwrite_existing must be refused"
    deleted = conforms(gen, api.delete("/artifacts/files", json={"artifact_ids": [row["id"]]}), "/artifacts/files")
    assert api.wait(deleted.json()["task_id"])["status"] == "completed"
    assert conforms(gen, api.get("/artifacts/" + row["id"]), "/artifacts/{id}").status_code == 404


def test_guest_exec(env):
    sim, api = env
    answer = api.post(_m(api, "/guest/exec"), json={"path": "hostname"})
    if not api.is_a:
        assert answer.status_code == 404 and "Cannot POST" in answer.text
        return
    template = "/machines/{machineName}/guest/exec"
    # the zone is stopped; the spec documents only 200 here (DEVIATIONS.md, guest-exec-shape)
    assert answer.status_code == 400 and "not running" in answer.json()["error"]
    api.post(_m(api, "/start"))
    api.wait(api.get("/tasks?limit=1").json()["tasks"][0]["id"])
    done = conforms(sim.generation, api.post(_m(api, "/guest/exec"), json={
        "path": "/bin/sh", "args": ["-c", "hostname && echo oops >&2; exit 4"]}), template).json()
    assert (done["exited"], done["exitcode"], done["stdout"], done["stderr"]) == (True, 4, "web01\n", "oops\n")
    slow = api.post(_m(api, "/guest/exec"), json={"path": "sleep", "args": ["0.3"], "timeout_seconds": 1,
                                                  "wait": False}).json()
    assert slow["exited"] is False
    poll = conforms(sim.generation, api.get(_m(api, "/guest/exec/%d" % slow["pid"])),
                    "/machines/{machineName}/guest/exec/{pid}").json()
    assert poll["exited"] is False
    import time
    time.sleep(0.35)
    assert api.get(_m(api, "/guest/exec/%d" % slow["pid"])).json()["exitcode"] == 0
    missing = api.post(_m(api, "/guest/exec"), json={"path": "nosuch"})
    assert missing.status_code == 500 and "nosuch" in missing.json()["details"]


def _children(api, parent_task_id):
    rows = api.get("/tasks?parent_task_id=%s&sort=created_at&order=ASC" % parent_task_id).json()["tasks"]
    return rows


def _start_zone(api):
    started = api.post(_m(api, "/start")).json()
    api.wait(started["task_id"])


def test_sync_creates_one_task_per_folder(env):
    sim, api = env
    gen = sim.generation
    refused = conforms(gen, api.post(_m(api, "/sync")), _tmpl(api, "/sync"))
    assert refused.status_code == 400 and "No provisioning configuration" in refused.json()["error"]
    assert conforms(gen, api.post(api.m("0009--none.example.com", "/sync")), _tmpl(api, "/sync")).status_code == 404
    api.put(_m(api), json={"provisioner": {"provisioners": [{"type": "ansible", "playbook": "site.yml"}]}})
    empty = conforms(gen, api.post(_m(api, "/sync")), _tmpl(api, "/sync"))
    assert empty.status_code == 400 and empty.json()["error"] == "No folders configured in provisioner metadata"
    folders = [{"map": "./provisioning", "to": "/vagrant"}, {"map": "./data", "to": "/data", "syncback": True}]
    api.put(_m(api), json={"provisioner": {"folders": folders}})
    _start_zone(api)
    started = conforms(gen, api.post(_m(api, "/sync")), _tmpl(api, "/sync")).json()
    assert started["success"] is True and started[api.nk] == "0001--web01.example.com"
    assert started["folder_count"] == 2 and "task_chain" not in started
    kids = _children(api, started["parent_task_id"])
    assert [k["operation"] for k in kids] == ["zone_sync", "zone_sync"]
    assert kids[1]["depends_on"] == kids[0]["id"], "each folder waits for the previous one"
    assert [api.wait(k["id"])["status"] for k in kids] == ["completed", "completed"]
    anchor = api.wait(started["parent_task_id"])
    assert anchor["operation"] == "zone_sync_parent" and anchor["status"] == "completed"
    output = api.get("/tasks/%s/output" % kids[1]["id"]).json()["output"]
    assert any("rsync -a ./data vagrant@" in line["data"] and ":/data" in line["data"] for line in output)
    back = conforms(gen, api.post(_m(api, "/sync"), json={"syncback": True}), _tmpl(api, "/sync")).json()
    kids = _children(api, back["parent_task_id"])
    if api.is_a:   # 0.3.9 pulls only the syncback-flagged folders back
        assert back["folder_count"] == 1 and [k["operation"] for k in kids] == ["zone_syncback"]
    else:          # 0.2 has no syncback: the body is ignored
        assert back["folder_count"] == 2 and {k["operation"] for k in kids} == {"zone_sync"}


def test_sync_step_fails_with_output_on_a_stopped_zone_and_by_knob(env):
    sim, api = env
    api.put(_m(api), json={"provisioner": {"folders": [{"map": ".", "to": "/vagrant"}]}})
    started = api.post(_m(api, "/sync")).json()   # the zone is stopped: the step itself fails
    kid = _children(api, started["parent_task_id"])[0]
    failed = api.wait(kid["id"])
    assert failed["status"] == "failed" and "is not running" in failed["error_message"]
    _start_zone(api)
    sim.knobs.update({"fail_operations": {"zone_sync": "rsync: connection unexpectedly closed"}})
    started = api.post(_m(api, "/sync")).json()
    kid = _children(api, started["parent_task_id"])[0]
    assert api.wait(kid["id"])["error_message"] == "rsync: connection unexpectedly closed"
    output = api.get("/tasks/%s/output" % kid["id"]).json()["output"]
    assert any(line["stream"] == "stdout" and line["data"].startswith("rsync -a . ") for line in output)
    assert any(line["stream"] == "stderr" and "unexpectedly closed" in line["data"] for line in output)
    assert api.wait(started["parent_task_id"])["status"] == ("failed" if api.is_a else "completed_with_errors")


def test_run_provisioners_runs_each_playbook_in_order(env):
    sim, api = env
    gen = sim.generation
    api.put(_m(api), json={"provisioner": {"folders": [{"map": ".", "to": "/vagrant"}]}})
    none = conforms(gen, api.post(_m(api, "/run-provisioners")), _tmpl(api, "/run-provisioners"))
    if api.is_a:   # an empty walk succeeds with zero tasks
        assert none.status_code == 200 and none.json()["playbook_count"] == 0
        assert "parent_task_id" not in none.json()
    else:
        assert none.status_code == 400 and "No playbooks configured" in none.json()["error"]
    playbooks = [{"type": "ansible", "playbook": "base.yml", "run": "always"},
                 {"type": "ansible", "playbook": "app.yml"}]
    api.put(_m(api), json={"provisioner": {"provisioners": playbooks}})
    _start_zone(api)
    sim.knobs.update({"fail_operations": {"zone_provision": "PLAY RECAP: failed=1"}})
    started = conforms(gen, api.post(_m(api, "/run-provisioners")), _tmpl(api, "/run-provisioners")).json()
    assert started["playbook_count"] == 2 and started[api.nk] == "0001--web01.example.com"
    kids = _children(api, started["parent_task_id"])
    assert [k["operation"] for k in kids] == ["zone_provision", "zone_provision"]
    first, second = (api.wait(k["id"]) for k in kids)
    assert first["status"] == "failed" and first["error_message"] == "PLAY RECAP: failed=1"
    assert second["status"] == "cancelled" and second["error_message"] == "Dependency failed"
    output = api.get("/tasks/%s/output" % kids[0]["id"]).json()["output"]
    assert any("ansible-playbook -i 10.190.190." in line["data"] and "base.yml" in line["data"] for line in output)
    anchor = api.wait(started["parent_task_id"])
    assert anchor["operation"] == "zone_provision_parent"
    sim.knobs.update({"fail_operations": {}})
    again = api.post(_m(api, "/run-provisioners")).json()
    for kid in _children(api, again["parent_task_id"]):
        assert api.wait(kid["id"])["status"] == "completed"
    assert api.get(_m(api, "/provision/status")).json()["provisioning_status"] == "provisioned"
    after = conforms(gen, api.post(_m(api, "/run-provisioners")), _tmpl(api, "/run-provisioners")).json()
    if api.is_a:   # once provisioned, only `run: always` playbooks run again
        assert after["playbook_count"] == 1 and after["playbooks_skipped"] == [{"playbook": "app.yml", "run": "once"}]
    else:
        assert after["playbook_count"] == 2


def test_host_hooks_need_the_setting_and_a_one_time_confirmation(env):
    sim, api = env
    gen = sim.generation
    hooks = {"provisioners": [{"type": "ansible", "playbook": "site.yml"}],
             "pre": [{"name": "open-firewall", "target": "host", "inline": "ipf -Fa"}]}
    api.put(_m(api), json={"provisioner": hooks})
    first = conforms(gen, api.post(_m(api, "/provision")), _tmpl(api, "/provision"))
    if not api.is_a:   # 0.2 has no host hooks: the pipeline starts
        assert first.status_code == 200
        return
    assert first.status_code == 400 and "provisioning.host_hooks" in first.json()["error"]
    sim.agent_settings = {"provisioning": {"host_hooks": True}}
    asked = conforms(gen, api.post(_m(api, "/provision")), _tmpl(api, "/provision"))
    assert asked.status_code == 409
    body = asked.json()
    assert body["needs_confirmation"] is True and body["confirm_with"] == {"confirm_host_hooks": True}
    assert [h["name"] for h in body["host_hooks"]] == ["open-firewall"] and body["reason"]
    refused = conforms(gen, api.post(_m(api, "/run-provisioners")), _tmpl(api, "/run-provisioners"))
    assert refused.status_code == 400 and "confirm_host_hooks" in refused.json()["error"]
    started = conforms(gen, api.post(_m(api, "/provision"), json={"confirm_host_hooks": True}),
                       _tmpl(api, "/provision")).json()
    steps = [c["step"] for c in started["task_chain"]]
    assert steps[-2:] == ["pre_hook", "provision"]
    hook_id = started["task_chain"][-2]["task_id"]
    assert api.wait(hook_id)["operation"] == "zone_hook"
    output = api.get("/tasks/%s/output" % hook_id).json()["output"]
    assert any(line["data"] == "hook open-firewall on the host" for line in output)
    again = conforms(gen, api.post(_m(api, "/provision")), _tmpl(api, "/provision"))
    assert again.status_code == 200, "the confirmation is asked only once"
