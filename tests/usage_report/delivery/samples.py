"""Hand-made TenantReports and Bundles: delivery needs figures, not aggregation or rendering."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobs.usage_report import figures
from jobs.usage_report.model import KPIS, Breakdown, Bundle, Kpi, Note, Period, Quota, Tenant, TenantReport

DAY = Period("daily", datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
WEEK = Period("weekly", datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))

KPI_VALUES: dict[str, Kpi] = {
    "calls": Kpi(123456.0, 100000.0, 23.456),
    "success": Kpi(120000.0, 99000.0, 21.2121),
    "failed": Kpi(3456.0, 1000.0, 245.6),
    "error_rate": Kpi(0.02799, 0.01, 179.9),
    "mb_in": Kpi(12.5, 10.0, 25.0),
    "mb_out": Kpi(250.25, 300.0, -16.583),
    "mb_total": Kpi(262.75, 310.0, -15.24),
    "latency_avg": Kpi(42.125, 40.0, 5.3125),
    "latency_p50": Kpi(30.0, 30.0, 0.0),
    "latency_p95": Kpi(120.5, 110.0, 9.545),
    "latency_p99": Kpi(480.0, None, None),
    "apis": Kpi(4.0),
    "applications": Kpi(7.0),
    "users": Kpi(31.0),
}
assert set(KPI_VALUES) == set(KPIS)


def tenant(tenant_id: str = "acme", name: str = "Acme", contacts: tuple[str, ...] = ("ops@acme.test",),
           **extra: Any) -> Tenant:  # fmt: skip
    return Tenant(id=tenant_id, name=name, contacts=contacts, **extra)


def report(owner: Tenant | None = None, period: Period = DAY, **extra: Any) -> TenantReport:
    apis = (Breakdown("orders", 100000.0, 3000.0), Breakdown('=HYPERLINK("http://x")', 23456.0, 456.0))
    apps = (Breakdown("mobile", 90000.0, 1.0), Breakdown("+batch", 33456.0, 3455.0))
    values: dict[str, Any] = {
        "tenant": owner or tenant(),
        "period": period,
        "kpis": KPI_VALUES,
        "quota": Quota(1_000_000, 33333.3, 370.37, 2_400_000.0, 240.0, None, True),
        "series": {},
        "top_apis_by_calls": apis,
        "top_apis_by_errors": apis[::-1],
        "top_applications_by_calls": apps,
        "top_applications_by_errors": apps[::-1],
        "completeness": 0.975,
        "incomplete": True,
        "no_traffic": False,
        "notes": (Note("quota_exceeded", {"quota": 1_000_000, "used": 2_400_000.0}),),
        **extra,
    }
    return TenantReport(**values)


def bundle(rep: TenantReport | None = None, pdf: bytes | None = None) -> Bundle:
    """Any bytes do as the PDF; these are not valid UTF-8, so a transfer that re-encodes shows."""
    rep = rep or report()
    pdf = pdf if pdf is not None else b"%PDF-1.7\n" + bytes(range(256)) * 64 + rep.tenant.id.encode() + b"\n%%EOF\n"
    return Bundle(rep, pdf, figures.csv_bytes(rep), figures.json_bytes(rep))
