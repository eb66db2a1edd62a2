# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safe reading of a .box file (hyperweaver-boxvault.md 3.3).

A box is a gzip-compressed tar with, at the top level, ``box.zss`` (a
``zfs send`` stream), ``metadata.json``, ``info.json`` and a ``Vagrantfile``. The
agent unpacks it with a plain ``tar xzf`` and checks nothing; here every member
is checked while the archive streams, and the archive is refused when any
member has:

- an absolute name, a drive letter, or a ``..`` component;
- a symbolic or hard link pointing outside the archive's tree;
- a device, FIFO or other special type;
- the same name as an earlier member (one could replace the other);
- a size that takes the unpacked total above ``max_size`` (also enforced on the
  decompressed byte stream itself, so a gzip bomb stops at the limit).

Only the four known files are ever written (with our own modes, never the
archive's); a link or directory under one of those names is refused. The small
files are limited to SMALL_FILE_LIMIT each. A refused archive leaves nothing on
disk. ``stream_zss`` copies box.zss into a file object or pipe (for ``zfs recv``)
as it decompresses, without a copy on disk; members after box.zss are still
checked, so a caller feeding ``zfs recv`` must roll back (destroy the dataset) when
it raises.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import tarfile
import zlib

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import UnsafeBoxError

ZSS = "box.zss"
SMALL_FILES = ("metadata.json", "info.json", "Vagrantfile")
EXTRACTED = (ZSS,) + SMALL_FILES
DEFAULT_MAX_SIZE = 256 << 30
SMALL_FILE_LIMIT = 1 << 20
CHUNK_SIZE = 1 << 20
_HEADER_ALLOWANCE = 1 << 20       # tar headers and padding on top of the members' sizes
_ALLOWED_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE,
                  tarfile.CONTTYPE)


def _human(size):
    for unit in ("", "K", "M", "G", "T"):
        if size < 1024 or unit == "T":
            return "%d%s" % (size, unit) if unit == "" else "%.1f%s" % (size, unit)
        size /= 1024.0
    return str(size)


class _Gunzip(io.RawIOBase):
    """gzip decompression straight on zlib (about twice as fast as gzip.GzipFile on
    large members): zlib checks each member's CRC and length itself; concatenated
    members are read one after the other; output per call is bounded by the
    caller's buffer, so a bomb never inflates in memory. The end of the input
    before the end of a member raises EOFError (a truncated box)."""

    def __init__(self, raw):
        super().__init__()
        self.raw = raw
        self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.pending = b""
        self.finished = False

    def readable(self):
        return True

    def readinto(self, buffer):
        want = len(buffer)
        if not want:
            return 0       # zlib reads max_length 0 as "no limit"
        while not self.finished:
            if self.inflater.eof:
                rest = self.inflater.unused_data + self.pending
                self.pending = b""
                if not rest:
                    rest = self.raw.read(CHUNK_SIZE)
                if not rest.strip(b"\x00"):
                    self.finished = True   # the end (zero padding after the last member is tolerated)
                    break
                self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self.pending = rest
            data = self.inflater.unconsumed_tail or self.pending
            self.pending = b""
            if not data:
                data = self.raw.read(CHUNK_SIZE)
                if not data:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
            out = self.inflater.decompress(data, want)
            if out:
                buffer[:len(out)] = out
                return len(out)
        return 0


class _LimitedReader(io.RawIOBase):
    """The decompressed stream, counted; reading past `limit` refuses the box."""

    def __init__(self, raw, limit, what):
        super().__init__()
        self.raw = raw
        self.limit = limit
        self.what = what
        self.count = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        try:
            count = self.raw.readinto(buffer)
        except EOFError as exc:
            raise UnsafeBoxError("%s is truncated: the compressed data ends early (%s)" % (self.what, exc),
                                 hint="the registry holds an incomplete upload; ask its publisher to upload it again")
        except (OSError, zlib.error) as exc:
            raise UnsafeBoxError("%s is not a valid gzip-compressed tar: %s" % (self.what, exc))
        self.count += count or 0
        if self.count > self.limit:
            raise UnsafeBoxError("%s unpacks to more than %s (max_size); refusing a possible gzip bomb"
                                 % (self.what, _human(self.limit - _HEADER_ALLOWANCE)))
        return count


