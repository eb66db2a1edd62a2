"""zonecfg renderers: quoting, injection attempts, create scripts, change scripts, round trips."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native import zonecfg_syntax as syntax
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zonecfg as parse
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import zone_config
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render import zonecfg as render
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_apply import apply
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_view import view_from_config

BHYVE_SPEC = {
    "brand": "bhyve",
    "zonepath": "/rpool/zones/vm1/path",
    "autoboot": True,
    "ram": 4 * 1024 ** 3,
    "vcpus": {"sockets": 1, "cores": 2, "threads": 1},
    "bootrom": "BHYVE_RELEASE_CSM",
    "boot_disk": "rpool/zones/vm1/boot",
    "disks": ["rpool/zones/vm1/disk0", {"path": "rpool/zones/vm1/disk1"}],
    "cdroms": ["/iso/debian-13.iso"],
    "nics": [{"physical": "vnice3_0001_0", "global_nic": "igb0", "vlan_id": 10, "mac_address": "2:8:20:a:b:c",
              "allowed_address": "10.0.0.5/24", "properties": {"netif": "e1000"}},
             {"physical": "vnici3_0001_1", "global_nic": "stub_0001_0", "mac_address": "auto"}],
    "vnc": "on",
    "cloud_init": {"enabled": True, "dns_domain": "example.com", "resolvers": ["1.1.1.1", "9.9.9.9"],
                   "sshkey": "ssh-ed25519 AAAAC3Nza ops@example.com", "password": "hunter2"},
    "extra": "-s 9,virtio-console,org.qemu.guest_agent.0=/tmp/qga.sock",
    "attrs": {"diskif": "virtio-blk", "netif": "virtio-net-viona", "hostbridge": "i440fx", "xhci": "on"},
}


def _lines(text):
    return text.splitlines()


# --------------------------------------------------------------------------- quoting
@pytest.mark.parametrize("value,expected", [
    ("plain", '"plain"'), ("a b", '"a b"'), ("x;y", '"x;y"'), ("k=v", '"k=v"'), ("(a)", '"(a)"'),
    ("[a,b]", '"[a,b]"'), ("#c", '"#c"'), ("", '""'), (True, '"true"'), (10, '"10"'),
])
def test_quote_always_quotes(value, expected):
    assert syntax.quote(value) == expected


@pytest.mark.parametrize("value", ['a"b', "a\nb", "a\rb", "tab\there", "nul\x00", "bell\x07", "del\x7f", None])
def test_quote_refuses_what_zonecfg_cannot_take(value):
    with pytest.raises(InputError):
        syntax.quote(value)


@pytest.mark.parametrize("value,expected", [
    ("/rpool/zones/x", "/rpool/zones/x"), ("bhyve", "bhyve"), ("has space", '"has space"'),
    ("default", '"default"'), ("net", '"net"'), ("a;b", '"a;b"'), ("a=b", '"a=b"'),
])
def test_bare_or_quoted_quotes_keywords_and_separators(value, expected):
    assert syntax.bare_or_quoted(value) == expected


def test_unquote_and_complex():
    assert syntax.unquote('"a b"') == "a b" and syntax.unquote("ab") == "ab"
    assert syntax.parse_complex('(name=netif,value="a,b")') == {"name": "netif", "value": "a,b"}
    assert syntax.parse_complex("ro") is None
    assert syntax.parse_list('[ro,"a=b"]') == ["ro", "a=b"] and syntax.parse_list("[]") == []


# --------------------------------------------------------------------------- injection
@pytest.mark.parametrize("field,value", [
    ("extra", '-s 9"; add net; set physical=evil0; end; "'),
    ("extra", "-s 9\nadd net\nset physical=evil0\nend"),
    ("vnc", "on\rremove attr name=ram"),
    ("cloud_init.sshkey", 'ssh-ed25519 AAAA "quoted" comment'),
    ("cloud_init.password", "pw\nset zonepath=/"),
    ("attrs.uuid", 'x"'),
])
def test_injection_attempts_are_refused(field, value):
    spec = dict(BHYVE_SPEC, cloud_init=dict(BHYVE_SPEC["cloud_init"]), attrs=dict(BHYVE_SPEC["attrs"]))
    if field.startswith("cloud_init."):
        spec["cloud_init"][field.split(".", 1)[1]] = value
    elif field.startswith("attrs."):
        spec["attrs"][field.split(".", 1)[1]] = value
    else:
        spec[field] = value
    with pytest.raises(InputError):
        zone_config.build_config(spec)


def test_semicolons_and_equals_stay_inside_one_quoted_value():
    spec = dict(BHYVE_SPEC, extra="-s 9,virtio-console; add net; set physical=evil0; end")
    text = render.render_config(zone_config.build_config(spec))
    assert 'set value="-s 9,virtio-console; add net; set physical=evil0; end"' in text
    assert "evil0" not in {n.get("physical") for n in parse.parse_export(text)["net"]}
    assert parse.attrs(parse.parse_export(text))["extra"] == spec["extra"]


@pytest.mark.parametrize("key,value", [
    ("zonepath", "/zones/x; rm -rf /"), ("zonepath", "relative/path"), ("bootrom", "BHYVE;RELEASE"),
    ("boot_disk", "rpool/x y"), ("cdroms", ["/iso/a b.iso"]), ("disks", ["../../etc"]),
])
def test_bad_paths_and_names(key, value):
    with pytest.raises(InputError):
        zone_config.build_config(dict(BHYVE_SPEC, **{key: value}))


@pytest.mark.parametrize("nic", [
    {"physical": "vnic 0"}, {"physical": "vnic0", "global_nic": "igb0;x"}, {"physical": "vnic0", "vlan_id": 4095},
    {"physical": "vnic0", "mac_address": "not-a-mac"}, {"physical": "vnic0", "allowed_address": "10.0.0.5"},
    {"physical": "vnic0", "color": "blue"}, {"physical": "vnic0", "properties": {"Bad Name": "x"}},
])
def test_bad_nics(nic):
    with pytest.raises(InputError):
        zone_config.build_config(dict(BHYVE_SPEC, nics=[nic]))


# --------------------------------------------------------------------------- create scripts
def test_bhyve_script_shape():
    text = render.render_config(zone_config.build_config(BHYVE_SPEC))
    lines = _lines(text)
    assert lines[:5] == ["create -b", "set zonepath=/rpool/zones/vm1/path", "set brand=bhyve", "set autoboot=true",
                         "set ip-type=exclusive"]
    # every zvol also exposed as a device, boot disk first
    assert 'set match="/dev/zvol/rdsk/rpool/zones/vm1/boot"' in lines
    assert lines.index('set match="/dev/zvol/rdsk/rpool/zones/vm1/boot"') < \
        lines.index('set match="/dev/zvol/rdsk/rpool/zones/vm1/disk1"')
    # the ISO: cdrom0 attr plus a read-only lofs mount of the same path
    fs = lines.index("add fs")
    assert lines[fs:fs + 7] == ["add fs", 'set dir="/iso/debian-13.iso"', 'set special="/iso/debian-13.iso"',
                                'set type="lofs"', "add options ro", "add options nodevices", "end"]
    net = lines.index("add net")
    assert lines[net:net + 8] == ["add net", 'set allowed-address="10.0.0.5/24"', 'set physical="vnice3_0001_0"',
                                  'set mac-addr="02:08:20:0a:0b:0c"', 'set vlan-id="10"', 'set global-nic="igb0"',
                                  'add property (name=netif,value="e1000")', "end"]
    assert 'set physical="vnici3_0001_1"' in lines and "mac-addr" not in text.split("vnici3_0001_1")[1].split("end")[0]
    config = parse.parse_export(text)
    assert parse.attrs(config) == {
        "ram": "4G", "vcpus": "sockets=1,cores=2,threads=1", "bootrom": "BHYVE_RELEASE_CSM",
        "bootdisk": "rpool/zones/vm1/boot", "disk0": "rpool/zones/vm1/disk0", "disk1": "rpool/zones/vm1/disk1",
        "cdrom0": "/iso/debian-13.iso", "vnc": "on", "cloud-init": "on", "dns-domain": "example.com",
        "resolvers": "1.1.1.1,9.9.9.9", "sshkey": "ssh-ed25519 AAAAC3Nza ops@example.com", "password": "hunter2",
        "extra": "-s 9,virtio-console,org.qemu.guest_agent.0=/tmp/qga.sock", "diskif": "virtio-blk",
        "hostbridge": "i440fx", "netif": "virtio-net-viona", "xhci": "on"}
    assert render.config_secrets(config) == ["hunter2"]


def test_bhyve_round_trip_config_and_view():
    config = zone_config.build_config(BHYVE_SPEC)
    text = render.render_config(config)
    parsed = parse.parse_export(text)
    assert parsed == config
    assert render.render_config(parsed) == text  # idempotent rendering
    view = view_from_config(parsed, {"name": "vm1", "state": "installed", "brand": "bhyve"})
    assert view["name"] == "vm1" and view["status"] == "installed" and view["brand"] == "bhyve"
    assert view["ram"] == 4 * 1024 ** 3 and view["vcpus"] == "sockets=1,cores=2,threads=1"
    assert view["autoboot"] is True and view["bootrom"] == "BHYVE_RELEASE_CSM"
    assert view["boot_disk"] == {"path": "rpool/zones/vm1/boot", "size": None}
    assert view["disks"] == [{"name": "disk0", "path": "rpool/zones/vm1/disk0"},
                             {"name": "disk1", "path": "rpool/zones/vm1/disk1"}]
    assert view["cdroms"] == [{"name": "cdrom0", "path": "/iso/debian-13.iso"}]
    assert view["nics"][0] == {"physical": "vnice3_0001_0", "global_nic": "igb0", "vlan_id": 10,
                               "mac_address": "02:08:20:0a:0b:0c", "allowed_address": "10.0.0.5/24"}
    assert view["nics"][1]["mac_address"] is None
    assert view["cloud_init"] == {"enabled": "on", "dns_domain": "example.com", "resolvers": ["1.1.1.1", "9.9.9.9"],
                                  "sshkey": "ssh-ed25519 AAAAC3Nza ops@example.com"}
    assert "password" not in repr(view)


def test_simple_vcpus_and_serial_boot_disk():
    config = zone_config.build_config({"brand": "bhyve", "zonepath": "/z/p", "vcpus": 4, "ram": "2048M",
                                       "boot_disk": {"path": "rpool/z/boot", "serial": "BOOT01"}})
    attrs = parse.attrs(config)
    assert attrs["vcpus"] == "4" and attrs["ram"] == "2G" and attrs["bootdisk"] == "rpool/z/boot,serial=BOOT01"
    assert config["device"] == [{"match": "/dev/zvol/rdsk/rpool/z/boot"}]
    view = view_from_config(config)
    assert view["boot_disk"]["path"] == "rpool/z/boot" and view["vcpus"] == 4


@pytest.mark.parametrize("ram", [1000, 1536 * 1024 + 1, "512K"])
def test_ram_must_be_whole_mib(ram):
    with pytest.raises(InputError):
        zone_config.build_config({"brand": "bhyve", "zonepath": "/z/p", "ram": ram})


def test_bhyve_refuses_shared_ip_and_unknown_keys_and_attr_clash():
    base = {"brand": "bhyve", "zonepath": "/z/p"}
    for extra in ({"ip_type": "shared"}, {"colour": "red"}, {"ram": "2G", "attrs": {"ram": "4G"}},
                  {"cloud_init": {"enabled": True, "userdata": "x"}}):
        with pytest.raises(InputError):
            zone_config.build_config(dict(base, **extra))


@pytest.mark.parametrize("brand", ["ipkg", "lipkg", "sparse", "pkgsrc"])
def test_os_zone_scripts(brand):
    spec = {"brand": brand, "zonepath": "/zones/web01", "autoboot": True,
            "nics": [{"physical": "web01_0", "global_nic": "igb0", "allowed_address": "192.168.1.20/24",
                      "defrouter": "192.168.1.1"}],
            "datasets": ["rpool/delegated/web01"],
            "fs": [{"dir": "/data", "special": "/export/data", "options": ["rw"]}]}
    config = zone_config.build_config(spec)
    text = render.render_config(config)
    assert _lines(text)[:5] == ["create -b", "set zonepath=/zones/web01", "set brand=%s" % brand,
                                "set autoboot=true", "set ip-type=exclusive"]
    assert 'set defrouter="192.168.1.1"' in text
    assert "add dataset" in text and "bootdisk" not in text
    assert parse.parse_export(text) == config


def test_lx_zone_kernel_version():
    config = zone_config.build_config({"brand": "lx", "zonepath": "/zones/lx1", "kernel_version": "4.4"})
    assert parse.attrs(config) == {"kernel-version": "4.4"}
    with pytest.raises(InputError):
        zone_config.build_config({"brand": "ipkg", "zonepath": "/zones/x", "kernel_version": "4.4"})
    with pytest.raises(InputError):
        zone_config.build_config({"brand": "lx", "zonepath": "/zones/x", "kernel_version": "4.4; rm"})


def test_unknown_brand():
    with pytest.raises(InputError):
        zone_config.build_config({"brand": "solaris10", "zonepath": "/z"})


# --------------------------------------------------------------------------- change scripts
def _current():
    return parse.parse_export(render.render_config(zone_config.build_config(BHYVE_SPEC)))


def test_no_changes_no_script():
    assert render.render_changes(_current(), {}) == ""


def test_select_existing_attrs_add_missing_ones():
    config = _current()
    config["attr"] = [a for a in config["attr"] if a["name"] != "bootrom"]
    text = render.render_changes(config, {"ram": 8 * 1024 ** 3, "vcpus": 4, "bootrom": "BHYVE_RELEASE",
                                          "autoboot": False})
    assert _lines(text) == [
        "set autoboot=false",
        'select attr name="ram"', 'set value="8G"', "end",
        'select attr name="vcpus"', 'set value="4"', "end",
        "add attr", 'set name="bootrom"', 'set type="string"', 'set value="BHYVE_RELEASE"', "end",
    ]


def test_unchanged_attr_value_writes_nothing():
    assert render.render_changes(_current(), {"ram": 4 * 1024 ** 3}) == ""


def test_cdrom_and_disk_swaps_reuse_freed_names():
    changes = {"remove_cdroms": ["cdrom0"], "add_cdroms": ["/iso/new.iso"],
               "remove_disks": ["disk1"], "add_disks": [{"path": "rpool/zones/vm1/disk9"}]}
    lines = _lines(render.render_changes(_current(), changes))
    assert lines[:2] == ['remove fs dir="/iso/debian-13.iso"', 'remove attr name="cdrom0"']
    assert lines[2:4] == ['remove device match="/dev/zvol/rdsk/rpool/zones/vm1/disk1"', 'remove attr name="disk1"']
    assert 'set name="cdrom0"' in lines and 'set value="/iso/new.iso"' in lines
    assert 'set dir="/iso/new.iso"' in lines
    assert 'set name="disk1"' in lines and 'set match="/dev/zvol/rdsk/rpool/zones/vm1/disk9"' in lines


def test_plain_cdrom_attr_counts_as_cdrom0():
    config = {"zonepath": "/z", "attr": [{"name": "cdrom", "type": "string", "value": "/iso/a.iso"}],
              "fs": [{"dir": "/iso/a.iso", "special": "/iso/a.iso", "type": "lofs"}]}
    text = render.render_changes(config, {"remove_cdroms": ["cdrom0"]})
    assert _lines(text) == ['remove fs dir="/iso/a.iso"', 'remove attr name="cdrom"']
    text = render.render_changes(config, {"add_cdroms": ["/iso/b.iso"]})
    assert 'set name="cdrom1"' in text


def test_nic_changes():
    changes = {"remove_nics": ["vnici3_0001_1"],
               "update_nics": [{"physical": "vnice3_0001_0", "vlan_id": 20, "allowed_address": "10.0.0.6/24"}],
               "add_nics": [{"physical": "vnicm3_0001_2", "global_nic": "auto"}]}
    lines = _lines(render.render_changes(_current(), changes))
    assert lines == ['remove net physical="vnici3_0001_1"',
                     'select net physical="vnice3_0001_0"', 'set allowed-address="10.0.0.6/24"', 'set vlan-id="20"',
                     "end",
                     "add net", 'set physical="vnicm3_0001_2"', 'set global-nic="auto"', "end"]


def test_update_of_missing_nic_is_refused():
    with pytest.raises(InputError):
        render.render_changes(_current(), {"update_nics": [{"physical": "nope0", "vlan_id": 3}]})


def test_cloud_init_changes_and_secrets():
    changes = {"cloud_init": {"enabled": "off", "sshkey": "ssh-rsa AAAAB3 new@key", "resolvers": [],
                              "password": "n3w-pass"}}
    text = render.render_changes(_current(), changes)
    assert 'select attr name="cloud-init"' in text and 'set value="off"' in text
    assert 'remove attr name="resolvers"' in text
    assert 'set value="ssh-rsa AAAAB3 new@key"' in text
    assert render.change_secrets(changes) == ["n3w-pass"]


def test_change_injection_refused():
    for changes in ({"bootrom": "X\nadd net"}, {"add_cdroms": ['/iso/a".iso']},
                    {"cloud_init": {"sshkey": 'k"; remove net physical=x; "'}},
                    {"add_disks": [{"path": "rpool/x\nend"}]}):
        with pytest.raises(InputError):
            render.render_changes(_current(), changes)


def test_change_set_keys_without_a_zonecfg_home_are_refused():
    with pytest.raises(InputError) as err:
        render.render_changes(_current(), {"tags": ["web"], "ram": 2 * 1024 ** 3})
    assert "tags" in str(err.value)


def test_new_disk_needs_a_path():
    with pytest.raises(InputError):
        render.render_changes(_current(), {"add_disks": [{"size": 10 * 1024 ** 3}]})


def test_change_scripts_do_what_was_planned():
    """Run each change script through the zonecfg interpreter and read the view back."""
    current = _current()
    changes = {"ram": 2 * 1024 ** 3, "vcpus": 8, "autoboot": False,
               "remove_cdroms": ["cdrom0"], "add_cdroms": ["/iso/x.iso", "/iso/y.iso"],
               "remove_disks": ["disk0"], "add_disks": [{"path": "rpool/zones/vm1/disk7"}],
               "remove_nics": ["vnici3_0001_1"], "update_nics": [{"physical": "vnice3_0001_0", "vlan_id": 20}],
               "add_nics": [{"physical": "vnicm3_0001_2", "global_nic": "stub_0001_0"}],
               "cloud_init": {"dns_domain": "example.org", "resolvers": ["8.8.8.8"], "password": "n3w"}}
    after = apply(render.render_changes(current, changes), current)
    view = view_from_config(after)
    assert view["ram"] == 2 * 1024 ** 3 and view["vcpus"] == 8 and view["autoboot"] is False
    assert [c["path"] for c in view["cdroms"]] == ["/iso/x.iso", "/iso/y.iso"]
    assert {f["dir"] for f in after["fs"]} == {"/iso/x.iso", "/iso/y.iso"}
    # the new disk takes the freed name disk0, so it keeps the position the planner meant
    assert [d["path"] for d in view["disks"]] == ["rpool/zones/vm1/disk7", "rpool/zones/vm1/disk1"]
    assert {d["match"] for d in after["device"]} == {"/dev/zvol/rdsk/rpool/zones/vm1/boot",
                                                     "/dev/zvol/rdsk/rpool/zones/vm1/disk1",
                                                     "/dev/zvol/rdsk/rpool/zones/vm1/disk7"}
    assert [(n["physical"], n["vlan_id"], n["global_nic"]) for n in view["nics"]] == [
        ("vnice3_0001_0", 20, "igb0"), ("vnicm3_0001_2", None, "stub_0001_0")]
    assert view["cloud_init"]["dns_domain"] == "example.org" and view["cloud_init"]["resolvers"] == ["8.8.8.8"]
    assert parse.attrs(after)["password"] == "n3w"
    # a second run against the new config has nothing left to do for the scalar keys
    assert render.render_changes(after, {"ram": 2 * 1024 ** 3, "vcpus": 8}) == ""


def test_hostile_values_stay_literal_through_zonecfg_lexing():
    hostile = "-s 9,x; add net; set physical=evil0; end; remove attr name=ram #"
    config = zone_config.build_config(dict(BHYVE_SPEC, extra=hostile))
    applied = apply(render.render_config(config))
    assert applied == config
    assert parse.attrs(applied)["extra"] == hostile
    assert [n["physical"] for n in applied["net"]] == ["vnice3_0001_0", "vnici3_0001_1"]
    after = apply(render.render_changes(applied, {"cloud_init": {"sshkey": "k; remove net physical=vnice3_0001_0"}}),
                  applied)
    assert len(after["net"]) == 2 and parse.attrs(after)["sshkey"] == "k; remove net physical=vnice3_0001_0"
