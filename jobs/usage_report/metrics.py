"""usage-report's own series, what its alert rules (alerts.py) read.

- `security_usage_reports_total{period,status}`: report deliveries (one per tenant and channel)
  of every run so far, `status` delivered or failed, `period` daily or weekly. Cumulative
  across runs through the state DB (jobs/core/state/counters.py), so `increase()` works on a
  Pushgateway: deliveries are counted by the audit as each is done (TALLIES, in the same
  transaction), failures after the run acted (`count_failures`). A dry run counts nothing.
- `security_usage_report_tenants{status}`: this run's tenants. `delivered`, `failed`,
  `already_delivered` (an earlier run of the period did it), `undeliverable` (no channel left:
  no usable address and mail the only channel) and `planned` (a dry run) split them; beside
  those, `incomplete` (data completeness below the warning share) and `no_traffic` count
  tenants of any of them.

Labels are bounded: two periods, two statuses, seven tenant states; never a tenant id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from jobs.core.model import Outcome, OutcomeKind, Plan
from jobs.core.state.counters import Tally, add, tally, totals
from jobs.core.state.engine import StateStore

JOB_ID: Final = "usage-report"
KINDS: Final = ("email_report", "store_report_s3", "write_report_file")
DELIVERED: Final = tuple(Tally("reports_delivered", kind, ("period_kind",)) for kind in KINDS)
FAILED: Final = tuple(Tally("reports_failed", kind, ("period_kind",)) for kind in KINDS)
PERIODS: Final = ("daily", "weekly")
TENANT_STATES: Final = (
    "delivered",
    "failed",
    "already_delivered",
    "undeliverable",
    "planned",
    "incomplete",
    "no_traffic",
)


def count_failures(state: StateStore, outcomes: Sequence[Outcome]) -> None:
    """Add this run's failed deliveries to the cumulative counter (after acting, once)."""
    rows = [(0, o.action.kind, dict(o.action.details)) for o in outcomes if o.outcome is OutcomeKind.FAILED]
    amounts = tally(FAILED, rows)
    if amounts:
        with state.session() as s:
            add(s, JOB_ID, amounts)


def tenant_states(plan: Plan, outcomes: Sequence[Outcome]) -> dict[str, int]:
    """This run's tenants by state (see the module's docstring)."""
    by_tenant: dict[str, set[OutcomeKind]] = {}
    for outcome in outcomes:
        by_tenant.setdefault(outcome.action.resource, set()).add(outcome.outcome)
    unrendered = {f.resource for f in plan.findings if f.type == "usage_report_not_delivered"}
    failed = {t for t, kinds in by_tenant.items() if OutcomeKind.FAILED in kinds or OutcomeKind.SKIPPED in kinds}
    failed |= unrendered
    planned = {t for t, kinds in by_tenant.items() if kinds == {OutcomeKind.PLANNED}} - failed
    delivered = {t for t, kinds in by_tenant.items() if kinds == {OutcomeKind.DONE}} - failed
    summary = plan.summary
    return {
        "delivered": len(delivered),
        "failed": len(failed),
        "already_delivered": int(summary.get("tenants_already_delivered", 0)),
        "undeliverable": int(summary.get("tenants_undeliverable", 0)),
        "planned": len(planned),
        "incomplete": int(summary.get("tenants_incomplete", 0)),
        "no_traffic": int(summary.get("tenants_no_traffic", 0)),
    }


def record(registry: Any, plan: Plan, outcomes: Sequence[Outcome], state: StateStore) -> None:
    from prometheus_client import Counter, Gauge

    reports = Counter(
        "security_usage_reports",
        "Usage report deliveries (tenant x channel), all runs, by period and status",
        ["period", "status"],
        registry=registry,
    )
    for status, series in (("delivered", "reports_delivered"), ("failed", "reports_failed")):
        counted = {str(labels[0]): value for labels, value in totals(state, JOB_ID, series) if labels}
        for period in PERIODS:
            reports.labels(period, status).inc(counted.get(period, 0.0))
    tenants = Gauge(
        "security_usage_report_tenants",
        "Tenants of the last run, by delivery and data state",
        ["status"],
        registry=registry,
    )
    for status, count in tenant_states(plan, outcomes).items():
        tenants.labels(status).set(count)
