"""ttl-teardown series: deletions and dollars avoided (cumulative, from the audit), what
expires within 24 h and 48 h, and violations by kind."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from jobs.core.model import Outcome, Plan
from jobs.core.state import StateStore


def _tag_of(violation: str) -> str:
    """'missing tag owner' → owner; "ttl '90d' is over ..." → ttl."""
    return violation.removeprefix("missing tag ").split(" ")[0]


def record(registry: Any, plan: Plan, outcomes: Sequence[Outcome], state: StateStore, job_id: str) -> None:
    """Earlier runs come from the audit table; this run's outcomes are not stored yet."""
    from prometheus_client import Counter as PromCounter
    from prometheus_client import Gauge

    deleted: Counter[tuple[str, str]] = Counter()
    dollars: dict[str, float] = defaultdict(float)
    for details in state.done_actions(job_id, "delete", outcomes):
        project = str(details.get("project") or "unknown")
        deleted[(str(details.get("type")), project)] += 1
        dollars[project] += float(details.get("cost_avoided_usd") or 0.0)
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
