"""Network surface (agent-api.md section 4), both generations: datalinks and
the lagging monitoring lists, IP addresses, forwarding, NAT, DHCP."""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest

from sim_helpers import Api, Simulator, bootstrap
from zoneweaver_sim.natdhcp import svcs_stime


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


def output(api, t) -> list[str]:
    return [e["data"] for e in api.get(f"/tasks/{t['id']}/output").json()["output"]]


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
    # The agent's VnicModificationController.createVNIC checks only: name and link given, the
    # name's pattern, a slot for mac_address=factory, a XX:XX:XX prefix for random, vlan_id in
    # 1-4094 (a JS comparison: null counts as 0) and `dladm show-vnic NAME`.
    for name in ("vnic", "0vnic1", "vnic-1", "vnic01x", "vnic0\n"):
        r = api.post("/network/vnics", json={"name": name, "link": "igb0"})
        assert r.status_code == 400, (name, r.text)
        assert r.json() == {"error": "VNIC name must start with letter, contain alphanumeric/underscore, "
                                     "and end with number"}, (name, r.text)
    bad = [({"name": "vnic0"}, "name and link are required"),
           ({"name": "vnic0", "link": "igb0", "vlan_id": 4095}, "vlan_id must be between 1 and 4094"),
           ({"name": "vnic0", "link": "igb0", "vlan_id": 0}, "vlan_id must be between 1 and 4094"),
           ({"name": "vnic0", "link": "igb0", "vlan_id": None}, "vlan_id must be between 1 and 4094"),
           ({"name": "vnic0", "link": "igb0", "mac_address": "factory"}, "slot is required when mac_address is factory"),
           ({"name": "vnic0", "link": "igb0", "mac_address": "random", "mac_prefix": "2:8:20"},
            "mac_prefix must be in format XX:XX:XX when specified")]
    for body, text in bad:
        r = api.post("/network/vnics", json=body)
        assert r.status_code == 400 and r.json() == {"error": text}, (body, r.text)
    # The link, the MAC and the properties are dladm's business: accepted, and the task fails.
    for body, text in (({"name": "vnic0", "link": "nope0"}, "dladm: invalid link name 'nope0'"),
                       ({"name": "vnic0", "link": "igb0", "mac_address": "zz:1"}, "dladm: invalid MAC address 'zz:1'"),
                       ({"name": "vnic0", "link": "igb0", "properties": {"bogus": "1"}}, "object not found"),
                       ({"name": "vnic0", "link": "igb0", "properties": {"priority": "urgent"}}, "invalid value"),
                       ({"name": "v" * 31 + "1", "link": "igb0"}, "link name too long")):
        t = done(api, api.post("/network/vnics", json=body), "failed")
        assert t["error_message"].startswith(f"Failed to create VNIC {body['name']}: ") and text in t["error_message"], t
    r = api.post("/network/vnics", json={"name": "vnic0", "link": "igb0", "vlan_id": 11,
                                         "mac_address": "02:08:20:0a:0b:0c", "properties": {"maxbw": "100M"}})
    body = r.json()
    assert body["vnic_name"] == "vnic0" and body["underlying_link"] == "igb0"
    assert body["message"] == "VNIC creation task created for vnic0"
    t = done(api, r)
    # executeCreateVNICTask passes the MAC as given; dladm prints it without leading zeros
    assert "dladm create-vnic -l igb0 -m 02:08:20:0a:0b:0c -v 11 -p maxbw=100M vnic0" in output(api, t)
    row = api.get("/network/vnics/vnic0").json()
    assert (row["macaddress"], row["macaddrtype"], row["vid"], row["over"], row["class"]) == \
        ("2:8:20:a:b:c", "fixed", 11, "igb0", "vnic")
    again = api.post("/network/vnics", json={"name": "vnic0", "link": "ixgbe0"})
    assert again.status_code == 400 and again.json()["error"] == "VNIC vnic0 already exists"
    assert api.get("/network/vnics/nope0").json() == {"error": "VNIC nope0 not found"}
    r = api.delete("/network/vnics/nope0")
    assert r.status_code == 404 and r.json()["error"] == "VNIC nope0 not found" and "details" in r.json()
    rnd = api.post("/network/vnics", json={"name": "vnic1", "link": "ixgbe0", "mac_address": "random"})
    done(api, rnd)
    mac = api.get("/network/vnics/vnic1").json()["macaddress"]
    assert mac.startswith("2:8:20:") and all(len(o) <= 2 and not (len(o) == 2 and o[0] == "0") for o in mac.split(":"))
    assert names(vnics(api, over="ixgbe0")) == ["vnic1"]
    assert names(vnics(api, limit=1)) == ["vnic0"]
    assert "dladm create-vnic -l igb0 -m auto vnic2" in output(api, done(api, api.post(
        "/network/vnics", json={"name": "vnic2", "link": "igb0"})))


