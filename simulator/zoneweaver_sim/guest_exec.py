"""Guest-agent exec (agent 0.3.9, feature token `guest-agent`):
`POST {M}/guest/exec` and `GET {M}/guest/exec/{pid}`. The 0.2 generation has
no such route (Express's HTML 404).

The guest runs deterministic fake commands, never real ones:
  echo ARGS | hostname | uname [-a|-s|-r] | true | false | sleep N | cat /etc/hostname | cat /etc/os-release
and `sh -c` / `bash -c` scripts of those plus `exit N` and `echo ... >&2`,
joined with `;` or `&&`. A script's unknown command answers 127 ("not found");
an unknown program is a spawn failure of the guest agent (500).

Time is simulated: `sleep N` makes the process run for N real seconds. With
wait=true the agent answers at once when the command ends within
timeout_seconds (the simulator does not hold the request open), otherwise with
{pid, exited:false}; GET .../exec/{pid} reports it exited once N seconds passed.
The answer's shape is not documented beyond "Command result (or pid when
wait=false / still running)" with "decoded stdout/stderr" (DEVIATIONS.md,
guest-exec-shape).
"""
from __future__ import annotations

import shlex
import time

from . import zonecfg
from .server import Response, error

MAX_TIMEOUT = 600
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nID=debian\n'


def guest_hostname(zone_name: str) -> str:
    base = zone_name.split("--", 1)[1] if "--" in zone_name else zone_name
    return base.split(".", 1)[0]


class GuestProgram:
    """One command's outcome: exit code, output, and how long it runs."""

    def __init__(self):
        self.stdout, self.stderr, self.rc, self.duration = "", "", 0, 0.0


def _simple(argv, host, prog) -> bool:
    """Run one simple command into prog; False when the command is unknown."""
    name = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    to_stderr = False
    if args and args[-1] in (">&2", "1>&2"):
        args, to_stderr = args[:-1], True
    if name == "echo":
        text = " ".join(args) + "\n"
        if to_stderr:
            prog.stderr += text
        else:
            prog.stdout += text
        prog.rc = 0
    elif name == "hostname" or (name == "cat" and args == ["/etc/hostname"]):
        prog.stdout += host + "\n"
        prog.rc = 0
    elif name == "cat" and args == ["/etc/os-release"]:
        prog.stdout += OS_RELEASE
        prog.rc = 0
    elif name == "uname":
        prog.stdout += (f"Linux {host} 6.12.0-1-amd64 #1 SMP Debian x86_64 GNU/Linux\n" if "-a" in args
                        else "6.12.0-1-amd64\n" if "-r" in args else "Linux\n")
        prog.rc = 0
    elif name in ("true", ":"):
        prog.rc = 0
    elif name == "false":
        prog.rc = 1
    elif name == "sleep":
        try:
            prog.duration += float(args[0]) if args else 0.0
            prog.rc = 0
        except ValueError:
            prog.stderr += f"sleep: invalid time interval '{args[0]}'\n"
            prog.rc = 1
    else:
        return False
    return True


def _script(script, host, prog):
    """A small sh: commands joined by ';' or '&&' (an '&&' chain stops at a failure), `exit N`."""
    for part in script.replace("&&", "\0&&\0").replace(";", "\0;\0").split("\0"):
        part = part.strip()
        if part in (";", ""):
            continue
        if part == "&&":
            if prog.rc != 0:
                return
            continue
        argv = shlex.split(part)
        if argv[0] == "exit":
            prog.rc = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else prog.rc
            return
        if not _simple(argv, host, prog):
            prog.stderr += f"sh: 1: {argv[0]}: not found\n"
            prog.rc = 127


def run_program(path, args, zone_name) -> GuestProgram | None:
    """The fake guest's answer, or None when the program cannot be spawned."""
    host = guest_hostname(zone_name)
    prog = GuestProgram()
    name = str(path).rsplit("/", 1)[-1]
    if name in ("sh", "bash", "dash") and len(args) >= 2 and args[0] == "-c":
        _script(args[1], host, prog)
        return prog
    if _simple([str(path)] + [str(a) for a in args], host, prog):
        return prog
    return None


def register(router, sim):
    d = sim.dialect
    if not d.is_a:
        return
    item = f"/{d.noun}/:name"
    processes: dict[str, dict[int, dict]] = {}
    counter = {"pid": 1000}

    def _zone(req):
        name = req.params["name"]
        if not zonecfg.valid_zone_name(name):
            raise error(400, "Invalid zone name")
        row = sim.state.machines.get(name)
        if row is None:
            raise error(404, "Zone not found")
        hz = sim.state.host_zones.get(name)
        if hz is None or hz["state"] != "running":
            raise error(400, "Guest agent is not available: machine is not running",
                        current_status=hz["state"] if hz else "not_found")
        return row

    def _answer(name, pid, proc):
        body = {"success": True, d.name_key: name, "pid": pid}
        if time.monotonic() < proc["ends_at"]:
            body["exited"] = False
            return Response(200, body)
        prog = proc["prog"]
        body.update(exited=True, exitcode=prog.rc, signal=None, stdout=prog.stdout, stderr=prog.stderr,
                    out_truncated=False, err_truncated=False)
        return Response(200, body)

    def exec_(req):
        row = _zone(req)
        body = req.body if isinstance(req.body, dict) else {}
        path = body.get("path")
        if not isinstance(path, str) or not path:
            raise error(400, "path is required")
        args = body.get("args") or []
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise error(400, "args must be an array of strings")
        timeout = body.get("timeout_seconds", 30)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT:
            raise error(400, f"timeout_seconds must be an integer between 1 and {MAX_TIMEOUT}")
        prog = run_program(path, args, row["name"])
        if prog is None:
            raise error(500, "Guest exec failed",
                        details=f"Failed to execute child process \u201c{path}\u201d (No such file or directory)")
        counter["pid"] += 1
        pid = counter["pid"]
        proc = {"prog": prog, "ends_at": time.monotonic() + prog.duration}
        processes.setdefault(row["name"], {})[pid] = proc
        if body.get("wait", True) is False:
            return Response(200, {"success": True, d.name_key: row["name"], "pid": pid, "exited": False})
        if prog.duration <= timeout:
            proc["ends_at"] = time.monotonic()   # the agent waited for it (see the module docstring)
        return _answer(row["name"], pid, proc)

    def status(req):
        row = _zone(req)
        try:
            pid = int(req.params["pid"])
        except ValueError:
            raise error(400, "pid must be an integer") from None
        proc = processes.get(row["name"], {}).get(pid)
        if proc is None:
            raise error(404, f"No guest process {pid}")
        return _answer(row["name"], pid, proc)

    router.add("POST", f"{item}/guest/exec", exec_)
    router.add("GET", f"{item}/guest/exec/:pid", status)
