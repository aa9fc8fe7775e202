"""secret-rotation series: secrets by type and status (this run), rotations done by type
(all runs, from the audit), and rotations that failed this run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from jobs.core.model import Outcome, OutcomeKind, Plan
from jobs.core.state import StateStore


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
    rotated = Counter(str(d.get("type")) for d in state.done_actions(job_id, "rotate", outcomes))
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
