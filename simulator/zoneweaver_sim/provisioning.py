"""The provisioning surfaces (agent-api.md section 7): the pipeline
(`POST {M}/provision` and its task chain, `GET {M}/provision/status`), the
ad-hoc `POST {M}/sync` and `POST {M}/run-provisioners`, zlogin recipes
(`/provisioning/recipes`) and, on 0.2 only, provisioning profiles
(`/provisioning/profiles`).

Ad-hoc calls answer {success, message, machine_name|zone_name,
parent_task_id, folder_count|playbook_count} without a task_chain: the steps
are the anchor's children (GET /tasks?parent_task_id=), one task per folder
(`zone_sync`, or `zone_syncback` with 0.3.9's {"syncback": true}) or per
playbook (`zone_provision`), each depending on the previous one.

Host-target hooks (0.3.9): entries of the provisioning section's `pre`/`post`
lists with `target: host` [guess: the reference names the gate, not the
document keys]. They need the agent setting provisioning.host_hooks (else
400) and, once per zone, `confirm_host_hooks: true` on POST {M}/provision
(else 409 {needs_confirmation, reason, host_hooks, confirm_with}); the
confirmation is kept in the zone's document (host_hooks_confirmed). Turn the
setting on in tests with sim.agent_settings = {"provisioning": {"host_hooks":
True}} (what the agent read from config.yaml at start, agentsvc.py).

The pipeline is a chain of real simulator tasks under a
`zone_provision_orchestration` anchor, each `depends_on` the previous, so a
failed step cancels the rest ("Dependency failed") as on the agent. To make a
step fail with output, set the fail_operations knob for its operation, e.g.
PUT /_sim/knobs {"fail_operations": {"zone_wait_ssh": "ssh: connect to host
10.190.190.10 port 22: Connection refused"}}: the step's output shows its own
progress lines, then that message on stderr.

Recipes and profiles live in memory (`sim.provisioning_store`); they are not
written to the state file (simulator/DEVIATIONS.md, provisioning-store).
"""
from __future__ import annotations

import copy

from . import zonecfg
from .server import HTTPError, Response, error
from .tasks import MEDIUM, TaskFailure, add_line, create_task, task_json
from .util import new_uuid, now_iso

PROVISIONING_OPS = ("zone_provision_orchestration", "zone_provisioning_extract", "zone_provisioning_stage",
                    "zone_setup", "zone_wait_ssh", "zone_sync_parent", "zone_sync", "zone_hook",
                    "zone_provision_parent", "zone_provision", "zone_syncback_parent", "zone_syncback", "start")
RUN_DIRECTIVES = ("always", "once", "not_first")
OS_FAMILIES = ("linux", "solaris", "windows")
RECIPE_DEFAULTS = {"description": None, "brand": "bhyve", "is_default": False, "boot_string": None,
                   "login_prompt": "login:", "shell_prompt": ":~$", "timeout_seconds": 300, "steps": [],
                   "variables": {}}
RECIPE_FIELDS = ("name", "os_family") + tuple(RECIPE_DEFAULTS)
PROFILE_FIELDS = ("name", "description", "recipe_id", "default_credentials", "default_sync_folders",
                  "default_provisioners", "default_variables")


def store(sim) -> dict:
    if not hasattr(sim, "provisioning_store"):
        sim.provisioning_store = {"recipes": {}, "profiles": {}}
    return sim.provisioning_store


# --------------------------------------------------------------------------- the pipeline
def _row(sim, name):
    if not zonecfg.valid_zone_name(name):
        raise error(400, "Invalid zone name")
    row = sim.state.machines.get(name)
    if row is None:
        raise error(404, "Zone not found")
    return row


def _has_transport(sim, row, doc) -> bool:
    """A control network with an address, or a provisional DHCP one (agent-api.md section 7).
    [guess] zones created with the raw nics[] shape have no networks[] section: the simulator
    counts any NIC of theirs as a DHCP transport (DEVIATIONS.md, provisioning-transport)."""
    for net in doc.get("networks") or ():
        if isinstance(net, dict) and ((net.get("is_control") and net.get("address"))
                                      or (net.get("provisional") and net.get("dhcp4"))):
            return True
    hz = sim.state.host_zones.get(row["name"])
    return not doc.get("networks") and bool(hz and hz["config"].get("net"))


