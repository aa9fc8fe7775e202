"""The network side of an endpoint check: connect, STARTTLS, handshake, the presented chain.

The handshake verifies nothing (so an expired, self-signed, mismatched, weak or SHA-1
certificate is still fetched), and one deadline bounds STARTTLS and the handshake
together after a connect bounded on its own. A server that ends the handshake after it
has sent its certificate (TLS 1.2 asking for a client certificate we do not have) has
still shown its chain: it is read from the failed connection and judged. (In TLS 1.3 the
server's certificate arrives in the same flight as its CertificateRequest and our side of
the handshake completes, so the chain is read as usual; the refusal comes afterwards.)
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

from jobs.certificate_checker.settings import EndpointSettings
from jobs.certificate_checker.sources.starttls import STARTTLS, Deadline, StartTlsRefused


def client_context() -> ssl.SSLContext:
    """Accepts anything, so nothing is hidden: weak keys, SHA-1, old protocols included."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    return context


def is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    """An address needs no resolver round trip; a name goes through getaddrinfo."""
    if not is_address(host):
        return socket.create_connection((host, port), timeout=timeout)
    raw = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    raw.settimeout(timeout)
    try:
        raw.connect((host, port))
    except OSError:
        raw.close()
        raise
    return raw


def presented_chain(tls: ssl.SSLSocket, done: bool = True) -> list[bytes]:
    """DER of every certificate the server sent (Python 3.13 names this publicly); after a failed
    handshake (`done` False), whatever the server had sent by then."""
    public = getattr(tls, "get_unverified_chain", None)
    sslobj = getattr(tls, "_sslobj", None)
    chain = public() if public else (sslobj.get_unverified_chain() if sslobj is not None else None)
    if chain:
        return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]  # type: ignore[attr-defined]
    leaf = tls.getpeercert(binary_form=True) if done and sslobj is not None else None
    return [leaf] if leaf else []


@dataclass(frozen=True)
class Fetched:
    """What the network gave: the presented DER chain, or the failure.

    `refused` is a handshake failure that came after the server had presented its chain.
    """

    chain: list[bytes] | None
    error: OSError | None = None
    version: str | None = None
    refused: ssl.SSLError | None = None


def fetch(
    endpoint: EndpointSettings, context: ssl.SSLContext, connect: float, handshake: float, overall: Deadline
) -> Fetched:
    """One attempt inside the endpoint's `overall` deadline; raises OSError (ssl.SSLError
    included) when no chain was presented."""
    with _connect(endpoint.host, endpoint.port, min(connect, overall.remaining())) as raw:
        deadline = Deadline(min(Deadline.after(handshake).at, overall.at))  # STARTTLS and the handshake together
        if endpoint.starttls:
            STARTTLS[endpoint.starttls](raw, deadline)
        sni = endpoint.server_name or (None if is_address(endpoint.host) else endpoint.host)
        with context.wrap_socket(deadline.arm(raw), server_hostname=sni, do_handshake_on_connect=False) as tls:
            try:
                tls.do_handshake()
            except ssl.SSLError as exc:
                chain = presented_chain(tls, done=False)
                if not chain:
                    raise
                return Fetched(chain, refused=exc)
            return Fetched(presented_chain(tls), version=tls.version())


def closed_early(exc: OSError) -> bool:
    return isinstance(exc, ssl.SSLEOFError) or getattr(exc, "reason", None) == "UNEXPECTED_EOF_WHILE_READING"


def transient(exc: OSError) -> bool:
    """Worth one more try: connections dropped mid-way; a refusal is an answer, a timeout used the deadline."""
    return isinstance(exc, ConnectionResetError) or closed_early(exc)


def describe(exc: OSError, endpoint: EndpointSettings, connect: float, handshake: float) -> str:
    if isinstance(exc, StartTlsRefused):
        return f"STARTTLS ({endpoint.starttls}) failed: {exc}"
    if closed_early(exc):
        return "connection closed during the handshake"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        if reason in ("WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE"):
            return f"not TLS (handshake failed: {reason})"
        return f"TLS handshake failed: {reason}"
    if isinstance(exc, socket.gaierror):
        return f"DNS lookup failed: {exc.strerror}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"timed out (connect {connect:g}s, handshake {handshake:g}s)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connection closed during the handshake"
    return exc.strerror or type(exc).__name__
