"""A proxy in front of OpenBao that takes it away at the k-th HTTP request: refused before
it reaches the server, or (`lost`) forwarded and its answer never returned."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from tests.secret_rotation.proxy import pump, shut

METHODS = (b"GET ", b"POST ", b"PUT ", b"LIST ", b"DELETE ", b"PATCH ", b"HEAD ")


class VaultOutage:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.requests = 0
        self.after: int | None = None
        self.lost = False
        self.down = False
        self.refused = 0  # connections shut at once while down (each a client's retry)
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self, after: int, lost: bool = False) -> None:
        with self._lock:
            self.requests, self.after, self.lost, self.down = 0, after, lost, False

    def heal(self) -> None:
        with self._lock:
            self.after, self.down = None, False

    def close(self) -> None:
        self.listener.close()
        self._drop()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                self.refused += 1
                shut(client)
                continue
            threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        upstream.settimeout(None)
        with self._lock:
            self._open.update((client, upstream))
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        try:
            while data := client.recv(65536):
                if data.startswith(METHODS):
                    with self._lock:
                        self.requests += 1
                        fail = self.after is not None and self.requests > self.after
                        if fail:
                            self.down = True
                    if fail:
                        if self.lost:
                            upstream.sendall(data)
                            time.sleep(0.3)
                        self._drop()
                        return
                upstream.sendall(data)
        except OSError:
            pass
        shut(client)
        shut(upstream)

    def _drop(self) -> None:
        with self._lock:
            doomed, self._open = self._open, set()
        for s in doomed:
            shut(s)


@contextlib.contextmanager
def vault_outage(upstream_port: int) -> Iterator[VaultOutage]:
    proxy = VaultOutage(upstream_port)
    try:
        yield proxy
    finally:
        proxy.close()
