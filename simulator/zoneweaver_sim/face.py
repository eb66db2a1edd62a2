"""What every HTTP face of the simulator (agent, BoxVault, Hyperweaver) shares: an optional
self-signed TLS certificate, serving on 127.0.0.1 from a background thread, stopping, its URL."""
from __future__ import annotations

import shutil
import tempfile
import threading

from .server import SimHTTPServer, serve_in_thread


class HttpFace:
    """Mixin for a simulator with a `handle(handler)` method. A subclass calls `_init_face(port, tls)`
    in its __init__ and may override the hooks `_starting` (before the socket is opened), `_started`
    (once it serves), `_stopping` (before the socket closes), `_stopped` (after) and `_tls_dir`."""

    tls_name = "zoneweaver-sim"     # the certificate's host name, and the prefix of its temporary directory

    def _init_face(self, port: int, tls: bool) -> None:
        self._port = int(port)
        self.tls = bool(tls)
        self.ca_path: str | None = None
        self._tmp: str | None = None
        self._server: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _tls_dir(self) -> str:
        """Where the certificate goes: a temporary directory, removed on stop."""
        self._tmp = tempfile.mkdtemp(prefix=self.tls_name + "-")
        return self._tmp

    def _starting(self) -> None:
        pass

    def _started(self) -> None:
        pass

    def _stopping(self) -> None:
        pass

    def _stopped(self) -> None:
        pass

    def start(self):
        if self._server is not None:
            return self
        self._starting()
        ctx = None
        if self.tls:
            from .tlsutil import ensure_certs, server_context
            cert, key, self.ca_path = ensure_certs(self._tls_dir(), self.tls_name)
            ctx = server_context(cert, key)
        self._server = SimHTTPServer(("127.0.0.1", self._port), self, ssl_context=ctx)
        self._port = self._server.server_address[1]
        self._thread = serve_in_thread(self._server)
        self._started()
        return self

    def stop(self) -> None:
        self._stopping()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._stopped()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self._port}"
