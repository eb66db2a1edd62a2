# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one adapter between the library and AnsibleModule (module execution path).

Agent-backed modules normally run inside the controller through their action
plugin (plugin_utils/agent_action.py); this path serves ansible-doc, sanity,
and direct module execution (for example `ansible -m` with the action plugin
bypassed, or native modules).
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.options import infinite_integer_message


def run_module(argument_spec, runner, **kwargs):
    kwargs.setdefault("supports_check_mode", True)
    try:
        module = AnsibleModule(argument_spec=argument_spec, **kwargs)
    except OverflowError:
        # 'inf' for an integer option: ansible-core raises instead of failing the module. The
        # same options typed raw (no_log and aliases kept) accept the arguments, so it can fail cleanly.
        raw = {name: {"type": "raw", "no_log": bool(spec.get("no_log")), "aliases": list(spec.get("aliases", ()))}
               for name, spec in argument_spec.items()}
        module = AnsibleModule(argument_spec=raw, supports_check_mode=True)
        module.fail_json(msg=infinite_integer_message(argument_spec, module.params))
    ctx = RunContext(check_mode=module.check_mode, diff=module._diff, run_command=module.run_command,
                     pfexec=bool(module.params.get("pfexec")))
    try:
        result = runner(module.params, ctx)
    except ZoneweaverError as exc:
        for warning in ctx.warnings:
            module.warn(warning)
        module.fail_json(**exc.to_result())
    except Exception as exc:  # a bug: report it with the traceback instead of a bare crash
        module.fail_json(msg="unexpected error in zoneweaver.illumos: %s" % exc, exception=traceback.format_exc())
    for warning in ctx.warnings:
        module.warn(warning)
    module.no_log_values.update(v for v in result.pop("_secrets", ()) if v)
    if result.pop("_no_log_result", False):
        result["_ansible_no_log"] = True  # censor a freshly minted secret in display, keep it for register
    module.exit_json(**result)
