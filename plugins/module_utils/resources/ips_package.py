# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ips_package: an IPS publisher and packages on the host the module runs on (native only).

Order: the publisher first (the packages may come from it), then the packages.
What is installed is read from `pkg list -Hv`; what pkg would do is asked with
a dry run (`-n`), whose exit code 4 means "nothing to do", so `state: latest`
follows pkg's own idea of "newer" and a second run sends no mutating command.
Check mode runs only reads and dry runs.
"""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import pkg as parse
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.common import finish, new_result

NOTHING_TO_DO = 4


def check_input(params):
    specs = params.get("name") or []
    for spec in specs:
        if not isinstance(spec, str) or not parse.SPEC_RE.match(spec):
            raise InputError("name: %r is not a package name (stem[@version], e.g. ooce/system/zadm@0.3)" % (spec,))
    if params["state"] in ("latest", "absent"):
        versioned = [s for s in specs if "@" in s]
        if versioned:
            raise InputError("name: a version (%s) is only allowed with state=present; state=%s takes plain names"
                             % (", ".join(versioned), params["state"]))
    pub = params.get("publisher")
    if pub:
        if not parse.PUBLISHER_RE.match(pub["name"]):
            raise InputError("publisher.name: %r is not a publisher name" % pub["name"])
        for origin in pub.get("origins") or []:
            if not origin.startswith(("http://", "https://", "file:/")):
                raise InputError("publisher.origins: %r is not an http(s):// or file:/ URI" % origin)
    if not specs and not pub:
        raise InputError("give name (packages), publisher, or both")


def _publisher_args(want, have):
    """The set-publisher arguments that bring `have` (None: no such publisher) to `want`; [] when it is already so."""
    origins = want.get("origins") or []
    args = []
    current = have["origins"] if have else []
    args += [x for origin in origins if origin not in current for x in ("-g", origin)]
    if want.get("purge_origins") and have:
        args += [x for origin in current if origin not in origins for x in ("-G", origin)]
    enabled = want.get("enabled")
    if enabled is not None and have and have["enabled"] != enabled:
        args.append("--enable" if enabled else "--disable")
    return args


def ensure_publisher(runner, want, result):
    listed = parse.parse_publishers(runner.read(["pkg", "publisher", "-H", "-F", "tsv"]).stdout)
    have = listed.get(want["name"])
    before = {"name": want["name"], "state": "present" if have else "absent",
              "origins": list(have["origins"]) if have else []}
    after = dict(before)
    if want["state"] == "absent":
        if have:
            runner.change(["pkg", "unset-publisher", want["name"]])
            result["actions"].append("pkg unset-publisher %s" % want["name"])
            after = {"name": want["name"], "state": "absent", "origins": []}
        return before, after
    if have is None and not want.get("origins"):
        raise InputError("publisher %s does not exist yet; publisher.origins is needed to add it" % want["name"])
    args = _publisher_args(want, have)
    if args:
        runner.change(["pkg", "set-publisher"] + args + [want["name"]])
        result["actions"].append(" ".join(["pkg set-publisher"] + args + [want["name"]]))
        origins = [o for o in before["origins"] if not (want.get("purge_origins") and o not in want["origins"])]
        after = {"name": want["name"], "state": "present",
                 "origins": origins + [o for o in want.get("origins") or [] if o not in origins]}
    return before, after


def installed_packages(runner):
    answer = runner.run(["pkg", "list", "-Hv"], check=False)
    if answer.rc == 1 and not answer.stdout.strip():
        return {}       # "pkg list: No packages installed"
    if answer.rc != 0:
        raise runner.error(answer)
    return parse.parse_list_verbose(answer.stdout)


def _pkg_change(runner, argv, result, dry_run=True):
    """Run a pkg change whose exit code 4 means "nothing to do"; True when pkg did (or would do) something.
    Check mode asks pkg with -n (a dry run, which changes nothing), unless the dry run cannot know the
    answer (dry_run=False: the publisher it needs is only about to be added)."""
    if runner.check_mode and not dry_run:
        result["actions"].append(" ".join(argv))
        return True
    if runner.check_mode:
        answer = runner.read(argv[:2] + ["-n"] + argv[2:], ok_rcs=(0, NOTHING_TO_DO))
    else:
        answer = runner.change(argv, ok_rcs=(0, NOTHING_TO_DO))
    if answer.rc == NOTHING_TO_DO:
        return False
    result["actions"].append(" ".join(argv))
    return True


def plan_packages(params, installed):
    """-> (install specs, update specs with a version, latest candidates, remove stems)."""
    install, update, latest, remove = [], [], [], []
    for spec in params.get("name") or []:
        stem, version = parse.split_spec(spec)
        found = parse.match_installed(installed, stem)
        if params["state"] == "absent":
            remove += [s for s in found if s not in remove]
        elif not found:
            install.append(spec)
        elif params["state"] == "latest":
            latest.append(spec)
        elif version and not any(parse.version_matches(version, installed[s]["version"]) for s in found):
            update.append(spec)
    return install, update, latest, remove


def ensure_packages(runner, params, result, publisher_pending=False):
    installed = installed_packages(runner)
    install, update, latest, remove = plan_packages(params, installed)
    accept = ["--accept"] if params.get("accept_licenses") else []
    changed = False
    if install:
        changed |= _pkg_change(runner, ["pkg", "install"] + accept + install, result, dry_run=not publisher_pending)
    if update:
        changed |= _pkg_change(runner, ["pkg", "update"] + accept + update, result, dry_run=not publisher_pending)
    if latest:
        # a dry run first: exit 4 means every package is at the newest version pkg can install
        probe = runner.read(["pkg", "update", "-n"] + latest, ok_rcs=(0, NOTHING_TO_DO))
        if probe.rc != NOTHING_TO_DO and runner.check_mode:
            result["actions"].append(" ".join(["pkg", "update"] + accept + latest))
            changed = True
        elif probe.rc != NOTHING_TO_DO:
            changed |= _pkg_change(runner, ["pkg", "update"] + accept + latest, result)
    if remove:
        runner.change(["pkg", "uninstall"] + remove)
        result["actions"].append("pkg uninstall " + " ".join(remove))
        changed = True
    after = installed_packages(runner) if changed and not runner.check_mode else installed
    return installed, after, install, update, latest, remove


def _versions(installed, params):
    shown = {}
    for spec in params.get("name") or []:
        stem, _version = parse.split_spec(spec)
        found = parse.match_installed(installed, stem)
        for name in found or [stem]:
            shown[name] = installed[name]["version"] if name in installed else None
    return shown


def run(params, ctx):
    check_input(params)
    runner = ctx.native_runner()
    result = new_result()
    before, after = {}, {}
    if params.get("publisher"):
        before["publisher"], after["publisher"] = ensure_publisher(runner, params["publisher"], result)
    if params.get("name"):
        # in check mode a publisher that is only planned cannot answer pkg's dry runs yet
        pending = runner.check_mode and bool(result["actions"])
        have, now, install, update, latest, remove = ensure_packages(runner, params, result, publisher_pending=pending)
        before["packages"] = _versions(have, params)
        if runner.check_mode:
            # what the dry runs said would happen; an exact new version is pkg's to choose
            planned = dict(before["packages"])
            for spec in install + update + [s for s in latest if any(a.startswith("pkg update") for a in result["actions"])]:
                stem, version = parse.split_spec(spec)
                for name in parse.match_installed(have, stem) or [stem]:
                    planned[name] = version or "(newest)"
            for name in remove:
                planned[name] = None
            after["packages"] = planned
        else:
            after["packages"] = _versions(now, params)
        result["packages"] = after["packages"]
    return finish(ctx, result, before, after)
