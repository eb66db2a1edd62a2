"""The provisioning surfaces (agent-api.md section 7): the pipeline
(`POST {M}/provision` and its task chain, `GET {M}/provision/status`),
zlogin recipes (`/provisioning/recipes`) and, on 0.2 only, provisioning
profiles (`/provisioning/profiles`).

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
                    "zone_setup", "zone_wait_ssh", "zone_sync", "zone_provision", "start")
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
    steps.append(("provision", "zone_provision"))
    return steps


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
        anchor = create_task(sim, row["name"], "zone_provision_orchestration", created_by=req.actor,
                             priority=MEDIUM, metadata={d.name_key: row["name"]})
        chain, previous = [], None
        for step, operation in _plan_steps(sim, row, doc, body):
            if operation is None:
                chain.append({"step": step})
                continue
            t = create_task(sim, row["name"], operation, created_by=req.actor, depends_on=previous,
                            parent_task_id=anchor["id"], metadata={d.name_key: row["name"], "step": step},
                            ctx={"step": step, "provisioner": copy.deepcopy(prov)})
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

    router.add("POST", f"{item}/provision", provision)
    router.add("GET", f"{item}/provision/status", status)


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


def sync_begin(sim, t):
    prov = t["_ctx"].get("provisioner") or {}
    for folder in prov.get("folders") or prov.get("sync_folders") or ():
        src = folder.get("map") or folder.get("source") if isinstance(folder, dict) else folder
        add_line(t, f"rsync -a {src} vagrant@{_address(sim, t)}:{folder.get('to', '/vagrant') if isinstance(folder, dict) else '/vagrant'}")


def provision_begin(sim, t):
    _running(sim, t)
    add_line(t, f"ansible-playbook -i {_address(sim, t)}, provisioning/playbook.yml")


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
