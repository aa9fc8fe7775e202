"""TenantReports built directly (as aggregate.py would), for the renderer's tests, the bench
floor and the picture in docs/: realistic figures that differ per tenant (`scale`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from jobs.usage_report.model import KPIS, Breakdown, Kpi, Note, Period, Quota, Series, Tenant, TenantReport

WEEK = Period("weekly", datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
DAY = Period("daily", datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))

METHODS = {
    "calls": "sum by (tenant) (increase(gateway_requests_total[604800s] @ 1764460800))",
    "success": 'sum by (tenant) (increase(gateway_requests_total{code=~"[123].."}[604800s] @ 1764460800))',
    "failed": 'sum by (tenant) (increase(gateway_requests_total{code=~"[45].."}[604800s] @ 1764460800))',
    "mb_in": "sum by (tenant) (increase(gateway_request_size_bytes_total[604800s] @ 1764460800))",
    "mb_out": "sum by (tenant) (increase(gateway_response_size_bytes_total[604800s] @ 1764460800))",
    "latency_avg": "sum by (tenant) (increase(gateway_request_duration_seconds_sum[604800s])) / "
    "sum by (tenant) (increase(gateway_request_duration_seconds_count[604800s]))",
    "latency_p95": "histogram_quantile(0.95, sum by (tenant, le) "
    "(increase(gateway_request_duration_seconds_bucket[604800s] @ 1764460800)))",
    "apis": "SELECT tenant_id, count(*) FROM apis GROUP BY tenant_id",
    "completeness": 'count_over_time(up{job="gateway"}[604800s:30s])',
}


def kpis(scale: float) -> dict[str, Kpi]:
    """Every KPI, with a previous value and a change; `scale` makes one tenant's differ from another's."""
    calls = round(1_234_567 * scale)
    failed = round(calls * 0.0213)
    now = {
        "calls": calls,
        "success": calls - failed,
        "failed": failed,
        "error_rate": failed / calls,
        "mb_in": 812.34 * scale,
        "mb_out": 4_321.9 * scale,
        "mb_total": 5_134.24 * scale,
        "latency_avg": 48.7 + scale,
        "latency_p50": 31.2 + scale,
        "latency_p95": 142.8 + scale,
        "latency_p99": 388.4 + scale,
        "apis": 12 + round(scale * 3),
        "applications": 7,
        "users": 43,
    }
    found = {}
    for index, name in enumerate(KPIS):
        value = float(now[name])
        if name in ("apis", "applications", "users"):  # counted now: no previous (as aggregate)
            found[name] = Kpi(value)
            continue
        previous = value / (1 + (0.12 if index % 3 else -0.075))
        found[name] = Kpi(value, previous, (value - previous) / previous * 100)
    return found


def series(period: Period, scale: float, gap: tuple[int, int] | None = None) -> dict[str, Series]:
    """Each chart series at the period's step, a daily wave; steps in `gap` (indexes) missing."""
    steps = int(period.length / period.step)
    out: dict[str, list[tuple[datetime, float]]] = {}
    for k in range(1, steps + 1):
        if gap and gap[0] <= k < gap[1]:
            continue
        t = period.start + k * period.step
        wave = 1 + 0.6 * math.sin(2 * math.pi * (t.hour - 8) / 24)
        values = {
            "calls": 7000 * scale * wave,
            "errors": 150 * scale * wave * (1.5 if k % 7 == 0 else 1),
            "latency_p50": 31.0 * (1 + 0.2 * wave),  # ms and MB: the report's units (aggregate's)
            "latency_p95": 142.0 * (1 + 0.3 * wave),
            "latency_p99": 388.0 * (1 + 0.4 * wave),
            "bytes_in": 4.8 * scale * wave,
            "bytes_out": 25.7 * scale * wave,
        }
        for name, value in values.items():
            out.setdefault(name, []).append((t, value))
    return {name: tuple(points) for name, points in out.items()}


def breakdowns(prefix: str, count: int, scale: float, names: Sequence[str] = ()) -> tuple[Breakdown, ...]:
    chosen = list(names) + [f"{prefix}-{i:02d}" for i in range(len(names), count)]
    return tuple(
        Breakdown(name, round(200_000 * scale / (i + 1)), round(4_000 * scale / (i + 2)))
        for i, name in enumerate(chosen)
    )


def report(
    tenant_id: str = "acme",
    name: str = "Acme Corporation",
    locale: str = "en",
    *,
    period: Period = WEEK,
    scale: float = 1.0,
    top: int = 5,
    api_names: Sequence[str] = (),
    completeness: float = 1.0,
    exceeded: bool = False,
    no_traffic: bool = False,
    notes: Sequence[Note] = (),
) -> TenantReport:
    tenant = Tenant(tenant_id, name, (f"ops@{tenant_id}.example",), locale, 30_000_000, apis=15)
    quota = Quota(
        monthly=30_000_000,
        period_allowance=7_000_000.0,
        period_used_percent=1_234_567 * scale / 7_000_000 * 100,
        month_to_date_calls=(34_000_000 if exceeded else 4_800_000) * scale,
        month_used_percent=(113.3 if exceeded else 16.0) * scale,
        runs_out_on=datetime(2026, 11, 27, tzinfo=UTC) if exceeded else None,
        exceeded=exceeded,
    )
    gap = (9, 13) if completeness < 1 else None
    apis = breakdowns("orders-api", top, scale, api_names)
    apps = breakdowns("mobile-app", top, scale)
    return TenantReport(
        tenant=tenant,
        period=period,
        kpis={} if no_traffic else kpis(scale),
        quota=quota,
        series={} if no_traffic else series(period, scale, gap),
        top_apis_by_calls=() if no_traffic else apis,
        top_apis_by_errors=() if no_traffic else tuple(sorted(apis, key=lambda b: -b.errors)),
        top_applications_by_calls=() if no_traffic else apps,
        top_applications_by_errors=() if no_traffic else tuple(sorted(apps, key=lambda b: -b.errors)),
        completeness=None if no_traffic else completeness,
        no_traffic=no_traffic,
        notes=tuple(notes),
        methods=METHODS,
        locale=locale,
        incomplete=completeness < 1,
    )
