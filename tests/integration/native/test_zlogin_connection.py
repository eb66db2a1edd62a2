"""zoneweaver.illumos.zlogin: a playbook running inside a simulated native zone.

The zones are made with the native backend (zonecfg/zoneadm through the
simulator's shims). Then a playbook targets them with
`ansible_connection: zoneweaver.illumos.zlogin`: the global zone is reached with
the local connection and the shims first on PATH, so `zoneadm` and `zlogin`
(and `pfexec`) are the simulator's. Its zlogin runs the commands in the zone's
simulated root, <state_dir>/zoneroots/<zone>, on this machine
(simulator/zoneweaver_sim/commands/zlogin.py).
"""

import filecmp
import os
import random
import sys

import pytest
import yaml

from zoneweaver_sim.commands.zlogin import zone_root
from zw_harness import NATIVE_ENV, run_playbook, shims_on_path, simulated_host

ZONE = "0001--web01.example.com"
STOPPED = "0002--db01.example.com"
VM = "0003--vm01.example.com"
HOSTILE = ["a b", "it's", "$HOME", "`id`", "; echo pwned", "new\nline", "\\back", '"dq"', "*", "", "tab\there"]


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """One simulated global zone with a running native zone, an installed one and a running bhyve zone."""
    tmp_path = tmp_path_factory.mktemp("zones")
    with simulated_host("0.3.9") as sim:
        sim.shims_path = shims_on_path(sim, tmp_path / "shims")
        native = {"backend": "native", "boot_disk": {"type": "none"}}
        tasks = [
            {"name": "native zone", "zoneweaver.illumos.zone": dict(native, name=ZONE, brand="sparse", state="running")},
            {"name": "stopped zone", "zoneweaver.illumos.zone": dict(native, name=STOPPED, brand="lipkg",
                                                                     state="present")},
            {"name": "bhyve zone", "zoneweaver.illumos.zone": dict(native, name=VM, brand="bhyve", state="running",
                                                                   ram="1G")},
        ]
        play = [{"name": "zones", "hosts": "localhost", "gather_facts": False,
                 "environment": {"PATH": sim.shims_path}, "tasks": tasks}]
        playbook = tmp_path / "zones.yml"
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        run = run_playbook(tmp_path, str(playbook), env=NATIVE_ENV)
        assert run.rc == 0, run.output
        assert run["native zone"]["zone"]["status"] == "running"
        assert run["stopped zone"]["zone"]["status"] == "installed"
        assert sim.state.host_zones[VM]["config"]["brand"] == "bhyve"
        yield sim


def inventory(tmp_path, sim, **extra):
    """A YAML inventory: one zlogin host per zone, global zone through the local connection."""
    common = {"ansible_connection": "zoneweaver.illumos.zlogin", "ansible_zlogin_global_zone_connection": "local",
              "ansible_zlogin_path": "zlogin", "ansible_zlogin_zoneadm_path": "zoneadm",
              "ansible_python_interpreter": sys.executable}
    hosts = {
        "web": {"ansible_zlogin_zone": ZONE, "ansible_zlogin_pfexec": True,
                "ansible_remote_tmp": os.path.join(zone_root(sim.state_dir, ZONE), "var", "tmp", "ansible"),
                "zone_root": zone_root(sim.state_dir, ZONE)},
        STOPPED: {},                          # the zone name is the inventory host name
        "vm": {"ansible_zlogin_zone": VM},
    }
    hosts["web"].update(extra)
    path = tmp_path / "zones.inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": common}}, sort_keys=False))
    return str(path)


def play_in_zones(tmp_path, sim, plays, env=None, **extra):
    playbook = tmp_path / "in-zone.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    environment = {"PATH": sim.shims_path}
    environment.update(env or {})
    return run_playbook(tmp_path, str(playbook), ["-i", inventory(tmp_path, sim, **extra)], env=environment)


def zlogin_commands(sim):
    """The command strings zlogin was asked to run (the log records zlogin's own argv, after pfexec)."""
    return [c["argv"][-1] for c in sim.commands() if c["tool"] == "zlogin" and c["rc"] == 0]


