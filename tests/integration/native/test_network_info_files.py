"""network_info with backend=native reads NAT and DHCP from the files nat_rule and dhcp_host write
(nat_config_file, dhcp_config_file), so a role can read back what it wrote on a host whose services
read other files than the defaults; the agent ignores both options with a warning."""

from zoneweaver_sim import natdhcp
from zw_harness import native_play, run_play


def test_native_nat_and_dhcp_sections_follow_the_given_files(tmp_path, host):
    nat_conf = natdhcp.host_path(host, "/etc/ipf/ipnat.conf")
    dhcp_conf = natdhcp.host_path(host, "/etc/dhcpd.conf")
    run = native_play(tmp_path, host, [
        {"name": "entry", "zoneweaver.illumos.dhcp_host": {
            "hostname": "web-env", "mac": "02:08:20:0a:0b:0c", "ip": "10.190.190.20", "backend": "native",
            "config_file": dhcp_conf}},
        {"name": "rdr", "zoneweaver.illumos.nat_rule": {
            "type": "rdr", "bridge": "igb0", "subnet": "203.0.113.7/32", "target": "10.190.190.20/32",
            "backend": "native", "config_file": nat_conf}},
        {"name": "read", "zoneweaver.illumos.network_info": {
            "gather": ["nat", "dhcp"], "backend": "native", "nat_config_file": nat_conf,
            "dhcp_config_file": dhcp_conf}, "register": "info"},
    ])
    assert run.rc == 0, run.output
    info = run["read"]
    assert info["unavailable"] == []
    assert info["dhcp"]["config_file"] == dhcp_conf and info["nat"]["config_file"] == nat_conf
    assert [(h["hostname"], h["ip"]) for h in info["dhcp"]["hosts"]] == [("web-env", "10.190.190.20")]
    assert [(r["type"], r["bridge"], r["subnet"], r["target"]) for r in info["nat"]["rules"]] == \
        [("rdr", "igb0", "203.0.113.7/32", "10.190.190.20/32")]


def test_the_agent_ignores_the_file_options_with_a_warning(tmp_path, host):
    run = run_play(tmp_path, [{"name": "read", "zoneweaver.illumos.network_info": {
        "gather": ["dhcp"], "dhcp_config_file": "/etc/other-dhcpd.conf"}, "register": "info"}], sim=host)
    assert run.rc == 0, run.output
    assert any("dhcp_config_file is used only by the native backend" in w for w in run["read"].get("warnings", []))
