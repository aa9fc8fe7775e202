"""SCANNERS: what is looked for in a checkout; each optional, each loaded only when enabled.

A scanner is `scan(checkout, env) -> ScanReport`: it reads the files of `checkout.root` and
returns secret-free hits. What it could not do is an `errors` entry and `ran=False` when it did
not look at all, so "nothing found" is never said of a scan that did not happen. History is the
secrets engine's too, but it walks commits (history.py), not a tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.settings import RepoScannerSettings


@dataclass(frozen=True)
class ScanEnv:
    """What every scanner is handed besides the checkout."""

    cfg: RepoScannerSettings
    fingerprints: Fingerprinter


@dataclass(frozen=True)
class ScannerSpec:
    target: str  # "module:scan"
    enabled: Callable[[RepoScannerSettings], bool]


def _spec(module: str, enabled: Callable[[RepoScannerSettings], bool]) -> ScannerSpec:
    return ScannerSpec(f"jobs.repo_scanner.scanners.{module}:scan", enabled)


SCANNERS: Final[dict[str, ScannerSpec]] = {
    "secrets": _spec("secrets", lambda c: c.scanners.secrets.enabled),
    "sast": _spec("sast", lambda c: c.scanners.sast.enabled),
    "dependencies": _spec("dependencies", lambda c: c.scanners.dependencies.enabled),
    "licenses": _spec("licenses", lambda c: c.scanners.licenses.enabled),
    "gitleaks": _spec("gitleaks", lambda c: c.scanners.gitleaks.enabled),
}
