"""nat_rule, nat_rule_info, dhcp_subnet, dhcp_host and dhcp_service with backend=native,
through ansible-playbook.

The play runs on localhost; PATH puts the simulator's fake ipnat, svcs, svcadm
and svccfg first, and config_file points the modules at the files the
simulated services read (under the simulator's files root), so the module and
the fake commands work on the same files.
"""

import os

from zoneweaver_sim import natdhcp
from zw_harness import native_play

RULE = "map igb0 10.190.190.0/24 -> 0/32 portmap tcp/udp auto"
HAND_IPNAT = "# rules written by hand\nbimap igb0 192.168.50.0/24 -> 203.0.113.0/24\n\n# keep this comment\n"
HAND_DHCPD = ("# dhcpd.conf written by hand\nauthoritative;\n"
              "subnet 10.0.0.0 netmask 255.255.255.0 { option routers 10.0.0.1; }\n"
              'host vm1 { option host-name "vm1"; hardware ethernet 02:08:20:ab:cd:ef; fixed-address 10.0.0.5; }\n')
IPF = "svc:/network/ipfilter:default"
DHCP = "svc:/network/service/dhcp:ipv4"
SUBNET = {"subnet": "10.190.190.0/24", "router": "10.190.190.1", "range_start": "10.190.190.10",
          "range_end": "10.190.190.254", "dns": ["9.9.9.9"]}


def conf(sim, which):
    return natdhcp.host_path(sim, "/etc/ipf/ipnat.conf" if which == "nat" else "/etc/dhcpd.conf")


def task(module, name, sim, check=False, **options):
    which = "nat" if module.startswith("nat") else "dhcp"
    args = dict({"backend": "native"}, **options)
    if module != "dhcp_service":
        args.setdefault("config_file", conf(sim, which))
    out = {"name": name, "zoneweaver.illumos." + module: args, "register": "out"}
    if check:
        out["check_mode"] = True
    return out


def nat(name, sim, **options):
    return task("nat_rule", name, sim, **dict({"bridge": "igb0", "subnet": "10.190.190.0/24"}, **options))


def read(path):
    with open(path) as handle:
        return handle.read()


def stamp(path):
    info = os.stat(path)
    return info.st_ino, info.st_mtime_ns


def svc_commands(sim):
    return [[c["tool"]] + c["argv"] for c in sim.commands() if c["tool"] in ("svcadm", "svccfg") and c["mutating"]]


def service_state(sim, fmri):
    return natdhcp.smf_instance(sim, fmri)["state"]


# --------------------------------------------------------------------------- NAT
def test_nat_rule_lifecycle(tmp_path, host):
    path = conf(host, "nat")
    with open(path, "w") as handle:
        handle.write(HAND_IPNAT)

    checked = native_play(tmp_path, host, [nat("check", host, check=True)], ["--diff"])
    assert checked.rc == 0, checked.output
    result = checked["check"]
    assert result["changed"] is True
    assert result["actions"] == ["create " + RULE, "svcadm enable network/ipfilter"]
    assert result["diff"][0]["before"] == "" and result["diff"][0]["after"] == RULE + "\n"
    assert read(path) == HAND_IPNAT and host.command_mutations() == []
    assert service_state(host, IPF) == "disabled"

    run = native_play(tmp_path, host, [nat("create", host)])
    assert run.rc == 0, run.output
    assert run["create"]["changed"] is True and run["create"]["rule"]["raw_rule"] == RULE
    text = read(path)
    assert text == (HAND_IPNAT + "# BEGIN zoneweaver.illumos managed nat_rule\n" + RULE + "\n"
                    "# END zoneweaver.illumos managed nat_rule\n")
    assert svc_commands(host) == [["svcadm", "enable", IPF]]
    assert [c["argv"][:2] for c in host.commands() if c["tool"] == "ipnat"] == [["-n", "-f"]]   # validated
    assert service_state(host, IPF) == "online"
    assert "map igb0 10.190.190.0/24 -> 0.0.0.0/32 portmap tcp/udp auto" in natdhcp.ipnat_list(host.state)

    before = stamp(path)
    host.clear_commands()
    run = native_play(tmp_path, host, [
        nat("again", host), nat("other spelling", host, target="0.0.0.0/32", protocol="tcp/udp"),
        task("nat_rule_info", "info", host),
    ])
    assert run.rc == 0, run.output
    assert run["again"]["changed"] is False and run["other spelling"]["changed"] is False
    assert stamp(path) == before and host.command_mutations() == [] and svc_commands(host) == []
    info = run["info"]
    rules = {r["raw_rule"]: r for r in info["configured_rules"]}
    assert set(rules) == {RULE, "bimap igb0 192.168.50.0/24 -> 203.0.113.0/24"}
    assert all(r["active"] is True for r in rules.values()), info["active_rules_text"]
    assert rules["bimap igb0 192.168.50.0/24 -> 203.0.113.0/24"]["id"] == "line:2"
    assert info["service"]["state"] == "online" and info["config_file"] == path

    host.clear_commands()
    run = native_play(tmp_path, host, [
        nat("second with backup", host, subnet="10.190.191.0/24", backup=True),
        nat("remove check", host, check=True, state="absent"),
    ], ["--diff"])
    assert run.rc == 0, run.output
    backup = run["second with backup"]["backup_file"]
    assert read(backup) == text and RULE.replace("190.0/24", "191.0/24") in read(path)
    assert svc_commands(host) == [["svcadm", "refresh", IPF]]
    removal = run["remove check"]
    assert removal["changed"] is True and removal["diff"][0]["after"] == RULE.replace("190.0/24", "191.0/24") + "\n"
    assert RULE in read(path)

    host.clear_commands()
    run = native_play(tmp_path, host, [
        nat("remove", host, state="absent"),
        nat("remove second", host, subnet="10.190.191.0/24", state="absent"),
        nat("remove again", host, state="absent"),
    ])
    assert run.rc == 0, run.output
    assert run["remove"]["changed"] is True and run["remove again"]["changed"] is False
    assert read(path) == HAND_IPNAT                        # block gone, every other line as it was
    assert svc_commands(host) == [["svcadm", "refresh", IPF]] * 2
    assert natdhcp.ipnat_list(host.state) == ("List of active MAP/Redirect filters:\n"
                                              "bimap igb0 192.168.50.0/24 -> 203.0.113.0/24\n"
                                              "\nList of active sessions:")


