"""Page 1 of a report: who and when, the KPI tiles with their change, the quota, what to know.

Everything a reader needs without turning the page: the tenant's name, the period in its
language, each figure beside the previous period's, the quota as a bar, the data completeness
when some data is missing, and the notes (aggregate's, worded by locale.py).
"""

from __future__ import annotations

from reportlab.lib.colors import Color

from jobs.usage_report.locale import Locale
from jobs.usage_report.model import Kpi, Note, Quota, TenantReport
from jobs.usage_report.pdf_figures import compact, fitted, kpi_forms
from jobs.usage_report.pdf_page import ACCENT, BAD, GOOD, INK, MUTED, TILE, WARN, WARN_FILL, WHITE, Sheet
from jobs.usage_report.pdf_text import fit, width, wrap

#: the tiles, a row each: traffic, bandwidth, latency, inventory
TILE_ROWS = (
    ("calls", "success", "failed", "error_rate"),
    ("mb_in", "mb_out", "mb_total"),
    ("latency_avg", "latency_p50", "latency_p95", "latency_p99"),
    ("apis", "applications", "users"),
)
#: KPIs whose rise is bad news (a rise in red, a fall in green); the others rise in blue
WORSE_UP = frozenset({"failed", "error_rate", "latency_avg", "latency_p50", "latency_p95", "latency_p99"})
#: counted in the control plane now: no previous period to compare with
INVENTORY = frozenset({"apis", "applications", "users"})
TILE_HEIGHT = 50.0
GUTTER = 8.0


def header(sheet: Sheet, report: TenantReport, words: Locale) -> None:
    """The report's title, the tenant's name (on one line: smaller, then cut, when long) and the
    period in its words. A fixed height: nothing a name holds moves what follows."""
    faces = sheet.faces
    kind = words.label(report.period.kind) if report.period.kind in ("daily", "weekly") else ""
    title = " · ".join(part for part in (words.label("report_title"), kind) if part)
    sheet.text(sheet.left, sheet.y - 9, fit(title, faces.regular, 9, sheet.width), size=9, color=MUTED)
    sheet.y -= 14
    name = faces.clean(report.tenant.name).strip() or report.tenant.id
    size = 20.0
    while size > 12 and width(name, faces.bold, size) > sheet.width:  # one line, whatever the name
        size -= 1
    sheet.text(sheet.left, sheet.y - 20, fit(name, faces.bold, size, sheet.width), font=faces.bold, size=size)
    sheet.y -= 24
    sheet.text(sheet.left, sheet.y - 12, fit(words.period(report.period), faces.regular, 12, sheet.width), size=12)
    sheet.y -= 26


def tiles(sheet: Sheet, report: TenantReport, words: Locale, rows: tuple[tuple[str, ...], ...] = TILE_ROWS) -> None:
    """The KPI tiles, a row per group, each with its value, its change and the previous value."""
    sheet.text(sheet.left, sheet.y - 11, words.label("key_figures"), font=sheet.faces.bold, size=11)
    sheet.y -= 18
    for row in rows:
        room = (sheet.width - GUTTER * (len(row) - 1)) / len(row)
        for index, name in enumerate(row):
            kpi = report.kpis.get(name, Kpi(None))
            _tile(sheet, sheet.left + index * (room + GUTTER), room, name, kpi, words)
        sheet.y -= TILE_HEIGHT + GUTTER
    sheet.y -= 6


def _tile(sheet: Sheet, x: float, room: float, name: str, kpi: Kpi, words: Locale) -> None:
    faces = sheet.faces
    top = sheet.y
    sheet.canvas.setFillColor(TILE)
    sheet.canvas.roundRect(x, top - TILE_HEIGHT, room, TILE_HEIGHT, 3, stroke=0, fill=1)
    inner = room - 12
    sheet.text(x + 6, top - 12, fit(words.label(name), faces.regular, 7.5, inner), size=7.5, color=MUTED)
    shown, size = fitted(*kpi_forms(words, name, kpi.value), faces.bold, 14, inner, 8)  # smaller, never cut
    sheet.text(x + 6, top - 30, shown, font=faces.bold, size=size)
    change = "" if name in INVENTORY else words.change(kpi)
    drawn = sheet.text(
        x + 6, top - 43, fit(change, faces.regular, 7.5, inner), size=7.5, color=_tone(name, kpi), measure=True
    )
    if kpi.previous is not None:
        room_left = inner - drawn - 8
        if room_left > 20:
            previous, size = fitted(*kpi_forms(words, name, kpi.previous), faces.regular, 7, room_left, 5)
            sheet.text(x + room - 6, top - 43, previous, size=size, color=MUTED, anchor="end")


def _tone(name: str, kpi: Kpi) -> Color:
    change = kpi.change_percent
    if change is None or kpi.previous in (None, 0) or abs(change) < 0.05:
        return MUTED
    if name in WORSE_UP:
        return BAD if change > 0 else GOOD
    return ACCENT


