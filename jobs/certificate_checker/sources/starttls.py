"""Plain-text preludes that upgrade a connection to TLS (the STARTTLS table)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Final


class StartTlsRefused(OSError):
    """The server answered, but not with "go ahead"."""


def _line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise StartTlsRefused("connection closed during STARTTLS")
        data += chunk
        if len(data) > 4096:
            raise StartTlsRefused("STARTTLS reply line too long")
    return data


def smtp(sock: socket.socket) -> None:
    if not _line(sock).startswith(b"220"):
        raise StartTlsRefused("no SMTP greeting")
    sock.sendall(b"EHLO secops-jobs\r\n")
    while (reply := _line(sock))[3:4] == b"-":
        pass
    if not reply.startswith(b"250"):
        raise StartTlsRefused(f"EHLO refused: {reply[:60]!r}")
    sock.sendall(b"STARTTLS\r\n")
    reply = _line(sock)
    if not reply.startswith(b"220"):
        raise StartTlsRefused(f"STARTTLS refused: {reply[:60]!r}")


def imap(sock: socket.socket) -> None:
    if not _line(sock).startswith(b"* OK"):
        raise StartTlsRefused("no IMAP greeting")
    sock.sendall(b"a1 STARTTLS\r\n")
    while not (reply := _line(sock)).startswith(b"a1 "):
        pass
    if not reply.startswith(b"a1 OK"):
        raise StartTlsRefused(f"STARTTLS refused: {reply[:60]!r}")


def postgres(sock: socket.socket) -> None:
    sock.sendall(struct.pack("!ii", 8, 80877103))  # SSLRequest
    if sock.recv(1) != b"S":
        raise StartTlsRefused("server does not accept TLS (SSLRequest answered N)")


STARTTLS: Final[dict[str, Callable[[socket.socket], None]]] = {"smtp": smtp, "imap": imap, "postgres": postgres}
