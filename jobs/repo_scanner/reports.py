"""The files a run writes when asked: --sarif, --sbom, --write-baseline (PLACEHOLDER)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jobs.core.model import RunResult
from jobs.repo_scanner.model import RepoScan
from jobs.repo_scanner.settings import RepoScannerSettings


def publish(options: Mapping[str, Any], result: RunResult, scans: Sequence[RepoScan], cfg: RepoScannerSettings) -> None:
    return None
