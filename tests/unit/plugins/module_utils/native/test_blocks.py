"""Managed blocks in ipnat.conf and dhcpd.conf: other lines untouched, idempotent, injection-proof."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import dhcpd as dhcpd_parse
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import blocks, dhcpd, ipnat

# A hand-written file with vagrant-zones' two-space rule and a CRLF line: all must survive.
IPNAT_CONF = (
    "# NAT for the lab\n"
    "map igb0 10.0.0.0/24 -> 0/32  portmap tcp/udp auto\n"
    "map igb0 10.0.0.0/24 -> 0/32\r\n"
    "\n"
    "rdr igb0 0.0.0.0/0 port 2222 -> 10.0.0.5 port 22 tcp"
)
RULES = ["map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto", "map igb0 10.190.190.0/24 -> 0/32"]


def test_add_block_keeps_every_other_byte():
    text = ipnat.render(IPNAT_CONF, "nat", RULES)
    assert text.startswith(IPNAT_CONF + "\n")
    assert text.endswith("# BEGIN zoneweaver.illumos managed nat\n" + "\n".join(RULES) + "\n"
                         "# END zoneweaver.illumos managed nat\n")
    assert blocks.find_block(text, "nat") == RULES


def test_idempotent():
    once = ipnat.render(IPNAT_CONF, "nat", RULES)
    assert ipnat.render(once, "nat", RULES) == once


def test_replace_in_place_and_remove():
    text = ipnat.render(IPNAT_CONF, "nat", RULES) + "# trailing line by hand\n"
    changed = ipnat.render(text, "nat", RULES[:1])
    assert blocks.find_block(changed, "nat") == RULES[:1]
    assert changed.endswith("# END zoneweaver.illumos managed nat\n# trailing line by hand\n")
    removed = ipnat.render(changed, "nat", None)
    assert removed == IPNAT_CONF + "\n# trailing line by hand\n"
    assert ipnat.render(removed, "nat", None) == removed


def test_several_blocks_are_independent():
    text = ipnat.render(ipnat.render("", "a", RULES[:1]), "b", RULES[1:])
    assert blocks.block_names(text) == ["a", "b"]
    text2 = ipnat.render(text, "a", [])
    assert blocks.find_block(text2, "a") == [] and blocks.find_block(text2, "b") == RULES[1:]


def test_missing_block():
    assert blocks.find_block(IPNAT_CONF, "nat") is None
    assert blocks.find_block("", "nat") is None


@pytest.mark.parametrize("text", [
    "# BEGIN zoneweaver.illumos managed nat\nmap a\n",
    "# END zoneweaver.illumos managed nat\n# BEGIN zoneweaver.illumos managed nat\n",
    "# BEGIN zoneweaver.illumos managed nat\n# END zoneweaver.illumos managed nat\n"
    "# BEGIN zoneweaver.illumos managed nat\n# END zoneweaver.illumos managed nat\n",
])
def test_damaged_markers_raise(text):
    with pytest.raises(ParseError):
        blocks.render_block(text, "nat", ["map x"])


@pytest.mark.parametrize("content", [
    ["map igb0 10.0.0.0/24 -> 0/32\nmap evil0 0/0 -> 0/32"],
    ["# END zoneweaver.illumos managed nat", "map evil0 0/0 -> 0/32"],
    ["  #BEGIN zoneweaver.illumos managed other"],
])
def test_content_cannot_break_out_of_the_block(content):
    with pytest.raises(InputError):
        blocks.render_block("", "nat", content)


@pytest.mark.parametrize("name", ["", "two words", "a\nb", "x" * 200, None])
def test_bad_block_names(name):
    with pytest.raises(InputError):
        blocks.render_block("", name, [])


@pytest.mark.parametrize("rule", ["pass in all", "block out quick on igb0", "", "map"])
def test_ipnat_lines_must_be_nat_rules(rule):
    with pytest.raises(InputError):
        ipnat.render("", "nat", [rule])


def test_ipnat_whitespace_normalised():
    text = ipnat.render("", "nat", ["map  igb0   10.0.0.0/24 -> 0/32"])
    assert blocks.find_block(text, "nat") == ["map igb0 10.0.0.0/24 -> 0/32"]


DHCPD_CONF = 'authoritative;\nhost old { hardware ethernet 2:8:20:0:0:1; fixed-address 10.0.0.9; }\n'


def test_dhcpd_block_renders_parseable_entries():
    text = dhcpd.render(DHCPD_CONF, "lab", subnets=[{"subnet": "10.190.190.0/24", "routers": "10.190.190.1",
                                                     "range_start": "10.190.190.100",
                                                     "range_end": "10.190.190.200",
                                                     "dns": ["1.1.1.1", "9.9.9.9"],
                                                     "domain_name": "lab.example.com"}],
                        hosts=[{"name": "web01", "mac": "2:8:20:a:b:c", "address": "10.190.190.10",
                                "hostname": "web01"}])
    assert text.startswith(DHCPD_CONF)
    assert blocks.find_block(text, "lab") == [
        "subnet 10.190.190.0 netmask 255.255.255.0 {",
        "  option routers 10.190.190.1;",
        "  range 10.190.190.100 10.190.190.200;",
        "  option domain-name-servers 1.1.1.1, 9.9.9.9;",
        '  option domain-name "lab.example.com";',
        "}",
        "host web01 {",
        "  hardware ethernet 02:08:20:0a:0b:0c;",
        "  fixed-address 10.190.190.10;",
        '  option host-name "web01";',
        "}",
    ]
    parsed = dhcpd_parse.parse(text)
    assert [h["name"] for h in parsed["hosts"]] == ["old", "web01"]
    assert parsed["hosts"][1]["mac"] == "02:08:20:0a:0b:0c"
    assert dhcpd.render(text, "lab", subnets=[], hosts=[]).startswith(DHCPD_CONF)
    assert dhcpd.render(text, "lab", subnets=None, hosts=None) == DHCPD_CONF


@pytest.mark.parametrize("host", [
    {"name": "web01; }", "mac": "2:8:20:a:b:c", "address": "10.0.0.5"},
    {"name": "web01", "mac": "2:8:20:a:b:c;", "address": "10.0.0.5"},
    {"name": "web01", "mac": "2:8:20:a:b:c", "address": "10.0.0.5; option x"},
    {"name": "web01", "mac": "2:8:20:a:b:c", "address": "10.0.0.5", "hostname": 'web"01'},
    {"name": "web01", "mac": "2:8:20:a:b:c"},
    {"name": "web01", "mac": "2:8:20:a:b:c", "address": "10.0.0.5", "colour": "red"},
])
def test_dhcpd_host_injection_and_missing_keys(host):
    with pytest.raises(InputError):
        dhcpd.render("", "lab", hosts=[host])


@pytest.mark.parametrize("subnet", [
    {"subnet": "10.0.0.5/24"}, {"subnet": "10.0.0.0/24", "range_start": "10.0.1.1", "range_end": "10.0.1.9"},
    {"subnet": "10.0.0.0/24", "range_start": "10.0.0.9", "range_end": "10.0.0.1"},
    {"subnet": "10.0.0.0/24", "domain_name": 'x"; }'}, {"subnet": "10.0.0.0/24", "routers": "gw"},
])
def test_dhcpd_bad_subnets(subnet):
    with pytest.raises(InputError):
        dhcpd.render("", "lab", subnets=[subnet])


def test_numbered_lines_say_which_lines_are_inside_the_block():
    text = "pass in all\n# BEGIN %s web\nblock in quick from 10.0.0.5 to any\n# END %s web\n# tail\n" % (
        blocks.MARKER, blocks.MARKER)
    assert list(blocks.numbered_lines(text, "web")) == [
        (1, "pass in all", False), (3, "block in quick from 10.0.0.5 to any", True), (5, "# tail", False)]
    assert list(blocks.numbered_lines("a\nb\n", "web")) == [(1, "a", False), (2, "b", False)]
    with pytest.raises(ParseError):
        list(blocks.numbered_lines(text + "# END %s web\n" % blocks.MARKER, "web"))
