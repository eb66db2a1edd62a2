# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command in a zone's guest through the agent's guest-agent exec.

Like ansible.builtin.command, the module cannot know whether the command
changed anything: it never reports a change on its own (the playbook says so
with changed_when), fails on a non-zero exit code (failed_when relaxes it),
and does not run in check mode.
"""

from __future__ import annotations

import shlex

from ansible_collections.zoneweaver.illumos.plugins.module_utils import values
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError

MAX_EXEC_TIMEOUT = 3600


def normalize(params):
    """(name, argv, timeout); refuses bad input before any call."""
    name = values.check_zone_name(params["name"])
    argv, command = params.get("argv"), params.get("command")
    if (argv is None) == (command is None):
        raise InputError("give exactly one of argv (a list) or command (a string)")
    if command is not None:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise InputError("command cannot be split into arguments: %s" % exc,
                             hint="check the quoting, or give argv as a list")
    argv = [str(a) for a in argv]
    if not argv or not argv[0]:
        raise InputError("the command is empty")
    given = params.get("exec_timeout")
    timeout = values.to_int(30 if given is None else given, "exec_timeout", 1, MAX_EXEC_TIMEOUT)
    return name, argv, timeout


def run(params, ctx):
    """Module entry point (zoneweaver.illumos.zone_exec)."""
    name, argv, timeout = normalize(params)
    result = {"changed": False, "cmd": argv, "zone": name}
    if ctx.check_mode:
        result.update(skipped=True, msg="skipped in check mode: a command in the guest cannot be previewed")
        return result
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.api import AgentApi
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.provisioning import GuestExec
    api = AgentApi.for_module(params, ctx)
    _exited, rc, stdout, stderr, pid = GuestExec(api).run(name, argv, timeout)
    result.update(rc=rc, stdout=stdout, stderr=stderr, stdout_lines=stdout.splitlines(),
                  stderr_lines=stderr.splitlines(), pid=pid)
    if rc != 0:
        result.update(failed=True, msg="non-zero return code %s from %s in zone %s" % (rc, argv[0], name))
    return result
