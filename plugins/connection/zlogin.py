# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: zlogin
short_description: Run tasks inside a native illumos zone with zlogin on its global zone
version_added: 0.1.0
description:
  - Runs every command of a task inside a native (non-bhyve) zone with C(zlogin ZONE COMMAND), executed on the
    zone's global zone. The global zone is reached over SSH (the default, through the C(ansible.builtin.ssh)
    connection plugin), or locally when Ansible itself runs in the global zone.
  - The command is handed to C(zlogin) as B(one) argument. zlogin then runs it as C(su root -c COMMAND) in the zone,
    so the zone's shell parses it exactly once, as Ansible built it. Over SSH the whole C(zlogin) command line is
    also quoted for the global zone's login shell, so it arrives unchanged whatever it contains.
  - No C(zlogin) flag is needed, because giving a command selects zlogin's non-interactive mode, which connects
    the command's stdin, stdout and stderr with pipes and has no terminal. C(-S) (failsafe) is a recovery mode that
    skips C(su) and the user's environment, C(-i) runs the command without C(su), and C(-n) closes stdin, which
    file transfers need. This plugin uses none of them.
  - Files are copied by piping their bytes through zlogin (C(cat > PATH) and C(cat PATH) in the zone), so any
    content can be transferred, including NUL bytes and other binary data. No terminal is used, which would change
    newlines.
  - zlogin enters the zone as C(root). Become (C(become_method) C(sudo), C(su) and the like) wraps the command that
    runs B(inside the zone), so it switches from root to C(become_user) there, and needs no password. The
    global zone never sees the become command. Privileges in the global zone come from the SSH user being
    C(root), or from O(pfexec).
  - Before its first command, the plugin runs C(zoneadm -z ZONE list -p) in the global zone. It refuses zones of
    the C(bhyve) and C(kvm) brands, whose guests run their own kernel that zlogin cannot enter, and zones that are
    not C(running).
author:
  - zoneweaver.illumos maintainers (@zoneweaver)
extends_documentation_fragment:
  - connection_pipelining
