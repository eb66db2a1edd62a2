# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local templates through `zfs`: the native twin of agent/templates.py.

A template is the dataset <base>/<organization>/<box>/<version> (base:
rpool/templates, where the agent keeps them too) with its @ready snapshot, which
zones are cloned from. What the agent keeps in its database is kept here in user
properties of the dataset (zoneweaver:organization, :box, :version, :provider,
:architecture, :sha256, :checksum, :size, :source, :downloaded_at, :brand), so
`zfs list` alone tells which box and which provider/architecture variant a
dataset holds, and an import never overwrites another variant.

An import (import_box):
1. download the .box, verified on the fly (boxvault/download.py: checksum,
   size, resumed with Range after a break), straight into the unpacker: the box
   is never written to disk (boxvault/follow.py StreamingDownload);
2. unpack it as it arrives, every member checked (boxvault/boxfile.py), and pipe
   box.zss into `zfs recv -u <final>.partial-<random>`, its last piece only once
   the download is verified;
3. set the user properties, `zfs rename` to the final name, `zfs snapshot @ready`.
Any failure kills `zfs recv`, destroys the partial (or final) dataset and the
parents this import created: nothing is left behind.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.boxfile import DEFAULT_MAX_SIZE, stream_zss
from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.follow import (
    DownloadRestarted, StreamingDownload)
from ansible_collections.zoneweaver.illumos.plugins.module_utils.native.parsers import zfs as zfs_parser

DEFAULT_BASE = "rpool/templates"
READY = "ready"
PARTIAL = ".partial-"
PREFIX = "zoneweaver:"
KEYS = ("organization", "box", "version", "provider", "architecture", "sha256", "checksum", "size", "source",
        "downloaded_at", "brand")
PROPERTIES = tuple(PREFIX + key for key in KEYS)
LIST_FIELDS = ("name", "type", "volsize", "used", "creation") + PROPERTIES
MAX_RESTARTS = 5      # receives started again because the registry restarted the download


def _value(row, key):
    value = row.get(PREFIX + key)
    return None if value in (None, "-", "") else str(value)


def template_row(row, ready):
    """A `zfs list` row of a template dataset in the agent's template shape (plus ready/type/volsize)."""
    checksum = _value(row, "checksum")
    size = _value(row, "size")
    return {"id": row["name"], "source_name": None, "organization": _value(row, "organization"),
            "box_name": _value(row, "box"), "version": _value(row, "version"),
            "provider": _value(row, "provider"), "architecture": _value(row, "architecture"),
            "dataset_path": row["name"],
            "original_filename": "%s-%s-%s-%s.box" % (_value(row, "box"), _value(row, "version"),
                                                      _value(row, "provider"), _value(row, "architecture")),
            "size": int(size) if size and size.isdigit() else None,
            "checksum": _value(row, "sha256"), "checksum_algorithm": "sha256",
            "registry_checksum": checksum, "source_url": _value(row, "source"),
            "downloaded_at": _value(row, "downloaded_at"), "last_verified": _value(row, "downloaded_at"),
            "metadata": {"brand": _value(row, "brand")} if _value(row, "brand") else None,
            "ready": bool(ready), "type": row.get("type"), "volsize": row.get("volsize")}


