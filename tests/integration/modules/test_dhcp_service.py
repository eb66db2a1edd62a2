"""zoneweaver.illumos.dhcp_service against both simulator generations, through ansible-playbook."""


def service_task(sim, name, state, check=False):
    """A dhcp_service task. The connection is given explicitly so the test does not depend on the
    action group listing in meta/runtime.yml."""
    args = {"api_url": sim.url, "api_key": sim.admin_key, "state": state}
    task = {"name": name, "zoneweaver.illumos.dhcp_service": args, "register": "out"}
    if check:
        task["check_mode"] = True
    return task


SUBNET = {"subnet": "10.190.190.0/24", "router": "10.190.190.1", "range_start": "10.190.190.10",
          "range_end": "10.190.190.254"}


def test_states(play, sim):
    run = play([
        {"name": "subnet", "zoneweaver.illumos.dhcp_subnet": dict(SUBNET, api_url=sim.url, api_key=sim.admin_key)},
        service_task(sim, "stop first", "stopped"),
        service_task(sim, "start check", "started", check=True),
        service_task(sim, "start", "started"),
        service_task(sim, "start again", "started"),
        service_task(sim, "refresh", "refreshed"),
        service_task(sim, "restart check", "restarted", check=True),
        service_task(sim, "restart", "restarted"),
        service_task(sim, "stop", "stopped"),
        service_task(sim, "stop again", "stopped"),
    ], extra_args=["--diff"])
    assert run.rc == 0, run.output
    assert run["stop first"]["changed"] is False, "the simulated DHCP service should start disabled"
    assert run["start check"]["changed"] is True
    assert run["start check"]["diff"] == {"before": {"state": "disabled"}, "after": {"state": "online"}}
    started = run["start"]
    assert started["changed"] is True and started["actions"] == ["start"]
    assert started["service"]["state"] == "online" and started["service"]["service"] == "network/service/dhcp:ipv4"
    assert run["start again"]["changed"] is False
    assert run["refresh"]["changed"] is True and run["refresh"]["actions"] == ["refresh"]
    assert run["restart check"]["changed"] is True
    assert run["restart"]["changed"] is True and run["restart"]["service"]["state"] == "online"
    assert run["stop"]["changed"] is True and run["stop"]["service"]["state"] == "disabled"
    assert run["stop again"]["changed"] is False
    actions = [m["body"]["action"] for m in sim.mutations() if m["path"] == "/network/dhcp/status"]
    assert actions == ["start", "refresh", "restart", "stop"], "check mode or an idempotent run sent a request"


def test_start_without_a_subnet_warns_about_maintenance(play, sim):
    run = play([service_task(sim, "start", "started")])
    assert run.rc == 0, run.output
    started = run["start"]
    assert started["changed"] is True and started["service"]["state"] == "maintenance"
    assert any("maintenance" in w and "dhcpd.conf" in w for w in started["warnings"]), started
