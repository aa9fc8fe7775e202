"""Live TLS endpoints: the chain a client is really shown, even when it does not verify.

The network side is tls.py; here each presented certificate is read on its own (one
malformed extra certificate is an error naming the endpoint, the rest is still judged),
trust is judged against the system roots plus `ca_bundle` (trust.py), and dates and names
by the pure rules. (A verifying handshake as a fast path was measured here: no cheaper,
and two trust paths.)
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from jobs.certificate_checker.model import Observation
from jobs.certificate_checker.parse import Parsed, read_der, relied_on
from jobs.certificate_checker.settings import CertificateCheckerSettings, EndpointSettings
from jobs.certificate_checker.sources.starttls import Deadline
from jobs.certificate_checker.sources.tls import Fetched, client_context, describe, fetch, transient
from jobs.certificate_checker.trust import TrustStore, load_roots
from jobs.core.context import JobContext
from jobs.core.logs import Progress
from jobs.core.model import Inventory, RunError
from jobs.core.permissions import Permissions

ATTEMPTS = 2  # a reset is tried once more, inside the same deadline; a refusal is an answer
MIN_PER_PROCESS = 200  # below this a second process costs more than it saves
MAX_PROCESSES = 4
log = logging.getLogger("secops.certificate_checker")
RETRY_DELAY_SECONDS = 0.2


@dataclass
class Prober:
    """Threads only talk to the network (handshakes run in OpenSSL, off the GIL); one thread
    parses and verifies, so the threads never queue for the GIL behind each other's work.
    """

    cfg: CertificateCheckerSettings
    trust: TrustStore

    def __post_init__(self) -> None:
        self.context = client_context()
        self._parsed: dict[bytes, Parsed] = {}

    def fetch(self, endpoint: EndpointSettings) -> Fetched:
        """Network only (runs in a worker thread), within one deadline: connect + handshake timeouts."""
        connect, handshake = self.cfg.connect_timeout_seconds, self.cfg.handshake_timeout_seconds
        overall = Deadline.after(connect + handshake)
        for attempt in range(ATTEMPTS):
            try:
                return fetch(endpoint, self.context, connect, handshake, overall)
            except OSError as exc:
                if attempt == ATTEMPTS - 1 or not transient(exc) or overall.at - time.monotonic() < RETRY_DELAY_SECONDS:
                    return Fetched(None, error=exc)
                time.sleep(RETRY_DELAY_SECONDS * (attempt + 1))
        raise AssertionError("unreachable: ATTEMPTS >= 1")

    def _read(self, index: int, der: bytes) -> Parsed:
        if der not in self._parsed:  # intermediates repeat across endpoints
            self._parsed[der] = read_der(index, der)
        found = self._parsed[der]
        return found if found.index == index else Parsed(index, found.cert, found.info, found.error)

    def observe(self, endpoint: EndpointSettings, fetched: Fetched) -> tuple[Observation | None, list[RunError]]:
        """Parse and judge trust (runs in one thread); a certificate that cannot be read is an error."""
        cfg = self.cfg
        base = Observation(endpoint.resource, "endpoint", hostname=endpoint.hostname)
        if fetched.error is not None:
            reason = describe(fetched.error, endpoint, cfg.connect_timeout_seconds, cfg.handshake_timeout_seconds)
            return _with(base, reason), []
        if not fetched.chain:
            return _with(base, "the server presented no certificate"), []
        parsed = [self._read(i, der) for i, der in enumerate(fetched.chain)]
        errors = [
            RunError(endpoint.resource, f"presented certificate {p.index}: {p.error}") for p in parsed if p.cert is None
        ]
        good = [p for p in parsed if p.cert is not None and p.info is not None]
        if not good or good[0].index != 0:
            return None, errors
        certs = [p.cert for p in good if p.cert is not None]
        trusted, why = self.trust.verify(certs, tuple(fetched.chain[p.index] for p in good))
        extra = {"handshake_error": describe(fetched.refused, endpoint, 0, 0)} if fetched.refused else {}
        return Observation(
            endpoint.resource,
            "endpoint",
            tuple(p.info for p in good if p.info is not None),
            hostname=endpoint.hostname,
            trusted=trusted,
            trust_error=why,
            relied_on=tuple(relied_on(certs, self.trust.anchored)),
            tls_version=fetched.version,
            extra=extra,
        ), errors


def _with(base: Observation, unreachable: str) -> Observation:
    """`base` seen as unreachable, for `unreachable` reason."""
    return Observation(base.resource, base.source, hostname=base.hostname, unreachable=unreachable)


def probe_all(
    cfg: CertificateCheckerSettings, endpoints: list[EndpointSettings], workers: int
) -> Inventory[Observation]:
    """Probe `endpoints` with up to `workers` connections in flight (one process)."""
    prober = Prober(cfg, TrustStore(load_roots(cfg.ca_bundle)))
    inventory: Inventory[Observation] = Inventory()
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
                seen, errors = prober.observe(endpoint, got)
                inventory.items.extend([seen] if seen is not None else [])
                inventory.errors.extend(errors)
                progress.step()
    return inventory


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


def unique(endpoints: list[EndpointSettings]) -> list[EndpointSettings]:
    """Each endpoint once, by its resource (an endpoint listed twice, or as text and as an object)."""
    first: dict[str, EndpointSettings] = {}
    for endpoint in endpoints:
        first.setdefault(endpoint.resource, endpoint)
    return list(first.values())


def collect(cfg: CertificateCheckerSettings, ctx: JobContext) -> Inventory[Observation]:
    endpoints = [e for e in unique(cfg.endpoints) if ctx.owns(e.resource)]
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
            merged = sorted((o for part in parts for o in part.items), key=lambda o: order[o.resource])
            errors = sorted((e for part in parts for e in part.errors), key=lambda e: order[e.source])
            return Inventory(items=merged, errors=errors)
    return probe_all(cfg, endpoints, cfg.concurrency)


def permissions(cfg: CertificateCheckerSettings) -> Permissions:
    """None that Vault, Kubernetes or AWS grant: a handshake is anonymous (egress to the
    endpoints is a network policy, not a grant)."""
    return Permissions()
