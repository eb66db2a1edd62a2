"""ipnat -l, svcs and dhcpd.conf parsers."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import dhcpd, ipnat, svcs

# Exact empty output [tool GURP test].
IPNAT_EMPTY = "List of active MAP/Redirect filters:\n\nList of active sessions:\n"
# With rules and sessions; the normalised rule and session formats are [mem].
IPNAT_RULES = (
    "List of active MAP/Redirect filters:\n"
    "map igb0 10.0.0.0/24 -> 0.0.0.0/32 portmap tcp/udp auto\n"
    "map igb0 10.0.0.0/24 -> 0.0.0.0/32\n"
    "rdr igb0 0.0.0.0/0 port 8080 -> 10.0.0.5 port 80 tcp\n"
    "\n"
    "List of active sessions:\n"
    "MAP 10.0.0.5       43183 <- -> 192.168.1.2     43183 [1.1.1.1 53]\n"
)


def test_ipnat_empty():
    assert ipnat.parse_list(IPNAT_EMPTY) == {"rules": [], "sessions": []}


def test_ipnat_rules_and_sessions():
    parsed = ipnat.parse_list(IPNAT_RULES)
    assert parsed["rules"] == ["map igb0 10.0.0.0/24 -> 0.0.0.0/32 portmap tcp/udp auto",
                               "map igb0 10.0.0.0/24 -> 0.0.0.0/32",
                               "rdr igb0 0.0.0.0/0 port 8080 -> 10.0.0.5 port 80 tcp"]
    assert parsed["sessions"] == ["MAP 10.0.0.5 43183 <- -> 192.168.1.2 43183 [1.1.1.1 53]"]


@pytest.mark.parametrize("text", ["", "ipnat: open(IPNAT_NAME): No such file or directory\n"])
def test_ipnat_without_headers(text):
    with pytest.raises(ParseError):
        ipnat.parse_list(text)


SVCS = (
    "online         svc:/network/ipfilter:default\n"
    "disabled       svc:/network/ipv4-forwarding:default\n"
    "maintenance    svc:/network/service/dhcp:ipv4\n"
    "offline*       svc:/system/zones:default\n"
    "legacy_run     lrc:/etc/rc2_d/S20sysetup\n"
)


def test_svcs_states():
    rows = svcs.parse_states(SVCS)
    assert rows[0] == {"state": "online", "fmri": "svc:/network/ipfilter:default", "transitioning": False}
    assert rows[3] == {"state": "offline", "fmri": "svc:/system/zones:default", "transitioning": True}
    assert rows[4]["state"] == "legacy_run"


def test_svcs_single_state():
    assert svcs.parse_state("online\n") == ("online", False)
    assert svcs.parse_state("online*\n") == ("online", True)
    with pytest.raises(ParseError):
        svcs.parse_state("online\ndisabled\n")
    with pytest.raises(ParseError):
        svcs.parse_states("online\n")


# vagrant-zones: single-line entries after `authoritative;`.
DHCPD_VZ = """authoritative;
subnet 10.0.0.0 netmask 255.255.255.0 { option routers 10.0.0.1; }
host vm1 { option host-name "vm1"; hardware ethernet 2:8:20:ab:cd:ef; fixed-address 10.0.0.5; }
"""

# zoneweaver-agent: multi-line entries, comments.
DHCPD_ZWA = """# managed by zoneweaver-agent
default-lease-time 600;
subnet 10.190.190.0 netmask 255.255.255.0 {
  option routers 10.190.190.1;
  range 10.190.190.100 10.190.190.200;
  option domain-name-servers 1.1.1.1, 9.9.9.9;  # two resolvers
  option domain-name "lab.example.com";
}
host web01 {
  hardware ethernet 02:08:20:0a:0b:0c;
  fixed-address 10.190.190.10;
}
group {
  host "db01" { hardware ethernet 02:08:20:0a:0b:0d; fixed-address 10.190.190.11; }
}
"""


def test_dhcpd_single_line_layout():
    parsed = dhcpd.parse(DHCPD_VZ)
    assert parsed["subnets"] == [{"subnet": "10.0.0.0", "netmask": "255.255.255.0", "routers": ["10.0.0.1"],
                                  "range": None, "dns": [], "domain_name": None}]
    assert parsed["hosts"] == [{"name": "vm1", "mac": "02:08:20:ab:cd:ef", "fixed_address": "10.0.0.5",
                                "hostname": "vm1"}]


def test_dhcpd_multi_line_layout():
    parsed = dhcpd.parse(DHCPD_ZWA)
    subnet = parsed["subnets"][0]
    assert subnet["range"] == ["10.190.190.100", "10.190.190.200"]
    assert subnet["dns"] == ["1.1.1.1", "9.9.9.9"] and subnet["domain_name"] == "lab.example.com"
    assert [h["name"] for h in parsed["hosts"]] == ["web01", "db01"]
    assert parsed["hosts"][1]["fixed_address"] == "10.190.190.11"


@pytest.mark.parametrize("text", ["host a { fixed-address 1.2.3.4 }", "host a { x; ", "}", 'option x "abc'])
def test_dhcpd_malformed(text):
    with pytest.raises(ParseError):
        dhcpd.parse(text)
