"""The module matrix of the reliability suite: one entry per module, as data.

Each entry says how to make the module's resource exist (`present`), how to remove it again
(`absent`), and how to read it without changing anything (`info`); `setup` tasks create what the
resource needs first. Values may name `$placeholders` filled per run (config file paths, the URLs of
the BoxVault and Hyperweaver simulators). The check-mode, idempotence and secrets tests are built
from these tables, so a new module joins every matrix by adding its entry here.
"""

import copy
import string
from dataclasses import dataclass, field

GENERATIONS = ("0.3.9", "0.2")
ZONE = "0001--trust01.example.com"
SNAP_ZONE = "0002--trustsnap.example.com"
SUBNET = {"subnet": "10.190.190.0/24", "router": "10.190.190.1", "range_start": "10.190.190.10",
          "range_end": "10.190.190.254", "dns": ["9.9.9.9"]}
BOX = {"organization": "STARTcloud", "box": "trustbox"}
ZONES_ZONE = "0003--trustzones.example.com"
PROV_ZONE = "0004--trustprov.example.com"
RUNNING_ZONE = {"name": PROV_ZONE, "state": "running", "boot_disk": {"type": "blank", "size": "1G"},
                "nics": [{"global_nic": "igb0"}]}
PROVISIONER = {"folders": [{"map": "./provisioning", "to": "/vagrant"}],
               "provisioners": [{"type": "ansible", "playbook": "site.yml"}]}
RECIPE = {"name": "trust-recipe", "os_family": "linux", "shell_prompt": ":~#",
          "steps": [{"type": "wait", "pattern": "login:"}, {"type": "send", "text": "root\n"}]}
AGENT_SETTINGS = {"server": {"http_port": 5000, "https_port": 5001},
                  "host_monitoring": {"enabled": True, "intervals": {"network_config": 10, "storage": 300}}}


@dataclass
class Entry:
    module: str
    present: dict | None = None          # a valid task that creates or changes something
    absent: dict | None = None           # the task that undoes it (None: nothing to undo)
    info: dict | None = None             # a read-only use of the module
    setup: list = field(default_factory=list)   # [(module, options)] run before, unchecked
    backends: tuple = ("agent",)
    generations: tuple = GENERATIONS     # agent generations the module serves
    native_args: dict = field(default_factory=dict)   # extra options with backend=native
    services: tuple = ()                 # "boxvault", "hyperweaver": simulators the entry needs
    absent_backends: tuple = ("agent", "native")   # where `absent` is supported
    # A module of the host itself (ips_package, smf_service, agent_config, ipfilter_rule): it has no
    # `backend` option and runs in the native combinations, with the fake illumos commands.
    host_module: bool = False
    # An action, not a state: check mode skips the task (nothing is sent) and every real run acts
    # again; `changes` is what each real run reports (zone_exec: false, it cannot know; the user
    # decides with changed_when). `behaviour` says in words what idempotence means for the module.
    action: bool = False
    changes: bool = True
    behaviour: str = ""


BOTH = ("agent", "native")

