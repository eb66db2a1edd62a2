"""zoneweaver.illumos.zlogin: command building, quoting through two shells, binary-safe
transfers, become, and the refusals, against fake global zone tools.

The fake `zlogin` records its argv and runs its command with `/bin/sh -c` in a
directory that plays the zone: the zone's shell. The global zone is reached
locally (a child process, no shell), through a fake ssh connection object whose
exec_command runs the command line with `/bin/sh -c` (the global zone's login
shell), or through the real ansible.builtin.ssh plugin with a stand-in ssh
executable that does the same.
"""

import json
import os
import random
import shlex
import stat
import subprocess
import sys

import pytest

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import become_loader, connection_loader

ZONE = "0001--web01.example.com"
ZONE_LINE = "5:%s:running:/rpool/zones/web01/path:0b7c1c30-3d5e-4a59-a3cf-1a5b1e0c2a11:sparse:excl:5" % ZONE
HOSTILE = ["plain", "a b", "it's", "'", '"', "$HOME", "${PATH}", "$(id)", "`id`", "; echo pwned", "&& false",
           "| cat", "> /tmp/x", "new\nline", "\\", "\\n", "*", "?", "[a]", "~", "~root", "", " ", "\t", "-n", "--",
           "#", "!", "%s", "\u00e9t\u00e9 \u2603", "a'b\"c$d`e\\f"]

FAKE_ZLOGIN = """#!%s
import json, os, sys
with open(os.environ["FAKE_ZLOGIN_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if len(sys.argv) != 3:
    sys.stderr.write("fake zlogin: want ZONE COMMAND, got %%r\\n" %% (sys.argv[1:],))
    sys.exit(99)
os.chdir(os.environ["FAKE_ZONE_ROOT"])
os.execv("/bin/sh", ["/bin/sh", "-c", sys.argv[2]])
""" % sys.executable

FAKE_ZONEADM = """#!/bin/sh
echo "$*" >> "$FAKE_ZONEADM_LOG"
[ -n "$FAKE_ZONEADM_ERR" ] && echo "$FAKE_ZONEADM_ERR" >&2
[ -n "$FAKE_ZONEADM_LINE" ] && echo "$FAKE_ZONEADM_LINE"
exit ${FAKE_ZONEADM_RC:-0}
"""

FAKE_PFEXEC = """#!/bin/sh
echo pfexec >> "$FAKE_ZONEADM_LOG"
exec "$@"
"""

# Stands in for ssh: runs the remote command line (its last argument) with a POSIX login shell, here.
FAKE_SSH = """#!/bin/sh
for last; do :; done
exec /bin/sh -c "$last"
"""


