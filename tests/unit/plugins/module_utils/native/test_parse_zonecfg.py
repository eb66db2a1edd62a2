"""zonecfg export (illumos-gate and OmniOS quoting) and info."""

import pathlib

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zonecfg
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render.zonecfg import render_config

FIXTURES = pathlib.Path(__file__).parent / "fixtures"

# The reference's sample (illumos-native.md 1.2): illumos-gate quoting, i.e.
# only values with a space are quoted, `value=sockets=...` printed bare.
GATE_EXPORT = (FIXTURES / "zonecfg_export_gate.txt").read_text()


# The same zone as OmniOS exports it [src illumos-omnios zonecfg.c export_prop]:
# every resource property quoted, net props in the order address,
# allowed-address, physical, mac-addr, vlan-id, global-nic, defrouter, then
# `add property (name=..,value="..")`.
OMNIOS_EXPORT = (FIXTURES / "zonecfg_export_omnios.txt").read_text()


def test_gate_export():
    config = zonecfg.parse_export(GATE_EXPORT, zonename="vm1")
    assert config["zonename"] == "vm1"
    assert config["zonepath"] == "/rpool/zones/vm1/path"
    assert config["brand"] == "bhyve" and config["autoboot"] == "false" and config["ip-type"] == "exclusive"
    assert config["fs"] == [{"dir": "/iso/deb.iso", "special": "/iso/deb.iso", "type": "lofs",
                             "options": ["ro", "nodevices"]}]
    assert config["net"] == [{"allowed-address": "10.0.0.5/24", "physical": "vnice3_0001_0", "global-nic": "igb0"}]
    assert config["device"] == [{"match": "/dev/zvol/rdsk/rpool/zones/vm1/boot"}]
    attrs = zonecfg.attrs(config)
    assert attrs["vcpus"] == "sockets=1,cores=2,threads=1"  # bare value with '=' kept whole
    assert attrs["extra"] == "-s 9,virtio-console,org.qemu.guest_agent.0=/tmp/qga.sock"
    assert [a["type"] for a in config["attr"]] == ["string"] * 3


def test_omnios_export_same_data_as_gate_where_they_overlap():
    gate = zonecfg.parse_export(GATE_EXPORT)
    omni = zonecfg.parse_export(OMNIOS_EXPORT)
    assert omni["fs"] == gate["fs"] and omni["device"] == gate["device"]
    assert zonecfg.attrs(omni)["vcpus"] == zonecfg.attrs(gate)["vcpus"]


def test_omnios_export_extensions():
    config = zonecfg.parse_export(OMNIOS_EXPORT)
    assert config["net"] == [{"allowed-address": "10.0.0.5/24", "physical": "vnice3_0001_0",
                              "mac-addr": "2:8:20:ab:cd:ef", "vlan-id": "10", "global-nic": "igb0",
                              "property": [{"name": "netif", "value": "e1000"}]}]
    assert config["rctl"] == [{"name": "zone.cpu-shares",
                               "value": [{"priv": "privileged", "limit": "10", "action": "none"}]}]
    assert config["dataset"] == [{"name": "rpool/delegated/vm1"}]
    assert zonecfg.attrs(config)["sshkey"].endswith("ops@example.com")


def test_omnios_export_round_trips_byte_for_byte():
    assert render_config(zonecfg.parse_export(OMNIOS_EXPORT)) == OMNIOS_EXPORT


def test_gate_export_round_trips_as_data():
    config = zonecfg.parse_export(GATE_EXPORT)
    assert zonecfg.parse_export(render_config(config)) == config


def test_fs_option_with_equals_is_quoted_in_export():
    text = 'create -b\nset zonepath=/z\nadd fs\nset dir=/data\nset special=tank/data\nset type=zfs\n' \
           'add options "mntopt=x"\nadd options ro\nend\n'
    config = zonecfg.parse_export(text)
    assert config["fs"][0]["options"] == ["mntopt=x", "ro"]
    assert render_config(config).count('add options "mntopt=x"') == 1


def test_native_brand_has_no_brand_line():
    config = zonecfg.parse_export("create -b\nset zonepath=/zones/web\nset autoboot=true\nset ip-type=exclusive\n")
    assert "brand" not in config and config["autoboot"] == "true"


@pytest.mark.parametrize("text", [
    "create -b\nadd net\nset physical=vnic0\n",              # never ended
    "create -b\nend\n",                                        # end outside a resource
    "create -b\nset zonepath\n",                               # no '='
    'create -b\nadd attr\nset value="a"b"\nend\n',             # stray quote
    "create -b\nfrobnicate\n",                                 # unknown command
    "create -b\nadd net\nadd property name=x\nend\n",          # property not (k=v)
])
def test_malformed_export(text):
    with pytest.raises(ParseError):
        zonecfg.parse_export(text)


def test_comments_and_blank_lines_ignored():
    text = "# exported\ncreate -b\n\nset zonepath=/z\ncommit\n"
    assert zonecfg.parse_export(text) == {"zonepath": "/z"}


# `zonecfg -z vm1 info` on OmniOS [src output_prop/output_net, illumos-omnios]:
# quoteit quotes only values with a space; unset net/fs props print
# `\tkey not specified`; empty globals print `key: ` with a trailing space.
INFO = (FIXTURES / "zonecfg_info_omnios.txt").read_text()


def test_info():
    config = zonecfg.parse_info(INFO)
    assert config["zonename"] == "vm1"  # what export lacks
    assert config["cpu-shares"] == "10"  # aliased rctl, bracketed in info
    assert "bootargs" not in config and "pool" not in config
    assert config["fs"] == [{"dir": "/iso/deb.iso", "special": "/iso/deb.iso", "type": "lofs",
                             "options": ["ro", "nodevices"]}]
    assert config["net"] == [{"allowed-address": "10.0.0.5/24", "global-nic": "igb0", "mac-addr": "2:8:20:ab:cd:ef",
                              "physical": "vnice3_0001_0", "vlan-id": "10",
                              "property": [{"name": "netif", "value": "e1000"}]}]
    assert config["rctl"][0]["value"] == [{"priv": "privileged", "limit": "10", "action": "none"}]
    assert zonecfg.attrs(config) == {"bootdisk": "rpool/zones/vm1/boot",
                                     "extra": "-s 9,virtio-console,org.qemu.guest_agent.0=/tmp/qga.sock"}


def test_info_and_omnios_export_agree_on_net_and_attrs():
    info = zonecfg.parse_info(INFO)
    export = zonecfg.parse_export(OMNIOS_EXPORT)
    assert info["net"] == export["net"]
    assert info["device"] == export["device"]
    assert info["fs"] == export["fs"]


def test_info_empty_options_and_unknown_resource():
    text = "zonename: z\nfs:\n\tdir: /a\n\tspecial: /b\n\ttype: lofs\n\toptions: []\nsecurity-flags:\n\tlower: none\n"
    config = zonecfg.parse_info(text)
    assert config["fs"] == [{"dir": "/a", "special": "/b", "type": "lofs"}]
    assert config["security-flags"] == [{"lower": "none"}]


def test_info_garbage_line():
    with pytest.raises(ParseError):
        zonecfg.parse_info("zonename: z\nthis is not info output\n")
