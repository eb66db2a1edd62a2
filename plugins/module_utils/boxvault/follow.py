# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A download that can be read while it arrives.

BackgroundDownload runs download() (verified, resumable) in a thread; reader()
returns a file object over the bytes written so far that blocks until more
arrive. So unpacking (and `zfs recv`) run alongside the transfer instead of
after it, and the import costs about the longer of the two rather than their sum.

The download's verdict (checksum, size) only comes at its end: a consumer must
treat what it received as unverified until finish() returned, and undo it when
finish() raises. When the transfer has to start over (the registry sent the
whole file again), the reader raises DownloadRestarted: what it delivered was
the start of another file, and the consumer must begin anew (from the finished
file, after finish()).
"""

from __future__ import annotations

import io
import os
import queue
import threading

from ansible_collections.zoneweaver.illumos.plugins.module_utils.boxvault.download import download, fetch


class DownloadRestarted(Exception):
    """The transfer started over: bytes already read belong to another attempt."""


class _Cancelled(BaseException):
    """Raised inside the download thread to stop it (the consumer gave up)."""


class BackgroundDownload:
    def __init__(self, client, path, dest, **kwargs):
        self.dest = dest
        self.part = dest + ".part"
        self._args = (client, path, dest)
        self._kwargs = kwargs
        self._user_progress = kwargs.pop("progress", None)
        self._cond = threading.Condition()
        self._available = 0
        self._generation = 0
        self._done = False
        self._cancelled = False
        self._error = None
        self._result = None
        self._thread = threading.Thread(target=self._run, name="box-download", daemon=True)

    def start(self):
        # the .part file exists before the reader opens it
        self._thread.start()
        with self._cond:
            self._cond.wait_for(lambda: self._done or self._available > 0 or os.path.exists(self.part))
        return self

    def _progress(self, received, total):
        with self._cond:
            if self._cancelled:
                raise _Cancelled()
            if received < self._available:
                self._generation += 1
            self._available = received
            self._cond.notify_all()
        if self._user_progress is not None:
            self._user_progress(received, total)

    def _run(self):
        try:
            result = download(*self._args, progress=self._progress, **self._kwargs)
        except BaseException as exc:   # handed to the consumer in finish()/the reader
            with self._cond:
                self._error = exc
                self._done = True
                self._cond.notify_all()
            return
        with self._cond:
            self._result = result
            self._available = result["size"]
            self._done = True
            self._cond.notify_all()

    def wait_for(self, position, generation):
        """Block until more than `position` bytes exist (or the end); return (available, done).
        Raises the download's error, or DownloadRestarted."""
        with self._cond:
            self._cond.wait_for(lambda: self._done or self._available > position or self._generation != generation)
            if self._generation != generation:
                raise DownloadRestarted("the download of %s started over" % self.dest)
            if self._error is not None:
                raise self._error
            return self._available, self._done

    def reader(self):
        return io.BufferedReader(_Follower(self), 1 << 20)

    def finish(self):
        """Wait for the end; return download()'s result or raise its error."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result

    def cancel(self):
        """Stop the transfer (its partial file is removed by download()) and wait for it."""
        with self._cond:
            self._cancelled = True
        self._thread.join()


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


class _Follower(io.RawIOBase):
    """The growing file as a raw stream (seekable backwards, for the gzip magic check)."""

    def __init__(self, background):
        super().__init__()
        self.background = background
        self.name = os.path.basename(background.dest)
        self.pos = 0
        self.generation = background._generation
        self.fd = None

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        if whence != io.SEEK_SET:
            raise io.UnsupportedOperation("only absolute seeks")
        self.pos = offset
        return self.pos

    def tell(self):
        return self.pos

    def readinto(self, buffer):
        available, done = self.background.wait_for(self.pos, self.generation)
        if self.pos >= available:
            return 0     # done: the end of the file
        if self.fd is None:
            self.fd = self._open(done)
        want = min(len(buffer), available - self.pos)
        with memoryview(buffer) as view:
            count = os.preadv(self.fd, [view[:want]], self.pos)
        self.pos += count
        return count

    def _open(self, done):
        """The file under its .part name, or its final one once verified (it may move in between)."""
        names = (self.background.dest,) if done else (self.background.part, self.background.dest)
        for name in names:
            try:
                return os.open(name, os.O_RDONLY)
            except FileNotFoundError:
                continue
        raise FileNotFoundError("the download %s disappeared while it was read" % self.background.dest)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        super().close()
