"""A TCP proxy on 127.0.0.1 that takes a real server away on cue: the outage a consumer has
between a rotation's steps, at exactly the connection a test chooses."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class OutageProxy:
    """Forwards connections to `upstream_port`. `cut(after, lasting)`: connections number
    `after + 1` to `after + lasting` (all later ones when `lasting` is None) are refused
    (accepted and closed at once, as a server going away mid-startup), and the first refused
    one drops every connection still open. `hang()`: connections are accepted and never
    answered (a black hole), until `heal()`."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.connections = 0
        self._after: int | None = None
        self._lasting: int | None = None
        self._hanging = False
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def cut(self, after: int, lasting: int | None = None) -> None:
        with self._lock:
            self.connections, self._after, self._lasting, self._hanging = 0, after, lasting, False

    def hang(self) -> None:
        with self._lock:
            self._hanging = True

    def heal(self) -> None:
        with self._lock:
            self._after, self._lasting, self._hanging = None, None, False

    def close(self) -> None:
        self.listener.close()
        self._drop_open()

    def _refused(self) -> bool:
        with self._lock:
            self.connections += 1
            n, after, lasting = self.connections, self._after, self._lasting
        if after is None or n <= after:
            return False
        return lasting is None or n <= after + lasting

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self._refused():
                self._drop_open()
                shut(client)
            elif self._hanging:
                self._track(client)
            else:
                threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            shut(client)
            return
        upstream.settimeout(None)
        self._track(client, upstream)
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)

    def _track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._open.update(sockets)

    def _drop_open(self) -> None:
        with self._lock:
            doomed, self._open = self._open, set()
        for s in doomed:
            shut(s)


def pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    shut(source)
    shut(sink)


def shut(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()


@contextlib.contextmanager
def outage_proxy(upstream_port: int) -> Iterator[OutageProxy]:
    proxy = OutageProxy(upstream_port)
    try:
        yield proxy
    finally:
        proxy.close()
