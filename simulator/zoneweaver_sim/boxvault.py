"""A BoxVault registry face (hyperweaver-boxvault.md part 2), plus builders of
real .box files (and malicious ones) for tests.

    from zoneweaver_sim.boxvault import BoxVaultSimulator, build_box
    with BoxVaultSimulator(boxes=[{"org": "STARTcloud", "name": "debian12", "version": "1.0.0"}],
                           users={"mark": {"password": "pw", "orgs": ["STARTcloud"]}}) as bv:
        token = bv.add_service_account("mark", "STARTcloud")
        bv.url, bv.log, bv.downloads()
        bv.drop_after_bytes = 4096        # the next download is cut after 4096 bytes

What it serves, as BoxVault 0.52 does:
- POST /api/auth/signin {username, password, stayLoggedIn} -> the user with accessToken (HS256 JWT,
  iss/aud "boxvault", 24 h) that travels in `x-access-token`; a service account signs in with its
  username and token. POST /api/service-accounts (user JWT) -> 201 with a 64-hex token, shown once.
- GET /api/discover (and /discover), /api/organizations/discover, /api/organization/{org}/box,
  .../box/{box}[/metadata], .../version[/{v}], .../provider[/{p}], .../architecture[/{a}],
  .../file/info (downloadUrl with a path-bound download JWT), POST .../file/get-download-link,
  GET|HEAD .../file/download with Accept-Ranges, Range -> 206 + Content-Range, If-Range against the
  weak ETag or Last-Modified, 416 for an unsatisfiable range; downloadCount counts every request.
- The User-Agent switch: `Vagrant/...` GET/HEAD requests go through the vagrantHandler: any Bearer must
  be a service-account token (else 401 "Invalid or expired service account token."), `/{org}/{box}`,
  `/{org}/boxes/{box}`, `/api/v2/vagrant/{org}/{box}` and `/api/organization/{org}/box/{box}[/metadata]`
  answer Vagrant metadata ('v' stripped, checksum "" + sha256 when none, url on the origin), the
  `.../vagrant.box` path downloads, and a two-segment `/api/x` path is read as box x of org "api".
  Without the Vagrant UA, `/{org}/{box}` (like every unmatched GET) is the SPA's index.html with 200.
- The credential matrix of 2.2 for private boxes (public ones are open): JWT everywhere; a raw
  service-account Bearer on discover, on its own organisation's box list and on downloads, and on
  detail/provider/architecture/file-info reads only with the Vagrant UA; versions need a JWT (a bad
  one is 401). Access needs membership of the user (or of the service account's owner).
- Large boxes: `add_box(..., path=FILE)` serves a .box from disk in chunks (never held in memory);
  `build_box_file(path, zss_size)` writes one, streaming, of any size.
- Knobs: `drop_after_bytes` (the next download body is cut after that many bytes, once),
  `latency`. Request log like the agent simulator's (secrets masked; `user_agent` recorded).

Inferred wording (not read in BoxVault's code): the 404 texts, the sign-in refusals
(404 "User Not found.", 401 "Invalid Password!", 403 for an unverified e-mail), the 403
for a private box through the Vagrant metadata, and 401 "Unauthorized!" for a bad JWT.
Not served: uploads and the other write endpoints, OIDC resource-server tokens, setup mode.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import random
import re
import secrets
import tarfile
import threading
import time
import zlib
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import quote

from .face import HttpFace
from .log import RequestLog
from .server import (BadJSON, Request, Response, Router, express_not_found, express_status_page, internal_error_page,
                     parse_body)
from .util import now_iso

VERSION = "0.52.1"
JWT_LIFETIME = 24 * 3600
DOWNLOAD_LINK_LIFETIME = 3600
ORG_BOX_RE = re.compile(r"^[A-Za-z0-9.-]+$")
VERSION_RE = re.compile(r"^(?!.*\.\.)[0-9a-zA-Z_][0-9a-zA-Z\-._]*$")
CHECKSUM_TYPES = ("MD5", "SHA1", "SHA256", "SHA384", "SHA512")
DEFAULT_DESCRIPTION = "boxes.defaultDescription"   # the missing i18n key, shown as is
SPA_PAGE = ("<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>BoxVault</title></head>\n"
            "<body><div id=\"root\"></div></body>\n</html>\n")

_VAGRANT_DOWNLOAD_RE = re.compile(r"^/([^/]+)/boxes/([^/]+)/versions/([^/]+)/providers/([^/]+)/([^/]+)/vagrant\.box/?$")
_VAGRANT_META_RES = (
    re.compile(r"^/api/v2/vagrant/([^/]+)/([^/]+)/?$"),
    re.compile(r"^/api/organization/([^/]+)/box/([^/]+)(?:/metadata)?/?$"),
    re.compile(r"^/([^/]+)/boxes/([^/]+)/?$"),
    re.compile(r"^/([^/]+)/([^/]+)/?$"),
)


# --------------------------------------------------------------------------- .box builders

def _vagrantfile(brand: str) -> str:
    return ('Vagrant.configure("2") do |config|\n  config.vm.provider :zone do |zone|\n'
            f'    zone.brand = "{brand}"\n  end\nend\n')


def _member(tar: tarfile.TarFile, name: str, kind: str = "file", data: bytes = b"", linkname: str = "",
            mtime: int = 1735689600, size: int | None = None, fileobj=None) -> None:
    info = tarfile.TarInfo(name)
    info.mtime = mtime
    info.mode = 0o644
    info.uname = info.gname = "root"
    if kind == "file":
        info.type = tarfile.REGTYPE
        info.size = len(data) if size is None else size
        tar.addfile(info, fileobj if fileobj is not None else io.BytesIO(data))
        return
    info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE,
                 "blk": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE, "dir": tarfile.DIRTYPE}[kind]
    info.linkname = linkname
    if kind in ("chr", "blk"):
        info.devmajor, info.devminor = 1, 3
    if kind == "dir":
        info.mode = 0o755
    tar.addfile(info)


class _Zeros(io.RawIOBase):
    """n zero bytes, without holding them (gzip-bomb members)."""

    def __init__(self, n: int):
        super().__init__()
        self.left = n

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def build_box(zss: bytes | None = None, zss_size: int = 4096, metadata: dict | None = None,
              info: dict | None = None, vagrantfile: str | None = None, brand: str = "bhyve",
              extra: list | tuple = (), seed=0, gzip_it: bool = True,
              include=("box.zss", "metadata.json", "info.json", "Vagrantfile")) -> bytes:
    """A real .box: a gzip tar with box.zss (given bytes, or zss_size seeded random bytes),
    metadata.json, info.json and Vagrantfile, then the `extra` members: dicts
    {name, kind: file|symlink|hardlink|chr|blk|fifo|dir, data, linkname, size, zeros}."""
    if zss is None:
        zss = random.Random(seed).randbytes(zss_size)
    meta = metadata if metadata is not None else {
        "provider": "zone", "format": "zss", "brand": brand, "architecture": "amd64",
        "created_at": "2025-01-01T00:00:00.000Z"}
    inf = info if info is not None else {"boxname": "box", "Author": "Zoneweaver", "Repository": "zoneweaver-sim"}
    files = {"box.zss": zss, "metadata.json": json.dumps(meta).encode(), "info.json": json.dumps(inf).encode(),
             "Vagrantfile": (vagrantfile if vagrantfile is not None else _vagrantfile(brand)).encode()}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gzip_it else "w", format=tarfile.GNU_FORMAT) as tar:
        for name in include:
            _member(tar, name, data=files[name])
        for spec in extra:
            spec = dict(spec)
            if "zeros" in spec:
                n = int(spec.pop("zeros"))
                _member(tar, spec["name"], size=n, fileobj=io.BufferedReader(_Zeros(n)))
            else:
                _member(tar, spec["name"], spec.get("kind", "file"), spec.get("data", b""), spec.get("linkname", ""))
    return buf.getvalue()


class _PatternReader(io.RawIOBase):
    """n bytes of a seeded pseudo-random pattern, made as they are read (large box.zss members).

    A 4 MiB random block, each 1 MiB chunk of it prefixed by its offset, so the
    stream neither repeats verbatim nor costs a random generator per byte."""

    BLOCK = 4 << 20

    def __init__(self, n: int, seed=0):
        super().__init__()
        self.left = n
        self.offset = 0
        self.block = random.Random(seed).randbytes(self.BLOCK)

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left, 1 << 20)
        if n <= 0:
            return 0
        start = self.offset % self.BLOCK
        chunk = (self.block + self.block)[start:start + n] if start + n > self.BLOCK else self.block[start:start + n]
        stamp = self.offset.to_bytes(8, "big")
        chunk = stamp[:n] + chunk[len(stamp[:n]):]
        buffer[:n] = chunk
        self.left -= n
        self.offset += n
        return n


def build_box_file(path: str, zss_size: int, seed=0, brand: str = "bhyve", compresslevel: int = 0) -> dict:
    """Write a real .box of any size to `path`, streaming (memory stays flat); returns
    {path, size, sha256, zss_size, zss_sha256, zss_crc32}.

    compresslevel 0 (deflate's stored blocks) is what gzip makes of a `zfs send -c`
    stream anyway (its blocks are compressed already), and costs no time to build."""
    import gzip
    meta = {"provider": "zone", "format": "zss", "brand": brand, "architecture": "amd64",
            "created_at": "2025-01-01T00:00:00.000Z"}
    small = {"metadata.json": json.dumps(meta).encode(),
             "info.json": json.dumps({"boxname": "large", "Author": "Zoneweaver"}).encode(),
             "Vagrantfile": _vagrantfile(brand).encode()}
    zss_digest = hashlib.sha256()
    crc = [0]

    class _Hashing(io.RawIOBase):
        def __init__(self, raw):
            super().__init__()
            self.raw = raw

        def readable(self):
            return True

        def readinto(self, buffer):
            n = self.raw.readinto(buffer)
            zss_digest.update(memoryview(buffer)[:n])
            crc[0] = zlib.crc32(memoryview(buffer)[:n], crc[0])
            return n

    tmp = path + ".tmp"
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=compresslevel, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        _member(tar, "box.zss", size=zss_size, fileobj=io.BufferedReader(_Hashing(_PatternReader(zss_size, seed)),
                                                                         1 << 20))
        for name, data in small.items():
            _member(tar, name, data=data)
    digest = hashlib.sha256()
    with open(tmp, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    os.replace(tmp, path)
    return {"path": path, "size": os.path.getsize(path), "sha256": digest.hexdigest(), "zss_size": zss_size,
            "zss_sha256": zss_digest.hexdigest(), "zss_crc32": crc[0]}


MALICIOUS_KINDS = ("absolute", "dotdot", "symlink", "symlink_relative", "hardlink", "device", "fifo",
                   "duplicate", "bomb", "zss_symlink", "no_zss", "not_gzip", "truncated")


def build_malicious_box(kind: str, zss_size: int = 2048, bomb_size: int = 8 << 20) -> bytes:
    """A box a safe unpacker must refuse. The bad member comes after box.zss, so an
    unpacker that writes as it goes has something to clean up."""
    if kind == "absolute":
        return build_box(zss_size=zss_size, extra=[{"name": "/tmp/zoneweaver-owned", "data": b"pwned\n"}])
    if kind == "dotdot":
        return build_box(zss_size=zss_size, extra=[{"name": "../../zoneweaver-escape", "data": b"pwned\n"}])
    if kind == "symlink":
        return build_box(zss_size=zss_size, extra=[{"name": "passwd", "kind": "symlink", "linkname": "/etc/passwd"}])
    if kind == "symlink_relative":
        return build_box(zss_size=zss_size, extra=[{"name": "sub/up", "kind": "symlink", "linkname": "../../outside"}])
    if kind == "hardlink":
        return build_box(zss_size=zss_size, extra=[{"name": "shadow", "kind": "hardlink", "linkname": "/etc/shadow"}])
    if kind == "device":
        return build_box(zss_size=zss_size, extra=[{"name": "null0", "kind": "chr"}])
    if kind == "fifo":
        return build_box(zss_size=zss_size, extra=[{"name": "pipe0", "kind": "fifo"}])
    if kind == "duplicate":
        return build_box(zss_size=zss_size, extra=[{"name": "metadata.json", "data": b'{"provider":"evil"}'}])
    if kind == "bomb":
        return build_box(zss_size=zss_size, extra=[{"name": "padding.bin", "zeros": bomb_size}])
    if kind == "zss_symlink":
        return build_box(include=("metadata.json", "info.json", "Vagrantfile"),
                         extra=[{"name": "box.zss", "kind": "symlink", "linkname": "metadata.json"}])
    if kind == "no_zss":
        return build_box(include=("metadata.json", "info.json", "Vagrantfile"))
    if kind == "not_gzip":
        return build_box(zss_size=zss_size, gzip_it=False)
    if kind == "truncated":
        # an upload cut in the middle of box.zss: published (and summed) as it is, unusable
        whole = build_box(zss_size=max(zss_size, 16384), seed="truncated")
        return whole[:len(whole) // 2]
    raise ValueError(f"unknown malicious kind {kind!r}; one of {MALICIOUS_KINDS}")


# --------------------------------------------------------------------------- helpers

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def strip_v(version: str) -> str:
    return version[1:] if len(version) > 1 and version[0] == "v" and version[1].isdigit() else version


def _msg(status: int, message: str, **extra) -> Response:
    return Response(status, {"message": message, **extra})


class _Answer(Exception):
    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def _fail(status: int, message: str, **extra) -> _Answer:
    return _Answer(_msg(status, message, **extra))


class FileResponse:
    """A binary answer (downloads); written by BoxVaultSimulator._write_file. The body is
    bytes, or a slice (path, start, length) of a file on disk read as it is sent."""

    def __init__(self, status: int, body: bytes, headers: dict, path: str | None = None, start: int = 0,
                 length: int | None = None):
        self.status = status
        self.body = body
        self.headers = headers
        self.path = path
        self.start = start
        self.length = len(body) if length is None else length


def digest(data: bytes, checksum_type: str) -> str:
    return hashlib.new(checksum_type.lower(), data).hexdigest()


def file_digest(path: str, checksum_type: str) -> str:
    obj = hashlib.new(checksum_type.lower())
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            obj.update(chunk)
    return obj.hexdigest()


# --------------------------------------------------------------------------- the registry


class BoxVaultSimulator(HttpFace):
    tls_name = "boxvault-sim"

    def __init__(self, port: int = 0, boxes: list | None = None, users: dict | None = None,
                 tokens: dict | None = None, orgs: dict | None = None, tls: bool = False,
                 jwt_secret: str | None = None, latency: float = 0.0):
        self._init_face(port, tls)
        self.latency = float(latency)
        self.jwt_secret = (jwt_secret or secrets.token_hex(32)).encode("utf-8")
        self.lock = threading.RLock()
        self.request_log = RequestLog()
        self.drop_after_bytes: int | None = None
        self.orgs: dict[str, dict] = {}
        self.users: dict[str, dict] = {}
        self.service_accounts: dict[str, dict] = {}   # sha256(token) -> row
        self.boxes: dict[tuple, dict] = {}
        self._ids = {"org": 0, "user": 0, "sa": 0, "box": 0, "version": 0, "provider": 0, "arch": 0, "file": 0}
        for name, spec in (orgs or {}).items():
            self.add_org(name, **spec)
        for name, spec in (users or {}).items():
            self.add_user(name, **spec)
        for token, spec in (tokens or {}).items():
            self.add_service_account(spec["user"], spec.get("organization"), token=token,
                                     expired=spec.get("expired", False))
        for spec in boxes or ():
            self.add_box(**spec)
        self.router = self._routes()

    # start/stop/url/port: face.HttpFace
    @property
    def api_url(self) -> str:
        return self.url + "/api"        # boxvault.api_url, set to the simulator itself

    @property
    def log(self) -> list[dict]:
        return self.request_log.entries()

    def clear_log(self) -> None:
        self.request_log.clear()

    def downloads(self) -> list[dict]:
        """Log entries of file downloads (API route or Vagrant path)."""
        return [e for e in self.log if e["path"].endswith("/file/download") or e["path"].endswith("/vagrant.box")]

    # ------------------------------------------------------------------ model
    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def add_org(self, name: str, access_mode: str = "private", description: str | None = None) -> dict:
        if not ORG_BOX_RE.match(name):
            raise ValueError(f"invalid organization name {name!r}")
        with self.lock:
            org = self.orgs.get(name)
            if org is None:
                org = {"id": self._next("org"), "name": name, "description": description,
                       "accessMode": access_mode, "emailHash": ""}
                self.orgs[name] = org
            else:
                org["accessMode"] = access_mode
                if description is not None:
                    org["description"] = description
            return org

    def add_user(self, username: str, password: str, orgs=(), verified: bool = True, admin: bool = False,
                 email: str | None = None) -> dict:
        with self.lock:
            for org in orgs:
                self.add_org(org)
            user = {"id": self._next("user"), "username": username, "password": password,
                    "email": email or f"{username}@example.com", "verified": verified,
                    "roles": ["ROLE_USER"] + (["ROLE_ADMIN"] if admin else []), "orgs": list(orgs),
                    "suspended": False}
            self.users[username] = user
            return user

    def add_service_account(self, user: str, organization: str | None = None, token: str | None = None,
                            expired: bool = False, description: str = "zoneweaver-sim") -> str:
        """A service account of `user` (scoped to `organization` for listings); returns its token."""
        with self.lock:
            owner = self.users[user]
            token = token or secrets.token_hex(32)
            org = organization or (owner["orgs"][0] if owner["orgs"] else None)
            row = {"id": self._next("sa"), "username": f"{user}-{secrets.token_hex(4)}", "user": user,
                   "description": description, "organization": org,
                   "organization_id": self.orgs[org]["id"] if org in self.orgs else None,
                   "expiresAt": None, "expired": expired, "createdAt": now_iso()}
            self.service_accounts[hashlib.sha256(token.encode()).hexdigest()] = row
            return token

    def add_box(self, org: str, name: str, version: str | None = "1.0.0", provider: str = "zone",
                architecture: str = "amd64", data: bytes | None = None, zss_size: int = 4096, path: str | None = None,
                checksum_type: str | None = "SHA256", checksum: str | None = None, is_public: bool = True,
                published: bool = True, owner: str | None = None, description: str | None = None,
                version_description: str | None = None, deprecated: bool = False, default_box: bool = True,
                with_file: bool = True) -> dict | None:
        """Add (or extend) a box: one version/provider/architecture and its file.

        data: the .box bytes (default: a real box with zss_size random bytes, seeded
        by the names, so a box's content is stable). checksum: None computes it with
        checksum_type; "" or checksum_type None publishes none; any other value is
        published as is (a wrong one for mismatch tests). path: serve this .box file from disk
        instead (large boxes; see build_box_file). Returns the file row."""
        for value, what in ((org, "organization"), (name, "box")):
            if not ORG_BOX_RE.match(value):
                raise ValueError(f"invalid {what} name {value!r}")
        with self.lock:
            self.add_org(org)
            box = self.boxes.get((org, name))
            if box is None:
                now = now_iso()
                box = {"id": self._next("box"), "name": name, "org": org, "description": description,
                       "isPublic": is_public, "published": published,
                       "owner": owner or next((u for u, row in self.users.items() if org in row["orgs"]), None),
                       "versions": {}, "createdAt": now, "updatedAt": now}
                self.boxes[(org, name)] = box
            else:
                box.update(isPublic=is_public, published=published)
                if description is not None:
                    box["description"] = description
            if version is None:
                return None
            for value, what in ((version, "version"), (provider, "provider"), (architecture, "architecture")):
                if not VERSION_RE.match(value):
                    raise ValueError(f"invalid {what} name {value!r}")
            now = now_iso()
            ver = box["versions"].setdefault(version, {
                "id": self._next("version"), "versionNumber": version, "description": version_description,
                "boxId": box["id"], "releaseNotes": None, "deprecated": deprecated,
                "deprecationReason": "deprecated" if deprecated else None, "createdAt": now, "updatedAt": now,
                "providers": {}})
            prov = ver["providers"].setdefault(provider, {
                "id": self._next("provider"), "name": provider, "description": None, "versionId": ver["id"],
                "createdAt": now, "updatedAt": now, "architectures": {}})
            arch = prov["architectures"].setdefault(architecture, {
                "id": self._next("arch"), "name": architecture, "description": None, "defaultBox": default_box,
                "providerId": prov["id"], "createdAt": now, "updatedAt": now, "file": None})
            if not with_file:
                return None
            if data is None and path is None:
                data = build_box(zss_size=zss_size, seed=f"{org}/{name}/{version}/{provider}/{architecture}",
                                 info={"boxname": f"{org}/{name}", "Author": "Zoneweaver", "version": version})
            arch["file"] = {"id": self._next("file"), "fileName": "vagrant.box", "downloadCount": 0,
                            "architectureId": arch["id"], "createdAt": now, "updatedAt": now}
            self.set_file_data(org, name, version, data, provider, architecture, checksum_type, checksum, path=path)
            return arch["file"]

    def set_file_data(self, org, box, version, data: bytes | None, provider: str = "zone",
                      architecture: str = "amd64", checksum_type: str | None = "SHA256", checksum: str | None = None,
                      path: str | None = None) -> dict:
        """Replace a file's bytes, or point it at a file on disk (a new upload: new mtime, so a new ETag)."""
        with self.lock:
            f = self._file(org, box, version, provider, architecture)
            ctype = checksum_type.upper().replace("-", "") if checksum_type else None
            if ctype is not None and ctype not in CHECKSUM_TYPES:
                raise ValueError(f"checksum_type must be one of {CHECKSUM_TYPES} or None")
            if checksum is None and ctype is not None:
                checksum = digest(data, ctype) if path is None else file_digest(path, ctype)
            if not checksum:
                checksum, ctype = None, None
            mtime = max(time.time(), f.get("mtime", 0) + 1)
            size = len(data) if path is None else os.path.getsize(path)
            f.update(data=data if path is None else None, path=path, fileSize=size, checksum=checksum,
                     checksumType=ctype or "NULL", mtime=mtime, updatedAt=now_iso())
            return f

    def file_row(self, org, box, version, provider="zone", architecture="amd64") -> dict:
        with self.lock:
            return self._file(org, box, version, provider, architecture)

    def _file(self, org, box, version, provider, architecture) -> dict:
        f = self.boxes[(org, box)]["versions"][version]["providers"][provider]["architectures"][architecture]["file"]
        if f is None:
            raise KeyError("no file")
        return f

    # ------------------------------------------------------------------ tokens
    def _mint(self, payload: dict, lifetime: int = JWT_LIFETIME) -> str:
        iat = int(time.time())
        body = dict(payload, iat=iat, exp=iat + lifetime, iss="boxvault", aud="boxvault")
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        data = _b64(json.dumps(body, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self.jwt_secret, f"{head}.{data}".encode(), hashlib.sha256).digest())
        return f"{head}.{data}.{sig}"

    def _verify_jwt(self, token: str) -> dict | None:
        try:
            head, data, sig = token.split(".")
            expected = _b64(hmac.new(self.jwt_secret, f"{head}.{data}".encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(sig, expected):
                return None
            payload = json.loads(_unb64(data))
        except (ValueError, TypeError, UnicodeDecodeError):
            return None
        if payload.get("exp", 0) < time.time() or payload.get("iss") != "boxvault" or payload.get("aud") != "boxvault":
            return None
        return payload

    def user_token(self, username: str) -> str:
        """A user JWT as sign-in would return it (for tests)."""
        user = self.users[username]
        return self._mint({"id": user["id"], "serviceAccountId": None, "isServiceAccount": False,
                           "stayLoggedIn": False, "provider": "local", "organizations": list(user["orgs"])})

    def _sa(self, token: str) -> dict | None:
        row = self.service_accounts.get(hashlib.sha256(token.encode()).hexdigest())
        if row is None or row["expired"]:
            return None
        return row

    # ------------------------------------------------------------------ who is asking
    def _credentials(self, req) -> dict:
        """Everything the request presents: {jwt_user, jwt_bad, sa, sa_via, basic_sa, dl}."""
        cred = {"jwt_user": None, "jwt_bad": False, "sa": None, "sa_via": None, "bearer_bad": False,
                "basic_sa": None, "dl": None}
        xat = req.headers.get("x-access-token")
        if xat:
            payload = self._verify_jwt(xat)
            if payload is not None and payload.get("type") != "download":
                cred["jwt_user"] = next((u for u in self.users.values() if u["id"] == payload.get("id")), None)
                if cred["jwt_user"] is None:
                    cred["jwt_bad"] = True
            elif self._sa(xat) is not None:
                cred["sa"], cred["sa_via"] = self._sa(xat), "x-access-token"
            else:
                cred["jwt_bad"] = True
        header = req.headers.get("Authorization") or ""
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
            sa = self._sa(token)
            if sa is not None:
                cred["sa"], cred["sa_via"] = sa, "bearer"
            else:
                cred["bearer_bad"] = True
        elif header.lower().startswith("basic "):
            try:
                user, _sep, token = base64.b64decode(header[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user, token = "", ""
            sa = self._sa(token)
            if sa is not None and sa["username"] == user:
                cred["basic_sa"] = sa
        token = req.q("token")
        if token:
            payload = self._verify_jwt(token)
            if payload is not None and payload.get("type") == "download":
                cred["dl"] = payload
            else:
                cred["dl"] = {"invalid": True}
        return cred

    def _sa_user(self, sa: dict | None) -> dict | None:
        return self.users.get(sa["user"]) if sa else None

    def _member(self, user: dict | None, org: str) -> bool:
        return bool(user) and (org in user["orgs"] or "ROLE_ADMIN" in user["roles"])

    def _reader(self, req, endpoint: str, org: str | None = None) -> dict | None:
        """The user a read acts as (None = anonymous), per the matrix of 2.2."""
        cred = req.cred
        if cred["jwt_user"] is not None:
            return cred["jwt_user"]
        if endpoint == "versions" and (cred["jwt_bad"] or cred["bearer_bad"]):
            raise _fail(401, "Unauthorized!")
        sa = cred["sa"]
        if sa is None:
            return None
        if endpoint == "discover":
            return self._sa_user(sa)
        if endpoint == "org_boxes":
            return self._sa_user(sa) if sa["organization"] == org and cred["sa_via"] == "bearer" else None
        if endpoint in ("box", "providers", "file_info") and req.vagrant and cred["sa_via"] == "bearer":
            return self._sa_user(sa)
        return None

    def _visible_in_list(self, box: dict, user: dict | None, scope_org: str | None = None) -> bool:
        if box["isPublic"] and box["published"]:
            return True
        if user is None or not self._member(user, box["org"]):
            return False
        if scope_org is not None and box["org"] != scope_org:
            return False
        return box["published"] or box["owner"] == user["username"]

    def _require_box_access(self, box: dict, user: dict | None) -> None:
        if box["isPublic"]:
            return
        if user is None:
            raise _fail(403, "Unauthorized access to private box.")
        if not (self._member(user, box["org"]) or box["owner"] == user["username"]):
            raise _fail(403, "Unauthorized access to private box.")

    # ------------------------------------------------------------------ JSON views
    def _file_json(self, f: dict) -> dict:
        return {"id": f["id"], "fileName": f["fileName"], "checksum": f["checksum"],
                "checksumType": f["checksumType"], "downloadCount": f["downloadCount"], "fileSize": f["fileSize"],
                "architectureId": f["architectureId"], "createdAt": f["createdAt"], "updatedAt": f["updatedAt"]}

    @staticmethod
    def _row(d: dict, *skip) -> dict:
        return {k: v for k, v in d.items() if k not in skip}

    def _arch_json(self, a: dict, files: bool = True) -> dict:
        out = self._row(a, "file")
        if files:
            out["files"] = [self._file_json(a["file"])] if a["file"] else []
        return out

    def _provider_json(self, p: dict, nested: bool = True) -> dict:
        out = self._row(p, "architectures")
        if nested:
            out["architectures"] = [self._arch_json(a) for a in p["architectures"].values()]
        return out

    def _version_json(self, v: dict, nested: bool = True) -> dict:
        out = self._row(v, "providers")
        if nested:
            out["providers"] = [self._provider_json(p) for p in v["providers"].values()]
        return out

    def _box_json(self, box: dict, shape: str = "discover") -> dict:
        owner = self.users.get(box["owner"]) if box["owner"] else None
        org = self.orgs[box["org"]]
        out = {"id": box["id"], "name": box["name"], "description": box["description"], "published": box["published"],
               "isPublic": box["isPublic"], "userId": owner["id"] if owner else None, "organizationId": org["id"],
               "githubRepo": None, "workflowFile": None, "cicdUrl": None, "shortDescription": None, "metadata": None,
               "readme": None, "artwork": None, "createdAt": box["createdAt"], "updatedAt": box["updatedAt"],
               "versions": [self._version_json(v) for v in box["versions"].values()]}
        user = {"id": owner["id"], "username": owner["username"], "emailHash": ""} if owner else None
        if shape == "org" and user is not None:
            out.pop("readme")
            user.update(suspended=owner["suspended"], createdAt=box["createdAt"], updatedAt=box["createdAt"])
        out["user"] = user
        out["organization"] = {"id": org["id"], "name": org["name"], "emailHash": "", "logo": None}
        return out

    def vagrant_metadata(self, box: dict) -> dict:
        versions = []
        for v in box["versions"].values():
            number = strip_v(v["versionNumber"])
            text = v["description"] or DEFAULT_DESCRIPTION
            providers = []
            for p in v["providers"].values():
                for a in p["architectures"].values():
                    f = a["file"]
                    if f is None:
                        continue
                    ctype = f["checksumType"] if f["checksumType"] != "NULL" else None
                    providers.append({
                        "name": p["name"],
                        "url": f"{self.url}/{box['org']}/boxes/{box['name']}/versions/{number}/providers/"
                               f"{p['name']}/{a['name']}/vagrant.box",
                        "checksum": f["checksum"] if ctype else "",
                        "checksum_type": ctype.lower() if ctype else "sha256",
                        "architecture": a["name"], "default_architecture": a["defaultBox"] or True})
            versions.append({"version": number, "status": "active", "description_html": f"<p>{text}</p>\n",
                             "description_markdown": text, "providers": providers})
        return {"name": f"{box['org']}/{box['name']}", "description": box["description"] or DEFAULT_DESCRIPTION,
                "versions": versions}

    # ------------------------------------------------------------------ HTTP pipeline
    def handle(self, h) -> None:
        try:
            body_bytes, has_body = h.read_body()
        except (OSError, ValueError):
            h.close_connection = True
            return
        req = Request(h.command, h.path, h.headers, body_bytes)
        body_log = None
        if has_body:
            try:
                body_log = json.loads(body_bytes.decode("utf-8")) if body_bytes else {}
            except (UnicodeDecodeError, json.JSONDecodeError):
                body_log = f"<{len(body_bytes)} bytes>"
        entry = self.request_log.add(req.method, req.path, req.query, body_log, self._auth_kind(req))
        entry["user_agent"] = req.headers.get("User-Agent")
        if self.latency:
            time.sleep(self.latency)
        try:
            resp = self.dispatch(req, has_body)
        except _Answer as exc:
            resp = exc.response
        except Exception as exc:   # a simulator bug: answer like Express would
            resp = internal_error_page(exc)
        entry["status"] = resp.status
        if isinstance(resp, FileResponse):
            self._write_file(h, resp, entry)
        else:
            h.write(resp)

    @staticmethod
    def _auth_kind(req) -> str:
        if req.headers.get("x-access-token"):
            return "x-access-token"
        header = (req.headers.get("Authorization") or "").lower()
        if header.startswith("basic "):
            return "basic"
        if header:
            return "bearer"
        return "query-token" if "token" in req.query else "none"

    def dispatch(self, req: Request, has_body: bool):
        try:
            parse_body(req, has_body)
        except BadJSON:
            return express_status_page(400)
        ua = req.headers.get("User-Agent") or ""
        req.vagrant = ua.startswith("Vagrant/") and req.method in ("GET", "HEAD")
        with self.lock:
            req.cred = self._credentials(req)
            if req.vagrant:
                answer = self._vagrant(req)
                if answer is not None:
                    return answer
            route, params = self.router.match(req.method, req.raw_path)
            if route is None:
                if req.method in ("GET", "HEAD"):
                    return Response(200, SPA_PAGE, html=True)   # the SPA's index.html
                return express_not_found(req.method, req.raw_path)
            req.params = params
            return route.handler(req)

    def _vagrant(self, req):
        """vagrantHandler: Bearer must be a service-account token; rewrites."""
        if req.cred["bearer_bad"]:
            raise _fail(401, "Invalid or expired service account token.")
        m = _VAGRANT_DOWNLOAD_RE.match(req.path)
        if m:
            # the URL carries the 'v'-stripped version: a box stored as 'v1.0' is then not found (as upstream)
            return self._download(req, *m.groups())
        for regex in _VAGRANT_META_RES:
            m = regex.match(req.path)
            if m:
                if req.method == "HEAD":
                    return Response(200, {})
                org, name = m.group(1), m.group(2)
                if org not in self.orgs:
                    raise _fail(404, f"Organization not found with name: {org}.")
                box = self.boxes.get((org, name))
                if box is None:
                    raise _fail(404, f"Box not found with name: {name}.")
                self._require_box_access(box, self._sa_user(req.cred["sa"]) if req.cred["sa_via"] == "bearer"
                                         else req.cred["jwt_user"])
                return Response(200, self.vagrant_metadata(box))
        return None

    def _write_file(self, h, resp: FileResponse, entry: dict) -> None:
        h.send_response_only(resp.status)
        h.send_header("X-Powered-By", "Express")
        for k, v in resp.headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(resp.length))
        h.send_header("Date", formatdate(usegmt=True))
        h.send_header("Connection", "keep-alive")
        h.end_headers()
        if h.command == "HEAD" or not resp.length:
            h.wfile.flush()
            return
        with self.lock:
            cut, self.drop_after_bytes = self.drop_after_bytes, None
        if resp.path is not None:
            self._write_from_disk(h, resp, cut, entry)
            return
        body = resp.body
        if cut is not None and cut < len(body):
            entry["dropped_after"] = cut
            h.wfile.write(body[:cut])
            h.wfile.flush()
            h.drop()
            return
        view = memoryview(body)
        for start in range(0, len(body), 1 << 16):
            h.wfile.write(view[start:start + (1 << 16)])
        h.wfile.flush()

    @staticmethod
    def _write_from_disk(h, resp: FileResponse, cut, entry: dict) -> None:
        left = resp.length if cut is None else min(cut, resp.length)
        with open(resp.path, "rb") as fh:
            fh.seek(resp.start)
            while left > 0:
                chunk = fh.read(min(left, 1 << 20))
                if not chunk:
                    break
                h.wfile.write(chunk)
                left -= len(chunk)
        h.wfile.flush()
        if cut is not None and cut < resp.length:
            entry["dropped_after"] = cut
            h.drop()

    # ------------------------------------------------------------------ routes
    def _routes(self) -> Router:
        r = Router()
        r.add("POST", "/api/auth/signin", self.signin)
        r.add("POST", "/api/service-accounts", self.create_service_account)
        r.add("GET", "/api/discover", self.discover)
        r.add("GET", "/discover", self.discover)
        r.add("GET", "/api/organizations/discover", self.organizations_discover)
        base = "/api/organization/:org/box"
        r.add("GET", base, self.org_boxes)
        r.add("GET", base + "/:box", self.box_detail)
        r.add("GET", base + "/:box/metadata", self.box_detail)
        r.add("GET", base + "/:box/version", self.versions)
        r.add("GET", base + "/:box/version/:version", self.version_detail)
        r.add("GET", base + "/:box/version/:version/provider", self.providers)
        r.add("GET", base + "/:box/version/:version/provider/:provider", self.provider_detail)
        r.add("GET", base + "/:box/version/:version/provider/:provider/architecture", self.architectures)
        arch = base + "/:box/version/:version/provider/:provider/architecture/:arch"
        r.add("GET", arch, self.architecture_detail)
        r.add("GET", arch + "/file/info", self.file_info)
        r.add("POST", arch + "/file/get-download-link", self.download_link)
        r.add("GET", arch + "/file/download", self.file_download)
        return r

    # -- auth
    def signin(self, req):
        body = req.body if isinstance(req.body, dict) else {}
        username, password = body.get("username"), body.get("password")
        sa = self._sa(password) if isinstance(password, str) else None
        if sa is not None and sa["username"] == username:
            owner = self.users[sa["user"]]
            token = self._mint({"id": owner["id"], "serviceAccountId": sa["id"], "isServiceAccount": True,
                                "stayLoggedIn": bool(body.get("stayLoggedIn")), "provider": "local",
                                "organizations": list(owner["orgs"])})
            return Response(200, self._signin_answer(owner, token, True, username))
        user = self.users.get(username) if isinstance(username, str) else None
        if user is None:
            return _msg(404, "User Not found.")
        if not isinstance(password, str) or not hmac.compare_digest(password, user["password"]):
            return Response(401, {"accessToken": None, "message": "Invalid Password!"})
        if not user["verified"]:
            return _msg(403, "Please verify your email address before signing in.")
        return Response(200, self._signin_answer(user, self.user_token(username), False, username))

    def _signin_answer(self, user: dict, token: str, is_sa: bool, username: str) -> dict:
        return {"id": user["id"], "username": username, "email": user["email"], "verified": user["verified"],
                "roles": list(user["roles"]), "organization": user["orgs"][0] if user["orgs"] else None,
                "organizations": [{"name": o, "role": "member"} for o in user["orgs"]], "accessToken": token,
                "isServiceAccount": is_sa, "provider": "local", "gravatarUrl": ""}

    def create_service_account(self, req):
        user = req.cred["jwt_user"]
        if user is None:
            return _msg(403, "No token provided!") if not req.cred["jwt_bad"] else _msg(401, "Unauthorized!")
        body = req.body if isinstance(req.body, dict) else {}
        org = next((o for o in self.orgs.values() if o["id"] == body.get("organizationId")), None)
        org_name = org["name"] if org else (user["orgs"][0] if user["orgs"] else None)
        token = self.add_service_account(user["username"], org_name, description=body.get("description") or "")
        row = self._sa(token)
        return Response(201, {"id": row["id"], "username": row["username"], "description": row["description"],
                              "expiresAt": row["expiresAt"], "organization_id": row["organization_id"],
                              "createdAt": row["createdAt"], "token": token})

    # -- lists
    def discover(self, req):
        user = self._reader(req, "discover")
        scope = req.cred["sa"]["organization"] if req.cred["sa"] is not None and req.cred["jwt_user"] is None else None
        boxes = [self._box_json(b) for b in self.boxes.values() if self._visible_in_list(b, user, scope)]
        return Response(200, boxes)

    def organizations_discover(self, req):
        user = req.cred["jwt_user"]
        admin = bool(user) and "ROLE_ADMIN" in user["roles"]
        out = []
        for org in self.orgs.values():
            if org["accessMode"] == "private" and not admin:
                continue
            boxes = [b for b in self.boxes.values() if b["org"] == org["name"]]
            out.append({"id": org["id"], "name": org["name"], "description": org["description"],
                        "accessMode": org["accessMode"], "emailHash": "",
                        "memberCount": sum(1 for u in self.users.values() if org["name"] in u["orgs"]),
                        "publicBoxCount": sum(1 for b in boxes if b["isPublic"]), "totalBoxCount": len(boxes)})
        return Response(200, out)

    def _org(self, name: str) -> dict:
        org = self.orgs.get(name)
        if org is None:
            raise _fail(404, f"Organization not found with name: {name}.")
        return org

    def org_boxes(self, req):
        org = req.params["org"]
        self._org(org)
        user = self._reader(req, "org_boxes", org)
        boxes = [self._box_json(b, "org") for b in self.boxes.values()
                 if b["org"] == org and self._visible_in_list(b, user)]
        return Response(200, boxes)

    # -- one box and below
    def _box(self, req, endpoint: str) -> dict:
        org, name = req.params["org"], req.params["box"]
        self._org(org)
        box = self.boxes.get((org, name))
        if box is None:
            raise _fail(404, f"Box not found with name: {name}.")
        user = self._reader(req, endpoint, org)
        if not box["isPublic"] and endpoint == "versions" and user is None:
            raise _fail(403, "No token provided!")
        self._require_box_access(box, user)
        return box

    def _version(self, req, endpoint: str) -> dict:
        box = self._box(req, endpoint)
        ver = box["versions"].get(req.params["version"])
        if ver is None:
            raise _fail(404, f"Version {req.params['version']} not found for box {box['name']}.")
        return ver

    def _provider(self, req, endpoint: str) -> dict:
        prov = self._version(req, endpoint)["providers"].get(req.params["provider"])
        if prov is None:
            raise _fail(404, f"Provider {req.params['provider']} not found.")
        return prov

    def _arch(self, req, endpoint: str) -> dict:
        arch = self._provider(req, endpoint)["architectures"].get(req.params["arch"])
        if arch is None:
            raise _fail(404, f"Architecture {req.params['arch']} not found.")
        return arch

    def box_detail(self, req):
        box = self._box(req, "box")
        return Response(200, self._box_json(box, "detail"))

    def versions(self, req):
        box = self._box(req, "versions")
        return Response(200, [self._version_json(v, nested=False) for v in box["versions"].values()])

    def version_detail(self, req):
        return Response(200, self._version_json(self._version(req, "versions"), nested=False))

    def providers(self, req):
        ver = self._version(req, "providers")
        return Response(200, [self._provider_json(p, nested=False) for p in ver["providers"].values()])

    def provider_detail(self, req):
        return Response(200, self._provider_json(self._provider(req, "providers"), nested=False))

    def architectures(self, req):
        prov = self._provider(req, "providers")
        return Response(200, [self._arch_json(a, files=False) for a in prov["architectures"].values()])

    def architecture_detail(self, req):
        return Response(200, self._arch_json(self._arch(req, "providers"), files=False))

    def _download_token(self, p: dict) -> str:
        return self._mint({"type": "download", "organization": p["org"], "boxId": p["box"],
                           "versionNumber": p["version"], "providerName": p["provider"],
                           "architectureName": p["arch"]}, DOWNLOAD_LINK_LIFETIME)

    def _download_url(self, p: dict) -> str:
        parts = (p["org"], "box", p["box"], "version", p["version"], "provider", p["provider"], "architecture", p["arch"])
        path = "/".join(quote(x, safe="") for x in parts)
        return f"{self.api_url}/organization/{path}/file/download?token={self._download_token(p)}"

    def file_info(self, req):
        arch = self._arch(req, "file_info")
        f = arch["file"]
        if f is None:
            raise _fail(404, "File not found.")
        return Response(200, {"fileName": f["fileName"], "downloadUrl": self._download_url(req.params),
                              "downloadCount": f["downloadCount"], "checksum": f["checksum"],
                              "checksumType": f["checksumType"], "fileSize": f["fileSize"]})

    def download_link(self, req):
        if req.cred["jwt_user"] is None:
            return _msg(403, "No token provided!")
        arch = self._arch(req, "file_info")
        if arch["file"] is None:
            raise _fail(404, "File not found.")
        return Response(200, {"downloadUrl": self._download_url(req.params)})

    def file_download(self, req):
        p = req.params
        return self._download(req, p["org"], p["box"], p["version"], p["provider"], p["arch"])

    def _download(self, req, org, name, version, provider, arch_name):
        self._org(org)
        box = self.boxes.get((org, name))
        try:
            f = box["versions"][version]["providers"][provider]["architectures"][arch_name]["file"] if box else None
        except KeyError:
            f = None
        if f is None:
            raise _fail(404, "File not found.")
        if not box["isPublic"]:
            cred = req.cred
            user = cred["jwt_user"] or self._sa_user(cred["sa"] or cred["basic_sa"])
            if user is None and cred["dl"] is not None:
                dl = cred["dl"]
                if dl.get("invalid") or (dl.get("organization"), dl.get("boxId"), dl.get("versionNumber"),
                                         dl.get("providerName"), dl.get("architectureName")) != \
                        (org, name, version, provider, arch_name):
                    raise _fail(403, "Invalid or expired download token.")
                user = {"username": "download-token", "orgs": [org], "roles": []}
            if user is None:
                raise _fail(403, "No download token provided.")
            if not self._member(user, org):
                raise _fail(403, "Unauthorized access to private box.")
        f["downloadCount"] += 1
        return self._file_answer(req, f)

    @staticmethod
    def _file_answer(req, f: dict) -> FileResponse:
        data = f["data"]
        size = f["fileSize"]
        etag = f'W/"{size:x}-{int(f["mtime"] * 1000):x}"'
        last_modified = formatdate(f["mtime"], usegmt=True)
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "public, max-age=0", "Last-Modified": last_modified,
                   "ETag": etag, "Content-Type": "application/octet-stream",
                   "Content-Disposition": 'attachment; filename="vagrant.box"'}
        rng = req.headers.get("Range")
        if rng and _if_range_ok(req.headers.get("If-Range"), etag, f["mtime"]):
            m = re.match(r"^bytes=(\d*)-(\d*)$", rng.strip())
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = int(m.group(2)) if m.group(2) else size - 1
                else:
                    start, end = max(0, size - int(m.group(2))), size - 1
                end = min(end, size - 1)
                if start >= size or start > end:
                    headers["Content-Range"] = f"bytes */{size}"
                    return FileResponse(416, b"", headers)
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
                if f.get("path"):
                    return FileResponse(206, b"", headers, path=f["path"], start=start, length=end + 1 - start)
                return FileResponse(206, data[start:end + 1], headers)
        if f.get("path"):
            return FileResponse(200, b"", headers, path=f["path"], length=size)
        return FileResponse(200, data, headers)


def _if_range_ok(value, etag: str, mtime: float) -> bool:
    """send's isRangeFresh: no If-Range, a matching ETag, or a date not older than the file."""
    if not value:
        return True
    if '"' in value:
        return value.strip() == etag
    try:
        return parsedate_to_datetime(value).timestamp() >= int(mtime)
    except (TypeError, ValueError):
        return False