class TemplateNativeBackend:
    """Templates of the host the module runs on. `runner` is a CommandRunner."""

    def __init__(self, runner, base=DEFAULT_BASE, warn=None):
        self.runner = runner
        self.base = base.strip("/")
        self.warn = warn or (lambda message: None)
        self._listed = set()    # datasets the last scan saw: their ancestors need no second look

    def dataset_of(self, org, box, version):
        return "%s/%s/%s/%s" % (self.base, org, box, version)

    # --- reads ------------------------------------------------------------
    def _rows(self, root):
        result = self.runner.read(["zfs", "list", "-H", "-p", "-o", ",".join(LIST_FIELDS),
                                   "-t", "filesystem,volume,snapshot", "-r", root], missing="zfs")
        return zfs_parser.parse_list(result.stdout, fields=LIST_FIELDS) if result else []

    def scan(self, root=None):
        """(templates, partials, others) under `root` (default: the base): templates are the
        datasets three levels below the base that carry our properties; partials are
        leftovers of interrupted imports; others are foreign datasets at template depth."""
        rows = self._rows(root or self.base)
        names = set(r["name"] for r in rows)
        self._listed = names
        depth = self.base.count("/") + 3
        templates, partials, others = [], [], []
        for row in rows:
            name = row["name"]
            if "@" in name or name.count("/") != depth:
                continue
            if PARTIAL in name.rsplit("/", 1)[1]:
                partials.append(name)
            elif _value(row, "box") and _value(row, "version"):
                templates.append(template_row(row, "%s@%s" % (name, READY) in names))
            else:
                others.append(row)
        return templates, partials, others

    def list(self):
        return self.scan()[0]

    def find(self, org, box, version=None):
        """Templates of org/box (one version or all), with leftovers and foreign datasets."""
        root = "%s/%s/%s" % (self.base, org, box)
        templates, partials, others = self.scan(root)
        if version is not None:
            final = self.dataset_of(org, box, version)
            templates = [t for t in templates if t["dataset_path"] == final]
            partials = [p for p in partials if p.startswith(final + PARTIAL)]
            others = [o for o in others if o["name"] == final]
        return templates, partials, others

    def exists(self, name):
        result = self.runner.read(["zfs", "list", "-H", "-o", "name", name], missing="zfs")
        return bool(result and result.stdout.strip())

    # --- changes ------------------------------------------------------------
    def destroy(self, name):
        self.runner.change(["zfs", "destroy", "-r", name])

    def _ensure_parents(self, dataset):
        """Create the missing ancestors (one `zfs list`, one `zfs create -p`); return those created, to undo them."""
        parts = dataset.split("/")
        ancestors = ["/".join(parts[:i]) for i in range(2, len(parts))]
        if ancestors and ancestors[-1] in self._listed:
            return []       # find() has just seen the parent, so every ancestor exists
        # zfs list prints the ones that exist and complains about the others (exit code 1)
        listed = self.runner.run(["zfs", "list", "-H", "-o", "name"] + ancestors, check=False)
        present = set(line.strip() for line in listed.stdout.splitlines())
        missing = [a for a in ancestors if a not in present]
        if missing:
            self.runner.change(["zfs", "create", "-p", missing[-1]])
        return missing

    def import_box(self, client, facts, checksum_policy="strict", download_dir=None, warn=None,
                   max_size=DEFAULT_MAX_SIZE):
        """Download, check and receive one box as <base>/<org>/<box>/<version>@ready.

        The download runs in a thread that hashes the body and hands it over a
        small bounded queue (boxvault/follow.py StreamingDownload) to the main
        thread, which unpacks it into `zfs recv`: nothing is written to disk. The
        download's verdict (checksum, size) comes before `zfs recv` gets the last
        piece of box.zss, and the received dataset keeps its temporary name until
        the end. `download_dir` is not needed any more (kept for compatibility).
        Returns (template row, stats). Raises the download's, the box's or the
        command's error after removing everything this import made."""
        org, box, version = facts["organization"], facts["box"], facts["version"]
        final = self.dataset_of(org, box, version)
        partial = "%s%s%s" % (final, PARTIAL, secrets.token_hex(4))
        stats = {"dataset": final}
        created = []
        made = None
        manifest = {}
        started = time.monotonic()
        what = "%s/%s %s (%s/%s)" % (org, box, version, facts["provider"], facts["architecture"])
        transfer = StreamingDownload(client, client.download_path(org, box, version, facts["provider"],
                                                                  facts["architecture"]),
                                     expected_checksum=facts.get("checksum"),
                                     checksum_type=facts.get("checksum_type"), expected_size=facts.get("size"),
                                     checksum_policy=checksum_policy, warn=warn, what=what)

        def receive(write):
            manifest.update(stream_zss(None, write, max_size=max_size, pieces=transfer.pieces(),
                                       what="box %s" % what))
            stats["download_seconds"] = time.monotonic() - started

        try:
            transfer.start()
            created = self._ensure_parents(final)
            made = partial
            attempts = 0
            while True:
                try:
                    self.runner.feed(["zfs", "recv", "-u", partial], receive)
                    break
                except DownloadRestarted:
                    # the registry sent the whole file again: receive the new attempt from its start
                    attempts += 1
                    if attempts > MAX_RESTARTS:
                        raise
                    if self.exists(partial):
                        self.destroy(partial)
            fetched = transfer.finish()
            stats.update(size=fetched["size"], resumes=fetched["resumes"], restarts=fetched["restarts"],
                         checksum_verified=fetched["verified"], zss_size=manifest.get("zss_size"),
                         receive_seconds=time.monotonic() - started)
            props = {
                "organization": org, "box": box, "version": version, "provider": facts["provider"],
                "architecture": facts["architecture"], "sha256": fetched["sha256"],
                "checksum": "%s:%s" % (fetched["checksum_type"].upper(), fetched["checksum"]) if fetched["verified"]
                else "-",
                "size": str(fetched["size"]), "source": client.url,
                "downloaded_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "brand": str((manifest.get("metadata") or {}).get("brand") or "-"),
            }
            props = dict((PREFIX + k, v) for k, v in props.items() if v != "-")
            self.runner.change(["zfs", "set"] + ["%s=%s" % item for item in props.items()] + [partial])
            self.runner.change(["zfs", "rename", partial, final])
            made = final
            self.runner.change(["zfs", "snapshot", "%s@%s" % (final, READY)])
            made = None
            stats["seconds"] = time.monotonic() - started
            templates = self.find(org, box, version)[0]     # the row as zfs reports it (type, volsize)
            return (templates[0] if templates else template_row(dict(props, name=final), ready=True)), stats
        except BaseException:
            transfer.cancel()
            self._undo(made, created)
            raise

    def _undo(self, made, created):
        """Best effort: the half-made dataset, then the parents this import created (deepest first)."""
        if made is not None:
            try:
                if self.exists(made):
                    self.destroy(made)
            except Exception as exc:  # the original error matters more; say what is left
                self.warn("could not remove %s after a failed import: %s" % (made, exc))
        for parent in reversed(created):
            try:
                self.runner.change(["zfs", "destroy", parent])
            except Exception:   # not empty (someone else's dataset appeared): it stays, harmlessly
                pass
