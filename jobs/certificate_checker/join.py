"""What no single-source tool sees: stored and served certificates side by side.

- links: the same certificate (SHA-256 fingerprint) stored in one place and served at
  an endpoint, or stored in several places;
- superseded: in an issuing store (Vault PKI, ACM) an older certificate for the same
  names as a newer one is history, not a problem;
- stale deployments: an endpoint serving an older certificate than the newest one
  stored for its hostname (renewed, never rolled out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from jobs.certificate_checker.model import CertInfo, Observation
from jobs.certificate_checker.rules import hostname_matches

STORAGE = {"file", "kubernetes", "vault", "acm"}
ISSUING_STORES = {"vault", "acm"}


@dataclass
class Joined:
    links: dict[str, list[str]] = field(default_factory=dict)  # resource → other resources, same certificate
    superseded: dict[str, str] = field(default_factory=dict)  # resource → the newer resource
    stale: dict[str, str] = field(default_factory=dict)  # endpoint resource → newer stored resource


def _newest_key(obs: Observation) -> tuple[object, ...]:
    leaf = obs.leaf
    assert leaf is not None
    return (leaf.not_after, leaf.not_before, obs.resource)


def _identity(leaf: CertInfo) -> tuple[str, ...]:
    return tuple(sorted(leaf.sans)) or (leaf.subject,)


def join(observations: Sequence[Observation]) -> Joined:
    seen = [o for o in observations if o.leaf is not None]
    joined = Joined()
    by_fingerprint: dict[str, list[str]] = defaultdict(list)
    for obs in seen:
        assert obs.leaf is not None
        by_fingerprint[obs.leaf.fingerprint_sha256].append(obs.resource)
    for obs in seen:
        assert obs.leaf is not None
        others = [r for r in by_fingerprint[obs.leaf.fingerprint_sha256] if r != obs.resource]
        if others:
            joined.links[obs.resource] = others

    groups: dict[tuple[object, ...], list[Observation]] = defaultdict(list)
    for obs in seen:
        if obs.source in ISSUING_STORES:
            assert obs.leaf is not None
            groups[(obs.source, obs.extra.get("store"), _identity(obs.leaf))].append(obs)
    for members in groups.values():
        newest = max(members, key=_newest_key)
        for obs in members:
            if obs is not newest:
                joined.superseded[obs.resource] = newest.resource

    joined.stale = _stale(seen, joined.superseded)
    return joined


def _stale(seen: Sequence[Observation], superseded: dict[str, str]) -> dict[str, str]:
    """Endpoints whose certificate is older than the newest stored one for their hostname."""
    index: dict[str, list[Observation]] = defaultdict(list)  # SAN (as written) → stored observations
    for obs in seen:
        if obs.source in STORAGE and obs.resource not in superseded:
            assert obs.leaf is not None
            for name in obs.leaf.sans:
                index[name].append(obs)
    stale: dict[str, str] = {}
    for obs in seen:
        if obs.source != "endpoint" or not obs.hostname:
            continue
        host = obs.hostname.rstrip(".").lower()
        parent = host.partition(".")[2]
        candidates = [
            s
            for s in index.get(host, []) + index.get(f"*.{parent}", [])
            if s.leaf is not None and hostname_matches(host, s.leaf.dns_names, s.leaf.ip_addresses)
        ]
        if not candidates:
            continue
        newest = max(candidates, key=_newest_key)
        served, stored = obs.leaf, newest.leaf
        assert served is not None and stored is not None
        if stored.fingerprint_sha256 != served.fingerprint_sha256 and stored.not_after > served.not_after:
            stale[obs.resource] = newest.resource
    return stale
