"""Pure judgement of one observation at `now`: days left, tier, problems, severity.

No I/O and no clock: everything time-based takes `now`, so `--now` moves every threshold.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobs.certificate_checker.model import CertInfo, Observation
from jobs.core.model import Finding, Severity

FINDING_TYPE = "certificate"
MIN_BITS = {"RSA": 2048, "DSA": 2048, "EC": 256}
WEAK_HASHES = {"sha1", "md5"}
#: problems that make a certificate critical on their own, and those that make it at least a warning
CRITICAL_PROBLEMS = {"expired", "not_yet_valid", "untrusted", "hostname_mismatch"}
WARNING_PROBLEMS = {"weak_key", "sha1_signature", "self_signed", "stale_deployment", "legacy_tls"}
#: protocols below TLS 1.2, as `ssl.SSLSocket.version()` names them
LEGACY_TLS = {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"}


@dataclass(frozen=True)
class Thresholds:
    critical_days: int = 7
    warning_days: int = 30
    info_days: int = 60


def days_left(not_after: datetime, now: datetime) -> int:
    """Whole days until expiry, rounded down: negative once expired."""
    return math.floor((not_after - now).total_seconds() / 86400)


def tier(days: int, thresholds: Thresholds) -> Severity:
    if days < thresholds.critical_days:
        return Severity.CRITICAL  # expired included
    if days < thresholds.warning_days:
        return Severity.WARNING
    if days < thresholds.info_days:
        return Severity.INFO
    return Severity.OK


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def hostname_matches(host: str, dns_names: Sequence[str], ip_addresses: Sequence[str]) -> bool:
    """RFC 6125 matching on SANs only (no CN fallback): one wildcard, leftmost label, whole label."""
    host = host.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return any(ipaddress.ip_address(ip) == address for ip in ip_addresses)
    host = _idna(host)
    label, _, parent = host.partition(".")
    for name in dns_names:
        name = name.rstrip(".").lower()
        if name == host:
            return True
        if name.startswith("*.") and "*" not in name[2:] and name.count(".") >= 2 and label and parent == name[2:]:
            return True
    return False


def _issuers(obs: Observation) -> list[CertInfo]:
    """The intermediates a client relies on: the path the source found, else every presented
    issuer that is not a self-signed root (a presented root is never an intermediate)."""
    if obs.relied_on is not None:
        return [obs.chain[i] for i in obs.relied_on if 0 < i < len(obs.chain)]
    return [c for c in obs.chain[1:] if not c.self_signed]


def first_to_expire(obs: Observation) -> CertInfo:
    """The certificate whose expiry a client meets first: the leaf or an intermediate it relies on."""
    assert obs.leaf is not None
    return min([obs.leaf, *_issuers(obs)], key=lambda c: c.not_after)


def effective_expiry(chain: Sequence[CertInfo]) -> datetime:
    """The earliest expiry in a chain judged without a path (leaf first)."""
    return first_to_expire(Observation("", "", tuple(chain))).not_after


def problems(obs: Observation, now: datetime, thresholds: Thresholds, stale: bool = False) -> list[str]:
    leaf = obs.leaf
    assert leaf is not None
    relied_on = [leaf, *_issuers(obs)]
    found = []
    if now > leaf.not_after:  # RFC 5280: valid through notAfter, inclusive
        found.append("expired")
    if now < leaf.not_before:
        found.append("not_yet_valid")
    if obs.hostname and not hostname_matches(obs.hostname, leaf.dns_names, leaf.ip_addresses):
        found.append("hostname_mismatch")
    if obs.trusted is False or obs.chain_error:
        found.append("untrusted")
    # a stored root is self-signed by nature; a server presenting a self-signed certificate is not
    if leaf.self_signed and (obs.hostname is not None or not leaf.is_ca):
        found.append("self_signed")
    if any(c.key_bits < MIN_BITS.get(c.key_type, 0) for c in relied_on):
        found.append("weak_key")
    if any(c.signature_hash in WEAK_HASHES for c in relied_on):
        found.append("sha1_signature")
    if any(days_left(c.not_after, now) < thresholds.info_days for c in _issuers(obs)):
        found.append("chain_expiring")
    if obs.tls_version in LEGACY_TLS:
        found.append("legacy_tls")
    if stale:
        found.append("stale_deployment")
    return found


def severity(days: int, found: Sequence[str], thresholds: Thresholds) -> Severity:
    levels = [tier(days, thresholds)]
    levels += [Severity.CRITICAL for p in found if p in CRITICAL_PROBLEMS]
    levels += [Severity.WARNING for p in found if p in WARNING_PROBLEMS]
    return Severity.worst(*levels)


def expiry_phrase(days: int, what: str = "certificate") -> str:
    if days < 0:
        return f"{what} expired {-days} day{'s' if days != -1 else ''} ago"
    if days == 0:
        return f"{what} expires today"
    return f"{what} expires in {days} day{'s' if days != 1 else ''}"


def judge(
    obs: Observation,
    now: datetime,
    thresholds: Thresholds,
    links: Mapping[str, Any] | None = None,
    newer_stored: str | None = None,
) -> Finding:
    """The finding for one observed chain; `links` and `newer_stored` come from the join."""
    leaf = obs.leaf
    assert leaf is not None
    first = first_to_expire(obs)
    expiry = first.not_after
    days = days_left(expiry, now)
    found = problems(obs, now, thresholds, stale=newer_stored is not None)
    level = severity(days, found, thresholds)
    by_intermediate = first is not leaf and first.not_after < leaf.not_after
    message = expiry_phrase(days, f"intermediate {first.subject}" if by_intermediate else "certificate")
    said = {"expired", "chain_expiring"} if by_intermediate else {"expired"}
    extra = [p.replace("_", " ") for p in found if p not in said]
    if extra:
        message += "; " + ", ".join(extra)
    details: dict[str, Any] = {
        "days_left": days,
        "not_after": _iso(expiry),
        "not_before": _iso(leaf.not_before),
        "subject": leaf.subject,
        "issuer": leaf.issuer,
        "serial": leaf.serial,
        "sans": leaf.sans,
        "fingerprint_sha256": leaf.fingerprint_sha256,
        "key": f"{leaf.key_type} {leaf.key_bits}",
        "signature_hash": leaf.signature_hash,
        "source": obs.source,
        "problems": found,
    }
    if len(obs.chain) > 1:
        details["chain"] = [
            {"subject": c.subject, "not_after": _iso(c.not_after), "fingerprint_sha256": c.fingerprint_sha256}
            for c in obs.chain
        ]
    if by_intermediate:
        details["expires_first"] = first.subject
    if obs.hostname:
        details["hostname"] = obs.hostname
    if obs.tls_version:
        details["tls_version"] = obs.tls_version
    if obs.trust_error or obs.chain_error:
        details["trust_error"] = obs.trust_error or obs.chain_error
    if newer_stored:
        details["newer_stored"] = newer_stored
    details.update(links or {})
    details.update(obs.extra)
    return Finding(FINDING_TYPE, level, obs.resource, message, details)


def judge_unreachable(obs: Observation, level: Severity) -> Finding:
    details = {"source": obs.source, "problems": ["unreachable"], "error": obs.unreachable}
    if obs.hostname:
        details["hostname"] = obs.hostname
    return Finding(FINDING_TYPE, level, obs.resource, f"unreachable: {obs.unreachable}", details)


def judge_superseded(obs: Observation, newer: str) -> Finding:
    leaf = obs.leaf
    assert leaf is not None
    details = {
        "not_after": _iso(leaf.not_after),
        "subject": leaf.subject,
        "sans": leaf.sans,
        "fingerprint_sha256": leaf.fingerprint_sha256,
        "source": obs.source,
        "problems": [],
        "superseded_by": newer,
    }
    return Finding(FINDING_TYPE, Severity.OK, obs.resource, f"superseded by {newer}", details)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
