"""Page 1's figures are never cut (review 13, D2): from 10^3 to 10^15 calls every KPI tile and
quota figure reads back, through pdftotext, as the value (whole, or rounded to 3 significant
digits with a decimal prefix), and no `…` sits inside a number."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.usage_report import locale, render
from jobs.usage_report.locale import KPI_UNITS
from jobs.usage_report.pdf_figures import BYTE_PREFIXES, PREFIXES, compact
from tests.usage_report import pdfs, reports

SHOWN = ("calls", "success", "failed", "mb_in", "mb_out", "mb_total")
MULTIPLIERS = {prefix: 1000.0**power for power, prefix in enumerate(PREFIXES)}


def parse_back(words: locale.Locale, text: str, unit: str) -> float:
    """What a reader makes of a figure: `1,234,567` or `1.23 G` (or `4.20 TB`: MB scaled up)."""
    body = text.translate(pdfs.SPACES).strip()
    if unit == "mb":  # MB, GB, TB... (Mo, Go, To...): the value in MB
        body = body.removesuffix(words.label("unit_mb")[1:])
        return _scaled(words, body[:-1], 1000.0 ** BYTE_PREFIXES.index(body[-1]))
    if body and body[-1].isalpha():
        return _scaled(words, body[:-1], MULTIPLIERS[body[-1]])
    return words.parse_number(body)


def _scaled(words: locale.Locale, digits: str, factor: float) -> float:
    return words.parse_number(digits.strip().replace(" ", "")) * factor


@settings(max_examples=30, deadline=None)
@given(
    st.floats(min_value=-1.0, max_value=1.0),
    st.sampled_from(["en", "fr"]),
    st.sampled_from(["", "k", "M", "G", "T", "P"]),
)
def test_compact_parses_back_within_its_rounding(mantissa: float, code: str, prefix: str) -> None:
    value = (1.0 + abs(mantissa) * 998.9) * MULTIPLIERS[prefix] * (-1 if mantissa < 0 else 1)
    words = locale.get(code)
    for unit in ("count", "mb"):
        shown = compact(words, value, unit)
        assert "…" not in shown
        assert math.isclose(parse_back(words, shown, unit), value, rel_tol=0.0051, abs_tol=0.5), (shown, value)


@pdfs.needs_poppler
@settings(max_examples=14, deadline=None)
@given(st.integers(min_value=3, max_value=15), st.sampled_from(["en", "fr"]))
def test_page_one_figures_are_whole_or_rounded_never_cut(magnitude: int, code: str) -> None:
    scale = 10.0**magnitude / 1_234_567
    report = reports.report(locale=code, scale=scale)
    report = replace(
        report, quota=replace(report.quota, monthly=round(3 * 10.0**magnitude), period_allowance=10.0**magnitude)
    )
    words = locale.get(code)
    page = re.sub(r"\s+", " ", pdfs.text(render.render(report), 1).translate(pdfs.SPACES))
    assert not re.search(r"\d…|…\d", page), page
    for name in SHOWN:
        value = report.kpis[name].value
        forms = (words.kpi(name, value), compact(words, value, KPI_UNITS[name]))
        shown = [form for form in forms if re.sub(r"\s+", " ", form.translate(pdfs.SPACES)) in page]
        assert shown, (name, forms, page[:600])
        if shown[0] == forms[0]:
            continue
        assert math.isclose(parse_back(words, shown[0], KPI_UNITS[name]), value or 0, rel_tol=0.0051, abs_tol=0.5)
    quota = report.quota
    for figure in (quota.monthly, quota.period_allowance, quota.month_to_date_calls):
        forms = (words.number(figure), compact(words, figure))
        assert any(re.sub(r"\s+", " ", f.translate(pdfs.SPACES)) in page for f in forms), (figure, forms)
