"""zfs list/get and zpool list/get: TAB separated, '-', inherited sources, ratios with or without 'x'."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zfs, zpool

# zfs list -H -p -o name,used,avail,refer,mountpoint,type,volsize
ZFS_LIST = (
    "rpool/zones\t37580963840\t196494753792\t98304\t/rpool/zones\tfilesystem\t-\n"
    "rpool/zones/vm1\t34359738368\t196494753792\t98304\t/rpool/zones/vm1\tfilesystem\t-\n"
    "rpool/zones/vm1/boot\t34359738368\t196494753792\t4294967296\t-\tvolume\t32212254720\n"
    "rpool/zones/vm1/path\t1245184\t196494753792\t1245184\t/rpool/zones/vm1/path\tfilesystem\t-\n"
)

# zfs get -H -p -o name,property,value,source ... rpool/zones/vm1/boot
ZFS_GET = (
    "rpool/zones/vm1/boot\tvolsize\t32212254720\tlocal\n"
    "rpool/zones/vm1/boot\tcompression\tlz4\tinherited from rpool\n"
    "rpool/zones/vm1/boot\tcompressratio\t1.52x\t-\n"
    "rpool/zones/vm1/boot\trefcompressratio\t1.48\t-\n"
    "rpool/zones/vm1/boot\trefreservation\t0\tlocal\n"
    "rpool/zones/vm1/boot\tcreation\t1718035200\t-\n"
    "rpool/zones/vm1/boot\tmountpoint\t-\t-\n"
    "rpool/zones/vm1/boot\tcom.example:owner\tops team\tlocal\n"
    "rpool/zones/vm1/boot\tvolblocksize\t8192\tdefault\n"
    "rpool/zones/vm1/boot\tsync\tstandard\treceived\n"
)


def test_zfs_list():
    rows = zfs.parse_list(ZFS_LIST)
    assert rows[0] == {"name": "rpool/zones", "used": 37580963840, "avail": 196494753792, "refer": 98304,
                       "mountpoint": "/rpool/zones", "type": "filesystem", "volsize": None}
    boot = rows[2]
    assert boot["type"] == "volume" and boot["mountpoint"] is None and boot["volsize"] == 32212254720


def test_zfs_list_custom_fields_and_errors():
    assert zfs.parse_list("rpool/a\t-\n", ["name", "origin"]) == [{"name": "rpool/a", "origin": None}]
    with pytest.raises(ParseError):
        zfs.parse_list("rpool/a 12 13\n")
    assert zfs.parse_list("") == []


def test_zfs_get():
    props = zfs.parse_get(ZFS_GET)["rpool/zones/vm1/boot"]
    assert props["volsize"] == {"value": 32212254720, "source": "local", "inherited_from": None}
    assert props["compression"] == {"value": "lz4", "source": "inherited", "inherited_from": "rpool"}
    assert props["compressratio"]["value"] == 1.52 and props["refcompressratio"]["value"] == 1.48
    assert props["refreservation"]["value"] == 0 and props["creation"]["value"] == 1718035200
    assert props["mountpoint"] == {"value": None, "source": None, "inherited_from": None}
    assert props["com.example:owner"]["value"] == "ops team"  # user property with a space
    assert props["volblocksize"]["source"] == "default"
    assert zfs.local_properties(props) == {"volsize": 32212254720, "refreservation": 0,
                                           "com.example:owner": "ops team", "sync": "standard"}


def test_zfs_get_several_datasets_and_bad_line():
    parsed = zfs.parse_get("a\tused\t1\t-\nb\tused\t2\t-\n")
    assert parsed["a"]["used"]["value"] == 1 and parsed["b"]["used"]["value"] == 2
    with pytest.raises(ParseError):
        zfs.parse_get("a\tused\t1\n")


# zpool list -H -p (reference sample) and an older release with 'x' ratios and a fragmentation '-'.
ZPOOL_LIST = (
    "rpool\t249108103168\t52613349376\t196494753792\t-\t-\t12\t21\t1.00\tONLINE\t-\n"
    "data\t3985729650688\t1099511627776\t2886218022912\t-\t-\t-\t27\t1.35x\tDEGRADED\t/mnt\n"
)


def test_zpool_list():
    rpool, data = zpool.parse_list(ZPOOL_LIST)
    assert rpool == {"name": "rpool", "size": 249108103168, "allocated": 52613349376, "free": 196494753792,
                     "checkpoint": 0, "expandsize": 0, "fragmentation": 12, "capacity": 21, "dedupratio": 1.0,
                     "health": "ONLINE", "altroot": None}
    assert data["fragmentation"] is None and data["dedupratio"] == 1.35 and data["altroot"] == "/mnt"
    with pytest.raises(ParseError):
        zpool.parse_list("rpool\t1\t2\n")


def test_zpool_get_and_version():
    parsed = zpool.parse_get("rpool\tsize\t249108103168\t-\nrpool\tautoexpand\toff\tdefault\n")
    assert parsed["rpool"]["size"]["value"] == 249108103168 and parsed["rpool"]["autoexpand"]["value"] == "off"
    # `zpool get version rpool`: '-' on feature-flag pools (community.general zfs relies on it)
    assert zpool.parse_version("NAME   PROPERTY  VALUE    SOURCE\nrpool  version   -        default\n") is None
    assert zpool.parse_version("NAME   PROPERTY  VALUE    SOURCE\nold    version   28       local\n") == 28
    with pytest.raises(ParseError):
        zpool.parse_version("")
