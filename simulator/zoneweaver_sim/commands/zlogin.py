"""`zlogin ZONE COMMAND...`: run a command "inside" a running native zone.

What is real: the command really runs, as a child of the `zlogin` shim, with
zlogin's non-interactive plumbing: stdin, stdout and stderr are the caller's
own pipes, so bytes (NUL, newlines, binary) pass unchanged and the exit code
is the command's. As in illumos (usr/src/cmd/zlogin/zlogin.c prep_args), the
command words become one `su root -c` string: a lone argument is passed
as it is (the zone's shell parses it), several are joined with spaces, those
containing a blank wrapped in single quotes. The simulator runs that string
with `/bin/sh -c` (in place of root's login shell). With -i the words are
executed directly, and -n reads stdin from /dev/null.

What is simulated (a chroot is not possible): each zone gets a root directory
on the controller, <state_dir>/zoneroots/<zone>. The command starts there
(cwd) with the clean environment zlogin builds (PATH=/usr/sbin:/usr/bin plus
/sbin:/bin, HOME, LOGNAME, SHELL, MAIL) and two extras, ZONEWEAVER_ZONE_ROOT
(that directory) and ZONEWEAVER_ZONE (the zone name). HOME is the zone root,
so `~` and Ansible's default remote_tmp land there, but `~root` is the
controller's /root. Absolute paths are NOT mapped: the simulated zone's
filesystem is the controller's, as the user running the tests sees it, with
the controller's /bin/sh, cat and python. That is enough for Ansible's
module execution (`/bin/sh -c '...'`, a python interpreter, put/fetch through
`cat`). It is meant for tests on a throwaway machine and is no isolation.
`zonename` and `hostname` (without arguments) print the zone's name; `uname`
and the rest are the controller's.

How: the `zlogin` shim (SHIM below, written by write_shims) POSTs its argv to
/_sim/exec with ZONEWEAVER_SIM_ZLOGIN=spawn. This module checks the zone as
zlogin does and answers a spawn plan (argv, cwd, env) on stdout after
SPAWN_MARK; the shim then execs the plan itself. The simulator process never
runs the command, and a POST without the spawn marker is refused. Refusals use
zlogin's texts: unknown zone, a zone below installed, a zone that is not
running [src zlogin.c main()]; a bhyve or kvm zone fails as zlogin does when
the zone's root has neither su nor the command: `exec failure` [mem: inferred
from zlogin.c and the bhyve brand's empty user_cmd, not observed on OmniOS].
Console (-C), interactive logins (no command) and -l other than root are not
simulated.
"""
from __future__ import annotations

import json
import os
import stat

TOOL = "zlogin"
READ_ONLY = frozenset(("echo", "true", "false", "exit", "hostname", "zonename", "uname"))
VM_BRANDS = frozenset(("bhyve", "kvm"))
# zoneadm's states in order [src libzonecfg]; zlogin refuses zones below installed, and runs
# commands only in running (or mounted) ones.
STATES = ("configured", "incomplete", "installed", "ready", "mounted", "running", "shutting_down", "down")
SPAWN_KEY = "ZONEWEAVER_SIM_ZLOGIN"
SPAWN_MARK = "#zoneweaver-sim-zlogin-spawn "
ZONE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"      # zlogin's DEF_PATH, plus Linux's /sbin:/bin
USAGE = "usage: zlogin [-dinCEINQS] [-e cmdchar] [-l user] zonename [command [args ...] ]"   # [src]
_WITH_ARG = ("-e", "-l", "-R")

_ZONE_BIN = {
    "zonename": '#!/bin/sh\n# zoneweaver-sim: zonename(1) inside a simulated zone\necho "$ZONEWEAVER_ZONE"\n',
    "hostname": ('#!/bin/sh\n# zoneweaver-sim: hostname(1) inside a simulated zone (the zone name)\n'
                 'if [ $# -gt 0 ]; then echo "hostname: cannot change the host name of a simulated zone" >&2; '
                 'exit 1; fi\necho "$ZONEWEAVER_ZONE"\n'),
}


def zone_root(state_dir: str, zone: str) -> str:
    """The directory that plays the root of `zone`: <state_dir>/zoneroots/<zone>."""
    return os.path.join(state_dir, "zoneroots", zone)


def _split(argv):
    """zlogin [-dinCEINQS] [-e c] [-l user] [-R root] zone [command...] -> (flags, options, zone, command words)."""
    flags, options, i = set(), {}, 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "-":
        if argv[i] == "--":
            i += 1
            break
        if argv[i] in _WITH_ARG and i + 1 < len(argv):
            options[argv[i][1]] = argv[i + 1]
            i += 2
            continue
        flags.update(argv[i][1:])
        i += 1
    if i >= len(argv):
        return flags, options, None, []
    return flags, options, argv[i], argv[i + 1:]


def is_mutating(inv) -> bool:
    words = _split(inv.argv)[3]
    try:
        commands = [c.split() for c in " ".join(words).split(";") if c.strip()]
    except ValueError:
        return True
    return any(c[0] not in READ_ONLY for c in commands)


def subshell(words) -> str:
    """zlogin's prep_args: the string handed to `su root -c` [src zlogin.c]."""
    if len(words) == 1:
        return words[0]
    return " ".join("'%s'" % w if (" " in w or "\t" in w) else w for w in words)


