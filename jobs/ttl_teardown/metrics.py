"""ttl-teardown series: deletions and dollars avoided (cumulative, the counters the audit keeps), what
expires within 24 h and 48 h, and violations by kind."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from jobs.core.model import Outcome, Plan
from jobs.core.state.counters import totals
from jobs.core.state.engine import StateStore
from jobs.ttl_teardown.state import COST_AVOIDED, DELETED


def _tag_of(violation: str) -> str:
    """'missing tag owner' → owner; "ttl '90d' is over ..." → ttl."""
    return violation.removeprefix("missing tag ").split(" ")[0]


def record(registry: Any, plan: Plan, outcomes: Sequence[Outcome], state: StateStore, job_id: str) -> None:
    """All runs' deletions, this one's included, from the counters (state.TALLIES) the audit
    added to as each was done; no scan of the audit history."""
    from prometheus_client import Counter as PromCounter
    from prometheus_client import Gauge

    deleted: Counter[tuple[str, str]] = Counter()
    dollars: dict[str, float] = defaultdict(float)
    for (kind, project), count in totals(state, job_id, DELETED.series):
        deleted[(str(kind), str(project or "unknown"))] += int(count)
    for (project,), amount in totals(state, job_id, COST_AVOIDED.series):
        dollars[str(project or "unknown")] += amount
    total = PromCounter(
        "security_resources_deleted", "Resources deleted, all runs", ["type", "project"], registry=registry
    )
    for (kind, project), count in deleted.items():
        total.labels(kind, project).inc(count)
    saved = Gauge("security_cost_avoided_usd", "Dollars avoided by deletions, all runs", ["project"], registry=registry)
    for project, amount in dollars.items():
        saved.labels(project).set(round(amount, 2))
    expiring = Gauge(
        "security_resources_expiring", "Resources whose ttl ends within the window", ["within"], registry=registry
    )
    expiring.labels("24h").set(plan.summary.get("expiring_24h", 0))
    expiring.labels("48h").set(plan.summary.get("expiring_48h", 0))
    kinds = Counter(
        _tag_of(v) for f in plan.findings if f.type == "tag_violation" for v in f.details.get("violations", [])
    )
    violations = Gauge("security_tag_violations", "Tag violations of the last run, by tag", ["tag"], registry=registry)
    for tag, count in kinds.items():
        violations.labels(tag).set(count)
