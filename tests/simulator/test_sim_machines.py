"""Machines/zones (agent-api.md §3) on both generations."""
from __future__ import annotations

from sim_helpers import Api, Simulator, bootstrap


def _state(api):
    return api.get("/_sim/state").json()


def test_create_answer_and_row_only_at_finalize(api, gen):
    api.sim.knobs.hang_operations = {"zone_create_finalize"}
    r = api.post(f"/{api.noun}", json=api.create_body())
    assert r.status_code == 200
    body = r.json()
    name = "0001--web01.example.com"
    assert body[api.nk] == name and body["success"] is True
    assert body["operation"] == "zone_create_orchestration" and body["status"] == "pending"
    assert body["requires_download"] is False
    assert set(body["sub_tasks"]) == {"storage", "config", "install", "finalize"}
    api.wait(body["sub_tasks"]["finalize"], statuses={"running"})
    # installed on the host, but the DB row appears only when finalize runs
    assert api.get(api.m(name)).status_code == 404
    assert api.get(api.m(name)).json() == {"error": "Zone not found"}
    assert api.get(f"/{api.noun}").json() == {api.noun: [], "total": 0}
    assert _state(api)["host_zones"][name]["state"] == "installed"
    api.sim.knobs.hang_operations = set()
    assert api.wait(body["parent_task_id"])["status"] == "completed"
    row = api.machine(name)
    assert row["status"] == "installed" and row["server_id"] == "0001" and row["vm_type"] == "production"
    assert row["host"] == "omnios-sim" and row["brand"] == "bhyve" and row["is_orphaned"] is False
    listing = api.get(f"/{api.noun}").json()
    assert listing["total"] == 1 and listing[api.noun][0]["name"] == name


def test_create_start_after_create(api):
    body = api.create(start_after_create=True)
    assert "start" in body["sub_tasks"]
    assert api.task(body["sub_tasks"]["start"])["depends_on"] == body["sub_tasks"]["finalize"]
    assert api.machine(body[api.nk])["status"] == "running"


def test_create_validation(api, gen):
    path = f"/{api.noun}"
    missing = "Missing required parameters: settings.hostname, settings.domain, and zones.brand are required"
    r = api.post(path, json={"settings": {"hostname": "x"}, "zones": {"brand": "bhyve"}})
    assert r.status_code == 400 and r.json() == {"error": missing}
    body = api.create_body()
    del body["settings"]["server_id"]
    r = api.post(path, json=body)
    assert r.status_code == 400
    assert set(r.json()) == {"error", "hint", "config"} and f"/{api.noun}/ids" in r.json()["hint"]
    r = api.post(path, json=api.create_body(hostname="bad host!"))
    assert r.status_code == 400 and r.json() == {"error": "Invalid zone name"}
    r = api.post(path, json=api.create_body(server_id="12ab"))
    assert r.status_code == 400
    if gen == "0.3.9":
        body = api.create_body(disk=None, disks={"boot": {"type": "blank"}})
        r = api.post(path, json=body)
        assert r.status_code == 400 and r.json() == {"error": "disks.boot.type blank requires size"}
        body = api.create_body(disk=None, disks={"boot": {"source": {"type": "scratch"}}})
        assert api.post(path, json=body).status_code == 400          # A rejects the 0.2 shape
        body = api.create_body(disk=None, disks={"boot": {"type": "floppy"}})
        assert api.post(path, json=body).json()["error"] == "disks.boot.type must be one of: template, image, blank, none"


def test_create_conflicts_and_ids(api):
    api.create("web01", "1")                       # zero padded to 0001
    r = api.post(f"/{api.noun}", json=api.create_body("web01", "0001"))
    assert r.status_code == 409 and r.json() == {"error": "Zone 0001--web01.example.com already exists in database"}
    r = api.post(f"/{api.noun}", json=api.create_body("web02", "0001"))
    assert r.status_code == 409 and "0001" in r.json()["error"]
    ids = api.get(f"/{api.noun}/ids").json()
    assert ids["used"] == [{"server_id": "0001", api.nk: "0001--web01.example.com", "status": "installed"}]
    assert ids["next_available"] == "0002" and ids["total_used"] == 1
    assert ids["constraints"]["min_length"] == 4 and ids["constraints"]["max_length"] == 8
    assert api.get(f"/{api.noun}/ids/next").json() == {"server_id": "0002"}