def test_a_name_held_by_another_link_class_fails_in_the_task(api):
    # The controllers ask dladm about their own class only (`dladm show-vnic|show-etherstub|
    # show-vlan NAME`, VnicModificationController / EtherstubController / VlanController): a
    # name taken by another kind of link is accepted, and dladm refuses it in the task.
    done(api, api.post("/network/etherstubs", json={"name": "stub1"}))
    done(api, api.post("/network/vnics", json={"name": "vnic1", "link": "igb0"}))
    t = done(api, api.post("/network/vnics", json={"name": "stub1", "link": "igb0"}), "failed")
    assert t["error_message"] == "Failed to create VNIC stub1: dladm: vnic creation over igb0 failed: object already exists"
    t = done(api, api.post("/network/etherstubs", json={"name": "vnic1"}), "failed")
    assert t["error_message"] == "Failed to create etherstub vnic1: dladm: etherstub creation failed: object already exists"
    t = done(api, api.post("/network/vlans", json={"vid": 5, "link": "igb0", "name": "stub1"}), "failed")
    assert t["error_message"].startswith("Failed to create VLAN stub1: ") and "object already exists" in t["error_message"]
    assert api.post("/network/etherstubs", json={"name": "stub1"}).json() == {"error": "Etherstub stub1 already exists"}


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
    # executeDeleteVNICTask destroys the VNIC's NetworkInterfaces rows itself once dladm
    # succeeded: a deleted VNIC leaves the list at once (no collector lag)
    done(api, api.delete("/network/vnics/vnic7"))
    assert "vnic7" not in names(vnics(api))
    assert api.delete("/network/vnics/vnic7").status_code == 404
    # a VNIC created and deleted before the collector saw it never shows up
    done(api, api.post("/network/vnics", json={"name": "vnic8", "link": "igb0"}))
    done(api, api.delete("/network/vnics/vnic8"))
    # etherstubs and VLANs lag the same way; list_lag 0 is immediately consistent
    done(api, api.post("/network/etherstubs", json={"name": "stub7"}))
    body = api.get("/network/etherstubs").json()
    assert body["etherstubs"] == [] and body["returned" if api.is_a else "total"] == 0
    api.sim.knobs.list_lag = 0
    done(api, api.post("/network/vlans", json={"vid": 7, "link": "igb0", "name": "vlan7"}))
    assert names(api.get("/network/vlans").json()["vlans"]) == ["vlan7"]
    time.sleep(0.45)
    assert names(api.get("/network/etherstubs").json()["etherstubs"]) == ["stub7"]
    assert "vnic8" not in names(vnics(api))


