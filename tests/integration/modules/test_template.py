"""zoneweaver.illumos.template against both agent generations, the agent simulator downloading
from a BoxVault simulator, through ansible-playbook."""

import pytest

from zoneweaver_sim.boxvault import BoxVaultSimulator

TOKEN_NAME = "boxvault"


@pytest.fixture()
def bv(sim):
    """A registry with public, private, checksum-less and wrongly-summed boxes, configured as
    the agent's template source (with the service account's token)."""
    registry = BoxVaultSimulator(
        boxes=[{"org": "STARTcloud", "name": "debian12", "version": v, "zss_size": 20_000}
               for v in ("2025.8.22", "2025.9.30", "2025.10.1", "2026.1.0-rc1")]
        + [{"org": "STARTcloud", "name": "nosum", "version": "1.0.0", "checksum_type": None},
           {"org": "STARTcloud", "name": "md5only", "version": "1.0.0", "checksum_type": "MD5"},
           {"org": "STARTcloud", "name": "tampered", "version": "1.0.0", "checksum": "ab" * 32},
           {"org": "acme", "name": "secret", "version": "1.0.0", "is_public": False},
           {"org": "acme", "name": "secret", "version": "1.2.0", "is_public": False}],
        users={"mark": {"password": "mark-password", "orgs": ["acme"]}})
    with registry:
        registry.token = registry.add_service_account("mark", "acme")
        sim.template_sources = [{"name": TOKEN_NAME, "url": registry.url, "default": True,
                                 "auth_token": registry.token}]
        yield registry


def task(sim, name, check=False, ignore=False, **options):
    # api_url/api_key given explicitly as well, so the tests do not depend on the action group
    body = dict({"api_url": sim.url, "api_key": sim.admin_key}, **options)
    out = {"name": name, "zoneweaver.illumos.template": body, "register": "out"}
    if check:
        out["check_mode"] = True
    if ignore:
        out["ignore_errors"] = True
    return out


def templates(sim):
    return list(sim.state.templates.values())


def test_import_exact_latest_constraint_then_unchanged(play, sim, bv):
    base = {"organization": "STARTcloud", "box": "debian12", "registry_url": bv.url}
    run = play([task(sim, "check", check=True, version="latest", **base),
                task(sim, "exact", version="2025.8.22", **base),
                task(sim, "latest", version="latest", **base),
                task(sim, "constraint", version=">=2025.9,<2025.10", **base),
                task(sim, "exact again", version="2025.8.22", **base),
                task(sim, "latest again", **base),
                task(sim, "constraint again", version="~=2025.9", **base),
                task(sim, "through the agent's source", version="2025.8.22", organization="STARTcloud",
                     box="debian12")],
               extra_args=["--diff"])
    assert run.rc == 0, run.output
    check = run["check"]
    assert check["changed"] is True and check["version"] == "2025.10.1" and check["template"] == {}
    assert check["diff"]["after"]["version"] == "2025.10.1"
    exact = run["exact"]
    assert exact["changed"] is True and exact["checksum_verified"] is True
    assert exact["template"]["dataset_path"] == "rpool/templates/STARTcloud/debian12/2025.8.22"
    assert exact["template"]["checksum"] == bv.file_row("STARTcloud", "debian12", "2025.8.22")["checksum"]
    assert exact["tasks"][0]["step"] == "template_download"
    assert run["latest"]["version"] == "2025.10.1" and run["latest"]["changed"] is True     # rc1 skipped
    assert run["constraint"]["version"] == "2025.9.30" and run["constraint"]["changed"] is True
    for name in ("exact again", "latest again", "constraint again", "through the agent's source"):
        assert run[name]["changed"] is False and run[name]["actions"] == [], name
        assert run[name]["checksum_verified"] is True, name
    assert run["through the agent's source"]["registry"]["source"] == "agent"
    assert sorted(t["version"] for t in templates(sim)) == ["2025.10.1", "2025.8.22", "2025.9.30"]
    pulls = [e for e in sim.log if e["path"] == "/templates/pull"]
    assert len(pulls) == 3 and all(e["body"]["version"] != "latest" for e in pulls)


