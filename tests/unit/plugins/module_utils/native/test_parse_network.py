"""dladm, ipadm and routeadm parsers with libofmt escaping rules."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import dladm, ipadm, routeadm
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.common import split_escaped

# dladm show-vnic -p -o LINK,OVER,SPEED,MACADDRESS,MACADDRTYPE,VID,ZONE: several
# fields, so ':' in MACs is escaped; MAC octets have no leading zeros; '--' unset.
SHOW_VNIC = (
    "vnic0:igb0:1000:2\\:8\\:20\\:d0\\:2f\\:8f:random:0:--\n"
    "vnice3_0001_0:igb0:1000:2\\:8\\:20\\:ab\\:cd\\:ef:fixed:10:0001--web01\n"
    "h_vnic_0001_0:stub_0001_0:0:2\\:8\\:20\\:1\\:2\\:3:random:0:--\n"
)


def test_split_escaped():
    assert split_escaped("a\\:b:c\\\\d:e") == ["a:b", "c\\d", "e"]
    assert split_escaped("no-escapes") == ["no-escapes"]
    assert split_escaped("x\\y:z") == ["x\\y", "z"]  # backslash before anything else is literal


def test_show_vnic():
    rows = dladm.parse_show_vnic(SHOW_VNIC)
    assert rows[0] == {"link": "vnic0", "over": "igb0", "speed": 1000, "macaddress": "02:08:20:d0:2f:8f",
                       "macaddrtype": "random", "vid": 0, "zone": None, "vlan_id": None}
    assert rows[1]["vlan_id"] == 10 and rows[1]["zone"] == "0001--web01" and rows[1]["macaddrtype"] == "fixed"
    assert rows[2]["over"] == "stub_0001_0" and rows[2]["speed"] == 0  # over an etherstub [mem]
    assert rows[2]["macaddress"] == "02:08:20:01:02:03"
    assert set(dladm.by_link(rows)) == {"vnic0", "vnice3_0001_0", "h_vnic_0001_0"}


def test_single_field_is_not_escaped():
    # `dladm show-vnic -p -o macaddress vnic0`: one field, so no escaping at all.
    assert dladm.parse_fields("2:8:20:d0:2f:8f\n", ["macaddress"]) == [{"macaddress": "02:08:20:d0:2f:8f"}]
    assert dladm.parse_fields("igb0\nstub0\n", ["over"]) == [{"over": "igb0"}, {"over": "stub0"}]


def test_wrong_field_count_and_bad_mac():
    with pytest.raises(ParseError):
        dladm.parse_show_vnic("vnic0:igb0:1000\n")
    with pytest.raises(ParseError):
        dladm.parse_fields("vnic0:zz\\:zz\n", ["link", "macaddress"])
    with pytest.raises(ParseError):
        dladm.parse_fields("vnic0:fast\n", ["link", "speed"])


def test_show_etherstub_forms():
    assert dladm.parse_show_etherstub("stub_0001_0\nstub0\n") == ["stub_0001_0", "stub0"]
    assert dladm.parse_show_etherstub("LINK\nstub0\n") == ["stub0"]
    assert dladm.parse_show_etherstub("") == []


def test_show_vlan_and_link():
    vlans = dladm.parse_show_vlan("vlan10:10:igb0:-----\n")
    assert vlans == [{"link": "vlan10", "vid": 10, "over": "igb0", "flags": "-----"}]
    links = dladm.parse_show_link("igb0:phys:1500:up:--:--\nstub0:etherstub:9000:unknown:--:--\n"
                                  "vnic0:vnic:9000:up:--:stub0\n")
    assert links[0] == {"link": "igb0", "class": "phys", "mtu": 1500, "state": "up", "bridge": None, "over": None}
    assert links[2]["over"] == "stub0" and links[1]["class"] == "etherstub"


# ipadm show-addr -p -o addrobj,type,state,addr [tool]: IPv6 colons escaped.
SHOW_ADDR = (
    "lo0/v4:static:ok:127.0.0.1/8\n"
    "igb0/dhcp:dhcp:ok:172.20.0.5/24\n"
    "h_vnic_0001_0/v4:static:ok:10.0.0.1/24\n"
    "lo0/v6:static:ok:\\:\\:1/128\n"
    "igb0/v6:addrconf:ok:fe80\\:\\:a236\\:9fff\\:fe1a\\:2b3c/10\n"
    "tun0/v4:static:ok:100.121.38.79->100.121.38.80\n"
    "vnic1/v4:static:disabled:--\n"
)


def test_show_addr():
    rows = ipadm.parse_show_addr(SHOW_ADDR)
    assert rows[0] == {"addrobj": "lo0/v4", "type": "static", "state": "ok", "addr": "127.0.0.1/8",
                       "interface": "lo0", "name": "v4", "remote": None}
    assert rows[1]["type"] == "dhcp" and rows[1]["addr"] == "172.20.0.5/24"
    assert rows[3]["addr"] == "::1/128"
    assert rows[4]["addr"] == "fe80::a236:9fff:fe1a:2b3c/10" and rows[4]["type"] == "addrconf"
    assert rows[5]["addr"] == "100.121.38.79" and rows[5]["remote"] == "100.121.38.80"
    assert rows[6]["addr"] is None and rows[6]["state"] == "disabled"


def test_show_addr_single_field_unescaped():
    assert ipadm.parse_show_addr("::1/128\n", fields=["addr"])[0]["addr"] == "::1/128"


def test_forwarding_prop():
    assert ipadm.parse_prop_current("on\n") == "on"
    assert ipadm.parse_prop_current("off\n") == "off"
    with pytest.raises(ParseError):
        ipadm.parse_prop_current("")
    with pytest.raises(ParseError):
        ipadm.parse_prop_current("PROTO PROPERTY\nipv4 forwarding\n")


def test_show_ifprop_and_show_if():
    assert ipadm.parse_show_ifprop("ipv4:forwarding:on\n") == [{"proto": "ipv4", "property": "forwarding",
                                                               "current": "on"}]
    assert ipadm.parse_show_if("lo0\nigb0\n") == ["lo0", "igb0"]


# routeadm -p [src routeadm.c ra_report]: variable lines end with a space.
ROUTEADM = (
    "ipv4-forwarding persistent=enabled default=disabled current=enabled\n"
    "ipv4-routing persistent=default default=enabled current=disabled\n"
    "ipv6-forwarding persistent=default default=disabled current=disabled\n"
    "ipv6-routing persistent=default default=disabled current=disabled\n"
    'ipv4-routing-daemon persistent="" default="/usr/sbin/in.routed" \n'
    'ipv4-routing-daemon-args persistent="" default="" \n'
    'routing-svcs persistent="route:default ripng:default" default="route:default ripng:default" \n'
)


def test_routeadm():
    parsed = routeadm.parse(ROUTEADM)
    assert parsed["ipv4-forwarding"] == {"persistent": "enabled", "default": "disabled", "current": "enabled"}
    assert parsed["routing-svcs"]["persistent"] == "route:default ripng:default"
    assert parsed["ipv4-routing-daemon"] == {"persistent": "", "default": "/usr/sbin/in.routed"}
    assert routeadm.forwarding(parsed, "ipv4") == {"persistent": True, "current": True}
    assert routeadm.forwarding(parsed, "ipv6") == {"persistent": False, "current": False}  # default resolves
    assert routeadm.forwarding({}, "ipv4") == {"persistent": None, "current": None}


def test_routeadm_single_option_and_garbage():
    assert list(routeadm.parse("ipv4-forwarding persistent=default default=disabled current=disabled\n")) == [
        "ipv4-forwarding"]
    with pytest.raises(ParseError):
        routeadm.parse("ipv4-forwarding persistent enabled\n")
    with pytest.raises(ParseError):
        routeadm.parse("              Configuration   Current\n")
