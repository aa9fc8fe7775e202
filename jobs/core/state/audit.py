"""The audit store: every action of every run, written as the run acts, and the counters
it feeds (counters.py) in the same transaction as the row that says an action was done.

An action that acts is written twice, each in its own commit: `started` before the side
effect (`at`), its outcome right after (`finished_at`). A row still `started` when its run
is gone is an intent left open by a kill, settled by a later run (jobs/core/intents.py turns
a run's actions into these rows). Plain values in and out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from jobs.core.state import counters
from jobs.core.state.base import Base, Bind, Store
from jobs.core.state.locks import RunLock, holder_gone
from jobs.core.state.migrations import connection

STARTED = "started"  # the outcome column of an intent not closed yet
DONE = "done"  # the outcome the counters count


class AuditEntry(Base):
    __tablename__ = "secops_audit"
    __table_args__ = (
        Index("ix_secops_audit_action_id", "action_id", unique=True),
        Index("ix_secops_audit_open", "job_id", "outcome"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36), index=True)
    job_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any]]
    action_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # migration 4
    holder: Mapped[str | None] = mapped_column(String(255), nullable=True)  # host:pid that acted
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


@dataclass(frozen=True)
class OpenAction:
    """An intent whose run is gone: begun, never closed."""

    action_id: str
    run_id: str
    kind: str
    resource: str
    at: datetime
    details: dict[str, Any]


class AuditStore:
    """One job's audit rows. Thread-safe: every call is its own session (parallel rotations)."""

    def __init__(self, state: Store, job_id: str, tallies: Sequence[counters.Tally] = ()) -> None:
        self.state, self.job_id, self.tallies = state, job_id, tuple(tallies)

    def start(self, row: dict[str, Any]) -> None:
        """Insert an intent; a retry after an ambiguous commit does not write it twice."""
        with self.state.session() as s:
            if s.scalar(select(AuditEntry.id).where(AuditEntry.action_id == row["action_id"])) is None:
                s.execute(insert(AuditEntry), [row])

    def close(self, action_id: str, values: dict[str, Any]) -> bool:
        """Close an intent (False: another run closed it first); a `done` one is counted in
        the same commit."""
        with self.state.session() as s:
            closed = s.execute(
                update(AuditEntry)
                .where(AuditEntry.action_id == action_id, AuditEntry.outcome == STARTED)
                .values(values)
            )
            if not closed.rowcount:  # type: ignore[attr-defined]
                return False
            if values["outcome"] == DONE:
                self._count(s, [action_id])
            return True

    def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        """Rows already closed (nothing was acted on), in one transaction."""
        with self.state.session() as s:
            s.execute(insert(AuditEntry), list(rows))
            self._count(s, [r["action_id"] for r in rows if r["outcome"] == DONE])

    def _count(self, s: Session, action_ids: list[str]) -> None:
        if not self.tallies or not action_ids:
            return
        done = s.execute(
            select(AuditEntry.id, AuditEntry.kind, AuditEntry.details)
            .where(AuditEntry.action_id.in_(action_ids))
            .order_by(AuditEntry.id)
        )
        counters.add(s, self.job_id, counters.tally(self.tallies, done))

    def open_actions(self, run_id: str) -> list[OpenAction]:
        """Intents of this job whose run is gone: no live lock holds their run (a live run of
        another shard or mode is still acting and closes its own), nor is it `run_id`'s."""
        with self.state.session() as s:
            rows = s.scalars(
                select(AuditEntry)
                .where(AuditEntry.job_id == self.job_id, AuditEntry.outcome == STARTED)
                .order_by(AuditEntry.id)
            ).all()
            runs = {r.run_id for r in rows}
            locks = s.scalars(select(RunLock).where(RunLock.run_id.in_(runs))).all() if runs else []
        wall = datetime.now(UTC)  # locks are kept in wall time
        live = {k.run_id for k in locks if k.expires_at >= wall and not holder_gone(k.holder)}
        return [
            OpenAction(r.action_id, r.run_id, r.kind, r.resource, r.at, dict(r.details))
            for r in rows
            if r.run_id not in live and r.run_id != run_id and r.action_id
        ]


def backfill(job_id: str, tallies: Sequence[counters.Tally]) -> Callable[[Bind], None]:
    """The migration step with which a job starts counting: its counters from the audit it
    already has, the sums the audit scan used to give, in the order it gave them."""
    kinds = {t.kind for t in tallies}

    def step(bind: Bind) -> None:
        with connection(bind) as conn:
            done = conn.execute(
                select(AuditEntry.id, AuditEntry.kind, AuditEntry.details)
                .where(AuditEntry.job_id == job_id, AuditEntry.outcome == DONE, AuditEntry.kind.in_(kinds))
                .order_by(AuditEntry.id)
            )
            counters.add(conn, job_id, counters.tally(tallies, done))

    return step


COLUMNS = ("run_id", "job_id", "at", "kind", "resource", "outcome", "reason", "error")


def entries(state: Store, job: str | None, since: datetime | None) -> list[tuple[Any, ...]]:
    """The audit rows in the order they were written (`python -m jobs audit`). Only the
    columns of migration 2, so an older schema still answers."""
    e = AuditEntry
    query = select(e.run_id, e.job_id, e.at, e.kind, e.resource, e.outcome, e.reason, e.error)
    query = query.order_by(AuditEntry.at, AuditEntry.id)
    if job:
        query = query.where(AuditEntry.job_id == job)
    if since:
        query = query.where(AuditEntry.at >= since)
    with state.session() as s:
        return [tuple(row) for row in s.execute(query)]
