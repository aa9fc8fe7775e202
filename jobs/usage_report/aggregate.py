"""TenantUsage → TenantReport: every figure of one tenant's report, computed once. Pure.

The PDF, the mail, the CSV and the JSON all show the report this returns, so a number can never
differ between them. Inputs are what the sources read, unchecked: every raw figure goes through
`values.Checker` first, so a NaN, an infinity, a negative increase (a counter reset) or a sum
too large for a float becomes None (`n/a` on the report) and a Note naming it, never a `nan` in
a PDF or an exception in a render pool. Calls are split by status class: 1xx-3xx succeeded,
4xx-5xx failed, anything else ("0", "600", "") is counted in the total only, and noted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from jobs.core.digits import is_ascii_digits
from jobs.usage_report import locale, ranking
from jobs.usage_report.model import KPIS, Breakdown, Kpi, Note, Series, Tenant, TenantReport, TenantUsage, Window
from jobs.usage_report.quota import quota
from jobs.usage_report.values import Checker, ratio

MB: float = 1e-6  # bytes → MB (10^6 bytes, as the appendix says)
MS: float = 1000.0  # seconds → milliseconds
#: a series' raw unit → the report's (calls and errors stay counts)
SERIES_SCALE: Mapping[str, float] = {
    "latency_p50": MS,
    "latency_p95": MS,
    "latency_p99": MS,
    "bytes_in": MB,
    "bytes_out": MB,
}
#: KPIs the control plane counts now, with no figure for the previous period: no change shown
UNCOMPARED = frozenset({"apis", "applications", "users"})
#: how many unusual status codes a Note lists
SHOWN_CODES = 5


def status_class(code: object) -> str:
    """`success` (1xx-3xx), `failed` (4xx-5xx) or `other`; `"2xx"` style classes count too."""
    text = str(code).strip().lower()
    if len(text) == 3 and text[0] in "12345" and (is_ascii_digits(text[1:]) or text[1:] == "xx"):
        return "success" if text[0] in "123" else "failed"
    return "other"


def _calls(window: Window, check: Checker) -> dict[str, float | None]:
    """Calls by class of status code. Unknown (None), never 0, when the calls were not read or
    a class has codes but no usable value: a sum of nothing read is not "no traffic"."""
    unknown = dict.fromkeys(("calls", "success", "failed", "error_rate"))
    if window.calls_by_code is None:
        return unknown
    groups: dict[str, list[float]] = {"success": [], "failed": [], "other": []}
    unread = dict.fromkeys(groups, False)  # a class with a code whose value is not usable
    unusual: list[str] = []
    for code, raw in sorted(window.calls_by_code.items(), key=lambda item: str(item[0])):
        value = check.count("calls", raw, code=str(code))
        if value is None:
            unread[status_class(code)] = True
            continue
        kind = status_class(code)
        groups[kind].append(value)
        if kind == "other" and value > 0:
            unusual.append(repr(str(code)) if not str(code).strip() else str(code).strip())
    if any(unread.values()) and not any(groups.values()):  # no code usable: unknown, not 0
        return unknown
    success, failed, other = (check.total("calls", groups[kind]) for kind in ("success", "failed", "other"))
    calls = None
    if success is not None and failed is not None and other is not None:
        calls = check.finite("calls", (success + failed) + other)  # so success + failed <= calls
    if calls is None:  # the total unknown: no split of it, no rate of it reads as a figure
        return unknown
    if unusual:
        shown = ", ".join(unusual[:SHOWN_CODES]) + (", …" if len(unusual) > SHOWN_CODES else "")
        check.note("codes_other", codes=shown, calls=other if other is not None else 0.0)
    error_rate = ratio(failed, calls) if calls else None
    return {"calls": calls, "success": success, "failed": failed, "error_rate": error_rate}


def _bytes(window: Window, check: Checker) -> dict[str, float | None]:
    inbound, outbound = check.count("bytes_in", window.bytes_in), check.count("bytes_out", window.bytes_out)
    mb_in = None if inbound is None else inbound * MB
    mb_out = None if outbound is None else outbound * MB
    total = None if mb_in is None or mb_out is None else check.finite("bytes", mb_in + mb_out)
    return {"mb_in": mb_in, "mb_out": mb_out, "mb_total": total}


def _present(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value) and value > 0


def _latency(window: Window, check: Checker, calls: float | None) -> dict[str, float | None]:
    quantiles = {
        "latency_p50": window.latency_p50,
        "latency_p95": window.latency_p95,
        "latency_p99": window.latency_p99,
    }
    if calls == 0:  # NaN quantiles are Prometheus' normal answer then; a duration is not
        if any(_present(v) for v in (window.latency_sum, window.latency_count, *quantiles.values())):
            check.note("latency_without_calls")
        return dict.fromkeys(("latency_avg", *quantiles), None)
    total = check.count("latency_sum", window.latency_sum)
    count = check.count("latency_count", window.latency_count)
    figures = {"latency_avg": check.finite("latency_sum", ratio(total, count, MS))}
    for name, raw in quantiles.items():
        seconds = check.count(name, raw)
        figures[name] = None if seconds is None else check.finite(name, seconds * MS)
    return figures


def window_figures(window: Window, which: str = "current") -> tuple[dict[str, float | None], list[Note]]:
    """One window's KPI values (calls to latency, in report units) and the Notes of its checks."""
    check = Checker(which)
    figures = _calls(window, check)
    figures |= _bytes(window, check)
    figures |= _latency(window, check, figures["calls"])
    return figures, check.notes


