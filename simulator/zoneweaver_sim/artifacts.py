"""Artifact storage (agent-api.md section 7, both generations): storage
paths, the artifact list and detail, the two-step upload (prepare, then a
multipart POST of field `file`), download from a URL, file download and
deletion. Mutations are tasks (`artifact_upload`, `artifact_download_url`,
`artifact_delete_file`, scope "artifact").

Files live in memory (`sim.artifact_store`), as bytes, with the checksum the
agent computes (sha256 unless the request names md5 or sha1). A download
task fetches its URL in a thread of its own (never under the state lock);
the URL must be reachable from the simulator (e.g. a local file server).
The surface is on by default; `sim.artifact_store["enabled"] = False` turns
it off (503 "Artifact storage is disabled", as with the agent's config gate).
"""
from __future__ import annotations

import copy
import hashlib
import os
import threading
import urllib.request
from email.parser import BytesParser
from email.policy import HTTP

from .server import Response, error
from .tasks import TERMINAL, TaskFailure, add_line, create_task, finish_task
from .util import new_uuid, now_iso

TYPES = ("iso", "image", "provisioning")
ALGORITHMS = ("md5", "sha1", "sha256")
EXTENSION_TYPES = {".iso": "iso", ".img": "image", ".raw": "image", ".qcow2": "image", ".vmdk": "image",
                   ".gz": "provisioning", ".tgz": "provisioning", ".zip": "provisioning"}
MIME = {".iso": "application/x-iso9660-image", ".gz": "application/gzip", ".tgz": "application/gzip",
        ".zip": "application/zip"}
FETCH_TIMEOUT = 30


def store(sim) -> dict:
    if not hasattr(sim, "artifact_store"):
        now = now_iso()
        paths = {}
        kinds = [("iso", "Default ISO Storage", "/data/isos"), ("image", "Default Image Storage", "/data/images")]
        if sim.dialect.is_a:   # the 0.2 spec knows iso and image locations only
            kinds.append(("provisioning", "Provisioning Artifacts", "/data/provisioning"))
        for kind, name, path in kinds:
            pid = new_uuid()
            paths[pid] = {"id": pid, "name": name, "path": path, "type": kind, "enabled": True,
                          "config_hash": hashlib.sha256(f"{name}:{path}:{kind}".encode()).hexdigest()[:16],
                          "created_at": now, "updated_at": now}
        sim.artifact_store = {"enabled": True, "paths": paths, "artifacts": {}, "content": {},
                              "uploads": {}, "fetches": {}}   # by task id: kept out of the (JSON) task rows
    return sim.artifact_store


def digest(data: bytes, algorithm: str) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def _gate(sim):
    if not store(sim)["enabled"]:
        raise error(503, "Artifact storage is disabled")


def _location(sim, location_id):
    loc = store(sim)["paths"].get(location_id) if isinstance(location_id, str) else None
    if loc is None:
        raise error(404, "Storage location not found")
    return loc


def _path_json(sim, loc) -> dict:
    rows = [a for a in store(sim)["artifacts"].values() if a["storage_location_id"] == loc["id"]]
    return dict(copy.deepcopy(loc), file_count=len(rows), total_size=sum(a["size"] for a in rows))


def _existing(sim, loc, filename):
    for row in store(sim)["artifacts"].values():
        if row["storage_location_id"] == loc["id"] and row["filename"] == filename:
            return row
    return None


def _checksum_args(body):
    algorithm = body.get("checksum_algorithm") or "sha256"
    if algorithm not in ALGORITHMS:
        raise error(400, f"checksum_algorithm must be one of: {', '.join(ALGORITHMS)}")
    checksum = body.get("checksum")
    if checksum is not None and not isinstance(checksum, str):
        raise error(400, "checksum must be a string")
    return checksum, algorithm


def _valid_filename(filename) -> bool:
    return isinstance(filename, str) and bool(filename) and "/" not in filename and filename not in (".", "..")


def save_artifact(sim, loc, filename, data: bytes, algorithm, source_url=None) -> dict:
    """Insert or replace the row of `filename` in `loc`, with its content."""
    st = store(sim)
    old = _existing(sim, loc, filename)
    now = now_iso()
    ext = os.path.splitext(filename)[1].lower()
    row = {"id": old["id"] if old else new_uuid(), "storage_location_id": loc["id"], "filename": filename,
           "path": f"{loc['path']}/{filename}", "size": len(data), "file_type": loc["type"],
           "extension": ext, "mime_type": MIME.get(ext, "application/octet-stream"),
           "checksum": digest(data, algorithm), "checksum_algorithm": algorithm, "source_url": source_url,
           "discovered_at": old["discovered_at"] if old else now, "last_verified": now,
           "created_at": old["created_at"] if old else now, "updated_at": now}
    row = {k: v for k, v in row.items() if v is not None}   # the Artifact schema has no nullable field
    st["artifacts"][row["id"]] = row
    st["content"][row["id"]] = data
    return row


