import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError


@pytest.mark.parametrize("text,expected", [
    ("2G", 2 * 1024 ** 3), ("2048M", 2 * 1024 ** 3), ("2147483648", 2 * 1024 ** 3), (2147483648, 2 * 1024 ** 3),
    ("1.5T", int(1.5 * 1024 ** 4)), ("8KiB", 8192), ("10g", 10 * 1024 ** 3), (" 512 M ", 512 * 1024 ** 2),
])
def test_parse_size_equal_forms(text, expected):
    assert values.parse_size(text) == expected


@pytest.mark.parametrize("bad", ["lots", "-1G", "10Q", "", True, -5, "1e9", "2G; rm -rf /"])
def test_parse_size_refuses(bad):
    with pytest.raises(InputError) as err:
        values.parse_size(bad, "ram")
    assert "ram" in str(err.value)


def test_parse_size_refuses_absurd():
    with pytest.raises(InputError):
        values.parse_size("2000000P")


@pytest.mark.parametrize("size,text", [(2 * 1024 ** 3, "2G"), (1536 * 1024 ** 2, "1536M"), (1000, "1000"),
                                       (1024 ** 4, "1T")])
def test_format_size_round_trips(size, text):
    assert values.format_size(size) == text
    assert values.parse_size(values.format_size(size)) == size


@pytest.mark.parametrize("mac", ["2:8:20:a:b:c", "02:08:20:0A:0B:0C", "02-08-20-0a-0b-0c"])
def test_mac_forms_are_equal(mac):
    assert values.normalize_mac(mac) == "02:08:20:0a:0b:0c"


@pytest.mark.parametrize("bad", ["02:08:20:0a:0b", "zz:08:20:0a:0b:0c", "02:08:20:0a:0b:0c:0d", "123:8:20:a:b:c"])
def test_mac_refuses(bad):
    with pytest.raises(InputError):
        values.normalize_mac(bad)


@pytest.mark.parametrize("text,expected", [("true", True), ("on", True), ("false", False), ("off", False),
                                           (True, True), ("", False)])
def test_to_bool(text, expected):
    assert values.to_bool(text) is expected


def test_to_bool_refuses_garbage():
    with pytest.raises(InputError):
        values.to_bool("maybe")


@pytest.mark.parametrize("name", ["web01", "0001--web01.example.com", "a", "x_y-z.1"])
def test_zone_names_accepted(name):
    assert values.check_zone_name(name) == name


@pytest.mark.parametrize("name", ["-web", "web-", "we b", "web;rm", "../etc", "w" * 65, "", "zöne"])
def test_zone_names_refused(name):
    with pytest.raises(InputError):
        values.check_zone_name(name)


def test_vlan_range():
    assert values.check_vlan_id("4094") == 4094
    for bad in (0, 4095, 5000, "ten"):
        with pytest.raises(InputError):
            values.check_vlan_id(bad)


def test_cidr_needs_prefix():
    assert values.check_cidr("10.0.0.5/24") == "10.0.0.5/24"
    with pytest.raises(InputError) as err:
        values.check_cidr("10.0.0.5")
    assert "prefix" in str(err.value)
    with pytest.raises(InputError):
        values.check_cidr("10.0.0.500/24")
