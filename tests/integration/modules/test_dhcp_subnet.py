"""zoneweaver.illumos.dhcp_subnet against both simulator generations, through ansible-playbook."""

SUBNET = {"subnet": "10.190.190.0/24", "router": "10.190.190.1", "range_start": "10.190.190.10",
          "range_end": "10.190.190.254", "dns": ["9.9.9.9", "1.1.1.1"], "listen_interface": "provisioning_0"}
NO_DNS = {k: v for k, v in SUBNET.items() if k != "dns"}


def subnet_task(sim, name, options, check=False, ignore=False):
    """A dhcp_subnet task. The connection is given explicitly so the test does not depend on the
    action group listing in meta/runtime.yml."""
    args = dict(options, api_url=sim.url, api_key=sim.admin_key)
    task = {"name": name, "zoneweaver.illumos.dhcp_subnet": args, "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


def test_apply_idempotent_check_and_diff(play, sim):
    checked = play([subnet_task(sim, "check", SUBNET, check=True)], extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check"]
    assert result["changed"] is True and result["actions"] == ["write subnet 10.190.190.0/24"]
    assert result["diff"]["after"]["subnets"][0]["range_end"] == "10.190.190.254"
    assert result["diff"]["after"]["listen_interface"] == "provisioning_0"
    assert sim.mutations() == [], "check mode sent a mutating request"

    dotted = dict(SUBNET, subnet="10.190.190.0", netmask="255.255.255.0")
    run = play([
        subnet_task(sim, "write", SUBNET),
        subnet_task(sim, "again", SUBNET),
        subnet_task(sim, "netmask form", dotted),
        subnet_task(sim, "prefix as netmask", dict(dotted, netmask="24")),
        subnet_task(sim, "without dns keeps it", NO_DNS),
        subnet_task(sim, "move the range", dict(NO_DNS, range_start="10.190.190.100")),
        subnet_task(sim, "dns order matters", dict(SUBNET, range_start="10.190.190.100", dns=["1.1.1.1", "9.9.9.9"])),
    ], extra_args=["--diff"])
    assert run.rc == 0, run.output
    written = run["write"]
    assert written["changed"] is True
    assert written["subnet"] == {"subnet": "10.190.190.0", "netmask": "255.255.255.0", "prefix": 24,
                                 "router": "10.190.190.1", "range_start": "10.190.190.10",
                                 "range_end": "10.190.190.254", "dns": ["9.9.9.9", "1.1.1.1"],
                                 "listen_interface": "provisioning_0"}
    for name in ("again", "netmask form", "prefix as netmask", "without dns keeps it"):
        assert run[name]["changed"] is False, name
    moved = run["move the range"]
    assert moved["changed"] is True and moved["subnet"]["range_start"] == "10.190.190.100"
    assert moved["diff"]["before"]["subnets"][0]["range_start"] == "10.190.190.10"
    assert run["dns order matters"]["subnet"]["dns"] == ["1.1.1.1", "9.9.9.9"]
    puts = [m for m in sim.mutations() if m["path"] == "/network/dhcp/config"]
    assert len(puts) == 3
    assert puts[1]["body"]["dns"] == "9.9.9.9, 1.1.1.1", "the DNS servers were not carried over"


def test_other_subnet_is_replaced_with_a_warning(play, sim):
    run = play([
        subnet_task(sim, "first", {"subnet": "10.0.0.0/16", "router": "10.0.0.1", "range_start": "10.0.1.0",
                                   "range_end": "10.0.1.255"}),
        subnet_task(sim, "second", SUBNET),
    ])
    assert run.rc == 0, run.output
    second = run["second"]
    assert second["actions"] == ["write subnet 10.190.190.0/24", "drop subnet 10.0.0.0/255.255.0.0"]
    assert any("replaces 10.0.0.0/255.255.0.0" in w for w in second["warnings"])


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("no netmask", dict(SUBNET, subnet="10.190.190.0"), "needs a netmask"),
        ("range outside", dict(SUBNET, range_end="10.190.191.20"), "range_end 10.190.191.20 is outside the subnet"),
        ("router outside", dict(SUBNET, router="192.168.1.1"), "router 192.168.1.1 is outside the subnet"),
        ("range reversed", dict(SUBNET, range_start="10.190.190.200", range_end="10.190.190.100"), "is after range_end"),
        ("host bits", dict(SUBNET, subnet="10.190.190.1/24"), "did you mean 10.190.190.0/24"),
        ("absent", dict(SUBNET, state="absent"), "no way to remove"),
        ("missing router", {"subnet": "10.190.190.0/24", "range_start": "10.190.190.10",
                            "range_end": "10.190.190.20"}, "router is required"),
    ]
    run = play([subnet_task(sim, name, options, ignore=True) for name, options, _needle in bad])
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed", run[name]
        assert needle in run[name]["msg"], run[name]["msg"]
    assert sim.log == [], "bad input cost a request"
