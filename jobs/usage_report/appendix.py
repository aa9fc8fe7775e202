"""The appendix "How these numbers are computed": each metric's definition and its query.

A number a tenant cannot check is a number it argues about: every KPI of page 1 (and the quota,
the completeness, the change) is defined in the tenant's words, followed by the exact query that
computed it (PromQL or SQL, as run, the same for every tenant), in a monospace face, wrapped.
Then what could not be read, if anything.
"""

from __future__ import annotations

from jobs.usage_report.locale import Locale
from jobs.usage_report.model import KPIS, TenantReport
from jobs.usage_report.pdf_page import INK, MUTED, TILE, Sheet
from jobs.usage_report.pdf_text import wrap, wrap_code

#: defined after the KPIs, in this order (when the report has them)
AFTER_KPIS = ("quota", "month_to_date_calls", "completeness", "top_apis", "top_applications", "change")
TEXT = 8.0
CODE = 7.0


def metrics(report: TenantReport) -> list[str]:
    """The metrics the appendix explains: every KPI, then the others the report has, then any
    method the sources named that is neither (in name order)."""
    listed = list(KPIS)
    for name in AFTER_KPIS:
        if name in report.methods or name in ("completeness", "change") or (name == "quota" and report.quota):
            listed.append(name)
    listed += sorted(set(report.methods) - set(listed))
    return listed


def appendix(sheet: Sheet, report: TenantReport, words: Locale) -> None:
    faces = sheet.faces
    sheet.need(80)
    sheet.text(sheet.left, sheet.y - 13, words.label("appendix"), font=faces.bold, size=13)
    sheet.y -= 24
    for metric in metrics(report):
        _metric(sheet, metric, report.methods.get(metric), words)
    if report.problems:
        sheet.need(40)
        sheet.text(sheet.left, sheet.y - 11, words.label("problems"), font=faces.bold, size=10.5)
        sheet.y -= 18
        for problem in report.problems:
            _lines(sheet, wrap(faces.clean(problem), faces.regular, TEXT, sheet.width - 12, 8), faces.regular, TEXT)


def _metric(sheet: Sheet, metric: str, query: str | None, words: Locale) -> None:
    """The metric's name in bold, its definition, its query in a grey monospace block."""
    faces = sheet.faces
    name = words.words.labels.get(metric) or words.words.fields.get(metric) or metric
    definition = wrap(faces.clean(words.definition(metric)), faces.regular, TEXT, sheet.width, 12)
    code = wrap_code(faces.clean(query), faces.mono, CODE, sheet.width - 12) if query else []
    sheet.need(13 + 10 * min(len(definition), 3) + (9 * min(len(code), 3) + 8 if code else 0))
    sheet.text(sheet.left, sheet.y - 9, faces.clean(name), font=faces.bold, size=9)
    sheet.y -= 13
    _lines(sheet, definition, faces.regular, TEXT, indent=0)
    if code:
        _code(sheet, code)
    sheet.y -= 7


def _lines(sheet: Sheet, lines: list[str], font: str, size: float, indent: float = 12) -> None:
    for line in lines:
        sheet.need(size + 2)
        sheet.text(sheet.left + indent, sheet.y - size, line, font=font, size=size, color=MUTED if indent else INK)
        sheet.y -= size + 2


def _code(sheet: Sheet, lines: list[str]) -> None:
    """The query's lines on a grey band; a query longer than the page's rest continues on the next."""
    sheet.y -= 2
    for line in lines:
        sheet.need(9)
        sheet.canvas.setFillColor(TILE)
        sheet.canvas.rect(sheet.left, sheet.y - 9, sheet.width, 9, stroke=0, fill=1)
        sheet.text(sheet.left + 6, sheet.y - 7, line, font=sheet.faces.mono, size=CODE)
        sheet.y -= 9
