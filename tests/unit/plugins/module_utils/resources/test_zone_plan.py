"""The zone planner: spec normalisation, the agent view, and change sets."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.dialect import Dialect
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone import config_changes, normalize_spec
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import view_from_agent

A = Dialect("0.3.9", ["machines", "machine-snapshots"])
Z = Dialect("0.2")

DETAIL = {
    "machine_info": {"name": "0001--web01.example.com", "status": "running", "brand": "bhyve",
                     "tags": ["web", "prod"], "notes": None, "server_id": "0001"},
    "configuration": {
        "zonename": "0001--web01.example.com", "brand": "bhyve", "autoboot": "true", "ram": "2048M", "vcpus": "2",
        "bootrom": "BHYVE_RELEASE",
        "bootdisk": {"path": "rpool/zones/0001--web01.example.com/boot", "size": "40G", "sparse": "true"},
        "disk0": "rpool/zones/0001--web01.example.com/disk0",
        "cdrom": "/iso/debian.iso",
        "net": [{"physical": "vnice3_0001_0", "global-nic": "igb0", "vlan-id": "20", "mac-addr": "2:8:20:a:b:c"}],
        "attr": [{"name": "cloud-init", "type": "string", "value": "on"},
                 {"name": "resolvers", "type": "string", "value": "1.1.1.1,9.9.9.9"}],
    },
    "pending_changes": None,
}


def view():
    return view_from_agent(DETAIL, A)


def spec(**params):
    params.setdefault("name", "0001--web01.example.com")
    return normalize_spec(params)


def test_name_gives_hostname_domain_and_server_id():
    s = spec()
    assert (s["hostname"], s["domain"], s["server_id"]) == ("web01", "example.com", "0001")
    s = spec(name="db.example.org")
    assert (s["hostname"], s["domain"], s["server_id"]) == ("db", "example.org", None)


def test_view_normalises_agent_strings():
    v = view()
    assert v["ram"] == 2 * 1024 ** 3 and v["vcpus"] == 2 and v["autoboot"] is True
    assert v["nics"][0] == {"physical": "vnice3_0001_0", "global_nic": "igb0", "vlan_id": 20,
                            "mac_address": "02:08:20:0a:0b:0c", "allowed_address": None}
    assert v["cdroms"] == [{"name": "cdrom0", "path": "/iso/debian.iso"}]
    assert v["disks"] == [{"name": "disk0", "path": "rpool/zones/0001--web01.example.com/disk0"}]
    assert v["cloud_init"]["enabled"] == "on" and v["cloud_init"]["resolvers"] == ["1.1.1.1", "9.9.9.9"]
    assert v["boot_disk"]["size"] == 40 * 1024 ** 3


def test_same_values_in_other_forms_are_no_change():
    s = spec(ram="2G", vcpus="2", autoboot=True, tags=["prod", "web", "web"], cdroms=["/iso/debian.iso"],
             nics=[{"global_nic": "igb0", "vlan_id": "20", "mac_address": "02:08:20:0A:0B:0C"}],
             cloud_init={"enabled": True, "resolvers": ["1.1.1.1", "9.9.9.9"]},
             disks=[{"size": "10G"}])
    changes, before, after = config_changes(s, view())
    assert changes == {} and before == {} and after == {}


def test_only_keys_the_user_set_are_compared():
    changes = config_changes(spec(ram="4G"), view())[0]
    assert changes == {"ram": 4 * 1024 ** 3}


def test_diff_shows_sizes_readably():
    before, after = config_changes(spec(ram="4G", vcpus=4), view())[1:]
    assert before == {"ram": "2G", "vcpus": 2} and after == {"ram": "4G", "vcpus": 4}


def test_nic_change_in_place_keeps_physical():
    changes = config_changes(spec(nics=[{"global_nic": "igb0", "vlan_id": 30}]), view())[0]
    assert changes["update_nics"] == [{"global_nic": "igb0", "vlan_id": 30, "physical": "vnice3_0001_0"}]
    assert changes["add_nics"] == [] and changes["remove_nics"] == []


def test_extra_nics_removed_and_missing_added():
    changes = config_changes(spec(nics=[]), view())[0]
    assert changes["remove_nics"] == ["vnice3_0001_0"]
    changes = config_changes(spec(nics=[{"global_nic": "igb0"}, {"global_nic": "zwestub0"}]), view())[0]
    assert changes["add_nics"] == [{"global_nic": "zwestub0"}]


def test_cdroms_compared_as_set():
    changes = config_changes(spec(cdroms=["/iso/omnios.iso"]), view())[0]
    assert changes["add_cdroms"] == ["/iso/omnios.iso"] and changes["remove_cdroms"] == ["cdrom0"]


def test_disk_with_other_path_is_replaced():
    changes = config_changes(spec(disks=[{"path": "rpool/vols/data0"}]), view())[0]
    assert changes["remove_disks"] == ["disk0"] and changes["add_disks"] == [{"path": "rpool/vols/data0"}]


def test_brand_cannot_change():
    with pytest.raises(InputError) as err:
        config_changes(spec(brand="lx"), view())
    assert "cannot change" in str(err.value)


def test_cloud_init_password_is_write_only():
    changes, before, after = config_changes(spec(cloud_init={"password": "s3cret"}), view())
    assert changes == {} and "s3cret" not in repr((before, after))


def test_pending_changes_count_as_applied():
    detail = dict(DETAIL, pending_changes={"ram": "8G", "add_cdroms": [{"path": "/iso/new.iso"}]})
    v = view_from_agent(detail, A)
    changes = config_changes(spec(ram="8G", cdroms=["/iso/debian.iso", "/iso/new.iso"]), v)[0]
    assert changes == {}


def test_v02_view_uses_zone_info():
    detail = {"zone_info": dict(DETAIL["machine_info"]), "configuration": DETAIL["configuration"]}
    assert view_from_agent(detail, Z)["status"] == "running"


@pytest.mark.parametrize("params,needle", [
    ({"name": "web;reboot"}, "zone name"),
    ({"ram": "lots"}, "ram"),
    ({"ram": "512K"}, "below 1M"),
    ({"vcpus": 0}, "vcpus"),
    ({"vcpus": {"sockets": 32}}, "vcpus.sockets"),
    ({"nics": [{"global_nic": "igb0", "vlan_id": 5000}]}, "vlan_id"),
    ({"nics": [{"global_nic": "igb0", "mac_address": "nope"}]}, "mac_address"),
    ({"nics": [{"global_nic": "igb0", "allowed_address": "10.0.0.5"}]}, "prefix"),
    ({"nics": [{"global_nic": "igb0", "colour": "red"}]}, "unknown keys"),
    ({"nics": [{"global_nic": "igb0; rm -rf /"}]}, "global_nic"),
    ({"disks": [{"size": "10G", "path": "rpool/x"}]}, "exactly one"),
    ({"disks": [{"path": "../../etc/passwd"}]}, "disks[0].path"),
    ({"cdroms": ["relative.iso"]}, "cdrom path"),
    ({"boot_disk": {"type": "blank"}}, "size"),
    ({"boot_disk": {"type": "template", "box": "../evil"}}, "boot_disk.box"),
    ({"boot_disk": {"type": "template", "box": "org/box", "box_version": "1.0;id"}}, "box_version"),
    ({"tags": ["ok", "not ok"]}, "tag"),
    ({"server_id": "12ab"}, "server_id"),
])
def test_bad_input_refused_with_clear_message(params, needle):
    with pytest.raises(InputError) as err:
        spec(**params)
    assert needle in str(err.value)


@pytest.mark.parametrize("have", [None, ""])
def test_empty_notes_equal_no_notes(have):
    # the native backend reads an empty note back as None; the agent answers "" or null
    DETAIL["machine_info"]["notes"] = have
    try:
        assert config_changes(spec(notes=""), view())[0] == {}
        changes, before, after = config_changes(spec(notes="db"), view())
        assert changes == {"notes": "db"} and (before, after) == ({"notes": have}, {"notes": "db"})
    finally:
        DETAIL["machine_info"]["notes"] = None
    changes = config_changes(spec(notes=""), view_from_agent(dict(DETAIL, machine_info=dict(
        DETAIL["machine_info"], notes="old")), A))[0]
    assert changes == {"notes": ""}     # clearing a note is still a change
