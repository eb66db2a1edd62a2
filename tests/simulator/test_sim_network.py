"""Network surface (agent-api.md section 4), both generations: datalinks and
the lagging monitoring lists, IP addresses, forwarding, NAT, DHCP."""
from __future__ import annotations

import time

import pytest

from sim_helpers import Api, Simulator, bootstrap


@pytest.fixture(autouse=True)
def quick_tasks(request):
    """These modules queue many short tasks: poll and finish them faster than
    the 'fast' timing does (it only changes how soon tasks end)."""
    for fixture in ("sim", "sim_a", "sim_z"):
        if fixture in request.fixturenames:
            s = request.getfixturevalue(fixture)
            s.poll_interval = 0.01
            s.knobs.task_duration = 0.01


def done(api, resp, status="completed") -> dict:
    """A 202 TaskCreatedEnvelope whose task ends in `status`."""
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["success"] is True and body["status"] == "pending" and body["created_at"]
    t = api.wait(body["task_id"])
    assert t["status"] == status, t
    return t


def names(rows, key="link"):
    return sorted(r[key] for r in rows)


def vnics(api, **params):
    r = api.get("/network/vnics", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == ("live" if params.get("live") else "database") and body["returned"] == len(body["vnics"])
    return body["vnics"]


def test_links_are_seeded(api):
    r = api.get("/monitoring/network/interfaces")
    assert r.status_code == 200
    body = r.json()
    rows = {row["link"]: row for row in body["interfaces"]}
    assert {"igb0", "igb1", "ixgbe0"} <= set(rows)
    igb0 = rows["igb0"]
    assert (igb0["class"], igb0["state"], igb0["speed"], igb0["mtu"], igb0["zone"]) == ("phys", "up", 1000, 1500, "--")
    assert rows["ixgbe0"]["speed"] == 10000 and rows["igb1"]["class"] == "phys"
    assert body["totalCount"] == len(body["interfaces"]) and body["pagination"]["hasMore"] is False
    paged = api.get("/monitoring/network/interfaces", params={"limit": 1, "offset": 1}).json()
    assert len(paged["interfaces"]) == 1 and paged["pagination"] == {"limit": 1, "offset": 1, "hasMore": True}


def test_vnic_validation_and_existing_name_is_400(api):
    for name in ("vnic", "0vnic1", "vnic-1", "v" * 31 + "1", "vnic01x"):
        r = api.post("/network/vnics", json={"name": name, "link": "igb0"})
        assert r.status_code == 400 and "Invalid VNIC name" in r.json()["error"], (name, r.text)
    bad = [({"name": "vnic0"}, "required"), ({"name": "vnic0", "link": "nope0"}, "Link nope0 not found"),
           ({"name": "vnic0", "link": "igb0", "vlan_id": 4095}, "vlan_id"),
           ({"name": "vnic0", "link": "igb0", "vlan_id": 0}, "vlan_id"),
           ({"name": "vnic0", "link": "igb0", "mac_address": "zz:1"}, "mac_address"),
           ({"name": "vnic0", "link": "igb0", "properties": {"bogus": "1"}}, "Invalid property")]
    for body, text in bad:
        r = api.post("/network/vnics", json=body)
        assert r.status_code == 400 and text in r.json()["error"], (body, r.text)
    r = api.post("/network/vnics", json={"name": "vnic0", "link": "igb0", "vlan_id": 11,
                                         "mac_address": "02:08:20:0a:0b:0c", "properties": {"maxbw": "100M"}})
    body = r.json()
    assert body["vnic_name"] == "vnic0" and body["underlying_link"] == "igb0"
    t = done(api, r)
    out = [e["data"] for e in api.get(f"/tasks/{t['id']}/output").json()["output"]]
    assert "dladm create-vnic -l igb0 -m 2:8:20:a:b:c -v 11 -p maxbw=100M vnic0" in out
    row = api.get("/network/vnics/vnic0").json()
    # illumos prints MACs without leading zeros
    assert (row["macaddress"], row["macaddrtype"], row["vid"], row["over"], row["class"]) == \
        ("2:8:20:a:b:c", "fixed", 11, "igb0", "vnic")
    again = api.post("/network/vnics", json={"name": "vnic0", "link": "ixgbe0"})
    assert again.status_code == 400 and again.json()["error"] == "VNIC vnic0 already exists"
    assert api.get("/network/vnics/nope0").json() == {"error": "VNIC nope0 not found"}
    assert api.delete("/network/vnics/nope0").status_code == 404
    rnd = api.post("/network/vnics", json={"name": "vnic1", "link": "ixgbe0", "mac_address": "random"})
    done(api, rnd)
    mac = api.get("/network/vnics/vnic1").json()["macaddress"]
    assert mac.startswith("2:8:20:") and all(len(o) <= 2 and not (len(o) == 2 and o[0] == "0") for o in mac.split(":"))
    assert names(vnics(api, over="ixgbe0")) == ["vnic1"]
    assert names(vnics(api, limit=1)) == ["vnic0"]


def test_list_lag(api):
    api.sim.knobs.list_lag = 0.4
    r = api.post("/network/vnics", json={"name": "vnic7", "link": "igb0"})
    done(api, r)
    assert "vnic7" not in names(vnics(api))                 # the task is done, the list has not caught up
    assert api.get("/network/vnics/vnic7").status_code == 404
    assert "vnic7" in names(vnics(api, live="true"))        # dladm itself knows it
    assert api.post("/network/vnics", json={"name": "vnic7", "link": "igb0"}).status_code == 400   # checked live
    deadline = time.monotonic() + 5
    while "vnic7" not in names(vnics(api)):
        assert time.monotonic() < deadline, "vnic7 never appeared"
        time.sleep(0.05)
    row = api.get("/network/vnics/vnic7").json()
    assert row["scan_timestamp"] and isinstance(row["id"], int)
    done(api, api.delete("/network/vnics/vnic7"))
    assert "vnic7" in names(vnics(api))                     # deleted, still listed until the next refresh
    assert api.delete("/network/vnics/vnic7").status_code == 404
    time.sleep(0.45)
    assert "vnic7" not in names(vnics(api))
    # etherstubs and VLANs lag the same way; list_lag 0 is immediately consistent
    done(api, api.post("/network/etherstubs", json={"name": "stub7"}))
    body = api.get("/network/etherstubs").json()
    assert body["etherstubs"] == [] and body["returned" if api.is_a else "total"] == 0
    api.sim.knobs.list_lag = 0
    done(api, api.post("/network/vlans", json={"vid": 7, "link": "igb0", "name": "vlan7"}))
    assert names(api.get("/network/vlans").json()["vlans"]) == ["vlan7"]
    time.sleep(0.45)
    assert names(api.get("/network/etherstubs").json()["etherstubs"]) == ["stub7"]


def test_etherstub_delete_refused_while_vnics_sit_on_it(api):
    r = api.post("/network/etherstubs", json={"name": "stub0"})
    assert r.json()["etherstub_name"] == "stub0" and r.json()["temporary"] is False
    done(api, r)
    assert api.post("/network/etherstubs", json={"name": "stub0"}).json()["error"] == "Etherstub stub0 already exists"
    assert api.post("/network/etherstubs", json={"name": "stub"}).status_code == 400
    done(api, api.post("/network/vnics", json={"name": "h_vnic0", "link": "stub0"}))
    done(api, api.post("/network/vnics", json={"name": "h_vnic1", "link": "stub0"}))
    row = api.get("/network/etherstubs/stub0").json()
    assert row["class"] == "etherstub" and row["mtu"] == 9000
    r = api.delete("/network/etherstubs/stub0")
    assert r.status_code == 400
    assert r.json() == {"error": "VNICs still exist on the etherstub (delete them first or pass force=true)",
                        "details": "stub0 carries: h_vnic0, h_vnic1"}
    t = done(api, api.delete("/network/etherstubs/stub0", params={"force": "true"}))
    out = [e["data"] for e in api.get(f"/tasks/{t['id']}/output").json()["output"]]
    assert "dladm delete-vnic h_vnic0" in out and "dladm delete-etherstub stub0" in out
    assert vnics(api) == [] and api.get("/network/etherstubs").json()["etherstubs"] == []
    assert api.get("/network/etherstubs/stub0").json() == {"error": "Etherstub stub0 not found"}
    assert api.delete("/network/etherstubs/stub0").status_code == 404


def test_vlans(api):
    for body in ({"vid": 0, "link": "igb0"}, {"vid": 4095, "link": "igb0"}, {"vid": 5, "link": "nope0"},
                 {"link": "igb0"}, {"vid": 5, "link": "igb0", "name": "vlan-5"}):
        assert api.post("/network/vlans", json=body).status_code == 400, body
    done(api, api.post("/network/etherstubs", json={"name": "stub0"}))
    assert "can only be created over" in api.post("/network/vlans", json={"vid": 5, "link": "stub0"}).json()["error"]
    r = api.post("/network/vlans", json={"vid": 20, "link": "igb0"})
    assert r.json()["vlan_name"] == "igb20000" and r.json()["vid"] == 20 and r.json()["over"] == "igb0"   # dladm's name
    done(api, r)
    t = done(api, api.post("/network/vlans", json={"vid": 20, "link": "igb0", "name": "vlan20"}), "failed")
    assert "already exists" in t["error_message"]
    row = api.get("/network/vlans/igb20000").json()
    assert (row["class"], row["vid"], row["over"]) == ("vlan", 20, "igb0")
    body = api.get("/network/vlans", params={"vid": 20}).json()
    assert body["total"] == 1 and body["source"] == "database"
    assert api.get("/network/vlans", params={"live": "true"}).json()["source"] == "live"
    done(api, api.delete("/network/vlans/igb20000"))
    assert api.delete("/network/vlans/igb20000").json() == {"error": "VLAN igb20000 not found"}


def test_vnic_properties(api):
    done(api, api.post("/network/vnics", json={"name": "vnic0", "link": "igb0"}))
    props = {p["property"]: p for p in api.get("/network/vnics/vnic0/properties").json()["properties"]}
    if api.is_a:
        assert props["priority"] == {"property": "priority", "value": "high", "default": "high",
                                     "possible": ["low", "medium", "high"]}
        assert props["maxbw"]["value"] is None
    else:   # 0.2: dladm's own strings
        assert props["priority"] == {"property": "priority", "value": "high", "default": "high",
                                     "possible": "low,medium,high"}
        assert props["maxbw"] == {"property": "maxbw", "value": "--", "default": "--", "possible": "--"}
    assert props["mtu"]["value"] == "1500"
    assert api.put("/network/vnics/vnic0/properties", json={"properties": {"priority": "bogus"}}).status_code == 400
    assert api.put("/network/vnics/vnic0/properties", json={"properties": {}}).status_code == 400
    assert api.put("/network/vnics/nope0/properties", json={"properties": {"priority": "low"}}).status_code == 404
    t = done(api, api.put("/network/vnics/vnic0/properties", json={"properties": {"mtu": 9000}}), "failed")
    assert "value out of range" in t["error_message"]       # above igb0's MTU
    done(api, api.put("/network/vnics/vnic0/properties",
                      json={"properties": {"maxbw": "100M", "priority": "low", "allowed-ips": "10.0.0.5"}}))
    got = api.get("/network/vnics/vnic0/properties", params={"property": "maxbw,priority,allowed-ips"}).json()
    assert {p["property"]: p["value"] for p in got["properties"]} == \
        {"maxbw": "100M", "priority": "low", "allowed-ips": "10.0.0.5"}
    stats = api.get("/network/vnics/vnic0/stats").json()
    assert stats["vnic"] == "vnic0" and stats["statistics"]["oerrors"] == 0


def test_zone_nics_show_up_as_vnics_while_it_runs(api):
    name = api.create()[api.nk]
    assert vnics(api, zone=name) == []
    api.wait(api.post(api.m(name, "/start")).json()["task_id"])
    rows = vnics(api, zone=name)
    assert names(rows) == ["vnice3_0001_0"] and rows[0]["over"] == "igb0" and rows[0]["zone"] == name
    t = done(api, api.delete("/network/vnics/vnice3_0001_0"), "failed")
    assert "link busy" in t["error_message"]
    api.wait(api.post(api.m(name, "/stop")).json()["task_id"])
    assert vnics(api, zone=name) == [] and vnics(api) == []


def test_ip_addresses(api):
    done(api, api.post("/network/vnics", json={"name": "vnic0", "link": "igb0"}))
    seeded = api.get("/network/addresses").json()
    assert {"lo0/v4", "igb0/v4", "lo0/v6"} <= set(names(seeded["addresses"], "addrobj"))
    bad = [({"interface": "nope0", "type": "static", "addrobj": "nope0/v4", "address": "10.0.0.1/24"}, "not found"),
           ({"interface": "vnic0", "type": "static", "addrobj": "igb0/v4", "address": "10.0.0.1/24"}, "addrobj"),
           ({"interface": "vnic0", "type": "static", "addrobj": "vnic0/v4"}, "address is required"),
           ({"interface": "vnic0", "type": "bogus", "addrobj": "vnic0/v4"}, "type"),
           ({"interface": "igb0", "type": "static", "addrobj": "igb0/v4", "address": "10.0.0.1/24"}, "already exists"),
           ({"type": "dhcp"}, "Missing required fields: interface, addrobj")]
    for body, text in bad:
        r = api.post("/network/addresses", json=body)
        assert r.status_code == 400 and text in r.json()["error"], (body, r.text)
    r = api.post("/network/addresses", json={"interface": "vnic0", "type": "static", "addrobj": "vnic0/v4",
                                             "address": "10.10.0.5/24"})
    assert {k: r.json()[k] for k in ("addrobj", "type", "interface")} == \
        {"addrobj": "vnic0/v4", "type": "static", "interface": "vnic0"}
    t = done(api, r)
    out = [e["data"] for e in api.get(f"/tasks/{t['id']}/output").json()["output"]]
    assert out[1:3] == ["ipadm create-if vnic0", "ipadm create-addr -T static -a local=10.10.0.5/24 vnic0/v4"]
    done(api, api.post("/network/addresses", json={"interface": "vnic0", "type": "dhcp", "addrobj": "vnic0/dhcp"}))
    rows = {a["addrobj"]: a for a in api.get("/network/addresses", params={"interface": "vnic0"}).json()["addresses"]}
    assert set(rows) == {"vnic0/v4", "vnic0/dhcp"}
    assert (rows["vnic0/v4"]["ip_address"], rows["vnic0/v4"]["prefix_length"], rows["vnic0/v4"]["state"]) == \
        ("10.10.0.5", 24, "ok")
    assert rows["vnic0/dhcp"]["type"] == "dhcp" and rows["vnic0/dhcp"]["ip_version"] == "v4"
    # the address object goes %2F-encoded in one segment, or with its slash as is
    done(api, api.put("/network/addresses/vnic0%2Fv4/disable"))
    assert api.get("/network/addresses", params={"state": "disabled"}).json()["addresses"][0]["addrobj"] == "vnic0/v4"
    done(api, api.put("/network/addresses/vnic0/v4/enable"))
    done(api, api.put("/network/addresses/vnic0%2Fnope/disable"), "failed")    # no 404 documented: the task fails
    assert api.put("/network/addresses/vnic0%2Fnope/enable").status_code == 404
    assert "link busy" in done(api, api.delete("/network/vnics/vnic0"), "failed")["error_message"]
    done(api, api.delete("/network/addresses/vnic0%2Fv4"))
    done(api, api.delete("/network/addresses/vnic0/dhcp", params={"release": "true"}))
    assert api.delete("/network/addresses/vnic0/v4").status_code == 404
    assert "vnic0/v4" not in names(api.get("/network/addresses").json()["addresses"], "addrobj")


def test_forwarding(api):
    body = api.get("/network/forwarding").json()
    assert body["forwarding"]["ipv4"] == {"current": "disabled", "persistent": "default"}
    assert "ipv4-forwarding persistent=default default=disabled current=disabled" in body["raw"]
    assert api.put("/network/forwarding", json={}).status_code == 400
    assert api.put("/network/forwarding", json={"enabled": "yes"}).status_code == 400
    t = done(api, api.put("/network/forwarding", json={"enabled": True, "interfaces": ["igb0"]}))
    out = [e["data"] for e in api.get(f"/tasks/{t['id']}/output").json()["output"]]
    assert "routeadm -u -e ipv4-forwarding" in out and "ipadm set-ifprop -p forwarding=on -m ipv4 igb0" in out
    body = api.get("/network/forwarding").json()
    assert body["forwarding"]["ipv4"] == {"current": "enabled", "persistent": "enabled"}
    assert {"interface": "igb0", "current": "on", "persistent": "on"} in body["interfaces"]
    assert "Interface does not exist" in done(api, api.put("/network/forwarding", json={"interfaces": ["nope0"]}),
                                              "failed")["error_message"]


def test_nat_rules(api):
    body = api.get("/network/nat/rules").json()
    assert body == {"active_rules": None, "configured_rules": [], "config_file": "/etc/ipf/ipnat.conf"}
    assert api.get("/network/nat/status").json()["state"] == "disabled"
    r = api.post("/network/nat/rules", json={"subnet": "10.190.190.0/24"})
    assert r.status_code == 400 and "bridge" in r.json()["error"]
    assert api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "x", "type": "portmap"}).status_code == 400
    assert api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "10.0.0.0/8", "type": "nat"}).status_code == 400
    r = api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "10.190.190.0/24"})
    assert (r.json()["bridge"], r.json()["subnet"]) == ("igb0", "10.190.190.0/24")
    done(api, r)
    done(api, api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "10.190.190.0/24"}))   # idempotent
    done(api, api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "0/0", "type": "rdr",
                                                   "target": "10.190.190.10", "match_port": 2222, "target_port": 22,
                                                   "protocol": "tcp"}))
    body = api.get("/network/nat/rules").json()
    raws = [rule["raw_rule"] for rule in body["configured_rules"]]
    assert raws == ["map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto",
                    "rdr igb0 0/0 port 2222 -> 10.190.190.10 port 22 tcp"]
    rule = body["configured_rules"][0]
    assert (rule["type"], rule["target"], rule["protocol"], rule["created_by"]) == ("portmap", "0/32", "tcp/udp", "test-admin")
    assert body["active_rules"] == ("List of active MAP/Redirect filters:\n"
                                    "map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto\n"
                                    "rdr igb0 0.0.0.0/0 port 2222 -> 10.190.190.10 port 22 tcp\n"
                                    "\nList of active sessions:\n")
    status = api.get("/network/nat/status").json()
    assert status["service"] == "network/ipfilter" and status["state"] == "online"
    assert api.delete("/network/nat/rules/not-a-uuid").status_code == 400
    unknown = "00000000-0000-4000-8000-000000000000"
    t = done(api, api.delete(f"/network/nat/rules/{unknown}"), "failed")   # 202, but the TASK fails
    assert t["error_message"] == f"NAT rule {unknown} not found"
    done(api, api.delete(f"/network/nat/rules/{rule['id']}"))
    assert len(api.get("/network/nat/rules").json()["configured_rules"]) == 1