def test_no_prefix_zone_names():
    with Simulator(prefix_zone_names=False) as sim:
        api = Api(sim)
        api.key = bootstrap(api)
        body = api.create_body()
        del body["settings"]["server_id"]
        r = api.post("/machines", json=body)
        assert r.status_code == 200 and r.json()["machine_name"] == "web01.example.com"
        api.wait(r.json()["parent_task_id"])
        cfg = api.get("/machines/web01.example.com/config").json()["configuration"]
        assert cfg["net"][0]["physical"] == "vnice3_0000_0"


def test_config_is_zadm_shaped(api, gen):
    name = api.create(cloud_init={"enabled": "on", "dns_domain": "example.com", "resolvers": "1.1.1.1,8.8.8.8",
                                  "sshkey": "ssh-ed25519 AAAA", "password": "s3cret"},
                      nics=[{"global_nic": "igb0", "vlan_id": 11, "allowed_address": "10.0.0.5/24"},
                            {"global_nic": "stub0", "nic_type": "internal", "mac_addr": "02:08:20:ab:cd:ef"}],
                      zones={"brand": "bhyve", "vmtype": "development", "autostart": True})[api.nk]
    r = api.get(api.m(name, "/config"))
    assert r.status_code == 200 and r.json()[api.nk] == name
    cfg = r.json()["configuration"]
    root = f"rpool/zones/{name}"
    assert cfg["zonename"] == name and cfg["zonepath"] == f"/{root}/path"
    assert cfg["brand"] == "bhyve" and cfg["autoboot"] == "true" and cfg["ip-type"] == "exclusive"
    assert cfg["ram"] == "2G" and cfg["vcpus"] == "2"
    assert cfg["bootrom"] == ("BHYVE_RELEASE" if gen == "0.3.9" else "BHYVE_RELEASE_CSM")
    assert cfg["bootdisk"] == {"path": f"{root}/boot", "size": "20G", "sparse": "true"}
    assert cfg["device"] == [{"match": f"/dev/zvol/rdsk/{root}/boot"}]
    assert cfg["net"] == [
        {"physical": "vnice2_0001_0", "global-nic": "igb0", "vlan-id": "11", "allowed-address": "10.0.0.5/24"},
        {"physical": "vnici2_0001_1", "global-nic": "stub0", "mac-addr": "02:08:20:ab:cd:ef"}]
    assert cfg["cloud-init"] == "on" and cfg["dns-domain"] == "example.com"
    assert cfg["resolvers"] == "1.1.1.1,8.8.8.8" and cfg["sshkey"] == "ssh-ed25519 AAAA"
    if gen == "0.3.9":
        for section in ("settings", "zones", "networks", "disks"):
            assert section in cfg
        assert cfg["settings"]["server_id"] == "0001"
    else:
        assert "settings" not in cfg
    ds = _state(api)["datasets"]
    assert ds[f"{root}/boot"]["type"] == "volume" and ds[f"{root}/boot"]["volsize"] == 20 << 30


def test_detail_shape(api, gen):
    name = api.create()[api.nk]
    d = api.get(api.m(name)).json()
    expected = {api.info_key, "configuration", "active_vnc_session", "pending_tasks", "system_status"}
    if gen == "0.3.9":
        expected |= {"pending_changes", "knob_current"}
        assert d["pending_changes"] is None
        assert d["knob_current"]["nics"] == [{"physical": "vnice3_0001_0", "netif": "virtio-net-viona", "props": {}}]
    assert set(d) == expected
    assert d["system_status"] == "installed" and d["active_vnc_session"] is None and d["pending_tasks"] == []
    assert api.get(api.m("no-such-zone")).status_code == 404
    assert api.get(api.m("-bad-")).json() == {"error": "Invalid zone name"}


def test_list_filters(api):
    a = api.create("web01", "0001", tags=["web", "prod"])[api.nk]
    api.create("db01", "0002", tags=["db"])
    api.wait(api.post(api.m(a, "/start")).json()["task_id"])
    assert [z["name"] for z in api.get(f"/{api.noun}", params={"tag": "web"}).json()[api.noun]] == [a]
    running = api.get(f"/{api.noun}", params={"status": "running"}).json()
    assert running["total"] == 1 and running[api.noun][0]["name"] == a