MATRIX = [
    Entry("agent_info", info={}),
    Entry("api_key", present={"name": "trust-viewer", "role": "viewer", "description": "reliability suite"},
          absent={"name": "trust-viewer", "state": "absent"}),
    Entry("boxvault_box_info", info=dict(BOX, registry_url="$bv_url"), services=("boxvault",)),
    Entry("zfs_dataset", present={"name": "rpool/trust", "properties": {"compression": "lz4", "quota": "1G"}},
          absent={"name": "rpool/trust", "state": "absent"}, backends=BOTH),
    Entry("zfs_snapshot", setup=[("zfs_dataset", {"name": "rpool/trustsnap"})],
          present={"name": "rpool/trustsnap@s1", "holds": ["keep"]},
          absent={"name": "rpool/trustsnap@s1", "holds": [], "state": "absent"}, backends=BOTH),
    Entry("storage_info", info={"sections": ["pools", "datasets"]}, backends=BOTH),
    Entry("etherstub", present={"name": "truststub0"}, absent={"name": "truststub0", "state": "absent"},
          backends=BOTH),
    Entry("vnic", present={"name": "trust0", "link": "igb0", "vlan_id": 20, "mac_address": "02:08:20:0a:0b:0c"},
          absent={"name": "trust0", "state": "absent"}, backends=BOTH),
    Entry("vlan", present={"name": "trust30", "link": "ixgbe0", "vid": 30},
          absent={"name": "trust30", "state": "absent"}, backends=BOTH),
    Entry("ip_address", setup=[("vnic", {"name": "trustip0", "link": "igb0"})],
          present={"addrobj": "trustip0/v4", "address": "10.0.0.5/24"},
          absent={"addrobj": "trustip0/v4", "state": "absent"}, backends=BOTH),
    Entry("ip_forwarding", present={"ipv4": True, "interfaces": [{"name": "igb0"}]}, absent={"ipv4": False},
          backends=BOTH),
    Entry("network_info", info={}, backends=BOTH),
    Entry("nat_rule", present={"bridge": "igb0", "subnet": "10.190.190.0/24"},
          absent={"bridge": "igb0", "subnet": "10.190.190.0/24", "state": "absent"},
          backends=BOTH, native_args={"config_file": "$nat_conf"}),
    Entry("nat_rule_info", info={}, backends=BOTH, native_args={"config_file": "$nat_conf"}),
    # the agent has no way to remove a subnet declaration (the module refuses state=absent there)
    Entry("dhcp_subnet", present=SUBNET, absent={"subnet": "10.190.190.0/24", "state": "absent"},
          backends=BOTH, native_args={"config_file": "$dhcp_conf"}, absent_backends=("native",)),
    Entry("dhcp_host", present={"hostname": "trust01", "mac": "02:08:20:0a:0b:0d", "ip": "10.190.190.20"},
          absent={"hostname": "trust01", "state": "absent"}, backends=BOTH,
          native_args={"config_file": "$dhcp_conf"}),
    Entry("dhcp_service", present={"state": "started"}, absent={"state": "stopped"}, backends=BOTH),
    Entry("template", present=dict(BOX, version="1.0.0", registry_url="$bv_url"),
          absent=dict(BOX, version="1.0.0", state="absent"), services=("boxvault",)),
    Entry("zone", present={"name": ZONE, "state": "present", "boot_disk": {"type": "blank", "size": "1G"}},
          absent={"name": ZONE, "state": "absent"}, backends=BOTH),
    Entry("zone_info", info={"name": ZONE}, backends=BOTH),
    Entry("zone_snapshot", setup=[("zone", {"name": SNAP_ZONE, "state": "present",
                                            "boot_disk": {"type": "blank", "size": "1G"}})],
          present={"machine": SNAP_ZONE, "name": "s1", "description": "reliability suite"},
          absent={"machine": SNAP_ZONE, "name": "s1", "state": "absent"},
          backends=BOTH, generations=("0.3.9",)),   # 0.2 agents have no machine snapshots
    Entry("task_info", info={"limit": 5}),
    Entry("hyperweaver_agent", present={
        "hyperweaver_url": "$hw_url", "hyperweaver_username": "ops", "hyperweaver_password": "{{ hw_password }}",
        "hostname": "127.0.0.1", "port": "$agent_port", "protocol": "http", "entity_name": "trust",
        "api_key": "{{ agent_key }}"},
        absent={"hyperweaver_url": "$hw_url", "hyperweaver_username": "ops", "hyperweaver_password": "{{ hw_password }}",
                "hostname": "127.0.0.1", "port": "$agent_port", "protocol": "http", "state": "absent"},
        generations=("0.3.9",), services=("hyperweaver",)),
    Entry("template_info", info={}, backends=BOTH),
    Entry("zones", present={"zones": [{"name": ZONES_ZONE, "state": "present",
                                       "boot_disk": {"type": "blank", "size": "1G"}, "tags": ["trust"]}]},
          absent={"zones": [{"name": ZONES_ZONE, "state": "absent"}]}, backends=BOTH),
    Entry("zone_provision", setup=[("zone", RUNNING_ZONE)],
          present={"name": PROV_ZONE, "provisioner": PROVISIONER},
          behaviour="action=provision is a state: check mode plans 'set provisioner' and 'provision' (changed, "
                    "nothing sent); the real run stores the section and runs the pipeline; a second run finds "
                    "the zone provisioned with the same section and skips (unchanged). action=sync and "
                    "run_provisioners are actions that run every time (test_zone_provision.py)."),
    Entry("zone_exec", setup=[("zone", RUNNING_ZONE)], present={"name": PROV_ZONE, "argv": ["hostname"]},
          generations=("0.3.9",),   # 0.2 agents have no guest-agent exec (the module refuses clearly)
          action=True, changes=False,
          behaviour="a command in the guest: check mode skips the task and sends nothing; every real run "
                    "executes again and reports changed=false (what a command changed only the user knows: "
                    "changed_when); so the second run repeats the request and still says unchanged."),
    Entry("provisioning_recipe", present=RECIPE, absent={"name": RECIPE["name"], "state": "absent"}),
    Entry("provisioning_profile", setup=[("provisioning_recipe", dict(RECIPE, name="trust-profile-recipe"))],
          present={"name": "trust-profile", "recipe": "trust-profile-recipe", "description": "reliability suite",
                   "default_provisioners": [{"type": "shell", "inline": "true"}]},
          absent={"name": "trust-profile", "state": "absent"},
          generations=("0.2",)),   # profiles exist only in the 0.2 generation (the module refuses on 0.3.9)
    Entry("artifact", present={"src": "$artifact_src"}, absent={"filename": "trust.iso", "state": "absent"}),
    # through the agent's monitoring and lists, or natively on the host (zpool, dladm, zoneadm, the kernel)
    Entry("host_info", info={}, backends=BOTH),
    # the host's own modules: no agent, through the fake commands (and files) of the simulated host
    Entry("ips_package", present={"name": ["rsync"]}, absent={"name": ["rsync"], "state": "absent"},
          backends=("native",), host_module=True),
    # properties only: smf_service has no state that undoes a property (nothing to remove)
    Entry("smf_service", present={"name": "dhcp:ipv4",
                                  "properties": [{"name": "config/trust_note", "value": "reliability"}]},
          backends=("native",), host_module=True),
    Entry("agent_config", present={"path": "$agent_conf", "settings": AGENT_SETTINGS},
          backends=("native",), host_module=True),
    Entry("ipfilter_rule", present={"config_file": "$ipf_conf", "action": "block", "direction": "in", "quick": True,
                                    "source": "10.190.190.20"},
          absent={"config_file": "$ipf_conf", "action": "block", "direction": "in", "quick": True,
                  "source": "10.190.190.20", "state": "absent"},
          backends=("native",), host_module=True),
]

