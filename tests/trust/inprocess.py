"""Run a module's own validation and resource code in this process, as its action plugin does
(argument spec, then RUNNER), against a simulator: the agent face over HTTP, or the fake illumos
commands called directly (no process per command) for backend=native."""

import importlib
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import infinite_integer_message
from zoneweaver_sim import commands

MODULES = "ansible_collections.zoneweaver.illumos.plugins.modules."


def fake_run_command(sim):
    """AnsibleModule.run_command for a host whose commands are the simulator's."""
    def run_command(args, check_rc=False, data=None, environ_update=None, **kwargs):
        argv = [str(a) for a in args]
        if os.path.basename(argv[0]) == "pfexec":
            argv = argv[1:]
        files = {}
        for flag, path in zip(argv, argv[1:]):
            if flag == "-f" and path not in ("-", "/dev/stdin") and os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as handle:
                    files[path] = handle.read()
        answer = commands.execute(sim, {"tool": os.path.basename(argv[0]), "argv": argv[1:], "stdin": data or "",
                                        "env": dict(environ_update or {}), "files": files})
        return int(answer.get("rc", 1)), answer.get("stdout", ""), answer.get("stderr", "")
    return run_command


def run_module(name, args, sim=None, native=False, check_mode=False):
    """('refused', msg) for arguments the spec rejects, ('failed', msg) for a ZoneweaverError,
    ('ok', result) otherwise. Any other exception propagates: it is a bug."""
    module = importlib.import_module(MODULES + name)
    validator = ArgumentSpecValidator(module.ARGUMENT_SPEC, **getattr(module, "ARGUMENT_OPTIONS", {}))
    try:
        validated = validator.validate(args)
    except OverflowError:   # as the action plugin answers it (ansible-core raises for an infinite integer)
        return "refused", infinite_integer_message(module.ARGUMENT_SPEC, args)
    if validated.error_messages:
        return "refused", "; ".join(validated.error_messages)
    ctx = RunContext(check_mode=check_mode, diff=True, run_command=fake_run_command(sim) if native else None)
    try:
        return "ok", module.RUNNER(validated.validated_parameters, ctx)
    except ZoneweaverError as exc:
        return "failed", exc.to_result()["msg"]
