"""Box versions: ordering as versions (not strings), selectors, BoxVault's 'v' stripping."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.versions import (
    Selector, Version, check_name, sort_versions, strip_v)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError


@pytest.mark.parametrize("older,newer", [
    ("2025.9.30", "2025.10.1"),          # string order gets this wrong
    ("1.9", "1.10"),
    ("1.0.0", "1.0.1"),
    ("1.0.0-rc1", "1.0.0"),              # pre-release before the release
    ("1.0.0-rc.2", "1.0.0-rc.10"),
    ("1.0.0a1", "1.0.0b1"),
    ("1.0.0-beta", "1.0.0-rc1"),
    ("1.0.0", "1.0.0-1"),                # numeric revision: a post-release
    ("1.0.0", "1.0.0.post2"),
    ("1.0.0-1", "1.0.0-2"),
    ("not-a-version", "0.0.1"),          # names that are not versions sort below every version
    ("v1.9", "1.10"),
    ("2024.12.31", "v2025.1.0"),
])
def test_ordering(older, newer):
    assert Version(older) < Version(newer)
    assert sort_versions([newer, older]) == [older, newer]


def test_equal_forms():
    assert Version("1.0") == Version("1.0.0") == Version("v1.0.0")
    assert Version("1.0.0+build7") == Version("1.0.0")
    assert strip_v("v1.0") == "1.0" and strip_v("vagrant") == "vagrant" and strip_v("V2") == "2"


def test_sort_many():
    names = ["2025.10.1", "2025.9.30", "2025.8.22", "2025.10.1-rc1", "v2025.2.0", "2024.12.1"]
    assert sort_versions(names, reverse=True) == ["2025.10.1", "2025.10.1-rc1", "2025.9.30", "2025.8.22",
                                                  "v2025.2.0", "2024.12.1"]


VERSIONS = ["2024.12.1", "2025.1.0", "2025.8.22", "2025.9.30", "2025.10.1", "2026.1.0-rc1", "v2025.5.0"]


@pytest.mark.parametrize("selector,expected", [
    (None, "2025.10.1"),                        # latest skips the pre-release
    ("latest", "2025.10.1"),
    ("2025.8.22", "2025.8.22"),
    ("2025.5.0", "v2025.5.0"),                  # exact matches BoxVault's stored 'v' name
    ("v2025.8.22", "2025.8.22"),
    (">=2025.1,<2026", "2025.10.1"),
    (">=2025.1, <2025.9", "2025.8.22"),
    ("<2025", "2024.12.1"),
    ("~=2025.8", "2025.10.1"),
    ("~=2025.8.1", "2025.8.22"),
    ("~=2025.8.0", "2025.8.22"),                # three parts as written: <2025.9
    ("~=2025.0", "2025.10.1"),
    ("==2025.9.*", "2025.9.30"),
    ("!=2025.10.1", "2025.9.30"),
    (">=2026.1.0-rc1", "2026.1.0-rc1"),          # a constraint naming a pre-release admits it
    (">2026", "2026.1.0-rc1"),                # nothing final matches: the pre-release does
    (">2027", None),
    ("==2025.8.22", "2025.8.22"),
    ("=2025.8.22", "2025.8.22"),
])
def test_select(selector, expected):
    assert Selector(selector).select(VERSIONS) == expected


def test_latest_falls_back_to_prereleases_only():
    assert Selector("latest").select(["1.0.0-rc1", "1.0.0-rc2"]) == "1.0.0-rc2"
    assert Selector(">=1.5").select(["2.0.0-beta", "1.0"]) == "2.0.0-beta"
    assert Selector(">=2").select(["2.0.0-beta", "1.0"]) is None   # 2.0.0-beta comes before 2


def test_prefix_with_zero_component_is_not_shortened():
    assert Selector("==2025.0.*").select(["2025.0.3", "2025.5.1"]) == "2025.0.3"
    assert Selector("==2025.0.*").matches("2025") is True


@pytest.mark.parametrize("bad", [">=", ">=2025,", "~=2025", ">=2025.*", "1..2", "-1.0", "1.0;reboot", "a b"])
def test_bad_selectors_are_refused(bad):
    with pytest.raises(InputError):
        Selector(bad)


def test_check_name():
    assert check_name("2025.8.22", "version") == "2025.8.22"
    for bad in ("", ".hidden", "-x", "a..b", "x/y", "x;y"):
        with pytest.raises(InputError) as info:
            check_name(bad, "version")
        assert "version" in str(info.value)
