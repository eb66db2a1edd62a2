"""BackgroundDownload: reading a download while it arrives, and the fast gunzip under the box reader."""

import gzip
import hashlib
import io
import os

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.boxfile import _Gunzip, stream_zss
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.client import BoxVaultClient
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import (
    ChecksumError, UnsafeBoxError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.follow import (
    BackgroundDownload, DownloadRestarted)
from zoneweaver_sim.boxvault import build_malicious_box


def background(bv, tmp_path, box="debian12", version="2025.8.22", **kw):
    client = BoxVaultClient(bv.url)
    facts = client.resolve("STARTcloud", box, version)
    kw.setdefault("expected_checksum", facts["checksum"])
    kw.setdefault("checksum_type", facts["checksum_type"])
    return BackgroundDownload(client, client.download_path("STARTcloud", box, version, "zone", "amd64"),
                              str(tmp_path / "box.box"), expected_size=facts["size"], chunk_size=8192, **kw)


def test_reader_delivers_the_whole_file_while_it_arrives(bv, tmp_path):
    data = bv.file_row("STARTcloud", "debian12", "2025.8.22")["data"]
    seen = []
    job = background(bv, tmp_path, progress=lambda r, t: seen.append(r)).start()
    reader = job.reader()
    assert reader.read(2) == b"\x1f\x8b"
    reader.seek(0)
    got = reader.read()
    reader.close()
    result = job.finish()
    assert got == data and result["verified"] and seen[-1] == len(data)
    assert os.listdir(tmp_path) == ["box.box"]


def test_stream_zss_follows_a_download_and_survives_a_cut(bv, tmp_path):
    data = bv.file_row("STARTcloud", "debian12", "2025.8.22")["data"]
    bv.drop_after_bytes = 50_000
    job = background(bv, tmp_path).start()
    digest = hashlib.sha256()
    manifest = stream_zss(job.reader(), digest.update)
    result = job.finish()
    assert result["resumes"] == 1 and manifest["zss_size"] > 0
    with_file = hashlib.sha256()
    (tmp_path / "ref.box").write_bytes(data)
    stream_zss(str(tmp_path / "ref.box"), with_file.update)
    assert digest.hexdigest() == with_file.hexdigest()


def test_a_checksum_mismatch_reaches_the_consumer(bv, tmp_path):
    job = background(bv, tmp_path, expected_checksum="0" * 64).start()
    reader = job.reader()
    with pytest.raises(ChecksumError):
        reader.read()           # the whole body arrives, then the verdict
        job.finish()
    assert not (tmp_path / "box.box").exists() and not (tmp_path / "box.box.part").exists()


def test_cancel_stops_the_transfer_and_removes_the_part(bv, tmp_path):
    job = background(bv, tmp_path).start()
    job.reader().read(10)
    job.cancel()
    assert not (tmp_path / "box.box.part").exists()


def test_a_restart_is_reported_to_the_reader(bv, tmp_path):
    """A 200 where a 206 was asked for means another file: the reader must not go on."""
    row = bv.file_row("STARTcloud", "debian12", "2025.8.22")
    bv.drop_after_bytes = 50_000
    job = background(bv, tmp_path)
    original = job._args[0].stream

    def stream(path, headers=None):
        # ignore Range as a server without range support would: the whole file again
        return original(path, headers={k: v for k, v in (headers or {}).items() if k != "Range"})

    job._args[0].stream = stream
    job.start()
    reader = job.reader()
    with pytest.raises(DownloadRestarted):
        while reader.read(4096):
            pass
    assert job.finish()["restarts"] == 1
    assert (tmp_path / "box.box").read_bytes() == row["data"]


def test_gunzip_members_truncation_and_padding():
    one, two = gzip.compress(b"a" * 100_000), gzip.compress(b"b" * 10)
    assert io.BufferedReader(_Gunzip(io.BytesIO(one + two))).read() == b"a" * 100_000 + b"b" * 10
    assert io.BufferedReader(_Gunzip(io.BytesIO(one + b"\0" * 512))).read() == b"a" * 100_000
    with pytest.raises(EOFError):
        io.BufferedReader(_Gunzip(io.BytesIO(one[:-20]))).read()


def test_truncated_box_is_refused_as_truncated(tmp_path):
    path = tmp_path / "t.box"
    path.write_bytes(build_malicious_box("truncated"))
    with pytest.raises(UnsafeBoxError) as info:
        stream_zss(str(path), lambda chunk: None)
    assert "truncated" in str(info.value)