def test_check_mode_sends_no_mutation(play, sim, bv):
    run = play([task(sim, "check pull", check=True, organization="STARTcloud", box="debian12", version="2025.8.22"),
                task(sim, "pull", organization="STARTcloud", box="debian12", version="2025.8.22"),
                task(sim, "check remove", check=True, organization="STARTcloud", box="debian12", state="absent")])
    assert run.rc == 0, run.output
    assert run["check pull"]["changed"] is True and run["check remove"]["changed"] is True
    assert run["check remove"]["removed"][0]["version"] == "2025.8.22"
    mutations = sim.mutations()
    assert [m["path"] for m in mutations] == ["/templates/pull"], mutations
    assert len(templates(sim)) == 1


def test_remove(play, sim, bv):
    base = {"organization": "STARTcloud", "box": "debian12"}
    run = play([task(sim, "a", version="2025.8.22", **base), task(sim, "b", version="2025.9.30", **base),
                task(sim, "remove old", state="absent", version="<2025.9", **base),
                task(sim, "remove old again", state="absent", version="<2025.9", **base),
                task(sim, "remove all", state="absent", **base),
                task(sim, "remove all again", state="absent", **base)], extra_args=["--diff"])
    assert run.rc == 0, run.output
    assert run["remove old"]["changed"] is True and [r["version"] for r in run["remove old"]["removed"]] == ["2025.8.22"]
    assert run["remove old"]["diff"]["before"] == {"state": "present", "versions": ["2025.8.22"]}
    assert run["remove old again"]["changed"] is False
    assert [r["version"] for r in run["remove all"]["removed"]] == ["2025.9.30"]
    assert run["remove all again"]["changed"] is False
    assert templates(sim) == [] and not any(d.startswith("rpool/templates/STARTcloud/debian12/")
                                            for d in sim.state.datasets)


def test_private_box_with_token_and_with_login(play, sim, bv):
    base = {"organization": "acme", "box": "secret", "registry_url": bv.url}
    run = play([task(sim, "token", registry_token=bv.token, **base),
                task(sim, "login", registry_username="mark", registry_password="mark-password", version="1.0.0",
                     **base),
                task(sim, "anonymous", ignore=True, **base)], extra_args=["-v"])
    assert run.rc == 0, run.output
    assert run["token"]["version"] == "1.2.0" and run["token"]["changed"] is True
    assert run["token"]["checksum_verified"] is True and run["token"]["registry"]["source"] == "registry"
    assert run["login"]["changed"] is True and run["login"]["checksum_verified"] is True
    assert run.outcome("anonymous") == "failed"
    assert run["anonymous"]["status"] == 403 and "registry_token" in run["anonymous"]["msg"]
    for secret in (bv.token, "mark-password"):
        assert secret not in run.output
    assert "eyJ" not in run.output, "a BoxVault JWT leaked"


def test_wrong_token_is_a_clear_error_without_the_token(play, sim, bv):
    wrong = "0123456789abcdef" * 4
    base = {"organization": "acme", "box": "secret", "registry_url": bv.url}
    run = play([task(sim, "wrong token", ignore=True, registry_token=wrong, **base),
                task(sim, "wrong password", ignore=True, registry_username="mark", registry_password="nope-nope", **base)],
               extra_args=["-vvv"])
    result = run["wrong token"]
    assert run.outcome("wrong token") == "failed"
    assert result["status"] in (401, 403) and "Invalid or expired service account token" in result["msg"]
    assert "registry_token is wrong or expired" in result["msg"]
    assert "Invalid Password" in run["wrong password"]["msg"]
    assert wrong not in run.output and "nope-nope" not in run.output
    assert sim.mutations() == []


def test_wrong_token_on_the_agents_source(play, sim, bv):
    sim.template_sources[0]["auth_token"] = "f" * 64
    run = play([task(sim, "agent source", ignore=True, organization="acme", box="secret")])
    result = run["agent source"]
    assert run.outcome("agent source") == "failed"
    assert "could not read acme/secret from its template source boxvault" in result["msg"]
    assert "401" in result["msg"] and "auth_token" in result["msg"]
    assert "f" * 64 not in run.output
    assert sim.mutations() == []