def _plan_steps(sim, row, doc, body):
    """[(step, operation) | (skipped step name, None)] in chain order."""
    prov = doc.get("provisioner") or {}
    hz = sim.state.host_zones.get(row["name"])
    running = bool(hz and hz["state"] == "running")
    steps = [("stage", "zone_provisioning_stage") if sim.dialect.is_a else ("extract", "zone_provisioning_extract")]
    if body.get("skip_boot"):
        steps.append(("boot_skipped_by_request", None))
    elif running:
        steps.append(("boot_skipped_already_running", None))
    else:
        steps.append(("boot", "start"))
    if body.get("skip_recipe") or not prov.get("recipe_id"):
        steps.append(("setup_skipped", None))
    else:
        steps.append(("setup", "zone_setup"))
    steps.append(("wait_ssh", "zone_wait_ssh"))
    if prov.get("folders") or prov.get("sync_folders"):
        steps.append(("sync", "zone_sync"))
    if sim.dialect.is_a:
        steps.extend(("pre_hook", "zone_hook") for _hook in _hooks(prov, "pre"))
    steps.append(("provision", "zone_provision"))
    if sim.dialect.is_a:
        steps.extend(("post_hook", "zone_hook") for _hook in _hooks(prov, "post"))
    return steps


def _hooks(prov, phase):
    hooks = prov.get(phase)
    return [h for h in hooks if isinstance(h, dict)] if isinstance(hooks, list) else []


def _host_hooks(prov):
    return [h for phase in ("pre", "post") for h in _hooks(prov, phase) if h.get("target") == "host"]


def _host_hooks_enabled(sim) -> bool:
    """The agent setting provisioning.host_hooks (default off)."""
    settings = getattr(sim, "agent_settings", None) or {}
    section = settings.get("provisioning") if isinstance(settings, dict) else None
    return bool(isinstance(section, dict) and section.get("host_hooks"))


def _hook_label(hook):
    return str(hook.get("name") or hook.get("inline") or hook.get("path") or hook.get("script") or "hook")


def _gate_host_hooks(sim, row, doc, prov, confirm):
    """0.3.9's pre-flight gate of host-target hooks; the first confirmed run is recorded."""
    hooks = _host_hooks(prov)
    if not sim.dialect.is_a or not hooks:
        return
    if not _host_hooks_enabled(sim):
        raise error(400, "Host-target hooks are disabled: set provisioning.host_hooks: true in the agent "
                         "configuration to run hooks on the host")
    if doc.get("host_hooks_confirmed"):
        return
    if confirm is None:   # run-provisioners has no confirmation body: [guess] 400, only provision asks with 409
        raise error(400, "Host-target hooks need a one-time confirmation: run POST /machines/"
                         f"{row['name']}/provision with confirm_host_hooks: true first")
    if confirm is not True:
        raise HTTPError(409, {
            "needs_confirmation": True,
            "reason": f"The provisioning document of {row['name']} runs {len(hooks)} hook(s) on the host itself",
            "host_hooks": [dict(hook, label=_hook_label(hook)) for hook in hooks],
            "confirm_with": {"confirm_host_hooks": True}})
    doc["host_hooks_confirmed"] = True
    sim.state.dirty = True


def _playbooks(prov):
    """The section's playbooks: provisioners[] or provisioning.ansible.playbooks.local[]."""
    nested = ((prov.get("provisioning") or {}).get("ansible") or {}).get("playbooks") or {}
    found = prov.get("provisioners") or (nested.get("local") if isinstance(nested, dict) else None) or []
    return [p for p in found if p] if isinstance(found, list) else []


def _playbook_label(playbook):
    if isinstance(playbook, dict):
        return str(playbook.get("playbook") or playbook.get("path") or playbook.get("inline")
                   or playbook.get("type") or "provisioner")
    return str(playbook)


