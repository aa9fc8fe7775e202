"""Alert rules on the scanner's own series (PLACEHOLDER)."""

from __future__ import annotations

from jobs.core.alerting import Alert
from jobs.repo_scanner.settings import RepoScannerSettings


def alerts(cfg: RepoScannerSettings) -> list[Alert]:
    return []
