"""Parsed zonecfg + zoneadm line -> the shared zone view (same keys as the agent backend)."""

import pathlib

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zoneadm, zonecfg
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_view import (
    disk_path, flat_config, parse_bhyve_ram, view_from_config)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone_view import view_from_agent

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


class _AgentDialect:
    info_key = "machine_info"


def test_view_has_exactly_the_agent_view_keys():
    agent = view_from_agent({"machine_info": {"name": "x"}, "configuration": {}}, _AgentDialect)
    native = view_from_config({})
    assert set(native) == set(agent)


def test_view_of_the_reference_export():
    config = zonecfg.parse_export((FIXTURES / "zonecfg_export_gate.txt").read_text())
    zone = zoneadm.parse_line("-:vm1:installed:/rpool/zones/vm1/path:311a4f36:bhyve:excl:216")
    view = view_from_config(config, zone)
    assert view["name"] == "vm1" and view["status"] == "installed" and view["brand"] == "bhyve"
    assert view["vcpus"] == "sockets=1,cores=2,threads=1"
    assert view["boot_disk"] == {"path": "rpool/zones/vm1/boot", "size": None}
    assert view["nics"] == [{"physical": "vnice3_0001_0", "global_nic": "igb0", "vlan_id": None,
                             "mac_address": None, "allowed_address": "10.0.0.5/24"}]
    assert view["cdroms"] == [] and view["ram"] is None and view["autoboot"] is False


def test_view_of_the_omnios_export_normalises_mac_and_vlan():
    config = zonecfg.parse_export((FIXTURES / "zonecfg_export_omnios.txt").read_text(), zonename="vm1")
    view = view_from_config(config)
    assert view["name"] == "vm1" and view["status"] is None
    assert view["nics"][0]["mac_address"] == "02:08:20:ab:cd:ef" and view["nics"][0]["vlan_id"] == 10
    assert view["cloud_init"]["sshkey"].endswith("ops@example.com")


def test_brand_falls_back_to_zoneadm():
    # export omits the native brand
    view = view_from_config({"zonepath": "/zones/web"}, {"name": "web", "state": "running", "brand": "ipkg"})
    assert view["brand"] == "ipkg"


@pytest.mark.parametrize("value,expected", [
    ("2G", 2 * 1024 ** 3), ("2048M", 2 * 1024 ** 3), ("2048", 2 * 1024 ** 3), ("512m", 512 * 1024 ** 2),
    ("1t", 1024 ** 4), (str(3 * 1024 ** 3), 3 * 1024 ** 3),
])
def test_bhyve_ram(value, expected):
    assert parse_bhyve_ram(value) == expected


def test_bad_ram():
    with pytest.raises(InputError):
        parse_bhyve_ram("lots")


def test_disk_attrs_with_options():
    config = {"attr": [{"name": "bootdisk", "type": "string", "value": "rpool/vm/boot,serial=B1"},
                       {"name": "disk0", "type": "string", "value": "rpool/vm/d0"},
                       {"name": "disk", "type": "string", "value": "rpool/vm/plain"},
                       {"name": "ram", "type": "string", "value": "1024"},
                       {"name": "brand", "type": "string", "value": "attr-loses"}],
              "brand": "bhyve"}
    flat = flat_config(config)
    assert flat["bootdisk"] == {"path": "rpool/vm/boot", "options": "serial=B1"}
    assert flat["ram"] == str(1024 ** 3) and flat["brand"] == "bhyve"
    view = view_from_config(config)
    assert view["boot_disk"]["path"] == "rpool/vm/boot" and view["ram"] == 1024 ** 3
    assert view["disks"] == [{"name": "disk0", "path": "rpool/vm/d0"}]
    assert disk_path("a/b,serial=x") == "a/b" and disk_path(None) is None