def test_etherstub_delete_refused_while_vnics_sit_on_it(api):
    r = api.post("/network/etherstubs", json={"name": "stub0"})
    assert r.json()["etherstub_name"] == "stub0" and r.json()["temporary"] is False
    done(api, r)
    assert api.post("/network/etherstubs", json={"name": "stub0"}).json()["error"] == "Etherstub stub0 already exists"
    # EtherstubController.createEtherstub's pattern needs no trailing digit; dladm does
    assert api.post("/network/etherstubs", json={"name": "0stub"}).json() == \
        {"error": "Etherstub name must start with letter and contain only alphanumeric characters and underscores"}
    t = done(api, api.post("/network/etherstubs", json={"name": "stub"}), "failed")
    assert t["error_message"] == "Failed to create etherstub stub: dladm: invalid link name 'stub'"
    done(api, api.post("/network/vnics", json={"name": "h_vnic0", "link": "stub0"}))
    done(api, api.post("/network/vnics", json={"name": "h_vnic1", "link": "stub0"}))
    row = api.get("/network/etherstubs/stub0").json()
    assert row["class"] == "etherstub" and row["mtu"] == 9000
    r = api.delete("/network/etherstubs/stub0")
    assert r.status_code == 400
    # EtherstubController.deleteEtherstub: the VNICs from `dladm show-vnic -l stub0 -p -o link`
    assert r.json() == {"error": "Cannot delete etherstub stub0. VNICs still exist on it: h_vnic0, h_vnic1",
                        "vnics": ["h_vnic0", "h_vnic1"], "suggestion": "Delete VNICs first or use force=true"}
    t = done(api, api.delete("/network/etherstubs/stub0", params={"force": "true"}))
    out = output(api, t)
    assert "dladm delete-vnic h_vnic0" in out and "dladm delete-etherstub stub0" in out
    assert vnics(api) == [] and api.get("/network/etherstubs").json()["etherstubs"] == []
    assert api.get("/network/etherstubs/stub0").json() == {"error": "Etherstub stub0 not found"}
    r = api.delete("/network/etherstubs/stub0")
    assert r.status_code == 404 and r.json()["error"] == "Etherstub stub0 not found" and r.json()["details"]


def test_vlans(api):
    # VlanController.createVlan: vid and link given, vid in 1-4094, `dladm show-link LINK`
    # (any class), then `dladm show-vlan NAME`
    for body, text in (({"vid": 0, "link": "igb0"}, "vid and link are required"),
                       ({"link": "igb0"}, "vid and link are required"),
                       ({"vid": 4095, "link": "igb0"}, "VLAN ID must be between 1 and 4094"),
                       ({"vid": "0", "link": "igb0"}, "VLAN ID must be between 1 and 4094"),
                       ({"vid": 5, "link": "nope0"}, "Underlying link nope0 not found or not available")):
        r = api.post("/network/vlans", json=body)
        assert r.status_code == 400 and r.json() == {"error": text}, (body, r.text)
    t = done(api, api.post("/network/vlans", json={"vid": 5, "link": "igb0", "name": "vlan-5"}), "failed")
    assert t["error_message"] == "Failed to create VLAN vlan-5: dladm: invalid link name 'vlan-5'"
    done(api, api.post("/network/etherstubs", json={"name": "stub0"}))
    r = api.post("/network/vlans", json={"vid": 5, "link": "stub0"})       # any class passes show-link
    assert r.json()["vlan_name"] == "stub5000"
    assert "failed" in done(api, r, "failed")["error_message"]
    r = api.post("/network/vlans", json={"vid": 20, "link": "igb0"})
    body = r.json()
    assert (body["vlan_name"], body["vid"], body["over"], body["temporary"]) == ("igb20000", 20, "igb0", False)
    assert body["message"] == "VLAN creation task created for igb20000 (VID 20) over igb0"
    done(api, r)
    t = done(api, api.post("/network/vlans", json={"vid": 20, "link": "igb0", "name": "vlan20"}), "failed")
    assert "already exists" in t["error_message"]
    row = api.get("/network/vlans/igb20000").json()
    assert (row["class"], row["vid"], row["over"]) == ("vlan", 20, "igb0")
    body = api.get("/network/vlans", params={"vid": 20}).json()
    assert body["total"] == 1 and body["source"] == "database"
    assert api.get("/network/vlans", params={"live": "true"}).json()["source"] == "live"
    done(api, api.delete("/network/vlans/igb20000"))
    assert "igb20000" not in names(api.get("/network/vlans").json()["vlans"])    # the task destroys its rows
    r = api.delete("/network/vlans/igb20000")
    assert r.status_code == 404 and r.json()["error"] == "VLAN igb20000 not found" and r.json()["details"]


