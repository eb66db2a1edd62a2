# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client of a BoxVault registry (hyperweaver-boxvault.md part 2).

Credentials, one of:
- none (anonymous): public boxes only;
- a service-account token (64 hex), sent raw as ``Authorization: Bearer``;
- a user JWT given as the token (three dot-separated parts), sent as ``x-access-token``;
- a username and password, exchanged once per client at ``POST /api/auth/signin``
  for a JWT, which then travels in ``x-access-token`` (never as Authorization).

What each credential may read differs by endpoint (the auth matrix in 2.2). A
service-account token does not open a private box's API detail or its version
list; for those the client falls back to the Vagrant metadata
(``GET /{org}/{box}`` with a ``Vagrant/`` User-Agent), which the token does open,
and reads file sizes from ``.../file/info`` (also with the Vagrant User-Agent).

The Vagrant User-Agent is NEVER sent to a two-segment ``/api/x`` path: BoxVault's
vagrantHandler would read it as organisation "api" and box "x".

Tokens, passwords and JWTs never appear in messages, and the download JWT that
``file/info`` embeds in ``downloadUrl`` is removed from what this client returns.
"""

from __future__ import annotations

import json
import random
import re
import time
import warnings
from urllib.parse import quote, urlencode, urlsplit, urlunsplit, parse_qsl

try:
    import requests
    from requests import exceptions as rex
    from urllib3.exceptions import InsecureRequestWarning
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported when a client is built
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.errors import (
    RegistryAuthError, RegistryError, RegistryNotFoundError)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.versions import (
    ORG_BOX_RE, Selector, Version, check_name, sort_versions, strip_v)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import InputError, TransportError

USER_AGENT = "zoneweaver.illumos/0.1 (BoxVault client)"
VAGRANT_USER_AGENT = "Vagrant/2.4.1 zoneweaver.illumos/0.1"
RETRY_STATUSES = frozenset((500, 502, 503, 504))
JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
CHECKSUM_TYPES = ("MD5", "SHA1", "SHA256", "SHA384", "SHA512")
_SESSIONS = {}


def normalize_checksum_type(value):
    """BoxVault's checksumType (or the metadata's checksum_type) -> 'SHA256'...; None when unset.

    BoxVault removes '-' and compares case-insensitively; NULL means none.
    """
    if value is None:
        return None
    text = str(value).replace("-", "").replace("_", "").strip().upper()
    if text in ("", "NULL", "NONE"):
        return None
    return text


def normalize_checksum(value):
    """A hex digest as BoxVault compares it: lower case, without '-'; None when empty."""
    if value is None:
        return None
    text = str(value).replace("-", "").strip().lower()
    return text or None


def _session_for(key):
    session = _SESSIONS.get(key)
    if session is None:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=2, pool_maxsize=8, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _SESSIONS[key] = session
    return session


def _seg(value):
    return quote(str(value), safe="")


def redact_url(url):
    """Drop the query's token (the download JWT of file/info)."""
    if not url:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "token"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _message(body):
    if isinstance(body, dict):
        for key in ("message", "error", "msg"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    if isinstance(body, str):
        text = re.sub(r"<[^>]+>", " ", body)
        return " ".join(text.split())[:200]
    return ""


class BoxVaultClient:
    """One BoxVault base URL with one set of credentials."""

    def __init__(self, url, token=None, username=None, password=None, validate_certs=True, ca_path=None,
                 timeout=30, retries=3, backoff=0.2):
        if not HAS_REQUESTS:
            raise TransportError("the Python library 'requests' is required on the controller "
                                 "(pip install requests): %s" % REQUESTS_IMPORT_ERROR)
        if not url or not str(url).startswith(("http://", "https://")):
            raise InputError("registry_url must be an http:// or https:// URL, got %r" % (url,),
                             hint="the base URL of BoxVault, e.g. https://boxvault.example.com")
        base = str(url).rstrip("/")
        if base.endswith("/api"):
            base = base[:-4]
        if token and (username or password):
            raise InputError("give either registry_token (or BOXVAULT_TOKEN) or registry_username/registry_password "
                             "(or BOXVAULT_USERNAME/BOXVAULT_PASSWORD), not both")
        if bool(username) != bool(password):
            raise InputError("registry_username and registry_password go together")
        self.url = base
        self.token = token or None
        self.username = username or None
        self.password = password or None
        self._jwt = token if token and JWT_RE.match(token) else None
        if self._jwt or self.username:
            self.auth_mode = "user"
        elif self.token:
            self.auth_mode = "service_account"
        else:
            self.auth_mode = "anonymous"
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.verify = ca_path if ca_path else bool(validate_certs)
        self.requests_made = 0
        self._session = _session_for((self.url, str(self.verify)))

    # ------------------------------------------------------------------ secrets and auth
    @property
    def secrets(self):
        """Values that must never be shown (for the adapters' no_log filtering)."""
        return [v for v in (self.token, self.password, self._jwt) if v]

    def login(self):
        """POST /api/auth/signin once; the JWT is kept for this client."""
        if self._jwt:
            return self._jwt
        if not self.username:
            return None
        body = {"username": self.username, "password": self.password, "stayLoggedIn": False}
        response = self._send("POST", "/api/auth/signin", {"Content-Type": "application/json"},
                              json.dumps(body, separators=(",", ":")).encode("utf-8"), vagrant=False)
        answer = self._decode(response)
        if response.status_code != 200 or not isinstance(answer, dict) or not answer.get("accessToken"):
            raise RegistryAuthError(
                "BoxVault sign-in as %r at %s failed: HTTP %s %s"
                % (self.username, self.url, response.status_code, _message(answer) or "no accessToken in the answer"),
                status=response.status_code,
                hint="check registry_username and registry_password (a local user must have verified their e-mail)")
        self._jwt = answer["accessToken"]
        return self._jwt

    def _auth_headers(self):
        if self.auth_mode == "user":
            return {"x-access-token": self.login()}
        if self.auth_mode == "service_account":
            return {"Authorization": "Bearer %s" % self.token}
        return {}

    @property
    def vagrant_reads(self):
        """A service-account token opens private reads only with the Vagrant User-Agent."""
        return self.auth_mode == "service_account"

    # ------------------------------------------------------------------ transport
    def request(self, method, path, params=None, body=None, vagrant=False, auth=True, stream=False, headers=None):
        """Send one request; return the decoded JSON of a 2xx answer, or the
        streaming response when stream=True. Raises Registry*Error otherwise."""
        method = method.upper()
        segments = [s for s in path.split("?")[0].split("/") if s]
        if vagrant and segments and segments[0] == "api" and len(segments) == 2:
            raise ValueError("refusing a Vagrant User-Agent on %s: BoxVault would read it as box %r of "
                             "organisation 'api'" % (path, segments[1]))
        if params:
            path = path + "?" + urlencode({k: v for k, v in params.items() if v is not None})
        all_headers = dict(headers or {})
        if auth:
            all_headers.update(self._auth_headers())
        data = None
        if body is not None or method in ("POST", "PUT"):
            data = json.dumps({} if body is None else body, separators=(",", ":")).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        response = self._send(method, path, all_headers, data, vagrant=vagrant, stream=stream)
        if stream and 200 <= response.status_code < 300:
            return response
        answer = self._decode(response)
        if 200 <= response.status_code < 300:
            if "html" in response.headers.get("Content-Type", ""):
                raise RegistryError(
                    "%s %s%s answered with an HTML page, not BoxVault's JSON" % (method, self.url, path.split("?")[0]),
                    status=response.status_code,
                    hint="check registry_url: the base URL of BoxVault, e.g. https://boxvault.example.com")
            return answer
        raise self._error(method, path, response.status_code, answer)

    def _send(self, method, path, headers, data, vagrant=False, stream=False):
        headers = dict(headers)
        headers.setdefault("Accept", "application/json" if not stream else "*/*")
        headers["User-Agent"] = VAGRANT_USER_AGENT if vagrant else USER_AGENT
        url = self.url + path
        shown = path.split("?")[0]
        attempt = 0
        while True:
            attempt += 1
            self.requests_made += 1
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", InsecureRequestWarning)
                    response = self._session.request(method, url, headers=headers, data=data, verify=self.verify,
                                                     timeout=(min(self.timeout, 10.0), self.timeout),
                                                     allow_redirects=False, stream=stream)
            except rex.SSLError as exc:
                raise TransportError("TLS verification failed for %s: %s" % (self.url, str(exc)[:300]),
                                     hint="trust the registry's certificate with registry_ca_path, "
                                          "or set registry_validate_certs: false (not recommended)")
            except rex.RequestException as exc:
                if method in ("GET", "HEAD") and attempt <= self.retries:
                    self._sleep(attempt)
                    continue
                raise TransportError("cannot reach BoxVault at %s (%s %s): %s" % (self.url, method, shown, str(exc)[:300]),
                                     hint="check registry_url and the network path to the registry")
            if response.status_code in RETRY_STATUSES and method in ("GET", "HEAD") and attempt <= self.retries:
                response.close()
                self._sleep(attempt)
                continue
            if response.status_code in (301, 302, 303, 307, 308):
                response.close()
                raise RegistryError("%s %s%s was redirected to %s" % (method, self.url, shown,
                                                                      redact_url(response.headers.get("Location"))),
                                    status=response.status_code,
                                    hint="use the final URL (often https://) as registry_url")
            return response

    def _sleep(self, attempt):
        delay = min(3.0, self.backoff * (2 ** (attempt - 1)))
        time.sleep(delay * random.uniform(0.5, 1.5))

    @staticmethod
    def _decode(response):
        text = response.text
        if "json" in response.headers.get("Content-Type", "") or text[:1] in ("{", "["):
            try:
                return json.loads(text) if text else {}
            except ValueError:
                return text
        return text

    def _error(self, method, path, status, body):
        where = "BoxVault %s %s" % (method, path.split("?")[0])
        said = _message(body) or "no error text"
        if status in (401, 403):
            if self.auth_mode == "anonymous":
                hint = ("the box is private or the endpoint needs credentials: set registry_token "
                        "(a BoxVault service-account token) or registry_username/registry_password")
            elif self.auth_mode == "service_account":
                hint = ("registry_token is wrong or expired, or its account is not a member of the box's "
                        "organisation")
            else:
                hint = "the BoxVault user is not a member of the box's organisation, or the login expired"
            return RegistryAuthError("%s: HTTP %s %s" % (where, status, said), status=status, hint=hint)
        if status == 404:
            return RegistryNotFoundError("%s: HTTP 404 %s" % (where, said), status=status)
        return RegistryError("%s failed with HTTP %s: %s" % (where, status, said), status=status)

    # ------------------------------------------------------------------ paths
    @staticmethod
    def box_path(org, box, *rest):
        path = "/api/organization/%s/box/%s" % (_seg(org), _seg(box))
        return path + "".join("/" + _seg(part) for part in rest)

    def file_path(self, org, box, version, provider, architecture, leaf):
        return self.box_path(org, box, "version", version, "provider", provider, "architecture",
                             architecture) + "/file/" + leaf

    def download_path(self, org, box, version, provider, architecture):
        return self.file_path(org, box, version, provider, architecture, "download")

    # ------------------------------------------------------------------ raw reads
    def discover(self):
        """GET /api/discover: public published boxes plus the caller's organisations' boxes."""
        return self.request("GET", "/api/discover")

    def organizations(self):
        """GET /api/organizations/discover (organisations with access mode public)."""
        return self.request("GET", "/api/organizations/discover")

    def organization_boxes(self, org):
        check_name(org, "organization", ORG_BOX_RE)
        return self.request("GET", "/api/organization/%s/box" % _seg(org))

    def box(self, org, box):
        check_name(org, "organization", ORG_BOX_RE)
        check_name(box, "box", ORG_BOX_RE)
        return self.request("GET", self.box_path(org, box))

    def versions(self, org, box):
        return self.request("GET", self.box_path(org, box, "version"))

    def providers(self, org, box, version):
        return self.request("GET", self.box_path(org, box, "version", version, "provider"),
                            vagrant=self.vagrant_reads)

    def architectures(self, org, box, version, provider):
        return self.request("GET", self.box_path(org, box, "version", version, "provider", provider, "architecture"),
                            vagrant=self.vagrant_reads)

    def file_info(self, org, box, version, provider, architecture):
        """.../file/info, with the download JWT removed from downloadUrl."""
        info = self.request("GET", self.file_path(org, box, version, provider, architecture, "info"),
                            vagrant=self.vagrant_reads)
        if isinstance(info, dict) and info.get("downloadUrl"):
            info = dict(info, downloadUrl=redact_url(info["downloadUrl"]))
        return info

    def vagrant_metadata(self, org, box):
        """GET /{org}/{box} as Vagrant asks for it (the Vagrant User-Agent is what selects it)."""
        check_name(org, "organization", ORG_BOX_RE)
        check_name(box, "box", ORG_BOX_RE)
        return self.request("GET", "/%s/%s" % (_seg(org), _seg(box)), vagrant=True)

    def stream(self, path, headers=None):
        """GET a download as a streaming response (the caller closes it)."""
        return self.request("GET", path, stream=True, headers=headers)

    # ------------------------------------------------------------------ normalised views
    def catalog(self, org=None, box=None):
        """Boxes as normalised dictionaries (see normalize_box): one box, an
        organisation's boxes, or everything /api/discover shows the caller."""
        if box:
            if not org:
                raise InputError("box needs organization")
            return [self.box_catalog(org, box)]
        if org:
            return [normalize_box(b, org) for b in self.organization_boxes(org) or ()]
        return [normalize_box(b) for b in self.discover() or ()]

    def box_catalog(self, org, box):
        """One box with its versions, providers, architectures and files.

        The API detail first; when it refuses a service-account token (the
        matrix of 2.2), the Vagrant metadata, which that token opens."""
        try:
            return normalize_box(self.box(org, box), org)
        except RegistryAuthError:
            if self.auth_mode != "service_account":
                raise
        return normalize_vagrant(self.vagrant_metadata(org, box), org, box)

    def resolve(self, org, box, selector=None, provider="zone", architecture="amd64", catalog=None):
        """Pick the version a selector means, among the versions that have a file
        for provider/architecture. Returns the file's facts; raises
        RegistryNotFoundError naming what is available when nothing matches."""
        check_name(provider, "provider")
        check_name(architecture, "architecture")
        entry = catalog or self.box_catalog(org, box)
        facts = pick(entry, selector, provider, architecture)
        if facts["size"] is None:
            try:
                info = self.file_info(org, box, facts["version"], provider, architecture)
            except (RegistryAuthError, RegistryNotFoundError):
                info = None
            if isinstance(info, dict):
                facts["size"] = info.get("fileSize")
                if not facts["checksum"]:
                    facts["checksum"] = normalize_checksum(info.get("checksum"))
                    facts["checksum_type"] = normalize_checksum_type(info.get("checksumType")) \
                        if facts["checksum"] else None
        return facts


# ---------------------------------------------------------------------- normalisation
def pick(entry, selector, provider="zone", architecture="amd64"):
    """The version a selector means in a normalised box (see normalize_box),
    among the versions with a file for provider/architecture. Returns the
    file's facts; raises RegistryNotFoundError naming what is available."""
    check_name(provider, "provider")
    check_name(architecture, "architecture")
    selector = selector if isinstance(selector, Selector) else Selector(selector)
    org, box = entry["organization"], entry["name"]
    offers = {}
    for version in entry["versions"]:
        arch = find_file(version, provider, architecture)
        if arch is not None:
            offers[version["version"]] = (version, arch)
    chosen = selector.select(list(offers))
    if chosen is None:
        newest = sort_versions(offers, reverse=True)[:10]
        raise RegistryNotFoundError(
            "no version of %s/%s matches %r for provider %s, architecture %s (available: %s)"
            % (org, box, selector.text, provider, architecture, ", ".join(newest) or "none"),
            hint="pick one of the available versions, or widen the version constraint")
    version, arch = offers[chosen]
    return {"organization": org, "box": box, "version": chosen, "provider": provider,
            "architecture": architecture, "checksum": arch.get("checksum"),
            "checksum_type": arch.get("checksum_type"), "size": arch.get("size"),
            "file_name": arch.get("file_name") or "vagrant.box", "deprecated": version.get("deprecated"),
            "source": entry.get("source")}


def find_file(version, provider, architecture):
    """The architecture entry of a normalised version that has a file, or None."""
    for prov in version.get("providers") or ():
        if prov["name"] != provider:
            continue
        for arch in prov.get("architectures") or ():
            if arch["name"] == architecture and arch.get("available"):
                return arch
    return None


def _arch_view(arch):
    files = arch.get("files") or []
    first = files[0] if files else None
    checksum = normalize_checksum(first.get("checksum")) if first else None
    return {"name": arch.get("name"), "default": bool(arch.get("defaultBox")), "available": first is not None,
            "file_name": first.get("fileName") if first else None,
            "size": first.get("fileSize") if first else None,
            "checksum": checksum,
            "checksum_type": normalize_checksum_type(first.get("checksumType")) if checksum else None,
            "download_count": first.get("downloadCount") if first else None}


def normalize_box(box, org=None):
    """BoxVault's nested box (discover / organisation list / detail) -> our shape."""
    organization = box.get("organization") if isinstance(box.get("organization"), dict) else {}
    versions = []
    for version in box.get("versions") or ():
        providers = [{"name": p.get("name"), "architectures": [_arch_view(a) for a in p.get("architectures") or ()]}
                     for p in version.get("providers") or ()]
        versions.append({"version": version.get("versionNumber"), "description": version.get("description"),
                         "deprecated": bool(version.get("deprecated")),
                         "deprecation_reason": version.get("deprecationReason"), "providers": providers})
    versions.sort(key=lambda v: Version(v["version"] or "").key, reverse=True)
    return {"organization": organization.get("name") or org, "name": box.get("name"),
            "description": box.get("description"), "is_public": box.get("isPublic"),
            "published": box.get("published"), "owner": (box.get("user") or {}).get("username"),
            "source": "api", "versions": versions}


def normalize_vagrant(meta, org, box):
    """Vagrant metadata -> our shape (no sizes; 'v' already stripped by BoxVault;
    one provider entry per provider/architecture pair; empty checksum = none)."""
    versions = []
    for version in (meta or {}).get("versions") or ():
        providers = {}
        for entry in version.get("providers") or ():
            checksum = normalize_checksum(entry.get("checksum"))
            providers.setdefault(entry.get("name"), []).append({
                "name": entry.get("architecture"), "default": bool(entry.get("default_architecture")),
                "available": True, "file_name": "vagrant.box", "size": None, "checksum": checksum,
                "checksum_type": normalize_checksum_type(entry.get("checksum_type")) if checksum else None,
                "download_count": None})
        versions.append({"version": strip_v(version.get("version")), "description": version.get("description_markdown"),
                         "deprecated": None, "deprecation_reason": None,
                         "providers": [{"name": name, "architectures": archs} for name, archs in providers.items()]})
    versions.sort(key=lambda v: Version(v["version"] or "").key, reverse=True)
    return {"organization": org, "name": box, "description": (meta or {}).get("description"), "is_public": None,
            "published": None, "owner": None, "source": "vagrant", "versions": versions}
