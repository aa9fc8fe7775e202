"""Live TLS endpoints: the chain a client is really shown, even when it does not verify.

The handshake itself verifies nothing (so an expired, self-signed, mismatched, weak or
SHA-1 certificate is still fetched and parsed); trust is judged afterwards against the
system roots plus `ca_bundle` (trust.py), and dates and names by the pure rules. (A
verifying handshake as a fast path was measured here: no cheaper, and two trust paths.)
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import ssl
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from cryptography import x509

from jobs.certificate_checker.model import CertInfo, Observation
from jobs.certificate_checker.parse import cert_info
from jobs.certificate_checker.settings import CertificateCheckerSettings, EndpointSettings
from jobs.certificate_checker.sources.starttls import STARTTLS, StartTlsRefused
from jobs.certificate_checker.trust import TrustStore, load_roots
from jobs.core.context import JobContext
from jobs.core.job import Inventory
from jobs.core.logs import Progress

ATTEMPTS = 2  # a reset or a timeout is tried once more; a refusal is an answer
MIN_PER_PROCESS = 200  # below this a second process costs more than it saves
MAX_PROCESSES = 4
log = logging.getLogger("secops.certificate_checker")
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


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    """An address needs no resolver round trip; a name goes through getaddrinfo."""
    if not _is_address(host):
        return socket.create_connection((host, port), timeout=timeout)
    raw = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    raw.settimeout(timeout)
    try:
        raw.connect((host, port))
    except OSError:
        raw.close()
        raise
    return raw


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
    with _connect(endpoint.host, endpoint.port, connect) as raw:
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


@dataclass(frozen=True)
class Fetched:
    """What the network gave: the presented DER chain, or the failure."""

    chain: list[bytes] | None
    error: OSError | None = None


@dataclass
class Prober:
    """Threads only talk to the network (handshakes run in OpenSSL, off the GIL); one thread
    parses and verifies, so the threads never queue for the GIL behind each other's work.
    """

    cfg: CertificateCheckerSettings
    trust: TrustStore

    def __post_init__(self) -> None:
        self.context = client_context()
        self._parsed: dict[bytes, tuple[CertInfo, x509.Certificate]] = {}

    def fetch(self, endpoint: EndpointSettings) -> Fetched:
        """Network only (runs in a worker thread); a reset or a timeout is tried once more."""
        for attempt in range(ATTEMPTS):
            try:
                return Fetched(
                    fetch(endpoint, self.context, self.cfg.connect_timeout_seconds, self.cfg.handshake_timeout_seconds)
                )
            except OSError as exc:
                if attempt == ATTEMPTS - 1 or not _transient(exc):
                    return Fetched(None, error=exc)
                time.sleep(RETRY_DELAY_SECONDS * (attempt + 1))
        raise AssertionError("unreachable: ATTEMPTS >= 1")

    def _info(self, der: bytes) -> tuple[CertInfo, x509.Certificate]:
        if der not in self._parsed:  # intermediates repeat across endpoints
            cert = x509.load_der_x509_certificate(der)
            self._parsed[der] = (cert_info(cert), cert)
        return self._parsed[der]

    def observe(self, endpoint: EndpointSettings, fetched: Fetched) -> Observation:
        """Parse and judge trust (runs in one thread)."""
        base = Observation(endpoint.resource, "endpoint", hostname=endpoint.hostname)
        if fetched.error is not None:
            return _with(base, describe(fetched.error, endpoint, self.cfg))
        if not fetched.chain:
            return _with(base, "the server presented no certificate")
        try:
            parsed = [self._info(der) for der in fetched.chain]
        except ValueError as exc:
            return _with(base, f"the server presented an unparseable certificate: {exc}")
        trusted, why = self.trust.verify([cert for _, cert in parsed], tuple(fetched.chain))
        return Observation(
            endpoint.resource,
            "endpoint",
            tuple(info for info, _ in parsed),
            hostname=endpoint.hostname,
            trusted=trusted,
            trust_error=why,
        )


def _with(base: Observation, unreachable: str) -> Observation:
    """`base` seen as unreachable, for `unreachable` reason."""
    return Observation(base.resource, base.source, hostname=base.hostname, unreachable=unreachable)


def probe_all(cfg: CertificateCheckerSettings, endpoints: list[EndpointSettings], workers: int) -> list[Observation]:
    """Probe `endpoints` with up to `workers` connections in flight (one process)."""
    prober = Prober(cfg, TrustStore(load_roots(cfg.ca_bundle)))
    observations: list[Observation] = []
    progress = Progress("probing endpoints", len(endpoints))
    size = max(workers, 1) * 8  # bounds the raw chains held at once
    batches = [endpoints[i : i + size] for i in range(0, len(endpoints), size)]
    with ThreadPoolExecutor(max_workers=min(workers, max(len(endpoints), 1))) as pool:
        pending = [pool.submit(prober.fetch, e) for e in batches[0]] if batches else []
        for index, batch in enumerate(batches):
            fetched = [f.result() for f in pending]
            if index + 1 < len(batches):  # the network works on the next batch while this one is judged
                pending = [pool.submit(prober.fetch, e) for e in batches[index + 1]]
            for endpoint, got in zip(batch, fetched, strict=True):
                observations.append(prober.observe(endpoint, got))
                progress.step()
    return observations


def _processes(count: int) -> int:
    """Worker processes worth forking: one per core for big runs, none where fork is unsafe.

    Half of each check is Python work that one interpreter lock serialises; a second
    process runs it on the other core. Forking a process that already runs other threads
    (the scheduler) could copy a held lock, so only a single-threaded process forks.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if count < MIN_PER_PROCESS * 2 or cores < 2 or threading.active_count() > 1 or sys.platform != "linux":
        return 1
    return min(cores, MAX_PROCESSES, count // MIN_PER_PROCESS)


def collect(cfg: CertificateCheckerSettings, ctx: JobContext) -> Inventory[Observation]:
    endpoints = [e for e in cfg.endpoints if ctx.owns(e.resource)]
    processes = _processes(len(endpoints))
    if processes > 1:
        shares = [endpoints[i::processes] for i in range(processes)]
        workers = max(cfg.concurrency // processes, 1)
        try:
            with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
                parts = list(pool.map(probe_all, [cfg] * processes, shares, [workers] * processes))
        except (OSError, BrokenProcessPool) as exc:  # no /dev/shm (AWS Lambda), process limits
            log.info("endpoint_processes_unavailable", extra={"fields": {"error": str(exc)}})
        else:
            log.info("endpoints_probed", extra={"fields": {"endpoints": len(endpoints), "processes": processes}})
            order = {e.resource: i for i, e in enumerate(endpoints)}
            merged = sorted((o for part in parts for o in part), key=lambda o: order[o.resource])
            return Inventory(items=merged)
    return Inventory(items=probe_all(cfg, endpoints, cfg.concurrency))
