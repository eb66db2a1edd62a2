"""ips_package and smf_service against a scripted host: the commands they run, check mode, idempotence."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources import ips_package, smf_service

TSV = "omnios\ttrue\tfalse\ttrue\torigin\tonline\thttps://pkg.omnios.org/r151054/core/\t-\n"
LIST = "pkg://omnios/system/zones@0.5.11-151054.0:20250301T120000Z i--\n"
ZW = "zoneweaver\ttrue\tfalse\ttrue\torigin\tonline\thttps://zw.example.com/\t-\n"


class Host:
    """run_command stand-in: answers by argv prefix, records every call."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv, check_rc=False, data=None, environ_update=None, **kw):
        self.calls.append(list(argv))
        for prefix, answer in self.answers:
            if list(argv[:len(prefix)]) == list(prefix):
                return answer(argv) if callable(answer) else answer
        raise AssertionError("unexpected command %r" % (argv,))


def pkg_params(**kw):
    params = {"name": None, "state": "present", "accept_licenses": False, "publisher": None, "pfexec": False}
    params.update(kw)
    return params


def test_install_with_new_publisher_in_check_mode_runs_only_reads():
    host = Host([(["pkg", "publisher"], (0, TSV, "")), (["pkg", "list"], (0, LIST, ""))])
    ctx = RunContext(check_mode=True, diff=True, run_command=host)
    result = ips_package.run(pkg_params(name=["zoneweaver-agent@0.3.9"],
                                        publisher={"name": "zoneweaver", "origins": ["https://zw.example.com/"],
                                                   "purge_origins": False, "enabled": None, "state": "present"}), ctx)
    assert result["changed"] is True
    assert result["actions"] == ["pkg set-publisher -g https://zw.example.com/ zoneweaver",
                                 "pkg install zoneweaver-agent@0.3.9"]
    assert all(call[1] in ("publisher", "list") for call in host.calls)    # no dry run against a missing publisher
    assert result["diff"]["after"]["packages"] == {"zoneweaver-agent": "0.3.9"}


def test_latest_asks_pkg_and_exit_4_means_unchanged():
    listed = "pkg://zoneweaver/system/virtualization/zoneweaver-agent@0.3.10-151054.0:20250301T120000Z i--\n"
    host = Host([(["pkg", "list"], (0, listed, "")), (["pkg", "update", "-n"], (4, "No updates available for this image.\n", ""))])
    result = ips_package.run(pkg_params(name=["zoneweaver-agent"], state="latest"), RunContext(run_command=host))
    assert result["changed"] is False and result["actions"] == []
    assert [c[:3] for c in host.calls] == [["pkg", "list", "-Hv"], ["pkg", "update", "-n"]]


def test_a_different_version_is_an_update_and_absent_uninstalls():
    listed = "pkg://zoneweaver/system/virtualization/zoneweaver-agent@0.3.10-151054.0:20250301T120000Z i--\n"
    host = Host([(["pkg", "list"], (0, listed, "")), (["pkg", "update"], (0, "", "")), (["pkg", "uninstall"], (0, "", ""))])
    result = ips_package.run(pkg_params(name=["zoneweaver-agent@0.3.9"]), RunContext(run_command=host))
    assert result["actions"] == ["pkg update zoneweaver-agent@0.3.9"]
    result = ips_package.run(pkg_params(name=["zoneweaver-agent"], state="absent"), RunContext(run_command=host))
    assert result["actions"] == ["pkg uninstall system/virtualization/zoneweaver-agent"]


@pytest.mark.parametrize("params,message", [
    (pkg_params(name=["-n"]), "is not a package name"),
    (pkg_params(name=["x@1"], state="latest"), "only allowed with state=present"),
    (pkg_params(), "give name"),
    (pkg_params(publisher={"name": "zw", "origins": ["ftp://x"], "purge_origins": False, "enabled": None,
                           "state": "present"}), "is not an http(s)"),
])
def test_bad_input_is_refused_before_any_command(params, message):
    host = Host([])
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ips_package.run(params, RunContext(run_command=host))
    assert host.calls == []


