"""Suppressions (`.secops-ignore.yaml`: fingerprint, reason, owner, expires) and the baseline
(PLACEHOLDER of the skeleton: the reports slice reads and validates them)."""

from __future__ import annotations

from pathlib import Path

from jobs.core.model import RunError, Severity
from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.model import Suppression
from jobs.repo_scanner.plan import Policy
from jobs.repo_scanner.settings import RepoScannerSettings


def policy(cfg: RepoScannerSettings, fingerprints: Fingerprinter, errors: list[RunError]) -> Policy:
    return Policy(
        overrides={"license:unknown": Severity(cfg.scanners.licenses.unknown)},
        built_in_key=fingerprints.built_in,
        max_db_age_days=cfg.scanners.dependencies.max_db_age_days,
    )


def repository(root: Path, errors: list[RunError], name: str) -> list[Suppression]:
    return []
