"""One rotation's journal in the state DB: every step's `before` and `after`, and its close.

Version numbers, target names and what each consumer was found holding, never a value. An
operation without its `closed` entry is what the next run resumes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobs.core.state.engine import StateStore
from jobs.secret_rotation import journal_store
from jobs.secret_rotation.journal_store import JournalEntry

CLOSED = "closed"


@dataclass
class Operation:
    state: StateStore
    job_id: str
    run_id: str
    now: datetime
    path: str
    id: str

    def _write(self, rows: list[tuple[str, str, Mapping[str, Any]]]) -> None:
        stamped = [(s, p, {**d, "run_id": self.run_id}) for s, p, d in rows]
        journal_store.journal(self.state, self.job_id, self.path, self.id, self.now, stamped)

    def step(self, step: str, phase: str, data: Mapping[str, Any]) -> None:
        self._write([(step, phase, data)])

    def advance(self, step: str, data: Mapping[str, Any], then: str | None) -> None:
        """`step` done and, in the same commit, `then` about to start: one write per step."""
        self._write([(step, "after", data), *([(then, "before", data)] if then else [])])

    def close(self, outcome: str) -> None:
        self.step("done", CLOSED, {"outcome": outcome})

    def entries(self) -> list[JournalEntry]:
        return journal_store.open_operations(self.state, self.job_id, CLOSED).get(self.path, [])
