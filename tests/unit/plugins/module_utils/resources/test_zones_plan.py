"""Planning of many zones (zones module) and of one (zone.plan_zone), without an agent."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.dialect import Dialect
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zone import normalize_spec, plan_zone
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.zones import (
    AgentZones, ZonesResource, concurrency_of, normalize_items, prune_filter, read_filter, view_from_row)

A = Dialect("0.3.9", ["machines", "machine-snapshots"])
Z = Dialect("0.2")
NAME = "0001--web01.example.com"


def row(name=NAME, status="running", ram="2048M", tags=("web",), pending=None):
    config = {"zonename": name, "brand": "bhyve", "autoboot": "false", "ram": ram, "vcpus": "2",
              "net": [{"physical": "vnice3_0001_0", "global-nic": "igb0"}]}
    if pending:
        config["pending_changes"] = pending
    return {"name": name, "status": status, "brand": "bhyve", "tags": list(tags), "notes": None, "server_id": "0001",
            "configuration": config}


def spec(**params):
    params.setdefault("name", NAME)
    return normalize_spec(params)


def test_list_row_gives_the_same_view_as_a_detail_read():
    view = view_from_row(row(), A)
    assert view["status"] == "running" and view["ram"] == 2 * 1024 ** 3 and view["vcpus"] == 2
    assert view["nics"][0]["global_nic"] == "igb0" and view["tags"] == ["web"]


def test_pending_changes_in_the_row_count_as_the_zone_configuration():
    view = view_from_row(row(pending={"ram": "4G"}), A)
    assert view["ram"] == 4 * 1024 ** 3 and view["pending_changes"] == {"ram": "4G"}
    plan = plan_zone(spec(ram="4G"), "running", view)
    assert plan.actions == [] and plan.reboot_required is True


@pytest.mark.parametrize("state,status,actions", [
    ("running", "running", []),
    ("present", "installed", []),
    ("running", "installed", ["start"]),
    ("stopped", "running", ["stop"]),
    ("restarted", "running", ["restart"]),
    ("restarted", "installed", ["start"]),
    ("absent", "running", ["delete"]),
])
def test_plan_power_states(state, status, actions):
    plan = plan_zone(spec(), state, view_from_row(row(status=status), Z))
    assert plan.actions == actions
    assert plan.start == (actions == ["start"])
    assert plan.restart == (actions == ["restart"])
    assert plan.stop_first == (actions == ["stop"])


def test_plan_create_and_absent_zone():
    plan = plan_zone(spec(ram="1G"), "running", None)
    assert plan.actions == ["create and start"] and plan.start
    assert plan.before == {"state": "absent"} and plan.after["ram"] == "1G"
    assert plan_zone(spec(), "absent", None).actions == []


def test_plan_modify_of_a_running_zone_needs_a_reboot():
    plan = plan_zone(spec(ram="4G", tags=["web"]), "running", view_from_row(row(), A))
    assert plan.actions == ["modify"] and plan.changes == {"ram": 4 * 1024 ** 3}
    assert plan.reboot_required is True
    assert plan.after == {"ram": "4G"} and plan.before == {"ram": "2G"}


def test_items_are_validated_before_any_call():
    items = normalize_items({"zones": [{"name": NAME, "ram": "1G"},
                                       {"name": "0002--db.example.com", "state": "absent"}]})
    assert [(s["name"], state) for s, state, _item in items] == [(NAME, "present"), ("0002--db.example.com", "absent")]
    with pytest.raises(InputError, match="listed twice"):
        normalize_items({"zones": [{"name": NAME}, {"name": NAME}]})
    with pytest.raises(InputError, match=r"zones\[1\] \(bad\): .*domain"):
        normalize_items({"zones": [{"name": NAME}, {"name": "bad"}]})
    with pytest.raises(InputError, match="ram"):
        normalize_items({"zones": [{"name": NAME, "ram": "lots"}]})


def test_prune_needs_a_filter_and_matches_both():
    assert prune_filter({"prune": False}) is None
    with pytest.raises(InputError, match="prune_tag"):
        prune_filter({"prune": True})
    both = prune_filter({"prune": True, "prune_tag": "env", "prune_prefix": "01"})
    assert both("0100--a.example.com", ["env"]) is True
    assert both("0100--a.example.com", []) is False
    assert both("0200--a.example.com", ["env"]) is False
    assert concurrency_of({"concurrency": 4}) == 4
    with pytest.raises(InputError):
        concurrency_of({"concurrency": 99})


class FakeApi:
    """An AgentApi stand-in whose list answers the given rows; detail reads are counted."""

    def __init__(self, rows):
        self.rows = rows
        self.dialect = A
        self.client = object()
        self.wait_timeout = 600
        self.detail_reads = []


class FakeBackend:
    def __init__(self, api):
        self.api = api
        self.dialect = api.dialect

    def list(self):
        return self.api.rows

    def read(self, name):
        self.api.detail_reads.append(name)
        for r in self.api.rows:
            if r["name"] == name:
                return view_from_row(r, A)
        return None


def test_unchanged_zones_cost_no_detail_read_and_changed_ones_go_through_the_zone_resource():
    api = FakeApi([row(), row(name="0002--db01.example.com", ram="1G")])
    ctx = RunContext(check_mode=True, diff=True)
    resource = ZonesResource(AgentZones(api, backend_factory=FakeBackend), ctx, 4)
    resource.zones.apis.get = lambda: api
    out = resource.ensure({"zones": [{"name": NAME, "state": "running", "ram": "2G"},
                                     {"name": "0002--db01.example.com", "ram": "2G"},
                                     {"name": "0003--new.example.com", "state": "running"}]})
    assert api.detail_reads == ["0002--db01.example.com", "0003--new.example.com"] or \
        sorted(api.detail_reads) == ["0002--db01.example.com", "0003--new.example.com"]
    by_name = {r["name"]: r for r in out["results"]}
    assert by_name[NAME]["changed"] is False and by_name[NAME]["zone"]["ram"] == "2G"
    assert by_name["0002--db01.example.com"]["actions"] == ["modify"]
    assert by_name["0003--new.example.com"]["actions"] == ["create and start"]
    assert out["summary"] == {"total": 3, "changed": 2, "unchanged": 1, "failed": 0, "created": 1, "removed": 0}
    assert set(out["diff"]["after"]) == {"0002--db01.example.com", "0003--new.example.com"}
    assert [r["name"] for r in out["results"]] == [NAME, "0002--db01.example.com", "0003--new.example.com"]


def test_native_reads_only_the_zones_the_run_is_about():
    listed = {NAME, "0002--db01.example.com"}
    plain = read_filter(listed, {"prune": False})
    assert plain(NAME) and not plain("0009--other.example.com")
    by_tag = read_filter(listed, {"prune": True, "prune_tag": "env", "prune_prefix": "01"})
    assert by_tag("0009--other.example.com"), "tags are only in the configuration: every zone is a candidate"
    by_prefix = read_filter(listed, {"prune": True, "prune_prefix": "01"})
    assert by_prefix("0100--a.example.com") and by_prefix(NAME) and not by_prefix("0200--a.example.com")
