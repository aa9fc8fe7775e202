"""Each run and its findings: what `security_job_runs_total` counts and last success reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from jobs.core.state.base import Base, Store
from jobs.core.state.durability import durable


class Run(Base):
    __tablename__ = "secops_runs"
    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), index=True)
    shard: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    exit_code: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]]
    #: the yielding options the run had on (JobSpec.mode), e.g. "warn_only"; NULL for a full run
    #: (migration 6): a lesser run's success is not the full run's
    mode: Mapped[str | None] = mapped_column(String(64), nullable=True)


class FindingRow(Base):
    __tablename__ = "secops_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("secops_runs.run_id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]


def new_run_id() -> str:
    return str(uuid.uuid4())


@durable
def record_run(state: Store, run: dict[str, Any], findings: list[dict[str, Any]]) -> None:
    """The run's row and its findings (plain dicts: one executemany); its actions are in the
    audit already, written as they were done (audit.py)."""
    with state.session() as s:
        s.execute(insert(Run), [run])
        if findings:
            s.execute(insert(FindingRow), [{**f, "run_id": run["run_id"]} for f in findings])


@durable
def run_counts(state: Store, job_id: str, shard: str, mode: str | None = None) -> dict[str, int]:
    """Runs of the job, shard and mode (None: full runs) by status."""
    with state.session() as s:
        rows = s.execute(
            select(Run.status, func.count())
            .where(Run.job_id == job_id, Run.shard == shard, _of_mode(mode))
            .group_by(Run.status)
        )
        return {status: int(count) for status, count in rows}


@durable
def last_success(state: Store, job_id: str, shard: str, mode: str | None = None) -> datetime | None:
    """When the last successful run of the job, shard and mode (None: full runs) completed."""
    with state.session() as s:
        return s.scalar(
            select(func.max(Run.completed_at)).where(
                Run.job_id == job_id, Run.shard == shard, Run.status == "success", _of_mode(mode)
            )
        )


@durable
def durations(state: Store, job_id: str, shard: str, mode: str | None = None) -> list[float]:
    """The wall time of every run of the job, shard and mode but the skipped ones: the duration
    histogram is rebuilt from them, so it keeps counting across runs as a counter must."""
    with state.session() as s:
        rows = s.execute(
            select(Run.started_at, Run.completed_at).where(
                Run.job_id == job_id, Run.shard == shard, Run.status != "skipped", _of_mode(mode)
            )
        )
        return [(done - start).total_seconds() for start, done in rows]


def _of_mode(mode: str | None) -> ColumnElement[bool]:
    return Run.mode.is_(None) if mode is None else Run.mode == mode
