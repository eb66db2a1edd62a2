"""Templates through the agent simulator (agent-api.md section 6), downloading for real from a
BoxVault simulator, for both generations."""
from __future__ import annotations

import hashlib
import time

import pytest

from sim_helpers import Api, Simulator, bootstrap
from zoneweaver_sim.boxvault import BoxVaultSimulator, build_box, build_malicious_box

BODY = {"organization": "STARTcloud", "box_name": "debian12", "version": "2025.8.22"}


@pytest.fixture
def bv():
    sim = BoxVaultSimulator(
        boxes=[{"org": "STARTcloud", "name": "debian12", "version": "2025.8.22", "zss_size": 200_000},
               {"org": "STARTcloud", "name": "debian12", "version": "2025.9.30"},
               {"org": "STARTcloud", "name": "debian12", "version": "2025.8.22", "architecture": "arm64"},
               {"org": "STARTcloud", "name": "native", "version": "1.0",
                "data": build_box(zss_size=5000, brand="lipkg")},
               {"org": "STARTcloud", "name": "nozss", "version": "1.0", "data": build_malicious_box("no_zss")},
               {"org": "acme", "name": "secret", "version": "1.0.0", "is_public": False}],
        users={"mark": {"password": "pw", "orgs": ["acme"]}})
    with sim:
        sim.token = sim.add_service_account("mark", "acme")
        yield sim


@pytest.fixture(params=["0.3.9", "0.2"])
def api(request, bv):
    sources = [{"name": "other", "url": "http://127.0.0.1:9", "enabled": False},
               {"name": "boxvault", "url": bv.url, "default": True, "auth_token": bv.token}]
    sim = Simulator(generation=request.param, template_sources=sources).start()
    a = Api(sim)
    a.key = bootstrap(a)
    a.local = "/templates" if a.is_a else "/templates/local"
    yield a
    sim.stop()


def body(api, **extra):
    out = dict(BODY, **extra)
    if not api.is_a:   # 0.2 requires all six fields
        out = dict({"source_name": "boxvault", "provider": "zone", "architecture": "amd64"}, **out)
    return out


def pull(api, **extra):
    r = api.post("/templates/pull", json=body(api, **extra))
    assert r.status_code == 202, r.text
    return r.json()


def test_sources(api, bv):
    rows = api.get("/templates/sources").json()["sources"]
    if api.is_a:
        assert rows[1] == {"name": "boxvault", "url": bv.url, "enabled": True, "default": True}
    else:
        assert rows[1] == {"name": "boxvault", "type": "vagrant", "url": bv.url, "organization": None, "verify_ssl": True}
    assert all("auth_token" not in r for r in rows)


def test_remote_passthrough(api, bv):
    boxes = api.get("/templates/remote/boxvault").json()
    assert {"debian12", "secret"} <= {b["name"] for b in boxes}
    discover = [e for e in bv.log if e["path"] == "/api/discover"][-1]
    assert discover["user_agent"] == "Zoneweaver/1.0.0"                    # plain UA on the two-segment path
    meta = api.get("/templates/remote/boxvault/acme/secret").json()
    assert meta["name"] == "acme/secret" and meta["versions"][0]["version"] == "1.0.0"
    assert bv.log[-1]["user_agent"].startswith("Vagrant/") and bv.log[-1]["auth"] == "bearer"
    assert api.get("/templates/remote/nope").status_code == 404
    assert api.get("/templates/remote/boxvault/acme/nothing").status_code == 404


def test_remote_with_a_wrong_token_is_a_502(api, bv):
    api.sim.template_sources[1]["auth_token"] = "0" * 64
    r = api.get("/templates/remote/boxvault/acme/secret")
    assert r.status_code == 502 and "401" in r.json()["details"]


def test_pull_downloads_imports_and_records(api, bv):
    answer = pull(api)
    assert answer["message"] == "Download task created for STARTcloud/debian12 v2025.8.22"
    task = api.wait(answer["task_id"])
    assert task["status"] == "completed", task
    assert task["operation"] == "template_download" and task[api.nk] == "system"
    rows = api.get(api.local).json()
    assert rows["total"] == 1
    row = rows["templates"][0]
    data = bv.file_row("STARTcloud", "debian12", "2025.8.22")["data"]
    assert row["checksum"] == hashlib.sha256(data).hexdigest() and row["checksum_algorithm"] == "sha256"
    assert row["size"] == len(data) and row["dataset_path"] == "rpool/templates/STARTcloud/debian12/2025.8.22"
    assert row["original_filename"] == "debian12-2025.8.22-zone-amd64.box" and row["metadata"]["format"] == "zss"
    assert ("available_pools" in row) == api.is_a
    assert api.get(f"{api.local}/{row['id']}").json()["id"] == row["id"]
    ds = api.sim.state.datasets
    assert ds["rpool/templates/STARTcloud/debian12/2025.8.22"]["type"] == "volume"
    assert "rpool/templates/STARTcloud/debian12/2025.8.22@ready" in ds
    downloads = bv.downloads()
    assert len(downloads) == 1 and downloads[0]["user_agent"].startswith("Vagrant/")
    assert "Range" not in str(downloads[0])
    infos = [e for e in bv.log if e["path"].endswith("/file/info")]
    assert bool(infos) == api.is_a                                     # file/info for progress: 0.3.9 only
    output = api.get(f"/tasks/{answer['task_id']}/output").json()["output"]
    assert any("zfs recv -u -v -F" in o["data"] for o in output)


