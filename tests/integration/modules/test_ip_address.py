"""zoneweaver.illumos.ip_address against both simulator generations, through ansible-playbook."""

NETWORK_MODULES = ("vnic", "etherstub", "vlan", "ip_address", "ip_forwarding", "network_info")


def defaults(sim):
    """The connection for each network module, given per module so the test does not depend on
    the action group listing in meta/runtime.yml."""
    return {"zoneweaver.illumos." + m: {"api_url": sim.url, "api_key": sim.admin_key} for m in NETWORK_MODULES}


def addr_task(title, check=False, ignore=False, **options):
    task = {"name": title, "zoneweaver.illumos.ip_address": dict({"addrobj": "app0/v4"}, **options),
            "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


VNIC = {"name": "app0 VNIC", "zoneweaver.illumos.vnic": {"name": "app0", "link": "igb0"}}


def test_lifecycle_states_and_recreate(play, sim):
    setup = play([VNIC], module_defaults=defaults(sim))
    assert setup.rc == 0, setup.output
    sim.clear_log()
    checked = play([addr_task("check create", check=True, address="10.0.0.5/24")], module_defaults=defaults(sim),
                   extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    assert checked["check create"]["changed"] is True
    assert checked["check create"]["diff"] == {"before": {"state": "absent"},
                                               "after": {"state": "present", "type": "static", "address": "10.0.0.5/24"}}
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([
        addr_task("create", address="10.0.0.5/24"),
        addr_task("again", address="10.0.0.5/24", type="static", state="enabled"),
        addr_task("v6", addrobj="app0/v6", address="fd00:0:0::5/64"),
        addr_task("v6 other form", addrobj="app0/v6", address="FD00::5/64"),
        addr_task("disable", state="disabled"),
        addr_task("disable again", state="disabled", address="10.0.0.5/24"),
        addr_task("present leaves it disabled", address="10.0.0.5/24"),
        addr_task("enable", state="enabled"),
        addr_task("other address", ignore=True, address="10.0.0.6/24"),
        addr_task("other address recreate check", check=True, address="10.0.0.6/24", recreate=True),
        addr_task("other address recreate", address="10.0.0.6/24", recreate=True),
        addr_task("created disabled", addrobj="app0/v4b", address="10.0.1.5/24", state="disabled"),
        addr_task("remove", state="absent"),
        addr_task("remove again", state="absent"),
        {"name": "info", "zoneweaver.illumos.network_info": {"gather": ["addresses"]}, "register": "info"},
    ], module_defaults=defaults(sim), extra_args=["--diff"])
    assert run.rc == 0, run.output
    created = run["create"]
    assert created["changed"] is True and created["actions"] == ["create"]
    assert created["address"]["address"] == "10.0.0.5/24" and created["address"]["enabled"] is True
    assert run["again"]["changed"] is False
    assert run["v6"]["address"]["address"] == "fd00::5/64" and run["v6 other form"]["changed"] is False
    assert run["disable"]["actions"] == ["disable"] and run["disable"]["address"]["enabled"] is False
    assert run["disable"]["diff"] == {"before": {"enabled": True}, "after": {"enabled": False}}
    assert run["disable again"]["changed"] is False
    assert run["present leaves it disabled"]["changed"] is False
    assert run["enable"]["actions"] == ["enable"] and run["enable"]["address"]["state"] == "ok"
    other = run["other address"]
    assert run.outcome("other address") == "failed"
    assert "10.0.0.5/24 (wanted 10.0.0.6/24)" in other["msg"] and "recreate" in other["msg"]
    assert other["mismatches"] == {"address": {"actual": "10.0.0.5/24", "wanted": "10.0.0.6/24"}}
    assert run["other address recreate check"]["diff"] == {"before": {"address": "10.0.0.5/24"},
                                                           "after": {"address": "10.0.0.6/24"}}
    assert run["other address recreate"]["address"]["address"] == "10.0.0.6/24"
    disabled = run["created disabled"]
    assert disabled["actions"] == ["create", "disable"] and disabled["address"]["enabled"] is False
    assert run["remove"]["changed"] is True and run["remove again"]["changed"] is False
    addrobjs = [a["addrobj"] for a in run["info"]["addresses"]]
    assert "app0/v4" not in addrobjs and "app0/v6" in addrobjs and "igb0/v4" in addrobjs


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("no prefix", {"address": "10.0.0.5"}, "prefix length"),
        ("not an address", {"address": "10.0.0.300/24"}, "not a valid IP address"),
        ("no slash", {"addrobj": "app0", "address": "10.0.0.5/24"}, "addrobj"),
        ("bad interface", {"addrobj": "app;0/v4", "address": "10.0.0.5/24"}, "addrobj"),
        ("address with dhcp", {"type": "dhcp", "address": "10.0.0.5/24"}, "only for type=static"),
        ("static without address", {"type": "static"}, "needs address"),
    ]
    run = play([addr_task(n, ignore=True, **o) for n, o, _needle in bad], module_defaults=defaults(sim))
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed", name
        assert needle in run[name]["msg"], run[name]["msg"]
    assert [e for e in sim.log if not e["path"].startswith("/_sim/")] == []
