"""What aggregate makes of bad input, rendered: never a traceback, never a blank page, and every
Note it wrote stated on the PDF in the tenant's words (a NaN, a negative counter, a quota of 0,
a locale "FR ", empty names, a series with gaps and NaN points)."""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.usage_report.aggregate import aggregate
from jobs.usage_report.locale import for_tenant
from jobs.usage_report.model import Breakdown, Period, Tenant, TenantUsage, Window
from jobs.usage_report.render import render
from tests.usage_report import pdfs

pytestmark = pdfs.needs_poppler

DAY = Period("daily", datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC))
FIGURES = st.one_of(
    st.none(),
    st.sampled_from([math.nan, math.inf, -5.0, 0.0, 1e300]),
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
)
NAMES = st.sampled_from(["", "  ", "orders", "<b>x</b>", "Ça coûte", "a" * 200, "שלום"])


@st.composite
def usages(draw: st.DrawFn) -> TenantUsage:
    codes = draw(
        st.dictionaries(st.sampled_from(["200", "404", "500", "0", "abc"]), FIGURES.filter(lambda v: v is not None))
    )
    current = Window(
        calls_by_code=codes,
        bytes_in=draw(FIGURES),
        bytes_out=draw(FIGURES),
        latency_sum=draw(FIGURES),
        latency_count=draw(FIGURES),
        latency_p95=draw(FIGURES),
    )
    hours = draw(st.sets(st.integers(min_value=1, max_value=24)))
    calls = tuple(
        (DAY.start + timedelta(hours=h), draw(FIGURES.filter(lambda v: v is not None))) for h in sorted(hours)
    )
    tenant = Tenant(
        "t1",
        draw(st.sampled_from(["Acme", "<font size=90>", "", "Société Générale"])),
        ("ops@t1.example",),
        draw(st.sampled_from(["en", "fr", "FR ", "fr_FR", "de", ""])),
        draw(st.sampled_from([None, 0, -10, 1_000_000])),
        apis=draw(st.sampled_from([None, 0, 3])),
    )
    breakdowns = tuple(Breakdown(draw(NAMES), 10.0 * i, float(i)) for i in range(draw(st.integers(0, 6))))
    return TenantUsage(
        tenant=tenant,
        period=DAY,
        current=draw(st.sampled_from([None, current])),
        previous=draw(st.sampled_from([None, Window(calls_by_code={"200": 100.0})])),
        month_to_date_calls=draw(FIGURES),
        series={"calls": calls},
        apis=breakdowns,
        breakdown_source=draw(st.sampled_from(["prometheus", "gateway_analytics", ""])),
        completeness=draw(st.sampled_from([None, 0.0, 0.5, 0.99, 1.0])),
        methods={"calls": "sum by (tenant) (increase(gateway_requests_total[1d]))"},
        problems=draw(st.sampled_from([(), ("prometheus: timeout after 10 s",)])),
    )


def _letters(text: str) -> str:
    """Letters and digits only: pdftotext places the quotes around a right-to-left name by its
    own reading, and a wrapped sentence's spaces move."""
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(usage=usages())
def test_whatever_aggregate_made_of_the_input_renders_and_states_every_note(usage: TenantUsage) -> None:
    report = aggregate(usage, top_n=5)
    pdf = render(report)
    pages = pdfs.pages(pdf)
    assert len(pages) == 2 if report.no_traffic else len(pages) >= 3  # summary, charts, tables + appendix
    first = _letters(pages[0])
    assert _letters(report.tenant.name.strip() or report.tenant.id)[:20] in first
    words = for_tenant(report.locale)[0]
    for note in report.notes:
        sentence = _letters(words.note(note))
        assert sentence[:50] in first, note  # said on page 1 (long ones wrap, the start is there)
    if not report.no_traffic:
        assert pdfs.flat(words.label("chart_calls")) in pdfs.flat(pages[1])