def _safe_name(info, what):
    name = info.name
    if "\x00" in name or not name:
        raise UnsafeBoxError("%s has a member with an empty or NUL-containing name" % what)
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeBoxError("%s has a member with an absolute path: %r" % (what, name))
    if "\\" in name:
        raise UnsafeBoxError("%s has a member with a backslash in its name: %r" % (what, name))
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeBoxError("%s has a member that climbs out with '..': %r" % (what, name))
    return "/".join(parts)


def _check_link(info, norm, what):
    target = info.linkname or ""
    if not target or target.startswith("/") or "\x00" in target:
        raise UnsafeBoxError("%s has a %s %r pointing outside the archive: %r"
                             % (what, "symlink" if info.issym() else "hard link", info.name, target))
    base = posixpath.dirname(norm) if info.issym() else ""
    resolved = posixpath.normpath(posixpath.join(base, target))
    if resolved == ".." or resolved.startswith("../") or resolved.startswith("/"):
        raise UnsafeBoxError("%s has a %s %r pointing outside the archive: %r"
                             % (what, "symlink" if info.issym() else "hard link", info.name, target))


class _Members:
    """Iterate a box's members, checking each as it comes."""

    def __init__(self, path, max_size):
        # a path, or a readable binary file object that can seek back to 0 (read as it comes)
        self.path = path
        self.what = "box %s" % os.path.basename(path if isinstance(path, str) else getattr(path, "name", "stream"))
        self.max_size = int(max_size)
        self.total = 0
        self.seen = set()
        self._raw = None
        self.tar = None

    def __enter__(self):
        self._raw = open(self.path, "rb") if isinstance(self.path, str) else self.path
        magic = self._raw.read(2)
        self._raw.seek(0)
        if magic != b"\x1f\x8b":
            self._raw.close()
            raise UnsafeBoxError("%s is not gzip-compressed (a .box is a tar.gz)" % self.what)
        limited = _LimitedReader(_Gunzip(self._raw), self.max_size + _HEADER_ALLOWANCE,
                                 self.what)
        try:
            self.tar = tarfile.open(fileobj=io.BufferedReader(limited, CHUNK_SIZE), mode="r|")
        except tarfile.TarError as exc:
            self._raw.close()
            raise UnsafeBoxError("%s is not a valid tar archive: %s" % (self.what, exc))
        return self

    def __exit__(self, *exc):
        try:
            self.tar.close()
        except Exception:   # closing a half-read stream may complain; the answer is already decided
            pass
        self._raw.close()

    def __iter__(self):
        while True:
            try:
                info = self.tar.next()
            except tarfile.TarError as exc:
                raise UnsafeBoxError("%s is not a valid tar archive: %s" % (self.what, exc))
            if info is None:
                return
            yield self.check(info), info

    def check(self, info):
        norm = _safe_name(info, self.what)
        if info.type not in _ALLOWED_TYPES:
            kind = "device file" if (info.ischr() or info.isblk()) else "FIFO" if info.isfifo() else \
                "member of type %r" % info.type
            raise UnsafeBoxError("%s has a %s: %r" % (self.what, kind, info.name))
        if info.issym() or info.islnk():
            _check_link(info, norm, self.what)
        key = norm.rstrip("/")
        if key in self.seen:
            raise UnsafeBoxError("%s has the member %r twice; one copy could replace the other" % (self.what, key))
        self.seen.add(key)
        if norm in EXTRACTED and not info.isfile():
            raise UnsafeBoxError("%s: %r must be a regular file, not a %s" % (
                self.what, norm, "link" if (info.issym() or info.islnk()) else "directory"))
        if info.isfile():
            self.total += info.size
            if self.total > self.max_size:
                raise UnsafeBoxError("%s unpacks to more than %s (max_size); refusing it"
                                     % (self.what, _human(self.max_size)))
            if norm in SMALL_FILES and info.size > SMALL_FILE_LIMIT:
                raise UnsafeBoxError("%s: %s is %s, more than the %s a box's %s may have"
                                     % (self.what, norm, _human(info.size), _human(SMALL_FILE_LIMIT), norm))
        return norm

    def read_small(self, info):
        try:
            handle = self.tar.extractfile(info)
            return handle.read(SMALL_FILE_LIMIT + 1) if handle is not None else b""
        except (tarfile.TarError, EOFError) as exc:
            raise UnsafeBoxError("%s is truncated or damaged in %s: %s" % (self.what, info.name, exc))

    def copy(self, info, write):
        handle = self.tar.extractfile(info)
        copied = 0
        while True:
            try:
                chunk = handle.read(CHUNK_SIZE)
            except (tarfile.TarError, EOFError) as exc:
                raise UnsafeBoxError("%s is truncated or damaged in %s: %s" % (self.what, info.name, exc))
            if not chunk:
                break
            write(chunk)
            copied += len(chunk)
        if copied != info.size:
            raise UnsafeBoxError("%s: %s is truncated (%d of %d bytes)" % (self.what, info.name, copied, info.size))
        return copied


