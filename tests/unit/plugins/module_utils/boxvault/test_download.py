"""download(): checksums on the fly, resume with Range/If-Range after a cut, size check, policy."""

import hashlib
import os

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.client import BoxVaultClient
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.download import download, hashlib_name
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import (
    ChecksumError, RegistryAuthError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import TransportError


def fetch(bv, org, box, version, dest, client=None, **kw):
    client = client or BoxVaultClient(bv.url)
    facts = client.resolve(org, box, version)
    path = client.download_path(org, box, facts["version"], "zone", "amd64")
    kw.setdefault("expected_checksum", facts["checksum"])
    kw.setdefault("checksum_type", facts["checksum_type"])
    kw.setdefault("expected_size", facts["size"])
    return download(client, path, str(dest), chunk_size=8192, **kw)


def test_download_verifies_while_streaming(bv, tmp_path):
    seen = []
    out = fetch(bv, "STARTcloud", "debian12", "2025.10.1", tmp_path / "a.box", progress=lambda r, t: seen.append((r, t)))
    data = bv.file_row("STARTcloud", "debian12", "2025.10.1")["data"]
    assert out["verified"] and out["checksum_type"] == "sha256" and out["sha256"] == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "a.box").read_bytes() == data and out["size"] == len(data)
    assert seen[-1] == (len(data), len(data)) and len(seen) > 10
    assert not (tmp_path / "a.box.part").exists()


@pytest.mark.parametrize("box,algorithm", [("md5box", "md5"), ("sha512box", "sha512")])
def test_other_algorithms(bv, tmp_path, box, algorithm):
    out = fetch(bv, "STARTcloud", box, "1.0.0", tmp_path / "b.box")
    data = bv.file_row("STARTcloud", box, "1.0.0")["data"]
    assert out["checksum_type"] == algorithm and out["checksum"] == hashlib.new(algorithm, data).hexdigest()
    assert out["sha256"] == hashlib.sha256(data).hexdigest()


def test_names_as_boxvault_spells_them():
    assert [hashlib_name(n) for n in ("MD5", "SHA1", "sha-256", "SHA384", "sha512")] == \
        ["md5", "sha1", "sha256", "sha384", "sha512"]
    assert hashlib_name("NULL") is None
    with pytest.raises(ChecksumError):
        hashlib_name("CRC32")


def test_resume_after_a_cut(bv, tmp_path):
    data = bv.file_row("STARTcloud", "debian12", "2025.8.22")["data"]
    bv.drop_after_bytes = 100_000
    bv.clear_log()
    out = fetch(bv, "STARTcloud", "debian12", "2025.8.22", tmp_path / "c.box")
    assert out["resumes"] == 1 and out["restarts"] == 0
    assert (tmp_path / "c.box").read_bytes() == data
    first, second = bv.downloads()
    assert first.get("dropped_after") == 100_000 and first["status"] == 200
    assert second["status"] == 206


def test_resume_restarts_when_the_file_changed(bv, tmp_path, monkeypatch):
    """If-Range no longer matches: the server sends the whole (new) file, the hashes start over."""
    client = BoxVaultClient(bv.url)
    facts = client.resolve("STARTcloud", "debian12", "2025.8.22")
    old = bv.file_row("STARTcloud", "debian12", "2025.8.22")["data"]
    new = old[::-1]
    bv.drop_after_bytes = 50_000
    real_stream = client.stream

    def stream(path, headers=None):
        if headers and headers.get("Range"):     # the re-upload lands between the cut and the resume
            bv.set_file_data("STARTcloud", "debian12", "2025.8.22", new)
        return real_stream(path, headers)
    monkeypatch.setattr(client, "stream", stream)
    out = download(client, client.download_path("STARTcloud", "debian12", "2025.8.22", "zone", "amd64"),
                   str(tmp_path / "d.box"), expected_checksum=hashlib.sha256(new).hexdigest(),
                   checksum_type="SHA256", expected_size=facts["size"], chunk_size=8192)
    assert out["restarts"] == 1 and (tmp_path / "d.box").read_bytes() == new
    assert bv.downloads()[-1]["status"] == 200


def test_checksum_mismatch_is_refused_and_nothing_kept(bv, tmp_path):
    with pytest.raises(ChecksumError) as info:
        fetch(bv, "STARTcloud", "debian12", "2025.9.30", tmp_path / "e.box", expected_checksum="0" * 64)
    assert "checksum mismatch" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_size_must_match_file_size(bv, tmp_path):
    with pytest.raises(ChecksumError) as info:
        fetch(bv, "STARTcloud", "debian12", "2025.9.30", tmp_path / "f.box", expected_size=5)
    assert "fileSize" in str(info.value)
    row = bv.file_row("STARTcloud", "debian12", "2025.9.30")
    with pytest.raises(ChecksumError) as info:
        fetch(bv, "STARTcloud", "debian12", "2025.9.30", tmp_path / "f.box", expected_size=row["fileSize"] + 10)
    assert "fileSize" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_missing_checksum_policy(bv, tmp_path):
    bv.clear_log()
    with pytest.raises(ChecksumError) as info:
        fetch(bv, "STARTcloud", "nosum", "1.0.0", tmp_path / "g.box")
    assert "no checksum" in str(info.value) and "checksum_policy: warn" in str(info.value)
    assert bv.downloads() == [], "refused before downloading"
    warnings = []
    out = fetch(bv, "STARTcloud", "nosum", "1.0.0", tmp_path / "g.box", checksum_policy="warn", warn=warnings.append)
    assert out["verified"] is False and out["sha256"] and warnings and "no checksum" in warnings[0]


def test_without_checksum_a_cut_restarts_instead_of_resuming(bv, tmp_path):
    data = bv.file_row("STARTcloud", "nosum", "1.0.0")["data"]
    bv.drop_after_bytes = 20_000
    out = fetch(bv, "STARTcloud", "nosum", "1.0.0", tmp_path / "h.box", checksum_policy="warn")
    assert out["restarts"] == 1 and (tmp_path / "h.box").read_bytes() == data
    assert [e["status"] for e in bv.downloads()] == [200, 200]


def test_gives_up_after_max_resumes(bv, tmp_path, monkeypatch):
    client = BoxVaultClient(bv.url)
    real_stream = client.stream

    def stream(path, headers=None):
        bv.drop_after_bytes = 10          # every attempt is cut
        return real_stream(path, headers)
    monkeypatch.setattr(client, "stream", stream)
    with pytest.raises(TransportError) as info:
        fetch(bv, "STARTcloud", "debian12", "2025.9.30", tmp_path / "i.box", client=client, max_resumes=2)
    assert "broke 3 times" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_private_download_with_service_account(bv, tmp_path):
    anonymous = BoxVaultClient(bv.url)
    with pytest.raises(RegistryAuthError) as info:
        download(anonymous, anonymous.download_path("acme", "secret", "1.0.0", "zone", "amd64"),
                 str(tmp_path / "j.box"), checksum_policy="warn")
    assert "No download token provided" in str(info.value)
    out = fetch(bv, "acme", "secret", "1.0.0", tmp_path / "j.box", client=BoxVaultClient(bv.url, token=bv.sa_token))
    assert out["verified"]
    assert os.listdir(tmp_path) == ["j.box"]