def test_derived_vlan_names_follow_the_agent(api):
    # VlanController.createVlan derives <base><1000*vid+ppa> only for links matching
    # ^[a-zA-Z]+\d+$; any other link name (e1000g0, provisioning_0) gives vlan<vid>
    api.sim.state.links["e1000g0"] = dict(api.sim.state.links["igb1"], name="e1000g0", device="e1000g0")
    done(api, api.post("/network/etherstubs", json={"name": "zwestub_0"}))
    done(api, api.post("/network/vnics", json={"name": "provisioning_0", "link": "zwestub_0"}))
    for link, vid, name in (("e1000g0", 20, "vlan20"), ("igb1", 3, "igb3001"), ("ixgbe0", "7", "ixgbe7000"),
                            ("provisioning_0", 9, "vlan9"), ("zwestub_0", 4, "vlan4")):
        r = api.post("/network/vlans", json={"vid": vid, "link": link})
        assert r.status_code == 202 and r.json()["vlan_name"] == name, (link, r.text)
        assert r.json()["vid"] == vid                  # echoed as sent
        api.wait(r.json()["task_id"])
    rows = {row["link"]: row for row in api.get("/network/vlans", params={"live": "true"}).json()["vlans"]}
    assert (rows["vlan20"]["over"], rows["vlan20"]["vid"]) == ("e1000g0", 20)
    assert rows["ixgbe7000"]["vid"] == 7
    assert "vlan9" not in rows and "vlan4" not in rows          # dladm refuses a VLAN over a VNIC/etherstub
    assert api.post("/network/vlans", json={"vid": 20, "link": "e1000g0"}).json() == {"error": "VLAN vlan20 already exists"}


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
    # VnicModificationController.setVNICProperties: a non-empty properties object (checked before
    # the VNIC), `dladm show-vnic` for the 404; names and values go to dladm in the task
    empty = {"error": "properties object is required and must contain at least one property"}
    assert api.put("/network/vnics/vnic0/properties", json={"properties": {}}).json() == empty
    assert api.put("/network/vnics/nope0/properties", json={"properties": {}}).json() == empty
    assert api.put("/network/vnics/nope0/properties", json={"properties": {"priority": "low"}}).status_code == 404
    t = done(api, api.put("/network/vnics/vnic0/properties", json={"properties": {"priority": "bogus"}}), "failed")
    assert t["error_message"] == ("Failed to set VNIC vnic0 properties: dladm: warning: cannot set link property "
                                  "'priority' on 'vnic0': invalid value")
    t = done(api, api.put("/network/vnics/vnic0/properties", json={"properties": {"mtu": 9000}}), "failed")
    assert "value out of range" in t["error_message"]       # above igb0's MTU
    t = done(api, api.put("/network/vnics/vnic0/properties",
                          json={"properties": {"maxbw": "100M", "priority": "low", "allowed-ips": "10.0.0.5"}}))
    # executeSetVNICPropertiesTask: one set-linkprop with every pair
    assert "dladm set-linkprop -p maxbw=100M,priority=low,allowed-ips=10.0.0.5 vnic0" in output(api, t)
    got = api.get("/network/vnics/vnic0/properties", params={"property": "maxbw,priority,allowed-ips"}).json()
    assert {p["property"]: p["value"] for p in got["properties"]} == \
        {"maxbw": "100M", "priority": "low", "allowed-ips": "10.0.0.5"}
    # `-p maxbw=` is no reset: dladm wants a value [mem]
    assert "no value specified for 'maxbw'" in done(api, api.put(
        "/network/vnics/vnic0/properties", json={"properties": {"maxbw": ""}}), "failed")["error_message"]
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


def test_live_address_list_reproduces_the_agents_ipv6_parse(api):
    # NetworkQueryController.getIPAddresses (live=true) splits `ipadm show-addr -p -o
    # addrobj,type,state,addr` lines on ':'; ipadm escapes an IPv6 address's colons when it
    # prints several fields, so the agent's addr is the piece before the first one, and
    # having no ':' it is classed v4. The database rows (live unset) are whole.
    live = api.get("/network/addresses", params={"live": "true"}).json()
    assert live["source"] == "live" and live["total"] == len(live["addresses"])
    rows = {row["addrobj"]: row for row in live["addresses"]}
    assert rows["igb0/v4"] == {"addrobj": "igb0/v4", "interface": "igb0", "type": "static", "state": "ok",
                               "addr": "192.168.10.20/24", "ip_version": "v4", "source": "live"}
    assert rows["lo0/v6"] == {"addrobj": "lo0/v6", "interface": "lo0", "type": "static", "state": "ok",
                              "addr": "\\", "ip_version": "v4", "source": "live"}
    assert api.get("/network/addresses", params={"live": "true", "ip_version": "v6"}).json()["addresses"] == []
    db = {row["addrobj"]: row for row in api.get("/network/addresses").json()["addresses"]}
    assert (db["lo0/v6"]["addr"], db["lo0/v6"]["ip_version"]) == ("::1/128", "v6")
    limited = api.get("/network/addresses", params={"live": "true", "limit": 1}).json()
    assert limited["total"] == 1 == len(limited["addresses"])          # live counts what it returns
    assert api.get("/network/addresses", params={"limit": 1}).json()["total"] == len(db)


