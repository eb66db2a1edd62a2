"""zoneweaver.illumos.ip_forwarding against both simulator generations, through ansible-playbook."""

NETWORK_MODULES = ("vnic", "etherstub", "vlan", "ip_address", "ip_forwarding", "network_info")


def defaults(sim):
    """The connection for each network module, given per module so the test does not depend on
    the action group listing in meta/runtime.yml."""
    return {"zoneweaver.illumos." + m: {"api_url": sim.url, "api_key": sim.admin_key} for m in NETWORK_MODULES}


def fw_task(title, check=False, ignore=False, **options):
    task = {"name": title, "zoneweaver.illumos.ip_forwarding": options, "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


def test_forwarding_apply_idempotent_and_interface_off(play, sim):
    checked = play([fw_task("check", check=True, ipv4=True, interfaces=[{"name": "igb0"}])],
                   module_defaults=defaults(sim), extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check"]
    assert result["changed"] is True
    assert result["diff"] == {"before": {"ipv4": False, "interfaces": {"igb0": False}},
                              "after": {"ipv4": True, "interfaces": {"igb0": True}}}
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([
        fw_task("enable", ipv4=True, interfaces=[{"name": "igb0"}]),
        fw_task("again", ipv4=True, ipv6=False, interfaces=[{"name": "igb0", "enabled": True}]),
        fw_task("nothing set"),
        fw_task("interface off, global stays on", ipv4=True, interfaces=[{"name": "igb0", "enabled": False}]),
        fw_task("interface off again", interfaces=[{"name": "igb0", "enabled": False}]),
        fw_task("ipv6 cannot change", ignore=True, ipv6=True),
        fw_task("global off", ipv4=False),
    ], module_defaults=defaults(sim), extra_args=["--diff"])
    assert run.rc == 0, run.output
    enabled = run["enable"]
    assert enabled["changed"] is True
    assert enabled["forwarding"]["ipv4"] is True
    assert {"name": "igb0", "enabled": True} in enabled["forwarding"]["interfaces"]
    assert len(enabled["tasks"]) == 1
    assert run["again"]["changed"] is False and run["nothing set"]["changed"] is False
    off = run["interface off, global stays on"]
    assert off["changed"] is True and off["forwarding"]["ipv4"] is True
    assert {"name": "igb0", "enabled": False} in off["forwarding"]["interfaces"]
    assert any("turned on again" in w for w in off.get("warnings", [])), off
    assert run["interface off again"]["changed"] is False
    assert run.outcome("ipv6 cannot change") == "failed"
    assert "cannot change it" in run["ipv6 cannot change"]["msg"]
    assert run["global off"]["changed"] is True and run["global off"]["forwarding"]["ipv4"] is False


def test_bad_interface_is_refused_before_any_request(play, sim):
    run = play([fw_task("bad name", ignore=True, interfaces=[{"name": "igb0; reboot"}]),
                fw_task("contradiction", ignore=True, interfaces=[{"name": "igb0"}, {"name": "igb0", "enabled": False}])],
               module_defaults=defaults(sim))
    assert run.outcome("bad name") == "failed" and "datalink name" in run["bad name"]["msg"]
    assert run.outcome("contradiction") == "failed" and "both enabled and disabled" in run["contradiction"]["msg"]
    assert [e for e in sim.log if not e["path"].startswith("/_sim/")] == []