def test_dhcp(api):
    assert api.get("/network/dhcp/config").json() == {"config_file": "/etc/dhcpd.conf", "subnets": [], "hosts": []}
    assert api.get("/network/dhcp/status").json()["state"] == "disabled"
    t = done(api, api.put("/network/dhcp/status", json={"action": "start"}))
    assert api.get("/network/dhcp/status").json()["state"] == "maintenance"     # no subnet declared yet
    assert t["status"] == "completed"
    r = api.put("/network/dhcp/config", json={"subnet": "10.190.190.0", "netmask": "255.255.255.0"})
    assert r.status_code == 400 and r.json()["error"] == "Missing required fields: router, range_start, range_end"
    cfg = {"subnet": "10.190.190.0", "netmask": "255.255.255.0", "router": "10.190.190.1",
           "range_start": "10.190.190.10", "range_end": "10.190.190.254", "dns": "8.8.8.8, 8.8.4.4",
           "listen_interface": "provisioning0"}
    assert api.put("/network/dhcp/config", json={**cfg, "range_end": "10.9.9.9"}).status_code == 400
    r = api.put("/network/dhcp/config", json=cfg)
    assert (r.json()["subnet"], r.json()["netmask"]) == ("10.190.190.0", "255.255.255.0")
    done(api, r)
    subnet = api.get("/network/dhcp/config").json()["subnets"][0]
    assert subnet == {"subnet": "10.190.190.0", "netmask": "255.255.255.0",
                      "options": {"routers": "10.190.190.1", "dns": "8.8.8.8, 8.8.4.4"},
                      "range_start": "10.190.190.10", "range_end": "10.190.190.254"}
    done(api, api.put("/network/dhcp/status", json={"action": "restart"}))
    status = api.get("/network/dhcp/status").json()
    assert status == {"service": "network/service/dhcp:ipv4", "state": "online", "since": status["since"],
                      "listen_interface": "provisioning0"}
    assert api.put("/network/dhcp/status", json={"action": "reload"}).status_code == 400
    assert api.post("/network/dhcp/hosts", json={"hostname": "web01", "mac": "2:8:20:a:b:c"}).status_code == 400
    done(api, api.post("/network/dhcp/hosts", json={"hostname": "web01", "mac": "2:8:20:a:b:c", "ip": "10.190.190.20"}))
    # hostname, mac and ip are each unique: the task refuses and names the entry it collides with
    for body, shared in (({"hostname": "web01", "mac": "2:8:20:a:b:d", "ip": "10.190.190.21"}, "hostname web01"),
                         ({"hostname": "web02", "mac": "02:08:20:0A:0B:0C", "ip": "10.190.190.21"},
                          "mac 02:08:20:0a:0b:0c"),
                         ({"hostname": "web02", "mac": "2:8:20:a:b:d", "ip": "10.190.190.20"}, "ip 10.190.190.20")):
        t = done(api, api.post("/network/dhcp/hosts", json=body), "failed")
        assert f"conflicts with existing entry host 'web01' ({shared})" in t["error_message"], t["error_message"]
    hosts = api.get("/network/dhcp/hosts").json()
    assert hosts["total"] == 1
    assert {k: hosts["hosts"][0][k] for k in ("hostname", "mac", "ip")} == \
        {"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20"}
    assert api.get("/network/dhcp/config").json()["hosts"] == \
        [{"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20"}]
    assert done(api, api.delete("/network/dhcp/hosts/web99"), "failed")["error_message"] == "DHCP host web99 not found"
    done(api, api.delete("/network/dhcp/hosts/web01"))
    assert api.get("/network/dhcp/hosts").json() == {"hosts": [], "total": 0}
    done(api, api.put("/network/dhcp/status", json={"action": "stop"}))
    assert api.get("/network/dhcp/status").json()["state"] == "disabled"


