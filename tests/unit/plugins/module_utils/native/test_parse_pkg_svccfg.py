"""pkg publisher/list and svccfg listprop parsers, and setprop rendering."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import pkg, svccfg

# `pkg publisher -H -F tsv` on OmniOS r151054 with a third-party publisher (a mirror line is [mem]).
PUBLISHERS = (
    "omnios\ttrue\tfalse\ttrue\torigin\tonline\thttps://pkg.omnios.org/r151054/core/\t-\n"
    "extra.omnios\ttrue\tfalse\ttrue\torigin\tonline\thttps://pkg.omnios.org/r151054/extra/\t-\n"
    "zoneweaver\ttrue\tfalse\tfalse\torigin\tdisabled\thttps://a.example.com/zw/\t-\n"
    "zoneweaver\ttrue\tfalse\tfalse\torigin\tdisabled\thttps://b.example.com/zw/\t-\n"
    "zoneweaver\ttrue\tfalse\tfalse\tmirror\tdisabled\thttps://mirror.example.com/zw/\t-\n"
    "empty\tfalse\tfalse\ttrue\torigin\tonline\t-\t-\n"
)
LIST = (
    "pkg://omnios/system/zones@0.5.11,5.11-151054.0:20250301T120000Z                i--\n"
    "pkg://extra.omnios/ooce/system/zadm@0.3.4-151054.0:20250301T120000Z           i--\n"
    "pkg://zoneweaver/system/virtualization/zoneweaver-agent@0.3.9-151054.0:20250301T120000Z i--\n"
)


def test_publishers_in_search_order_with_origins_and_mirrors():
    pubs = pkg.parse_publishers(PUBLISHERS)
    assert list(pubs) == ["omnios", "extra.omnios", "zoneweaver", "empty"]
    assert pubs["zoneweaver"] == {"name": "zoneweaver", "origins": ["https://a.example.com/zw/", "https://b.example.com/zw/"],
                                  "mirrors": ["https://mirror.example.com/zw/"], "enabled": False, "sticky": True}
    assert pubs["empty"]["origins"] == [] and pubs["empty"]["sticky"] is False


def test_publishers_refuse_other_shapes():
    with pytest.raises(ParseError):
        pkg.parse_publishers("PUBLISHER TYPE STATUS P LOCATION\nomnios origin online F https://x/\n")
    with pytest.raises(ParseError):
        pkg.parse_publishers("omnios\tyes\tfalse\ttrue\torigin\tonline\thttps://x/\t-\n")


def test_list_verbose_drops_the_build_part():
    packages = pkg.parse_list_verbose(LIST)
    assert packages["system/zones"]["version"] == "0.5.11-151054.0"
    assert packages["system/virtualization/zoneweaver-agent"] == {
        "publisher": "zoneweaver", "version": "0.3.9-151054.0",
        "fmri": "pkg://zoneweaver/system/virtualization/zoneweaver-agent@0.3.9-151054.0:20250301T120000Z"}
    assert pkg.parse_list_verbose("") == {}
    with pytest.raises(ParseError):
        pkg.parse_list_verbose("system/zones   0.5.11-151054.0   i--\n")     # pkg list without -v


@pytest.mark.parametrize("requested,version,matches", [
    (None, "0.3.9-151054.0", True),
    ("0.3.9", "0.3.9-151054.0", True),
    ("0.3", "0.3.9-151054.0", True),
    ("0.3.9-151054.0", "0.3.9-151054.0", True),
    ("0.3.1", "0.3.10-151054.0", False),
    ("0.3.9", "0.3.90-151054.0", False),
    ("0.5.11", "0.5.11,5.11-151054.0", True),
])
def test_version_matching_follows_pkg(requested, version, matches):
    assert pkg.version_matches(requested, version) is matches


def test_spec_and_stem_matching():
    assert pkg.split_spec("pkg:/ooce/system/zadm@0.3") == ("ooce/system/zadm", "0.3")
    installed = {"ooce/system/zadm": {}, "system/zones": {}, "system/zones/brand/bhyve": {}}
    assert pkg.match_installed(installed, "zadm") == ["ooce/system/zadm"]
    assert pkg.match_installed(installed, "zones") == ["system/zones"]
    assert pkg.match_installed(installed, "adm") == []
    for bad in ("-n", "a b", "x@", "x@-1", "x;rm"):
        assert not pkg.SPEC_RE.match(bad)


LISTPROP = (
    "config                       application\n"
    "config/listen_ifnames        astring     \"vnic0\" \"h_vnic 1\"\n"
    "config/config_file           astring     \"/etc/dhcpd.conf\"\n"
    "config/port                  count       5001\n"
    "config/debug                 boolean     false\n"
    "config/empty                 astring\n"
)


def test_listprop_values_by_type():
    props = svccfg.parse_listprop(LISTPROP)
    assert "config" not in props
    assert props["config/listen_ifnames"] == {"type": "astring", "values": ["vnic0", "h_vnic 1"]}
    assert props["config/port"] == {"type": "count", "values": ["5001"]}
    assert props["config/debug"]["values"] == ["false"]
    assert props["config/empty"]["values"] == []
    with pytest.raises(ParseError):
        svccfg.parse_listprop('config/x  astring  "unbalanced\n')


def test_setprop_value_quotes_strings_only():
    assert svccfg.setprop_value("astring", ["a b"]) == '"a b"'
    assert svccfg.setprop_value("astring", ["a", 'q"x']) == '("a" "q\\"x")'
    assert svccfg.setprop_value("count", ["5"]) == "5"
    # what svccfg would print back parses to the same values
    shown = svccfg.setprop_value("astring", ["a", "b c"])[1:-1]
    assert svccfg.parse_listprop("config/x  astring  " + shown)["config/x"]["values"] == ["a", "b c"]
