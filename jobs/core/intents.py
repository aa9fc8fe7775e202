"""The audit, written as a run acts (ARCHITECTURE rule 11): each action's intent is durable
before its side effect and its outcome right after, each in its own transaction; intents
left open by a run that was killed are settled by a later run.

The rows and the counters they feed are the audit store's (jobs/core/state/audit.py); this
module turns a run's actions and outcomes into them. Writes go through StateStore.retrying:
a locked or slow DB is waited out (bounded), and an intent that still cannot be written
raises StateUnavailable so the action is not taken.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from jobs.core import redact
from jobs.core.job import BaseJob
from jobs.core.model import Action, Intent, Outcome, RunError, RunResult, Settled
from jobs.core.settings import JobSettings
from jobs.core.state import owners
from jobs.core.state.audit import STARTED, AuditStore
from jobs.core.state.engine import StateStore
from jobs.core.state.locks import HOLDER

log = logging.getLogger("secops.runner")


class AuditLog:
    """One run's audit writer: a run's actions and outcomes as rows of the audit store, each
    write retried while the DB is locked (bounded). Thread-safe, like the store."""

    def __init__(self, state: StateStore, job_id: str, run_id: str, actor: str, clock: Callable[[], datetime]) -> None:
        self.state, self.job_id, self.run_id, self.actor, self.clock = state, job_id, run_id, actor, clock
        self.store = AuditStore(state, job_id, owners.tallies(job_id))

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
            "action_id": str(uuid.uuid4()),
            **extra,
        }

    def started(self, action: Action) -> str:
        """Record the intent and return its id; raises StateUnavailable when it cannot be kept."""
        row = self._row(action, STARTED)
        self.state.retrying(lambda: self.store.start(row), "record intent")
        return str(row["action_id"])

    def finished(self, action_id: str, outcome: Outcome) -> None:
        """Close the intent with what happened."""
        values = {
            "outcome": str(outcome.outcome),
            "reason": outcome.reason or outcome.action.reason,
            "error": outcome.error,
            "finished_at": self.clock(),
        }
        self.state.retrying(lambda: self.store.close(action_id, values), "record outcome")

    def record(self, outcomes: Sequence[Outcome]) -> None:
        """Outcomes with no side effect (planned, skipped): one transaction for all of them."""
        if not outcomes:
            return
        rows = [
            self._row(
                o.action, str(o.outcome), reason=o.reason or o.action.reason, error=o.error, finished_at=self.clock()
            )
            for o in outcomes
        ]
        self.state.retrying(lambda: self.store.insert(rows), "record actions")

    def open_intents(self) -> list[Intent]:
        """Intents of this job whose run is gone (AuditStore.open_actions)."""
        found = self.state.retrying(lambda: self.store.open_actions(self.run_id), "read open intents")
        return [Intent(o.action_id, o.run_id, o.kind, o.resource, o.at, o.details) for o in found]

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
            closed += self.state.retrying(lambda v=values, a=s.action_id: self.store.close(a, v), "settle intent")  # type: ignore[misc]
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
