"""zoneweaver.illumos.template and template_info with backend=native, through ansible-playbook.

The module runs on localhost with the simulator's fake `zfs` first in PATH (its
`zfs recv` consumes the piped stream in the shim and records size and sha256 in
the simulated dataset) and downloads from a BoxVault simulator itself.
"""

import hashlib
import io
import os
import tarfile
import gzip
import zlib

import pytest

from zoneweaver_sim import Simulator
from zoneweaver_sim.boxvault import MALICIOUS_KINDS, BoxVaultSimulator, build_malicious_box
from zw_harness import admin_key_for, native_play

BASE = "rpool/templates"
ORG = "STARTcloud"
VERSIONS = ("2025.8.22", "2025.9.30", "2025.10.1", "2026.1.0-rc1")


@pytest.fixture()
def host():
    key = admin_key_for("0.3.9")
    with Simulator(generation="0.3.9", timing="fast", admin_key=key) as simulator:
        yield simulator


@pytest.fixture()
def bv():
    boxes = [{"org": ORG, "name": "debian12", "version": v, "zss_size": 300_000} for v in VERSIONS]
    boxes += [{"org": ORG, "name": "debian12", "version": "2025.8.22", "architecture": "arm64"},
              {"org": ORG, "name": "nosum", "version": "1.0.0", "checksum_type": None},
              {"org": ORG, "name": "sha512", "version": "1.0.0", "checksum_type": "SHA512"},
              {"org": ORG, "name": "tampered", "version": "1.0.0", "checksum": "ab" * 32},
              {"org": "acme", "name": "secret", "version": "1.0.0", "is_public": False},
              {"org": "acme", "name": "secret", "version": "1.2.0", "is_public": False}]
    boxes += [{"org": "evil", "name": "box-" + kind.replace("_", "-"), "version": "1.0.0",
               "data": build_malicious_box(kind)} for kind in MALICIOUS_KINDS]
    registry = BoxVaultSimulator(boxes=boxes, users={"mark": {"password": "mark-password", "orgs": ["acme"]}})
    with registry:
        registry.token = registry.add_service_account("mark", "acme")
        yield registry


def tpl(title, bv, check=False, ignore=False, **options):
    body = dict({"backend": "native", "registry_url": bv.url, "organization": ORG, "box": "debian12"}, **options)
    out = {"name": title, "zoneweaver.illumos.template": body, "register": "out"}
    if check:
        out["check_mode"] = True
    if ignore:
        out["ignore_errors"] = True
    return out


def info(title, **options):
    return {"name": title, "zoneweaver.illumos.template_info": dict({"backend": "native"}, **options),
            "register": "out"}


def zss_of(data):
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        return tar.extractfile("box.zss").read()


def templates(host, prefix=BASE + "/"):
    return sorted(n for n in host.state.datasets if n.startswith(prefix))


def leftovers(host, download_dir):
    partial = [n for n in host.state.datasets if ".partial-" in n]
    files = [os.path.join(r, f) for r, _d, fs in os.walk(download_dir) for f in fs] + \
        [os.path.join(r, d) for r, ds, _f in os.walk(download_dir) for d in ds]
    return partial, files


