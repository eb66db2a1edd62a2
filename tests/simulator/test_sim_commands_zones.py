"""The simulator's command face for zones: zoneadm, zonecfg, zfs, zpool, zlogin, the shims.

Formats are checked by the collection's own parsers (what the native backend
will read), rules and texts against illumos-native.md, and the shared state
against the agent face (a zone made by commands is a machine, and back).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from sim_helpers import Simulator

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zfs as zfs_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zoneadm as zoneadm_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zonecfg as zonecfg_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zpool as zpool_parser
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.render.zonecfg import render_config
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.zonecfg_apply import apply as zonecfg_apply

ZONE = "web"
ROOT = "rpool/zones/web"
CONFIG = {
    "zonepath": "/%s/path" % ROOT, "brand": "bhyve", "autoboot": "false", "ip-type": "exclusive",
    "fs": [{"dir": "/iso/deb.iso", "special": "/iso/deb.iso", "type": "lofs", "options": ["ro", "nodevices"]}],
    "net": [{"allowed-address": "10.0.0.5/24", "physical": "vnice3_0000_0", "mac-addr": "2:8:20:ab:cd:ef",
             "vlan-id": "10", "global-nic": "igb0", "property": [{"name": "netif", "value": "e1000"}]}],
    "device": [{"match": "/dev/zvol/rdsk/%s/boot" % ROOT}],
    "attr": [{"name": "bootdisk", "type": "string", "value": "%s/boot" % ROOT},
             {"name": "ram", "type": "string", "value": "2G"},
             {"name": "extra", "type": "string", "value": "-s 9,virtio-console,org.qemu.guest_agent.0=/tmp/qga.sock"},
             {"name": "cdrom0", "type": "string", "value": "/iso/deb.iso"}],
}


@pytest.fixture
def host():
    sim = Simulator(generation="0.3.9").start()
    yield sim
    sim.stop()


def run(sim, tool, *argv, stdin=""):
    """One command through the shims' protocol: (rc, stdout, stderr)."""
    answer = requests.post(sim.url + "/_sim/exec", json={"tool": tool, "argv": list(argv), "stdin": stdin},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["rc"], body["stdout"], body["stderr"]


def ok(sim, tool, *argv, stdin=""):
    rc, out, err = run(sim, tool, *argv, stdin=stdin)
    assert rc == 0, (tool, argv, rc, err)
    return out


def make_zone(sim, config=None, name=ZONE, state="configured"):
    ok(sim, "zfs", "create", "-p", "-o", "zoneweaver:source=" + name, "rpool/zones/" + name)
    ok(sim, "zfs", "create", "-s", "-o", "zoneweaver:source=" + name, "-V", "20G", "rpool/zones/%s/boot" % name)
    text = render_config(config or CONFIG).replace("rpool/zones/%s/" % ZONE, "rpool/zones/%s/" % name)
    ok(sim, "zonecfg", "-z", name, "-f", "-", stdin=text)
    if state in ("installed", "running"):
        ok(sim, "zoneadm", "-z", name, "install")
    if state == "running":
        ok(sim, "zoneadm", "-z", name, "boot")


def zone_state(sim, name=ZONE):
    rc, out, _err = run(sim, "zoneadm", "-z", name, "list", "-p")
    return zoneadm_parser.parse_line(out.strip())["state"] if rc == 0 else None


# --------------------------------------------------------------------------- formats

def test_zoneadm_list_is_parsable_eight_fields_running_first(host):
    make_zone(host, name="b-installed", state="installed")
    make_zone(host, name="a-configured")
    make_zone(host, name="c-running", state="running")
    text = ok(host, "zoneadm", "list", "-cp")
    zones = zoneadm_parser.parse_list(text)
    assert [z["name"] for z in zones] == ["global", "c-running", "b-installed", "a-configured"]
    assert all(len(line.split(":")) == 8 for line in text.splitlines())
    running = zones[1]
    assert running["zoneid"] is not None and running["ip_type"] == "excl" and running["brand"] == "bhyve"
    assert zones[2]["zoneid"] is None and zones[2]["uuid"]
    assert zones[3]["uuid"] is None and zones[3]["zonepath"] == "/rpool/zones/a-configured/path"
    assert zoneadm_parser.parse_list(ok(host, "zoneadm", "list", "-p")) == zones[:2]
    assert [z["name"] for z in zoneadm_parser.parse_list(ok(host, "zoneadm", "list", "-ipn"))] == \
        ["c-running", "b-installed"]
    assert ok(host, "zoneadm", "list") == "global\nc-running\n"
    one = zoneadm_parser.parse_line(ok(host, "zoneadm", "-z", "a-configured", "list", "-p").strip())
    assert one == zones[3]


def test_zonecfg_export_round_trips_through_the_collection_renderer_and_parser(host):
    make_zone(host)
    text = ok(host, "zonecfg", "-z", ZONE, "export")
    assert zonecfg_parser.parse_export(text) == CONFIG
    # OmniOS style: globals bare, resource properties quoted
    assert "set zonepath=/rpool/zones/web/path\n" in text and 'set physical="vnice3_0000_0"\n' in text
    assert 'add property (name=netif,value="e1000")' in text and "add options ro\n" in text
    # and render_config writes exactly what export prints
    assert text == render_config(CONFIG)


def test_zonecfg_info_parses_to_the_same_config(host):
    make_zone(host)
    info = zonecfg_parser.parse_info(ok(host, "zonecfg", "-z", ZONE, "info"))
    assert info.pop("zonename") == ZONE
    assert info == CONFIG
    assert zonecfg_parser.parse_info(ok(host, "zonecfg", "-z", ZONE, "info", "net"))["net"] == CONFIG["net"]


def test_zonecfg_change_scripts_mean_what_the_collection_says(host):
    make_zone(host)
    script = ('select attr name="ram"\nset value="4G"\nend\nremove attr name="extra"\n'
              'add net\nset physical="vnic1"\nset global-nic="igb1"\nend\n'
              'select net physical="vnice3_0000_0"\nset vlan-id="11"\nend\n'
              'set autoboot=true\n')
    ok(host, "zonecfg", "-z", ZONE, "-f", "-", stdin=script)
    assert zonecfg_parser.parse_export(ok(host, "zonecfg", "-z", ZONE, "export")) == zonecfg_apply(script, CONFIG)


def test_zonecfg_removes_complex_list_values(host):
    make_zone(host)
    ok(host, "zonecfg", "-z", ZONE, "-f", "-",
       stdin='select net physical="vnice3_0000_0"\nremove property (name=netif,value="e1000")\nend\n'
             'select fs dir="/iso/deb.iso"\nremove options nodevices\nend\n')
    config = zonecfg_parser.parse_export(ok(host, "zonecfg", "-z", ZONE, "export"))
    assert "property" not in config["net"][0] and config["fs"][0]["options"] == ["ro"]


def test_zfs_and_zpool_outputs_parse(host):
    make_zone(host)
    rows = zfs_parser.parse_list(ok(host, "zfs", "list", "-H", "-p", "-o", "name,used,avail,refer,mountpoint,type,volsize",
                                    "-r", ROOT))
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {ROOT, ROOT + "/boot"}
    assert by_name[ROOT + "/boot"]["type"] == "volume" and by_name[ROOT + "/boot"]["volsize"] == 20 << 30
    assert by_name[ROOT + "/boot"]["mountpoint"] is None and by_name[ROOT]["mountpoint"] == "/" + ROOT
    props = zfs_parser.parse_get(ok(host, "zfs", "get", "-H", "-p", "-o", "name,property,value,source",
                                    "type,volsize,refreservation,zoneweaver:source,compression", ROOT + "/boot"))
    boot = props[ROOT + "/boot"]
    assert boot["volsize"]["value"] == 20 << 30 and boot["zoneweaver:source"] == {
        "value": ZONE, "source": "local", "inherited_from": None}
    assert boot["compression"]["source"] == "inherited" and boot["compression"]["inherited_from"] == "rpool"
    unset = zfs_parser.parse_get(ok(host, "zfs", "get", "-H", "-p", "-o", "name,property,value,source",
                                    "volsize,zoneweaver:source", "rpool/export"))["rpool/export"]
    assert unset["volsize"]["value"] is None and unset["zoneweaver:source"]["source"] is None
    pools = zpool_parser.parse_list(ok(host, "zpool", "list", "-H", "-p"))
    assert [p["name"] for p in pools] == ["data", "rpool"] and pools[1]["health"] == "ONLINE"
    assert pools[1]["checkpoint"] == 0 and pools[1]["dedupratio"] == 1.0 and pools[1]["allocated"] > 0
    assert zpool_parser.parse_version(ok(host, "zpool", "get", "version", "rpool")) is None
    got = zpool_parser.parse_get(ok(host, "zpool", "get", "-H", "-p", "-o", "name,property,value,source",
                                    "size,health", "rpool"))
    assert got["rpool"]["health"]["value"] == "ONLINE"


def test_missing_objects_answer_with_the_texts_the_collection_knows(host):
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.notfound import is_not_found
    for tool, argv in (("zoneadm", ("-z", "nope", "list", "-p")), ("zonecfg", ("-z", "nope", "export")),
                       ("zfs", ("list", "-H", "rpool/nope")), ("zfs", ("get", "-H", "type", "rpool/nope")),
                       ("zpool", ("list", "-H", "nope"))):
        rc, out, err = run(host, tool, *argv)
        assert rc == 1 and out == "" and is_not_found(tool, rc, err), (tool, err)


# --------------------------------------------------------------------------- rules

def test_zone_state_machine_guards(host):
    make_zone(host)
    rc, _out, err = run(host, "zoneadm", "-z", ZONE, "boot")
    assert rc == 1 and "must be installed before boot." in err
    rc, _out, err = run(host, "zoneadm", "-z", ZONE, "uninstall", "-F")
    assert rc == 1 and "already in state 'configured'" in err
    ok(host, "zoneadm", "-z", ZONE, "install")
    assert zone_state(host) == "installed"
    rc, _out, err = run(host, "zoneadm", "-z", ZONE, "install")
    assert rc == 1 and "is already installed." in err
    rc, _out, err = run(host, "zonecfg", "-z", ZONE, "create", "-b")
    assert rc == 1 and "Zone web already installed; create not allowed." in err
    rc, _out, err = run(host, "zonecfg", "-z", ZONE, "set", "zonepath=/elsewhere/path")
    assert rc == 1 and "already installed; set zonepath not allowed." in err
    rc, _out, err = run(host, "zonecfg", "-z", ZONE, "delete", "-F")
    assert rc == 1 and "not in configured state; delete not allowed." in err
    rc, _out, err = run(host, "zoneadm", "-z", ZONE, "shutdown")
    assert rc == 1 and "not running" in err
    rc, _out, err = run(host, "zoneadm", "-z", ZONE, "halt")
    assert rc == 0 and "already halted" in err
    ok(host, "zoneadm", "-z", ZONE, "boot")
    rc, _out, err = run(host, "zoneadm", "-z", ZONE, "uninstall", "-F")
    assert rc == 1 and "invalid for running zones." in err
    rc, _out, err = run(host, "zfs", "destroy", "-r", ROOT + "/boot")
    assert rc == 1 and "dataset is busy" in err
    ok(host, "zoneadm", "-z", ZONE, "reboot")
    ok(host, "zoneadm", "-z", ZONE, "shutdown")
    assert zone_state(host) == "installed"
    # a configuration change is allowed in any state (it applies at the next boot)
    ok(host, "zonecfg", "-z", ZONE, 'select attr name=ram; set value="8G"; end')
    ok(host, "zoneadm", "-z", ZONE, "uninstall", "-F")
    assert zone_state(host) == "configured" and ROOT + "/path" not in host.state.datasets
    ok(host, "zonecfg", "-z", ZONE, "delete", "-F")
    assert zone_state(host) is None


def test_install_creates_the_zonepath_dataset_and_uninstall_removes_it(host):
    make_zone(host, state="installed")
    assert host.state.datasets[ROOT + "/path"]["type"] == "filesystem"
    rc, _out, err = run(host, "zfs", "destroy", ROOT)
    assert rc == 1 and "filesystem has children" in err and "use '-r'" in err and ROOT + "/boot" in err
    ok(host, "zoneadm", "-z", ZONE, "uninstall", "-F")
    assert ROOT + "/path" not in host.state.datasets and ROOT + "/boot" in host.state.datasets


def test_zonecfg_scripts_are_all_or_nothing_with_line_numbers(host):
    make_zone(host)
    before = ok(host, "zonecfg", "-z", ZONE, "export")
    rc, _out, err = run(host, "zonecfg", "-z", ZONE, "-f", "-",
                        stdin='select attr name="ram"\nset value="8G"\nend\nselect attr name="nope"\nend\n')
    assert rc == 1 and err.startswith("On line 4:")
    assert ok(host, "zonecfg", "-z", ZONE, "export") == before
    rc, _out, err = run(host, "zonecfg", "-z", ZONE, "-f", "-", stdin="add attr\nset name=x\nset type=string\nend\n")
    assert rc == 1 and "value not specified" in err
    rc, _out, err = run(host, "zonecfg", "-z", ZONE, "-f", "-",
                        stdin='add attr\nset name="ram"\nset type="string"\nset value="1G"\nend\n')
    assert rc == 1 and "already exists" in err
    rc, _out, err = run(host, "zonecfg", "-z", ZONE, "set", "autoboot=net")
    assert rc == 1 and "syntax error at 'net'" in err
    rc, _out, err = run(host, "zonecfg", "-z", "fresh", "-f", "-", stdin="create -b\nadd attr\n")
    assert rc == 1 and "was not ended" in err and zone_state(host, "fresh") is None
    rc, _out, err = run(host, "zonecfg", "-z", "fresh", "set", "autoboot=true")
    assert rc == 1 and "No such zone configured" in err and "Use 'create'" in err


def test_zfs_create_destroy_clone_snapshot_rules(host):
    rc, _out, err = run(host, "zfs", "create", "-V", "1G", "rpool/nope/vol")
    assert rc == 1 and err.strip() == "cannot create 'rpool/nope/vol': parent does not exist"
    ok(host, "zfs", "create", "-p", "-V", "1G", "rpool/a/b/vol")
    ok(host, "zfs", "create", "-p", "rpool/a/b")          # -p: an existing target is fine
    rc, _out, err = run(host, "zfs", "create", "rpool/a/b")
    assert rc == 1 and "dataset already exists" in err
    vol = host.state.datasets["rpool/a/b/vol"]
    assert vol["properties"]["refreservation"] == str(1 << 30)            # thick unless -s
    ok(host, "zfs", "snapshot", "rpool/a/b/vol@ready")
    ok(host, "zfs", "clone", "-o", "zoneweaver:source=x", "rpool/a/b/vol@ready", "rpool/a/clone")
    assert host.state.datasets["rpool/a/clone"]["origin"] == "rpool/a/b/vol@ready"
    rc, _out, err = run(host, "zfs", "destroy", "rpool/a/b/vol@ready")
    assert rc == 1 and "snapshot has dependent clones" in err
    rc, _out, err = run(host, "zfs", "destroy", "-r", "rpool/a/b")
    assert rc == 1 and "dependent clones" in err and "rpool/a/clone" in err
    ok(host, "zfs", "set", "volsize=2G", "rpool/a/clone")
    assert host.state.datasets["rpool/a/clone"]["volsize"] == 2 << 30
    ok(host, "zfs", "destroy", "-R", "rpool/a/b")
    assert not [d for d in host.state.datasets if d.startswith("rpool/a/")]
    rc, _out, err = run(host, "zfs", "frobnicate")
    assert rc == 2


def test_zlogin_refuses_stopped_and_bhyve_zones(host):
    # commands in native zones: tests/simulator/test_sim_zlogin.py
    make_zone(host, state="installed")
    rc, _out, err = run(host, "zlogin", ZONE, "echo", "hi")
    assert rc == 1 and "only to running zones" in err
    ok(host, "zoneadm", "-z", ZONE, "boot")
    rc, _out, err = run(host, "zlogin", ZONE, "echo", "hello", "world")
    assert rc == 1 and err == "zlogin: exec failure: No such file or directory\n"     # a bhyve zone
    rc, _out, err = run(host, "zlogin", "-C", ZONE)
    assert rc == 1
    rc, _out, err = run(host, "zlogin", "nope", "true")
    assert rc == 1 and "unknown" in err


# --------------------------------------------------------------------------- one host, two faces

def test_a_zone_made_by_commands_is_a_machine_and_back(host):
    make_zone(host, state="running")
    key = "hw_AAAAAAAAAAAAAAAA.commands-test-0001"
    from zoneweaver_sim import auth
    auth.seed_admin_key(host, key)
    headers = {"Authorization": "Bearer " + key}
    rows = requests.get(host.url + "/machines", headers=headers, timeout=10).json()["machines"]
    assert [(r["name"], r["status"], r["auto_discovered"]) for r in rows] == [(ZONE, "running", True)]
    detail = requests.get(host.url + "/machines/" + ZONE, headers=headers, timeout=10).json()
    config = detail["configuration"]
    assert config["ram"] == "2G" and config["bootdisk"]["path"] == ROOT + "/boot"
    assert config["bootdisk"]["size"] == "20G" and detail["system_status"] == "running"
    # the agent stops it: zoneadm sees it
    answer = requests.post(host.url + "/machines/%s/stop" % ZONE, headers=headers, json={}, timeout=10).json()
    deadline = time.monotonic() + 10
    while requests.get(host.url + "/tasks/" + answer["task_id"], headers=headers,
                       timeout=10).json()["status"] not in ("completed", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert zone_state(host) == "installed"
    # removed by commands: the agent's row stays, orphaned (discovery marks it)
    ok(host, "zoneadm", "-z", ZONE, "uninstall", "-F")
    ok(host, "zonecfg", "-z", ZONE, "delete", "-F")
    row = requests.get(host.url + "/machines", headers=headers, timeout=10).json()["machines"][0]
    assert row["is_orphaned"] is True


def test_agent_made_zone_exports_and_parses(host):
    from sim_helpers import Api, bootstrap
    api = Api(host)
    api.key = bootstrap(api)
    body = {"settings": {"hostname": "db", "domain": "example.com", "server_id": "0007", "memory": "1G"},
            "zones": {"brand": "bhyve"}, "disks": {"boot": {"type": "blank", "size": "10G"}},
            "nics": [{"global_nic": "igb0", "vlan_id": 5}], "start_after_create": True}
    answer = api.post("/machines", json=body)
    assert answer.status_code == 200, answer.text
    api.wait(answer.json()["parent_task_id"], timeout=20)
    name = "0007--db.example.com"
    deadline = time.monotonic() + 10
    while zone_state(host, name) != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    config = zonecfg_parser.parse_export(ok(host, "zonecfg", "-z", name, "export"))
    attrs = zonecfg_parser.attrs(config)
    assert attrs["ram"] == "1G" and attrs["bootdisk"] == "rpool/zones/%s/boot" % name
    assert config["net"][0]["global-nic"] == "igb0" and config["net"][0]["vlan-id"] == "5"


# --------------------------------------------------------------------------- the log, knobs and shims

def test_command_log_and_mutations(host):
    make_zone(host)
    run(host, "zoneadm", "list", "-cp")
    run(host, "zonecfg", "-z", ZONE, "export")
    run(host, "zonecfg", "-z", ZONE, "-f", "-", stdin="export\ninfo\n")
    run(host, "zfs", "destroy", "-n", ROOT)
    log = host.commands()
    assert [e["tool"] for e in log[:3]] == ["zfs", "zfs", "zonecfg"] and all(e["rc"] == 0 for e in log)
    assert [e["tool"] for e in host.command_mutations()] == ["zfs", "zfs", "zonecfg"]
    assert requests.get(host.url + "/_sim/commands", timeout=10).json() == log
    assert requests.get(host.url + "/_sim/commands/mutations", timeout=10).json() == host.command_mutations()
    assert requests.delete(host.url + "/_sim/commands", timeout=10).json() == {"cleared": len(log)}
    assert host.commands() == [] and host.log == [], "commands are not agent requests"


def test_unimplemented_tools_answer_not_implemented(host, monkeypatch):
    from zoneweaver_sim import commands
    monkeypatch.setitem(commands._MODULES, "dladm", None)     # as before dladm had its module
    rc, out, err = run(host, "dladm", "show-vnic", "-p", "-o", "link")
    assert rc == 1 and out == "" and "not implemented by zoneweaver-sim" in err
    run(host, "dladm", "create-vnic", "-l", "igb0", "vnic0")
    assert [e["argv"][0] for e in host.command_mutations()] == ["create-vnic"]
    answer = requests.post(host.url + "/_sim/exec", json={"tool": "zoneadm", "argv": "list"}, timeout=10)
    assert answer.status_code == 400


def test_knobs_fail_and_slow_shutdown(host):
    make_zone(host, state="running")
    host.command_knobs["fail"] = {"zoneadm halt": "zoneadm: zone 'web': unable to halt"}
    rc, _out, err = run(host, "zoneadm", "-z", ZONE, "halt")
    assert rc == 1 and "unable to halt" in err and zone_state(host) == "running"
    answer = requests.put(host.url + "/_sim/commands/knobs", json={"fail": {}, "shutdown_seconds": 0.3}, timeout=10)
    assert answer.status_code == 200 and answer.json()["shutdown_seconds"] == 0.3
    assert requests.put(host.url + "/_sim/commands/knobs", json={"nope": 1}, timeout=10).status_code == 400
    ok(host, "zoneadm", "-z", ZONE, "shutdown")
    assert zone_state(host) == "shutting_down"
    deadline = time.monotonic() + 5
    while zone_state(host) != "installed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    host.command_knobs.update(ignore_shutdown=True)
    ok(host, "zoneadm", "-z", ZONE, "boot")
    ok(host, "zoneadm", "-z", ZONE, "shutdown")
    assert zone_state(host) == "running"


def test_shims_on_path_act_on_the_simulator(host, tmp_path):
    paths = host.write_shims(str(tmp_path / "bin"))
    assert sorted(os.path.basename(p) for p in paths) == sorted(
        ["zoneadm", "zonecfg", "zfs", "zpool", "zlogin", "pfexec", "dladm", "ipadm", "routeadm", "ipnat", "ipf",
         "ipfstat", "svcs", "svcadm", "svccfg", "pkg"])
    assert all(os.access(p, os.X_OK) for p in paths)
    assert open(paths[0]).readline().strip() == "#!" + sys.executable
    env = dict(os.environ, PATH=str(tmp_path / "bin") + os.pathsep + os.environ.get("PATH", ""))
    script = tmp_path / "web.cfg"
    script.write_text(render_config(CONFIG))
    proc = subprocess.run(["pfexec", "zonecfg", "-z", ZONE, "-f", str(script)], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(["zonecfg", "-z", ZONE, "-f", "-"], env=env, input="set autoboot=true\n",
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(["zoneadm", "-z", ZONE, "list", "-p"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and zoneadm_parser.parse_line(proc.stdout.strip())["state"] == "configured"
    proc = subprocess.run(["zoneadm", "-z", "nope", "list", "-p"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 1 and proc.stderr == "zoneadm: nope: No such zone configured\n"
    assert host.state.host_zones[ZONE]["config"]["autoboot"] == "true"


def test_a_shim_without_its_simulator_says_so(tmp_path):
    from zoneweaver_sim.commands import SHIM_UNREACHABLE_RC, write_shims
    with Simulator(generation="0.3.9") as sim:
        url = sim.url
    shim = write_shims(str(tmp_path), url, tools=("zoneadm",))[0]
    proc = subprocess.run([shim, "list"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == SHIM_UNREACHABLE_RC and "did not answer" in proc.stderr


def test_cli_writes_shims(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "zoneweaver_sim", "shims", str(tmp_path / "bin"), "--url",
                           "http://127.0.0.1:5001"], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)), check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.split()) == 16
    assert "URL = 'http://127.0.0.1:5001'" in (tmp_path / "bin" / "zfs").read_text()
