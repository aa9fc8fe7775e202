# ruff: noqa: RUF001 - French typography (its apostrophe and guillemets) is what these lines are about
"""The PDF a tenant gets, read back with pdftotext and pdfinfo: pages, figures in the tenant's
language, the appendix, byte-identical renders, the creation date, repeated table headers."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.usage_report.locale import for_tenant
from jobs.usage_report.model import KPIS, Note
from jobs.usage_report.render import render
from tests.usage_report import pdfs
from tests.usage_report.reports import DAY, METHODS, report

pytestmark = pdfs.needs_poppler
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def weekly() -> bytes:
    return render(report(completeness=0.93, notes=[Note("incomplete", {"percent": 93.0})]))


def test_a_report_is_a_summary_page_a_chart_page_the_tables_and_the_appendix(weekly: bytes) -> None:
    pages = pdfs.pages(weekly)
    assert pdfs.info(weekly)["Pages"] == str(len(pages)) == "4"
    assert pdfs.info(weekly)["Page size"].startswith("595.276 x 841.89")  # A4
    first, charts, tables = pages[0], pages[1], pages[2]
    assert "Acme Corporation" in first
    assert "Week 48, 23–29 November 2026" in first
    assert "Key figures" in first and "Quota" in first
    assert "Data completeness: 93.0%" in first
    assert "Data covers 93.0% of the period" in first
    assert all(title in charts for title in ("Calls and errors", "Latency percentiles (ms)", "Bandwidth (MB)"))
    assert charts.count("No data") == 3  # the missing steps, shaded and named in each chart's legend
    assert "Top APIs by calls" in tables and "Top applications by errors" in tables
    assert "How these numbers are computed" in pdfs.text(weekly)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_kpi_and_its_change_is_on_page_one_as_the_tenant_writes_numbers(language: str) -> None:
    subject = report(locale=language, scale=1.37)
    first = pdfs.pages(render(subject))[0]
    words = for_tenant(language)[0]
    for name in KPIS:
        kpi = subject.kpis[name]
        assert pdfs.spaced(words.label(name)) in first, name
        assert pdfs.spaced(words.kpi(name, kpi.value)) in first, (name, words.kpi(name, kpi.value))
        if name not in ("apis", "applications", "users"):  # counted now: nothing to compare with
            assert pdfs.spaced(words.change(kpi)) in first, (name, words.change(kpi))
    assert pdfs.spaced(words.period(subject.period)) in first


def test_french_accents_triangles_and_narrow_spaces_are_real_text() -> None:
    pdf = render(report("dupont", "Société Générale d’Électricité", "fr"))
    extracted = pdfs.text(pdf)
    assert "Société Générale d’Électricité" in extracted
    assert "Semaine 48, du 23 au 29 novembre 2026" in extracted
    assert "▲ 12,0 %" in extracted and "▼ 7,5 %" in extracted
    assert "1 234 567" in extracted  # U+202F between digit groups: poppler gives a space back
    assert b"<202F>" in _cmaps(pdf)  # ... and the PDF maps its glyph to U+202F, not to a space


def _cmaps(pdf: bytes) -> bytes:
    """The ToUnicode maps of the embedded fonts (what text extraction reads)."""
    import re
    import zlib

    found = b""
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            data = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        if b"beginbfchar" in data:
            found += data.upper()
    return found


def test_the_appendix_defines_every_metric_and_gives_its_query_in_full(weekly: bytes) -> None:
    extracted = pdfs.flat(pdfs.text(weekly))
    words = for_tenant("en")[0]
    for metric, query in METHODS.items():
        assert pdfs.flat(query) in extracted, metric
    for metric in KPIS:
        assert pdfs.flat(words.definition(metric)) in extracted, metric


def test_the_same_report_gives_the_same_bytes_in_this_process_and_in_another(weekly: bytes) -> None:
    subject = report(completeness=0.93, notes=[Note("incomplete", {"percent": 93.0})])
    render(report("other", "Other tenant", "fr", scale=3.0, top=50))  # a different one in between
    assert render(subject) == weekly
    code = (
        "import sys; from tests.usage_report.reports import report; from jobs.usage_report.model import Note; "
        "from jobs.usage_report.render import render; "
        "sys.stdout.buffer.write(render(report(completeness=0.93, notes=[Note('incomplete', {'percent': 93.0})])))"
    )
    fresh = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=True, timeout=60)
    assert fresh.stdout == weekly


def test_the_creation_and_modification_dates_are_the_period_end() -> None:
    weekly, daily = render(report()), render(report(period=DAY))
    assert pdfs.info(weekly)["CreationDate"] == pdfs.info(weekly)["ModDate"] == "2026-11-30T00:00:00Z"
    assert pdfs.info(daily)["CreationDate"] == "2026-12-01T00:00:00Z"
    other = render(report("other", "Other tenant"))
    assert _document_id(weekly) == _document_id(render(report())) != _document_id(other)


def _document_id(pdf: bytes) -> bytes:
    import re

    found = re.search(rb"trailer\s*<<\s*/ID\s*\[<([0-9a-f]+)>", pdf)
    assert found is not None
    return found.group(1)


def test_a_top_50_table_of_long_names_repeats_its_header_and_never_overflows() -> None:
    long_names = [f"{i:02d}-" + "very-long-endpoint-name/" * 8 + "x" * 8 for i in range(50)]
    pdf = render(report(top=50, api_names=long_names))
    pages = pdfs.pages(pdf)
    continued = [n for n, page in enumerate(pages) if "Top APIs by calls" in page]
    assert len(continued) >= 2, "a 50-row table of two-line names does not fit one page"
    for number in continued:
        assert all(header in pages[number] for header in ("API", "Calls", "Errors", "Share of calls"))
    boxes, (page_width, _) = pdfs.words(pdf)
    assert boxes and max(word.x_max for word in boxes) <= page_width - 40  # inside the right margin
    assert min(word.x_min for word in boxes) >= 40


def test_a_tenant_without_traffic_is_told_so_on_page_one_and_gets_no_empty_charts() -> None:
    pdf = render(report(no_traffic=True, notes=[Note("no_traffic")]))
    pages = pdfs.pages(pdf)
    assert len(pages) == 2
    assert "No traffic in this period" in pages[0]
    assert "There was no traffic in this period" in pages[0]
    assert "Calls and errors" not in pdfs.text(pdf)
    assert "Top APIs by calls" not in pdfs.text(pdf)
    assert "How these numbers are computed" in pages[1]


def test_a_chart_without_missing_steps_has_no_gap_in_its_legend() -> None:
    assert "No data" not in pdfs.pages(render(report()))[1]
    assert "Pas de données" in pdfs.pages(render(report(locale="fr", completeness=0.9)))[1]


def test_an_exceeded_quota_is_flagged_with_its_forecast() -> None:
    first = pdfs.pages(render(report(exceeded=True)))[0]
    assert "Exceeded" in first
    assert "27 November 2026" in first  # runs out on
    assert "113.3%" in first
    calm = pdfs.pages(render(report()))[0]
    assert "Exceeded" not in calm and "Not this month" in calm


def test_a_report_without_quota_says_so() -> None:
    subject = dataclasses.replace(report(), quota=None)
    assert "No monthly quota" in pdfs.pages(render(subject))[0]
