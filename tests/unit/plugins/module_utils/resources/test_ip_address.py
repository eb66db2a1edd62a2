"""The IP address planner: address objects, addresses with prefix, and what differs."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.ip_address import (
    address_view, canonical_address, find, mismatches, normalize_spec)

LIVE = {"addrobj": "vnic0/v4", "interface": "vnic0", "type": "static", "state": "ok", "addr": "10.0.0.5/24",
        "ip_version": "v4", "source": "live"}
STORED = {"id": 3, "host": "hv", "addrobj": "vnic0/v6", "interface": "vnic0", "type": "static", "state": "ok",
          "addr": "fd00::5/64", "ip_address": "fd00::5", "prefix_length": 64, "ip_version": "v6"}


def spec(**params):
    params.setdefault("addrobj", "vnic0/v4")
    return normalize_spec(params)


@pytest.mark.parametrize("addrobj", ["vnic0", "vnic0/", "/v4", "vnic0/4v", "vnic0/v-4", "vnic/v4", "vnic0/v4/x",
                                     "vnic0;reboot/v4", None])
def test_bad_addrobj_is_refused(addrobj):
    with pytest.raises(InputError) as err:
        spec(addrobj=addrobj)
    assert "addrobj" in str(err.value)


def test_addrobj_parts():
    s = spec(addrobj="provisioning_0/v4static", address="10.190.190.1/24")
    assert (s["addrobj"], s["interface"], s["type"]) == ("provisioning_0/v4static", "provisioning_0", "static")


def test_address_needs_a_prefix():
    with pytest.raises(InputError) as err:
        spec(address="10.0.0.5")
    assert "prefix length" in str(err.value)
    with pytest.raises(InputError):
        spec(address="10.0.0.300/24")


def test_type_and_address_rules():
    with pytest.raises(InputError, match="only for type=static"):
        spec(type="dhcp", address="10.0.0.5/24")
    with pytest.raises(InputError, match="needs address"):
        spec(type="static")
    assert "type" not in spec(state="enabled")  # an existing object can be enabled without restating it
    assert spec(type="static", state="absent")["type"] == "static"
    assert spec(address="fd00::5/64")["address"] == "fd00::5/64"


def test_views_of_live_and_stored_rows():
    assert address_view(LIVE) == {"addrobj": "vnic0/v4", "interface": "vnic0", "type": "static", "state": "ok",
                                  "address": "10.0.0.5/24", "ip_version": "v4", "enabled": True}
    assert address_view(dict(LIVE, state="disabled"))["enabled"] is False
    # The agent's live parser splits IPv6 at ipadm's escaped colons; the stored row is whole.
    assert address_view(dict(STORED, addr="\\"))["address"] == "fd00::5/64"
    assert find([LIVE, STORED], "vnic0/v6")["address"] == "fd00::5/64"
    assert find([LIVE], "vnic1/v4") is None


def test_compare_after_normalisation():
    assert canonical_address("FD00:0::5/64") == "fd00::5/64"
    assert canonical_address("10.0.0.5") is None
    assert mismatches(spec(address="10.0.0.5/24"), address_view(LIVE)) == {}
    assert mismatches(spec(address="10.0.0.6/24"), address_view(LIVE)) == {"address": ("10.0.0.5/24", "10.0.0.6/24")}
    assert mismatches(spec(address="10.0.0.5/16"), address_view(LIVE)) == {"address": ("10.0.0.5/24", "10.0.0.5/16")}
    assert mismatches(spec(type="dhcp"), address_view(LIVE)) == {"type": ("static", "dhcp")}
    assert mismatches(spec(), address_view(LIVE)) == {}