def test_category_locks_serialise_network_tasks(api):
    api.sim.knobs.hang_operations = {"create_vnic"}
    first = api.post("/network/vnics", json={"name": "vnic0", "link": "igb0"}).json()["task_id"]
    api.wait(first, statuses={"running"})
    stub = api.post("/network/etherstubs", json={"name": "stub0"}).json()["task_id"]       # network_datalink: waits
    nat = api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "10.0.0.0/24"}).json()["task_id"]
    assert api.wait(nat)["status"] == "completed"        # network_nat runs beside it
    assert api.task(stub)["status"] == "pending" and api.task(first)["status"] == "running"
    t = api.task(stub)
    assert (t[api.nk], t["operation"]) == ("system", "create_etherstub")
    api.sim.knobs.hang_operations = set()
    assert api.wait(first)["status"] == "completed" and api.wait(stub)["status"] == "completed"


def test_network_survives_a_restart(tmp_path):
    with Simulator(generation="0.3.9", state_dir=str(tmp_path)) as sim:
        api = Api(sim)
        api.key = bootstrap(api)
        done(api, api.post("/network/vnics", json={"name": "vnic0", "link": "igb0"}))
        done(api, api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "10.0.0.0/24"}))
        key = api.key
    with Simulator(generation="0.3.9", state_dir=str(tmp_path)) as sim:
        api = Api(sim, key)
        assert names(vnics(api)) == ["vnic0"]
        assert len(api.get("/network/nat/rules").json()["configured_rules"]) == 1


def test_posts_without_body_fail_like_express(api):
    for path in ("/network/vnics", "/network/etherstubs", "/network/vlans", "/network/dhcp/hosts",
                 "/network/nat/rules", "/network/addresses"):
        r = api.post(path, json=None)
        assert r.status_code == 500 and "Cannot destructure" in r.json()["details"], path