# --------------------------------------------------------------------------- executors
def _verify(t, data, algorithm):
    expected = t["_ctx"].get("checksum")
    actual = digest(data, algorithm)
    add_line(t, f"{algorithm}: {actual}")
    if expected and expected.lower() != actual:
        raise TaskFailure(f"Checksum verification failed: expected {expected}, got {actual}")


def upload_finish(sim, t):
    ctx = t["_ctx"]
    data = store(sim)["uploads"].pop(t["id"], None)
    if data is None:
        raise TaskFailure("No file was uploaded for this task")
    loc = store(sim)["paths"][ctx["storage_path_id"]]
    _verify(t, data, ctx["algorithm"])
    row = save_artifact(sim, loc, ctx["filename"], data, ctx["algorithm"])
    add_line(t, f"Stored {row['path']} ({row['size']} bytes)")


def download_begin(sim, t):
    add_line(t, f"Downloading {t['_ctx']['url']}")


def download_finish(sim, t):
    ctx = t["_ctx"]
    fetch = store(sim)["fetches"].pop(t["id"], None)
    if fetch is None:
        raise TaskFailure("Download was not started")
    fetch["thread"].join(FETCH_TIMEOUT)
    if fetch.get("error") or "data" not in fetch:
        raise TaskFailure(f"Download failed: {fetch.get('error') or 'timed out'}")
    loc = store(sim)["paths"][ctx["storage_path_id"]]
    _verify(t, fetch["data"], ctx["algorithm"])
    row = save_artifact(sim, loc, ctx["filename"], fetch["data"], ctx["algorithm"], source_url=ctx["url"])
    add_line(t, f"Stored {row['path']} ({row['size']} bytes)")


def delete_finish(sim, t):
    st = store(sim)
    for artifact_id in t["_ctx"].get("artifact_ids") or ():
        row = st["artifacts"].pop(artifact_id, None)
        st["content"].pop(artifact_id, None)
        if row is not None:
            add_line(t, f"Deleted {row['path']}")


def _generic(sim, t):
    add_line(t, f"Running {t['operation']}")


def _noop(sim, t):
    pass


EXECUTORS = {
    "artifact_upload": (_generic, upload_finish, _noop),
    "artifact_download_url": (download_begin, download_finish, _noop),
    "artifact_delete_file": (_generic, delete_finish, _noop),
}


def _fetch(url, fetch):
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as answer:  # noqa: S310 (the user's URL)
            fetch["data"] = answer.read()
    except Exception as exc:  # any failure is the task's error message
        fetch["error"] = str(exc)


