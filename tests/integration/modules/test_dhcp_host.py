"""zoneweaver.illumos.dhcp_host against both simulator generations, through ansible-playbook."""

WEB = {"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20"}


def host_task(sim, name, options, check=False, ignore=False):
    """A dhcp_host task. The connection is given explicitly so the test does not depend on the
    action group listing in meta/runtime.yml."""
    args = dict(options, api_url=sim.url, api_key=sim.admin_key)
    task = {"name": name, "zoneweaver.illumos.dhcp_host": args, "register": "out"}
    if check:
        task["check_mode"] = True
    if ignore:
        task["ignore_errors"] = True
    return task


def test_add_update_remove(play, sim):
    checked = play([host_task(sim, "check add", WEB, check=True)], extra_args=["--diff"])
    assert checked.rc == 0, checked.output
    assert checked["check add"]["changed"] is True and checked["check add"]["actions"] == ["add web01"]
    assert checked["check add"]["diff"] == {"before": {"hosts": []}, "after": {"hosts": [WEB]}}
    assert sim.mutations() == [], "check mode sent a mutating request"

    run = play([
        host_task(sim, "add", WEB),
        host_task(sim, "again", WEB),
        host_task(sim, "mac in another form", dict(WEB, mac="2:8:20:A:B:C")),
        host_task(sim, "new ip check", dict(WEB, ip="10.190.190.21"), check=True),
        host_task(sim, "new ip", dict(WEB, ip="10.190.190.21")),
        host_task(sim, "remove check", {"hostname": "web01", "state": "absent"}, check=True),
        host_task(sim, "remove", {"hostname": "web01", "state": "absent"}),
        host_task(sim, "remove again", {"hostname": "web01", "state": "absent"}),
    ], extra_args=["--diff"])
    assert run.rc == 0, run.output
    assert run["add"]["changed"] is True and run["add"]["host"] == WEB
    assert run["again"]["changed"] is False and run["mac in another form"]["changed"] is False
    assert run["new ip check"]["actions"] == ["remove web01 (ip changed; the agent has no update)", "add web01"]
    updated = run["new ip"]
    assert updated["changed"] is True and updated["host"] == dict(WEB, ip="10.190.190.21")
    assert updated["diff"]["before"] == {"hosts": [WEB]}
    assert run["remove check"]["changed"] is True
    assert run["remove"]["changed"] is True and run["remove"]["host"] == {}
    assert run["remove again"]["changed"] is False
    methods = [(m["method"], m["path"]) for m in sim.mutations()]
    assert methods == [("POST", "/network/dhcp/hosts"), ("DELETE", "/network/dhcp/hosts/web01"),
                       ("POST", "/network/dhcp/hosts"), ("DELETE", "/network/dhcp/hosts/web01")]
    assert sim.mutations()[0]["body"]["mac"] == "02:08:20:0a:0b:0c"


def test_conflict_is_named_and_replace_converges(play, sim):
    run = play([
        host_task(sim, "old", {"hostname": "old01", "mac": "2:8:20:a:b:c", "ip": "10.190.190.30"}),
        host_task(sim, "db", {"hostname": "db01", "mac": "02:08:20:0a:0b:0e", "ip": "10.190.190.20"}),
        host_task(sim, "conflict", WEB, ignore=True),
        host_task(sim, "replace check", dict(WEB, replace=True), check=True),
        host_task(sim, "replace", dict(WEB, replace=True)),
        host_task(sim, "replace again", dict(WEB, replace=True)),
        {"name": "hosts", "ansible.builtin.uri": {"url": sim.url + "/network/dhcp/config",
                                                  "headers": {"Authorization": "Bearer " + sim.admin_key}},
         "register": "config"},
    ])
    assert run.rc == 0, run.output
    conflict = run["conflict"]
    assert run.outcome("conflict") == "failed"
    assert "old01 (mac 02:08:20:0a:0b:0c, ip 10.190.190.30) shares the mac" in conflict["msg"], conflict["msg"]
    assert "db01 (mac 02:08:20:0a:0b:0e, ip 10.190.190.20) shares the ip" in conflict["msg"]
    assert "replace: true" in conflict["msg"]
    assert sorted(c["hostname"] for c in conflict["conflicts"]) == ["db01", "old01"]
    assert run["replace check"]["actions"] == ["remove old01 (conflicting mac)", "remove db01 (conflicting ip)",
                                               "add web01"]
    assert run["replace"]["changed"] is True and run["replace"]["host"] == WEB
    assert run["replace again"]["changed"] is False
    assert [h["hostname"] for h in run["hosts"]["json"]["hosts"]] == ["web01"]
    methods = [m["method"] for m in sim.mutations()]
    assert methods == ["POST", "POST", "DELETE", "DELETE", "POST"], "the conflict cost a request"


def test_bad_input_is_refused_before_any_request(play, sim):
    bad = [
        ("malformed mac", dict(WEB, mac="02:08:20:0a:0b"), "mac must be a MAC address"),
        ("bad ip", dict(WEB, ip="10.190.190.300"), "ip must be an IPv4 address"),
        ("bad hostname", dict(WEB, hostname="web01 { }"), "invalid hostname"),
        ("missing ip", {"hostname": "web01", "mac": WEB["mac"]}, "ip is required"),
    ]
    run = play([host_task(sim, name, options, ignore=True) for name, options, _needle in bad])
    for name, _options, needle in bad:
        assert run.outcome(name) == "failed", run[name]
        assert needle in run[name]["msg"], run[name]["msg"]
    assert sim.log == [], "bad input cost a request"
