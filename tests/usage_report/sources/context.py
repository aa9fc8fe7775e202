"""A JobContext for calling one usage-report source directly (the job's collect is not needed)."""

from __future__ import annotations

from pathlib import Path

from jobs.core.context import JobContext
from jobs.core.settings import Settings
from jobs.core.state.engine import StateStore
from jobs.usage_report.settings import UsageReportSettings


def source_context(
    tmp_path: Path, cfg: UsageReportSettings, sleeps: list[float] | None = None
) -> JobContext[UsageReportSettings]:
    """The sources read no state: an unmigrated SQLite file (never opened) is enough. Sleeps
    go into `sleeps`, not slept, so a retry costs no time and a test can count them."""
    slept = [] if sleeps is None else sleeps
    return JobContext(
        Settings(), cfg, StateStore(f"sqlite:///{tmp_path / 'state.db'}"), "run", False, sleep=slept.append
    )
