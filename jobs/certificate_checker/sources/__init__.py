"""SOURCES: one table of where certificates come from; each loads only when enabled.

A source is `collect(cfg, ctx) -> Inventory[Observation]`: it reads, never judges,
and turns what it cannot read into an `errors` entry naming the place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from jobs.certificate_checker.settings import CertificateCheckerSettings


@dataclass(frozen=True)
class SourceSpec:
    target: str  # "module:function"
    enabled: Callable[[CertificateCheckerSettings], bool]


SOURCES: Final[dict[str, SourceSpec]] = {
    "files": SourceSpec("jobs.certificate_checker.sources.files:collect", lambda c: bool(c.files)),
    "endpoints": SourceSpec("jobs.certificate_checker.sources.endpoints:collect", lambda c: bool(c.endpoints)),
    "kubernetes": SourceSpec("jobs.certificate_checker.sources.kubernetes:collect", lambda c: c.kubernetes.enabled),
    "vault": SourceSpec("jobs.certificate_checker.sources.vault:collect", lambda c: c.vault.enabled),
    "acm": SourceSpec("jobs.certificate_checker.sources.acm:collect", lambda c: c.acm.enabled),
}
