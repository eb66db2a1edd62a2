# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent's artifact store (agent-api.md section 7): storage paths, rows,
the two-step upload (prepare, then multipart field `file`), download from a
URL, file download and deletion.

Files are streamed both ways (a multipart body read from disk as it is sent,
downloads written in chunks), so an ISO never has to fit in memory. Both
need a direct agent connection: the Hyperweaver relay carries JSON only.
"""

from __future__ import annotations

import hashlib
import os
import uuid

from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.tasks import task_ids_of
from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError

ALGORITHMS = ("sha256", "sha1", "md5")
CHUNK = 1024 * 1024


def file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class MultipartFile:
    """A multipart/form-data body with one file field, read lazily from disk.

    Has a length, so requests sends Content-Length instead of chunked encoding.
    """

    def __init__(self, path, field, filename):
        self.boundary = "zoneweaver-%s" % uuid.uuid4().hex
        head = ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n" % (self.boundary, field, filename))
        self._parts = [head.encode("utf-8"), None, ("\r\n--%s--\r\n" % self.boundary).encode("ascii")]
        self._size = os.path.getsize(path)
        # closed in close(), once the body has been sent
        self._handle = open(path, "rb")  # pylint: disable=consider-using-with
        self._index = 0
        self._offset = 0

    @property
    def content_type(self):
        return "multipart/form-data; boundary=%s" % self.boundary

    def __len__(self):
        return len(self._parts[0]) + self._size + len(self._parts[2])

    def read(self, size=-1):
        size = CHUNK if size is None or size < 0 else size
        out = b""
        while len(out) < size and self._index < 3:
            part = self._parts[self._index]
            if part is None:
                block = self._handle.read(size - len(out))
                if not block:
                    self._index += 1
                    continue
                out += block
                continue
            block = part[self._offset:self._offset + size - len(out)]
            self._offset += len(block)
            out += block
            if self._offset >= len(part):
                self._index += 1
                self._offset = 0
        return out

    def close(self):
        self._handle.close()


def _direct(client):
    from ansible_collections.zoneweaver.illumos.plugins.module_utils.agent.client import AgentClient
    if not isinstance(client, AgentClient):
        raise ZoneweaverError("artifact files can only be sent to or read from an agent directly",
                              hint="use api_url and api_key for this task instead of hyperweaver_url")
    return client


def _headers(client, extra=None):
    headers = {"User-Agent": "zoneweaver.illumos"}
    headers.update(client.extra_headers)
    if client.api_key:
        headers["Authorization"] = "Bearer %s" % client.api_key
    headers.update(extra or {})
    return headers


class ArtifactApi:
    """timeout=None on a mutation: start the agent's task and do not wait for it."""

    def __init__(self, api):
        self.api = api
        self.client = api.client

    def _wait(self, answer, operation, timeout):
        answer = dict(answer, operation=operation)
        if timeout is None:
            return task_ids_of(answer)
        return self.api.wait_for(answer, timeout)

    def storage_paths(self):
        answer = self.client.get("/artifacts/storage/paths")
        return answer.get("paths") or []

    def find(self, location_id, filename):
        """The artifact row named `filename` in a storage location, or None (pages through the list)."""
        offset = 0
        while True:
            answer = self.client.get("/artifacts", params={"storage_path_id": location_id, "search": filename,
                                                           "limit": 200, "offset": offset})
            rows = answer.get("artifacts") or []
            for row in rows:
                if row.get("filename") == filename and row.get("storage_location_id", location_id) == location_id:
                    return row
            page = answer.get("pagination") or {}
            if not page.get("has_more") or not rows:
                return None
            offset += len(rows)

    def get(self, artifact_id):
        return self.client.get("/artifacts/%s" % self.client.segment(artifact_id))

    def upload(self, location_id, src, filename, algorithm, checksum, overwrite, timeout):
        """prepare + multipart upload + wait; returns the steps waited for."""
        client = _direct(self.client)
        prepared = client.post("/artifacts/upload/prepare", body={
            "filename": filename, "size": os.path.getsize(src), "storage_path_id": location_id,
            "checksum": checksum, "checksum_algorithm": algorithm, "overwrite_existing": bool(overwrite)})
        task_id = prepared.get("task_id")
        path = "/artifacts/upload/%s" % client.segment(task_id)
        body = MultipartFile(src, "file", filename)
        try:
            # the one request that is not JSON: sent on the client's own session and TLS settings
            response = client._session.post(  # pylint: disable=protected-access
                client.url + path, data=body, headers=_headers(client, {"Content-Type": body.content_type,
                                                                        "Accept": "application/json"}),
                verify=client.verify, cert=client.cert, timeout=(min(client.timeout, 10.0), max(client.timeout, 600)),
                allow_redirects=False)
        finally:
            body.close()
        answer = client._decode("POST", path, response, False)  # pylint: disable=protected-access
        return self._wait(dict(answer, task_id=answer.get("task_id") or task_id), "artifact_upload", timeout)

    def download_url(self, location_id, url, filename, algorithm, checksum, overwrite, timeout):
        answer = self.client.post("/artifacts/download", body={
            "url": url, "storage_path_id": location_id, "filename": filename, "checksum": checksum,
            "checksum_algorithm": algorithm, "overwrite_existing": bool(overwrite)})
        return self._wait(answer, "artifact_download_url", timeout)

    def delete(self, artifact_id, timeout):
        answer = self.client.delete("/artifacts/files", body={"artifact_ids": [artifact_id], "delete_files": True})
        return self._wait(answer, "artifact_delete_file", timeout)

    def fetch(self, artifact_id, dest, algorithm):
        """Stream the file into dest (atomically, through a temporary file beside it); return its checksum."""
        client = _direct(self.client)
        path = "/artifacts/%s/download" % client.segment(artifact_id)
        response = client._session.get(  # pylint: disable=protected-access
            client.url + path, headers=_headers(client), verify=client.verify, cert=client.cert, stream=True,
            timeout=(min(client.timeout, 10.0), max(client.timeout, 600)), allow_redirects=False)
        if response.status_code != 200:
            client._decode("GET", path, response, False)  # pylint: disable=protected-access
        digest = hashlib.new(algorithm)
        directory = os.path.dirname(os.path.abspath(dest))
        tmp = os.path.join(directory, ".%s.%s.part" % (os.path.basename(dest), uuid.uuid4().hex[:8]))
        try:
            with open(tmp, "wb") as handle:
                for block in response.iter_content(CHUNK):
                    digest.update(block)
                    handle.write(block)
            return digest.hexdigest(), tmp
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        finally:
            response.close()