def _counts(tenant: Tenant) -> tuple[dict[str, float | None], list[Note]]:
    check = Checker()
    figures = {
        "apis": check.count("api_count", tenant.apis),
        "applications": check.count("application_count", tenant.applications),
        "users": check.count("user_count", tenant.users),
    }
    return figures, check.notes


def kpi(value: float | None, previous: float | None, compared: bool = True) -> Kpi:
    """A value, the previous period's and the change in % of it (None without a previous > 0)."""
    if not compared:
        return Kpi(value, compared=False)
    change = ratio(None if value is None or previous is None else value - previous, previous, 100)
    return Kpi(value, previous, change if change is not None and math.isfinite(change) else None)


def _completeness(raw: float | None, no_traffic: bool, below: float) -> tuple[float | None, bool, list[Note]]:
    """The share with samples (at most 1), whether the job warns, and what the report says."""
    check = Checker()
    value = check.count("completeness", raw)
    value = None if value is None else min(value, 1.0)  # jittered scrapes can over-count a little
    if value is None and raw is None and not no_traffic:
        check.note("completeness_unknown")
    if value is not None and value < 1:
        check.note("incomplete", percent=value * 100)
    threshold = below if math.isfinite(below) else 1.0
    incomplete = value < threshold if value is not None else not no_traffic
    return value, incomplete, check.notes


def clean_series(series: Mapping[str, Series]) -> tuple[dict[str, Series], list[Note]]:
    """Each series in report units and time order; points that are not finite and >= 0 dropped
    (a gap in the chart, which is the truth) and counted in a Note."""
    check = Checker()
    cleaned: dict[str, Series] = {}
    for name in sorted(series):
        factor = SERIES_SCALE.get(name, 1.0)
        points = [(at, float(v) * factor) for at, v in series[name] if _present(v) or v == 0]
        kept = sorted(((at, v) for at, v in points if math.isfinite(v)), key=lambda point: point[0])
        if len(kept) < len(series[name]):
            check.note("series_points_dropped", series=name, count=len(series[name]) - len(kept))
        cleaned[name] = tuple(kept)
    return cleaned, check.notes


def _tops(usage: TenantUsage, n: int, no_traffic: bool) -> tuple[dict[str, tuple[Breakdown, ...]], list[Note]]:
    apis, api_notes = ranking.checked(usage.apis, "api")
    applications, application_notes = ranking.checked(usage.applications, "application")
    tops = {
        "top_apis_by_calls": ranking.top(apis, n, ranking.by_calls),
        "top_apis_by_errors": ranking.top(apis, n, ranking.by_errors),
        "top_applications_by_calls": ranking.top(applications, n, ranking.by_calls),
        "top_applications_by_errors": ranking.top(applications, n, ranking.by_errors),
    }
    missing = [Note("breakdown_missing")] if not usage.breakdown_source and not no_traffic else []
    return tops, api_notes + application_notes + missing


def aggregate(usage: TenantUsage, top_n: int = 5, complete_below: float = 1.0) -> TenantReport:
    """The report of one tenant for one period (`complete_below`: the settings'
    completeness_warning_below, which decides `report.incomplete`)."""
    language, language_note = locale.for_tenant(usage.tenant.locale)
    current, current_notes = window_figures(usage.current or Window(), "current")
    previous, previous_notes = window_figures(usage.previous, "previous") if usage.previous else ({}, [])
    counts, count_notes = _counts(usage.tenant)
    current |= counts
    kpis = {name: kpi(current.get(name), previous.get(name), name not in UNCOMPARED) for name in KPIS}
    no_traffic = current["calls"] == 0 and not any(n.values.get("field") == "calls" for n in current_notes)
    completeness, incomplete, completeness_notes = _completeness(usage.completeness, no_traffic, complete_below)
    quota_block, quota_notes = quota(
        usage.tenant.monthly_call_quota, usage.period, current["calls"], usage.month_to_date_calls
    )
    tops, top_notes = _tops(usage, top_n, no_traffic)
    series, series_notes = clean_series(usage.series)
    notes = [language_note] if language_note else []
    notes += [Note("no_traffic")] if no_traffic else []
    notes += [Note("previous_missing")] if usage.previous is None and not no_traffic else []
    notes += completeness_notes + quota_notes + current_notes + previous_notes + count_notes + top_notes
    notes += series_notes
    notes += [Note("source_problem", {"problem": problem}) for problem in usage.problems]
    return TenantReport(
        tenant=usage.tenant,
        period=usage.period,
        kpis=kpis,
        quota=quota_block,
        series=series,
        **tops,
        completeness=completeness,
        no_traffic=no_traffic,
        notes=tuple(notes),
        methods=dict(usage.methods),
        breakdown_source=usage.breakdown_source,
        problems=tuple(usage.problems),
        locale=language.code,
        incomplete=incomplete,
    )
