# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""agent_config: the Zoneweaver Agent's config.yaml on the host the module runs on (native only).

The settings are checked before anything is written (native/agent_config.py),
rendered, and written atomically (native/files.py: temp file, optional
validator, backup, rename) only when the text differs. Credentials (registry
tokens, passwords) are masked in the diff and kept out of the result.
"""

from __future__ import annotations

import os
import shlex

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, ZoneweaverError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.agent_config import (
    check_settings, mask_text, render_yaml, secret_values)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.files import atomic_write, read_file
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import new_result


def check_input(params):
    problems = check_settings(params["settings"])
    if problems:
        raise InputError("the agent settings are not usable, %s was left as it is: %s"
                         % (params["path"], "; ".join(problems)))
    if not os.path.isabs(params["path"]):
        raise InputError("path must be absolute, not %r" % params["path"])
    if params.get("validate") and "%s" not in params["validate"]:
        raise InputError("validate needs %s where the new file's path goes, e.g. 'my-check %s'")
    try:
        mode = int(str(params["mode"]), 8)
    except ValueError:
        raise InputError("mode must be octal like 0640, not %r" % params["mode"])
    return mode


def run(params, ctx):
    mode = check_input(params)
    path = params["path"]
    if not os.path.isdir(os.path.dirname(path)):
        raise ZoneweaverError("the directory of %s does not exist" % path,
                              hint="install the agent's package first (it delivers the directory)")
    text = render_yaml(params["settings"])
    old = read_file(path)
    validate = shlex.split(params["validate"]) if params.get("validate") else None
    runner = ctx.native_runner() if validate else None
    written = atomic_write(path, text, mode=mode, backup=params["backup"], validate=validate, runner=runner,
                           check_mode=ctx.check_mode)
    result = new_result()
    result.update(changed=written["changed"], path=path, _secrets=secret_values(params["settings"]))
    if written["changed"]:
        result["actions"].append("write %s" % path)
    if written.get("backup_file"):
        result["backup_file"] = written["backup_file"]
    if ctx.diff and written["changed"]:
        result["diff"] = {"before": mask_text(old) or "", "after": mask_text(text),
                          "before_header": path, "after_header": path}
    return result
