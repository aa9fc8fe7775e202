"""A TenantReport as PDF bytes: pure (no I/O but reading the font files once), deterministic.

The layout: page 1 the summary (summary.py), page 2 the charts, page 3 the top-N tables, then
the appendix "How these numbers are computed" (appendix.py). A tenant without traffic gets page
1 saying so and the appendix, no empty charts.

Byte-identical for the same report: reportlab's invariant mode (no random document id), the
creation and modification dates set to the period's end, the document id derived from the
report's tenant and period, and every font subset started with the same characters.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import UTC, timedelta

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from jobs.usage_report import appendix, summary
from jobs.usage_report import fonts as typefaces
from jobs.usage_report.charts import Axis, Curve, time_chart
from jobs.usage_report.locale import Locale, for_tenant
from jobs.usage_report.model import Period, TenantReport
from jobs.usage_report.pdf_figures import compact
from jobs.usage_report.pdf_page import ACCENT, BAD, Sheet
from jobs.usage_report.pdf_tables import Cell, Column, table

CREATOR = "secops-jobs usage-report"
#: the charts: title label, then (series, colour); aggregate gives latency in ms and sizes in MB
CHARTS = (
    ("chart_calls", (("calls", ACCENT), ("errors", BAD))),
    (
        "chart_latency",
        (("latency_p50", HexColor("#0891b2")), ("latency_p95", HexColor("#7c3aed")), ("latency_p99", BAD)),
    ),
    ("chart_bandwidth", (("bytes_in", ACCENT), ("bytes_out", HexColor("#059669")))),
)
CHART_HEIGHT = 205.0


def render(report: TenantReport, fonts: typefaces.FontSet | None = None) -> bytes:
    """The report's PDF. `fonts`: the faces to embed (default: `fonts.find()`, DejaVu or Vera)."""
    faces = typefaces.register(fonts or typefaces.find())
    words = for_tenant(report.locale)[0]  # aggregate's reading of the tenant's locale
    buffer = io.BytesIO()
    canvas = _canvas(buffer, report, words)
    typefaces.seed(canvas._doc, faces)  # type: ignore[attr-defined]
    name = report.tenant.name.strip() or report.tenant.id
    sheet = Sheet(canvas, faces, name, words.period(report.period))
    summary.header(sheet, report, words)
    if report.no_traffic:
        _no_traffic(sheet, report, words)
    else:
        summary.tiles(sheet, report, words)
    summary.quota(sheet, report, words)
    summary.statements(sheet, report, words)
    if not report.no_traffic:
        sheet.new_page()
        charts(sheet, report, words)
        sheet.new_page()
        tables(sheet, report, words)
    else:
        sheet.new_page()
    appendix.appendix(sheet, report, words)
    sheet.footer()
    sheet.flush()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _canvas(buffer: io.BytesIO, report: TenantReport, words: Locale) -> Canvas:
    """An invariant canvas whose dates are the period's end and whose id is the report's."""
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, pdfVersion=(1, 4))
    document = canvas._doc  # type: ignore[attr-defined]
    document._timeStamp = _Stamp(report.period)
    signature = hashlib.md5(usedforsecurity=False)
    signature.update(f"{report.tenant.id}\n{report.period.kind}\n{report.period.start.isoformat()}".encode())
    document.signature = signature
    canvas.setTitle(f"{words.label('report_title')}: {report.tenant.name} ({words.period(report.period)})")
    canvas.setAuthor(CREATOR)
    canvas.setCreator(CREATOR)
    canvas.setSubject(report.period.label)
    return canvas


class _Stamp:
    """What reportlab's document reads its dates from (`utils.TimeStamp`), fixed at the period's end."""

    def __init__(self, period: Period) -> None:
        end = period.end.astimezone(UTC)
        self.t = end.timestamp()
        self.YMDhms = (end.year, end.month, end.day, end.hour, end.minute, end.second)
        self.dhh = 0
        self.dmm = 0
        self.tzname = "UTC"


def _no_traffic(sheet: Sheet, report: TenantReport, words: Locale) -> None:
    """Said plainly, where the traffic tiles would be; the inventory (APIs, apps, users) stays."""
    sheet.text(sheet.left, sheet.y - 18, words.label("no_traffic"), font=sheet.faces.bold, size=18)
    sheet.y -= 34
    summary.tiles(sheet, report, words, rows=(summary.TILE_ROWS[-1],))


def charts(sheet: Sheet, report: TenantReport, words: Locale) -> None:
    """The three time charts of the period, one under the other."""
    sheet.text(sheet.left, sheet.y - 13, words.label("charts"), font=sheet.faces.bold, size=13)
    sheet.y -= 24
    axis = _axis(report.period, words)
    for title, lines in CHARTS:
        curves = [
            Curve(words.label(f"series_{name}"), report.series.get(name, ()), colour)  # in ms, MB (aggregate)
            for name, colour in lines
        ]
        sheet.need(CHART_HEIGHT + 14)
        box = (sheet.left, sheet.y - CHART_HEIGHT, sheet.width, CHART_HEIGHT)
        time_chart(sheet, words.label(title), curves, axis, _value_label(words), box, words.label("chart_gap"))
        sheet.y -= CHART_HEIGHT + 18


def _value_label(words: Locale) -> Callable[[float], str]:
    """A y tick: a plain number (the chart's title says the unit), decimals only below 10."""
    return lambda value: words.number(value, 0 if value >= 10 or value == 0 else 1)


def _axis(period: Period, words: Locale) -> Axis:
    """Ticks every 3 hours over a day; over a week, each day's name under its middle."""
    daily = period.kind == "daily"
    every = timedelta(hours=3) if daily else timedelta(days=1)
    ticks = []
    instant = period.start if daily else period.start + every / 2
    while instant <= period.end:
        ticks.append((instant, words.axis(instant, period)))
        instant += every
    return Axis(period.start, period.end, period.step, ticks)


def tables(sheet: Sheet, report: TenantReport, words: Locale) -> None:
    """The four top-N tables (APIs and applications, by calls and by errors), and their source."""
    total = report.kpis["calls"].value if "calls" in report.kpis else None
    specs = (
        ("top_apis_by_calls", "api", report.top_apis_by_calls),
        ("top_apis_by_errors", "api", report.top_apis_by_errors),
        ("top_applications_by_calls", "application", report.top_applications_by_calls),
        ("top_applications_by_errors", "application", report.top_applications_by_errors),
    )
    source = report.breakdown_source or "none"
    line = f"{words.label('breakdown_source')} {words.label(f'source_{source}')}"
    sheet.text(sheet.left, sheet.y - 9, line, size=8.5)
    sheet.y -= 20
    for title, kind, rows in specs:
        columns = (
            Column(words.label("rank"), 0.05, numeric=True),
            Column(words.label(kind), 0.53),
            Column(words.label("calls"), 0.14, numeric=True),
            Column(words.label("errors"), 0.12, numeric=True),
            Column(words.label("share"), 0.16, numeric=True),
        )
        body: list[tuple[Cell, ...]] = [
            (
                str(rank),
                words.display_name(row.name, 400),
                (words.number(row.calls), compact(words, row.calls)),
                (words.number(row.errors), compact(words, row.errors)),
                words.share(row.calls / total if total else None),
            )
            for rank, row in enumerate(rows, 1)
        ]
        table(sheet, words.label(title), columns, body, words.label("no_top"))
