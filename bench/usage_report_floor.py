"""The rendering floor of usage-report: plain reportlab drawing the same 3-page layout from
precomputed numbers, beside `render.render` on the same reports.

`render_floor(numbers)` gets every string already formatted, wrapped and placed (`numbers(report)`
does that, outside the timing) and only draws: DejaVu embedded through reportlab's own TTFont (no
seeded subsets, no caches), `drawString` per string, the tiles, the quota bars, the chart grids
and curves as paths, the four tables and the appendix, page compression on, invariant mode. What
it costs is what reportlab costs for this much ink; the ratio says what our layout, wrapping,
locale formatting and escaping cost on top (or save, where ours caches what reportlab redoes).

Prints reports/s of each (single process, min/median of interleaved rounds) and the ratio.
`bench/usage_report.py` imports `numbers` and `render_floor` for its same-run anchor.
`--quick`: 20 reports, 2 rounds.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.lib.colors import HexColor  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from jobs.usage_report import fonts  # noqa: E402
from jobs.usage_report.locale import for_tenant  # noqa: E402
from jobs.usage_report.model import TenantReport  # noqa: E402
from jobs.usage_report.pdf_text import wrap, wrap_code  # noqa: E402

WIDTH, HEIGHT = A4
LEFT, TOP, BOTTOM = 42.0, HEIGHT - 42.0, 60.0
ROWS = (("calls", "success", "failed", "error_rate"), ("mb_in", "mb_out", "mb_total"),
        ("latency_avg", "latency_p50", "latency_p95", "latency_p99"), ("apis", "applications", "users"))  # fmt: skip
#: a chart: its title, its legend, its curves as (x, y) in 0..1
Chart = tuple[str, tuple[str, ...], tuple[tuple[tuple[float, float], ...], ...]]
GREY, INK, BLUE, RED = HexColor("#f3f4f6"), HexColor("#1f2933"), HexColor("#2563eb"), HexColor("#dc2626")


@dataclass(frozen=True)
class Numbers:
    """One report, every string formatted and wrapped, every chart point scaled to its box."""

    header: tuple[str, str, str]  # title, tenant, period
    tiles: tuple[tuple[tuple[str, str, str, str], ...], ...]  # rows of (label, value, change, previous)
    quota: tuple[tuple[str, float], ...]  # (line, bar fill 0..1)
    notes: tuple[str, ...]
    charts: tuple[Chart, ...]
    tables: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]  # title, rows (the header first)
    appendix: tuple[tuple[str, str], ...]  # (font: "bold" | "regular" | "mono", line)


TABLES = ("top_apis_by_calls", "top_apis_by_errors", "top_applications_by_calls", "top_applications_by_errors")
CHARTS = (
    ("chart_calls", ("calls", "errors")),
    ("chart_latency", ("latency_p50", "latency_p95", "latency_p99")),
    ("chart_bandwidth", ("bytes_in", "bytes_out")),
)


def numbers(report: TenantReport) -> Numbers:
    """Everything `render_floor` draws, computed from a report (not part of the floor's timing)."""
    words = for_tenant(report.locale)[0]
    faces = fonts.register(fonts.find())
    tiles = []
    for row in ROWS if report.kpis else ():
        kpis = [(name, report.kpis[name]) for name in row]
        tiles.append(
            tuple((words.label(n), words.kpi(n, k.value), words.change(k), words.kpi(n, k.previous)) for n, k in kpis)
        )
    quota: tuple[tuple[str, float], ...] = ()
    if report.quota:
        q = report.quota
        quota = (
            (words.percent(q.period_used_percent), min(q.period_used_percent, 100) / 100),
            (words.percent(q.month_used_percent), min(q.month_used_percent or 0, 100) / 100),
            (words.number(q.monthly), 0.0),
        )
    header = (words.label("rank"), words.label("api"), words.label("calls"), words.label("errors"))
    tables = []
    for title in TABLES:
        rows = getattr(report, title)
        body = tuple(
            (str(i), r.name[:60], words.number(r.calls), words.number(r.errors)) for i, r in enumerate(rows, 1)
        )
        tables.append((words.label(title), (header, *body)))
    appendix: list[tuple[str, str]] = [("bold", words.label("appendix"))]
    for metric, query in report.methods.items():
        appendix.append(("bold", words.words.labels.get(metric, metric)))
        appendix += [("regular", line) for line in wrap(words.definition(metric), faces.regular, 8, WIDTH - 2 * LEFT)]
        appendix += [("mono", line) for line in wrap_code(query, faces.mono, 7, WIDTH - 2 * LEFT)]
    return Numbers(
        (words.label("report_title"), report.tenant.name, words.period(report.period)),
        tuple(tiles),
        quota,
        tuple(words.note(note) for note in report.notes),
        tuple(_chart(report, words.label(title), names) for title, names in CHARTS),
        tuple(tables),
        tuple(appendix),
    )


def _chart(report: TenantReport, title: str, names: tuple[str, ...]) -> Chart:
    span = (report.period.end - report.period.start).total_seconds()
    lines = []
    for name in names:
        points = report.series.get(name, ())
        top = max((v for _, v in points), default=1.0) or 1.0
        lines.append(tuple(((t - report.period.start).total_seconds() / span, v / top) for t, v in points))
    return title, names, tuple(lines)


_REGISTERED: dict[str, str] = {}


def _plain_fonts() -> tuple[str, str, str]:
    """DejaVu through reportlab's own TTFont, registered once (as any reportlab program would)."""
    if not _REGISTERED:
        found = fonts.find()
        for key, path in (("regular", found.regular), ("bold", found.bold), ("mono", found.mono)):
            if path:
                pdfmetrics.registerFont(TTFont(f"floor-{key}", path))
            _REGISTERED[key] = f"floor-{key}" if path else "Courier"
    return _REGISTERED["regular"], _REGISTERED["bold"], _REGISTERED["mono"]


def render_floor(n: Numbers) -> bytes:
    """The same pages as `render.render`, drawn from `n` with nothing but reportlab calls."""
    regular, bold, mono = _plain_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    c.setFont(regular, 9)
    c.drawString(LEFT, TOP - 9, n.header[0])
    c.setFont(bold, 20)
    c.drawString(LEFT, TOP - 34, n.header[1])
    c.setFont(regular, 12)
    c.drawString(LEFT, TOP - 50, n.header[2])
    y = TOP - 90
    for row in n.tiles:
        room = (WIDTH - 2 * LEFT) / len(row)
        for i, (label, value, change, previous) in enumerate(row):
            x = LEFT + i * room
            c.setFillColor(GREY)
            c.roundRect(x, y - 50, room - 8, 50, 3, stroke=0, fill=1)
            c.setFillColor(INK)
            c.setFont(regular, 7.5)
            c.drawString(x + 6, y - 12, label)
            c.drawString(x + 6, y - 43, change)
            c.drawRightString(x + room - 14, y - 43, previous)
            c.setFont(bold, 14)
            c.drawString(x + 6, y - 30, value)
        y -= 58
    for line, fill in n.quota:
        c.setFillColor(GREY)
        c.rect(LEFT + 150, y - 11, 170, 11, stroke=0, fill=1)
        c.setFillColor(BLUE)
        c.rect(LEFT + 150, y - 11, 170 * fill, 11, stroke=0, fill=1)
        c.setFillColor(INK)
        c.setFont(regular, 8.5)
        c.drawString(LEFT + 330, y - 9, line)
        y -= 18
    for note in n.notes:
        c.drawString(LEFT, y - 20, note)
        y -= 11
    c.showPage()
    _charts(c, n, regular)
    c.showPage()
    _tables_and_appendix(c, n, regular, bold, mono)
    c.save()
    return buffer.getvalue()


def _charts(c: Canvas, n: Numbers, regular: str) -> None:
    box_width, y = WIDTH - 2 * LEFT - 30, TOP - 30
    for title, names, lines in n.charts:
        c.setFont(regular, 9)
        c.setFillColor(INK)
        c.drawString(LEFT, y - 10, title)
        for i, name in enumerate(names):
            c.drawString(LEFT + 300 + 50 * i, y - 10, name)
        c.setStrokeColor(GREY)
        c.lines([(LEFT + 30, y - 200 + 40 * k, LEFT + 30 + box_width, y - 200 + 40 * k) for k in range(5)])
        for k in range(5):
            c.drawRightString(LEFT + 26, y - 202 + 40 * k, str(k * 25))
        for k in range(8):
            c.drawCentredString(LEFT + 30 + box_width * k / 7, y - 212, f"day {k}")
        for line, colour in zip(lines, (BLUE, RED, INK), strict=False):
            path = c.beginPath()
            for j, (fx, fy) in enumerate(line):
                (path.lineTo if j else path.moveTo)(LEFT + 30 + box_width * fx, y - 200 + 160 * fy)
            c.setStrokeColor(colour)
            c.drawPath(path, stroke=1, fill=0)
        y -= 240


def _tables_and_appendix(c: Canvas, n: Numbers, regular: str, bold: str, mono: str) -> None:
    y = TOP
    for title, rows in n.tables:
        c.setFont(bold, 10.5)
        c.drawString(LEFT, y - 11, title)
        y -= 18
        for i, row in enumerate(rows):
            c.setFont(bold if i == 0 else regular, 8)
            c.drawString(LEFT, y - 10, row[0])
            c.drawString(LEFT + 30, y - 10, row[1])
            c.drawRightString(LEFT + 400, y - 10, row[2])
            c.drawRightString(LEFT + 470, y - 10, row[3])
            c.line(LEFT, y - 14, WIDTH - LEFT, y - 14)
            y -= 16
        y -= 14
    faces = {"bold": (bold, 9), "regular": (regular, 8), "mono": (mono, 7)}
    for font, line in n.appendix:
        if y < BOTTOM:
            c.showPage()
            y = TOP
        c.setFont(*faces[font])
        c.drawString(LEFT, y - 10, line)
        y -= 12


def main() -> None:
    from measure import Sample, interleave, options, show

    from jobs.usage_report.render import render
    from tests.usage_report.reports import report

    args = options(__doc__, rounds=5)
    count = 20 if args.quick else 200
    reports = [report(f"t{i:04d}", f"Tenant {i:04d}", ("en", "fr")[i % 2], scale=1 + i / count) for i in range(count)]
    prepared = [numbers(r) for r in reports]
    render(reports[0]), render_floor(prepared[0])  # fonts registered, subsets built: both warm

    cpu: dict[str, list[float]] = {"ours": [], "floor": []}

    def timed(side: str, work: Callable[[], object]) -> float:
        """reports/s by the wall clock; CPU ms a report noted beside (what a loaded machine
        distorts least: a wall figure here counts the other processes too)."""
        wall, started = time.perf_counter(), time.process_time()
        work()
        cpu[side].append((time.process_time() - started) / count * 1000)
        return count / (time.perf_counter() - wall)

    mine, anchor = Sample("render.render", "reports/s"), Sample("plain reportlab floor", "reports/s")
    interleave(
        args.rounds,
        [
            (mine, lambda: timed("ours", lambda: [render(r) for r in reports])),
            (anchor, lambda: timed("floor", lambda: [render_floor(p) for p in prepared])),
        ],
    )
    print(f"usage-report rendering, {count} weekly reports, one process:")
    show(mine, anchor, "render vs plain reportlab")
    ours_cpu, floor_cpu = statistics.median(cpu["ours"]), statistics.median(cpu["floor"])
    print(f"  CPU a report (median): render.render {ours_cpu:.1f} ms, plain reportlab floor {floor_cpu:.1f} ms")
    print(f"  {len(render(reports[0])):,} bytes, {numbers_pages(render(reports[0]))} pages a report")


def numbers_pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page\n")


if __name__ == "__main__":
    main()