def test_power_operations(api):
    name = api.create()[api.nk]
    r = api.post(api.m(name, "/start")).json()
    assert set(r) == {"success", "task_id", api.nk, "operation", "status", "message"}
    assert r["status"] == "pending" and r["operation"] == "start"
    api.wait(r["task_id"])
    assert api.machine(name)["status"] == "running"
    r = api.post(api.m(name, "/start")).json()
    assert r["status"] == "already_running" and "task_id" not in r
    r = api.post(api.m(name, "/restart")).json()
    assert set(r["restart_tasks"]) == {"stop_task_id", "start_task_id"} and "task_id" not in r
    assert r["operation"] == "restart" and r["status"] == "pending"
    assert api.wait(r["restart_tasks"]["start_task_id"])["status"] == "completed"
    r = api.post(api.m(name, "/stop"), params={"force": "true"}).json()
    assert r["status"] == "pending" and r["force"] is True and r["task_id"]
    api.wait(r["task_id"])
    r = api.post(api.m(name, "/stop")).json()
    assert r["status"] == "already_stopped" and "task_id" not in r


def test_start_dedupe_and_stop_cancels_pending_start(api):
    name = api.create(start_after_create=True)[api.nk]
    api.sim.knobs.hang_operations = {"stop"}
    r = api.post(api.m(name, "/restart")).json()
    stop_id, start_id = r["restart_tasks"]["stop_task_id"], r["restart_tasks"]["start_task_id"]
    api.wait(stop_id, statuses={"running"})
    assert api.machine(name)["status"] == "shutting_down"
    again = api.post(api.m(name, "/start")).json()
    assert again["task_id"] == start_id and again["message"] == "Start task already queued"
    s = api.post(api.m(name, "/stop")).json()
    assert s["task_id"] == stop_id and s["message"] == "Stop task already queued"
    assert api.task(start_id)["status"] == "cancelled"
    api.sim.knobs.hang_operations = set()
    api.wait(stop_id)
    assert api.machine(name)["status"] == "installed"


def test_failed_stop_leaves_zone_down(api):
    name = api.create(start_after_create=True)[api.nk]
    api.sim.knobs.fail_operations = {"stop": "zoneadm: zone shutdown timed out"}
    t = api.wait(api.post(api.m(name, "/stop")).json()["task_id"])
    assert t["status"] == "failed" and t["error_message"] == "zoneadm: zone shutdown timed out"
    assert api.machine(name)["status"] == "down"
    api.sim.knobs.fail_operations = {}
    api.wait(api.post(api.m(name, "/stop")).json()["task_id"])
    assert api.machine(name)["status"] == "installed"


def test_delete(api, gen):
    name = api.create(start_after_create=True)[api.nk]
    r = api.delete(api.m(name))
    assert r.status_code == 400
    assert r.json() == {"error": "Zone is running. Use force=true to stop and delete", "current_status": "running"}
    r = api.delete(api.m(name), params={"force": "false"})     # any non-empty string is true
    body = r.json()
    assert r.status_code == 200 and body["force"] is True and len(body["delete_tasks"]) == 2
    assert api.task(body["delete_tasks"][0])["operation"] == "stop"
    assert api.task(body["delete_tasks"][1])["depends_on"] == body["delete_tasks"][0]
    assert api.wait(body["delete_tasks"][1])["status"] == "completed"
    assert api.get(api.m(name)).status_code == 404
    ds = _state(api)["datasets"]
    assert f"rpool/zones/{name}/boot" in ds and f"rpool/zones/{name}/path" not in ds   # no cleanup asked
    # cleanup flag name differs per generation; only the literal "true" counts
    name2 = api.create("web02", "0002")[api.nk]
    wrong = "cleanup_datasets" if gen == "0.3.9" else "cleanup_disks"
    right = "cleanup_disks" if gen == "0.3.9" else "cleanup_datasets"
    body = api.delete(api.m(name2), params={wrong: "true"}).json()
    assert len(body["delete_tasks"]) == 1 and body["force"] is False
    api.wait(body["delete_tasks"][0])
    assert f"rpool/zones/{name2}/boot" in _state(api)["datasets"]
    name3 = api.create("web03", "0003")[api.nk]
    api.wait(api.delete(api.m(name3), params={right: "true"}).json()["delete_tasks"][0])
    assert not [d for d in _state(api)["datasets"] if name3 in d]