def test_nat_rule_bad_input_and_rules_outside_the_block(tmp_path, host):
    path = conf(host, "nat")
    with open(path, "w") as handle:
        handle.write(HAND_IPNAT)
    run = native_play(tmp_path, host, [
        dict(nat("host bits", host, subnet="10.190.190.1/24"), ignore_errors=True),
        dict(nat("protocol for bimap", host, type="bimap", protocol="tcp"), ignore_errors=True),
        dict(nat("bad bridge", host, bridge="igb0;reboot"), ignore_errors=True),
    ])
    for name, needle in (("host bits", "host bits"), ("protocol for bimap", "protocol"), ("bad bridge", "bridge")):
        assert run.outcome(name) == "failed" and needle in run[name]["msg"], run[name]
    assert host.commands() == []                           # refused before any command
    run = native_play(tmp_path, host, [dict(nat("hand rule", host, subnet="192.168.50.0/24", type="bimap",
                                                target="203.0.113.0/24", state="absent"), ignore_errors=True)])
    assert run.outcome("hand rule") == "failed"
    assert "line 2 of %s" % path in run["hand rule"]["msg"] and run["hand rule"]["error_type"] == "ConflictError"
    assert read(path) == HAND_IPNAT and host.command_mutations() == []


# --------------------------------------------------------------------------- DHCP
def test_dhcp_subnet_hosts_and_service(tmp_path, host):
    path = conf(host, "dhcp")
    with open(path, "w") as handle:
        handle.write(HAND_DHCPD)
    subnet = dict(SUBNET, listen_interface="provisioning0")
    run = native_play(tmp_path, host, [
        task("dhcp_subnet", "subnet check", host, check=True, **subnet),
        task("dhcp_host", "host check", host, check=True, hostname="web01", mac="2:8:20:a:b:c", ip="10.190.190.20"),
        task("dhcp_service", "start check", host, check=True, state="started"),
    ], ["--diff"])
    assert run.rc == 0, run.output
    assert run["subnet check"]["changed"] is True and "subnet 10.190.190.0 netmask 255.255.255.0 {" in \
        run["subnet check"]["diff"][0]["after"]
    assert run["subnet check"]["diff"][1]["after"] == "config/listen_ifnames = provisioning0\n"
    assert run["host check"]["changed"] is True and run["start check"]["changed"] is True
    assert read(path) == HAND_DHCPD and host.command_mutations() == []

    run = native_play(tmp_path, host, [
        task("dhcp_subnet", "subnet", host, **subnet),
        task("dhcp_host", "host", host, hostname="web01", mac="2:8:20:a:b:c", ip="10.190.190.20"),
        task("dhcp_service", "start", host, state="started"),
    ])
    assert run.rc == 0, run.output
    assert run["subnet"]["actions"] == ["write subnet 10.190.190.0/24",
                                        "svccfg setprop config/listen_ifnames = provisioning0",
                                        "svcadm refresh network/service/dhcp:ipv4"]   # disabled: no restart
    assert run["subnet"]["subnet"]["listen_interface"] == "provisioning0"
    assert run["host"]["host"] == {"hostname": "web01", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20"}
    assert run["start"]["service"]["state"] == "online"
    text = read(path)
    assert text.startswith(HAND_DHCPD)
    assert "# BEGIN zoneweaver.illumos managed dhcp_subnet\n" in text and "host web01 {\n" in text
    # the agent face reads the same SMF property and state
    assert host.state.dhcp["listen_interface"] == "provisioning0" and service_state(host, DHCP) == "online"

    before = stamp(path)
    host.clear_commands()
    run = native_play(tmp_path, host, [
        task("dhcp_subnet", "subnet again", host, **subnet),
        task("dhcp_host", "host again", host, hostname="web01", mac="02:08:20:0A:0B:0C", ip="10.190.190.20"),
        task("dhcp_service", "start again", host, state="started"),
    ])
    assert run.rc == 0, run.output
    assert [run[n]["changed"] for n in ("subnet again", "host again", "start again")] == [False] * 3
    assert stamp(path) == before and host.command_mutations() == []

    run = native_play(tmp_path, host, [
        task("dhcp_host", "new mac", host, hostname="web01", mac="02:08:20:0a:0b:0d", ip="10.190.190.20",
             backup=True),
        dict(task("dhcp_host", "conflict", host, hostname="web02", mac="02:08:20:ab:cd:ef", ip="10.190.190.21"),
             ignore_errors=True),
        dict(task("dhcp_host", "replace outside", host, hostname="web02", mac="02:08:20:ab:cd:ef",
                  ip="10.190.190.21", replace=True), ignore_errors=True),
        task("dhcp_subnet", "router", host, **{**subnet, "router": "10.190.190.2"}),
    ], ["--diff"])
    assert run.rc == 0, run.output
    assert run["new mac"]["actions"][-1] == "svcadm restart network/service/dhcp:ipv4"
    assert read(run["new mac"]["backup_file"]) == text
    assert "hardware ethernet 02:08:20:0a:0b:0c;" in run["new mac"]["diff"][0]["before"]
    assert "hardware ethernet 02:08:20:0a:0b:0d;" in run["new mac"]["diff"][0]["after"]
    assert run.outcome("conflict") == "failed" and "vm1" in run["conflict"]["msg"]
    assert run.outcome("replace outside") == "failed" and "outside the blocks" in run["replace outside"]["msg"]
    assert run["router"]["actions"] == ["update subnet 10.190.190.0/24", "svcadm restart network/service/dhcp:ipv4"]
    assert "option domain-name-servers 9.9.9.9;" in read(path)   # the options not compared are kept
    assert read(path).startswith(HAND_DHCPD) and service_state(host, DHCP) == "online"

    host.clear_commands()
    run = native_play(tmp_path, host, [
        task("dhcp_host", "remove host", host, hostname="web01", state="absent"),
        task("dhcp_subnet", "remove subnet", host, subnet="10.190.190.0/24", state="absent"),
        task("dhcp_subnet", "remove subnet again", host, subnet="10.190.190.0/24", state="absent"),
        task("dhcp_service", "stop", host, state="stopped"),
        task("dhcp_service", "stop again", host, state="stopped"),
        task("dhcp_service", "restart", host, state="restarted"),
        task("dhcp_service", "refresh", host, state="refreshed"),
    ])
    assert run.rc == 0, run.output
    assert run["remove host"]["changed"] is True and run["remove subnet"]["changed"] is True
    assert run["remove subnet again"]["changed"] is False
    assert read(path) == HAND_DHCPD
    assert run["stop"]["service"]["state"] == "disabled" and run["stop again"]["changed"] is False
    assert run["restart"]["service"]["state"] == "online"      # the hand-written subnet is still declared
    assert svc_commands(host) == [["svcadm", "restart", DHCP], ["svcadm", "restart", DHCP], ["svcadm", "disable", DHCP],
                                  ["svcadm", "enable", DHCP], ["svcadm", "refresh", DHCP]]


def test_dhcp_service_clears_maintenance_and_bad_input(tmp_path, host):
    run = native_play(tmp_path, host, [
        task("dhcp_service", "start without config", host, state="started"),
        task("dhcp_subnet", "subnet", host, **SUBNET),
        task("dhcp_service", "start again", host, state="started"),
        dict(task("dhcp_subnet", "outside the subnet", host, **{**SUBNET, "router": "10.190.191.1"}),
             ignore_errors=True),
        dict(task("dhcp_host", "bad mac", host, hostname="web01", mac="nope", ip="10.190.190.20"), ignore_errors=True),
    ])
    assert run.rc == 0, run.output
    first = run["start without config"]
    assert first["service"]["state"] == "maintenance" and any("maintenance" in w for w in first["warnings"])
    assert run["subnet"]["actions"] == ["write subnet 10.190.190.0/24", "svcadm clear network/service/dhcp:ipv4"]
    assert run["start again"]["changed"] is False and run["start again"]["service"]["state"] == "online"
    assert run.outcome("outside the subnet") == "failed" and "outside the subnet" in run["outside the subnet"]["msg"]
    assert run.outcome("bad mac") == "failed" and "mac" in run["bad mac"]["msg"]
    assert not [c for c in host.commands() if c["rc"] != 0]