def _run_filter(playbooks, provisioned_before):
    """0.3.9 run directives: always = every run; once/unset = never provisioned yet; not_first = after one."""
    included, skipped = [], []
    for playbook in playbooks:
        run = playbook.get("run") if isinstance(playbook, dict) else None
        if run == "always" or (run in (None, "once") and not provisioned_before) \
                or (run == "not_first" and provisioned_before):
            included.append(playbook)
        else:
            skipped.append({"playbook": _playbook_label(playbook), "run": run or "once"})
    return included, skipped


def register_pipeline(router, sim):
    d = sim.dialect
    item = f"/{d.noun}/:name"

    def provision(req):
        row = _row(sim, req.params["name"])
        body = req.body if isinstance(req.body, dict) else {}
        doc = row.setdefault("document", {})
        prov = doc.get("provisioner")
        if not isinstance(prov, dict) or not prov:
            raise error(400, f"No provisioning configuration for {row['name']}. "
                             f"Set it with PUT /{d.noun}/{row['name']} and a provisioner section first")
        if not _has_transport(sim, row, doc):
            raise error(400, "No provisioning transport: add a network with is_control and an address, "
                             "or a provisional network with dhcp4")
        recipe_id = prov.get("recipe_id")
        if recipe_id and not body.get("skip_recipe") and recipe_id not in store(sim)["recipes"]:
            raise error(400, f"Recipe {recipe_id} not found")
        _gate_host_hooks(sim, row, doc, prov, body.get("confirm_host_hooks", False))
        hooks = {"pre_hook": iter(_hooks(prov, "pre")), "post_hook": iter(_hooks(prov, "post"))}
        anchor = create_task(sim, row["name"], "zone_provision_orchestration", created_by=req.actor,
                             priority=MEDIUM, metadata={d.name_key: row["name"]})
        chain, previous = [], None
        for step, operation in _plan_steps(sim, row, doc, body):
            if operation is None:
                chain.append({"step": step})
                continue
            ctx = {"step": step, "provisioner": copy.deepcopy(prov)}
            if step in hooks:
                ctx["hook"] = next(hooks[step])
            t = create_task(sim, row["name"], operation, created_by=req.actor, depends_on=previous,
                            parent_task_id=anchor["id"], metadata={d.name_key: row["name"], "step": step},
                            ctx=ctx)
            previous = t["id"]
            chain.append({"step": step, "task_id": t["id"]})
        sim.engine.wake()
        return Response(200, {"success": True, "message": "Provisioning pipeline started",
                              d.name_key: row["name"], "parent_task_id": anchor["id"],
                              "steps": sum(1 for c in chain if c.get("task_id")), "task_chain": chain})

    def status(req):
        row = _row(sim, req.params["name"])
        doc = row.get("document") or {}
        state = doc.get("provisioner_state") or {}
        recent = [t for t in sim.state.tasks.values()
                  if t["zone_name"] == row["name"] and t["operation"] in PROVISIONING_OPS and t["operation"] != "start"]
        recent.sort(key=lambda t: t["_seq"], reverse=True)
        body = {"success": True, d.name_key: row["name"]}
        if d.is_a:
            body["provisioning_configured"] = bool(doc.get("provisioner"))
        body["provisioning_status"] = "provisioned" if state.get("last_provisioned_at") else "not_started"
        if d.is_a:
            body["last_provisioned_at"] = state.get("last_provisioned_at")
        body["recent_tasks"] = [task_json(sim, t, "embedded") for t in recent[:20]]
        return Response(200, body)

    def adhoc_section(req):
        """The checks the ad-hoc calls share with the pipeline (no recipe: they never run one)."""
        row = _row(sim, req.params["name"])
        doc = row.setdefault("document", {})
        prov = doc.get("provisioner")
        if not isinstance(prov, dict) or not prov:
            raise error(400, f"No provisioning configuration for {row['name']}. "
                             f"Set it with PUT /{d.noun}/{row['name']} and a provisioner section first")
        if not _has_transport(sim, row, doc):
            raise error(400, "No provisioning transport: add a network with is_control and an address, "
                             "or a provisional network with dhcp4")
        return row, doc, prov

    def chain(req, row, prov, anchor_op, operation, items, key, metadata):
        """An anchor and one task per item, each depending on the previous one. [guess] the first child
        depends on nothing (a 0.2 parent keeps running, so a child waiting on it would never start)."""
        anchor = create_task(sim, row["name"], anchor_op, created_by=req.actor, priority=MEDIUM,
                             metadata=metadata)
        previous = None
        for index, (step, operation_of_item, value) in enumerate(items):
            value_key = "hook" if operation_of_item == "zone_hook" else key
            t = create_task(sim, row["name"], operation_of_item or operation, created_by=req.actor,
                            depends_on=previous, parent_task_id=anchor["id"],
                            metadata={value_key: value, "index": index},
                            ctx={"step": step, value_key: value, "provisioner": copy.deepcopy(prov)})
            previous = t["id"]
        sim.engine.wake()
        return anchor

    def sync(req):
        row, _doc, prov = adhoc_section(req)
        body = req.body if isinstance(req.body, dict) else {}
        folders = [f for f in (prov.get("folders") or prov.get("sync_folders") or []) if f]
        back = bool(body.get("syncback")) and d.is_a   # 0.3.9: pull the syncback-flagged folders instead
        if back:
            folders = [f for f in folders if isinstance(f, dict) and f.get("syncback") is True]
            if not folders:
                raise error(400, "No folders flagged syncback: true in the provisioning section")
        elif not folders:
            raise error(400, "No folders configured in provisioner metadata")
        op = "zone_syncback" if back else "zone_sync"
        anchor = chain(req, row, prov, op + "_parent", op, [("sync", None, copy.deepcopy(f)) for f in folders],
                       "folder", {"total_folders": len(folders)})
        return Response(200, {"success": True,
                              "message": f"Zone {'syncback' if back else 'sync'} task chain created for {row['name']}",
                              d.name_key: row["name"], "parent_task_id": anchor["id"],
                              "folder_count": len(folders)})

    def run_provisioners(req):
        row, doc, prov = adhoc_section(req)
        configured = _playbooks(prov)
        if not d.is_a:
            if not configured:
                raise error(400, "No playbooks configured in provisioner metadata")
            playbooks, skipped, hooks_pre, hooks_post = configured, None, [], []
        else:
            _gate_host_hooks(sim, row, doc, prov, None)
            provisioned = bool((doc.get("provisioner_state") or {}).get("last_provisioned_at"))
            playbooks, skipped = _run_filter(configured, provisioned)
            hooks_pre, hooks_post = _hooks(prov, "pre"), _hooks(prov, "post")
        items = ([("hook", "zone_hook", copy.deepcopy(h)) for h in hooks_pre]
                 + [("provision", None, copy.deepcopy(p)) for p in playbooks]
                 + [("hook", "zone_hook", copy.deepcopy(h)) for h in hooks_post])
        answer = {"success": True, d.name_key: row["name"], "playbook_count": len(playbooks)}
        if not items:   # 0.3.9: an empty walk succeeds with zero tasks
            answer["message"] = (f"All {len(configured)} playbooks skipped by their run directives" if configured
                                 else f"Nothing to run for {row['name']}: the provisioning section has no provisioners")
            answer["playbooks_skipped"] = skipped or []
            return Response(200, answer)
        anchor = chain(req, row, prov, "zone_provision_parent", "zone_provision", items, "playbook",
                       {"total_playbooks": len(playbooks)})
        answer.update(message=f"Zone provisioners task chain created for {row['name']}",
                      parent_task_id=anchor["id"])
        if skipped is not None:
            answer["playbooks_skipped"] = skipped
        return Response(200, answer)

    router.add("POST", f"{item}/provision", provision)
    router.add("GET", f"{item}/provision/status", status)
    router.add("POST", f"{item}/sync", sync)
    router.add("POST", f"{item}/run-provisioners", run_provisioners)


