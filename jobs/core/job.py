"""BaseJob: collect → plan(items, now) → apply(action), the shape every job fills in.

A job only reads in `collect`, only decides in `plan` (pure: time is an argument),
and makes exactly one side effect per `apply` call. The runner owns everything else.
The vocabulary it speaks (Finding, Action, Plan, ...) lives in `jobs.core.model`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from jobs.core.context import CfgT, JobContext
from jobs.core.errors import PermanentError
from jobs.core.model import (
    Action,
    Finding,
    Intent,
    Inventory,
    ItemT,
    Outcome,
    OutcomeKind,
    Plan,
    RunResult,
    Settled,
)


class BaseJob(ABC, Generic[ItemT, CfgT]):
    """collect → plan(items, now) → apply(action). Subclasses never branch on dry-run.

    `ItemT` is what `collect` reads and `plan` decides on; `CfgT` the job's settings section
    (the model its registry entry names), so `self.cfg` is typed without a cast."""

    #: the contract's job id, e.g. "ttl-teardown"
    id: ClassVar[str]
    #: actions in flight at once; more than 1 only where actions never depend on each other
    parallel_actions: int = 1

    def __init__(self, ctx: JobContext[CfgT]) -> None:
        self.ctx = ctx

    @property
    def cfg(self) -> CfgT:
        """This job's settings section."""
        return self.ctx.job_settings

    @abstractmethod
    def collect(self) -> Inventory[ItemT]:
        """Read-only: turn external systems into typed items; under `--shard`, only the units
        `self.ctx.owns(key)` accepts (the runner does not filter again)."""

    @abstractmethod
    def plan(self, items: Sequence[ItemT], now: datetime) -> Plan:
        """Pure: findings and actions from items, policy and `now`."""

    def apply(self, action: Action) -> None:
        """Exactly one side effect. Raise TransientError to be retried, PermanentError to fail it."""
        raise NotImplementedError(f"{type(self).__name__} plans no actions")

    def outcome_findings(self, outcomes: Sequence[Outcome]) -> list[Finding]:
        """Findings only acting can reveal (a rotation that failed and was rolled back); they
        are alerted on like the plan's."""
        return []

    def reconcile(self, intents: Sequence[Intent]) -> list[Settled]:
        """Settle actions an earlier run began and never closed: ask the world (is the resource
        gone? then the deletion was done). A job that cannot tell leaves them `unknown`, with
        the reason, rather than claiming either way. Read-only, like `collect`."""
        return [
            Settled(i.action_id, OutcomeKind.UNKNOWN, f"interrupted: run {i.run_id} ended before recording an outcome")
            for i in intents
        ]

    def after_apply(self, run_id: str, outcomes: Sequence[Outcome]) -> None:
        """After acting (never in a dry run): export an audit trail, clean up. Errors are recorded."""

    def alert_group(self, finding: Finding) -> str | None:
        """The group whose alerts a chat or e-mail channel carries as one message (a repository's
        findings: one mail per repository, not one per finding); None: digested as usual.
        Delivery and alert state stay per finding."""
        return None

    def publish(self, result: RunResult) -> None:
        """Write the reports the run's options ask for (SARIF, an SBOM, a baseline file) from the
        finished result. Runs in dry runs too: a report is what a dry run is for, not state a
        later run trusts. Errors are recorded on the result, never lost."""

    def record_metrics(self, registry: Any, plan: Plan, outcomes: Sequence[Outcome]) -> None:
        """Add job-specific series to the run's registry; the runner pushes them once."""


A = TypeVar("A", bound=Action)


def typed_action(action: Action, kind: type[A]) -> A:
    """The action as the typed one its kind promises (a job's handler table maps each kind to a
    handler of one Action subclass); anything else is a bug in the plan, never retried."""
    if not isinstance(action, kind):
        raise PermanentError(f"{action.kind} action for {action.resource} is not a {kind.__name__}")
    return action
