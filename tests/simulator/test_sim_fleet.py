"""Fleet: N simulated agents seeded with M zones each, latency per request."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import requests

from sim_helpers import Simulator
from zoneweaver_sim.fleet import Fleet, admin_key, seed_zones, zone_plan


def get(sim, path):
    r = requests.get(sim.url + path, headers={"Authorization": "Bearer " + sim.admin_key}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_fleet_starts_agents_with_seeded_zones_quickly():
    started = time.monotonic()
    with Fleet(agents=4, zones=25, latency=0.0) as fleet:
        assert time.monotonic() - started < 5
        assert len(fleet.agents) == 4 and len(set(fleet.urls)) == 4
        names = set()
        for sim in fleet.agents:
            body = get(sim, "/machines")
            assert body["total"] == 25
            names.update(m["name"] for m in body["machines"])
            assert not sim.state.tasks   # seeded directly, no task chain ran
        assert len(names) == 100   # unique across the fleet, so inventory hostnames do not collide


def test_seeded_zones_look_like_created_ones():
    with Fleet(agents=1, zones=10, latency=0.0) as fleet:
        sim = fleet.agents[0]
        name = fleet.zone_names[sim.hostname][0]
        detail = get(sim, "/machines/" + name)
        info, config = detail["machine_info"], detail["configuration"]
        assert info["status"] == "running" and info["server_id"] == "0001" and detail["system_status"] == "running"
        assert config["brand"] == "bhyve" and config["bootdisk"]["path"].endswith("/boot")
        assert config["net"][0]["allowed-address"] == "10.1.0.3/24"
        assert config["settings"]["hostname"] == "omni01-z001"
        brands = {m["brand"] for m in get(sim, "/machines")["machines"]}
        assert brands == {"bhyve", "lx", "lipkg"}   # every fifth zone is native
        assert get(sim, "/machines?status=installed")["total"] == 1
        assert get(sim, "/machines?tag=db")["total"] == 5
        # the zones are real to the rest of the simulator: power operations work on them
        r = requests.post(sim.url + "/machines/%s/stop" % name, headers={"Authorization": "Bearer " + sim.admin_key},
                          json={}, timeout=10)
        assert r.status_code == 200 and r.json()["operation"] == "stop"


def test_zone_plan_is_deterministic():
    assert zone_plan(0, 5) == zone_plan(0, 5)
    assert zone_plan(0, 10)["status"] == "installed" and zone_plan(0, 11)["status"] == "running"
    assert zone_plan(2, 1)["address"].startswith("10.3.")


def test_latency_applies_to_every_agent_request():
    with Fleet(agents=2, zones=1, latency=0.1) as fleet:
        for sim in fleet.agents:
            started = time.monotonic()
            get(sim, "/machines")
            assert time.monotonic() - started >= 0.1
        fleet.set_latency(0.0)
        started = time.monotonic()
        get(fleet.agents[0], "/machines")
        assert time.monotonic() - started < 0.1
        assert fleet.request_count() == 3
        fleet.clear_logs()
        assert fleet.request_count() == 0


def test_generation_0_2_fleet_speaks_zones():
    with Fleet(agents=1, zones=3, latency=0.0, generation="0.2") as fleet:
        sim = fleet.agents[0]
        assert sim.admin_key.startswith("wh_")
        assert get(sim, "/zones")["total"] == 3


def test_describe_and_fleet_file(tmp_path):
    with Fleet(agents=2, zones=2, latency=0.0) as fleet:
        path = tmp_path / "fleet.json"
        fleet.write_file(str(path))
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        data = json.loads(path.read_text())
        assert [a["url"] for a in data["agents"]] == fleet.urls
        assert [a["api_key"] for a in data["agents"]] == fleet.keys
        assert data["agents"][0]["name"] == "omni01" and data["agents"][0]["zones"] == 2


def test_stop_releases_the_ports():
    fleet = Fleet(agents=2, zones=0, latency=0.0).start()
    urls = fleet.urls
    fleet.stop()
    for url in urls:
        try:
            requests.get(url + "/status", timeout=1)
        except requests.ConnectionError:
            continue
        raise AssertionError("%s still answers after stop()" % url)


def test_seed_zones_on_a_plain_simulator():
    key = admin_key("0.3.9")
    with Simulator(generation="0.3.9", admin_key=key, hostname="single") as sim:
        sim.admin_key = key
        names = seed_zones(sim, 3, agent_index=4, domain="lab.test")
        assert names[0] == "0001--single-z001.lab.test"
        assert get(sim, "/machines")["total"] == 3


SIM_ENV = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "simulator"))


def _serve(tmp_path, *args):
    proc = subprocess.Popen([sys.executable, "-m", "zoneweaver_sim", "serve"] + list(args), env=SIM_ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    path = tmp_path / "fleet.json"
    deadline = time.monotonic() + 30
    while not (path.exists() and path.stat().st_size) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc


def test_cli_serves_a_fleet_behind_a_hyperweaver_face(tmp_path):
    proc = _serve(tmp_path, "--fleet", "3x4", "--fleet-file", str(tmp_path / "fleet.json"),
                  "--hyperweaver-port", "0", "--latency", "0.01")
    try:
        data = json.loads((tmp_path / "fleet.json").read_text())
        assert [a["name"] for a in data["agents"]] == ["omni01", "omni02", "omni03"]
        first = data["agents"][0]
        r = requests.get(first["url"] + "/machines", headers={"Authorization": "Bearer " + first["api_key"]},
                         timeout=10)
        assert r.json()["total"] == 4
        hw = data["hyperweaver"]
        token = requests.post(hw["url"] + "/api/auth/login", timeout=10,
                              json={"identifier": hw["username"], "password": hw["password"]}).json()["token"]
        servers = requests.get(hw["url"] + "/api/servers", headers={"Authorization": "Bearer " + token},
                               timeout=10).json()["servers"]
        assert sorted(s["entity_name"] for s in servers) == ["omni01", "omni02", "omni03"]
        relayed = requests.get(hw["url"] + "/api/agents/2/machines", headers={"Authorization": "Bearer " + token},
                               timeout=10).json()
        assert relayed["total"] == 4 and relayed["machines"][0]["host"] == "omni02"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.count("listening on") == 4 and "hyperweaver listening on" in out


def test_cli_rejects_a_malformed_fleet_size():
    proc = subprocess.run([sys.executable, "-m", "zoneweaver_sim", "serve", "--fleet", "twenty"], env=SIM_ENV,
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 2 and "AGENTSxZONES" in proc.stderr
