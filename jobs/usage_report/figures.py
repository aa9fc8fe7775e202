"""A report's figures as CSV and JSON, beside its PDF, for finance teams and their scripts.

Pure and deterministic: the same TenantReport gives the same bytes. Numbers are machine
numbers (`1234`, `0.0125`, never `1 234` or `1,25 %`): the tenant's locale is for people,
the PDF and the mail. An integral figure is written as an integer, any other as Python's
shortest round-tripping decimal; a missing one (no previous period, no quota) is empty in the
CSV and null in the JSON.

The CSV is long, one figure per row, each row naming its tenant and period, so many tenants'
files concatenate into one sheet:
`tenant_id,tenant_name,period_kind,period_label,section,rank,name,metric,value,previous,change_percent`.
Names come from tenants (a tenant's, an API's, an application's) and are untrusted: one a
spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a line break,
after any spaces) is written with a leading `'`, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from jobs.usage_report.model import KPIS, Breakdown, Quota, TenantReport

COLUMNS = (
    "tenant_id",
    "tenant_name",
    "period_kind",
    "period_label",
    "section",
    "rank",
    "name",
    "metric",
    "value",
    "previous",
    "change_percent",
)
#: the JSON's "format": bumped when a key changes meaning or goes
FORMAT = "secops-usage-report/1"
_FORMULA = frozenset("=+-@\t\r\n")
_QUOTA = ("monthly", "period_allowance", "period_used_percent", "month_to_date_calls", "month_used_percent")

Value = int | float | str | bool | None


def text_cell(text: str) -> str:
    """A name as a spreadsheet shows it: never run as a formula."""
    stripped = text.lstrip(" ")
    return "'" + text if stripped[:1] in _FORMULA and stripped else text


def number(value: float | None) -> int | float | None:
    """A machine number: integral floats as integers; NaN and infinities (which JSON has no
    word for, and no report should show) as missing."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _instant(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _top_lists(report: TenantReport) -> dict[str, tuple[Breakdown, ...]]:
    return {
        "top_apis_by_calls": report.top_apis_by_calls,
        "top_apis_by_errors": report.top_apis_by_errors,
        "top_applications_by_calls": report.top_applications_by_calls,
        "top_applications_by_errors": report.top_applications_by_errors,
    }


def _quota(quota: Quota | None) -> dict[str, Value]:
    if quota is None:
        return {}
    found: dict[str, Value] = {name: number(getattr(quota, name)) for name in _QUOTA}
    return {**found, "runs_out_on": _instant(quota.runs_out_on), "exceeded": quota.exceeded}


def _rows(report: TenantReport) -> Iterator[tuple[str, int | None, str, str, Value, Value, Value]]:
    """(section, rank, name, metric, value, previous, change %) in the CSV's order."""
    period = report.period
    yield "period", None, "", "start", _instant(period.start), None, None
    yield "period", None, "", "end", _instant(period.end), None, None
    for name in KPIS:
        kpi = report.kpis.get(name)
        if kpi is not None:
            yield "kpi", None, "", name, number(kpi.value), number(kpi.previous), number(kpi.change_percent)
    for metric, value in _quota(report.quota).items():
        yield "quota", None, "", metric, value, None, None
    yield "data", None, "", "completeness", number(report.completeness), None, None
    yield "data", None, "", "incomplete", report.incomplete, None, None
    yield "data", None, "", "no_traffic", report.no_traffic, None, None
    for section, items in _top_lists(report).items():
        for rank, item in enumerate(items, 1):
            yield section, rank, item.name, "calls", number(item.calls), None, None
            yield section, rank, item.name, "errors", number(item.errors), None, None


def csv_bytes(report: TenantReport) -> bytes:
    """The figures as RFC 4180 CSV (UTF-8, CRLF), header first, one figure per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    tenant = (text_cell(report.tenant.id), text_cell(report.tenant.name), report.period.kind, report.period.label)
    for section, rank, name, metric, value, previous, change in _rows(report):
        cells = (section, _cell(rank), text_cell(name), metric, _cell(value), _cell(previous), _cell(change))
        writer.writerow((*tenant, *cells))
    return out.getvalue().encode("utf-8")


def as_dict(report: TenantReport) -> dict[str, Any]:
    """The figures as JSON-ready data, keys in a fixed order."""
    tenant, period = report.tenant, report.period
    kpis = {
        name: {"value": number(k.value), "previous": number(k.previous), "change_percent": number(k.change_percent)}
        for name in KPIS
        if (k := report.kpis.get(name)) is not None
    }
    top = {
        section.removeprefix("top_"): [
            {"rank": rank, "name": item.name, "calls": number(item.calls), "errors": number(item.errors)}
            for rank, item in enumerate(items, 1)
        ]
        for section, items in _top_lists(report).items()
    }
    return {
        "format": FORMAT,
        "tenant": {"id": tenant.id, "name": tenant.name, "locale": report.locale},
        "period": {
            "kind": period.kind,
            "label": period.label,
            "start": _instant(period.start),
            "end": _instant(period.end),
        },
        "kpis": kpis,
        "quota": _quota(report.quota) or None,
        "completeness": number(report.completeness),
        "incomplete": report.incomplete,
        "no_traffic": report.no_traffic,
        "top": top,
        "breakdown_source": report.breakdown_source,
        "notes": [
            {"key": note.key, "values": {k: v if isinstance(v, str) else number(v) for k, v in note.values.items()}}
            for note in report.notes
        ],
        "problems": list(report.problems),
    }


def json_bytes(report: TenantReport) -> bytes:
    """The figures as UTF-8 JSON, indented, keys in a fixed order, ending with a newline."""
    return (json.dumps(as_dict(report), ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")