def test_modify_a_three_answers(api_a):
    api = api_a
    name = api.create()[api.nk]
    # 1. DB-only fields: completed at once, no task
    r = api.put(api.m(name), json={"notes": "hello", "tags": ["a"]}).json()
    assert r["status"] == "completed" and "task_id" not in r and r["operation"] == "zone_modify"
    assert api.machine(name)["notes"] == "hello"
    # 2. powered off: a zone_modify task
    r = api.put(api.m(name), json={"ram": "4G", "autoboot": True}).json()
    assert r["status"] == "pending" and r["requires_restart"] is True
    assert api.wait(r["task_id"])["operation"] == "zone_modify"
    cfg = api.get(api.m(name, "/config")).json()["configuration"]
    assert cfg["ram"] == "4G" and cfg["autoboot"] == "true"
    # 3. running: accrues, no task, applied at the next agent-driven power cycle
    api.wait(api.post(api.m(name, "/start")).json()["task_id"])
    r = api.put(api.m(name), json={"vcpus": "4"}).json()
    assert r["status"] == "pending_power_cycle" and "task_id" not in r
    r = api.put(api.m(name), json={"ram": "8G", "add_cdroms": [{"path": "/iso/a.iso"}]}).json()
    assert r["pending_changes"] == {"vcpus": "4", "ram": "8G", "add_cdroms": [{"path": "/iso/a.iso"}]}
    d = api.get(api.m(name)).json()
    assert d["pending_changes"]["vcpus"] == "4" and d["configuration"]["vcpus"] == "2"
    stop = api.post(api.m(name, "/stop")).json()["task_id"]
    api.wait(stop)
    mods = api.get("/tasks", params={"operation": "zone_modify", "machine_name": name}).json()["tasks"]
    api.wait(mods[0]["id"])
    assert api.task(mods[0]["id"])["depends_on"] == stop
    d = api.get(api.m(name)).json()
    assert d["pending_changes"] is None
    assert d["configuration"]["vcpus"] == "4" and d["configuration"]["ram"] == "8G"
    assert d["configuration"]["cdrom"] == "/iso/a.iso"


def test_pending_changes_routes(api_a):
    api = api_a
    name = api.create(start_after_create=True)[api.nk]
    assert api.post(api.m(name, "/pending-changes/apply")).status_code == 400   # nothing pending
    api.put(api.m(name), json={"ram": "4G"})
    r = api.post(api.m(name, "/pending-changes/apply"))
    assert r.status_code == 400 and r.json()["current_status"] == "running"
    assert api.delete(api.m(name, "/pending-changes")).status_code == 200
    assert api.get(api.m(name)).json()["pending_changes"] is None
    api.put(api.m(name), json={"ram": "4G"})
    api.sim.knobs.hang_operations = {"stop"}
    stop = api.post(api.m(name, "/stop")).json()["task_id"]
    api.wait(stop, statuses={"running"})
    # restart while the change is still pending: start is chained behind the apply
    api.sim.knobs.hang_operations = set()
    api.wait(stop)
    api.put(api.m(name), json={"vcpus": "3"})   # powered off now -> immediate task
    r = api.put(api.m(name), json={"ram": "6G"}).json()
    assert r["status"] == "pending"
    api.wait(r["task_id"])
    assert api.get(api.m(name, "/config")).json()["configuration"]["ram"] == "6G"


def test_start_applies_pending_first(api_a):
    api = api_a
    name = api.create(start_after_create=True)[api.nk]
    api.put(api.m(name), json={"ram": "3G"})
    api.sim.knobs.fail_operations = {}
    # stop with a pending change chains the apply behind the stop; a start
    # queued later must not run before the zone is configured
    api.wait(api.post(api.m(name, "/stop")).json()["task_id"])
    mods = api.get("/tasks", params={"operation": "zone_modify"}).json()["tasks"]
    api.wait(mods[0]["id"])
    assert api.get(api.m(name, "/config")).json()["configuration"]["ram"] == "3G"


def test_modify_z_always_queues(api_z):
    api = api_z
    name = api.create(start_after_create=True)[api.nk]
    r = api.put(api.m(name), json={"ram": "4G"}).json()
    assert r["status"] == "pending" and r["task_id"] and r["zone_name"] == name
    api.wait(r["task_id"])
    assert api.get(api.m(name, "/config")).json()["configuration"]["ram"] == "4G"
    assert api.machine(name)["status"] == "running"
    r = api.put(api.m(name), json={"tags": ["x"]}).json()
    assert r["status"] == "completed" and "task_id" not in r
    assert api.put(api.m(name), json={"uefivars": "on"}).status_code == 400   # A-only field


