"""StreamingDownload and the box reader it feeds: no file on disk, the verdict before the last byte."""

import gzip
import hashlib
import io
import tarfile

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.boxfile import scan_box, stream_zss
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.client import BoxVaultClient
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import (
    ChecksumError, UnsafeBoxError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.follow import (
    DownloadRestarted, StreamingDownload)
from zoneweaver_sim.boxvault import build_box

ZSS = bytes(range(256)) * 5000


def streaming(bv, box="debian12", version="2025.8.22", **kw):
    client = BoxVaultClient(bv.url)
    facts = client.resolve("STARTcloud", box, version)
    kw.setdefault("expected_checksum", facts["checksum"])
    kw.setdefault("checksum_type", facts["checksum_type"])
    return StreamingDownload(client, client.download_path("STARTcloud", box, version, "zone", "amd64"),
                             expected_size=facts["size"], chunk_size=8192, **kw)


def zss_of(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return tar.extractfile("box.zss").read()


def test_pieces_deliver_the_verified_box_without_a_file(bv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    row = bv.file_row("STARTcloud", "debian12", "2025.8.22")
    job = streaming(bv).start()
    assert b"".join(job.pieces()) == row["data"]
    result = job.finish()
    assert result["verified"] is True and result["sha256"] == hashlib.sha256(row["data"]).hexdigest()
    assert list(tmp_path.iterdir()) == []


def test_the_last_piece_of_box_zss_waits_for_the_checksum(bv):
    """A bad download raises before the receiver has seen all of box.zss."""
    row = bv.file_row("STARTcloud", "debian12", "2025.8.22")
    zss = zss_of(row["data"])
    job = streaming(bv, expected_checksum="0" * 64).start()
    sink = io.BytesIO()
    with pytest.raises(ChecksumError):
        stream_zss(None, sink, pieces=job.pieces(), what="box test")
    assert 0 < len(sink.getvalue()) < len(zss), "the end of box.zss reached the receiver before the verdict"
    job.cancel()


def test_a_resume_continues_the_same_stream(bv):
    row = bv.file_row("STARTcloud", "debian12", "2025.8.22")
    bv.drop_after_bytes = 50_000
    job = streaming(bv).start()
    sink = io.BytesIO()
    manifest = stream_zss(None, sink, pieces=job.pieces(), what="box test")
    assert sink.getvalue() == zss_of(row["data"]) and manifest["zss_size"] == len(sink.getvalue())
    assert job.finish()["resumes"] == 1 and job.finish()["restarts"] == 0


def test_a_restart_is_reported_and_the_next_pieces_start_over(bv):
    row = bv.file_row("STARTcloud", "debian12", "2025.8.22")
    bv.drop_after_bytes = 50_000
    job = streaming(bv)
    original = job._args[0].stream

    def stream(path, headers=None):
        # ignore Range as a server without range support would: the whole file again
        return original(path, headers={k: v for k, v in (headers or {}).items() if k != "Range"})

    job._args[0].stream = stream
    job.start()
    with pytest.raises(DownloadRestarted):
        for _piece in job.pieces():
            pass
    assert b"".join(job.pieces()) == row["data"]
    assert job.finish()["restarts"] == 1


def test_cancel_stops_a_transfer_the_consumer_gave_up():
    class Endless:
        url = "http://registry.invalid"

        def stream(self, path, headers=None):
            class Response:
                status_code = 200
                headers = {}

                def iter_content(self, size):
                    while True:
                        yield b"x" * size

                def close(self):
                    pass
            return Response()

    job = StreamingDownload(Endless(), "/box", checksum_policy="warn").start()
    next(job.pieces())
    job.cancel()
    assert not job._thread.is_alive()


def _tar_gz(members, fmt=tarfile.PAX_FORMAT, pax_headers=None):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt, pax_headers=pax_headers or {}) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def test_pax_and_gnu_long_names_are_read(tmp_path):
    long_name = "docs/" + "d" * 150 + "/README"
    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        box = tmp_path / "b.box"
        box.write_bytes(_tar_gz([("box.zss", ZSS), (long_name, b"hello"), ("metadata.json", b'{"brand": "x"}')],
                                fmt=fmt, pax_headers={"comment": "made by hand"}))
        sink = io.BytesIO()
        manifest = stream_zss(str(box), sink)
        assert sink.getvalue() == ZSS and long_name in manifest["members"], fmt
        assert manifest["metadata"] == {"brand": "x"}


def test_a_pax_path_cannot_smuggle_a_bad_name(tmp_path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("box.zss")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
        info = tarfile.TarInfo("harmless")
        info.pax_headers = {"path": "../../escape"}
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    box = tmp_path / "p.box"
    box.write_bytes(gzip.compress(raw.getvalue()))
    with pytest.raises(UnsafeBoxError, match="'..'"):
        scan_box(str(box))


def test_sparse_members_and_damaged_headers_are_refused(tmp_path):
    good = io.BytesIO()
    with tarfile.open(fileobj=good, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("box.zss")
        info.size = 3
        info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0"}
        tar.addfile(info, io.BytesIO(b"abc"))
    box = tmp_path / "s.box"
    box.write_bytes(gzip.compress(good.getvalue()))
    with pytest.raises(UnsafeBoxError, match="sparse"):
        scan_box(str(box))
    raw = bytearray(gzip.decompress(build_box(zss=ZSS)))
    raw[148:156] = b"0000000\0"        # a wrong header checksum
    box.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(UnsafeBoxError, match="not a valid tar archive"):
        scan_box(str(box))


def test_magic_split_over_pieces_and_concatenated_members():
    data = build_box(zss=ZSS)
    pieces = [data[:1], data[1:7], data[7:]]
    sink = io.BytesIO()
    stream_zss(None, sink, pieces=iter(pieces), what="box split")
    assert sink.getvalue() == ZSS
    whole = gzip.decompress(data)
    twice = gzip.compress(whole[:10_000]) + gzip.compress(whole[10_000:]) + b"\0" * 100
    sink = io.BytesIO()
    stream_zss(None, sink, pieces=[twice], what="box members")
    assert sink.getvalue() == ZSS