def _script(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


class FakeSSH:
    """In place of ansible.builtin.ssh: the command line goes to a POSIX login shell."""

    def __init__(self):
        self.calls = []
        self.become = None
        self._play_context = None

    def get_option(self, name):
        if name == "host":
            return "gz.example.com"
        raise KeyError(name)

    def exec_command(self, cmd, in_data=None, sudoable=True):
        self.calls.append({"cmd": cmd, "sudoable": sudoable, "in_data": in_data})
        proc = subprocess.run(["/bin/sh", "-c", cmd], input=in_data, capture_output=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def reset(self):
        pass

    def close(self):
        pass


class GlobalZone:
    """Fake zlogin, zoneadm and pfexec in a temporary directory, and the zone's root directory."""

    def __init__(self, tmp_path, monkeypatch):
        self.bin = tmp_path / "gz-bin"
        self.bin.mkdir()
        self.root = tmp_path / "zone-root"
        self.root.mkdir()
        self.zlogin = _script(self.bin / "zlogin", FAKE_ZLOGIN)
        self.zoneadm = _script(self.bin / "zoneadm", FAKE_ZONEADM)
        _script(self.bin / "pfexec", FAKE_PFEXEC)
        self.ssh = _script(self.bin / "fake-ssh", FAKE_SSH)
        self.zlogin_log = tmp_path / "zlogin.log"
        self.zoneadm_log = tmp_path / "zoneadm.log"
        monkeypatch.setenv("FAKE_ZLOGIN_LOG", str(self.zlogin_log))
        monkeypatch.setenv("FAKE_ZONEADM_LOG", str(self.zoneadm_log))
        monkeypatch.setenv("FAKE_ZONE_ROOT", str(self.root))
        monkeypatch.setenv("FAKE_ZONEADM_LINE", ZONE_LINE)
        monkeypatch.setenv("PATH", str(self.bin) + os.pathsep + os.environ.get("PATH", ""))
        self.monkeypatch = monkeypatch

    def zlogin_calls(self):
        if not self.zlogin_log.exists():
            return []
        return [json.loads(line) for line in self.zlogin_log.read_text().splitlines()]

    def zoneadm_calls(self):
        return self.zoneadm_log.read_text().splitlines() if self.zoneadm_log.exists() else []

    def connection(self, mode="local", **options):
        conn = connection_loader.get("zoneweaver.illumos.zlogin", PlayContext())
        variables = {"inventory_hostname": "web01", "ansible_zlogin_zone": ZONE,
                     "ansible_zlogin_global_zone_connection": "ssh" if mode != "local" else "local",
                     "ansible_zlogin_path": self.zlogin, "ansible_zlogin_zoneadm_path": self.zoneadm}
        variables.update(options)
        conn.set_options(var_options=variables)
        if mode == "fake-ssh":
            conn.ssh_type_conn = FakeSSH()
        elif mode == "ssh":
            conn.ssh_type_conn.set_options(var_options={"ansible_host": "gz.example.com",
                                                        "ansible_ssh_executable": self.ssh,
                                                        "ansible_control_path_dir": str(self.bin / "cp")})
        return conn


@pytest.fixture
def gz(tmp_path, monkeypatch):
    return GlobalZone(tmp_path, monkeypatch)


@pytest.fixture
def plugin():
    """The plugin's module, as the loader imported it (a direct import before the loader runs would shadow it)."""
    return sys.modules[connection_loader.get("zoneweaver.illumos.zlogin", class_only=True).__module__]


MODES = ("local", "fake-ssh", "ssh")


# --------------------------------------------------------------------------- pure helpers

def test_command_is_one_argument_after_zone_with_optional_pfexec(plugin):
    assert plugin.zlogin_argv("/usr/sbin/zlogin", ZONE, "echo a b") == ["/usr/sbin/zlogin", ZONE, "echo a b"]
    assert plugin.zlogin_argv("zlogin", ZONE, "x", pfexec=True) == ["pfexec", "zlogin", ZONE, "x"]


def test_quote_argv_round_trips_hostile_strings_through_a_posix_shell(plugin):
    argv = ["printf", "%s\\0"] + HOSTILE
    line = plugin.quote_argv(argv)
    out = subprocess.run(["/bin/sh", "-c", line], capture_output=True, check=True).stdout
    assert out.decode("utf-8").split("\0")[:-1] == HOSTILE
    assert shlex.split(line) == argv


@pytest.mark.parametrize("line, brand_or_state", [
    ("5:%s:running:/z:u:bhyve:excl:5" % ZONE, "brand 'bhyve'"),
    ("5:%s:running:/z:u:kvm:excl:5" % ZONE, "brand 'kvm'"),
    ("-:%s:installed:/z:u:sparse:excl:5" % ZONE, "is 'installed', not running"),
    ("-:%s:configured:/z::lipkg:excl:0" % ZONE, "is 'configured', not running"),
    ("5:%s:shutting_down:/z:u:ipkg:excl:5" % ZONE, "is 'shutting_down', not running"),
    ("garbage", "cannot read zoneadm's line"),
    ("", "printed nothing"),
])
def test_zone_line_refusals(plugin, line, brand_or_state):
    assert brand_or_state in plugin.check_zone_line(ZONE, line)


def test_zone_line_accepts_running_native_zones_with_escaped_paths(plugin):
    for brand in ("ipkg", "lipkg", "sparse", "pkgsrc", "lx", "illumos"):
        assert plugin.check_zone_line(ZONE, "5:%s:running:/a\\:b:u:%s:excl:5\n" % (ZONE, brand)) is None
    assert plugin.check_zone_line(ZONE, "5:%s:running:/z:u:sparse:excl" % ZONE) is None   # 7 fields (illumos-gate)


# --------------------------------------------------------------------------- options

def test_documented_defaults():
    conn = connection_loader.get("zoneweaver.illumos.zlogin", PlayContext())
    conn.set_options(var_options={"inventory_hostname": "db01"})
    assert conn.get_option("zone") == "db01"
    assert conn.get_option("global_zone_connection") == "ssh"
    assert conn.get_option("zlogin_path") == "/usr/sbin/zlogin"
    assert conn.get_option("zoneadm_path") == "/usr/sbin/zoneadm"
    assert conn.get_option("pfexec") is False
    assert conn.get_option("pipelining") in (True, False)
    assert conn.transport == "zoneweaver.illumos.zlogin" and conn.has_pipelining and not conn.has_tty


def test_ssh_global_zone_loads_the_builtin_ssh_connection_without_become(gz):
    conn = gz.connection("ssh")
    inner = conn.ssh_type_conn
    assert inner is not None and inner._load_name == "ssh" and inner.become is None
    # The task executor sets the ssh plugin's own options on this attribute (ansible_host, ansible_user...).
    assert inner.get_option("host") == "gz.example.com"
    assert gz.connection("local").ssh_type_conn is None


def test_environment_selects_the_global_zone_connection(monkeypatch):
    monkeypatch.setenv("ZONEWEAVER_ZLOGIN_GLOBAL_ZONE_CONNECTION", "local")
    monkeypatch.setenv("ZONEWEAVER_ZLOGIN_PFEXEC", "true")
    conn = connection_loader.get("zoneweaver.illumos.zlogin", PlayContext())
    conn.set_options(var_options={"ansible_zlogin_zone": ZONE})
    assert conn.get_option("global_zone_connection") == "local" and conn.ssh_type_conn is None
    assert conn.get_option("pfexec") is True


# --------------------------------------------------------------------------- commands

@pytest.mark.parametrize("mode", MODES)
def test_exec_hostile_command_reaches_the_zone_shell_unchanged(gz, plugin, mode):
    conn = gz.connection(mode)
    cmd = "printf '[%s]' " + " ".join(shlex.quote(h) for h in HOSTILE)
    rc, out, err = conn.exec_command(cmd)
    assert (rc, err) == (0, b"")
    assert out.decode("utf-8") == "".join("[%s]" % h for h in HOSTILE)
    assert gz.zlogin_calls() == [[ZONE, cmd]]
    assert gz.zoneadm_calls() == ["-z %s list -p" % ZONE]
    rc, out, err = conn.exec_command("pwd; exit 7")
    assert rc == 7 and out.decode().strip() == str(gz.root)
    assert gz.zoneadm_calls() == ["-z %s list -p" % ZONE], "the zone is checked once per connection"
    if mode == "fake-ssh":
        assert all(c["sudoable"] is False for c in conn.ssh_type_conn.calls)
        assert conn.ssh_type_conn.calls[1]["cmd"] == plugin.quote_argv([gz.zlogin, ZONE, cmd])


@pytest.mark.parametrize("mode", MODES)
def test_pfexec_prefixes_zlogin_in_the_global_zone_only(gz, mode):
    conn = gz.connection(mode, ansible_zlogin_pfexec=True)
    rc, out, err = conn.exec_command("echo in zone")
    assert (rc, out, err) == (0, b"in zone\n", b"")
    assert gz.zoneadm_calls() == ["-z %s list -p" % ZONE, "pfexec"]
    if mode == "fake-ssh":
        assert shlex.split(conn.ssh_type_conn.calls[-1]["cmd"]) == ["pfexec", gz.zlogin, ZONE, "echo in zone"]


@pytest.mark.parametrize("mode", MODES)
def test_pipelined_stdin_passes_bytes_unchanged(gz, mode):
    data = random.Random(3).randbytes(50000) + b"\x00\n\r\n"
    rc, out, err = gz.connection(mode).exec_command("cat", in_data=data)
    assert (rc, err) == (0, b"") and out == data


# --------------------------------------------------------------------------- files

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["blob.bin", "we'ird $x `y`;z.bin", "new\nline.bin", "-dash.bin"])
def test_put_and_fetch_are_byte_for_byte(gz, tmp_path, mode, name):
    payload = bytes(range(256)) + b"\x00\x00\n\n\r\n" + random.Random(name).randbytes(100000) + b"\n\x00"
    source = tmp_path / "source.bin"
    source.write_bytes(payload)
    conn = gz.connection(mode)
    remote = os.path.join(str(gz.root), name)
    conn.put_file(str(source), remote)
    with open(remote, "rb") as handle:
        assert handle.read() == payload
    back = tmp_path / "back.bin"
    conn.fetch_file(remote, str(back))
    assert back.read_bytes() == payload
    commands = [call[1] for call in gz.zlogin_calls()]
    assert commands == ["cat > %s" % shlex.quote(remote), "cat %s" % shlex.quote(remote)]


@pytest.mark.parametrize("mode", MODES)
def test_empty_file(gz, tmp_path, mode):
    source = tmp_path / "empty"
    source.write_bytes(b"")
    conn = gz.connection(mode)
    conn.put_file(str(source), str(gz.root / "empty"))
    conn.fetch_file(str(gz.root / "empty"), str(tmp_path / "empty.back"))
    assert (gz.root / "empty").read_bytes() == b"" and (tmp_path / "empty.back").read_bytes() == b""


@pytest.mark.parametrize("mode", MODES)
def test_transfer_failures(gz, tmp_path, mode):
    conn = gz.connection(mode)
    with pytest.raises(AnsibleFileNotFound):
        conn.put_file(str(tmp_path / "missing"), str(gz.root / "x"))
    source = tmp_path / "source"
    source.write_bytes(b"data")
    with pytest.raises(AnsibleError, match="failed to transfer .* in zone %s" % ZONE):
        conn.put_file(str(source), str(gz.root / "no-such-dir" / "x"))
    out = tmp_path / "fetched"
    with pytest.raises(AnsibleError, match="failed to fetch .*nope.* from zone %s" % ZONE):
        conn.fetch_file(str(gz.root / "nope"), str(out))
    assert not out.exists()


# --------------------------------------------------------------------------- become

def _become(name, **options):
    become = become_loader.get(name)
    become.set_options(direct=dict({"become_user": "app"}, **options))
    return become


@pytest.mark.parametrize("method", ["sudo", "su"])
def test_become_wraps_the_zone_command_once_and_never_the_global_zone(gz, method, monkeypatch):
    conn = gz.connection("fake-ssh", ansible_zlogin_pfexec=True)
    become = _become(method)
    conn.set_become_plugin(become)
    cmd = become.build_become_command("/bin/sh -c 'echo hi'", conn._shell)
    seen = []

    def fake_run(argv, in_data=None, stdin_path=None, stdout_path=None):
        seen.append(argv)
        if argv[1:] == ["-z", ZONE, "list", "-p"]:
            return 0, ZONE_LINE.encode() + b"\n", b""
        return 0, ("noise\n%s\n{\"ok\": 1}\n" % become.success).encode(), b""

    monkeypatch.setattr(conn, "_run_global", fake_run)
    rc, out, err = conn.exec_command(cmd)
    assert rc == 0 and out == b'{"ok": 1}\n', "the success marker and what precedes it are stripped"
    argv = seen[-1]
    assert argv[:3] == ["pfexec", gz.zlogin, ZONE] and argv[3] == cmd and len(argv) == 4
    assert argv[3].startswith(become.get_option("become_exe") or method)
    assert argv[3].count(become.success) == 1
    assert conn.ssh_type_conn.become is None
    # not sudoable (Ansible's own file operations): output is returned as it is
    rc, out, err = conn.exec_command("echo x", sudoable=False)
    assert out.startswith(b"noise\n")


def test_without_become_output_is_untouched(gz):
    conn = gz.connection("local")
    rc, out, err = conn.exec_command("echo BECOME-SUCCESS-abc; echo two")
    assert out == b"BECOME-SUCCESS-abc\ntwo\n"


def test_zlogin_logs_in_as_root_so_become_root_is_no_change_of_user(gz):
    assert gz.connection("local").default_user == "root"


# --------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("mode", MODES)
def test_bhyve_zone_is_refused_before_any_zlogin(gz, mode):
    gz.monkeypatch.setenv("FAKE_ZONEADM_LINE", ZONE_LINE.replace(":sparse:", ":bhyve:"))
    conn = gz.connection(mode)
    with pytest.raises(AnsibleConnectionFailure) as caught:
        conn.exec_command("true")
    text = str(caught.value)
    assert "brand 'bhyve'" in text and "over SSH" in text and "ansible_connection=ssh" in text
    assert gz.zlogin_calls() == []


def test_stopped_zone_is_refused(gz):
    gz.monkeypatch.setenv("FAKE_ZONEADM_LINE", ZONE_LINE.replace("5:%s:running" % ZONE, "-:%s:installed" % ZONE))
    with pytest.raises(AnsibleConnectionFailure, match="is 'installed', not running.*zoneadm -z %s boot" % ZONE):
        gz.connection("local").put_file(__file__, str(gz.root / "x"))
    assert gz.zlogin_calls() == []


def test_unknown_zone_and_missing_zoneadm(gz):
    gz.monkeypatch.setenv("FAKE_ZONEADM_LINE", "")
    gz.monkeypatch.setenv("FAKE_ZONEADM_RC", "1")
    gz.monkeypatch.setenv("FAKE_ZONEADM_ERR", "zoneadm: %s: No such zone configured" % ZONE)
    with pytest.raises(AnsibleConnectionFailure, match="No such zone configured"):
        gz.connection("local").exec_command("true")
    gz.monkeypatch.setenv("FAKE_ZONEADM_RC", "127")
    gz.monkeypatch.setenv("FAKE_ZONEADM_ERR", "sh: zoneadm: not found")
    with pytest.raises(AnsibleConnectionFailure, match="illumos global zone"):
        gz.connection("fake-ssh").exec_command("true")
    with pytest.raises(AnsibleConnectionFailure, match="cannot run .*/nonexistent/zoneadm"):
        gz.connection("local", ansible_zlogin_zoneadm_path="/nonexistent/zoneadm").exec_command("true")


@pytest.mark.parametrize("zone, needle", [("global", "global zone itself"), ("web;reboot", "not a valid zone name"),
                                          ("-C", "not a valid zone name"), ("a" * 65, "not a valid zone name")])
def test_bad_zone_names_are_refused(gz, zone, needle):
    with pytest.raises(AnsibleConnectionFailure, match=needle):
        gz.connection("local", ansible_zlogin_zone=zone).exec_command("true")
    assert gz.zlogin_calls() == [] and gz.zoneadm_calls() == []


def test_reset_checks_the_zone_again(gz):
    conn = gz.connection("local")
    conn.exec_command("true")
    conn.reset()
    conn.close()
    conn.exec_command("true")
    assert len(gz.zoneadm_calls()) == 2
