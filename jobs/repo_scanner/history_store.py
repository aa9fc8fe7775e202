"""Watermarks and history hits in the state DB (PLACEHOLDER of the skeleton)."""

from __future__ import annotations

from collections.abc import Sequence

from jobs.core.state.engine import StateStore
from jobs.repo_scanner.model import BranchProgress, Hit, ScanTarget


def record(state: StateStore, target: ScanTarget, progress: Sequence[BranchProgress], hits: Sequence[Hit]) -> None:
    raise NotImplementedError("history store: not built yet")
