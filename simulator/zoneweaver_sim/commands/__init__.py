"""The fake illumos commands: the simulated host's command-line face.

`zoneweaver-sim shims DIR --url URL` (or `Simulator.write_shims(DIR)`) writes
small executables named after the illumos tools into DIR. Each one POSTs
{tool, argv, stdin, env, files} to the running simulator's `/_sim/exec`,
prints the answer's stdout and stderr and exits with its exit code. The
commands act on the same HostState as the agent API, so a zone made with
zonecfg/zoneadm shows up in GET /machines and one made through the agent
shows up in `zoneadm list` (one state, several faces).

Adding a tool is one module in this package, found by its name when the
tool is first run:

    TOOL = "dladm"                # the command name (module dladm.py)

    def run(inv):                 # inv: Invocation
        ...                       # inv.out(text) / inv.err(text), return the exit code (None = 0)
                                  # inv.fail(message, rc=1) stops with an error
                                  # inv.state is the HostState (the state lock is held)

    def is_mutating(inv):         # optional: does this invocation change the host?
        ...                       # (used by sim.command_mutations(); default: guess_mutating)

    SHIM = shim_template(...)     # optional: its own request_body(argv) in the common shim

A tool without a module answers `<tool>: not implemented by zoneweaver-sim`
with exit code 1, so every shim can exist before its server side does.
Errors of the ZFS model (TaskFailure) become exit code 1 with zfs's text.
"""
from __future__ import annotations

import copy
import importlib
import os
import stat
import sys
import threading
import time
import traceback

from ..tasks import TaskFailure

# Every shim `write_shims` writes. pfexec runs its arguments locally (see PFEXEC_SHIM).
TOOLS = ("zoneadm", "zonecfg", "zfs", "zpool", "zlogin", "dladm", "ipadm", "routeadm", "ipnat", "ipf", "ipfstat",
         "svcs", "svcadm", "svccfg", "pkg")
SHIMS = TOOLS + ("pfexec",)
# Environment variables a shim forwards (the rest of the caller's environment stays private).
ENV_KEYS = ("LC_ALL", "LANG", "LC_MESSAGES", "TZ", "USER", "LOGNAME", "SUDO_USER", "PFEXEC")
NOT_IMPLEMENTED_RC = 1
INTERNAL_ERROR_RC = 70      # EX_SOFTWARE: a simulator bug, never an illumos answer
SHIM_UNREACHABLE_RC = 125

# Knobs of the command face (sim.command_knobs); PUT /_sim/commands/knobs changes them.
COMMAND_KNOB_DEFAULTS = {
    "shutdown_seconds": 0.0,    # a graceful `zoneadm shutdown` stays shutting_down this long
    "ignore_shutdown": False,   # the guest ignores the shutdown request: the zone stays running
    "install_seconds": 0.0,     # `zoneadm install` shows the zone incomplete this long
    "boot_seconds": 0.0,        # `zoneadm boot` shows the zone ready this long
    "fail": {},                 # {"zoneadm install": "stderr text"}: that invocation fails with rc 1
}

# First words that only read, for tools without their own is_mutating().
_READ_WORDS = ("show", "list", "get", "info", "export", "status", "help", "verify", "holds")


def default_command_knobs() -> dict:
    return copy.deepcopy(COMMAND_KNOB_DEFAULTS)


