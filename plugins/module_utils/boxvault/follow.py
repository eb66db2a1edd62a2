# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A download that can be consumed while it arrives.

StreamingDownload runs the verified, resumable transfer in a thread and hands
its pieces to the consumer through a small bounded queue, so unpacking (and
`zfs recv`) run alongside the transfer and nothing is written to disk.

The download's verdict (checksum, size) only comes at its end: a consumer must
treat what it received as unverified until finish() returned, and undo it when
finish() raises. When the transfer has to start over (the registry sent the
whole file again), pieces() raises DownloadRestarted: what it delivered was the
start of another attempt, and the consumer must begin anew.
"""

from __future__ import annotations

import queue
import threading

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.download import fetch


class DownloadRestarted(Exception):
    """The transfer started over: bytes already read belong to another attempt."""


class _Cancelled(BaseException):
    """Raised inside the download thread to stop it (the consumer gave up)."""


_RESTART = object()
_END = object()
QUEUE_PIECES = 8      # 1 MiB pieces in flight between the download and the unpacker: bounded memory


class StreamingDownload:
    """fetch() in a thread, its body read with pieces(); see the module's docstring."""

    def __init__(self, client, path, **kwargs):
        self._args = (client, path)
        self._kwargs = kwargs
        self._queue = queue.Queue(QUEUE_PIECES)
        self._cancelled = threading.Event()
        self._error = None
        self._result = None
        self._delivered = False
        self._thread = threading.Thread(target=self._run, name="box-download", daemon=True)

    def start(self):
        self._thread.start()
        return self

    # --- the download thread: fetch()'s sink ---------------------------------------
    def _put(self, item):
        while True:
            if self._cancelled.is_set():
                raise _Cancelled()
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def write(self, chunk):
        self._delivered = True
        self._put(chunk)

    def restart(self):
        if self._delivered:
            self._delivered = False
            self._put(_RESTART)

    def flush(self):
        pass

    def _run(self):
        try:
            self._result = fetch(*self._args, sink=self, **self._kwargs)
            item = _END
        except _Cancelled:
            return
        except BaseException as exc:   # handed to the consumer by pieces() and finish()
            self._error = exc
            item = exc
        try:
            self._put(item)
        except _Cancelled:
            pass

    # --- the consumer --------------------------------------------------------------
    def pieces(self):
        """The body as it arrives (bytes objects); ends once the download is verified.
        Raises the download's error, or DownloadRestarted (call pieces() again for the new attempt)."""
        delivered = False
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if item is _RESTART:
                if delivered:
                    raise DownloadRestarted("the download started over")
                continue
            if isinstance(item, BaseException):
                raise item
            delivered = True
            yield item

    def finish(self):
        """download()'s result (without 'path'), once pieces() has ended; or its error."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result

    def cancel(self):
        """Stop the transfer and wait for its thread."""
        self._cancelled.set()
        while self._thread.is_alive():
            try:
                while True:
                    self._queue.get_nowait()     # unblock a waiting put
            except queue.Empty:
                pass
            self._thread.join(0.05)