# --------------------------------------------------------------------------- executors
def _running(sim, t):
    hz = sim.state.host_zones.get(t["zone_name"])
    if hz is None or hz["state"] != "running":
        raise TaskFailure(f"Zone {t['zone_name']} is not running")
    return hz


def _address(sim, t) -> str:
    """The guest's address on the provisioning network (10.190.190.0/24, agent-api.md section 4)."""
    row = sim.state.machines.get(t["zone_name"]) or {}
    sid = str(row.get("server_id") or "0")
    return "10.190.190.%d" % (10 + int(sid) % 240 if sid.isdigit() else 10)


def stage_begin(sim, t):
    prov = t["_ctx"].get("provisioner") or {}
    add_line(t, f"Staging provisioning files for {t['zone_name']}")
    if prov.get("artifact_id"):
        add_line(t, f"Extracting artifact {prov['artifact_id']} into the zone's provisioning dataset")


def setup_begin(sim, t):
    _running(sim, t)
    recipe = store(sim)["recipes"].get((t["_ctx"].get("provisioner") or {}).get("recipe_id")) or {}
    add_line(t, f"zlogin -C {t['zone_name']}: running recipe {recipe.get('name', '?')}")
    add_line(t, f"waiting for '{recipe.get('login_prompt', 'login:')}'")


