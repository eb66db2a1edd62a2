"""zoneadm list -p: 7 or more fields, '\\:' in zonepaths, '-' zone ids."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zoneadm

# OmniOS (8 fields); the first and third lines are the GURP fixture from a real host [tool].
OMNIOS_LIST = (
    "0:global:running:/::ipkg:shared:0\n"
    "5:web01:running:/zones/web01:5b1c3f2e-0c2a-4f55-9d1a-2c4d1e6b7f80:lipkg:excl:5\n"
    "-:clean-zone:installed:/zones/clean-zone:311a4f36-779f-4d14-bc9d-c85cb9817327:lipkg:excl:216\n"
    "-:vm1:configured:/rpool/zones/vm1/path::bhyve:excl:0\n"
    "-:odd:installed:/zones/a\\:b:9a0e5a62-25d5-4c2b-9d43-7c2c0f1d1f11:ipkg:excl:17\n"
)


def test_omnios_list():
    zones = zoneadm.parse_list(OMNIOS_LIST)
    assert [z["name"] for z in zones] == ["global", "web01", "clean-zone", "vm1", "odd"]
    glob, web, clean, vm1, odd = zones
    assert glob == {"zoneid": 0, "name": "global", "state": "running", "zonepath": "/", "uuid": None,
                    "brand": "ipkg", "ip_type": "shared", "debugid": 0}
    assert web["zoneid"] == 5 and web["ip_type"] == "excl"
    assert clean["zoneid"] is None and clean["debugid"] == 216
    assert vm1["uuid"] is None and vm1["state"] == "configured" and vm1["brand"] == "bhyve"
    assert odd["zonepath"] == "/zones/a:b"


def test_illumos_gate_seven_fields():
    zone = zoneadm.parse_line("-:old:installed:/zones/old:0b9e6d7a-1111-2222-3333-444455556666:ipkg:excl")
    assert zone["name"] == "old" and zone["debugid"] is None


def test_future_fields_are_ignored():
    # Solaris 11.4 prints 11 fields (opensvc PR #550).
    zone = zoneadm.parse_line("-:s11:installed:/zones/s11:8c1b9a:solaris:excl:-:none::")
    assert zone["brand"] == "solaris" and zone["debugid"] is None


def test_single_zone_list():
    zones = zoneadm.parse_zones("-:vm1:installed:/rpool/zones/vm1/path:ab:bhyve:excl:3\n")
    assert list(zones) == ["vm1"]


def test_parse_zones_leaves_global_out():
    assert "global" not in zoneadm.parse_zones(OMNIOS_LIST)
    assert "global" in zoneadm.parse_zones(OMNIOS_LIST, include_global=True)


@pytest.mark.parametrize("line", ["-:short:installed:/zones/x:uuid:ipkg", "x:web:running:/z:u:ipkg:excl:0"])
def test_bad_lines(line):
    with pytest.raises(ParseError):
        zoneadm.parse_line(line)


def test_empty_output_is_no_zones():
    assert zoneadm.parse_list("") == []


def test_all_states_known_and_ordered():
    assert zoneadm.state_at_least("running", "installed")
    assert not zoneadm.state_at_least("incomplete", "installed")
    assert zoneadm.state_at_least("shutting_down", "running")
    assert not zoneadm.state_at_least("weird", "installed")
    line = "-:z:shutting_down:/z:u:ipkg:excl:1"
    assert zoneadm.parse_line(line)["state"] == "shutting_down"