def _manifest():
    return {"members": [], "zss_size": None, "metadata": None, "info": None, "vagrantfile": None,
            "unpacked_size": 0, "warnings": []}


def _remember_small(manifest, norm, data, what):
    if norm == "Vagrantfile":
        manifest["vagrantfile"] = data.decode("utf-8", "replace")
        return
    key = "metadata" if norm == "metadata.json" else "info"
    try:
        value = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        manifest["warnings"].append("%s: %s is not valid JSON (%s); ignored" % (what, norm, exc))
        return
    manifest[key] = value


def _walk(path, max_size, on_zss=None, on_small=None):
    with _Members(path, max_size) as members:
        manifest = _manifest()
        for norm, info in members:
            manifest["members"].append(norm)
            if norm == ZSS:
                manifest["zss_size"] = info.size
                if on_zss is not None:
                    on_zss(members, info)
            elif norm in SMALL_FILES:
                data = members.read_small(info)
                _remember_small(manifest, norm, data, members.what)
                if on_small is not None:
                    on_small(norm, data)
        manifest["unpacked_size"] = members.total
        if manifest["zss_size"] is None:
            raise UnsafeBoxError("%s has no box.zss at its top level (a zfs send stream); members: %s"
                                 % (members.what, ", ".join(manifest["members"][:10]) or "none"),
                                 hint="a zone box holds box.zss, metadata.json, info.json and a Vagrantfile")
    return manifest


def scan_box(path, max_size=DEFAULT_MAX_SIZE):
    """Check a whole box without writing anything; return its manifest
    {members, zss_size, metadata, info, vagrantfile, unpacked_size, warnings}."""
    return _walk(path, max_size)


def extract_box(path, dest_dir, max_size=DEFAULT_MAX_SIZE):
    """Write box.zss, metadata.json, info.json and Vagrantfile into dest_dir
    (an existing directory). On any refusal, removes what it wrote."""
    written = []

    def create(name):
        target = os.path.join(dest_dir, name)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        written.append(target)
        return os.fdopen(fd, "wb")

    def on_zss(members, info):
        with create(ZSS) as out:
            members.copy(info, out.write)

    def on_small(name, data):
        with create(name) as out:
            out.write(data)

    try:
        manifest = _walk(path, max_size, on_zss, on_small)
    except BaseException:
        for target in written:
            try:
                os.unlink(target)
            except OSError:
                pass
        raise
    manifest["files"] = {os.path.basename(t): t for t in written}
    return manifest


def stream_zss(path, out, max_size=DEFAULT_MAX_SIZE):
    """Copy box.zss into `out` (a binary file object, pipe, or a callable taking
    bytes) while decompressing; return the manifest. `path` may also be a
    readable binary file object (a download still arriving). Raises UnsafeBoxError for
    a refused archive, with details['streamed'] telling whether any of box.zss
    had been written (then the receiver must be rolled back)."""
    write = out if callable(out) else out.write
    state = {"streamed": False}

    def on_zss(members, info):
        state["streamed"] = True
        members.copy(info, write)

    try:
        return _walk(path, max_size, on_zss)
    except UnsafeBoxError as exc:
        exc.details["streamed"] = state["streamed"]
        raise