def update_command_knobs(knobs: dict, changes) -> dict:
    if not isinstance(changes, dict):
        raise ValueError("command knobs must be a JSON object")
    for key, value in changes.items():
        if key not in COMMAND_KNOB_DEFAULTS:
            raise ValueError(f"unknown command knob {key!r}; known: {', '.join(sorted(COMMAND_KNOB_DEFAULTS))}")
        default = COMMAND_KNOB_DEFAULTS[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{key} must be a number of seconds >= 0")
            value = float(value)
        elif not (isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
            raise ValueError(f"{key} must map 'tool word...' to an error text")
        knobs[key] = value
    return knobs


# --------------------------------------------------------------------------- invocations


class CommandFailed(Exception):
    """Stop the command: `message` goes to stderr, the exit code is `rc`."""

    def __init__(self, message: str, rc: int = 1):
        super().__init__(message)
        self.message = message
        self.rc = rc


class Invocation:
    """One run of a fake command. Handlers write with out()/err(); the state
    lock is held for the whole run except inside pause()."""

    def __init__(self, sim, tool: str, argv: list[str], stdin: str = "", env: dict | None = None,
                 files: dict | None = None, stream: dict | None = None):
        self.sim = sim
        self.tool = tool
        self.argv = argv
        self.stdin = stdin
        self.env = dict(env or {})
        self.files = dict(files or {})   # -f FILE contents the shim read on the caller's side
        # A binary stdin the shim consumed on the caller's side (`zfs recv`): {bytes, crc32, head}
        self.stream = dict(stream) if isinstance(stream, dict) else None
        self._stdout: list[str] = []
        self._stderr: list[str] = []

    @property
    def state(self):
        return self.sim.state

    @property
    def knobs(self) -> dict:
        return getattr(self.sim, "command_knobs", None) or COMMAND_KNOB_DEFAULTS

    @staticmethod
    def _line(text: str) -> str:
        return text if text.endswith("\n") else text + "\n"

    def out(self, text: str = "") -> None:
        self._stdout.append(self._line(text))

    def err(self, text: str) -> None:
        self._stderr.append(self._line(text))

    def fail(self, message: str, rc: int = 1):
        raise CommandFailed(message, rc)

    def pause(self, seconds: float) -> None:
        """Let time pass with the state unlocked, so other callers (a poll of
        `zoneadm list`, the agent API) see the transitional state meanwhile."""
        if seconds <= 0:
            return
        lock = self.sim.state.lock
        lock.release()
        try:
            time.sleep(seconds)
        finally:
            lock.acquire()

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)


def guess_mutating(inv: Invocation) -> bool:
    """A tool's first non-option word says whether it only reads (show-*, list, get...)."""
    words = [a for a in inv.argv if not a.startswith("-")]
    if not words:
        return inv.tool not in ("svcs",)
    return not words[0].startswith(_READ_WORDS) and inv.tool != "svcs"


_MODULES: dict[str, object] = {}
_MODULES_LOCK = threading.Lock()


def tool_module(tool: str):
    """The module implementing `tool`, or None when there is none yet."""
    if tool not in TOOLS:
        return None
    with _MODULES_LOCK:
        if tool not in _MODULES:
            try:
                module = importlib.import_module(f"{__name__}.{tool}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{tool}":
                    raise
                module = None
            _MODULES[tool] = module if module is not None and getattr(module, "TOOL", None) == tool else None
        return _MODULES[tool]


def _injected_failure(inv: Invocation) -> str | None:
    """A `fail` knob entry whose words all appear in the invocation, in order."""
    for key, message in (inv.knobs.get("fail") or {}).items():
        words = key.split()
        if not words or words[0] != inv.tool:
            continue
        rest = iter(inv.argv)
        if all(any(arg == w for arg in rest) for w in words[1:]):
            return message
    return None


def _check_body(body) -> tuple:
    if not isinstance(body, dict):
        raise ValueError("POST a JSON object {tool, argv, stdin, env, files}")
    tool, argv = body.get("tool"), body.get("argv", [])
    if not isinstance(tool, str) or not tool:
        raise ValueError("tool must be a command name")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ValueError("argv must be a list of strings")
    stdin = body.get("stdin") or ""
    env = body.get("env") or {}
    files = body.get("files") or {}
    if not isinstance(stdin, str) or not isinstance(env, dict) or not isinstance(files, dict):
        raise ValueError("stdin must be a string, env and files objects")
    return tool, argv, stdin, env, files


def execute(sim, body) -> dict:
    """Run one command against the host state; {rc, stdout, stderr}. ValueError for a malformed body."""
    tool, argv, stdin, env, files = _check_body(body)
    inv = Invocation(sim, tool, list(argv), stdin, env, files, stream=body.get("stream"))
    module = tool_module(tool)
    with sim.state.lock:
        if module is None:
            mutating = guess_mutating(inv)
            inv.err(f"{tool}: not implemented by zoneweaver-sim yet (simulator/zoneweaver_sim/commands/{tool}.py)")
            rc = NOT_IMPLEMENTED_RC
        else:
            classify = getattr(module, "is_mutating", guess_mutating)
            try:
                mutating = bool(classify(inv))
            except Exception:   # a malformed command line: let run() report it
                mutating = False
            injected = _injected_failure(inv)
            try:
                if injected is not None:
                    raise CommandFailed(injected)
                rc = module.run(inv)
                rc = 0 if rc is None else int(rc)
            except CommandFailed as exc:
                inv.err(exc.message)
                rc = exc.rc
            except TaskFailure as exc:      # the ZFS model's refusals carry zfs's own text
                inv.err(str(exc))
                rc = 1
            except Exception as exc:        # a simulator bug: say so, never pretend it is illumos
                traceback.print_exc(file=sys.stderr)
                inv.err(f"zoneweaver-sim: internal error in {tool}: {exc!r}")
                rc = INTERNAL_ERROR_RC
        sim.command_log.add(tool, argv, rc, mutating)
    try:
        sim.state.save()
    except OSError:
        pass
    return {"rc": rc, "stdout": inv.stdout, "stderr": inv.stderr}


class CommandLog:
    """Every command run through the shims: {tool, argv, rc, mutating}."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: list[dict] = []

    def add(self, tool: str, argv: list[str], rc: int, mutating: bool) -> None:
        with self._lock:
            self._entries.append({"tool": tool, "argv": list(argv), "rc": rc, "mutating": bool(mutating)})

    def entries(self) -> list[dict]:
        with self._lock:
            return [dict(e, argv=list(e["argv"])) for e in self._entries]

    def mutations(self) -> list[dict]:
        return [e for e in self.entries() if e["mutating"]]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count


# --------------------------------------------------------------------------- shims

# A shim's template is built by shim_template(): this head, the imports, the
# tool's request_body(argv) and the common main() that POSTs it.
_SHIM_HEAD = '''#!{python}
# zoneweaver-sim shim for `{tool}` (generated by `zoneweaver-sim shims`; do not edit).
# Runs {tool} on the simulated host at {url}: POST /_sim/exec, print the answer, exit with its code.
'''
_SHIM_IMPORTS = ("json", "os", "ssl", "sys", "urllib.error", "urllib.request")
_SHIM_CONSTANTS = '''
URL = {url!r}
TOOL = {tool!r}
CAFILE = {cafile!r}
ENV_KEYS = {env_keys!r}
TIMEOUT = 600


def forwarded_env():
    """The caller's environment variables the simulated host may see."""
    return {{k: os.environ[k] for k in ENV_KEYS if k in os.environ}}
'''
_SHIM_MAIN = '''

def main():
    body = request_body(sys.argv[1:])
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
    sys.stdout.write(result.get("stdout", ""))
    sys.stderr.write(result.get("stderr", ""))
    sys.stdout.flush()
    return int(result.get("rc", 1))


if __name__ == "__main__":
    sys.exit(main())
'''


def shim_template(request_body: str, imports=()) -> str:
    """The template of a shim whose main() POSTs request_body(sys.argv[1:]) to /_sim/exec.

    `request_body` is the source of that function and its helpers (a format
    template: braces doubled); `imports` names the modules it needs beyond
    the common ones."""
    modules = sorted(set(_SHIM_IMPORTS).union(imports))
    return "".join((_SHIM_HEAD, "".join(f"import {m}\n" for m in modules), _SHIM_CONSTANTS, "\n\n",
                    request_body.strip("\n"), "\n", _SHIM_MAIN))


_SHIM = shim_template('''
def stdin_wanted(argv):
    """Only an explicit '-f -' (or /dev/stdin) reads standard input, as the real tools do."""
    return any(a == "-f" and b in ("-", "/dev/stdin") for a, b in zip(argv, argv[1:]))


def local_files(argv):
    files = {{}}
    for flag, path in zip(argv, argv[1:]):
        if flag == "-f" and path not in ("-", "/dev/stdin") and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as fh:
                files[path] = fh.read()
    return files


def request_body(argv):
    return {{"tool": TOOL, "argv": argv, "stdin": sys.stdin.read() if stdin_wanted(argv) else "",
            "env": forwarded_env(), "files": local_files(argv)}}
''')

PFEXEC_SHIM = '''#!{python}
# zoneweaver-sim shim for `pfexec` (generated; do not edit): runs its arguments, as
# pfexec does for a user whose RBAC profiles allow them (the simulator grants all).
import os
import sys

if len(sys.argv) < 2:
    sys.stderr.write("usage: pfexec command [arg ...]\\n")
    sys.exit(1)
try:
    os.execvp(sys.argv[1], sys.argv[1:])
except OSError as exc:
    sys.stderr.write("pfexec: %s: %s\\n" % (sys.argv[1], exc.strerror))
    sys.exit(127)
'''


def write_shims(directory: str, url: str, python: str | None = None, cafile: str | None = None,
                tools=SHIMS) -> list[str]:
    """Write one executable per tool into `directory` (created if needed); return their paths.

    `python` is the interpreter in the shebang (default: this one); `cafile`
    the CA to trust when the simulator serves HTTPS."""
    python = python or sys.executable
    os.makedirs(directory, exist_ok=True)
    paths = []
    for tool in tools:
        if tool not in SHIMS:
            raise ValueError(f"no shim for {tool!r}; known: {', '.join(SHIMS)}")
        if tool == "pfexec":
            text = PFEXEC_SHIM.format(python=python)
        else:
            template = getattr(tool_module(tool), "SHIM", None) or _SHIM
            text = template.format(python=python, tool=tool, url=url, cafile=cafile, env_keys=ENV_KEYS,
                                   unreachable=SHIM_UNREACHABLE_RC)
        path = os.path.join(directory, tool)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        os.replace(tmp, path)
        paths.append(path)
    return paths