def wait_ssh_begin(sim, t):
    _running(sim, t)
    add_line(t, f"Waiting for SSH on {_address(sim, t)}:22")


def wait_ssh_finish(sim, t):
    _running(sim, t)
    add_line(t, f"SSH is available on {_address(sim, t)}:22")


def _folder_ends(folder):
    if isinstance(folder, dict):
        return folder.get("map") or folder.get("source") or ".", folder.get("to") or "/vagrant"
    return str(folder), "/vagrant"


def sync_begin(sim, t):
    _running(sim, t)
    prov = t["_ctx"].get("provisioner") or {}
    folders = [t["_ctx"]["folder"]] if "folder" in t["_ctx"] else prov.get("folders") or prov.get("sync_folders") or ()
    for folder in folders:
        src, dest = _folder_ends(folder)
        add_line(t, f"rsync -a {src} vagrant@{_address(sim, t)}:{dest}")


def syncback_begin(sim, t):
    _running(sim, t)
    src, dest = _folder_ends(t["_ctx"].get("folder"))
    add_line(t, f"rsync -a vagrant@{_address(sim, t)}:{dest}/ {src}")


def hook_begin(sim, t):
    hook = t["_ctx"].get("hook") or {}
    where = "on the host" if hook.get("target") == "host" else f"in {t['zone_name']}"
    if hook.get("target") != "host":
        _running(sim, t)
    add_line(t, f"hook {_hook_label(hook)} {where}")


def provision_begin(sim, t):
    _running(sim, t)
    playbook = _playbook_label(t["_ctx"]["playbook"]) if "playbook" in t["_ctx"] else "provisioning/playbook.yml"
    add_line(t, f"ansible-playbook -i {_address(sim, t)}, {playbook}")


def provision_finish(sim, t):
    row = sim.state.machines.get(t["zone_name"])
    if row is not None:
        row.setdefault("document", {})["provisioner_state"] = {"status": "provisioned",
                                                               "last_provisioned_at": now_iso()}
        sim.state.dirty = True
    add_line(t, "PLAY RECAP: ok=4 changed=2 unreachable=0 failed=0")


def _noop(sim, t):
    pass


EXECUTORS = {
    "zone_provisioning_stage": (stage_begin, _noop, _noop),
    "zone_provisioning_extract": (stage_begin, _noop, _noop),
    "zone_setup": (setup_begin, _noop, _noop),
    "zone_wait_ssh": (wait_ssh_begin, wait_ssh_finish, _noop),
    "zone_sync": (sync_begin, _noop, _noop),
    "zone_syncback": (syncback_begin, _noop, _noop),
    "zone_hook": (hook_begin, _noop, _noop),
    "zone_provision": (provision_begin, provision_finish, _noop),
}


