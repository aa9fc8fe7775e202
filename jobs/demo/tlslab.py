"""A local TLS lab: loopback servers presenting the certificates issuing.py makes.

Used by the demo sandbox, the tests and the benchmark: real TLS servers on 127.0.0.1,
several names per port through SNI, and raw servers that are not TLS at all.
"""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from jobs.demo.issuing import Issued


def server_context(
    issued: Issued, *, max_version: ssl.TLSVersion | None = None, client_cert: bool = False
) -> ssl.SSLContext:
    """A server context presenting `issued` and its chain; weak keys, SHA-1 and, below
    `max_version`, old protocols allowed; `client_cert` demands a client certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("ALL:@SECLEVEL=0")
    if max_version is not None:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = max_version
    if client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=issued.cert.public_bytes(serialization.Encoding.PEM).decode())
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        cert_file.write_bytes(issued.pem())
        key_file.write_bytes(issued.key_pem())
        context.load_cert_chain(cert_file, key_file)
    return context


class TLSServer:
    """Serves TLS handshakes on 127.0.0.1; `by_name` picks the certificate by SNI."""

    def __init__(
        self,
        default: Issued,
        by_name: Mapping[str, Issued] | None = None,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        max_version: ssl.TLSVersion | None = None,
        client_cert: bool = False,
    ) -> None:
        def context(issued: Issued) -> ssl.SSLContext:
            return server_context(issued, max_version=max_version, client_cert=client_cert)

        self.context = context(default)
        self.by_name = {name: context(issued) for name, issued in (by_name or {}).items()}
        if self.by_name:
            self.context.sni_callback = self._pick
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.create_server((host, port), family=family, backlog=1024)
        self.port = int(self.sock.getsockname()[1])
        self._stopped = threading.Event()

    def _pick(self, connection: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
        if name in self.by_name:
            connection.context = self.by_name[name]

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)  # until the client closes
        except OSError:
            pass

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def start(self) -> TLSServer:
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.sock.close()


class PortFarm:
    """One certificate per port on many loopback ports, for load: one accept thread, a pool
    of handshake threads."""

    def __init__(self, certs: Sequence[Issued], workers: int = 64) -> None:
        self.contexts = [server_context(c) for c in certs]
        self.socks = [socket.create_server(("127.0.0.1", 0), backlog=256) for _ in certs]
        self.ports = [int(s.getsockname()[1]) for s in self.socks]
        self.workers = workers

    def serve_forever(self) -> None:
        import selectors
        from concurrent.futures import ThreadPoolExecutor

        selector = selectors.DefaultSelector()
        for sock, context in zip(self.socks, self.contexts, strict=True):
            selector.register(sock, selectors.EVENT_READ, context)
        with ThreadPoolExecutor(self.workers) as pool:
            while True:
                for key, _ in selector.select():
                    try:
                        conn, _ = key.fileobj.accept()  # type: ignore[union-attr]
                    except OSError:
                        continue
                    pool.submit(_handshake, key.data, conn)


def _handshake(context: ssl.SSLContext, conn: socket.socket) -> None:
    conn.settimeout(5)
    try:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)
    except OSError:
        pass


class RawServer:
    """A TCP server that is not TLS: answers plain HTTP, or closes at once (mid-handshake)."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                if self.reply is not None:
                    conn.settimeout(2)
                    try:
                        conn.recv(4096)
                        conn.sendall(self.reply)
                    except OSError:
                        pass

    def start(self) -> RawServer:
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self.sock.close()


HTTP_REPLY = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