def test_import_latest_constraint_rerun_and_check_mode(tmp_path, host, bv):
    dl = tmp_path / "dl"
    dl.mkdir()
    run = native_play(tmp_path, host, [
        tpl("check", bv, check=True, version="latest", download_dir=str(dl)),
    ], ["--diff"])
    assert run.rc == 0, run.output
    check = run["check"]
    assert check["changed"] is True and check["version"] == "2025.10.1" and check["template"] == {}
    assert check["diff"]["after"]["dataset"] == BASE + "/STARTcloud/debian12/2025.10.1"
    assert any(a.startswith("download STARTcloud/debian12 2025.10.1") for a in check["actions"])
    assert bv.downloads() == [], "check mode downloaded the box"
    assert host.command_mutations() == [], "check mode ran a mutating command"
    assert templates(host) == []

    run = native_play(tmp_path, host, [
        tpl("latest", bv, version="latest", download_dir=str(dl)),
        tpl("latest again", bv, download_dir=str(dl)),
        tpl("constraint", bv, version=">=2025.9,<2025.10", download_dir=str(dl)),
        tpl("exact with v", bv, version="v2025.8.22", download_dir=str(dl)),
        tpl("constraint again", bv, version="~=2025.9", download_dir=str(dl)),
        tpl("check again", bv, check=True, version="2025.8.22", download_dir=str(dl)),
        info("all"),
        info("one box", organization=ORG, box="debian12"),
    ], ["--diff"])
    assert run.rc == 0, run.output
    latest = run["latest"]
    final = BASE + "/STARTcloud/debian12/2025.10.1"
    assert latest["changed"] is True and latest["version"] == "2025.10.1"      # the rc is not 'latest'
    assert latest["checksum_verified"] is True and latest["tasks"] == []
    row = latest["template"]
    assert row["dataset_path"] == final and row["ready"] is True
    assert (row["provider"], row["architecture"]) == ("zone", "amd64")
    file_row = bv.file_row(ORG, "debian12", "2025.10.1")
    assert row["checksum"] == file_row["checksum"] == hashlib.sha256(file_row["data"]).hexdigest()
    assert row["registry_checksum"] == "SHA256:" + file_row["checksum"]
    assert latest["import_stats"]["size"] == file_row["fileSize"]
    # what zfs recv received is exactly the box's box.zss, streamed (never written to disk)
    received = host.state.datasets[final]["received"]
    zss = zss_of(file_row["data"])
    assert received["bytes"] == len(zss) and received["crc32"] == zlib.crc32(zss)
    assert final + "@ready" in host.state.datasets
    for name in ("latest again", "constraint again", "check again"):
        assert run[name]["changed"] is False and run[name]["actions"] == [], name
        assert run[name]["checksum_verified"] is True, name
    assert run["constraint"]["version"] == "2025.9.30" and run["constraint"]["changed"] is True
    assert run["exact with v"]["version"] == "2025.8.22" and run["exact with v"]["changed"] is True
    assert len(bv.downloads()) == 3, "an unchanged run downloaded again"
    listed = run["all"]["templates"]
    assert [t["version"] for t in listed] == ["2025.8.22", "2025.9.30", "2025.10.1"]
    assert all(t["ready"] and t["organization"] == ORG for t in listed)
    assert len(run["one box"]["templates"]) == 3
    assert leftovers(host, dl) == ([], [])

    # another variant of an imported version is refused, never overwrites it
    run = native_play(tmp_path, host, [
        tpl("other arch", bv, ignore=True, version="2025.8.22", architecture="arm64", download_dir=str(dl))])
    other = run["other arch"]
    assert run.outcome("other arch") == "failed" and "zone/amd64" in other["msg"] and "overwrite" in other["msg"]
    assert host.state.datasets[BASE + "/STARTcloud/debian12/2025.8.22"].get("properties", {}).get(
        "zoneweaver:architecture") == "amd64"

    # absent: check mode, then for real, then unchanged
    host.clear_commands()
    run = native_play(tmp_path, host, [
        tpl("absent check", bv, check=True, state="absent", version="<2025.10"),
        tpl("absent", bv, state="absent", version="<2025.10"),
        tpl("absent again", bv, state="absent", version="<2025.10"),
    ], ["--diff"])
    assert run.rc == 0, run.output
    assert run["absent check"]["changed"] is True and len(run["absent check"]["removed"]) == 2
    assert run["absent"]["changed"] is True and run["absent again"]["changed"] is False
    mutations = [c["argv"] for c in host.command_mutations()]
    assert mutations == [["destroy", "-r", BASE + "/STARTcloud/debian12/2025.8.22"],
                         ["destroy", "-r", BASE + "/STARTcloud/debian12/2025.9.30"]]
    assert [n for n in templates(host) if "@" not in n and n.count("/") == 4] == [final]


def test_private_box_token_and_wrong_token(tmp_path, host, bv):
    dl = tmp_path / "dl"
    dl.mkdir()
    run = native_play(tmp_path, host, [
        tpl("anonymous", bv, ignore=True, organization="acme", box="secret", download_dir=str(dl)),
        tpl("wrong token", bv, ignore=True, organization="acme", box="secret", registry_token="0" * 64,
            download_dir=str(dl)),
        tpl("token", bv, organization="acme", box="secret", registry_token=bv.token, download_dir=str(dl)),
        tpl("login", bv, organization="acme", box="secret", version="1.0.0", registry_username="mark",
            registry_password="mark-password", download_dir=str(dl)),
    ])
    for name in ("anonymous", "wrong token"):
        failed = run[name]
        assert run.outcome(name) == "failed", name
        assert "HTTP 401" in failed["msg"] or "HTTP 403" in failed["msg"], failed["msg"]
    assert "registry_token" in run["anonymous"]["msg"] + str(run["anonymous"].get("hint"))
    token = run["token"]
    assert token["changed"] is True and token["version"] == "1.2.0" and token["checksum_verified"] is True
    assert run["login"]["changed"] is True and run["login"]["version"] == "1.0.0"
    assert bv.token not in run.output and "mark-password" not in run.output
    assert templates(host, BASE + "/acme/secret/") != []
    assert leftovers(host, dl) == ([], [])