def test_publisher_origins_purged_and_removed():
    two = ZW + "zoneweaver\ttrue\tfalse\ttrue\torigin\tonline\thttps://old.example.com/\t-\n"
    host = Host([(["pkg", "publisher"], (0, two, "")), (["pkg", "set-publisher"], (0, "", "")),
                 (["pkg", "unset-publisher"], (0, "", ""))])
    want = {"name": "zoneweaver", "origins": ["https://zw.example.com/"], "purge_origins": True, "enabled": None,
            "state": "present"}
    result = ips_package.run(pkg_params(publisher=want), RunContext(run_command=host))
    assert result["actions"] == ["pkg set-publisher -G https://old.example.com/ zoneweaver"]
    result = ips_package.run(pkg_params(publisher=dict(want, state="absent")), RunContext(run_command=host))
    assert result["actions"] == ["pkg unset-publisher zoneweaver"]


def smf_params(**kw):
    params = {"name": "dhcp:ipv4", "state": None, "properties": None, "wait": True, "wait_timeout": 5, "pfexec": False}
    params.update(kw)
    return params


def test_property_set_only_when_different_then_one_refresh():
    listprop = 'config/listen_ifnames  astring  "igb0"\n'
    host = Host([(["svcs"], (0, "online\n", "")), (["svccfg", "-s", "dhcp:ipv4", "listprop"], (0, listprop, "")),
                 (["svccfg", "-s", "dhcp:ipv4", "setprop"], (0, "", "")), (["svcadm"], (0, "", ""))])
    props = [{"name": "config/listen_ifnames", "value": ["igb0", "vnic0"], "type": None}]
    result = smf_service.run(smf_params(properties=props), RunContext(run_command=host))
    assert result["actions"] == ["svccfg -s dhcp:ipv4 setprop config/listen_ifnames", "svcadm refresh dhcp:ipv4"]
    assert ["svccfg", "-s", "dhcp:ipv4", "setprop", "config/listen_ifnames", "=", "astring:", '("igb0" "vnic0")'] in host.calls
    same = smf_service.run(smf_params(properties=[dict(props[0], value="igb0")]), RunContext(run_command=host))
    assert same["changed"] is False


def test_enable_waits_and_maintenance_fails_with_the_reason():
    states = iter(["disabled\n", "maintenance\n"])
    host = Host([(["svcs", "-H"], lambda argv: (0, next(states), "")), (["svcs", "-xv"], (0, "Reason: Start method failed.\n", "")),
                 (["svcadm"], (0, "", ""))])
    with pytest.raises(ZoneweaverError, match="maintenance instead of online"):
        smf_service.run(smf_params(state="enabled"), RunContext(run_command=host))
    assert ["svcadm", "enable", "dhcp:ipv4"] in host.calls


def test_missing_instance_counts_as_disabled_and_check_mode_runs_no_svcadm():
    gone = (1, "", "svcs: Pattern 'x' doesn't match any instances\n")
    host = Host([(["svcs"], gone)])
    result = smf_service.run(smf_params(name="x", state="disabled"), RunContext(run_command=host))
    assert result["changed"] is False and result["exists"] is False
    with pytest.raises(ZoneweaverError, match="no SMF instance matches x"):
        smf_service.run(smf_params(name="x", state="enabled"), RunContext(run_command=host))
    host = Host([(["svcs"], (0, "disabled\n", ""))])
    result = smf_service.run(smf_params(state="enabled"), RunContext(check_mode=True, run_command=host))
    assert result["changed"] is True and result["state"] == "online"
    assert all(call[0] == "svcs" for call in host.calls)


@pytest.mark.parametrize("properties,name,words", [
    ([{"name": "config/note", "value": "x", "type": "aaaa"}], "dhcp:ipv4", "'aaaa' is not an SMF property type"),
    ([{"name": "config/note", "value": "nul\x00byte", "type": None}], "dhcp:ipv4", "contains a NUL character"),
    (None, "nul\x00byte", "is not an SMF service or instance"),
])
def test_smf_refuses_unknown_types_and_nul_before_any_command(properties, name, words):
    """An unknown type used to reach svccfg (which then mis-quoted later values of that property);
    a NUL character used to crash in the command runner instead of failing cleanly."""
    host = Host([])
    with pytest.raises(InputError, match=words):
        smf_service.run(smf_params(name=name, properties=properties, state="enabled"), RunContext(run_command=host))
    assert host.calls == []