def test_forwarding(api):
    body = api.get("/network/forwarding").json()
    # NatController.getForwardingStatus: a routeadm line reads enabled only with
    # persistent=enabled / current=enabled, anything else is "disabled"; raw is trimmed
    assert body["forwarding"] == {"ipv4": {"current": "disabled", "persistent": "disabled"},
                                  "ipv6": {"current": "disabled", "persistent": "disabled"}}
    assert "ipv4-forwarding persistent=default default=disabled current=disabled" in body["raw"]
    assert body["raw"] == body["raw"].strip()
    # configureForwarding: 400 only when enabled is absent and interfaces empty; no type checks
    for empty in ({}, {"interfaces": []}):
        r = api.put("/network/forwarding", json=empty)
        assert r.status_code == 400 and r.json() == {"error": "enabled or interfaces must be specified"}
    r = api.put("/network/forwarding", json={"interfaces": ["igb0"]})
    assert "enabled" not in r.json() and r.json()["interfaces"] == ["igb0"]    # undefined is not echoed
    assert r.json()["message"] == "IP forwarding configuration task queued"
    done(api, r)
    t = done(api, api.put("/network/forwarding", json={"enabled": "yes"}))      # truthy: routeadm -e
    assert "routeadm -u -e ipv4-forwarding" in output(api, t)
    t = done(api, api.put("/network/forwarding", json={"enabled": True, "interfaces": ["igb0"]}))
    out = output(api, t)
    assert "routeadm -u -e ipv4-forwarding" in out and "ipadm set-ifprop -p forwarding=on -m ipv4 igb0" in out
    body = api.get("/network/forwarding").json()
    assert body["forwarding"]["ipv4"] == {"current": "enabled", "persistent": "enabled"}
    assert {"interface": "igb0", "current": "on", "persistent": "on"} in body["interfaces"]
    # executeConfigureForwardingTask collects errors and fails only when every step failed
    assert "Interface does not exist" in done(api, api.put("/network/forwarding", json={"interfaces": ["nope0"]}),
                                              "failed")["error_message"]
    t = done(api, api.put("/network/forwarding", json={"enabled": False, "interfaces": ["igb0", "nope0"]}))
    assert "IP forwarding configured with 1 error(s)" in output(api, t)
    body = api.get("/network/forwarding").json()
    assert body["forwarding"]["ipv4"]["current"] == "disabled"
    assert {"interface": "igb0", "current": "off", "persistent": "off"} in body["interfaces"]


