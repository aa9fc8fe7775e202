"""The scanner's own series (PLACEHOLDER): security_repo_findings{repo,type,severity}."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobs.core.model import Plan
from jobs.repo_scanner.model import RepoScan


def record(registry: Any, plan: Plan, scans: Sequence[RepoScan]) -> None:
    return None
