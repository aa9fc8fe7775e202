"""Live TLS endpoints: the chain a client is really shown, even when it does not verify.

The handshake itself verifies nothing (so an expired, self-signed, mismatched, weak or
SHA-1 certificate is still fetched and parsed); trust is judged afterwards against the
system roots plus `ca_bundle` (trust.py), and dates and names by the pure rules.
"""

from __future__ import annotations

import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cryptography import x509

from jobs.certificate_checker.model import CertInfo, Observation
from jobs.certificate_checker.parse import cert_info
from jobs.certificate_checker.settings import CertificateCheckerSettings, EndpointSettings
from jobs.certificate_checker.sources.starttls import STARTTLS, StartTlsRefused
from jobs.certificate_checker.trust import TrustStore, load_roots
from jobs.core.context import JobContext
from jobs.core.job import Inventory

ATTEMPTS = 2  # a reset or a timeout is tried once more; a refusal is an answer
RETRY_DELAY_SECONDS = 0.2


def client_context() -> ssl.SSLContext:
    """Accepts anything, so nothing is hidden: weak keys, SHA-1, old protocols included."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    return context


def _is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def presented_chain(tls: ssl.SSLSocket) -> list[bytes]:
    """DER of every certificate the server sent (Python 3.13 names this publicly)."""
    public = getattr(tls, "get_unverified_chain", None)
    chain = public() if public else tls._sslobj.get_unverified_chain()  # type: ignore[attr-defined]
    if chain:
        return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]  # type: ignore[attr-defined]
    leaf = tls.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def fetch(endpoint: EndpointSettings, context: ssl.SSLContext, connect: float, handshake: float) -> list[bytes]:
    """One handshake; raises OSError (ssl.SSLError included) on any failure."""
    with socket.create_connection((endpoint.host, endpoint.port), timeout=connect) as raw:
        raw.settimeout(handshake)
        if endpoint.starttls:
            STARTTLS[endpoint.starttls](raw)
        sni = endpoint.server_name or (None if _is_address(endpoint.host) else endpoint.host)
        with context.wrap_socket(raw, server_hostname=sni) as tls:
            return presented_chain(tls)


def _closed_early(exc: OSError) -> bool:
    return isinstance(exc, ssl.SSLEOFError) or getattr(exc, "reason", None) == "UNEXPECTED_EOF_WHILE_READING"


def _transient(exc: OSError) -> bool:
    """Worth one more try: timeouts and connections dropped mid-way; a refusal is an answer."""
    return isinstance(exc, TimeoutError | ConnectionResetError) or _closed_early(exc)


def describe(exc: OSError, endpoint: EndpointSettings, cfg: CertificateCheckerSettings) -> str:
    if isinstance(exc, StartTlsRefused):
        return f"STARTTLS ({endpoint.starttls}) failed: {exc}"
    if _closed_early(exc):
        return "connection closed during the handshake"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        if reason in ("WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE"):
            return f"not TLS (handshake failed: {reason})"
        return f"TLS handshake failed: {reason}"
    if isinstance(exc, socket.gaierror):
        return f"DNS lookup failed: {exc.strerror}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"timed out (connect {cfg.connect_timeout_seconds:g}s, handshake {cfg.handshake_timeout_seconds:g}s)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connection closed during the handshake"
    return exc.strerror or type(exc).__name__


@dataclass
class Prober:
    cfg: CertificateCheckerSettings
    trust: TrustStore

    def __post_init__(self) -> None:
        self.context = client_context()
        self._parsed: dict[bytes, CertInfo] = {}

    def _info(self, der: bytes) -> tuple[CertInfo, x509.Certificate]:
        cert = x509.load_der_x509_certificate(der)
        if der not in self._parsed:
            self._parsed[der] = cert_info(cert)
        return self._parsed[der], cert

    def probe(self, endpoint: EndpointSettings) -> Observation:
        base = Observation(endpoint.resource, "endpoint", hostname=endpoint.hostname)
        der_chain: list[bytes] = []
        for attempt in range(ATTEMPTS):
            try:
                der_chain = fetch(
                    endpoint, self.context, self.cfg.connect_timeout_seconds, self.cfg.handshake_timeout_seconds
                )
                break
            except OSError as exc:
                if attempt == ATTEMPTS - 1 or not _transient(exc):
                    return _with(base, unreachable=describe(exc, endpoint, self.cfg))
                time.sleep(RETRY_DELAY_SECONDS * (attempt + 1))
        if not der_chain:
            return _with(base, unreachable="the server presented no certificate")
        try:
            parsed = [self._info(der) for der in der_chain]
        except ValueError as exc:
            return _with(base, unreachable=f"the server presented an unparseable certificate: {exc}")
        trusted, why = self.trust.verify([cert for _, cert in parsed], tuple(der_chain))
        return Observation(
            endpoint.resource,
            "endpoint",
            tuple(info for info, _ in parsed),
            hostname=endpoint.hostname,
            trusted=trusted,
            trust_error=why,
        )


def _with(base: Observation, unreachable: str) -> Observation:
    return Observation(base.resource, base.source, hostname=base.hostname, unreachable=unreachable)


def collect(cfg: CertificateCheckerSettings, ctx: JobContext) -> Inventory[Observation]:
    prober = Prober(cfg, TrustStore(load_roots(cfg.ca_bundle)))
    endpoints = [e for e in cfg.endpoints if ctx.owns(e.resource)]
    with ThreadPoolExecutor(max_workers=min(cfg.concurrency, max(len(endpoints), 1))) as pool:
        return Inventory(items=list(pool.map(prober.probe, endpoints)))
