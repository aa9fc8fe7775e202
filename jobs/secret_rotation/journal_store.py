"""secret-rotation's own tables: the write-ahead journal of rotations, and its counters.

Owned here, migrated by the core's migrator (jobs/core/state/owners.py names this module):
`MIGRATIONS` is this job's table, versioned from 1. journal.py writes one rotation's steps
through these functions; what the job reads back are plain JournalEntry values. The owner
notices it sends are kept in the core's notices store, which ttl-teardown shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, delete, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.state.audit import backfill
from jobs.core.state.base import Base, Store
from jobs.core.state.counters import Tally
from jobs.core.state.durability import durable
from jobs.core.state.migrations import Migration, create

JOB_ID = "secret-rotation"
ROTATED = Tally("rotated", "rotate", ("type",))
TALLIES = (ROTATED,)


class JournalRow(Base):
    __tablename__ = "secops_journal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(512), index=True)
    operation_id: Mapped[str] = mapped_column(String(36), index=True)
    step: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


@dataclass(frozen=True, eq=False)
class JournalEntry:
    """One journaled step of an operation (never a secret value). Compared and hashed by
    identity, as the rows it replaces were: items and actions carrying it stay hashable."""

    id: int
    subject: str
    operation_id: str
    step: str
    phase: str
    at: datetime
    data: dict[str, Any]


#: this job's migrations; append only, never edit a released step
MIGRATIONS: list[Migration] = [
    Migration(1, "rotation journal", create(JournalRow)),  # core migration 1 made it until release 4
    Migration(2, "rotation counters from the audit", backfill(JOB_ID, TALLIES)),
]


@durable
def journal(
    state: Store, job_id: str, subject: str, operation_id: str, at: datetime, entries: Sequence[tuple[str, str, Any]]
) -> None:
    """(step, phase, data) entries of a multi-step operation, in one commit. One Core INSERT,
    no ORM unit of work: a rotation writes several."""
    rows = [
        {
            "job_id": job_id,
            "subject": subject,
            "operation_id": operation_id,
            "step": step,
            "phase": phase,
            "at": at,
            "data": dict(data),
        }
        for step, phase, data in entries
    ]
    with state.engine.begin() as conn:
        conn.execute(insert(JournalRow), rows)


def open_operations(state: Store, job_id: str, closed: str) -> dict[str, list[JournalEntry]]:
    """subject → the entries of its operation that never reached phase `closed` (a crash)."""
    with state.session() as s:
        ended = select(JournalRow.operation_id).where(JournalRow.job_id == job_id, JournalRow.phase == closed)
        rows = s.scalars(
            select(JournalRow)
            .where(JournalRow.job_id == job_id, JournalRow.operation_id.not_in(ended))
            .order_by(JournalRow.id)
        )
        found: dict[str, list[JournalEntry]] = {}
        for row in rows:
            found.setdefault(row.subject, []).append(_entry(row))
        return found


def _entry(row: JournalRow) -> JournalEntry:
    data: Mapping[str, Any] = row.data
    return JournalEntry(row.id, row.subject, row.operation_id, row.step, row.phase, row.at, dict(data))


def prune_journal(state: Store, job_id: str, closed: str, before: datetime) -> int:
    """Forget operations that closed before `before`: the audit keeps what was done, and
    the journal only has to outlive a crash. Returns how many entries went."""
    with state.session() as s:
        old = select(JournalRow.operation_id).where(
            JournalRow.job_id == job_id, JournalRow.phase == closed, JournalRow.at < before
        )
        gone = s.execute(delete(JournalRow).where(JournalRow.operation_id.in_(old)))
        return int(gone.rowcount)  # type: ignore[attr-defined]