def test_second_pull_is_409_and_latest_is_400(api):
    api.wait(pull(api)["task_id"])
    r = api.post("/templates/pull", json=body(api))
    assert r.status_code == 409 and r.json()["error"] == "Template already exists locally" and r.json()["template_id"]
    r = api.post("/templates/pull", json=body(api, version="latest"))
    assert r.status_code == 400 and "hint" in r.json()


def test_pull_validation(api):
    r = api.post("/templates/pull", json=body(api, source_name="nope"))
    assert r.status_code == 400 and "nope" in r.json()["error"]
    r = api.post("/templates/pull", json=body(api, box_name="x;reboot"))
    assert r.status_code == 400
    r = api.post("/templates/pull", json={"organization": "STARTcloud"})
    assert r.status_code == 400 and "required" in r.json()["error"]
    r = api.post("/templates/pull", data="", headers={"Content-Type": "text/plain"})
    assert r.status_code == 500


def test_pull_uses_the_default_source_on_0_3_9(api):
    if not api.is_a:
        pytest.skip("0.2 requires source_name")
    r = api.post("/templates/pull", json=BODY)
    assert r.status_code == 202
    assert api.wait(r.json()["task_id"])["status"] == "completed"
    assert api.get(api.local).json()["templates"][0]["source_name"] == "boxvault"


def test_private_box_with_the_source_token(api):
    task = api.wait(pull(api, organization="acme", box_name="secret", version="1.0.0")["task_id"])
    assert task["status"] == "completed", task


def test_private_box_with_a_wrong_token_fails_the_task(api):
    api.sim.template_sources[1]["auth_token"] = "0" * 64
    task = api.wait(pull(api, organization="acme", box_name="secret", version="1.0.0")["task_id"])
    assert task["status"] == "failed" and "401" in task["error_message"]
    assert api.get(api.local).json()["total"] == 0


def test_a_cut_transfer_fails_the_task_no_resume(api, bv):
    bv.drop_after_bytes = 5000
    task = api.wait(pull(api)["task_id"])
    assert task["status"] == "failed" and "aborted" in task["error_message"]
    assert [e["status"] for e in bv.downloads()] == [200]
    assert "rpool/templates/STARTcloud/debian12/2025.8.22" not in api.sim.state.datasets


def test_box_without_zss_fails(api):
    task = api.wait(pull(api, box_name="nozss", version="1.0")["task_id"])
    assert task["status"] == "failed" and "No ZFS send stream (.zss) found" in task["error_message"]


def test_native_box_is_a_filesystem(api):
    api.wait(pull(api, box_name="native", version="1.0")["task_id"])
    assert api.sim.state.datasets["rpool/templates/STARTcloud/native/1.0"]["type"] == "filesystem"


def test_progress_is_reported(api, bv):
    api.sim.knobs.hang_operations = {"template_download"}      # the task stays running once the transfer is done
    answer = pull(api)
    deadline = time.monotonic() + 10
    task = api.task(answer["task_id"])
    while task["progress_percent"] < 55 and time.monotonic() < deadline:
        time.sleep(0.02)
        task = api.task(answer["task_id"])
    assert task["status"] == "running"
    assert task["progress_percent"] == 55 and task["progress_info"] == {"status": "extracting_box"}
    api.sim.knobs.hang_operations = set()
    done = api.wait(answer["task_id"])
    assert done["status"] == "completed" and done["progress_percent"] == 100


def test_delete(api):
    api.wait(pull(api)["task_id"])
    row = api.get(api.local).json()["templates"][0]
    r = api.delete(f"{api.local}/{row['id']}")
    assert r.status_code == 202
    assert api.wait(r.json()["task_id"])["status"] == "completed"
    assert api.get(api.local).json() == {"templates": [], "total": 0}
    assert not any(d.startswith("rpool/templates/STARTcloud/debian12/") for d in api.sim.state.datasets)
    assert api.get(f"{api.local}/{row['id']}").status_code == 404
    assert api.delete(f"{api.local}/{row['id']}").json() == {"error": "Template not found"}


def test_delete_refused_while_a_clone_depends(api):
    api.wait(pull(api)["task_id"])
    row = api.get(api.local).json()["templates"][0]
    with api.sim.state.lock:
        api.sim.state.add_dataset("rpool/zones/x/boot", "volume", volsize=1 << 30, origin=row["dataset_path"] + "@ready")
    task = api.wait(api.delete(f"{api.local}/{row['id']}").json()["task_id"])
    assert task["status"] == "failed" and "dependent clones" in task["error_message"]


def test_other_generation_paths_are_html_404(api):
    other = "/templates/local" if api.is_a else "/templates"
    r = api.get(other)
    if api.is_a:
        assert r.status_code == 404 and r.json() == {"error": "Template not found"}   # matches /templates/:id
    else:
        assert r.status_code == 404 and "text/html" in r.headers["Content-Type"]


def test_state_survives_without_secrets(api, bv):
    api.wait(pull(api)["task_id"])
    api.sim.state.save(force=True)
    with open(api.sim.state.path) as fh:
        assert bv.token not in fh.read()
