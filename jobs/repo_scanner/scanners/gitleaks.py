"""The gitleaks scanner (PLACEHOLDER of the skeleton)."""

from __future__ import annotations

from jobs.repo_scanner.model import Checkout, ScanReport
from jobs.repo_scanner.scanners import ScanEnv


def scan(checkout: Checkout, env: ScanEnv) -> ScanReport:
    return ScanReport(ran=False, stats={"why_not_run": "not built yet"})
