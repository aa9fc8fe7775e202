"""usage-report's plan, pure: what is delivered where, and what the operator is told.

The two rules it protects, as properties over adversarial tenants (ids that differ only in
case, space or accents, no contacts, every channel delivered or not): a channel a period was
delivered on is never planned again (unless --force), and each delivery carries its own
tenant's report, never a look-alike's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.core.model import Outcome, OutcomeKind, Severity
from jobs.usage_report import render
from jobs.usage_report.model import Bundle, Period, Tenant, TenantUsage, Window
from jobs.usage_report.plan import KINDS, Options, build_plan, not_delivered, percent
from jobs.usage_report.settings import UsageReportSettings

PERIOD = Period("weekly", datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
CHANNELS = ("email", "s3", "directory")


def cfg(**delivery: Any) -> UsageReportSettings:
    return UsageReportSettings.model_validate(
        {
            "prometheus": {"url": "http://prometheus"},
            "control_plane": {"dsn": "postgresql://cp"},
            "delivery": {"email": True, "s3_bucket": "reports", "directory": "/reports", **delivery},
            "render_workers": 1,
        }
    )


def usage(tenant_id: str, contacts: tuple[str, ...] = ("ops@x.example",), **fields: Any) -> TenantUsage:
    tenant = Tenant(tenant_id, f"Name of {tenant_id}", contacts, monthly_call_quota=fields.pop("quota", None))
    window = Window(calls_by_code={"200": 900.0, "500": 100.0}, bytes_in=1e6, bytes_out=2e6)
    fields.setdefault("completeness", 1.0)
    return TenantUsage(tenant, PERIOD, current=window, previous=window, **fields)


ids = st.sampled_from(["acme", "ACME", " acme", "acme ", "acmé", "ac\u200bme", "\u0662", "a/b", "x" * 300])


@settings(max_examples=25)
@given(
    st.lists(
        st.tuples(ids, st.sets(st.sampled_from(CHANNELS)), st.booleans()),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t[0],
    ),
    st.booleans(),
)
def test_a_delivered_channel_is_never_planned_again_unless_forced_and_each_carries_its_own_report(
    tenants: list[tuple[str, set[str], bool]], force: bool
) -> None:
    items = [
        usage(t, ("ops@x.example",) if contacted else (), delivered=frozenset(done)) for t, done, contacted in tenants
    ]
    plan = build_plan(items, cfg(), Options(force=force))
    planned: dict[str, set[str]] = {}
    for action in plan.actions:
        bundle = action.params["bundle"]
        assert isinstance(bundle, Bundle) and not action.destructive
        tenant = action.details["tenant"]
        assert action.resource == f"tenant:{tenant}" and bundle.report.tenant.id == tenant  # its own, never alike
        assert json.loads(bundle.json)["tenant"]["id"] == tenant  # the bytes too, not only the report beside them
        assert bundle.pdf == render.render(bundle.report)
        assert action.kind == KINDS[action.details["channel"]]
        assert set(action.details) == {"tenant", "period", "channel", "period_kind"}  # no bytes in the result
        planned.setdefault(tenant, set()).add(action.details["channel"])
    for tenant, done, contacted in tenants:
        due = set(CHANNELS) - ({"email"} if not contacted else set())
        assert planned.get(tenant, set()) == (due if force else due - done)


def test_findings_name_incomplete_data_source_problems_quota_and_missing_contacts() -> None:
    items = [
        usage("a", completeness=0.99949),
        usage("b", problems=("latency: Prometheus timed out",)),
        usage("c", contacts=(), problems=("contact_email is empty: the report cannot be mailed",)),
        usage("d", quota=100, month_to_date_calls=5000.0),
    ]
    plan = build_plan(items, cfg(), Options())
    found = {(f.type, f.resource): f for f in plan.findings}
    incomplete = found[("usage_data_incomplete", "tenant:a")]
    assert incomplete.severity is Severity.WARNING and "99.9 %" in incomplete.message  # never rounded up to 100
    problem = found[("usage_source_problem", "tenant:b")]
    assert problem.severity is Severity.WARNING and "latency: Prometheus timed out" in problem.message
    contact = found[("usage_no_contact", "tenant:c")]
    assert contact.severity is Severity.WARNING and "only stored" in contact.message
    assert found[("usage_quota_exceeded", "tenant:d")].severity is Severity.INFO
    assert {f.resource for f in plan.findings if f.type == "usage_report"} == {f"tenant:{t}" for t in "abcd"}
    assert ("email", "tenant:c") not in {(a.details["channel"], a.resource) for a in plan.actions}
    assert plan.summary["tenants_incomplete"] == 1 and plan.summary["tenants_reported"] == 4


def test_a_failed_delivery_is_that_tenants_finding() -> None:
    plan = build_plan([usage("a")], cfg(s3_bucket=None, directory=None), Options())
    [action] = plan.actions
    [finding] = not_delivered([Outcome(action, OutcomeKind.FAILED, error="email: recipients refused: ops@x.example")])
    assert (finding.type, finding.resource, finding.severity) == (
        "usage_report_not_delivered",
        "tenant:a",
        Severity.WARNING,
    )
    assert "refused" in finding.message and finding.details["channel"] == "email"


@given(st.floats(0, 1))
def test_a_share_below_one_never_reads_as_100_percent(share: float) -> None:
    text = percent(share)
    assert (text == "100 %") == (share == 1.0)
