"""zoneweaver.illumos.boxvault_box_info against the BoxVault simulator, through ansible-playbook.
No agent is involved; the module runs on the controller."""

import pytest

from zw_harness import run_play
from zoneweaver_sim.boxvault import BoxVaultSimulator


@pytest.fixture()
def bv():
    registry = BoxVaultSimulator(
        boxes=[{"org": "STARTcloud", "name": "debian12", "version": v, "zss_size": 5000}
               for v in ("2025.8.22", "2025.9.30", "2025.10.1", "2026.1.0-rc1")]
        + [{"org": "STARTcloud", "name": "debian12", "version": "2025.10.1", "architecture": "arm64"},
           {"org": "STARTcloud", "name": "nosum", "version": "1.0.0", "checksum_type": None},
           {"org": "acme", "name": "secret", "version": "1.0.0", "is_public": False},
           {"org": "acme", "name": "secret", "version": "1.2.0", "is_public": False, "checksum_type": "SHA512"}],
        users={"mark": {"password": "mark-password", "orgs": ["acme"]}})
    with registry:
        registry.token = registry.add_service_account("mark", "acme")
        yield registry


def info(name, ignore=False, **options):
    out = {"name": name, "zoneweaver.illumos.boxvault_box_info": options, "register": "out"}
    if ignore:
        out["ignore_errors"] = True
    return out


def test_one_box_versions_checksums_sizes_and_resolution(tmp_path, bv):
    base = {"registry_url": bv.url, "organization": "STARTcloud", "box": "debian12"}
    run = run_play(tmp_path, [info("all", **base),
                              info("constraint", version=">=2025.9,<2026", **base),
                              info("latest arm", version="latest", architecture="arm64", **base),
                              info("exact", version="2025.8.22", **base),
                              info("check mode", **base) | {"check_mode": True}])
    assert run.rc == 0, run.output
    box = run["all"]["boxes"][0]
    assert run["all"]["changed"] is False and box["source"] == "api" and box["is_public"] is True
    assert [v["version"] for v in box["versions"]] == ["2026.1.0-rc1", "2025.10.1", "2025.9.30", "2025.8.22"]
    arch = box["versions"][1]["providers"][0]["architectures"][0]
    row = bv.file_row("STARTcloud", "debian12", "2025.10.1")
    assert arch == {"name": "amd64", "default": True, "available": True, "file_name": "vagrant.box",
                    "size": row["fileSize"], "checksum": row["checksum"], "checksum_type": "SHA256",
                    "download_count": 0}
    resolved = run["all"]["resolved"]
    assert resolved["version"] == "2025.10.1" and resolved["checksum"] == row["checksum"]
    assert resolved["size"] == row["fileSize"]
    assert [v["version"] for v in run["constraint"]["boxes"][0]["versions"]] == ["2025.10.1", "2025.9.30"]
    arm = run["latest arm"]
    assert [v["version"] for v in arm["boxes"][0]["versions"]] == ["2025.10.1"]
    assert [a["name"] for a in arm["boxes"][0]["versions"][0]["providers"][0]["architectures"]] == ["arm64"]
    assert arm["resolved"]["architecture"] == "arm64"
    assert run["exact"]["resolved"]["version"] == "2025.8.22"
    assert run["check mode"]["boxes"] == run["all"]["boxes"]


def test_listing_and_missing_checksum(tmp_path, bv):
    run = run_play(tmp_path, [info("discover", registry_url=bv.url),
                              info("org", registry_url=bv.url, organization="STARTcloud"),
                              info("nosum", registry_url=bv.url, organization="STARTcloud", box="nosum"),
                              info("unknown box", registry_url=bv.url, organization="STARTcloud", box="nope")])
    assert run.rc == 0, run.output
    assert sorted(b["name"] for b in run["discover"]["boxes"]) == ["debian12", "nosum"]
    assert sorted(b["name"] for b in run["org"]["boxes"]) == ["debian12", "nosum"]
    nosum = run["nosum"]["resolved"]
    assert nosum["checksum"] is None and nosum["checksum_type"] is None
    assert run["unknown box"]["boxes"] == [] and run["unknown box"]["resolved"] == {}


def test_private_box_token_login_and_env(tmp_path, bv):
    base = {"registry_url": bv.url, "organization": "acme", "box": "secret"}
    run = run_play(tmp_path, [info("token", registry_token=bv.token, **base),
                              info("login", registry_username="mark", registry_password="mark-password", **base),
                              info("anonymous", ignore=True, **base)], extra_args=["-v"])
    assert run.rc == 0, run.output
    token = run["token"]
    assert token["boxes"][0]["source"] == "vagrant"        # the API detail refuses a raw service-account token
    assert [v["version"] for v in token["boxes"][0]["versions"]] == ["1.2.0", "1.0.0"]
    row = bv.file_row("acme", "secret", "1.2.0")
    assert token["resolved"] == {"organization": "acme", "box": "secret", "version": "1.2.0", "provider": "zone",
                                 "architecture": "amd64", "checksum": row["checksum"], "checksum_type": "SHA512",
                                 "size": row["fileSize"], "file_name": "vagrant.box", "deprecated": None,
                                 "source": "vagrant"}
    assert run["login"]["boxes"][0]["source"] == "api" and run["login"]["resolved"]["size"] == row["fileSize"]
    assert run.outcome("anonymous") == "failed" and run["anonymous"]["status"] == 403
    for secret in (bv.token, "mark-password"):
        assert secret not in run.output
    assert "eyJ" not in run.output
    env = run_play(tmp_path, [info("env", organization="acme", box="secret"),
                              info("env and login", ignore=True, organization="acme", box="secret",
                                   registry_username="mark", registry_password="mark-password")],
                   env={"BOXVAULT_URL": bv.url, "BOXVAULT_TOKEN": bv.token})
    assert env["env"]["resolved"]["version"] == "1.2.0"
    assert "BOXVAULT_TOKEN" in env["env and login"]["msg"] and bv.token not in env.output


def test_errors_are_clear_and_secret_free(tmp_path, bv):
    wrong = "ab" * 32
    run = run_play(tmp_path, [
        info("wrong token", ignore=True, registry_url=bv.url, organization="acme", box="secret", registry_token=wrong),
        info("no match", ignore=True, registry_url=bv.url, organization="STARTcloud", box="debian12", version=">=2030"),
        info("no url", ignore=True, organization="STARTcloud"),
        info("box without org", ignore=True, registry_url=bv.url, box="debian12"),
        info("bad version", ignore=True, registry_url=bv.url, organization="STARTcloud", box="debian12", version="1..2"),
        info("unreachable", ignore=True, registry_url="http://127.0.0.1:9", organization="STARTcloud")],
        extra_args=["-vvv"])
    result = run["wrong token"]
    assert result["status"] == 401 and "Invalid or expired service account token" in result["msg"]
    assert wrong not in run.output
    assert "available: 2026.1.0-rc1, 2025.10.1" in run["no match"]["msg"]
    assert "registry_url is required" in run["no url"]["msg"]
    assert "box needs organization" in run["box without org"]["msg"]
    assert "invalid version" in run["bad version"]["msg"]
    assert "cannot reach BoxVault" in run["unreachable"]["msg"]