def quota(sheet: Sheet, report: TenantReport, words: Locale) -> None:
    """The quota block: two bars (the period's allowance, the month to date), the forecast and
    "exceeded" in red; or the words for no quota."""
    faces = sheet.faces
    sheet.need(110)
    sheet.text(sheet.left, sheet.y - 11, words.label("quota"), font=faces.bold, size=11)
    sheet.y -= 20
    q = report.quota
    if q is None:
        sheet.text(sheet.left, sheet.y - 9, words.label("no_quota"), size=9, color=MUTED)
        sheet.y -= 22
        return
    calls = report.kpis.get("calls", Kpi(None)).value
    period_figures = (calls, q.period_allowance)
    _bar(sheet, words.label("quota_period_used"), q.period_used_percent, period_figures, words)
    month_figures = (q.month_to_date_calls, q.monthly)
    _bar(sheet, words.label("quota_month_used"), q.month_used_percent, month_figures, words)
    _forecast(sheet, q, words)


def _bar(sheet: Sheet, label: str, percent: float | None, figures: tuple[float | None, float], words: Locale) -> None:
    faces = sheet.faces
    canvas = sheet.canvas
    label_room, bar_room = 150.0, sheet.width * 0.34
    x = sheet.left + label_room
    sheet.text(sheet.left, sheet.y - 9, fit(label, faces.regular, 8.5, label_room - 8), size=8.5)
    canvas.setFillColor(TILE)
    canvas.roundRect(x, sheet.y - 11, bar_room, 11, 2, stroke=0, fill=1)
    if percent is not None and percent > 0:
        colour = BAD if percent > 100 else WARN if percent >= 80 else ACCENT
        canvas.setFillColor(colour)
        canvas.roundRect(x, sheet.y - 11, bar_room * min(percent, 100) / 100, 11, 2, stroke=0, fill=1)
    used, allowed = figures
    full = f"{words.percent(percent)}  ({words.number(used)} / {words.number(allowed)})"
    short = f"{words.percent(percent)}  ({compact(words, used)} / {compact(words, allowed)})"
    room = sheet.right - (x + bar_room + 8)
    text, size = fitted(full, short, faces.regular, 8.5, room, 6)  # figures smaller or rounded, never cut
    sheet.text(x + bar_room + 8, sheet.y - 9, text, size=size)
    sheet.y -= 18


def _forecast(sheet: Sheet, q: Quota, words: Locale) -> None:
    faces = sheet.faces
    x = sheet.left + 150
    sheet.text(sheet.left, sheet.y - 9, words.label("quota_monthly"), size=8.5)
    monthly, size = fitted(words.number(q.monthly), compact(words, q.monthly), faces.regular, 8.5, sheet.right - x, 6)
    sheet.text(x, sheet.y - 9, monthly, size=size)
    sheet.y -= 15
    sheet.text(sheet.left, sheet.y - 9, words.label("quota_runs_out_on"), size=8.5)
    runs_out = words.date(q.runs_out_on.date()) if q.runs_out_on else words.label("quota_not_this_month")
    drawn = sheet.text(x, sheet.y - 9, runs_out, size=8.5, color=WARN if q.runs_out_on else INK, measure=True)
    if q.exceeded:
        label = words.label("quota_exceeded")
        label_width = width(faces.clean(label), faces.bold, 9)
        sheet.canvas.setFillColor(BAD)
        sheet.canvas.roundRect(x + drawn + 9, sheet.y - 13, label_width + 10, 14, 3, stroke=0, fill=1)
        sheet.text(x + drawn + 14, sheet.y - 9.5, label, font=faces.bold, size=9, color=WHITE)
    sheet.y -= 24


def statements(sheet: Sheet, report: TenantReport, words: Locale) -> None:
    """Missing data first, in a yellow box (completeness below 100 %), then every other note."""
    notes = list(report.notes)
    incomplete = [n for n in notes if n.key == "incomplete"]
    if (report.completeness is not None and report.completeness < 1) or incomplete:
        heading = words.text("label_value", label=words.label("completeness"), value=words.share(report.completeness))
        lines = [s for n in incomplete for s in _sentences(sheet, words.note(n), sheet.width - 20)]
        height = 16 + 11 * len(lines) + 10
        sheet.need(height)
        sheet.canvas.setFillColor(WARN_FILL)
        sheet.canvas.roundRect(sheet.left, sheet.y - height, sheet.width, height, 3, stroke=0, fill=1)
        sheet.text(sheet.left + 10, sheet.y - 14, heading, font=sheet.faces.bold, size=9.5, color=WARN)
        for index, line in enumerate(lines):
            sheet.text(sheet.left + 10, sheet.y - 28 - 11 * index, line, size=8.5)
        sheet.y -= height + 12
    others = [n for n in notes if n.key != "incomplete"]
    if others:
        _notes(sheet, others, words)


def _notes(sheet: Sheet, notes: list[Note], words: Locale) -> None:
    sheet.need(40)
    sheet.text(sheet.left, sheet.y - 11, words.label("notes"), font=sheet.faces.bold, size=11)
    sheet.y -= 18
    for note in notes:
        lines = _sentences(sheet, words.note(note), sheet.width - 12)
        sheet.need(11 * len(lines) + 4)
        sheet.text(sheet.left, sheet.y - 9, "•", size=8.5, color=MUTED)
        for line in lines:
            sheet.text(sheet.left + 12, sheet.y - 9, line, size=8.5)
            sheet.y -= 11
        sheet.y -= 3


def _sentences(sheet: Sheet, text: str, room: float) -> list[str]:
    return wrap(sheet.faces.clean(text), sheet.faces.regular, 8.5, room, 6)
