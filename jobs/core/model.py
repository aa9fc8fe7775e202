"""The operator contract's vocabulary (CONTRACT.md, "Run result"): what every layer speaks.

Imports nothing of the project, so the state store, the report, the alerts and every job can use
it without depending on `BaseJob` or on one another.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"
    OK = "ok"

    @property
    def rank(self) -> int:
        """Higher is worse; lets rules take `max()` of several severities."""
        return _RANK[self]

    @classmethod
    def worst(cls, *severities: Severity) -> Severity:
        return max(severities, key=lambda s: s.rank, default=cls.OK)


_RANK = {Severity.OK: 0, Severity.INFO: 1, Severity.WARNING: 2, Severity.CRITICAL: 3}


class RunStatus(enum.StrEnum):
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILURE = "failure"
    SKIPPED = "skipped"


class OutcomeKind(enum.StrEnum):
    PLANNED = "planned"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"  # audit only: an intent left open whose outcome could not be established


@dataclass(frozen=True)
class Finding:
    """Something a job observed. `resource` is a stable identifier (CONTRACT)."""

    type: str
    severity: Severity
    resource: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        """A finding the operator accepted (in the run's baseline): reported, but it neither
        trips the `--fail-on` gate nor alerts; only what is new since the baseline does."""
        return self.details.get("baselined") is True

    @property
    def alert_key(self) -> str:
        """Identity across runs: the same problem on the same resource."""
        return f"{self.type}:{self.resource}"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "severity": str(self.severity),
            "resource": self.resource,
            "message": self.message,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Action:
    """One side effect a job wants. `params` feeds `apply` and never reaches the result."""

    kind: str
    resource: str
    reason: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)
    destructive: bool = True  # counted by the guardrails; a notice to an owner is not


@dataclass(frozen=True)
class Outcome:
    action: Action
    outcome: OutcomeKind
    error: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.action.kind,
            "resource": self.action.resource,
            "reason": self.reason or self.action.reason,
            "outcome": str(self.outcome),
            "error": self.error,
        }
        if self.action.details:
            data["details"] = dict(self.action.details)
        return data


@dataclass(frozen=True)
class Intent:
    """An action a run recorded before acting and never closed (it was killed): what a later
    run hands to `BaseJob.reconcile`."""

    action_id: str
    run_id: str
    kind: str
    resource: str
    at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settled:
    """What became of an open intent: done, failed or unknown, and why we think so."""

    action_id: str
    outcome: OutcomeKind
    reason: str


@dataclass(frozen=True)
class RunError:
    """A problem that is not a finding: a source that could not be read, a crash."""

    source: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "message": self.message}


ItemT = TypeVar("ItemT")


@dataclass
class Inventory(Generic[ItemT]):
    """What `collect` read, plus the sources it could not read (the run goes on)."""

    items: list[ItemT] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)


@dataclass
class Plan:
    """Everything `plan` decided. `summary` adds job-specific keys to the result summary."""

    findings: list[Finding] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    job: str
    run_id: str
    started_at: datetime
    completed_at: datetime
    status: RunStatus
    dry_run: bool
    summary: dict[str, Any]
    findings: list[Finding]
    outcomes: list[Outcome]
    alerts_sent: list[str]
    errors: list[RunError]
    shard: str = "all"
    exit_code: int = 0
    reason: str | None = None  # why a run was skipped

    @property
    def duration_seconds(self) -> float:
        return round((self.completed_at - self.started_at).total_seconds(), 3)

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "run_id": self.run_id,
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "duration_seconds": self.duration_seconds,
            "status": str(self.status),
            "dry_run": self.dry_run,
            "shard": self.shard,
            "summary": self.summary,
            "findings": [f.to_json() for f in self.findings],
            "actions": [o.to_json() for o in self.outcomes],
            "alerts_sent": self.alerts_sent,
            "errors": [e.to_json() for e in self.errors],
            **({"reason": self.reason} if self.reason else {}),
        }


def iso(moment: datetime) -> str:
    """The one spelling of an instant in results, keys and messages: UTC, seconds, `Z`.
    Kept cheap (no conversion when already UTC): plans call it per resource."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.isoformat(timespec="seconds")[:19] + "Z"


def parse_instant(text: str) -> datetime:
    """The contract's `--now`: ISO 8601 with a timezone (`Z` allowed). ValueError saying why
    (the command line, a schedule and a Lambda event all word it this way)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 instant") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone (add Z or +00:00)")
    return moment


def owner_actions(kind: str, by_owner: Mapping[str, Sequence[Mapping[str, Any]]], noun: str, what: str) -> list[Action]:
    """One message per owner listing their entries (each with an `id`): owners read one mail,
    not one per resource. Not destructive: the guardrails do not count it."""
    return [
        Action(
            kind,
            f"owner:{owner}",
            f"{len(entries)} {noun}{'s' if len(entries) != 1 else ''} {what}",
            params={"owner": owner, "entries": list(entries)},
            details={"resources": [e["id"] for e in entries]},
            destructive=False,
        )
        for owner, entries in sorted(by_owner.items())
        if owner
    ]
