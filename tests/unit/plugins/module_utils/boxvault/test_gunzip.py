"""The fast gunzip under the box reader, and a truncated box."""

import gzip
import io

import pytest

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.boxfile import _Gunzip, stream_zss
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import UnsafeBoxError
from zoneweaver_sim.boxvault import build_malicious_box


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