def test_nat_rules(api):
    body = api.get("/network/nat/rules").json()
    assert body == {"active_rules": None, "configured_rules": [], "config_file": "/etc/ipf/ipnat.conf"}
    assert api.get("/network/nat/status").json()["state"] == "disabled"
    r = api.post("/network/nat/rules", json={"subnet": "10.190.190.0/24"})
    assert r.status_code == 400 and r.json() == {"error": "bridge and subnet are required"}
    # NatController.createNatRule checks nothing else; executeCreateNatRuleTask refuses unknown types
    t = done(api, api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "10.0.0.0/8", "type": "nat"}),
             "failed")
    assert t["error_message"] == "Unsupported NAT type: nat"
    r = api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "10.190.190.0/24", "description": "zones"})
    assert (r.json()["bridge"], r.json()["subnet"]) == ("igb0", "10.190.190.0/24")
    assert r.json()["message"] == "NAT rule creation task queued for igb0 (10.190.190.0/24)"
    done(api, r)
    done(api, api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "10.190.190.0/24"}))   # idempotent
    # rdr takes no ports: the agent writes `rdr B S -> T` whatever else the body holds
    done(api, api.post("/network/nat/rules", json={"bridge": "igb0", "subnet": "0/0", "type": "rdr",
                                                   "target": "10.190.190.10", "match_port": 2222, "target_port": 22,
                                                   "protocol": "tcp"}))
    body = api.get("/network/nat/rules").json()
    raws = [rule["raw_rule"] for rule in body["configured_rules"]]
    assert raws == ["map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto", "rdr igb0 0/0 -> 10.190.190.10"]
    rule = body["configured_rules"][0]
    assert (rule["type"], rule["target"], rule["protocol"], rule["created_by"]) == ("portmap", "0/32", "tcp/udp", "test-admin")
    assert rule["description"] is None             # the controller's metadata has no description
    # `pfexec ipnat -l`, trimmed by executeCommand
    assert body["active_rules"] == ("List of active MAP/Redirect filters:\n"
                                    "map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto\n"
                                    "rdr igb0 0.0.0.0/0 -> 10.190.190.10\n"
                                    "\nList of active sessions:")
    # getNatStatus: `svcs -H -o state,stime network/ipfilter`, no FMRI column
    status = api.get("/network/nat/status").json()
    assert status["service"] == "network/ipfilter" and status["state"] == "online"
    assert re.fullmatch(r"\d\d:\d\d:\d\d", status["since"]) and status["raw"] == f"online         {status['since']}"
    # deleteNatRule queues any id; executeDeleteNatRuleTask fails on an unknown one
    assert done(api, api.delete("/network/nat/rules/not-a-uuid"), "failed")["error_message"] == \
        "NAT rule not found: not-a-uuid"
    unknown = "00000000-0000-4000-8000-000000000000"
    r = api.delete(f"/network/nat/rules/{unknown}")
    assert r.json()["message"] == f"NAT rule deletion task queued for rule {unknown}" and r.json()["rule_id"] == unknown
    assert done(api, r, "failed")["error_message"] == f"NAT rule not found: {unknown}"
    done(api, api.delete(f"/network/nat/rules/{rule['id']}"))
    assert len(api.get("/network/nat/rules").json()["configured_rules"]) == 1


