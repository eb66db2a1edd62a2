"""Safe .box reading: every malicious box refused with a clear message and nothing left on disk."""

import hashlib
import io
import os

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.boxfile import (
    extract_box, scan_box, stream_zss)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import UnsafeBoxError
from zoneweaver_sim.boxvault import MALICIOUS_KINDS, build_box, build_malicious_box

ZSS = bytes(range(256)) * 200


def write(tmp_path, data, name="test.box"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_extract_writes_the_four_files(tmp_path):
    box = write(tmp_path, build_box(zss=ZSS, brand="lipkg"))
    dest = tmp_path / "out"
    dest.mkdir()
    manifest = extract_box(box, str(dest))
    assert sorted(os.listdir(dest)) == ["Vagrantfile", "box.zss", "info.json", "metadata.json"]
    assert (dest / "box.zss").read_bytes() == ZSS
    assert manifest["metadata"]["brand"] == "lipkg" and manifest["info"]["Author"] == "Zoneweaver"
    assert 'zone.brand = "lipkg"' in manifest["vagrantfile"] and manifest["zss_size"] == len(ZSS)
    assert oct((dest / "box.zss").stat().st_mode & 0o777) == "0o600"


def test_other_members_are_checked_but_not_written(tmp_path):
    box = write(tmp_path, build_box(zss=ZSS, extra=[{"name": "docs", "kind": "dir"},
                                                    {"name": "docs/README", "data": b"hello"},
                                                    {"name": "docs/link", "kind": "symlink", "linkname": "README"}]))
    dest = tmp_path / "out"
    dest.mkdir()
    manifest = extract_box(box, str(dest))
    assert sorted(os.listdir(dest)) == ["Vagrantfile", "box.zss", "info.json", "metadata.json"]
    assert "docs/README" in manifest["members"]


def test_stream_zss_into_a_pipe_like_object(tmp_path):
    box = write(tmp_path, build_box(zss=ZSS * 20))
    sink = io.BytesIO()
    manifest = stream_zss(box, sink)
    assert sink.getvalue() == ZSS * 20 and manifest["zss_size"] == len(ZSS) * 20
    digest = hashlib.sha256()
    stream_zss(box, digest.update)          # a callable works too (e.g. a process's stdin.write)
    assert digest.hexdigest() == hashlib.sha256(ZSS * 20).hexdigest()
    assert os.listdir(tmp_path) == ["test.box"], "no second copy on disk"


EXPECTED = {
    "absolute": "absolute path",
    "dotdot": "'..'",
    "symlink": "symlink 'passwd' pointing outside",
    "symlink_relative": "pointing outside",
    "hardlink": "hard link 'shadow' pointing outside",
    "device": "device file",
    "fifo": "FIFO",
    "duplicate": "twice",
    "bomb": "more than",
    "zss_symlink": "must be a regular file",
    "no_zss": "no box.zss",
    "not_gzip": "not gzip-compressed",
    "truncated": "truncated",
}


@pytest.mark.parametrize("kind", MALICIOUS_KINDS)
def test_malicious_boxes_are_refused_and_nothing_is_left(tmp_path, kind):
    assert set(EXPECTED) == set(MALICIOUS_KINDS)
    box = write(tmp_path, build_malicious_box(kind, bomb_size=4 << 20))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(UnsafeBoxError) as info:
        extract_box(box, str(dest), max_size=1 << 20)
    assert EXPECTED[kind] in str(info.value), str(info.value)
    assert os.listdir(dest) == [], "a refused box left files behind"
    assert sorted(os.listdir(tmp_path)) == ["out", "test.box"]
    with pytest.raises(UnsafeBoxError):
        scan_box(box, max_size=1 << 20)
    with pytest.raises(UnsafeBoxError) as info:
        stream_zss(box, io.BytesIO(), max_size=1 << 20)
    assert "streamed" in info.value.details


def test_stream_reports_whether_zss_was_already_streamed(tmp_path):
    box = write(tmp_path, build_malicious_box("dotdot"))
    with pytest.raises(UnsafeBoxError) as info:
        stream_zss(box, io.BytesIO())
    assert info.value.details["streamed"] is True, "the receiver must be rolled back"
    box = write(tmp_path, build_malicious_box("not_gzip"), "b.box")
    with pytest.raises(UnsafeBoxError) as info:
        stream_zss(box, io.BytesIO())
    assert info.value.details["streamed"] is False


def test_size_limit_counts_the_unpacked_total(tmp_path):
    box = write(tmp_path, build_box(zss=bytes(600_000)))
    scan_box(box, max_size=700_000)
    with pytest.raises(UnsafeBoxError) as info:
        scan_box(box, max_size=500_000)
    assert "max_size" in str(info.value)


def test_truncated_and_garbage_archives(tmp_path):
    data = build_box(zss=os.urandom(200_000))
    box = write(tmp_path, data[: len(data) // 2])
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(UnsafeBoxError) as info:
        extract_box(box, str(dest))
    assert "gzip" in str(info.value) or "truncated" in str(info.value) or "tar" in str(info.value)
    assert os.listdir(dest) == []
    box = write(tmp_path, b"\x1f\x8b" + os.urandom(1000), "junk.box")
    with pytest.raises(UnsafeBoxError):
        scan_box(box)


def test_oversized_metadata_is_refused(tmp_path):
    box = write(tmp_path, build_box(zss=ZSS, vagrantfile="#" * (2 << 20)))
    with pytest.raises(UnsafeBoxError) as info:
        scan_box(box)
    assert "Vagrantfile" in str(info.value)


def test_broken_metadata_json_is_a_warning(tmp_path):
    box = write(tmp_path, build_box(zss=ZSS, extra=()))
    manifest = scan_box(box)
    assert manifest["warnings"] == []
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("box.zss", ZSS), ("metadata.json", b"{not json")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    manifest = scan_box(write(tmp_path, buf.getvalue(), "c.box"))
    assert manifest["metadata"] is None and "metadata.json is not valid JSON" in manifest["warnings"][0]


def test_existing_target_is_not_overwritten(tmp_path):
    box = write(tmp_path, build_box(zss=ZSS))
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "metadata.json").write_text("mine")
    with pytest.raises(FileExistsError):
        extract_box(box, str(dest))
    assert sorted(os.listdir(dest)) == ["metadata.json"] and (dest / "metadata.json").read_text() == "mine"
