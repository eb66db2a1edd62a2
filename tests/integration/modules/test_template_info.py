"""zoneweaver.illumos.template_info through the agent (both generations), after imports with the template
module from a BoxVault simulator; the native backend is covered in native/test_template_native.py."""

import pytest

from zoneweaver_sim.boxvault import BoxVaultSimulator

ORG = "STARTcloud"


@pytest.fixture()
def bv(sim):
    registry = BoxVaultSimulator(
        boxes=[{"org": ORG, "name": "debian12", "version": v} for v in ("2025.8.22", "2025.10.1", "2025.9.30")]
        + [{"org": ORG, "name": "omnios", "version": "r151054"}])
    with registry:
        sim.template_sources = [{"name": "boxvault", "url": registry.url, "default": True}]
        yield registry


def pull(sim, box, version):
    return {"name": "pull %s %s" % (box, version), "zoneweaver.illumos.template": {
        "api_url": sim.url, "api_key": sim.admin_key, "organization": ORG, "box": box, "version": version}}


def info(title, check=False, **options):
    out = {"name": title, "zoneweaver.illumos.template_info": options, "register": "out"}
    if check:
        out["check_mode"] = True
    return out


def test_lists_and_filters_local_templates(play, sim, bv):
    empty = play([info("nothing yet")])
    assert empty.rc == 0, empty.output
    assert empty["nothing yet"]["templates"] == [] and empty["nothing yet"]["changed"] is False
    run = play([pull(sim, "debian12", "2025.10.1"), pull(sim, "debian12", "2025.9.30"),
                pull(sim, "debian12", "2025.8.22"), pull(sim, "omnios", "r151054"),
                info("all"),
                info("one box", organization=ORG, box="debian12"),
                info("constraint", organization=ORG, box="debian12", version=">=2025.9"),
                info("arch filter", architecture="arm64"),
                info("check mode", check=True, org=ORG)])
    assert run.rc == 0, run.output
    rows = run["all"]["templates"]
    assert [(r["box_name"], r["version"]) for r in rows] == [
        ("debian12", "2025.8.22"), ("debian12", "2025.9.30"), ("debian12", "2025.10.1"), ("omnios", "r151054")]
    first = rows[0]
    assert first["dataset_path"] == "rpool/templates/STARTcloud/debian12/2025.8.22"
    assert first["checksum"] == bv.file_row(ORG, "debian12", "2025.8.22")["checksum"]
    assert run["all"]["generation"] == sim.generation
    assert [r["version"] for r in run["one box"]["templates"]] == ["2025.8.22", "2025.9.30", "2025.10.1"]
    assert [r["version"] for r in run["constraint"]["templates"]] == ["2025.9.30", "2025.10.1"]
    assert run["arch filter"]["templates"] == []
    assert len(run["check mode"]["templates"]) == 4
    reads = [e for e in sim.log if e["method"] != "GET" and "template" in e["path"]]
    assert all(e["path"] == "/templates/pull" for e in reads), "template_info sent a mutating request"


def test_bad_filters_refused_before_any_request(play, sim, bv):
    sim.clear_log()
    run = play([{"name": "box without org", "zoneweaver.illumos.template_info": {"box": "debian12"},
                 "ignore_errors": True},
                {"name": "latest", "zoneweaver.illumos.template_info": {"organization": ORG, "version": "latest"},
                 "ignore_errors": True},
                {"name": "bad name", "zoneweaver.illumos.template_info": {"organization": "a b"},
                 "ignore_errors": True}])
    assert "box needs organization" in run["box without org"]["msg"]
    assert "not 'latest'" in run["latest"]["msg"]
    assert "organization" in run["bad name"]["msg"]
    assert [e for e in sim.log if "template" in e["path"]] == []
