"""secret-rotation series: secrets by type and status (this run), rotations done by type
(all runs, the counters the audit keeps), rotations that failed this run, and secrets still
overdue once the run is over (what SecretRotationOverdue alerts on)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from jobs.core.model import Outcome, OutcomeKind, Plan
from jobs.core.state.counters import totals
from jobs.core.state.engine import StateStore
from jobs.secret_rotation.journal_store import ROTATED


def record(registry: Any, plan: Plan, outcomes: Sequence[Outcome], state: StateStore, job_id: str) -> None:
    from prometheus_client import Counter as PromCounter
    from prometheus_client import Gauge

    statuses = Counter(
        (str(f.details.get("type") or "none"), str(f.details.get("status")))
        for f in plan.findings
        if f.type == "secret_rotation"
    )
    secrets = Gauge(
        "security_secrets", "Managed secrets by type and status, last run", ["type", "status"], registry=registry
    )
    for (kind, status), count in statuses.items():
        secrets.labels(kind, status).set(count)
    rotated: Counter[str] = Counter()
    for (kind,), done in totals(state, job_id, ROTATED.series):
        rotated[str(kind)] += int(done)
    total = PromCounter("security_secrets_rotated", "Secrets rotated, all runs", ["type"], registry=registry)
    for kind, count in rotated.items():
        total.labels(kind).inc(count)
    failed = Counter(
        str(o.action.details.get("type"))
        for o in outcomes
        if o.action.kind in ("rotate", "resume") and o.outcome is OutcomeKind.FAILED
    )
    failures = Gauge(
        "security_secret_rotation_failures",
        "Rotations that failed (and were rolled back), last run",
        ["type"],
        registry=registry,
    )
    for kind, count in failed.items():
        failures.labels(kind).set(count)
    overdue = Gauge(
        "security_secrets_overdue",
        "Secrets past their max age and still not rotated when the last run ended, by type",
        ["type"],
        registry=registry,
    )
    for kind, count in _overdue(plan, outcomes).items():
        overdue.labels(kind).set(count)


#: past their age whatever the run did: a human must rotate it, or its rotation was rolled back
_LEFT_OVERDUE = frozenset({"manual_overdue", "backing_off"})


def _overdue(plan: Plan, outcomes: Sequence[Outcome]) -> Counter[str]:
    """By type, every type of the run present (0 once resolved): the secrets past their age
    that nothing rotated, because the type is rotated by hand, the last rotation was rolled
    back, the run was a dry run, or this rotation failed."""
    rotated = {
        o.action.resource for o in outcomes if o.action.kind in ("rotate", "resume") and o.outcome is OutcomeKind.DONE
    }
    found: Counter[str] = Counter()
    for f in plan.findings:
        if f.type != "secret_rotation":
            continue
        kind, status = str(f.details.get("type") or "none"), f.details.get("status")
        found[kind] += status in _LEFT_OVERDUE or (status == "due" and f.resource not in rotated)
    return found
