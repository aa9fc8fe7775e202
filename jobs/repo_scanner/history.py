"""History: every commit not yet scanned on each branch (PLACEHOLDER of the skeleton)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobs.core.model import RunError
from jobs.core.state.engine import StateStore
from jobs.repo_scanner.model import BranchProgress, Checkout, Hit
from jobs.repo_scanner.scanners import ScanEnv


@dataclass
class HistoryScan:
    hits: list[Hit] = field(default_factory=list)  # new: from commits this run scanned
    stored: list[Hit] = field(default_factory=list)  # earlier runs', still reachable
    progress: list[BranchProgress] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def scan_history(checkout: Checkout, env: ScanEnv, state: StateStore, since: str | None) -> HistoryScan:
    return HistoryScan()