# Modules without an entry yet (a new module's author adds it here until its entry lands). Empty:
# every module is in the matrix, and test_matrix_coverage fails for a module that is not.
PENDING = set()


def fill(value, ctx):
    """`value` with every $placeholder replaced from ctx (strings only; Jinja is left alone)."""
    if isinstance(value, dict):
        return {k: fill(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ctx) for v in value]
    if isinstance(value, str) and "$" in value:
        return string.Template(value).substitute(ctx)
    return copy.deepcopy(value)


def entries_for(backend, generation):
    return [e for e in MATRIX if backend in e.backends and (backend == "native" or generation in e.generations)]


def options(entry, which, backend, ctx):
    args = dict(getattr(entry, which) if isinstance(which, str) else which)
    if backend == "native" and not entry.host_module:
        args = dict(args, backend="native", **entry.native_args)
    return fill(args, ctx)


def task(module, name, args, check=False):
    out = {"name": name, "zoneweaver.illumos." + module: args, "register": "out"}
    if check:
        out["check_mode"] = True
    return out


def matrix_tasks(entries, backend, ctx):
    """The whole matrix as one task list: setups; then per entry check, apply, apply again and the
    read-only use (in check mode and for real); then, in reverse order, check removal, remove,
    remove again. Task names say entry and phase ("<module>: <phase>")."""
    tasks = []
    for entry in entries:
        for i, (module, args) in enumerate(entry.setup):
            native = Entry(module, backends=BOTH)
            tasks.append(task(module, "%s: setup %d" % (entry.module, i), options(native, args, backend, ctx)))
    for entry in entries:
        m = entry.module
        if entry.present is not None:
            args = options(entry, "present", backend, ctx)
            tasks += [task(m, m + ": check present", args, check=True), task(m, m + ": present", args),
                      task(m, m + ": present again", args)]
        if entry.info is not None:
            args = options(entry, "info", backend, ctx)
            tasks.append(task(m, m + ": info in check mode", args, check=True))
            if backend == "agent":   # natively a module run costs a process: once is proof enough
                tasks.append(task(m, m + ": info", args))
    for entry in reversed(entries):
        m = entry.module
        if entry.absent is not None and backend in entry.absent_backends:
            args = options(entry, "absent", backend, ctx)
            tasks += [task(m, m + ": check absent", args, check=True), task(m, m + ": absent", args),
                      task(m, m + ": absent again", args)]
    return tasks