notes:
  - B(bhyve and kvm zones are reached over SSH, not with zlogin.) A hardware virtual machine runs its own operating
    system; zlogin can only attach to its serial console (C(zlogin -C)), which no Ansible connection can drive.
    Give such a zone C(ansible_connection=ssh) and the guest's address as C(ansible_host). The
    P(zoneweaver.illumos.zones#inventory) inventory plugin does this. With O(zoneweaver.illumos.zones#inventory:use_zlogin)
    it uses this plugin only for native zones.
  - zlogin requires all privileges in the global zone. Connect to the global zone as C(root), or as a user holding
    the C(Zone Management) rights profile and set O(pfexec=true).
  - The global zone user's login shell must be a POSIX shell (sh, ksh, bash or zsh, as on OmniOS), because the
    C(zlogin) command line is quoted for it. Commands in the zone run through root's shell of that zone.
  - Each task connects again, and so costs one C(zoneadm list) in the global zone besides its own commands. SSH
    connection sharing (C(ControlPersist), on by default in C(ansible.builtin.ssh)) keeps that cheap.
  - A file transferred over SSH is held in memory once on the controller. A local transfer streams it.
  - The zone's C(remote_tmp) (default C(~/.ansible/tmp)) resolves to root's home directory inside the zone.
seealso:
  - plugin: zoneweaver.illumos.zones
    plugin_type: inventory
  - plugin: ansible.builtin.ssh
    plugin_type: connection
options:
  zone:
    description:
      - Name of the zone to run the commands in.
      - Defaults to the inventory host name. The P(zoneweaver.illumos.zones#inventory) inventory plugin sets
        C(ansible_zlogin_zone) when O(zoneweaver.illumos.zones#inventory:use_zlogin=true).
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_zlogin_zone
  global_zone_connection:
    description:
      - How to reach the global zone that runs C(zlogin).
      - V(ssh) loads the C(ansible.builtin.ssh) connection plugin for the global zone and runs the C(zlogin) command
        line there. That plugin reads its own usual variables for the host, so C(ansible_host) (the global zone;
        the inventory plugin sets it to the agent's host), C(ansible_port), C(ansible_user) (the global zone
        account), C(ansible_password), C(ansible_ssh_private_key_file), C(ansible_ssh_common_args),
        C(ansible_ssh_extra_args), C(ansible_ssh_executable) and the other C(ansible.builtin.ssh) options all
        apply to the hop to the global zone. They are not used inside the zone.
      - V(local) runs C(zlogin) as a child process of Ansible, for a controller that is the global zone itself,
        or that has a C(zlogin) on its E(PATH) as in tests. C(ansible_host) is then not used.
    type: str
    choices: [ssh, local]
    default: ssh
    vars:
      - name: ansible_zlogin_global_zone_connection
    env:
      - name: ZONEWEAVER_ZLOGIN_GLOBAL_ZONE_CONNECTION
    ini:
      - section: zoneweaver_zlogin
        key: global_zone_connection
  zlogin_path:
    description:
      - The C(zlogin) program in the global zone.
      - Without a C(/), it is looked up on the E(PATH) of the global zone (or of the controller for V(local)).
    type: str
    default: /usr/sbin/zlogin
    vars:
      - name: ansible_zlogin_path
    env:
      - name: ZONEWEAVER_ZLOGIN_PATH
    ini:
      - section: zoneweaver_zlogin
        key: zlogin_path
  zoneadm_path:
    description:
      - The C(zoneadm) program in the global zone, used to check the zone's brand and state before the first
        command.
    type: str
    default: /usr/sbin/zoneadm
    vars:
      - name: ansible_zlogin_zoneadm_path
    env:
      - name: ZONEWEAVER_ZLOGIN_ZONEADM_PATH
    ini:
      - section: zoneweaver_zlogin
        key: zoneadm_path
  pfexec:
    description:
      - Run C(zlogin) through C(pfexec) in the global zone, for a global zone user whose RBAC profile (for
        example C(Zone Management)) grants the privileges zlogin needs.
      - This applies in the global zone only. To change users inside the zone, use C(become).
    type: bool
    default: false
    vars:
      - name: ansible_zlogin_pfexec
    env:
      - name: ZONEWEAVER_ZLOGIN_PFEXEC
    ini:
      - section: zoneweaver_zlogin
        key: pfexec
"""

EXAMPLES = r"""
# Inventory (YAML): native zones on the global zone omni1, reached over SSH as root.
all:
  children:
    omni1_zones:
      hosts:
        web01:
          ansible_zlogin_zone: 0001--web01.example.com
        db01: {}                       # zone name = inventory host name
      vars:
        ansible_connection: zoneweaver.illumos.zlogin
        ansible_host: omni1.example.com     # the global zone
        ansible_user: root                  # SSH user of the global zone
        ansible_ssh_private_key_file: ~/.ssh/omni1
        ansible_python_interpreter: /usr/bin/python3

# The same with an unprivileged global zone user holding the Zone Management profile:
#   ansible_user: deploy
#   ansible_zlogin_pfexec: true

# Ansible running inside the global zone itself:
#   ansible_zlogin_global_zone_connection: local

# Dynamic inventory: the zones plugin sets ansible_connection, ansible_host and
# ansible_zlogin_zone for native zones, and leaves bhyve zones on SSH to the guest.
#   plugin: zoneweaver.illumos.zones
#   use_zlogin: true

# A play against such hosts, with become inside the zone:
#   - hosts: omni1_zones
#     tasks:
#       - name: Runs as root in the zone (zlogin's user)
#         ansible.builtin.command: zonename
#       - name: Runs as the app user in the zone
#         ansible.builtin.command: id -un
#         become: true
#         become_user: app
"""

import os
import re
import shlex
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.plugins.loader import connection_loader
from ansible.utils.display import Display

from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.errors import ParseError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers.zoneadm import parse_line

display = Display()

# Brands whose zone runs a hardware virtual machine: zlogin cannot enter its guest.
VM_BRANDS = frozenset(("bhyve", "kvm"))
# illumos zone names: alphanumeric first, then [-_.a-zA-Z0-9] [src zonecfg.8]; the length bound is ZONENAME_MAX
# (64 with its NUL), kept permissive here: the check only catches junk early, quoting is what keeps it safe.
ZONE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
PFEXEC = "pfexec"
# The subset of ansible.builtin.ssh's loader keyword arguments forwarded to it.
SUB_KWARGS = ("task_uuid", "ansible_playbook_pid")


def quote_argv(argv):
    """argv as one POSIX shell command line that the shell splits back into exactly argv."""
    return " ".join(shlex.quote(to_text(arg, errors="surrogate_or_strict")) for arg in argv)


def zlogin_argv(zlogin_path, zone, command, pfexec=False):
    """The global zone argv running `command` in `zone`.

    `command` is passed as a single argument: zlogin hands a lone argument
    unquoted to `su root -c` in the zone, so the zone's shell parses it exactly
    as Ansible wrote it. Several arguments would be joined with spaces, and
    only those containing a blank would be wrapped in single quotes.
    """
    argv = [PFEXEC] if pfexec else []
    return argv + [zlogin_path, zone, command]


def check_zone_line(zone, text):
    """Refusal text for the `zoneadm -z ZONE list -p` output of a zone we cannot zlogin into, else None."""
    lines = [line for line in to_text(text, errors="surrogate_or_strict").splitlines() if line.strip()]
    if not lines:
        return "zoneadm printed nothing for zone %r" % zone
    try:
        info = parse_line(lines[0])
    except ParseError as exc:
        return "cannot read zoneadm's line for zone %r: %s" % (zone, to_native(exc))
    if info["brand"] in VM_BRANDS:
        return ("zone %r has brand %r: it runs a virtual machine with its own operating system, which zlogin "
                "cannot enter (zlogin only reaches its serial console, with -C). Reach the guest over SSH instead: "
                "ansible_connection=ssh with the guest's address as ansible_host (the zoneweaver.illumos.zones "
                "inventory does this for bhyve zones)." % (zone, info["brand"]))
    if info["state"] != "running":
        return ("zone %r is %r, not running: zlogin runs commands only in running zones. Boot it first "
                "(zoneweaver.illumos.zone with state=running, or zoneadm -z %s boot)." % (zone, info["state"], zone))
    return None


class Connection(ConnectionBase):
    """Commands, files and become inside a native zone, through zlogin in its global zone."""

    transport = "zoneweaver.illumos.zlogin"
    has_pipelining = True
    # zlogin's non-interactive mode gives the command pipes, never a terminal.
    has_tty = False
    # zlogin logs in as root (no -l): become_user root is then no change of user.
    default_user = "root"

    def __init__(self, play_context, *args, **kwargs):
        super(Connection, self).__init__(play_context, *args, **kwargs)
        self._sub_kwargs = dict((k, kwargs[k]) for k in SUB_KWARGS if k in kwargs)
        # The ansible.builtin.ssh connection to the global zone (global_zone_connection=ssh). The task executor
        # sets its options from the ssh plugin's own variables because of this attribute's name.
        self.ssh_type_conn = None
        self._zone_checked = None

    # ------------------------------------------------------------------ options and the global zone
    def set_options(self, task_keys=None, var_options=None, direct=None):
        super(Connection, self).set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        if self.get_option("global_zone_connection") == "ssh":
            if self.ssh_type_conn is None:
                self.ssh_type_conn = connection_loader.get("ssh", self._play_context, shell=self._shell,
                                                           **self._sub_kwargs)
                if self.ssh_type_conn is None:
                    raise AnsibleError("the ansible.builtin.ssh connection plugin could not be loaded")
        else:
            self.ssh_type_conn = None

    def _zone(self):
        zone = self.get_option("zone")
        if not zone or zone == "inventory_hostname":
            raise AnsibleConnectionFailure("zoneweaver.illumos.zlogin: no zone name; set ansible_zlogin_zone")
        zone = to_text(zone)
        if zone == "global":
            raise AnsibleConnectionFailure("zoneweaver.illumos.zlogin cannot enter the global zone itself; "
                                           "use the ssh or local connection for it")
        if not ZONE_NAME.match(zone):
            raise AnsibleConnectionFailure("zoneweaver.illumos.zlogin: %r is not a valid zone name" % zone)
        return zone

    def _global_zone_label(self):
        if self.ssh_type_conn is None:
            return "the local global zone"
        host = None
        try:
            host = self.ssh_type_conn.get_option("host")
        except KeyError:
            pass
        return "global zone %s" % (host or self._play_context.remote_addr)

    def _run_global(self, argv, in_data=None, stdin_path=None, stdout_path=None):
        """Run argv in the global zone -> (rc, stdout bytes, stderr bytes).

        Locally argv runs without a shell. Over SSH it is quoted into one command line for the global zone's
        login shell and run by the ssh plugin without become and without a terminal (sudoable=False), so
        bytes pass unchanged and nothing escalates in the global zone. stdin_path/stdout_path stream a file
        locally; over SSH their content goes through memory.
        """
        if self.ssh_type_conn is not None:
            if stdin_path is not None:
                with open(to_bytes(stdin_path, errors="surrogate_or_strict"), "rb") as handle:
                    in_data = handle.read()
            self.ssh_type_conn._play_context = self._play_context
            rc, stdout, stderr = self.ssh_type_conn.exec_command(quote_argv(argv), in_data=in_data, sudoable=False)
            if stdout_path is not None and rc == 0:
                with open(to_bytes(stdout_path, errors="surrogate_or_strict"), "wb") as handle:
                    handle.write(stdout)
                stdout = b""
            return rc, stdout, stderr
        b_argv = [to_bytes(arg, errors="surrogate_or_strict") for arg in argv]
        stdin_handle = stdout_handle = None
        try:
            if stdin_path is not None:
                stdin_handle = open(to_bytes(stdin_path, errors="surrogate_or_strict"), "rb")
            if stdout_path is not None:
                stdout_handle = open(to_bytes(stdout_path, errors="surrogate_or_strict"), "wb")
            try:
                process = subprocess.Popen(b_argv, stdin=stdin_handle or subprocess.PIPE,
                                           stdout=stdout_handle or subprocess.PIPE, stderr=subprocess.PIPE)
            except OSError as exc:
                raise AnsibleConnectionFailure("cannot run %s in the local global zone: %s"
                                               % (to_native(argv[0]), to_native(exc)))
            stdout, stderr = process.communicate(None if stdin_handle else in_data)
            return process.returncode, stdout or b"", stderr or b""
        finally:
            for handle in (stdin_handle, stdout_handle):
                if handle is not None:
                    handle.close()

    def _check_zone(self, zone):
        """Refuse VM brands and zones that are not running (once per connection)."""
        if self._zone_checked == zone:
            return
        argv = [self.get_option("zoneadm_path"), "-z", zone, "list", "-p"]
        rc, stdout, stderr = self._run_global(argv)
        where = self._global_zone_label()
        if rc != 0:
            detail = to_native(stderr or stdout).strip()
            if rc == 127:
                detail += (" (is %s an illumos global zone? zoneadm_path is %s)" % (where, argv[0]))
            raise AnsibleConnectionFailure("zone %r on %s: %s failed (rc=%d): %s"
                                           % (zone, where, quote_argv(argv), rc, detail))
        refusal = check_zone_line(zone, stdout)
        if refusal:
            raise AnsibleConnectionFailure("%s (zoneadm on %s)" % (refusal, where))
        self._zone_checked = zone

    def _connect(self):
        zone = self._zone()
        if not self._connected:
            display.vvv("ZLOGIN: zone %s through %s" % (zone, self._global_zone_label()), host=zone)
            self._check_zone(zone)
            self._connected = True
        return self

    # ------------------------------------------------------------------ the connection API
    def _zone_exec(self, command, in_data=None, stdin_path=None, stdout_path=None):
        argv = zlogin_argv(self.get_option("zlogin_path"), self._zone(), command, pfexec=self.get_option("pfexec"))
        return self._run_global(argv, in_data=in_data, stdin_path=stdin_path, stdout_path=stdout_path)

    def exec_command(self, cmd, in_data=None, sudoable=True):
        """Run cmd (already wrapped by the become plugin, if any) in the zone."""
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        zone = self._zone()
        display.vvv("ZLOGIN EXEC in %s: %s" % (zone, to_text(cmd)), host=zone)
        rc, stdout, stderr = self._zone_exec(to_text(cmd, errors="surrogate_or_strict"), in_data=in_data)
        become = self.become
        if sudoable and become is not None and become.success and become.check_success(stdout):
            stdout = become.strip_become_success(stdout)
        return rc, stdout, stderr

    def put_file(self, in_path, out_path):
        """Copy a controller file into the zone: its bytes are piped to `cat > out_path`."""
        super(Connection, self).put_file(in_path, out_path)
        zone = self._zone()
        display.vvv("ZLOGIN PUT %s TO %s in %s" % (in_path, out_path, zone), host=zone)
        if not os.path.exists(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound("file or module does not exist: %s" % to_native(in_path))
        quoted = shlex.quote(to_text(out_path, errors="surrogate_or_strict"))
        if os.path.getsize(to_bytes(in_path, errors="surrogate_or_strict")):
            rc, stdout, stderr = self._zone_exec("cat > %s" % quoted, stdin_path=in_path)
        else:
            # Nothing to send: ansible.builtin.ssh would leave the command's stdin open (a pty), and cat would wait.
            rc, stdout, stderr = self._zone_exec("cat /dev/null > %s" % quoted)
        if rc != 0:
            raise AnsibleError("failed to transfer %s to %s in zone %s (rc=%d): %s"
                               % (to_native(in_path), to_native(out_path), zone, rc,
                                  to_native(stderr or stdout).strip()))

    def fetch_file(self, in_path, out_path):
        """Copy a zone file to the controller: `cat in_path` in the zone, its bytes written to out_path."""
        super(Connection, self).fetch_file(in_path, out_path)
        zone = self._zone()
        display.vvv("ZLOGIN FETCH %s in %s TO %s" % (in_path, zone, out_path), host=zone)
        command = "cat %s" % shlex.quote(to_text(in_path, errors="surrogate_or_strict"))
        rc, stdout, stderr = self._zone_exec(command, stdout_path=out_path)
        if rc != 0:
            try:
                os.unlink(to_bytes(out_path, errors="surrogate_or_strict"))
            except OSError:
                pass
            raise AnsibleError("failed to fetch %s from zone %s (rc=%d): %s"
                               % (to_native(in_path), zone, rc, to_native(stderr or stdout).strip()))

    def reset(self):
        self._zone_checked = None
        if self.ssh_type_conn is not None:
            self.ssh_type_conn.reset()

    def close(self):
        if self.ssh_type_conn is not None:
            self.ssh_type_conn.close()
        self._connected = False