def test_dhcp(api):
    assert api.get("/network/dhcp/config").json() == {"config_file": "/etc/dhcpd.conf", "subnets": [], "hosts": []}
    assert api.get("/network/dhcp/status").json()["state"] == "disabled"
    t = done(api, api.put("/network/dhcp/status", json={"action": "start"}))
    assert api.get("/network/dhcp/status").json()["state"] == "maintenance"     # no subnet declared yet
    assert t["status"] == "completed"
    r = api.put("/network/dhcp/config", json={"subnet": "10.190.190.0", "netmask": "255.255.255.0"})
    assert r.status_code == 400
    assert r.json() == {"error": "subnet, netmask, router, range_start, and range_end are required"}
    cfg = {"subnet": "10.190.190.0", "netmask": "255.255.255.0", "router": "10.190.190.1",
           "range_start": "10.190.190.10", "range_end": "10.190.190.254", "dns": "8.8.8.8, 8.8.4.4",
           "listen_interface": "provisioning0"}
    r = api.put("/network/dhcp/config", json=cfg)
    assert (r.json()["subnet"], r.json()["netmask"]) == ("10.190.190.0", "255.255.255.0")
    done(api, r)
    subnet = api.get("/network/dhcp/config").json()["subnets"][0]
    assert subnet == {"subnet": "10.190.190.0", "netmask": "255.255.255.0",
                      "options": {"routers": "10.190.190.1", "dns": "8.8.8.8, 8.8.4.4"},
                      "range_start": "10.190.190.10", "range_end": "10.190.190.254"}
    # executeDhcpServiceControlTask: start is `svcadm enable` alone, which leaves a service in
    # maintenance there (SMF wants svcadm clear); restart is disable + enable, which clears it
    done(api, api.put("/network/dhcp/status", json={"action": "start"}))
    assert api.get("/network/dhcp/status").json()["state"] == "maintenance"
    t = done(api, api.put("/network/dhcp/status", json={"action": "restart"}))
    out = output(api, t)
    assert out.index("svcadm disable network/service/dhcp:ipv4") < out.index("svcadm enable network/service/dhcp:ipv4")
    assert "svcadm restart network/service/dhcp:ipv4" not in out
    status = api.get("/network/dhcp/status").json()
    assert status == {"service": "network/service/dhcp:ipv4", "state": "online", "since": status["since"],
                      "listen_interface": "provisioning0"}
    assert re.fullmatch(r"\d\d:\d\d:\d\d", status["since"])             # svcs's STIME
    # executeDhcpUpdateConfigTask sets config/listen_ifnames only when given one: the SMF
    # property keeps its value; getDhcpConfig has options.dns only when the file has it
    done(api, api.put("/network/dhcp/config", json={k: v for k, v in cfg.items() if k not in ("dns", "listen_interface")}))
    assert api.get("/network/dhcp/status").json()["listen_interface"] == "provisioning0"
    assert api.get("/network/dhcp/config").json()["subnets"][0]["options"] == {"routers": "10.190.190.1"}
    assert api.put("/network/dhcp/status", json={"action": "reload"}).json() == \
        {"error": "action must be one of: start, stop, refresh, restart"}
    r = api.post("/network/dhcp/hosts", json={"hostname": "web01", "mac": "2:8:20:a:b:c"})
    assert r.status_code == 400 and r.json() == {"error": "hostname, mac, and ip are required"}
    r = api.post("/network/dhcp/hosts", json={"hostname": "web01", "mac": "2:8:20:a:b:c", "ip": "10.190.190.20"})
    assert r.json()["message"] == "DHCP host entry task queued for web01" and r.json()["mac"] == "2:8:20:a:b:c"
    done(api, r)
    # executeDhcpAddHostTask: the values are stored as given and compared as exact strings
    for body in ({"hostname": "web01", "mac": "2:8:20:a:b:d", "ip": "10.190.190.21"},
                 {"hostname": "web02", "mac": "2:8:20:a:b:c", "ip": "10.190.190.21"},
                 {"hostname": "web02", "mac": "2:8:20:a:b:d", "ip": "10.190.190.20"}):
        t = done(api, api.post("/network/dhcp/hosts", json=body), "failed")
        assert t["error_message"] == "Host entry conflict: web01 already uses this hostname, MAC, or IP", t
    # the same MAC spelled otherwise is another string to the agent: no conflict
    done(api, api.post("/network/dhcp/hosts", json={"hostname": "web02", "mac": "02:08:20:0A:0B:0C",
                                                    "ip": "10.190.190.22"}))
    hosts = api.get("/network/dhcp/hosts").json()
    assert hosts["total"] == 2
    assert [{k: h[k] for k in ("hostname", "mac", "ip", "created_by", "description")} for h in hosts["hosts"]] == \
        [{"hostname": "web01", "mac": "2:8:20:a:b:c", "ip": "10.190.190.20", "created_by": "api", "description": None},
         {"hostname": "web02", "mac": "02:08:20:0A:0B:0C", "ip": "10.190.190.22", "created_by": "api",
          "description": None}]
    assert api.get("/network/dhcp/config").json()["hosts"] == \
        [{"hostname": "web01", "mac": "2:8:20:a:b:c", "ip": "10.190.190.20"},
         {"hostname": "web02", "mac": "02:08:20:0A:0B:0C", "ip": "10.190.190.22"}]
    assert done(api, api.delete("/network/dhcp/hosts/web99"), "failed")["error_message"] == \
        "Host entry 'web99' not found in database"
    done(api, api.delete("/network/dhcp/hosts/web01"))
    done(api, api.delete("/network/dhcp/hosts/web02"))
    assert api.get("/network/dhcp/hosts").json() == {"hosts": [], "total": 0}
    done(api, api.put("/network/dhcp/status", json={"action": "stop"}))
    assert api.get("/network/dhcp/status").json()["state"] == "disabled"


def test_svcs_stime_column():
    # svcs prints STIME as HH:MM:SS within a day, Mon_DD within the year, else the year [mem]
    now = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert svcs_stime("2025-06-01T09:08:07.000Z", now) == "09:08:07"
    assert svcs_stime("2025-03-04T09:08:07.000Z", now) == "Mar_04"
    assert svcs_stime("2023-03-04T09:08:07.000Z", now) == "2023"
    assert svcs_stime(None, now) is None


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
