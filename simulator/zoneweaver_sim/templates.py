"""Templates through the agent (agent-api.md section 6, hyperweaver-boxvault.md part 3).

Sources are `sim.template_sources` (the Simulator's `template_sources` option), read on every
request so a test may change them on a running simulator:
    [{name, url, enabled=True, default=False, auth_token=None,
      username=None (0.2: sign in with username + auth_token), organization=None (0.2 listing only),
      verify_ssl=True, ca_file=None}]

Routes, both generations unless noted:
- GET /templates/sources: 0.3.9 {sources:[{name,url,enabled,default}]}, 0.2 {sources:[{name,type:"vagrant",
  url,organization,verify_ssl}]}.
- GET /templates/remote/:source: BoxVault /api/discover passed through (plain User-Agent
  "Zoneweaver/1.0.0"); GET /templates/remote/:source/:org/:box: the Vagrant metadata passed
  through. Unknown source 404; upstream 404 -> 404; other upstream failures 502 {error, details}.
- POST /templates/pull {organization, box_name, version, source_name?, provider="zone",
  architecture="amd64"} (0.2: all six required): version "latest" -> 400 with a hint, unknown
  source -> 400, already local -> 409 {error, template_id}, else 202 {success, message, task_id} and a
  `template_download` task (scope "system", category lock "template") that REALLY downloads from the
  source: file/info for fileSize (0.3.9 only), a plain GET of file/download with the Vagrant UA and the
  source's Bearer token (no Range, no resume, no size check: a cut transfer fails the task), sha256 of
  the file (stored, never compared with the registry's), the top-level *.zss and metadata.json read
  from the gzip tar (a missing .zss fails the task), then the dataset
  rpool/templates/{org}/{box}/{version} (a volume for bhyve/kvm boxes, else a filesystem; volsize
  from metadata.json "volsize", a simulator-only key, default 20G) and its @ready snapshot, and the
  Template row. Progress: connecting_to_registry 5, downloading 10..50 with received_bytes/
  total_bytes, calculating_checksum 50, extracting_box 55, creating_zfs_dataset 70,
  importing_zfs_stream 75, creating_snapshot 90, saving_record 95.
- Local templates: 0.3.9 GET /templates, GET|DELETE /templates/:id; 0.2 GET /templates/local,
  GET|DELETE /templates/local/:id. List {templates:[row (+available_pools on 0.3.9)], total};
  unknown id 404 {"error":"Template not found"}; DELETE -> 202 and a `template_delete` task (fails
  while clones of @ready exist).

Deviations (simulator choices): names are checked against BoxVault's rules (400) because the
agent would put them unquoted into shell commands; the 409 check matches organisation, box,
version, provider and architecture; the detail answers the row itself.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import ssl
import tarfile
import tempfile
import threading
import urllib.error
import urllib.request

from .server import Response, error
from .tasks import TaskFailure, add_line, queue_host_task
from .util import new_uuid, now_iso, parse_size

VAGRANT_UA = "Vagrant/2.2.19 Zoneweaver/1.0.0"
PLAIN_UA = "Zoneweaver/1.0.0"
LOCAL_STORAGE = "rpool/templates"
DOWNLOAD_TIMEOUT = 120.0
DEFAULT_VOLSIZE = 20 << 30
ORG_BOX_RE = re.compile(r"^[A-Za-z0-9.-]+$")
NAME_RE = re.compile(r"^(?!.*\.\.)[0-9a-zA-Z_][0-9a-zA-Z\-._]*$")
_DOWNLOADS: dict[str, dict] = {}      # task id -> {thread, result}; never in the persisted state


# --------------------------------------------------------------------------- sources


def sources(sim) -> list[dict]:
    out = []
    for entry in getattr(sim, "template_sources", None) or ():
        src = {"name": entry["name"], "url": str(entry["url"]).rstrip("/"), "enabled": entry.get("enabled", True),
               "default": bool(entry.get("default", False)), "auth_token": entry.get("auth_token"),
               "username": entry.get("username"), "organization": entry.get("organization"),
               "verify_ssl": entry.get("verify_ssl", True), "ca_file": entry.get("ca_file")}
        out.append(src)
    return out


def find_source(sim, name: str | None) -> dict | None:
    srcs = [s for s in sources(sim) if s["enabled"]]
    if name:
        return next((s for s in srcs if s["name"] == name), None)
    return next((s for s in srcs if s["default"]), srcs[0] if srcs else None)


class Upstream(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _ssl_context(src: dict):
    if not src["url"].startswith("https://"):
        return None
    ctx = ssl.create_default_context(cafile=src.get("ca_file"))
    if not src.get("verify_ssl", True):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _auth_headers(sim, src: dict) -> dict:
    token = src.get("auth_token")
    if not token:
        return {}
    if sim.dialect.is_a:
        return {"Authorization": f"Bearer {token}"}
    # 0.2: sign in with {username, password: api_key}, or use a JWT-shaped key as is
    if token.count(".") == 2:
        return {"x-access-token": token}
    if src.get("username"):
        body = json.dumps({"username": src["username"], "password": token, "stayLoggedIn": True}).encode()
        status, data, _headers = _call(src, "POST", "/api/auth/signin", {"Content-Type": "application/json"}, body)
        if status != 200:
            raise Upstream(status, f"Request failed with status code {status}")
        return {"x-access-token": json.loads(data)["accessToken"]}
    return {"Authorization": f"Bearer {token}"}   # [guess] 0.2 without a username


def _call(src: dict, method: str, path: str, headers: dict, body: bytes | None = None, timeout: float = 30.0,
          stream: bool = False):
    request = urllib.request.Request(src["url"] + path, data=body, method=method, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout, context=_ssl_context(src))
    except urllib.error.HTTPError as exc:
        data = exc.read()
        exc.close()
        return exc.code, data, dict(exc.headers)
    except (urllib.error.URLError, OSError) as exc:
        raise Upstream(0, f"connect failed: {getattr(exc, 'reason', exc)}") from None
    if stream:
        return response.status, response, dict(response.headers)
    with response:
        return response.status, response.read(), dict(response.headers)


def _get_json(sim, src: dict, path: str, vagrant: bool):
    headers = {"User-Agent": VAGRANT_UA if vagrant else PLAIN_UA, "Accept": "application/json"}
    headers.update(_auth_headers(sim, src))
    status, data, _headers = _call(src, "GET", path, headers)
    if status != 200:
        raise Upstream(status, f"Request failed with status code {status}")
    try:
        return json.loads(data)
    except ValueError:
        raise Upstream(502, "Unexpected answer from the registry (not JSON)") from None


# --------------------------------------------------------------------------- the download task


def _worker(sim, t: dict, src: dict, ref: dict, tmp_path: str, result: dict) -> None:
    """Runs in its own thread, never under the state lock: the HTTP transfer and the
    tar read. Publishes progress by assigning fresh values to the task row."""
    org, box, version = ref["organization"], ref["box_name"], ref["version"]
    provider, arch = ref["provider"], ref["architecture"]
    base = (f"/api/organization/{org}/box/{box}/version/{version}/provider/{provider}"
            f"/architecture/{arch}/file")
    lines = result["lines"]

    def progress(pct: int, status: str, **extra):
        t["progress_percent"] = pct
        t["progress_info"] = {"status": status, **extra}
        t["updatedAt"] = now_iso()

    try:
        progress(5, "connecting_to_registry")
        lines.append(f"Connecting to template source {src['name']} ({src['url']})")
        auth = _auth_headers(sim, src)
        total = None
        if sim.dialect.is_a:
            try:
                status, data, _info_headers = _call(src, "GET", base + "/info", dict(auth, **{"User-Agent": VAGRANT_UA}))
                if status == 200:
                    total = json.loads(data).get("fileSize")
            except (Upstream, ValueError):
                pass
        url = src["url"] + base + "/download"
        lines.append(f"Downloading {org}/{box} v{version} ({provider}/{arch}) from {src['url']}")
        status, response, answer_headers = _call(src, "GET", base + "/download",
                                                 dict(auth, **{"User-Agent": VAGRANT_UA}),
                                                 stream=True, timeout=DOWNLOAD_TIMEOUT)
        if status != 200:
            raise Upstream(status, f"Request failed with status code {status}")
        received = 0
        sha = hashlib.sha256()
        progress(10, "downloading", received_bytes=0, total_bytes=total)
        try:
            with response, open(tmp_path, "wb") as out:
                while True:
                    chunk = response.read(1 << 16)
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    pct = 10 + int(40 * received / total) if total else 10
                    progress(min(pct, 50), "downloading", received_bytes=received, total_bytes=total)
        except Exception as exc:   # IncompleteRead, a reset socket: what axios reports as "aborted"
            raise Upstream(0, f"aborted ({type(exc).__name__})") from None
        length = answer_headers.get("Content-Length")
        if length and length.isdigit() and received < int(length):
            # Node's stream errors when the socket closes before Content-Length (http.client just stops)
            raise Upstream(0, f"aborted after {received} of {length} bytes")
        lines.append(f"Downloaded {received} bytes to {tmp_path}")
        progress(50, "calculating_checksum")
        with open(tmp_path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                sha.update(chunk)
        lines.append(f"sha256 {sha.hexdigest()}")
        progress(55, "extracting_box")
        lines.append(f"pfexec tar xzf {tmp_path} -C {os.path.dirname(tmp_path)}")
        zss_size, metadata = _read_box(tmp_path)
        result.update(size=received, checksum=sha.hexdigest(), zss_size=zss_size, metadata=metadata,
                      source_url=url, ok=True)
    except Upstream as exc:
        result["error"] = f"Template download failed: {exc.message}"
    except TaskFailure as exc:
        result["error"] = str(exc)
    except Exception as exc:   # a simulator bug must still end the task
        result["error"] = f"Template download failed: {exc}"


def _read_box(path: str):
    """What the agent does after `tar xzf`: the first top-level *.zss, and metadata.json."""
    zss_size, metadata = None, None
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if "/" in name.strip("/") or not member.isfile():
                    continue
                if name.endswith(".zss") and zss_size is None:
                    zss_size = member.size
                elif name == "metadata.json":
                    try:
                        metadata = json.loads(tar.extractfile(member).read().decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        metadata = None       # the agent only logs a warning
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise TaskFailure(f"Failed to extract box file: tar: {exc}") from None
    if zss_size is None:
        raise TaskFailure("No ZFS send stream (.zss) found in box file")
    return zss_size, metadata


def download_begin(sim, t):
    pull = t["_ctx"].get("pull")
    if pull is None:   # a download queued by a zone create: the executors' own step
        add_line(t, f"Running {t['operation']}")
        return
    src = find_source(sim, pull["source_name"])
    if src is None:
        raise TaskFailure(f"Template source '{pull['source_name']}' not found")
    tmp_dir = os.path.join(sim.state_dir, "tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix="template_download_", suffix=".box", dir=tmp_dir)
    os.close(fd)
    result = {"lines": [], "error": None, "tmp": tmp_path}
    thread = threading.Thread(target=_worker, args=(sim, t, src, pull, tmp_path, result),
                              name=f"template-download-{t['id'][:8]}", daemon=True)
    _DOWNLOADS[t["id"]] = {"thread": thread, "result": result}
    thread.start()


def download_finish(sim, t):
    pull = t["_ctx"].get("pull")
    if pull is None:
        from . import executors
        executors.template_download_finish(sim, t)
        return
    job = _DOWNLOADS.pop(t["id"], None)
    if job is None:
        raise TaskFailure("Agent restarted while task was running")
    job["thread"].join(DOWNLOAD_TIMEOUT)
    result = job["result"]
    try:
        for line in result["lines"]:
            add_line(t, line)
        if job["thread"].is_alive():
            raise TaskFailure(f"Template download failed: timeout of {int(DOWNLOAD_TIMEOUT * 1000)}ms exceeded")
        if result["error"]:
            raise TaskFailure(result["error"])
        _import(sim, t, pull, result)
    finally:
        _remove(result["tmp"])


def download_fail(sim, t):
    job = _DOWNLOADS.pop(t["id"], None)
    if job is not None:
        _remove(job["result"]["tmp"])


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _import(sim, t, ref: dict, result: dict) -> None:
    st = sim.state
    org, box, version = ref["organization"], ref["box_name"], ref["version"]
    ds = f"{LOCAL_STORAGE}/{org}/{box}/{version}"
    metadata = result["metadata"] or {}
    t["progress_percent"], t["progress_info"] = 70, {"status": "creating_zfs_dataset"}
    add_line(t, f"pfexec zfs create -p {ds}")
    dependents = [n for n, d in st.datasets.items() if (d.get("origin") or "").startswith(ds + "@")]
    if dependents:
        raise TaskFailure(f"cannot receive new filesystem stream: destination {ds} has dependent clones: "
                          + ", ".join(sorted(dependents)))
    t["progress_percent"], t["progress_info"] = 75, {"status": "importing_zfs_stream"}
    add_line(t, f"pfexec zfs recv -u -v -F {ds} < box.zss")
    if ds in st.datasets:
        st.destroy_dataset(ds)   # recv -F replaces it (another provider/architecture of this version)
    st.ensure_parents(ds)
    brand = str(metadata.get("brand") or "bhyve")
    if brand in ("bhyve", "kvm"):
        volsize = parse_size(metadata.get("volsize")) or DEFAULT_VOLSIZE
        st.add_dataset(ds, "volume", volsize=volsize, refer=result["zss_size"],
                       properties={"volsize": str(volsize)})
    else:
        st.add_dataset(ds, "filesystem", refer=result["zss_size"])
    add_line(t, f"received {result['zss_size']}B stream into {ds}")
    t["progress_percent"], t["progress_info"] = 90, {"status": "creating_snapshot"}
    add_line(t, f"pfexec zfs snapshot {ds}@ready")
    st.add_dataset(f"{ds}@ready", "snapshot")
    t["progress_percent"], t["progress_info"] = 95, {"status": "saving_record"}
    now = now_iso()
    tid = new_uuid()
    st.templates[tid] = {
        "id": tid, "source_name": ref["source_name"], "organization": org, "box_name": box, "version": version,
        "provider": ref["provider"], "architecture": ref["architecture"], "dataset_path": ds,
        "original_filename": f"{box}-{version}-{ref['provider']}-{ref['architecture']}.box",
        "size": result["size"], "checksum": result["checksum"], "checksum_algorithm": "sha256",
        "source_url": result["source_url"], "downloaded_at": now, "last_verified": now,
        "metadata": result["metadata"], "created_at": now, "updated_at": now}
    st.dirty = True
    add_line(t, f"Template {org}/{box} v{version} imported as {tid}")
    t["progress_info"] = {"status": "completed"}   # the task keeps no result: clients re-read /templates


def delete_finish(sim, t):
    st = sim.state
    row = st.templates.get(t["_ctx"]["template_id"])
    if row is None:
        raise TaskFailure("Template not found")
    ds = row["dataset_path"]
    dependents = [n for n, d in st.datasets.items() if (d.get("origin") or "").startswith(ds + "@")]
    if dependents:
        raise TaskFailure(f"cannot destroy '{ds}': filesystem has dependent clones\n"
                          "use '-R' to destroy the following datasets:\n" + "\n".join(sorted(dependents)))
    add_line(t, f"pfexec zfs destroy -r {ds}")
    if ds in st.datasets:
        st.destroy_dataset(ds)
    del st.templates[row["id"]]
    st.dirty = True
    add_line(t, f"Template {row['organization']}/{row['box_name']} v{row['version']} deleted")


def _begin_line(sim, t):
    add_line(t, f"Running {t['operation']}")


def _noop(sim, t):
    pass


EXECUTORS = {
    "template_download": (download_begin, download_finish, download_fail),
    "template_delete": (_begin_line, delete_finish, _noop),
}


# --------------------------------------------------------------------------- routes


def register(router, sim):
    d = sim.dialect
    st = sim.state
    local = "/templates" if d.is_a else "/templates/local"

    def list_sources(req):
        if d.is_a:
            rows = [{"name": s["name"], "url": s["url"], "enabled": s["enabled"], "default": s["default"]}
                    for s in sources(sim)]
        else:
            rows = [{"name": s["name"], "type": "vagrant", "url": s["url"], "organization": s["organization"],
                     "verify_ssl": s["verify_ssl"]} for s in sources(sim)]
        return Response(200, {"sources": rows})

    def _source_or_404(name):
        src = find_source(sim, name)
        if src is None:
            raise error(404, f"Template source '{name}' not found")
        return src

    def remote_list(req):
        src = _source_or_404(req.params["source"])
        try:
            return Response(200, _get_json(sim, src, "/api/discover", vagrant=False))
        except Upstream as exc:
            raise error(502, "Failed to fetch templates from remote source", details=exc.message) from None

    def remote_box(req):
        src = _source_or_404(req.params["source"])
        org, box = req.params["org"], req.params["box"]
        try:
            return Response(200, _get_json(sim, src, f"/{org}/{box}", vagrant=True))
        except Upstream as exc:
            if exc.status == 404:
                raise error(404, f"Box {org}/{box} not found in source {src['name']}", details=exc.message) from None
            raise error(502, "Failed to fetch box details from remote source", details=exc.message) from None

    def pull(req):
        body = req.body if isinstance(req.body, dict) else {}
        fields = {k: body.get(k) for k in ("source_name", "organization", "box_name", "version", "provider",
                                           "architecture")}
        if d.is_a:
            if not (fields["organization"] and fields["box_name"] and fields["version"]):
                raise error(400, "organization, box_name, and version are required")
            fields["provider"] = fields["provider"] or "zone"
            fields["architecture"] = fields["architecture"] or "amd64"
        elif not all(fields.values()):
            raise error(400, "source_name, organization, box_name, version, provider, and architecture are required")
        if str(fields["version"]).lower() == "latest":
            raise error(400, "A concrete version is required; 'latest' cannot be pulled",
                        hint=f"GET /templates/remote/{{source}}/{fields['organization']}/{fields['box_name']} "
                             "lists the available versions")
        for key, rule in (("organization", ORG_BOX_RE), ("box_name", ORG_BOX_RE), ("version", NAME_RE),
                          ("provider", NAME_RE), ("architecture", NAME_RE)):
            if not isinstance(fields[key], str) or not rule.match(fields[key]):
                raise error(400, f"Invalid {key}: must match BoxVault's naming rules", provided=fields[key])
        src = find_source(sim, fields["source_name"])
        if src is None:
            raise error(400, f"Template source '{fields['source_name']}' not found" if fields["source_name"]
                        else "No default template source configured")
        fields["source_name"] = src["name"]
        for row in st.templates.values():
            keys = ("organization", "box_name", "version", "provider", "architecture")
            if all(row.get(k) == fields[k] for k in keys):
                raise error(409, "Template already exists locally", template_id=row["id"])
        t = queue_host_task(sim, req, "template_download", metadata=dict(fields), ctx={"pull": dict(fields)})
        return Response(202, {"success": True, "task_id": t["id"],
                              "message": f"Download task created for {fields['organization']}/"
                                         f"{fields['box_name']} v{fields['version']}"})

    def _row(row):
        out = dict(row)
        if d.is_a:
            out["available_pools"] = sorted(st.pools)
        return out

    def list_local(req):
        rows = sorted(st.templates.values(), key=lambda r: (r["organization"], r["box_name"], r["created_at"]))
        return Response(200, {"templates": [_row(r) for r in rows], "total": len(rows)})

    def _template(req):
        row = st.templates.get(req.params["id"])
        if row is None:
            raise error(404, "Template not found")
        return row

    def detail(req):
        return Response(200, _row(_template(req)))

    def delete(req):
        row = _template(req)
        t = queue_host_task(sim, req, "template_delete", metadata={"template_id": row["id"]},
                            ctx={"template_id": row["id"]})
        return Response(202, {"success": True, "task_id": t["id"],
                              "message": f"Delete task created for template {row['organization']}/"
                                         f"{row['box_name']} v{row['version']}"})

    router.add("GET", "/templates/sources", list_sources)
    router.add("GET", "/templates/remote/:source/:org/:box", remote_box)
    router.add("GET", "/templates/remote/:source", remote_list)
    router.add("POST", "/templates/pull", pull, needs_body=True,
               body_fail={"error": "Failed to create download task",
                          "details": "Cannot destructure property 'organization' of 'req.body' as it is undefined."})
    router.add("GET", local, list_local)
    router.add("GET", local + "/:id", detail)
    router.add("DELETE", local + "/:id", delete)
