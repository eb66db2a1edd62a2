"""The environment filters: placement by free capacity, sticky placement, names, addresses, expiry."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.zoneweaver.illumos.plugins.filter.environment import (
    environment_expired, environment_plan, lifetime_seconds)

NOW = 1_800_000_000          # 2027-01-15T08:00:00Z


def host(name, ram="8G", vcpus=8, zones=(), dhcp=(), nat=()):
    return {"host": name, "capacity": {"vcpus": vcpus, "ram": ram}, "zones": list(zones),
            "dhcp_hosts": list(dhcp), "nat_rules": list(nat)}


def env(*zones, **kw):
    return dict({"name": "demo", "domain": "example.com", "zones": list(zones)}, **kw)


def placed(plan):
    return {zone: p["host"] for zone, p in plan["placement"].items()}


def test_new_zones_go_where_most_memory_is_free():
    plan = environment_plan(env({"name": "web", "ram": "4G"}, {"name": "db", "ram": "2G"}, {"name": "app", "ram": "3G"}),
                            [host("h1", ram="8G"), host("h2", ram="6G")], NOW)
    # biggest first: web 4G -> h1 (8 free), app 3G -> h2 (6 free vs 4), db 2G -> h1 (4 free vs 3)
    assert placed(plan) == {"web": "h1", "app": "h2", "db": "h1"}
    assert plan["hosts"]["h1"]["free"] == {"vcpus": 6, "ram": "2G"}


def test_other_zones_on_a_host_take_its_capacity():
    busy = {"name": "0001--big.other.example.com", "vcpus": 4, "ram": "7G", "tags": ["other"]}
    plan = environment_plan(env({"name": "web", "ram": "2G"}), [host("h1", ram="8G", zones=[busy]), host("h2", ram="4G")],
                            NOW)
    assert placed(plan) == {"web": "h2"}


def test_existing_zones_stay_and_keep_names_addresses_and_expiry():
    web = {"name": "0007--web.demo.example.com", "vcpus": 1, "ram": "1G",
           "tags": ["zw-env=demo", "zw-expires=2027-01-15T10:00:00Z"]}
    plan = environment_plan(env({"name": "web", "ram": "1G"}, {"name": "db", "ram": "1G"}, lifetime="2h"),
                            [host("h1", ram="2G", zones=[web], dhcp=[{"hostname": "web-demo", "ip": "10.190.190.20"}]),
                             host("h2", ram="16G")], NOW + 3600)
    assert plan["placement"]["web"] == {"host": "h1", "name": "0007--web.demo.example.com", "ip": "10.190.190.20"}
    assert plan["placement"]["db"]["host"] == "h2"
    assert plan["placement"]["db"]["name"] == "0001--db.demo.example.com"
    assert plan["expires"] == "2027-01-15T10:00:00Z"
    assert "zw-expires=2027-01-15T10:00:00Z" in plan["hosts"]["h1"]["zones"][0]["tags"]
    renewed = environment_plan(env({"name": "web", "ram": "1G"}, lifetime="2h", renew=True),
                               [host("h1", zones=[web])], NOW + 3600)
    assert renewed["expires"] == "2027-01-15T11:00:00Z"


def test_server_ids_and_addresses_skip_what_the_host_uses():
    other = {"name": "0001--x.other.example.com", "vcpus": 1, "ram": "1G", "tags": []}
    plan = environment_plan(env({"name": "web"}, {"name": "db"}, ip_range=["10.0.0.10", "10.0.0.12"]),
                            [host("h1", zones=[other], dhcp=[{"hostname": "x", "ip": "10.0.0.10"}])], NOW)
    # in the order of the spec
    assert plan["placement"]["web"]["name"] == "0002--web.demo.example.com" and plan["placement"]["web"]["ip"] == "10.0.0.11"
    assert plan["placement"]["db"]["name"] == "0003--db.demo.example.com" and plan["placement"]["db"]["ip"] == "10.0.0.12"
    with pytest.raises(AnsibleFilterError, match="no free address left in 10.0.0.10-10.0.0.12 on h1"):
        environment_plan(env({"name": "a"}, {"name": "b"}, {"name": "c"}, ip_range=["10.0.0.10", "10.0.0.12"]),
                         [host("h1", dhcp=[{"hostname": "x", "ip": "10.0.0.10"}])], NOW)


def test_zone_that_fits_nowhere_names_every_hosts_free_capacity():
    with pytest.raises(AnsibleFilterError) as err:
        environment_plan(env({"name": "huge", "ram": "10G", "vcpus": 2}), [host("h1", ram="8G"), host("h2", ram="4G")],
                         NOW)
    assert "zone huge of environment demo (2 vCPU, 10G) fits on no host; free: h1 8 vCPU 8G, h2 8 vCPU 4G" \
        in str(err.value)


def test_removed_zone_leaves_its_dhcp_entry_and_redirection_for_removal():
    web = {"name": "0001--web.demo.example.com", "ram": "1G", "vcpus": 1, "tags": ["zw-env=demo"]}
    db = {"name": "0002--db.demo.example.com", "ram": "1G", "vcpus": 1, "tags": ["zw-env=demo"]}
    dhcp = [{"hostname": "web-demo", "ip": "10.190.190.20"}, {"hostname": "db-demo", "ip": "10.190.190.21"},
            {"hostname": "db-otherdemo", "ip": "10.190.190.30"}]
    nat = [{"type": "rdr", "bridge": "igb0", "subnet": "203.0.113.9/32", "target": "10.190.190.21/32"},
           {"type": "portmap", "bridge": "igb0", "subnet": "10.190.190.0/24", "target": "0/32"}]
    plan = environment_plan(env({"name": "web", "ram": "1G"}), [host("h1", zones=[web, db], dhcp=dhcp, nat=nat)], NOW)
    h1 = plan["hosts"]["h1"]
    assert h1["removed"] == ["0002--db.demo.example.com"]
    assert h1["dhcp_remove"] == ["db-demo"]
    assert h1["expose_remove"] == [{"uplink": "igb0", "external": "203.0.113.9/32", "target": "10.190.190.21/32"}]
    gone = environment_plan(env(state="absent"), [{"host": "h1", "zones": [web, db], "dhcp_hosts": dhcp,
                                                   "nat_rules": nat}], NOW)
    assert gone["hosts"]["h1"]["zones"] == [] and gone["hosts"]["h1"]["dhcp_remove"] == ["db-demo", "web-demo"]


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="name must be"):
        environment_plan(env(name="Demo Env"), [host("h1")], NOW)
    with pytest.raises(AnsibleFilterError, match="listed twice"):
        environment_plan(env({"name": "a"}, {"name": "a"}), [host("h1")], NOW)
    with pytest.raises(AnsibleFilterError, match="host h1 has no capacity"):
        environment_plan(env({"name": "a"}), [{"host": "h1"}], NOW)
    with pytest.raises(AnsibleFilterError, match="lifetime must be"):
        lifetime_seconds("soon")
    assert lifetime_seconds("90m") == 5400 and lifetime_seconds("") is None


def test_expired_environments():
    zones = {"h1": [{"name": "a", "tags": ["zw-env=old", "zw-expires=2027-01-15T08:00:00Z"]},
                    {"name": "b", "tags": ["zw-env=new", "zw-expires=2027-01-15T09:00:00Z"]},
                    {"name": "c", "tags": ["zw-env=forever"]}, {"name": "d", "tags": None}],
             "h2": [{"name": "e", "tags": ["zw-env=old2", "zw-expires=garbage"]}]}
    assert environment_expired(zones, NOW) == ["old"]
    assert environment_expired(zones, NOW + 3600) == ["new", "old"]


def test_deny_outgoing_rules_are_planned_and_taken_away_by_tag():
    rules = ["pass in quick proto udp from 10.190.190.20 to any port = 67 keep state",
             "pass out quick from any to 10.190.190.20 keep state",
             "block in quick from 10.190.190.20 to any"]
    plan = environment_plan(env({"name": "web", "deny_outgoing": True}, {"name": "db"}), [host("h1")], NOW)
    h1 = plan["hosts"]["h1"]
    assert [d["rule"] for d in h1["deny_outgoing"]] == rules and {d["zone"] for d in h1["deny_outgoing"]} == {"web"}
    tags = {z["name"].split("--")[1].split(".")[0]: z["tags"] for z in h1["zones"]}
    assert "zw-deny-outgoing=true" in tags["web"] and "zw-deny-outgoing=true" not in tags["db"]
    assert h1["deny_outgoing_remove"] == []
    everyone = environment_plan(env({"name": "web"}, deny_outgoing=True), [host("h1")], NOW)
    assert len(everyone["hosts"]["h1"]["deny_outgoing"]) == 3

    web = {"name": "0001--web.demo.example.com", "vcpus": 1, "ram": "1G",
           "tags": ["zw-env=demo", "zw-zone=web", "zw-deny-outgoing=true"]}
    seen = host("h1", zones=[web], dhcp=[{"hostname": "web-demo", "ip": "10.190.190.20"}])
    kept = environment_plan(env({"name": "web", "deny_outgoing": True}), [seen], NOW)["hosts"]["h1"]
    assert kept["deny_outgoing_remove"] == [] and len(kept["deny_outgoing"]) == 3
    off = environment_plan(env({"name": "web"}), [seen], NOW)["hosts"]["h1"]
    assert off["deny_outgoing"] == [] and [d["rule"] for d in off["deny_outgoing_remove"]] == rules
    gone = environment_plan(env({"name": "db"}), [seen], NOW)["hosts"]["h1"]
    assert [d["rule"] for d in gone["deny_outgoing_remove"]] == rules and gone["touched"] is True
    removed = environment_plan(env({"name": "web", "deny_outgoing": True}, state="absent"), [seen], NOW)["hosts"]["h1"]
    assert len(removed["deny_outgoing_remove"]) == 3


def measured(name, ram="8G", vcpus=8, pools=(("rpool", "100G"),), zones=()):
    """A host whose capacity and pools were read with host_info (through its agent or natively)."""
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.values import parse_size
    row = host(name, ram=ram, vcpus=vcpus, zones=zones)
    row["pools"] = [{"name": p, "size": parse_size(free) * 2, "free": parse_size(free)} for p, free in pools]
    return row


def test_a_disk_that_does_not_fit_the_pool_goes_to_the_next_host():
    # most memory on h1, but its rpool has only 15G free: the second 10G disk does not fit there
    plan = environment_plan(env({"name": "web", "disk": "10G"}, {"name": "db", "disk": "10G"}),
                            [measured("h1", ram="16G", pools=[("rpool", "15G")]), measured("h2", ram="8G")], NOW)
    assert placed(plan) == {"db": "h1", "web": "h2"}
    assert plan["hosts"]["h1"]["free"] == {"vcpus": 7, "ram": "15G", "disk": "5G", "pool": "rpool"}
    # the zone defaults' disk counts as well, and existing zones' volumes are in the pool's use already
    web = {"name": "0001--web.demo.example.com", "vcpus": 1, "ram": "1G", "tags": ["zw-env=demo"]}
    again = environment_plan(env({"name": "web"}, {"name": "db"}),
                             [measured("h1", pools=[("rpool", "5G")], zones=[web]), measured("h2", ram="2G")], NOW,
                             {"disk": "10G"})
    assert placed(again) == {"web": "h1", "db": "h2"}


def test_a_disk_that_fits_no_pool_is_refused_naming_every_hosts_free_space():
    with pytest.raises(AnsibleFilterError) as err:
        environment_plan(env({"name": "big", "ram": "1G", "disk": "200G"}),
                         [measured("h1", pools=[("rpool", "100G")]), measured("h2", pools=[("rpool", "1536M")])], NOW)
    assert ("zone big of environment demo (1 vCPU, 1G, 200G disk) fits on no host; "
            "free: h1 8 vCPU 8G rpool 100G, h2 8 vCPU 8G rpool 1.5G") in str(err.value)


def test_the_environments_pool_is_used_for_the_volumes_and_the_check():
    plan = environment_plan(env({"name": "web", "disk": "50G"}, pool="tank"),
                            [measured("h1", ram="16G", pools=[("rpool", "900G")]),
                             measured("h2", pools=[("rpool", "10G"), ("tank", "60G")])], NOW)
    # h1 has no pool tank: nothing fits there
    assert placed(plan) == {"web": "h2"}
    assert plan["hosts"]["h2"]["zones"][0]["boot_disk"] == {"type": "blank", "size": "50G", "pool": "tank"}
    assert plan["hosts"]["h2"]["free"]["pool"] == "tank" and plan["hosts"]["h2"]["free"]["disk"] == "10G"
    # without a pool the spec leaves it to the agent (its root pool), and rpool is what is checked
    default = environment_plan(env({"name": "web", "disk": "50G"}), [measured("h1")], NOW)
    assert "pool" not in default["hosts"]["h1"]["zones"][0]["boot_disk"]


def test_no_disk_check_without_pools_or_a_size():
    # declared capacity (no pools read), a template disk of its own size, a host without rpool
    plan = environment_plan(env({"name": "web", "disk": "5T"}), [host("h1")], NOW)
    assert placed(plan) == {"web": "h1"} and "disk" not in plan["hosts"]["h1"]["free"]
    image = environment_plan(env({"name": "web", "image": "STARTcloud/debian13-server"}),
                             [measured("h1", pools=[("rpool", "1G")])], NOW)
    assert placed(image) == {"web": "h1"}
    other_root = environment_plan(env({"name": "web", "disk": "5T"}), [measured("h1", pools=[("zroot", "1G")])], NOW)
    assert placed(other_root) == {"web": "h1"}
