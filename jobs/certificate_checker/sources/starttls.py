"""Plain-text preludes that upgrade a connection to TLS (the STARTTLS table).

Every read and write takes the endpoint's one `Deadline`, so a server that trickles its
greeting a byte at a time cannot stretch a per-read timeout into minutes.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final


class StartTlsRefused(OSError):
    """The server answered, but not with "go ahead"."""


@dataclass(frozen=True)
class Deadline:
    """One instant by which a whole exchange must be done (monotonic clock)."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left; raises TimeoutError once none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left

    def arm(self, sock: socket.socket) -> socket.socket:
        """`sock` with a timeout of what is left, for the next blocking call."""
        sock.settimeout(self.remaining())
        return sock


def _line(sock: socket.socket, deadline: Deadline) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = deadline.arm(sock).recv(1)
        if not chunk:
            raise StartTlsRefused("connection closed during STARTTLS")
        data += chunk
        if len(data) > 4096:
            raise StartTlsRefused("STARTTLS reply line too long")
    return data


def _send(sock: socket.socket, data: bytes, deadline: Deadline) -> None:
    deadline.arm(sock).sendall(data)


def smtp(sock: socket.socket, deadline: Deadline) -> None:
    if not _line(sock, deadline).startswith(b"220"):
        raise StartTlsRefused("no SMTP greeting")
    _send(sock, b"EHLO secops-jobs\r\n", deadline)
    while (reply := _line(sock, deadline))[3:4] == b"-":
        pass
    if not reply.startswith(b"250"):
        raise StartTlsRefused(f"EHLO refused: {reply[:60]!r}")
    _send(sock, b"STARTTLS\r\n", deadline)
    reply = _line(sock, deadline)
    if not reply.startswith(b"220"):
        raise StartTlsRefused(f"STARTTLS refused: {reply[:60]!r}")


def imap(sock: socket.socket, deadline: Deadline) -> None:
    if not _line(sock, deadline).startswith(b"* OK"):
        raise StartTlsRefused("no IMAP greeting")
    _send(sock, b"a1 STARTTLS\r\n", deadline)
    while not (reply := _line(sock, deadline)).startswith(b"a1 "):
        pass
    if not reply.startswith(b"a1 OK"):
        raise StartTlsRefused(f"STARTTLS refused: {reply[:60]!r}")


def postgres(sock: socket.socket, deadline: Deadline) -> None:
    _send(sock, struct.pack("!ii", 8, 80877103), deadline)  # SSLRequest
    if deadline.arm(sock).recv(1) != b"S":
        raise StartTlsRefused("server does not accept TLS (SSLRequest answered N)")


STARTTLS: Final[dict[str, Callable[[socket.socket, Deadline], None]]] = {
    "smtp": smtp,
    "imap": imap,
    "postgres": postgres,
}
