"""ipfilter_rule through ansible-playbook against the simulated host: the module edits the
managed block of the ipf.conf the simulated IP Filter loads, checks it with the fake `ipf -n -f`
and reloads IP Filter (svcadm) only when the file changed; `ipfstat -io` state shows the result."""

import os

from zoneweaver_sim import natdhcp
from zw_harness import native_play

HAND = "# written by hand\npass in all   # default policy\n\n# keep this comment\n"
BEGIN = "# BEGIN zoneweaver.illumos managed ipfilter_rule"
END = "# END zoneweaver.illumos managed ipfilter_rule"
BLOCK = "block in quick from 10.190.190.20 to any"
REPLIES = "pass out quick from any to 10.190.190.20 keep state"
IPF = "svc:/network/ipfilter:default"


def conf(sim):
    return natdhcp.host_path(sim, "/etc/ipf/ipf.conf")


def rule(name, sim, check=False, **options):
    args = dict({"config_file": conf(sim)}, **options)
    out = {"name": name, "zoneweaver.illumos.ipfilter_rule": args, "register": "out"}
    if check:
        out["check_mode"] = True
    return out


def block(name, sim, **options):
    return rule(name, sim, **dict({"action": "block", "direction": "in", "quick": True,
                                   "source": "10.190.190.20"}, **options))


def read(path):
    with open(path) as handle:
        return handle.read()


def stamp(path):
    info = os.stat(path)
    return info.st_ino, info.st_mtime_ns


def loaded(sim):
    return sim.state.nat.get("ipf_loaded")


def test_ipfilter_rule_lifecycle(tmp_path, host):
    path = conf(host)
    with open(path, "w") as handle:
        handle.write(HAND)
    natdhcp.svc_enable(host, IPF)
    assert loaded(host) == ["pass in all"]

    checked = native_play(tmp_path, host, [block("check", host, check=True)], ["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check"]
    assert result["changed"] is True
    assert result["actions"] == ["add " + BLOCK, "svcadm refresh network/ipfilter"]
    assert result["diff"][0]["before"] == "" and result["diff"][0]["after"] == BLOCK + "\n"
    assert read(path) == HAND and host.command_mutations() == []
    assert not [c for c in host.commands() if c["tool"] == "ipf"]     # nothing validated, nothing loaded

    run = native_play(tmp_path, host, [
        block("create", host),
        rule("replies", host, action="pass", direction="out", quick=True, destination="10.190.190.20",
             keep_state=True),
    ])
    assert run.rc == 0, run.output
    assert run["create"]["changed"] is True and run["create"]["rule"]["rule"] == BLOCK
    assert run["create"]["rule"]["managed"] is True and run["create"]["rule"]["source"] == "10.190.190.20"
    assert read(path) == HAND + "%s\n%s\n%s\n%s\n" % (BEGIN, BLOCK, REPLIES, END)
    assert [c["argv"][:2] for c in host.commands() if c["tool"] == "ipf"] == [["-n", "-f"]] * 2    # validated
    assert [c["argv"] for c in host.command_mutations()] == [["refresh", IPF]] * 2
    assert loaded(host) == ["pass in all", BLOCK, REPLIES]          # IP Filter reloaded ipf.conf

    before = stamp(path)
    host.clear_commands()
    run = native_play(tmp_path, host, [
        block("again", host),
        rule("raw spelling", host, rule="block  in quick  from 10.190.190.20 to any   # same rule"),
        rule("hand-written", host, rule="pass in all"),
    ])
    assert run.rc == 0, run.output
    assert [run[name]["changed"] for name in ("again", "raw spelling", "hand-written")] == [False] * 3
    assert run["hand-written"]["rule"]["managed"] is False and run["hand-written"]["rule"]["line"] == 2
    assert stamp(path) == before and host.command_mutations() == []

    host.clear_commands()
    run = native_play(tmp_path, host, [block("remove check", host, state="absent", check=True)], ["--diff"])
    assert run.rc == 0, run.output
    assert run["remove check"]["changed"] is True and run["remove check"]["diff"][0]["after"] == REPLIES + "\n"
    assert stamp(path) == before and host.command_mutations() == []

    run = native_play(tmp_path, host, [
        block("remove", host, state="absent", backup=True),
        rule("remove replies", host, rule=REPLIES, state="absent"),
        block("remove again", host, state="absent"),
    ])
    assert run.rc == 0, run.output
    assert run["remove"]["changed"] is True and run["remove again"]["changed"] is False
    assert read(run["remove"]["backup_file"]) == HAND + "%s\n%s\n%s\n%s\n" % (BEGIN, BLOCK, REPLIES, END)
    assert read(path) == HAND                                  # block gone, every other line as it was
    assert [c["argv"] for c in host.command_mutations()] == [["refresh", IPF]] * 2
    assert loaded(host) == ["pass in all"]


def test_invalid_rules_are_refused_before_any_change(tmp_path, host):
    path = conf(host)
    with open(path, "w") as handle:
        handle.write(HAND)
    natdhcp.svc_enable(host, IPF)
    host.clear_commands()
    before = stamp(path)
    run = native_play(tmp_path, host, [
        dict(rule("ipf refuses", host, rule="block in from any to any port = 22"), ignore_errors=True),
        dict(rule("not a rule", host, rule="rm -rf /"), ignore_errors=True),
        dict(block("host bits", host, source="10.190.190.1/24"), ignore_errors=True),
        dict(block("port without protocol", host, port=22), ignore_errors=True),
        dict(rule("both forms", host, rule=BLOCK, action="block"), ignore_errors=True),
        dict(rule("hand-written removal", host, rule="pass in all", state="absent"), ignore_errors=True),
    ])
    assert run.rc == 0, run.output
    names = ("ipf refuses", "not a rule", "host bits", "port without protocol", "both forms", "hand-written removal")
    assert [run.outcome(name) for name in names] == ["failed"] * len(names)
    refused = run["ipf refuses"]
    assert "refused by `ipf -n -f %s`" % path in refused["msg"]
    assert "port operation on non tcp/udp" in refused["msg"]
    assert "must start with" in run["not a rule"]["msg"]
    assert "host bits set" in run["host bits"]["msg"]
    assert "port needs protocol tcp" in run["port without protocol"]["msg"]
    assert "cannot be combined with action" in run["both forms"]["msg"]
    assert "is on line 2 of %s, outside the block" % path in run["hand-written removal"]["msg"]
    assert read(path) == HAND and stamp(path) == before and host.command_mutations() == []
    assert not [name for name in os.listdir(os.path.dirname(path)) if name.endswith(".zwtmp")]
    assert loaded(host) == ["pass in all"]
