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
    #: "module:function", (settings) -> Permissions: the grants the source needs with those settings
    permissions: str


def _source(name: str, enabled: Callable[[CertificateCheckerSettings], bool]) -> SourceSpec:
    module = f"jobs.certificate_checker.sources.{name}"
    return SourceSpec(f"{module}:collect", enabled, f"{module}:permissions")


SOURCES: Final[dict[str, SourceSpec]] = {
    "files": _source("files", lambda c: bool(c.files)),
    "endpoints": _source("endpoints", lambda c: bool(c.endpoints)),
    "kubernetes": _source("kubernetes", lambda c: c.kubernetes.enabled),
    "vault": _source("vault", lambda c: c.vault.enabled),
    "acm": _source("acm", lambda c: c.acm.enabled),
}