def test_modify_validation_and_devices(api, gen):
    name = api.create()[api.nk]
    for body in ({}, {"bogus": 1}):
        r = api.put(api.m(name), json=body)
        assert r.status_code == 400 and r.json() == {"error": "No modification fields specified"}
    assert api.put(api.m(name), json={"autoboot": "yes"}).status_code == 400
    assert api.put(api.m(name), json={"remove_nics": "vnic0"}).status_code == 400
    disk = {"type": "blank", "size": "10G"} if gen == "0.3.9" else {"create_new": True, "size": "10G"}
    r = api.put(api.m(name), json={"add_disks": [disk], "add_cdroms": [{"path": "/iso/x.iso"}],
                                   "add_nics": [{"global_nic": "igb1"}], "remove_nics": ["vnice3_0001_0"]})
    assert api.wait(r.json()["task_id"])["status"] == "completed"
    cfg = api.get(api.m(name, "/config")).json()["configuration"]
    root = f"rpool/zones/{name}"
    assert cfg["disk0"] == f"{root}/disk0" and {"match": f"/dev/zvol/rdsk/{root}/disk0"} in cfg["device"]
    assert cfg["cdrom"] == "/iso/x.iso"
    assert cfg["net"] == [{"physical": "vnice3_0001_0", "global-nic": "igb1"}]   # removed first, then added
    r = api.put(api.m(name), json={"remove_disks": ["disk0"], "remove_cdroms": ["cdrom0"]})
    api.wait(r.json()["task_id"])
    cfg = api.get(api.m(name, "/config")).json()["configuration"]
    assert "disk0" not in cfg and "cdrom" not in cfg
    t = api.wait(api.put(api.m(name), json={"remove_nics": ["nope0"]}).json()["task_id"])
    assert t["status"] == "failed" and "nope0" in t["error_message"]
    if gen == "0.3.9":
        r = api.put(api.m(name), json={"add_disks": [{"type": "blank"}]})
        assert r.status_code == 400 and r.json()["error"].startswith("add_disks[1]")


def test_notes_and_tags(api):
    name = api.create()[api.nk]
    assert api.get(api.m(name, "/notes")).json() == {api.nk: name, "notes": None}
    r = api.put(api.m(name, "/notes"), json={"notes": "db master"})
    assert r.json() == {"success": True, api.nk: name, "notes": "db master"}
    assert api.get(api.m(name, "/tags")).json() == {api.nk: name, "tags": []}
    r = api.put(api.m(name, "/tags"), json={"tags": ["a", "b"]})
    assert r.json() == {"success": True, api.nk: name, "tags": ["a", "b"]}
    assert api.put(api.m(name, "/tags"), json={"tags": "a"}).status_code == 400
    assert api.machine(name)["tags"] == ["a", "b"] and api.machine(name)["notes"] == "db master"
    assert api.get(api.m("missing", "/tags")).status_code == 404


def test_template_box_create(api, gen):
    box = {"box": "STARTcloud/debian13-server", "box_version": "2025.8.22"}
    body = api.create_body(disk=None)
    body["settings"].update(box)
    if gen == "0.2":
        body["disks"] = {"boot": {"source": {"type": "template"}}}
    r = api.post(f"/{api.noun}", json=body).json()
    assert r["requires_download"] is True and r["message"] == "Template download and zone creation queued"
    dl = api.task(r["sub_tasks"]["template_download"])
    assert dl[api.nk] == "system" and dl["operation"] == "template_download"
    assert api.task(r["sub_tasks"]["storage"])["depends_on"] == dl["id"]
    assert api.wait(r["parent_task_id"])["status"] == "completed"
    cfg = api.get(api.m(r[api.nk], "/config")).json()["configuration"]
    assert cfg["bootdisk"]["path"] == f"rpool/zones/{r[api.nk]}/boot"
    body2 = api.create_body("web02", "0002", disk=None)
    body2["settings"].update(box)
    if gen == "0.2":
        body2["disks"] = {"boot": {"source": {"type": "template"}}}
    r2 = api.post(f"/{api.noun}", json=body2).json()
    assert r2["requires_download"] is False and "template_download" not in r2["sub_tasks"]
    assert api.wait(r2["parent_task_id"])["status"] == "completed"