def test_command_copy_fetch_template_inside_a_native_zone(tmp_path, host):
    root = zone_root(host.state_dir, ZONE)
    os.makedirs(os.path.join(root, "var", "tmp", "ansible"), exist_ok=True)
    payload = bytes(range(256)) + b"\x00\n\r\n\x00" + random.Random(7).randbytes(70000) + b"\n\x00"
    source = tmp_path / "blob.bin"
    source.write_bytes(payload)
    template = tmp_path / "motd.j2"
    template.write_text("zone {{ ansible_zlogin_zone }} on {{ inventory_hostname }}\n")
    odd_dir = os.path.join(root, "odd dir 'q' $x;`y`")
    fetched = tmp_path / "fetched" / "blob.bin"
    host.clear_commands()
    tasks = [
        {"name": "zonename", "ansible.builtin.command": "zonename", "register": "out"},
        {"name": "where", "ansible.builtin.shell": 'echo "$ZONEWEAVER_ZONE_ROOT|$PWD|$HOME"', "register": "out"},
        {"name": "hostile argv", "register": "out",
         "ansible.builtin.command": {"argv": ["printf", "[%s]"] + HOSTILE, "expand_argument_vars": False}},
        {"name": "binary copy", "ansible.builtin.copy": {"src": str(source), "dest": "{{ zone_root }}/blob.bin",
                                                         "mode": "0640"}},
        {"name": "binary copy again", "ansible.builtin.copy": {"src": str(source), "dest": "{{ zone_root }}/blob.bin",
                                                               "mode": "0640"}},
        {"name": "fetch", "ansible.builtin.fetch": {"src": "{{ zone_root }}/blob.bin", "dest": str(fetched),
                                                    "flat": True}},
        {"name": "template", "ansible.builtin.template": {"src": str(template), "dest": "{{ zone_root }}/motd"}},
        {"name": "odd directory", "ansible.builtin.file": {"path": odd_dir, "state": "directory"}},
        {"name": "odd path copy", "ansible.builtin.copy": {"content": "x\x00y\n", "dest": odd_dir + "/fi le"}},
        {"name": "pipelined", "ansible.builtin.ping": {}, "vars": {"ansible_pipelining": True}},
        {"name": "become", "ansible.builtin.command": "id -un", "become": True, "become_method": "ansible.builtin.su",
         "become_user": "root", "register": "out"},
    ]
    run = play_in_zones(tmp_path, host, [{"name": "in the zone", "hosts": "web", "gather_facts": False,
                                          "tasks": tasks}],
                        env={"ANSIBLE_BECOME_ALLOW_SAME_USER": "true"})
    assert run.rc == 0, run.output
    assert run["zonename"]["stdout"] == ZONE
    assert run["where"]["stdout"] == "|".join([root, root, root])
    assert run["hostile argv"]["stdout"] == "".join("[%s]" % a for a in HOSTILE)
    assert run["binary copy"]["changed"] is True
    assert run["binary copy again"]["changed"] is False
    with open(os.path.join(root, "blob.bin"), "rb") as handle:
        assert handle.read() == payload
    assert oct(os.stat(os.path.join(root, "blob.bin")).st_mode & 0o777) == "0o640"
    assert run["fetch"]["changed"] is True and filecmp.cmp(str(source), str(fetched), shallow=False)
    assert run["template"]["changed"] is True
    with open(os.path.join(root, "motd")) as handle:
        assert handle.read() == "zone %s on web\n" % ZONE
    with open(os.path.join(odd_dir, "fi le"), "rb") as handle:
        assert handle.read() == b"x\x00y\n"
    assert run["pipelined"]["ping"] == "pong"
    assert run["become"]["stdout"] == "root"

    # Every zlogin went through pfexec's shim to the zone, with the command as one argument.
    commands = zlogin_commands(host)
    assert commands and all(c["argv"][0] == ZONE and len(c["argv"]) == 2 for c in host.commands()
                            if c["tool"] == "zlogin")
    # become wrapped the command inside the zone once, and never the zlogin command line.
    become = [c for c in commands if "BECOME-SUCCESS-" in c]
    assert become and all(c.count("BECOME-SUCCESS-") == 1 and c.startswith("/bin/sh -c 'su ") for c in become)
    # Nothing of Ansible's was left in the zone's temporary directory.
    assert os.listdir(os.path.join(root, "var", "tmp", "ansible")) == []


def test_global_zone_over_ssh(tmp_path, host):
    """global_zone_connection=ssh: ansible.builtin.ssh gets ansible_host/port/user (a stand-in ssh executable
    runs the remote command line with /bin/sh, as sshd runs it with the login shell)."""
    root = zone_root(host.state_dir, ZONE)
    log = tmp_path / "ssh.log"
    fake_ssh = tmp_path / "fake-ssh"
    fake_ssh.write_text('#!/bin/sh\nprintf "%%s\\n" "$*" >> %s\nfor last; do :; done\nexec /bin/sh -c "$last"\n' % log)
    fake_ssh.chmod(0o755)
    payload = random.Random(11).randbytes(30000) + b"\x00\n"
    source = tmp_path / "blob.bin"
    source.write_bytes(payload)
    tasks = [
        {"name": "zonename", "ansible.builtin.command": "zonename", "register": "out"},
        {"name": "copy", "ansible.builtin.copy": {"src": str(source), "dest": "{{ zone_root }}/ssh.bin"}},
        {"name": "fetch", "ansible.builtin.fetch": {"src": "{{ zone_root }}/ssh.bin", "dest": str(tmp_path / "back.bin"),
                                                    "flat": True}},
    ]
    run = play_in_zones(tmp_path, host, [{"name": "over ssh", "hosts": "web", "gather_facts": False, "tasks": tasks}],
                        ansible_zlogin_global_zone_connection="ssh", ansible_host="gz.example.invalid",
                        ansible_port=2222, ansible_user="deploy", ansible_ssh_executable=str(fake_ssh),
                        ansible_ssh_common_args="-o StrictHostKeyChecking=no",
                        ansible_control_path_dir=str(tmp_path / "cp"))
    assert run.rc == 0, run.output
    assert run["zonename"]["stdout"] == ZONE
    with open(os.path.join(root, "ssh.bin"), "rb") as handle:
        assert handle.read() == payload
    assert (tmp_path / "back.bin").read_bytes() == payload
    lines = log.read_text().splitlines()
    assert lines and all("gz.example.invalid" in line and "Port=2222" in line and "deploy" in line
                         and "StrictHostKeyChecking=no" in line for line in lines if "zlogin" in line or "zoneadm" in line)
    assert any("pfexec zlogin %s" % ZONE in line for line in lines)


def test_bhyve_and_stopped_zones_are_refused_clearly(tmp_path, host):
    plays = [{"name": "refused", "hosts": "vm:" + STOPPED, "gather_facts": False,
              "tasks": [{"name": "try", "ansible.builtin.command": "true"}]}]
    run = play_in_zones(tmp_path, host, plays)
    assert run.rc == 4, run.output      # both hosts unreachable
    assert "zone '%s' has brand 'bhyve'" % VM in run.output
    assert "Reach the guest over SSH" in run.output
    assert "zone '%s' is 'installed', not running" % STOPPED in run.output
    # refused before any zlogin
    assert not [c for c in host.commands() if c["tool"] == "zlogin" and c["argv"][0] in (VM, STOPPED)]
