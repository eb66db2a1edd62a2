"""The native zone backend: what it reads, which commands it plans, in which order (fake run_command)."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import (
    ConflictError, InputError, ZoneweaverError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import CommandError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zonecfg as zonecfg_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.runner import CommandRunner
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zones import (
    ZoneNativeBackend, ZoneWaitTimeout, nic_name, server_id_of, zone_root)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import (
    BACKEND_OPTIONS, agent_argument_spec, resolve_backend)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone import ZoneResource, normalize_spec

NAME = "0001--web01.example.com"
ROOT = "rpool/zones/" + NAME
MISSING_ZONE = (1, "", "zoneadm: %s: No such zone configured\n" % NAME)
MISSING_CFG = (1, "", "%s: No such zone configured\n" % NAME)
NO_DATASET = (1, "", "cannot open 'x': dataset does not exist\n")


def zone_line(state, zoneid="-"):
    return (0, "%s:%s:%s:/%s/path:1c9d:bhyve:excl:3\n" % (zoneid, NAME, state, ROOT), "")


EXPORT = """create -b
set zonepath=/%s/path
set brand=bhyve
set autoboot=false
set ip-type=exclusive
add net
set physical="vnice3_0001_0"
set vlan-id="20"
set global-nic="igb0"
end
add device
set match="/dev/zvol/rdsk/%s/boot"
end
add device
set match="/dev/zvol/rdsk/%s/disk0"
end
add attr
set name="ram"
set type="string"
set value="2G"
end
add attr
set name="vcpus"
set type="string"
set value="2"
end
add attr
set name="bootdisk"
set type="string"
set value="%s/boot"
end
add attr
set name="disk0"
set type="string"
set value="%s/disk0"
end
add attr
set name="zoneweaver-tags"
set type="string"
set value="web,demo"
end
""" % (ROOT, ROOT, ROOT, ROOT, ROOT)


class FakeHost:
    """Stands in for AnsibleModule.run_command: answers by exact argv, in order.

    on(argv..., answers=[...]) queues answers; the last one repeats. Unknown
    commands answer (0, "", ""). Every call is recorded with its stdin."""

    def __init__(self):
        self.answers = {}
        self.calls = []

    def on(self, *argv, answers=((0, "", ""),)):
        self.answers[tuple(argv)] = list(answers)
        return self

    def __call__(self, args, check_rc=False, data=None, environ_update=None, **kwargs):
        self.calls.append({"argv": list(args), "data": data, "kwargs": kwargs})
        queue = self.answers.get(tuple(args))
        if not queue:
            return (0, "", "")
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def argvs(self, first=None):
        return [c["argv"] for c in self.calls if first is None or c["argv"][0] == first]


class ZoneMachine(FakeHost):
    """A zone whose state follows the zoneadm commands run on it (None: the command changes nothing)."""

    MOVES = {"boot": "running", "halt": "installed", "shutdown": "installed", "reboot": "running",
             "install": "installed", "uninstall": "configured"}

    def __init__(self, state, **moves):
        super().__init__()
        self.state = state
        self.moves = dict(self.MOVES, **moves)

    def __call__(self, args, check_rc=False, data=None, environ_update=None, **kwargs):
        if list(args[:3]) == ["zoneadm", "-z", NAME] and args[3:] == ["list", "-p"]:
            self.calls.append({"argv": list(args), "data": data, "kwargs": kwargs})
            return zone_line(self.state, "3" if self.state == "running" else "-")
        if list(args[:3]) == ["zoneadm", "-z", NAME] and self.moves.get(args[3]):
            self.state = self.moves[args[3]]
        return super().__call__(args, check_rc, data, environ_update, **kwargs)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += max(seconds, 0.01)


def backend(host, check_mode=False, warnings=None):
    clock = Clock()
    runner = CommandRunner(host, check_mode=check_mode)
    warn = warnings.append if warnings is not None else None
    return ZoneNativeBackend(runner, warn=warn, clock=clock, sleep=clock.sleep)


def spec(**params):
    params.setdefault("name", NAME)
    return normalize_spec(params)


def zfs_get(name):
    return ("zfs", "get", "-H", "-p", "-o", "name,property,value,source", "type,volsize,zoneweaver:source", name)


def dataset_answer(name, dtype="volume", volsize="21474836480", source=None):
    lines = ["%s\ttype\t%s\t-" % (name, dtype),
             "%s\tvolsize\t%s\t%s" % (name, volsize, "local" if volsize != "-" else "-"),
             "%s\tzoneweaver:source\t%s\t%s" % (name, source or "-", "local" if source else "-")]
    return [(0, "\n".join(lines) + "\n", "")]


def missing_datasets(host, *names):
    for name in names:
        host.on(*zfs_get(name), answers=[NO_DATASET])


# --------------------------------------------------------------------------- options and context

def test_backend_option_is_opt_in_and_auto_follows_api_url():
    assert "backend" not in agent_argument_spec()
    spec_ = agent_argument_spec(backend=True, wait=True)
    assert spec_["backend"] == BACKEND_OPTIONS["backend"] and spec_["pfexec"]["default"] is False
    assert resolve_backend({}) == "agent"                      # modules without the option
    assert resolve_backend({"backend": "auto", "api_url": "https://h:5001"}) == "agent"
    assert resolve_backend({"backend": "auto", "api_url": None}) == "native"
    assert resolve_backend({"backend": "auto", "api_url": ""}) == "native"
    assert resolve_backend({"backend": "native", "api_url": "https://h:5001"}) == "native"
    assert resolve_backend({"backend": "agent"}) == "agent"
    with pytest.raises(ValueError):
        resolve_backend({"backend": "ssh"})


def test_run_context_builds_a_runner_only_where_commands_can_run():
    host = FakeHost()
    ctx = RunContext(check_mode=True, run_command=host, pfexec=True)
    runner = ctx.native_runner()
    assert runner.check_mode and runner.pfexec
    runner.read(["zoneadm", "list", "-cp"])
    assert host.calls[0]["argv"] == ["pfexec", "zoneadm", "list", "-cp"]
    assert host.calls[0]["kwargs"] == {"expand_user_and_vars": False}
    with pytest.raises(ZoneweaverError, match="native backend"):
        RunContext().native_runner()


# --------------------------------------------------------------------------- reads

def test_read_builds_the_shared_view_with_tags_and_server_id():
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p", answers=[zone_line("running", "3")])
    host.on("zonecfg", "-z", NAME, "export", answers=[(0, EXPORT, "")])
    view = backend(host).read(NAME)
    assert view["name"] == NAME and view["status"] == "running" and view["brand"] == "bhyve"
    assert view["ram"] == 2 << 30 and view["vcpus"] == 2 and view["autoboot"] is False
    assert view["nics"] == [{"physical": "vnice3_0001_0", "global_nic": "igb0", "vlan_id": 20,
                             "mac_address": None, "allowed_address": None}]
    assert view["boot_disk"] == {"path": ROOT + "/boot", "size": None}
    assert view["disks"] == [{"name": "disk0", "path": ROOT + "/disk0"}]
    assert view["tags"] == ["web", "demo"] and view["notes"] is None and view["server_id"] == "0001"
    assert host.argvs() == [["zoneadm", "-z", NAME, "list", "-p"], ["zonecfg", "-z", NAME, "export"]]


def test_read_of_a_missing_zone_is_none_and_other_failures_raise():
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p", answers=[MISSING_ZONE])
    assert backend(host).read(NAME) is None
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p", answers=[(1, "", "zoneadm: permission denied\n")])
    with pytest.raises(CommandError, match="permission denied"):
        backend(host).read(NAME)


def test_list_skips_the_global_zone_and_zones_deleted_meanwhile():
    listing = "0:global:running:/::ipkg:shared:0\n3:%s:running:/%s/path:1c9d:bhyve:excl:3\n" \
              "-:gone:configured:/rpool/zones/gone/path::bhyve:excl:4\n" % (NAME, ROOT)
    host = FakeHost().on("zoneadm", "list", "-cp", answers=[(0, listing, "")])
    host.on("zonecfg", "-z", NAME, "export", answers=[(0, EXPORT, "")])
    host.on("zonecfg", "-z", "gone", "export", answers=[(1, "", "gone: No such zone configured\n")])
    rows = backend(host).list()
    assert [r["name"] for r in rows] == [NAME]
    assert rows[0]["status"] == "running" and rows[0]["tags"] == ["web", "demo"]
    assert "zoneweaver-tags" not in rows[0]["configuration"]
    assert backend(host).list(tag="nope") == [] and len(backend(host).list(tag="demo")) == 1
    calls = len(host.calls)
    assert backend(host).list(status="installed") == []
    assert len(host.calls) == calls + 1, "zones in other states need no export"


# --------------------------------------------------------------------------- create

CREATE = dict(state="running", vcpus=2, ram="2G", boot_disk={"type": "blank", "size": "20G"},
              nics=[{"global_nic": "igb0", "vlan_id": 20}], disks=[{"size": "5G"}, {"path": "rpool/vols/data"}],
              tags=["web"], notes="hello", cloud_init={"enabled": True, "password": "s3cret!"})


def create_host():
    host = FakeHost()
    missing_datasets(host, ROOT, ROOT + "/boot", ROOT + "/disk0")
    host.on(*zfs_get("rpool/vols/data"), answers=dataset_answer("rpool/vols/data"))
    host.on("zoneadm", "-z", NAME, "list", "-p", answers=[zone_line("installed"), zone_line("running", "3")])
    return host


def test_create_plans_datasets_config_install_boot_in_order():
    host = create_host()
    answer = backend(host).create(spec(**CREATE), True, True, 600)
    assert answer == {"zone_name": NAME}
    stamp = ["-o", "zoneweaver:source=" + NAME]
    mutations = [a for a in host.argvs() if a[:2] != ["zfs", "get"] and a[-2:] != ["list", "-p"]]
    assert mutations == [
        ["zfs", "create", "-p"] + stamp + [ROOT],
        ["zfs", "create", "-s"] + stamp + ["-V", "20G", ROOT + "/boot"],
        ["zfs", "create", "-s"] + stamp + ["-V", "5G", ROOT + "/disk0"],
        ["zonecfg", "-z", NAME, "-f", "-"],
        ["zoneadm", "-z", NAME, "install"],
        ["zoneadm", "-z", NAME, "boot"],
    ]
    script = [c["data"] for c in host.calls if c["argv"][0] == "zonecfg"][0]
    config = zonecfg_parser.parse_export(script)
    attrs = zonecfg_parser.attrs(config)
    assert config["zonepath"] == "/%s/path" % ROOT and config["brand"] == "bhyve"
    assert attrs["ram"] == "2G" and attrs["vcpus"] == "2" and attrs["bootdisk"] == ROOT + "/boot"
    assert attrs["disk0"] == ROOT + "/disk0" and attrs["disk1"] == "rpool/vols/data"
    assert attrs["zoneweaver-tags"] == "web" and attrs["zoneweaver-notes"] == "hello"
    assert attrs["cloud-init"] == "on" and attrs["password"] == "s3cret!"
    assert config["net"] == [{"physical": "vnice3_0001_0", "vlan-id": "20", "global-nic": "igb0"}]
    assert {"match": "/dev/zvol/rdsk/rpool/vols/data"} in config["device"]
    # the script goes on stdin, never on a command line
    assert all("s3cret!" not in " ".join(a) for a in host.argvs())


def test_create_in_check_mode_runs_only_reads():
    host = create_host()
    be = backend(host, check_mode=True)
    be.create(spec(**CREATE), True, True, 600)
    assert all(a[:2] == ["zfs", "get"] for a in host.argvs())
    assert be.runner.planned[-2:] == ["zoneadm -z %s install" % NAME, "zoneadm -z %s boot" % NAME]
    assert "s3cret!" not in " ".join(be.runner.planned)


def test_create_without_wait_still_waits_for_install_but_not_for_boot():
    host = create_host()
    backend(host).create(spec(name=NAME, boot_disk={"type": "none"}), True, False, 600)
    polls = [a for a in host.argvs("zoneadm") if a[-2:] == ["list", "-p"]]
    assert len(polls) == 1 and host.argvs("zoneadm")[-1] == ["zoneadm", "-z", NAME, "boot"]


def test_an_existing_zvol_of_ours_is_reused_a_foreign_one_refused():
    host = FakeHost()
    host.on(*zfs_get(ROOT), answers=dataset_answer(ROOT, "filesystem", "-", NAME))
    host.on(*zfs_get(ROOT + "/boot"), answers=dataset_answer(ROOT + "/boot", source=NAME))
    plan = backend(host).plan_create(spec(name=NAME, boot_disk={"type": "blank", "size": "20G"}))
    assert plan["commands"] == []
    host.on(*zfs_get(ROOT + "/boot"), answers=dataset_answer(ROOT + "/boot", source="other.example.com"))
    with pytest.raises(ConflictError, match="not created for zone"):
        backend(host).plan_create(spec(name=NAME, boot_disk={"type": "blank", "size": "20G"}))


def test_images_must_exist_and_be_volumes():
    host = FakeHost()
    missing_datasets(host, ROOT, "rpool/vols/nope")
    with pytest.raises(InputError, match="boot_disk: zvol rpool/vols/nope does not exist"):
        backend(host).plan_create(spec(name=NAME, boot_disk={"type": "image", "path": "rpool/vols/nope"}))
    host.on(*zfs_get("rpool/vols/fs"), answers=dataset_answer("rpool/vols/fs", "filesystem", "-"))
    with pytest.raises(InputError, match="is a filesystem"):
        backend(host).plan_create(spec(name=NAME, disks=[{"path": "rpool/vols/fs"}]))


TEMPLATES = ("zfs", "list", "-H", "-p", "-o", "name,volsize", "-t", "snapshot", "-r", "rpool/templates/STARTcloud/deb")


def template_host(listing):
    host = FakeHost()
    missing_datasets(host, ROOT, ROOT + "/boot")
    host.on(*TEMPLATES, answers=[(0, listing, "")])
    return host


LISTING = ("rpool/templates/STARTcloud/deb/2024.1.2@ready\t10737418240\n"
           "rpool/templates/STARTcloud/deb/2025.10.1@ready\t21474836480\n"
           "rpool/templates/STARTcloud/deb/2025.9.30@ready\t21474836480\n"
           "rpool/templates/STARTcloud/deb/2025.9.30@old\t21474836480\n")


def test_template_latest_is_the_highest_version_and_grows_when_asked():
    host = template_host(LISTING)
    plan = backend(host).plan_create(spec(name=NAME, boot_disk={"type": "template", "box": "STARTcloud/deb",
                                                                "size": "40G"}))
    stamp = ["-o", "zoneweaver:source=" + NAME]
    assert plan["commands"][1:] == [
        ["zfs", "clone"] + stamp + ["rpool/templates/STARTcloud/deb/2025.10.1@ready", ROOT + "/boot"],
        ["zfs", "set", "volsize=40G", ROOT + "/boot"]]
    plan = backend(template_host(LISTING)).plan_create(spec(
        name=NAME, boot_disk={"type": "template", "box": "STARTcloud/deb", "box_version": "2024.1.2", "size": "5G"}))
    assert plan["commands"][1:] == [
        ["zfs", "clone"] + stamp + ["rpool/templates/STARTcloud/deb/2024.1.2@ready", ROOT + "/boot"]]


@pytest.mark.parametrize("boot,needle", [
    ({"type": "template", "box": "STARTcloud/deb", "box_version": "1.0"}, "not on this host"),
    ({"type": "template", "box": "STARTcloud/deb", "clone_strategy": "copy"}, "clone_strategy=copy"),
])
def test_template_problems_are_input_errors(boot, needle):
    with pytest.raises(InputError, match=needle):
        backend(template_host(LISTING)).plan_create(spec(name=NAME, boot_disk=boot))


def test_no_template_at_all():
    host = FakeHost()
    missing_datasets(host, ROOT, ROOT + "/boot")
    host.on(*TEMPLATES, answers=[NO_DATASET])
    with pytest.raises(InputError, match="download it first"):
        backend(host).plan_create(spec(name=NAME, boot_disk={"type": "template", "box": "STARTcloud/deb"}))


def test_other_brands_refuse_bhyve_options_before_any_change():
    host = FakeHost()
    with pytest.raises(InputError, match="unknown keys: ram"):
        backend(host).plan_create(spec(name=NAME, brand="lx", ram="1G"))
    with pytest.raises(InputError, match="native backend"):
        backend(host).plan_create(spec(name=NAME, brand="kvm"))
    assert host.calls == []


# --------------------------------------------------------------------------- modify

def modify_host():
    host = FakeHost().on("zonecfg", "-z", NAME, "export", answers=[(0, EXPORT, "")])
    host.on("zfs", "list", "-H", "-p", "-o", "name", "-r", ROOT,
            answers=[(0, "%s\n%s/boot\n%s/disk0\n%s/path\n" % (ROOT, ROOT, ROOT, ROOT), "")])
    return host


def test_modify_writes_one_change_script():
    host = modify_host()
    changes = {"ram": 4 << 30, "vcpus": 4, "tags": ["web"], "notes": "hello", "add_disks": [{"size": 5 << 30}],
               "remove_disks": [], "add_nics": [{"global_nic": "igb1", "nic_type": "internal"}], "update_nics": [],
               "remove_nics": []}
    answer = backend(host).modify(NAME, changes, None, True, 600)
    assert answer["status"] == "applied"
    creates = [a for a in host.argvs("zfs") if a[1] == "create"]
    assert creates == [["zfs", "create", "-s", "-o", "zoneweaver:source=" + NAME, "-V", "5G", ROOT + "/disk1"]]
    script = [c["data"] for c in host.calls if c["argv"] == ["zonecfg", "-z", NAME, "-f", "-"]][0]
    assert 'select attr name="ram"\nset value="4G"\nend' in script
    assert 'select attr name="zoneweaver-tags"\nset value="web"\nend' in script
    assert 'add attr\nset name="zoneweaver-notes"\nset type="string"\nset value="hello"\nend' in script
    assert 'set name="disk1"' in script and 'set match="/dev/zvol/rdsk/%s/disk1"' % ROOT in script
    assert 'set physical="vnici3_0001_1"' in script and 'set global-nic="igb1"' in script
    # zvols are made before zonecfg refers to them
    order = [a[0] for a in host.argvs() if a[0] in ("zfs", "zonecfg") and a[1] in ("create", "-z")]
    assert order[-2:] == ["zfs", "zonecfg"]


def test_removing_tags_and_notes_removes_the_attributes():
    host = modify_host()
    plan = backend(host).plan_modify(NAME, {"tags": [], "notes": ""})
    assert plan["script"] == 'remove attr name="zoneweaver-tags"\n'


def test_nothing_to_change_runs_no_zonecfg():
    host = modify_host()
    backend(host).modify(NAME, {"tags": ["web", "demo"]}, None, True, 600)
    assert host.argvs("zonecfg") == [["zonecfg", "-z", NAME, "export"]]


# --------------------------------------------------------------------------- power

def test_start_a_configured_zone_installs_it_first():
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p",
                         answers=[zone_line("configured"), zone_line("installed"), zone_line("running", "3")])
    backend(host).power(NAME, "start", True, 600)
    assert [a[3] for a in host.argvs() if a[3] != "list"] == ["install", "boot"]


def test_start_an_incomplete_zone_is_refused_with_a_hint():
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p", answers=[zone_line("incomplete")])
    with pytest.raises(ZoneweaverError, match="incomplete") as caught:
        backend(host).power(NAME, "start", True, 600)
    assert "uninstall -F" in caught.value.hint


def test_graceful_stop_falls_back_to_halt_with_a_warning():
    warnings = []
    host = ZoneMachine("running", shutdown=None)   # the guest ignores the request
    be = backend(host, warnings=warnings)
    be.power(NAME, "stop", True, 20)
    actions = [a[3] for a in host.argvs() if a[3] != "list"]
    assert actions == ["shutdown", "halt"]
    assert be.clock() - 100.0 <= 20
    assert warnings and "did not shut down within 10s" in warnings[0]


def test_graceful_stop_that_works_needs_no_halt_and_force_halts_at_once():
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p",
                         answers=[zone_line("running", "3"), zone_line("shutting_down", "3"), zone_line("installed")])
    backend(host).power(NAME, "stop", True, 600)
    assert [a[3] for a in host.argvs() if a[3] != "list"] == ["shutdown"]
    host = ZoneMachine("running")
    backend(host).power(NAME, "stop", True, 600, force=True)
    assert [a[3] for a in host.argvs() if a[3] != "list"] == ["halt"]


def test_restart_reboots_a_running_zone():
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p", answers=[zone_line("running", "3")])
    backend(host).power(NAME, "restart", True, 600)
    assert [a[3] for a in host.argvs() if a[3] != "list"] == ["reboot"]


def test_wait_timeout_names_the_zone_state_and_step():
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p", answers=[zone_line("installed")])
    with pytest.raises(ZoneWaitTimeout) as caught:
        backend(host).power(NAME, "start", True, 5)
    error = caught.value
    assert "is installed after boot, not running" in error.msg and "wait_timeout" in error.msg
    assert error.details["zone"] == NAME and "zoneadm -z %s list -p" % NAME in error.hint


# --------------------------------------------------------------------------- delete

def test_delete_halts_uninstalls_deletes_and_destroys_only_stamped_datasets():
    warnings = []
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p",
                         answers=[zone_line("running", "3"), zone_line("installed"), zone_line("configured")])
    export = EXPORT.replace("%s/disk0" % ROOT, "rpool/vols/shared")
    host.on("zonecfg", "-z", NAME, "export", answers=[(0, export, "")])
    stamped = ("%s\tzoneweaver:source\t%s\tlocal\n%s/boot\tzoneweaver:source\t%s\tlocal\n"
               % (ROOT, NAME, ROOT, NAME))
    host.on("zfs", "get", "-H", "-p", "-r", "-t", "filesystem,volume", "-o", "name,property,value,source",
            "zoneweaver:source", ROOT, answers=[(0, stamped, "")])
    host.on(*zfs_get("rpool/vols/shared"), answers=dataset_answer("rpool/vols/shared"))
    backend(host, warnings=warnings).delete(NAME, True, True, True, True, 600)
    mutations = [a for a in host.argvs() if a[-2:] != ["list", "-p"] and a[1] != "get" and a[-1] != "export"]
    assert mutations == [["zoneadm", "-z", NAME, "halt"], ["zoneadm", "-z", NAME, "uninstall", "-F"],
                         ["zonecfg", "-z", NAME, "delete", "-F"], ["zfs", "destroy", "-r", ROOT + "/boot"],
                         ["zfs", "destroy", "-r", ROOT]]
    assert warnings == ["kept disks of zone %s that were not created for it: rpool/vols/shared" % NAME]


def test_delete_keeps_the_zone_dataset_when_foreign_data_is_left_in_it():
    warnings = []
    host = ZoneMachine("installed")
    host.on("zonecfg", "-z", NAME, "export", answers=[(0, EXPORT, "")])
    stamped = ("%s\tzoneweaver:source\t%s\tlocal\n%s/boot\tzoneweaver:source\t%s\tlocal\n"
               "%s/disk0\tzoneweaver:source\t-\t-\n" % (ROOT, NAME, ROOT, NAME, ROOT))
    host.on("zfs", "get", "-H", "-p", "-r", "-t", "filesystem,volume", "-o", "name,property,value,source",
            "zoneweaver:source", ROOT, answers=[(0, stamped, "")])
    backend(host, warnings=warnings).delete(NAME, False, True, True, True, 600)
    assert [a for a in host.argvs("zfs") if a[1] == "destroy"] == [["zfs", "destroy", "-r", ROOT + "/boot"]]
    assert "kept %s" % ROOT in warnings[0] and ROOT + "/disk0" in warnings[0]


def test_delete_without_cleanup_touches_no_dataset_and_a_missing_zone_is_done():
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p", answers=[zone_line("configured")])
    host.on("zonecfg", "-z", NAME, "export", answers=[(0, EXPORT, "")])
    backend(host).delete(NAME, False, False, True, True, 600)
    assert host.argvs()[-1] == ["zonecfg", "-z", NAME, "delete", "-F"] and not host.argvs("zfs")
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p", answers=[MISSING_ZONE])
    assert backend(host).delete(NAME, False, True, True, True, 600) == {"zone_name": NAME}
    assert len(host.calls) == 1


# --------------------------------------------------------------------------- through the resource

def test_resource_in_check_mode_with_the_native_backend_runs_no_mutation():
    host = FakeHost().on("zoneadm", "-z", NAME, "list", "-p", answers=[zone_line("running", "3")])
    host.on("zonecfg", "-z", NAME, "export", answers=[(0, EXPORT, "")])
    ctx = RunContext(check_mode=True, diff=True, run_command=host)
    be = ZoneNativeBackend(ctx.native_runner())
    result = ZoneResource(be, ctx).ensure({"name": NAME, "state": "stopped", "ram": "4G", "tags": ["web"]})
    assert result["changed"] and result["actions"] == ["stop", "modify"]
    assert result["diff"]["before"]["ram"] == "2G" and result["diff"]["after"]["state"] == "installed"
    assert be.runner.planned == [] and {tuple(a[3:]) for a in host.argvs("zoneadm")} == {("list", "-p")}


def test_helpers():
    assert server_id_of(NAME) == "0001" and server_id_of("web.example.com") is None
    assert server_id_of("12ab--x") is None
    assert zone_root({"zonepath": "/rpool/zones/web/path"}) == "rpool/zones/web"
    assert zone_root({"zonepath": "/zones/web"}) is None
    assert nic_name({}, None, None, 0) == "vnice3_0000_0"
    assert nic_name({"nic_type": "internal"}, "template", "0042", 2) == "vnici1_0042_2"