def test_interrupted_download_resumes(tmp_path, host, bv):
    dl = tmp_path / "dl"
    dl.mkdir()
    bv.drop_after_bytes = 100_000
    run = native_play(tmp_path, host, [tpl("import", bv, version="2025.9.30", download_dir=str(dl))])
    assert run.rc == 0, run.output
    result = run["import"]
    assert result["changed"] is True and result["import_stats"]["resumes"] == 1
    assert result["checksum_verified"] is True
    gets = bv.downloads()
    assert len(gets) == 2 and gets[0].get("dropped_after") == 100_000
    assert result["template"]["checksum"] == bv.file_row(ORG, "debian12", "2025.9.30")["checksum"]
    assert leftovers(host, dl) == ([], [])


@pytest.mark.parametrize("kind", MALICIOUS_KINDS)
def test_malicious_box_refused_nothing_left(tmp_path, host, bv, kind):
    dl = tmp_path / "dl"
    dl.mkdir()
    box = "box-" + kind.replace("_", "-")
    # the simulator's bomb unpacks to 8 MiB of zeros: a limit of 4M stands for the real default of 256G
    run = native_play(tmp_path, host, [tpl("evil", bv, ignore=True, organization="evil", box=box,
                                           download_dir=str(dl), max_unpacked_size="4M")])
    result = run["evil"]
    assert run.outcome("evil") == "failed", result
    expected = {"absolute": "absolute path", "dotdot": "'..'", "symlink": "pointing outside",
                "symlink_relative": "pointing outside", "hardlink": "pointing outside", "device": "device file",
                "fifo": "FIFO", "duplicate": "twice", "bomb": "unpacks to more than 4.0M", "zss_symlink": "regular file",
                "no_zss": "no box.zss", "not_gzip": "not gzip", "truncated": "truncated"}[kind]
    assert expected in result["msg"], result["msg"]
    assert templates(host, BASE + "/evil") == [], "a refused box left datasets behind"
    assert leftovers(host, dl) == ([], [])
    assert not os.path.exists("/tmp/zoneweaver-owned")


def test_checksum_mismatch_and_policies(tmp_path, host, bv):
    dl = tmp_path / "dl"
    dl.mkdir()
    run = native_play(tmp_path, host, [
        tpl("tampered", bv, ignore=True, box="tampered", download_dir=str(dl)),
        tpl("nosum strict", bv, ignore=True, box="nosum", download_dir=str(dl)),
        tpl("nosum warn", bv, box="nosum", checksum_policy="warn", download_dir=str(dl)),
        tpl("sha512", bv, box="sha512", download_dir=str(dl)),
        tpl("sha512 again", bv, box="sha512", download_dir=str(dl)),
        tpl("source_name refused", bv, ignore=True, source_name="boxvault"),
        tpl("bad base", bv, ignore=True, template_base="rpool/../x"),
    ])
    tampered = run["tampered"]
    assert run.outcome("tampered") == "failed" and "checksum mismatch" in tampered["msg"]
    assert templates(host, BASE + "/STARTcloud/tampered") == []
    strict = run["nosum strict"]
    assert run.outcome("nosum strict") == "failed" and "no checksum" in strict["msg"]
    assert len([d for d in bv.downloads() if "/nosum/" in d["path"]]) == 1, "strict checksum_policy downloaded a box without checksum"
    assert run["nosum warn"]["changed"] is True and run["nosum warn"]["checksum_verified"] is None
    assert any("no checksum" in w for w in run["nosum warn"].get("warnings", []))
    assert run["sha512"]["checksum_verified"] is True
    assert run["sha512"]["template"]["registry_checksum"].startswith("SHA512:")
    assert run["sha512 again"]["changed"] is False and run["sha512 again"]["checksum_verified"] is True
    assert "registry_url" in run["source_name refused"]["msg"]
    assert "template_base" in run["bad base"]["msg"]
    assert leftovers(host, dl) == ([], [])


def test_failed_receive_removes_everything(tmp_path, host, bv):
    dl = tmp_path / "dl"
    dl.mkdir()
    host.command_knobs["fail"] = {"zfs rename": "cannot rename: simulated failure"}
    run = native_play(tmp_path, host, [tpl("import", bv, ignore=True, version="2025.8.22", download_dir=str(dl))])
    result = run["import"]
    assert run.outcome("import") == "failed" and "simulated failure" in result["msg"]
    assert templates(host) == [], "a failed import left its dataset or the parents it created"
    assert leftovers(host, dl) == ([], [])
