"""The two agent generations the simulator speaks (agent-api.md §0).

Everything that differs between the v0.2 (zoneweaver-api, "Z") and v0.3.9
(zoneweaver-agent, "A") wire lives here, so handlers ask the dialect instead of
branching on version strings.
"""
from __future__ import annotations

from dataclasses import dataclass

# Feature tokens the A /status advertises with a default production config; the
# config-gated ones (templates, artifacts, file-browser, guest-agent,
# machine-suspend) are off because the simulator does not serve those surfaces.
A_FEATURES = [
    "machines", "machine-create", "machine-modify", "machine-screenshot",
    "machine-snapshots", "services", "zfs", "vnics", "boot-environments",
    "packages", "repositories", "swap", "time-sync", "system-users", "processes",
    "ssh", "host-terminal", "host-power", "tasks", "provisioning",
    "provisioner-registry", "secrets", "hosts-file", "hostname", "dns",
    "ip-addresses", "fault-management", "devices", "monitoring", "syslog",
    "log-streaming",
]


@dataclass(frozen=True)
class Dialect:
    generation: str          # "0.3.9" | "0.2"
    version: str             # what /version and /status report
    package: str             # package.json name
    noun: str                # URL collection: machines | zones
    name_key: str            # machine_name | zone_name
    list_key: str            # machines | zones
    info_key: str            # machine_info | zone_info
    source_key: str          # clone answers: source_machine | source_zone
    key_prefix: str          # hw_ | wh_
    has_roles: bool          # viewer/operator/admin (0.3.6+)
    has_key_id: bool         # hw_<keyId>.<secret> (0.3.8+)
    public_status: bool      # GET /status JSON (0.3.0+; the 0.2.3 release answers HTML 404)
    bootstrap_needs_token: bool
    anchors_born_running: bool   # A: anchor born running, never dispatched; Z: pending, dispatched no-op
    anchor_can_fail: bool        # A: all children failed -> failed; Z never ends failed
    cleanup_flag: str            # DELETE {M}?cleanup_disks (A) | cleanup_datasets (Z)
    typed_disks: bool            # A: disks.boot.type; Z: disks.boot.source + disks.additional
    document_overlay: bool       # A overlays settings/zones/networks/disks on the zadm config
    pending_changes: bool        # A: modify of a running zone accrues
    list_omits_output: bool      # A omits `output` from /tasks rows and nulls it in detail
    console: tuple
    features: tuple
    config_path: str

    @property
    def is_a(self) -> bool:
        return self.generation != "0.2"


A = Dialect(
    generation="0.3.9", version="0.3.9", package="zoneweaver-agent",
    noun="machines", name_key="machine_name", list_key="machines", info_key="machine_info",
    source_key="source_machine", key_prefix="hw_", has_roles=True, has_key_id=True,
    public_status=True, bootstrap_needs_token=True, anchors_born_running=True,
    anchor_can_fail=True, cleanup_flag="cleanup_disks", typed_disks=True,
    document_overlay=True, pending_changes=True, list_omits_output=True,
    console=("vnc", "zlogin"), features=tuple(A_FEATURES),
    config_path="/etc/zoneweaver-agent/config.yaml",
)

Z = Dialect(
    generation="0.2", version="0.2.3", package="zoneweaver-api",
    noun="zones", name_key="zone_name", list_key="zones", info_key="zone_info",
    source_key="source_zone", key_prefix="wh_", has_roles=False, has_key_id=False,
    public_status=False, bootstrap_needs_token=False, anchors_born_running=False,
    anchor_can_fail=False, cleanup_flag="cleanup_datasets", typed_disks=False,
    document_overlay=False, pending_changes=False, list_omits_output=False,
    console=("vnc",),
    features=("zfs", "vnics", "fault-management", "provisioning", "packages", "boot-environments"),
    config_path="/etc/zoneweaver-api/config.yaml",
)

DIALECTS = {"0.3.9": A, "0.2": Z}


def get_dialect(generation: str) -> Dialect:
    try:
        return DIALECTS[str(generation)]
    except KeyError:
        raise ValueError(f"unknown generation {generation!r}; expected one of {sorted(DIALECTS)}") from None
