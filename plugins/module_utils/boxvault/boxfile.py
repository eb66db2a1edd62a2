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

The archive is read without tarfile's stream layer: zlib's output pieces are
sliced (memoryviews, no copies) into 512-byte headers, parsed by
``tarfile.TarInfo.frombuf`` (which verifies each header's checksum), and member
data, which goes to the pipe as it is. GNU long names and pax headers (path,
linkpath, size) are applied before the checks above; sparse members are refused.
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
    """A file-object view of the decompression _inflate() does for the box reader:
    gzip decompression straight on zlib (about twice as fast as gzip.GzipFile on
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


def _padded(size):
    return (size + tarfile.BLOCKSIZE - 1) // tarfile.BLOCKSIZE * tarfile.BLOCKSIZE


def _file_pieces(source):
    """A path or a readable binary file object as 1 MiB pieces."""
    handle = open(source, "rb") if isinstance(source, str) else source
    try:
        while True:
            piece = handle.read(CHUNK_SIZE)
            if not piece:
                return
            yield piece
    finally:
        handle.close()


def _inflate(pieces, limit, what):
    """gunzip `pieces` (an iterable of bytes) on zlib directly, yielding at most CHUNK_SIZE bytes at a
    time (a bomb never inflates in memory) and refusing more than `limit` in all. zlib checks each
    member's CRC and length; concatenated members follow each other; zero padding after the last
    member is tolerated. Errors of `pieces` itself (the download's) pass through untouched."""
    inflater = None
    started = finished = False
    total = 0
    head = b""
    for data in pieces:
        if not started:
            head += data        # the magic may arrive split over pieces
            if len(head) < 2:
                continue
            if head[:2] != b"\x1f\x8b":
                raise UnsafeBoxError("%s is not gzip-compressed (a .box is a tar.gz)" % what)
            started = True
            data, head = head, b""
        while data and not finished:
            if inflater is None:
                if not data.strip(b"\x00"):
                    finished = True   # the end: zero padding after the last member
                    break
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out = inflater.decompress(data, CHUNK_SIZE)
            except zlib.error as exc:
                raise UnsafeBoxError("%s is not a valid gzip-compressed tar: %s" % (what, exc))
            data = inflater.unconsumed_tail
            if inflater.eof:
                data = inflater.unused_data
                inflater = None
            if out:
                total += len(out)
                if total > limit:
                    raise UnsafeBoxError("%s unpacks to more than %s (max_size); refusing a possible gzip bomb"
                                         % (what, _human(limit - _HEADER_ALLOWANCE)))
                yield out
    if not started:
        raise UnsafeBoxError("%s is not gzip-compressed (a .box is a tar.gz): it is empty" % what)
    if inflater is not None:
        raise UnsafeBoxError("%s is truncated: the compressed data ends early" % what,
                             hint="the registry holds an incomplete upload; ask its publisher to upload it again")


class _Stream:
    """The decompressed bytes, read in exact amounts without copying the large ones."""

    def __init__(self, pieces):
        self.pieces = iter(pieces)
        self.view = memoryview(b"")

    def take(self, size):
        """Up to `size` bytes as memoryviews of the decompressor's output (fewer at the end)."""
        while size > 0:
            if not self.view:
                piece = next(self.pieces, None)
                if piece is None:
                    return
                self.view = memoryview(piece)
            part = self.view[:size]
            self.view = self.view[len(part):]
            size -= len(part)
            yield part

    def read(self, size):
        return b"".join(bytes(part) for part in self.take(size))

    def drain(self):
        """Read (and so check) the rest of the stream."""
        self.view = memoryview(b"")
        for _piece in self.pieces:
            pass


def _pax_records(data, what):
    """A pax extended header's records ("<length> <key>=<value>\\n") as a dict."""
    records = {}
    pos = 0
    while pos < len(data):
        if not data[pos:].strip(b"\x00"):
            break
        space = data.find(b" ", pos, pos + 20)
        length = data[pos:space]
        if space < 0 or not length.isdigit() or int(length) <= space - pos + 1:
            raise UnsafeBoxError("%s is not a valid tar archive: a damaged pax header" % what)
        record = data[space + 1:pos + int(length)]
        key, sep, value = record.partition(b"=")
        if not sep or not record.endswith(b"\n"):
            raise UnsafeBoxError("%s is not a valid tar archive: a damaged pax header" % what)
        records[key.decode("utf-8", "surrogateescape")] = value[:-1].decode("utf-8", "surrogateescape")
        pos += int(length)
    return records


class _Members:
    """A box's tar members, read straight off the decompressed stream (512-byte headers parsed
    with tarfile.TarInfo.frombuf, which checks each header's checksum; GNU long names and pax
    headers applied here) and checked as they come."""

    META_LIMIT = 1 << 20      # a GNU long name or a pax header bigger than this is not a real box's

    def __init__(self, pieces, what, max_size):
        self.what = what
        self.max_size = int(max_size)
        self.total = 0
        self.seen = set()
        self.stream = _Stream(_inflate(pieces, self.max_size + _HEADER_ALLOWANCE, what))
        self.left = 0          # bytes of the current member's data not read yet
        self.padding = 0

    def _block(self):
        buf = self.stream.read(tarfile.BLOCKSIZE)
        if buf and len(buf) != tarfile.BLOCKSIZE:
            raise UnsafeBoxError("%s is truncated: a tar header is cut short" % self.what)
        return buf

    def _header(self):
        """The next member (a TarInfo with long names and pax values applied), or None at the end."""
        longname = longlink = None
        pax, extra = {}, {}
        while True:
            buf = self._block()
            if not buf or buf.count(0) == tarfile.BLOCKSIZE:
                if longname is not None or longlink is not None or extra:
                    raise UnsafeBoxError("%s is truncated: the archive ends after an extended header" % self.what)
                return None     # the end-of-archive marker (or the end of the stream, as tar takes it)
            try:
                info = tarfile.TarInfo.frombuf(buf, "utf-8", "surrogateescape")
            except tarfile.HeaderError as exc:
                raise UnsafeBoxError("%s is not a valid tar archive: %s" % (self.what, exc))
            if info.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE,
                             tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE):
                if info.size > self.META_LIMIT:
                    raise UnsafeBoxError("%s has an extended header of %s; refusing it"
                                         % (self.what, _human(info.size)))
                data = self.stream.read(_padded(info.size))
                if len(data) != _padded(info.size):
                    raise UnsafeBoxError("%s is truncated in an extended header" % self.what)
                data = data[:info.size]
                if info.type == tarfile.GNUTYPE_LONGNAME:
                    longname = tarfile.nts(data, "utf-8", "surrogateescape")
                elif info.type == tarfile.GNUTYPE_LONGLINK:
                    longlink = tarfile.nts(data, "utf-8", "surrogateescape")
                elif info.type == tarfile.XGLTYPE:
                    pax.update(_pax_records(data, self.what))
                else:
                    extra = _pax_records(data, self.what)
                continue
            values = dict(pax, **extra)
            if any(key.startswith("GNU.sparse.") for key in values):
                raise UnsafeBoxError("%s has a sparse member %r; a box's members are plain files"
                                     % (self.what, info.name))
            if longname is not None:
                info.name = longname
            if longlink is not None:
                info.linkname = longlink
            if "path" in values:
                info.name = values["path"]
            if "linkpath" in values:
                info.linkname = values["linkpath"]
            if "size" in values:
                if not values["size"].isdigit():
                    raise UnsafeBoxError("%s is not a valid tar archive: pax size %r" % (self.what, values["size"]))
                info.size = int(values["size"])
            if info.isdir():
                info.name = info.name.rstrip("/") or info.name
            return info

    def __iter__(self):
        while True:
            self.skip()
            info = self._header()
            if info is None:
                return
            # as tar does: only regular files (and unknown types, refused by check) carry data
            has_data = info.isreg() or info.type not in tarfile.SUPPORTED_TYPES
            self.left = info.size if has_data else 0
            self.padding = _padded(self.left) - self.left
            yield self.check(info), info

    def skip(self):
        """Pass over what is left of the current member's data and its padding."""
        for _part in self.stream.take(self.left + self.padding):
            pass
        self.left = self.padding = 0

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
        data = self.stream.read(self.left)
        self.left -= len(data)
        if self.left:
            raise UnsafeBoxError("%s is truncated or damaged in %s" % (self.what, info.name))
        return data

    def copy(self, info, write, hold=False):
        """Write the member's data; with hold, the last piece is returned unwritten instead."""
        copied = 0
        held = None
        for part in self.stream.take(self.left):
            if held is not None:
                write(held)
            held = part
            copied += len(part)
        self.left -= copied
        if copied != info.size:
            raise UnsafeBoxError("%s: %s is truncated (%d of %d bytes)" % (self.what, info.name, copied, info.size))
        if held is not None and not hold:
            write(held)
            held = None
        return held


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


def _what(source):
    name = source if isinstance(source, str) else getattr(source, "name", "stream")
    return "box %s" % os.path.basename(str(name))


def _walk(pieces, what, max_size, on_zss=None, on_small=None, at_end=None):
    members = _Members(pieces, what, max_size)
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
    members.stream.drain()     # the rest of the input: a download is verified when it ends
    if at_end is not None:
        at_end()
    return manifest


def scan_box(path, max_size=DEFAULT_MAX_SIZE):
    """Check a whole box without writing anything; return its manifest
    {members, zss_size, metadata, info, vagrantfile, unpacked_size, warnings}."""
    return _walk(_file_pieces(path), _what(path), max_size)


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
        manifest = _walk(_file_pieces(path), _what(path), max_size, on_zss, on_small)
    except BaseException:
        for target in written:
            try:
                os.unlink(target)
            except OSError:
                pass
        raise
    manifest["files"] = {os.path.basename(t): t for t in written}
    return manifest


def stream_zss(path, out, max_size=DEFAULT_MAX_SIZE, pieces=None, what=None):
    """Copy box.zss into `out` (a binary file object, pipe, or a callable taking
    bytes-like objects) while decompressing; return the manifest. `path` may also be a
    readable binary file object; `pieces`, when given, is an iterable of the box's bytes
    used instead (a download as it arrives: boxvault/follow.py StreamingDownload.pieces()).

    The last piece of box.zss is held back until the whole input has been read: a
    receiver never sees the end of the stream before a download's verdict (pieces()
    ends only once the download is verified, and raises otherwise). Raises
    UnsafeBoxError for a refused archive, with details['streamed'] telling whether the
    copy of box.zss had begun (then the receiver must be rolled back)."""
    write = out if callable(out) else out.write
    state = {"streamed": False, "held": None}

    def on_zss(members, info):
        state["streamed"] = True     # from here on the receiver may hold part of it (held back or not)
        state["held"] = members.copy(info, write, hold=True)

    def at_end():
        if state["held"] is not None:
            write(state["held"])
            state["held"] = None

    if pieces is None:
        pieces, what = _file_pieces(path), what or _what(path)
    try:
        return _walk(pieces, what or "box", max_size, on_zss, at_end=at_end)
    except UnsafeBoxError as exc:
        exc.details["streamed"] = state["streamed"]
        raise
