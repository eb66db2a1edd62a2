"""The template resource with a scripted agent backend: plan, races, verification, removal."""

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import ChecksumError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.context import RunContext
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.resources.template import (
    TemplateResource, normalize_spec, public_view)

SUM = "ab" * 32
META = {"name": "acme/box", "versions": [
    {"version": v, "providers": [{"name": "zone", "architecture": "amd64", "checksum": SUM, "checksum_type": "sha256",
                                  "default_architecture": True}]}
    for v in ("1.0.0", "1.1.0", "2.0.0-rc1")]}


class FakeBackend:
    def __init__(self, rows=(), pull_answer=None, imported_checksum=SUM):
        self.rows = [dict(r) for r in rows]
        self.calls = []
        self.pull_answer = pull_answer
        self.imported_checksum = imported_checksum

    def sources(self):
        return [{"name": "bv", "url": "http://bv", "enabled": True, "default": True}]

    def remote_box(self, source, org, box):
        self.calls.append(("remote", source, org, box))
        return META

    def find(self, org, box, version=None):
        return [r for r in self.rows if (r["organization"], r["box_name"]) == (org, box)
                and (version is None or r["version"] == version)]

    def pull(self, body):
        self.calls.append(("pull", body))
        if self.pull_answer is not None:
            self.rows.append(dict(id="raced", organization=body["organization"], box_name=body["box_name"],
                                  version=body["version"], provider="zone", architecture="amd64", checksum=SUM))
            return self.pull_answer
        self.rows.append({"id": "new", "organization": body["organization"], "box_name": body["box_name"],
                          "version": body["version"], "provider": body["provider"],
                          "architecture": body["architecture"], "checksum": self.imported_checksum,
                          "checksum_algorithm": "sha256", "dataset_path": "rpool/templates/x",
                          "source_url": "http://bv/file/download?token=secret-jwt"})
        return {"task_id": "t1"}

    def delete(self, template_id):
        self.calls.append(("delete", template_id))
        self.rows = [r for r in self.rows if r["id"] != template_id]
        return {"task_id": "t2"}

    def wait(self, answer, timeout):
        self.calls.append(("wait", answer["task_id"]))


def params(**kw):
    base = {"organization": "acme", "box": "box", "state": "present", "wait": True, "wait_timeout": 5,
            "checksum_policy": "strict"}
    base.update(kw)
    return base


def row(version, **kw):
    return dict({"id": "r-" + version, "organization": "acme", "box_name": "box", "version": version,
                 "provider": "zone", "architecture": "amd64", "checksum": SUM, "checksum_algorithm": "sha256"}, **kw)


def test_latest_pulls_the_newest_final_and_verifies():
    backend = FakeBackend()
    result = TemplateResource(backend, RunContext()).ensure(params())
    assert result["version"] == "1.1.0" and result["changed"] is True and result["checksum_verified"] is True
    assert backend.calls[1] == ("pull", {"source_name": "bv", "organization": "acme", "box_name": "box",
                                         "version": "1.1.0", "provider": "zone", "architecture": "amd64"})
    assert "token=" not in result["template"]["source_url"]


def test_present_is_unchanged_and_check_mode_does_not_pull():
    backend = FakeBackend(rows=[row("1.1.0")])
    assert TemplateResource(backend, RunContext()).ensure(params())["changed"] is False
    backend = FakeBackend()
    result = TemplateResource(backend, RunContext(check_mode=True)).ensure(params(version="~=1.0"))
    assert result["changed"] is True and not [c for c in backend.calls if c[0] != "remote"]


def test_a_409_race_counts_as_present():
    backend = FakeBackend(pull_answer={"exists": "raced"})
    result = TemplateResource(backend, RunContext()).ensure(params(version="1.0.0"))
    assert result["changed"] is False and result["template"]["id"] == "raced"


def test_mismatch_after_pull_removes_the_import():
    backend = FakeBackend(imported_checksum="cd" * 32)
    with pytest.raises(ChecksumError) as info:
        TemplateResource(backend, RunContext()).ensure(params(version="1.0.0"))
    assert "removed again" in str(info.value) and ("delete", "new") in backend.calls and backend.rows == []


def test_existing_mismatch_is_reported_not_removed():
    backend = FakeBackend(rows=[row("1.0.0", checksum="cd" * 32)])
    with pytest.raises(ChecksumError):
        TemplateResource(backend, RunContext()).ensure(params(version="1.0.0"))
    assert len(backend.rows) == 1


def test_another_variant_of_the_version_is_refused():
    backend = FakeBackend(rows=[row("1.0.0", architecture="arm64")])
    with pytest.raises(InputError) as info:
        TemplateResource(backend, RunContext()).ensure(params(version="1.0.0"))
    assert "one variant per version" in str(info.value)


def test_wait_false_warns_that_nothing_was_verified():
    ctx = RunContext()
    result = TemplateResource(FakeBackend(), ctx).ensure(params(wait=False))
    assert result["tasks"] == [{"step": "template_download", "task_id": "t1"}] and result["checksum_verified"] is None
    assert any("not verified" in w for w in ctx.warnings)


def test_absent_filters_by_selector_and_variant():
    rows = [row("1.0.0"), row("1.1.0"), row("2.0.0", architecture="arm64", id="r-arm")]
    backend = FakeBackend(rows=rows)
    result = TemplateResource(backend, RunContext()).ensure(params(state="absent", version="<2"))
    assert [r["version"] for r in result["removed"]] == ["1.0.0", "1.1.0"]
    backend = FakeBackend(rows=rows)
    result = TemplateResource(backend, RunContext()).ensure(params(state="absent", architecture="arm64"))
    assert [r["id"] for r in result["removed"]] == ["r-arm"]


@pytest.mark.parametrize("bad,needle", [
    ({"organization": "a/b"}, "invalid organization"),
    ({"box": ""}, "invalid box"),
    ({"provider": "z one"}, "invalid provider"),
    ({"source_name": "x y"}, "invalid source_name"),
    ({"state": "absent", "version": "latest"}, "not 'latest'"),
    ({"registry_token": "t", "registry_username": "u", "registry_password": "p"}, "not both"),
    ({"registry_username": "u"}, "go together"),
    ({"checksum_policy": "maybe"}, "checksum_policy"),
])
def test_bad_input(bad, needle):
    with pytest.raises(InputError) as info:
        normalize_spec(params(**bad))
    assert needle in str(info.value)


def test_public_view_of_nothing():
    assert public_view(None) == {}
