# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Download a box from BoxVault, verified while it streams.

- The body is read in chunks and written to ``<dest>.part`` (download()) or handed
  to a sink (fetch(), which streams it into the unpacker without a file); the registry's
  checksum (md5, sha1, sha256, sha384 or sha512, named MD5 ... SHA512 as BoxVault
  names them) and a sha256 (what the agent stores) are computed on the fly, so
  a box is read once.
- An interrupted transfer resumes with ``Range: bytes=N-`` and ``If-Range`` (the
  ETag, else Last-Modified): a 206 continues the same hashes, a 200 (the file
  changed, or the server ignores ranges) starts again from zero. Without a
  validator and without a registry checksum it restarts instead of resuming:
  nothing would catch two halves of different files.
- The size must equal the registry's fileSize (and Content-Length).
- A registry that publishes no checksum is refused unless checksum_policy is
  ``warn``; a mismatch is always refused. A refused download leaves nothing behind.
- The file only gets its final name once verified.
"""

from __future__ import annotations

import hashlib
import os
import re

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.client import (
    normalize_checksum, normalize_checksum_type)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import ChecksumError
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, TransportError

try:
    from requests import exceptions as rex
    from urllib3.exceptions import ProtocolError, ReadTimeoutError
    INTERRUPTIONS = (rex.ChunkedEncodingError, rex.ConnectionError, rex.Timeout, ProtocolError, ReadTimeoutError)
except ImportError:  # pragma: no cover - the client reports the missing library
    INTERRUPTIONS = (OSError,)

HASHLIB_NAMES = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}
POLICIES = ("strict", "warn")
CHUNK_SIZE = 1 << 20
_CONTENT_RANGE_RE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")


def hashlib_name(checksum_type):
    """'SHA256' / 'sha-256' -> 'sha256'; refuses a type BoxVault does not know."""
    norm = normalize_checksum_type(checksum_type)
    if norm is None:
        return None
    if norm not in HASHLIB_NAMES:
        raise ChecksumError("unsupported checksum type %r (BoxVault knows MD5, SHA1, SHA256, SHA384, SHA512)"
                            % (checksum_type,))
    return HASHLIB_NAMES[norm]


class _Hashes:
    def __init__(self, names):
        self.names = sorted(set(n for n in names if n))
        self.reset()

    def reset(self):
        self.objects = {name: hashlib.new(name) for name in self.names}

    def update(self, data):
        for obj in self.objects.values():
            obj.update(data)

    def hexdigest(self, name):
        return self.objects[name].hexdigest()


def check_policy(expected_checksum, checksum_type, policy, what, warn=None):
    """Refuse (strict) or warn about (warn) a registry entry without a usable checksum.

    Returns the hashlib name to verify with, or None when unverifiable."""
    if policy not in POLICIES:
        raise InputError("checksum_policy must be one of %s, got %r" % (", ".join(POLICIES), policy))
    checksum = normalize_checksum(expected_checksum)
    name = hashlib_name(checksum_type) if checksum else None
    if name is None:
        text = "the registry publishes no checksum for %s, so its integrity cannot be verified" % what
        if policy == "strict":
            raise ChecksumError(text + "; refusing it", hint="set checksum_policy: warn to accept unverifiable boxes")
        if warn is not None:
            warn(text)
    return name


class _FileSink:
    """Where download() puts the bytes: <dest>.part."""

    def __init__(self, part):
        self.out = open(part, "wb")

    def write(self, chunk):
        self.out.write(chunk)

    def restart(self):
        self.out.seek(0)
        self.out.truncate()

    def flush(self):
        self.out.flush()     # a reader following the file sees every byte reported

    def close(self):
        self.out.close()


def download(client, path, dest, expected_checksum=None, checksum_type=None, expected_size=None,
             checksum_policy="strict", progress=None, chunk_size=CHUNK_SIZE, max_resumes=5, warn=None,
             what=None):
    """Download `path` (e.g. client.download_path(...)) to `dest`, verified.

    progress(received_bytes, total_bytes_or_None) is called after every chunk.
    Returns {path, size, checksum, checksum_type, sha256, verified, resumes, restarts}.
    """
    what = what or path.split("?")[0]
    verify_with = check_policy(expected_checksum, checksum_type, checksum_policy, what, warn)
    part = dest + ".part"
    try:
        sink = _FileSink(part)
        try:
            result = transfer(client, path, sink, expected_checksum, verify_with, expected_size, progress,
                              chunk_size, max_resumes, what)
        finally:
            sink.close()
        os.replace(part, dest)
    except BaseException:
        _remove(part)
        raise
    result["path"] = dest
    return result


def fetch(client, path, sink, expected_checksum=None, checksum_type=None, expected_size=None,
          checksum_policy="strict", progress=None, chunk_size=CHUNK_SIZE, max_resumes=5, warn=None, what=None):
    """Like download(), into `sink` instead of a file: sink.write(chunk) gets the body in order,
    sink.restart() says the transfer starts again from byte 0 (what it got belongs to another
    attempt), sink.flush() comes before each progress call. Returns download()'s result without
    'path'; raises before returning when the size or checksum is wrong."""
    what = what or path.split("?")[0]
    verify_with = check_policy(expected_checksum, checksum_type, checksum_policy, what, warn)
    return transfer(client, path, sink, expected_checksum, verify_with, expected_size, progress, chunk_size,
                    max_resumes, what)


def transfer(client, path, sink, expected_checksum, verify_with, expected_size, progress, chunk_size, max_resumes,
             what):
    """The verified, resumable transfer behind download() and fetch()."""
    expected = normalize_checksum(expected_checksum) if verify_with else None
    if expected_size is not None:
        expected_size = int(expected_size)
    hashes = _Hashes([verify_with, "sha256"])
    received = 0
    resumes = restarts = 0
    validator = None
    total = expected_size
    while True:
        headers = {}
        if received:
            headers["Range"] = "bytes=%d-" % received
            headers["If-Range"] = validator
        response = client.stream(path, headers=headers)
        try:
            status = response.status_code
            if received and status == 206:
                _start, total = _content_range(response, received)
            else:
                if received:      # the server sent the whole file again: start over
                    restarts += 1
                sink.restart()
                hashes.reset()
                received = 0
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else expected_size
            validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
            for chunk in response.iter_content(chunk_size):
                if not chunk:
                    continue
                hashes.update(chunk)
                sink.write(chunk)
                received += len(chunk)
                if expected_size is not None and received > expected_size:
                    raise ChecksumError("%s is larger than the registry's fileSize %d (more than %d bytes "
                                        "arrived)" % (what, expected_size, received))
                if progress is not None:
                    sink.flush()
                    progress(received, total)
        except INTERRUPTIONS as exc:
            response.close()
            resumes += 1
            if resumes > max_resumes:
                raise TransportError("the download of %s broke %d times; giving up at %d bytes: %s"
                                     % (what, resumes, received, str(exc)[:200]),
                                     hint="check the network path to the registry and run again")
            if received and (not validator or not expected):
                # nothing would prove the two halves belong to one file: start over
                restarts += 1
                received = 0
            continue
        except BaseException:
            response.close()
            raise
        response.close()
        if total is not None and received < total:
            resumes += 1        # a clean end before Content-Length: resume like a break
            if resumes > max_resumes:
                raise TransportError("the download of %s ended early %d times" % (what, resumes))
            if not validator or not expected:
                restarts += 1
                received = 0
            continue
        break
    if expected_size is not None and received != expected_size:
        raise ChecksumError("%s has %d bytes, the registry's fileSize is %d" % (what, received, expected_size),
                            hint="the registry's file may be damaged or was replaced; try again later")
    if total is not None and received != total:
        raise ChecksumError("%s has %d bytes, the server announced %d" % (what, received, total))
    actual = hashes.hexdigest(verify_with) if verify_with else None
    if verify_with and actual != expected:
        raise ChecksumError("checksum mismatch for %s: the registry says %s %s, the download has %s"
                            % (what, verify_with, expected, actual),
                            hint="the box was damaged in transit or on the registry; nothing was kept")
    return {"size": received, "checksum": actual, "checksum_type": verify_with, "sha256": hashes.hexdigest("sha256"),
            "verified": bool(verify_with), "resumes": resumes, "restarts": restarts}


def _content_range(response, received):
    match = _CONTENT_RANGE_RE.match(response.headers.get("Content-Range") or "")
    if not match or int(match.group(1)) != received:
        response.close()
        raise TransportError("the registry answered a resume at byte %d with Content-Range %r"
                             % (received, response.headers.get("Content-Range")))
    total = match.group(3)
    return int(match.group(1)), (int(total) if total != "*" else None)


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass
