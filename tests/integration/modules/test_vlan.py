"""zoneweaver.illumos.vlan against both simulator generations, through ansible-playbook."""

NETWORK_MODULES = ("vnic", "etherstub", "vlan", "ip_address", "ip_forwarding", "network_info")


def defaults(sim):
    """The connection for each network module, given per module so the test does not depend on
    the action group listing in meta/runtime.yml."""
    return {"zoneweaver.illumos." + m: {"api_url": sim.url, "api_key": sim.admin_key} for m in NETWORK_MODULES}


def vlan_task(title, check=False, ignore=False, **options):
    task = {"name": title, "zoneweaver.illumos.vlan": options, "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


def test_identity_by_link_and_vid_or_by_name(play, sim):
    checked = play([vlan_task("check create", check=True, link="igb0", vid=20)], module_defaults=defaults(sim),
                   extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    assert checked["check create"]["changed"] is True
    assert checked["check create"]["diff"]["after"] == {"state": "present", "vid": 20, "link": "igb0"}
    assert sim.mutations() == [], "check mode sent a mutating request"

    sim.knobs.list_lag = 1
    run = play([
        vlan_task("derived name", link="igb0", vid=20),
        vlan_task("derived again", link="igb0", vid="20"),
        vlan_task("named", name="storage30", link="ixgbe0", vid=30),
        vlan_task("named again", name="storage30", link="ixgbe0", vid=30),
        vlan_task("named wrong vid", ignore=True, name="storage30", link="ixgbe0", vid=31),
        vlan_task("vid taken under another name", ignore=True, name="web20", link="igb0", vid=20),
        vlan_task("recreate with another vid", name="storage30", link="ixgbe0", vid=31, recreate=True),
        vlan_task("remove by pair check", check=True, state="absent", link="igb0", vid=20),
        vlan_task("remove by pair", state="absent", link="igb0", vid=20),
        vlan_task("remove by name", state="absent", name="storage30"),
        vlan_task("remove again", state="absent", name="storage30"),
        {"name": "info", "zoneweaver.illumos.network_info": {"gather": ["vlans"]}, "register": "info"},
    ], module_defaults=defaults(sim), extra_args=["--diff"])
    assert run.rc == 0, run.output
    derived = run["derived name"]
    assert derived["changed"] is True and derived["vlan"]["name"] == "igb20000"
    assert (derived["vlan"]["link"], derived["vlan"]["vid"]) == ("igb0", 20)
    assert run["derived again"]["changed"] is False
    assert run["named"]["vlan"]["name"] == "storage30" and run["named again"]["changed"] is False
    wrong = run["named wrong vid"]
    assert run.outcome("named wrong vid") == "failed" and "vid 30 (wanted 31)" in wrong["msg"]
    taken = run["vid taken under another name"]
    assert run.outcome("vid taken under another name") == "failed" and "igb20000" in taken["msg"]
    recreated = run["recreate with another vid"]
    assert recreated["changed"] is True and recreated["vlan"]["vid"] == 31
    assert run["remove by pair check"]["diff"]["before"]["name"] == "igb20000"
    assert run["remove by pair"]["changed"] is True and run["remove by name"]["changed"] is True
    assert run["remove again"]["changed"] is False
    assert run["info"]["vlans"] == []


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("vid out of range", {"link": "igb0", "vid": 5000}, "vid"),
        ("vid zero", {"link": "igb0", "vid": 0}, "vid"),
        ("no link", {"vid": 20}, "link"),
        ("bad name", {"name": "vlan;reboot0", "link": "igb0", "vid": 20}, "VLAN name"),
        ("absent without identity", {"state": "absent", "vid": 20}, "name, or its link and vid"),
    ]
    run = play([vlan_task(n, ignore=True, **o) for n, o, _needle in bad], module_defaults=defaults(sim))
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed", name
        assert needle in run[name]["msg"], run[name]["msg"]
    assert [e for e in sim.log if not e["path"].startswith("/_sim/")] == []
