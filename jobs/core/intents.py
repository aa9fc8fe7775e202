"""The audit, written as a run acts (ARCHITECTURE rule 11): each action's intent is durable
before its side effect and its outcome right after, each in its own transaction; intents
left open by a run that was killed are settled by a later run.

Writes go through StateStore.retrying: a locked or slow DB is waited out (bounded), and an
intent that still cannot be written raises StateUnavailable so the action is not taken.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from jobs.core import redact
from jobs.core.job import BaseJob
from jobs.core.model import Action, Intent, Outcome, RunError, RunResult, Settled
from jobs.core.settings import JobSettings
from jobs.core.state import HOLDER, AuditEntry, RunLock, StateStore, holder_gone

log = logging.getLogger("secops.runner")
STARTED = "started"  # the outcome column of an intent not closed yet


class AuditLog:
    """One run's audit writer. Thread-safe: every call is its own session (parallel rotations)."""

    def __init__(self, state: StateStore, job_id: str, run_id: str, actor: str, clock: Callable[[], datetime]) -> None:
        self.state, self.job_id, self.run_id, self.actor, self.clock = state, job_id, run_id, actor, clock

    def _row(self, action: Action, outcome: str, **extra: Any) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job_id": self.job_id,
            "at": self.clock(),
            "actor": self.actor,
            "kind": action.kind,
            "resource": action.resource,
            "outcome": outcome,
            "reason": action.reason,
            "error": None,
            "details": redact.scrub_data(dict(action.details)),
            "holder": HOLDER,
            **extra,
        }

    def started(self, action: Action) -> str:
        """Record the intent and return its id; raises StateUnavailable when it cannot be kept."""
        action_id = str(uuid.uuid4())
        row = self._row(action, STARTED, action_id=action_id)

        def write() -> None:
            with self.state.session() as s:  # a retry after an ambiguous commit must not write it twice
                if s.scalar(select(AuditEntry.id).where(AuditEntry.action_id == action_id)) is None:
                    s.execute(insert(AuditEntry), [row])

        self.state.retrying(write, "record intent")
        return action_id

    def finished(self, action_id: str, outcome: Outcome) -> None:
        """Close the intent with what happened."""
        values = {
            "outcome": str(outcome.outcome),
            "reason": outcome.reason or outcome.action.reason,
            "error": outcome.error,
            "finished_at": self.clock(),
        }
        self.state.retrying(lambda: self._close(action_id, values), "record outcome")

    def _close(self, action_id: str, values: dict[str, Any]) -> bool:
        with self.state.session() as s:
            done = s.execute(
                update(AuditEntry)
                .where(AuditEntry.action_id == action_id, AuditEntry.outcome == STARTED)
                .values(values)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def record(self, outcomes: Sequence[Outcome]) -> None:
        """Outcomes with no side effect (planned, skipped): one transaction for all of them."""
        if not outcomes:
            return
        rows = [
            {
                **self._row(o.action, str(o.outcome), action_id=str(uuid.uuid4())),
                "reason": o.reason or o.action.reason,
                "error": o.error,
                "finished_at": self.clock(),
            }
            for o in outcomes
        ]

        def write() -> None:
            with self.state.session() as s:
                s.execute(insert(AuditEntry), rows)

        self.state.retrying(write, "record actions")

    def open_intents(self) -> list[Intent]:
        """Intents of this job whose run is gone: no live lock holds their run (a live run of
        another shard or mode is still acting and closes its own)."""

        def read() -> list[Intent]:
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
                Intent(r.action_id or "", r.run_id, r.kind, r.resource, r.at, dict(r.details))
                for r in rows
                if r.run_id not in live and r.run_id != self.run_id and r.action_id
            ]

        return self.state.retrying(read, "read open intents")

    def settle(self, settled: Sequence[Settled]) -> int:
        """Close intents with what a job found; one that another run closed first is left."""
        closed = 0
        for s in settled:
            values = {
                "outcome": str(s.outcome),
                "reason": s.reason,
                "finished_at": self.clock(),
                "error": None,
            }
            closed += self.state.retrying(lambda v=values, a=s.action_id: self._close(a, v), "settle intent")  # type: ignore[misc]
        return closed


def reconcile(job: BaseJob[Any, JobSettings], audit: AuditLog, result: RunResult) -> int:
    """Settle what earlier runs of this job left open; returns how many were closed. A job
    whose check fails leaves them open (the run reports why) for the next run to try."""
    intents = audit.open_intents()
    if not intents:
        return 0
    try:
        answers = job.reconcile(intents)
    except Exception as exc:  # the check is the job's: a failure is this run's error, recorded
        log.exception("reconcile_failed")
        result.errors.append(RunError("reconcile", redact.scrub(f"{type(exc).__name__}: {exc}")))
        return 0
    ours = {i.action_id for i in intents}
    closed = audit.settle([a for a in answers if a.action_id in ours])
    log.warning(
        "intents_reconciled",
        extra={"fields": {"open": len(intents), "closed": closed, **Counter(str(a.outcome) for a in answers)}},
    )
    return closed