# --------------------------------------------------------------------------- routes
def register(router, sim):
    from . import executors
    executors.EXECUTORS.update(EXECUTORS)
    st = store(sim)

    def paths(req):
        _gate(sim)
        rows = [_path_json(sim, p) for p in st["paths"].values()]
        if req.q("type"):
            rows = [r for r in rows if r["type"] == req.q("type")]
        if req.q("enabled") in ("true", "false"):
            rows = [r for r in rows if r["enabled"] == (req.q("enabled") == "true")]
        return Response(200, {"paths": rows, "total_paths": len(rows)})

    def list_(req):
        _gate(sim)
        rows = list(st["artifacts"].values())
        if req.q("type"):
            rows = [r for r in rows if r["file_type"] == req.q("type")]
        if req.q("storage_path_id"):
            rows = [r for r in rows if r["storage_location_id"] == req.q("storage_path_id")]
        if req.q("search"):
            rows = [r for r in rows if str(req.q("search")).lower() in r["filename"].lower()]
        sort_by = req.q("sort_by") if req.q("sort_by") in ("filename", "size", "discovered_at") else "filename"
        rows.sort(key=lambda r: r[sort_by], reverse=(req.q("sort_order") == "desc"))
        try:
            limit, offset = int(req.q("limit") or 50), int(req.q("offset") or 0)
        except ValueError:
            raise error(400, "limit and offset must be integers") from None
        page = rows[offset:offset + limit]
        return Response(200, {"artifacts": copy.deepcopy(page),
                              "pagination": {"total": len(rows), "limit": limit, "offset": offset,
                                             "has_more": offset + len(page) < len(rows)}})

    def _row(req):
        _gate(sim)
        row = st["artifacts"].get(req.params["id"])
        if row is None:
            raise error(404, "Artifact not found")
        return row

    def detail(req):
        return Response(200, copy.deepcopy(_row(req)))

    def download_file(req):
        row = _row(req)
        return Response(200, st["content"][row["id"]], headers={
            "Content-Type": "application/octet-stream",   # as the spec documents the stream
            "Content-Disposition": f'attachment; filename="{row["filename"]}"'})

    def prepare(req):
        _gate(sim)
        body = req.body if isinstance(req.body, dict) else {}
        size = body.get("size")
        if not body.get("filename") or size is None or not body.get("storage_path_id"):
            raise error(400, "filename, size, and storage_path_id are required")
        if not _valid_filename(body["filename"]):
            raise error(400, "Invalid filename")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise error(400, "size must be a non-negative integer")
        checksum, algorithm = _checksum_args(body)
        loc = _location(sim, body["storage_path_id"])
        if _existing(sim, loc, body["filename"]) and not body.get("overwrite_existing"):
            raise error(400, f"File {body['filename']} already exists in {loc['name']}",
                        hint="set overwrite_existing to replace it")
        t = create_task(sim, "artifact", "artifact_upload", created_by=req.actor,
                        metadata={"filename": body["filename"], "size": size, "storage_path_id": loc["id"]},
                        ctx={"filename": body["filename"], "size": size, "storage_path_id": loc["id"],
                             "checksum": checksum, "algorithm": algorithm})
        t["status"] = "prepared"   # waits for the file; the poller dispatches pending tasks only
        return Response(200, {"success": True, "task_id": t["id"], "upload_url": f"/artifacts/upload/{t['id']}",
                              "expires_at": now_iso(), "message": "Upload prepared"})

    def upload(req):
        _gate(sim)
        t = sim.state.tasks.get(req.params["taskId"])
        if t is None or t["operation"] != "artifact_upload":
            raise error(404, "Task not found")
        if t["status"] != "prepared":
            raise error(400, f"Upload task is {t['status']}, not prepared")
        ctype = req.headers.get("Content-Type") or ""
        if not ctype.lower().startswith("multipart/form-data"):
            raise error(400, "No file uploaded (multipart field 'file' expected)")
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n"
                                                  + req.body_bytes)
        data = None
        for part in msg.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                data = part.get_payload(decode=True) or b""
        if data is None:
            raise error(400, "No file uploaded (multipart field 'file' expected)")
        if len(data) != t["_ctx"]["size"]:
            finish_task(sim, t, "failed", f"Size mismatch: prepared {t['_ctx']['size']} bytes, got {len(data)}")
            raise error(400, "Uploaded file size does not match the prepared size")
        st["uploads"][t["id"]] = data
        t["status"] = "pending"
        sim.engine.wake()
        return Response(202, {"success": True, "message": "File uploaded, processing started", "task_id": t["id"],
                              "file": {"filename": t["_ctx"]["filename"], "size": len(data)}})

    def download_url(req):
        _gate(sim)
        body = req.body if isinstance(req.body, dict) else {}
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or not body.get("storage_path_id"):
            raise error(400, "url (http or https) and storage_path_id are required")
        checksum, algorithm = _checksum_args(body)
        loc = _location(sim, body["storage_path_id"])
        filename = body.get("filename") or url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
        if not _valid_filename(filename):
            raise error(400, "Invalid filename")
        if _existing(sim, loc, filename) and not body.get("overwrite_existing"):
            raise error(400, f"File {filename} already exists in {loc['name']}",
                        hint="set overwrite_existing to replace it")
        fetch = {}
        fetch["thread"] = threading.Thread(target=_fetch, args=(url, fetch), daemon=True,
                                           name="zoneweaver-sim-artifact-download")
        fetch["thread"].start()
        t = create_task(sim, "artifact", "artifact_download_url", created_by=req.actor,
                        metadata={"url": url, "filename": filename, "storage_path_id": loc["id"]},
                        ctx={"url": url, "filename": filename, "storage_path_id": loc["id"], "checksum": checksum,
                             "algorithm": algorithm})
        st["fetches"][t["id"]] = fetch
        sim.engine.wake()
        return Response(202, {"success": True, "message": f"Download task created for {filename}",
                              "task_id": t["id"], "filename": filename, "url": url})

    def delete_files(req):
        _gate(sim)
        body = req.body if isinstance(req.body, dict) else {}
        ids = body.get("artifact_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise error(400, "artifact_ids must be a non-empty array")
        unknown = [i for i in ids if i not in st["artifacts"]]
        if unknown and not body.get("force"):
            raise error(400, f"Artifacts not found: {', '.join(unknown)}")
        t = create_task(sim, "artifact", "artifact_delete_file", created_by=req.actor,
                        metadata={"artifact_ids": ids, "delete_files": body.get("delete_files", True)},
                        ctx={"artifact_ids": [i for i in ids if i in st["artifacts"]]})
        sim.engine.wake()
        return Response(202, {"success": True, "message": f"Deletion task created for {len(ids)} artifact(s)",
                              "task_id": t["id"]})

    router.add("GET", "/artifacts/storage/paths", paths)
    router.add("POST", "/artifacts/upload/prepare", prepare)
    router.add("POST", "/artifacts/upload/:taskId", upload)
    router.add("POST", "/artifacts/download", download_url)
    router.add("DELETE", "/artifacts/files", delete_files)
    router.add("GET", "/artifacts", list_)
    router.add("GET", "/artifacts/:id/download", download_file)
    router.add("GET", "/artifacts/:id", detail)


__all__ = ["register", "store", "digest", "TERMINAL"]