def test_checksum_mismatch_is_refused_and_the_import_removed(play, sim, bv):
    run = play([task(sim, "tampered", ignore=True, organization="STARTcloud", box="tampered", version="1.0.0")])
    result = run["tampered"]
    assert run.outcome("tampered") == "failed"
    assert "checksum mismatch" in result["msg"] and "abab" in result["msg"] and "removed again" in result["msg"]
    assert templates(sim) == []
    assert [m["method"] for m in sim.mutations()] == ["POST", "DELETE"]


def test_existing_template_with_another_checksum_is_reported(play, sim, bv):
    run = play([task(sim, "import", organization="STARTcloud", box="debian12", version="2025.8.22")])
    assert run.rc == 0, run.output
    bv.set_file_data("STARTcloud", "debian12", "2025.8.22", b"replaced upload")
    run = play([task(sim, "again", ignore=True, organization="STARTcloud", box="debian12", version="2025.8.22")])
    assert run.outcome("again") == "failed"
    assert "not the registry's box" in run["again"]["msg"] and "state=absent" in run["again"]["msg"]
    assert len(templates(sim)) == 1


def test_missing_or_incomparable_checksum_policy(play, sim, bv):
    run = play([task(sim, "strict", ignore=True, organization="STARTcloud", box="nosum"),
                task(sim, "md5 strict", ignore=True, organization="STARTcloud", box="md5only"),
                task(sim, "warn", organization="STARTcloud", box="nosum", checksum_policy="warn"),
                task(sim, "md5 warn", organization="STARTcloud", box="md5only", checksum_policy="warn")])
    assert run.outcome("strict") == "failed" and "publishes no checksum" in run["strict"]["msg"]
    assert "checksum_policy: warn" in run["strict"]["msg"]
    assert run.outcome("md5 strict") == "failed" and "md5" in run["md5 strict"]["msg"]
    assert run["warn"]["changed"] is True and run["warn"]["checksum_verified"] is None
    assert any("no checksum" in w for w in run["warn"]["warnings"])
    assert run["md5 warn"]["changed"] is True and any("sha256 only" in w for w in run["md5 warn"]["warnings"])
    assert sorted(t["box_name"] for t in templates(sim)) == ["md5only", "nosum"]


def test_sources_and_bad_input_before_any_mutation(play, sim, bv):
    run = play([task(sim, "no such version", ignore=True, organization="STARTcloud", box="debian12", version=">=2030"),
                task(sim, "unknown source", ignore=True, organization="STARTcloud", box="debian12",
                     source_name="nope"),
                task(sim, "registry not a source", ignore=True, organization="STARTcloud", box="debian12",
                     registry_url="http://127.0.0.1:9/"),
                task(sim, "bad box", ignore=True, organization="STARTcloud", box="x;reboot"),
                task(sim, "bad constraint", ignore=True, organization="STARTcloud", box="debian12", version=">=,"),
                task(sim, "absent latest", ignore=True, organization="STARTcloud", box="debian12", state="absent",
                     version="latest")])
    assert "available: 2026.1.0-rc1, 2025.10.1, 2025.9.30" in run["no such version"]["msg"]
    assert "no template source named 'nope'" in run["unknown source"]["msg"]
    assert "points at registry_url http://127.0.0.1:9" in run["registry not a source"]["msg"]
    assert "invalid box" in run["bad box"]["msg"]
    assert "invalid version constraint" in run["bad constraint"]["msg"]
    assert "not 'latest'" in run["absent latest"]["msg"]
    assert sim.mutations() == []


def test_wait_false_then_verify(play, sim, bv):
    run = play([task(sim, "no wait", organization="STARTcloud", box="debian12", version="2025.8.22", wait=False),
                {"name": "follow", "zoneweaver.illumos.task_info": {
                    "api_url": sim.url, "api_key": sim.admin_key,
                    "task_id": "{{ out.tasks[0].task_id }}", "wait": True}},
                task(sim, "verify", organization="STARTcloud", box="debian12", version="2025.8.22")])
    assert run.rc == 0, run.output
    assert run["no wait"]["changed"] is True and run["no wait"]["template"] == {}
    assert any("not verified" in w for w in run["no wait"]["warnings"])
    assert run["verify"]["changed"] is False and run["verify"]["checksum_verified"] is True