# --------------------------------------------------------------------------- recipes and profiles
def _collection(sim, kind, noun, fields, required, validate):
    """CRUD handlers of one in-memory collection (recipes or profiles)."""
    items = store(sim)[kind]

    def get_or_404(req):
        row = items.get(req.params["id"])
        if row is None:
            raise error(404, f"{noun.capitalize()} not found")
        return row

    def list_(req):
        rows = sorted(items.values(), key=lambda r: r["name"])
        for key in ("os_family", "brand"):
            if req.q(key):
                rows = [r for r in rows if r.get(key) == req.q(key)]
        return Response(200, {"count": len(rows), kind: [copy.deepcopy(r) for r in rows]})

    def create(req):
        body = req.body if isinstance(req.body, dict) else {}
        missing = [f for f in required if body.get(f) in (None, "", [])]
        if missing:
            raise error(400, f"{', '.join(required)} are required" if len(required) > 1 else f"{required[0]} is required")
        validate(body)
        if any(r["name"] == body["name"] for r in items.values()):
            raise error(409, f"{noun.capitalize()} with name '{body['name']}' already exists")
        now = now_iso()
        row = {"id": new_uuid()}
        if kind == "recipes":
            row.update(copy.deepcopy(RECIPE_DEFAULTS))
        row.update({k: copy.deepcopy(body[k]) for k in fields if k in body})
        row.update(created_by=req.actor, created_at=now, updated_at=now)
        items[row["id"]] = row
        return Response(201, {"success": True, noun: copy.deepcopy(row)})

    def detail(req):
        return Response(200, {"success": True, noun: copy.deepcopy(get_or_404(req))})

    def update(req):
        row = get_or_404(req)
        body = req.body if isinstance(req.body, dict) else {}
        validate(dict(row, **body))
        if body.get("name") and any(r["name"] == body["name"] and r["id"] != row["id"] for r in items.values()):
            raise error(409, f"{noun.capitalize()} with name '{body['name']}' already exists")
        row.update({k: copy.deepcopy(body[k]) for k in fields if k in body})
        row["updated_at"] = now_iso()
        return Response(200, {"success": True, noun: copy.deepcopy(row)})

    def delete(req):
        row = get_or_404(req)
        del items[row["id"]]
        return Response(200, {"success": True, "message": f"{noun.capitalize()} deleted"})

    return list_, create, detail, update, delete


def _validate_recipe(body):
    if body.get("os_family") not in OS_FAMILIES:
        raise error(400, f"os_family must be one of: {', '.join(OS_FAMILIES)}")
    if not isinstance(body.get("steps"), list):
        raise error(400, "steps must be an array")
    timeout = body.get("timeout_seconds")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1):
        raise error(400, "timeout_seconds must be a positive integer")


def _validate_profile(body):
    for key, kind in (("default_credentials", dict), ("default_variables", dict),
                      ("default_sync_folders", list), ("default_provisioners", list)):
        if body.get(key) is not None and not isinstance(body[key], kind):
            raise error(400, f"{key} must be an {'object' if kind is dict else 'array'}")


def register(router, sim):
    from . import executors
    executors.EXECUTORS.update(EXECUTORS)
    register_pipeline(router, sim)
    handlers = _collection(sim, "recipes", "recipe", RECIPE_FIELDS, ("name", "os_family", "steps"), _validate_recipe)
    for method, path, handler in zip(("GET", "POST", "GET", "PUT", "DELETE"),
                                     ("/provisioning/recipes", "/provisioning/recipes", "/provisioning/recipes/:id",
                                      "/provisioning/recipes/:id", "/provisioning/recipes/:id"), handlers):
        router.add(method, path, handler)
    if not sim.dialect.is_a:   # 0.3.x removed profiles
        handlers = _collection(sim, "profiles", "profile", PROFILE_FIELDS, ("name",), _validate_profile)
        for method, path, handler in zip(("GET", "POST", "GET", "PUT", "DELETE"),
                                         ("/provisioning/profiles", "/provisioning/profiles",
                                          "/provisioning/profiles/:id", "/provisioning/profiles/:id",
                                          "/provisioning/profiles/:id"), handlers):
            router.add(method, path, handler)


__all__ = ["register", "store", "HTTPError"]
