"""The VNIC planner: spec normalisation, the agent's list rows, and what differs."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.vnic import (
    matches, mismatches, normalize_property, normalize_spec, property_changes, vnic_view)

ROW = {"id": 7, "link": "web0", "class": "vnic", "state": "up", "zone": "--", "over": "igb0", "speed": 1000,
       "duplex": "full", "vid": 20, "macaddress": "2:8:20:a:b:c", "macaddrtype": "fixed", "mtu": 1500}


def spec(**params):
    params.setdefault("name", "web0")
    return normalize_spec(params)


@pytest.mark.parametrize("name", ["1vnic", "vnic", "web-0", "web0 ", "a" * 31 + "1", "web0;reboot", "", None])
def test_bad_names_are_refused(name):
    with pytest.raises(InputError) as err:
        spec(name=name)
    assert "VNIC name" in str(err.value)


@pytest.mark.parametrize("name", ["vnic0", "web_01", "a1", "x" * 30 + "9"])
def test_good_names(name):
    assert spec(name=name)["name"] == name


@pytest.mark.parametrize("vid", [0, 4095, 5000, "x", -1])
def test_vlan_out_of_range(vid):
    with pytest.raises(InputError) as err:
        spec(vlan_id=vid)
    assert "vlan_id" in str(err.value)


def test_link_is_validated():
    with pytest.raises(InputError) as err:
        spec(link="igb0 && reboot")
    assert "link" in str(err.value)
    assert spec(link="stub0")["link"] == "stub0"


@pytest.mark.parametrize("mac", ["02:08:20:0a:0b", "zz:08:20:0a:0b:0c", "02:08:20:0a:0b:0c:0d", "020820", "fixed"])
def test_malformed_mac_is_refused(mac):
    with pytest.raises(InputError) as err:
        spec(mac_address=mac)
    assert "mac_address" in str(err.value)


def test_mac_forms():
    assert spec(mac_address="02-08-20-0A-0B-0C")["mac_address"] == "02:08:20:0a:0b:0c"
    assert spec(mac_address="Random")["mac_address"] == "random"
    assert spec(mac_address="factory", mac_slot=1)["mac_slot"] == 1


def test_factory_needs_a_slot_and_slot_needs_factory():
    with pytest.raises(InputError, match="mac_slot"):
        spec(mac_address="factory")
    with pytest.raises(InputError, match="factory"):
        spec(mac_slot=1)


def test_properties_are_validated_and_rendered():
    s = spec(properties={"MTU": 9000, "protection": ["mac-nospoof", "ip-nospoof"], "promisc-filtered": False})
    assert s["properties"] == {"mtu": "9000", "protection": "mac-nospoof,ip-nospoof", "promisc-filtered": "off"}
    with pytest.raises(InputError, match="value"):
        spec(properties={"maxbw": "100M; reboot"})
    with pytest.raises(InputError, match="property name"):
        spec(properties={"max bw": "100M"})
    with pytest.raises(InputError, match="no value"):
        spec(properties={"maxbw": None})


def test_view_normalises_the_agent_row():
    view = vnic_view(ROW)
    assert view == {"name": "web0", "link": "igb0", "vlan_id": 20, "mac_address": "02:08:20:0a:0b:0c",
                    "mac_address_type": "fixed", "zone": None, "state": "up", "mtu": 1500}
    assert vnic_view(dict(ROW, vid=0, zone="0001--web01.example.com"))["vlan_id"] is None
    assert vnic_view(dict(ROW, zone="0001--web01.example.com"))["zone"] == "0001--web01.example.com"


def test_same_values_in_other_forms_match():
    s = spec(link="igb0", vlan_id="20", mac_address="02:08:20:0A:0B:0C")
    assert mismatches(s, vnic_view(ROW)) == {}
    assert matches(s, vnic_view(ROW))


def test_only_the_keys_set_are_compared():
    assert mismatches(spec(), vnic_view(ROW)) == {}
    assert mismatches(spec(mac_address="auto", link="igb0"), vnic_view(ROW)) == {}


def test_wrong_link_vlan_and_mac_are_named():
    found = mismatches(spec(link="stub0", vlan_id=30, mac_address="2:8:20:a:b:d"), vnic_view(ROW))
    assert found == {"link": ("igb0", "stub0"), "vlan_id": (20, 30),
                     "mac_address": ("02:08:20:0a:0b:0c", "02:08:20:0a:0b:0d")}


@pytest.mark.parametrize("name,wanted,actual", [
    ("maxbw", "100M", "100"), ("maxbw", "1G", "1000"), ("maxbw", "100000K", "100M"),
    ("allowed-ips", "10.0.0.6,10.0.0.5/32", "10.0.0.5,10.0.0.6"),
    ("protection", "ip-nospoof,mac-nospoof", "mac-nospoof,ip-nospoof"),
    ("priority", "HIGH", "high"), ("mtu", "09000", "9000"), ("promisc-filtered", "on", "true"),
])
def test_property_values_equal_after_normalisation(name, wanted, actual):
    assert normalize_property(name, wanted) == normalize_property(name, actual)
    assert property_changes({name: wanted}, {name: actual}) == {}


def test_property_changes_only_for_differing_and_named():
    actual = {"mtu": "1500", "maxbw": None, "priority": "medium"}
    assert property_changes({"mtu": "9000", "priority": "medium"}, actual) == {"mtu": "9000"}
    assert property_changes({"maxbw": "100M"}, {"maxbw": "--"}) == {"maxbw": "100M"}
    assert property_changes({}, actual) == {}