def _zone_bin(state_dir: str) -> str:
    directory = os.path.join(state_dir, "zoneroots", ".zlogin-bin")
    os.makedirs(directory, exist_ok=True)
    for name, text in _ZONE_BIN.items():
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
            os.replace(tmp, path)
    return directory


def plan(state_dir: str, zone: str, words, flags=frozenset()) -> dict:
    """How the shim runs `words` in `zone`: {argv, cwd, env, stdin_null}."""
    root = zone_root(state_dir, zone)
    os.makedirs(root, exist_ok=True)
    argv = list(words) if "i" in flags else ["/bin/sh", "-c", subshell(words)]
    env = {"PATH": _zone_bin(state_dir) + os.pathsep + ZONE_PATH, "HOME": root, "LOGNAME": "root",
           "SHELL": "/bin/sh", "MAIL": "/var/mail/root", "ZONEWEAVER_ZONE_ROOT": root, "ZONEWEAVER_ZONE": zone}
    return {"argv": argv, "cwd": root, "env": env, "stdin_null": "n" in flags}


def run(inv):
    flags, options, zone, words = _split(inv.argv)
    if "C" in flags:
        inv.fail("zlogin: the console (-C) is not supported by zoneweaver-sim")
    if not zone:
        inv.fail(USAGE, 2)
    if zone == "global":
        inv.fail("zlogin: 'zlogin' not applicable to the global zone")   # [src]
    hz = inv.state.host_zones.get(zone)
    if hz is None:
        inv.fail(f"zlogin: zone '{zone}' unknown")   # [src]
    state = hz["state"]
    if state in STATES and STATES.index(state) < STATES.index("installed"):
        inv.fail(f"zlogin: cannot login to a zone which is '{state}'")   # [src]
    if state not in ("running", "mounted"):
        inv.fail(f"zlogin: login allowed only to running zones ({zone} is '{state}').")   # [src]
    if not words:
        inv.fail("zlogin: interactive logins are not supported by zoneweaver-sim; give a command")
    brand = (hz.get("config") or {}).get("brand") or "ipkg"
    if brand in VM_BRANDS:
        # neither su nor the command exist in a VM zone's root: zlogin's execve fails in the zone [mem]
        inv.fail("zlogin: exec failure: No such file or directory")
    user = options.get("l", "root")
    if user != "root":
        inv.fail(f"zlogin: zoneweaver-sim runs zone commands as the controller's user; -l {user} is not simulated")
    if inv.env.get(SPAWN_KEY) != "spawn":
        inv.fail("zoneweaver-sim: zlogin runs its command on the caller's side, through the zlogin shim "
                 "(zoneweaver-sim shims DIR); POST /_sim/exec alone does not run it")
    inv.out(SPAWN_MARK + json.dumps(plan(inv.state.dir, zone, words, flags), sort_keys=True))
    return 0


SHIM = '''#!{python}
# zoneweaver-sim shim for `zlogin` (generated by `zoneweaver-sim shims`; do not edit).
# Asks the simulated host at {url} whether the zone can be entered (POST /_sim/exec), then runs
# the command itself, on this machine, in the zone's simulated root: stdin, stdout and stderr stay
# this process's own (binary-safe), the exit code is the command's.
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

URL = {url!r}
TOOL = {tool!r}
CAFILE = {cafile!r}
ENV_KEYS = {env_keys!r}
SPAWN_KEY = ''' + repr(SPAWN_KEY) + '''
SPAWN_MARK = ''' + repr(SPAWN_MARK) + '''
TIMEOUT = 600


def spawn(plan):
    os.makedirs(plan["cwd"], exist_ok=True)
    os.chdir(plan["cwd"])
    if plan.get("stdin_null"):
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    try:
        os.execvpe(plan["argv"][0], plan["argv"], plan["env"])
    except OSError as exc:
        sys.stderr.write("zlogin: exec failure: %s\\n" % exc.strerror)
        return 1


def main():
    argv = sys.argv[1:]
    env = {{k: os.environ[k] for k in ENV_KEYS if k in os.environ}}
    env[SPAWN_KEY] = "spawn"
    body = {{"tool": TOOL, "argv": argv, "stdin": "", "env": env, "files": {{}}}}
    request = urllib.request.Request(URL.rstrip("/") + "/_sim/exec", data=json.dumps(body).encode("utf-8"),
                                     headers={{"Content-Type": "application/json"}}, method="POST")
    context = ssl.create_default_context(cafile=CAFILE) if CAFILE else None
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as answer:
            result = json.loads(answer.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        detail = exc.read().decode("utf-8", "replace") if isinstance(exc, urllib.error.HTTPError) else exc
        sys.stderr.write("zoneweaver-sim shim: {tool}: the simulator at %s did not answer: %s\\n" % (URL, detail))
        return {unreachable}
    out = result.get("stdout", "")
    sys.stderr.write(result.get("stderr", ""))
    sys.stderr.flush()
    if result.get("rc") == 0 and out.startswith(SPAWN_MARK):
        return spawn(json.loads(out[len(SPAWN_MARK):]))
    sys.stdout.write(out)
    sys.stdout.flush()
    return int(result.get("rc", 1))


if __name__ == "__main__":
    sys.exit(main())
'''
