"""aggregate over any input: NaN, infinities, negative and huge counters, odd status codes, odd
names, duplicates, quotas of 0 or less, missing windows. Whatever comes in, the report holds
no NaN or infinity, its counts add up, its rankings are the N largest with ties by name, its
changes point the right way, and every Note it carries has words in both languages."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jobs.usage_report import locale
from jobs.usage_report.aggregate import UNCOMPARED, aggregate
from jobs.usage_report.model import KPIS, Breakdown, Period, Tenant, TenantReport, TenantUsage, Window
from jobs.usage_report.period import month_end

#: a figure as a source may hand it: NaN, infinities, negative (a counter reset), huge, 1e308
NUMBER = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(0, 1e6)
    | st.sampled_from([0.0, 1e15, 1.7e308, -1.0, math.nan, math.inf])
    | st.integers(0, 10**16)
)
RAW = NUMBER | st.none()
COUNT = st.floats(0, 1e15) | st.integers(0, 10**12)
#: mostly plausible figures, often adversarial ones (hypothesis spreads a composite's draws thin)
VALUE = st.one_of(COUNT, COUNT, RAW)
CODES = st.sampled_from(["200", "201", "302", "404", "429", "500", "503", "0", "600", "", " 2xx", "abc"]) | st.text(
    max_size=4
)
NAMES = st.sampled_from(["", " ", "orders", "Orders", "billing", "Ça coûte", "注文", "x" * 10_000]) | st.text(
    max_size=12
)
WINDOW = st.builds(
    Window,
    calls_by_code=st.fixed_dictionaries(
        {"200": COUNT, "404": COUNT}, optional={"302": VALUE, "500": VALUE, "0": VALUE, " 2xx": VALUE}
    )
    | st.dictionaries(CODES, VALUE, max_size=5),
    bytes_in=VALUE,
    bytes_out=VALUE,
    latency_sum=VALUE,
    latency_count=VALUE,
    latency_p50=VALUE,
    latency_p95=VALUE,
    latency_p99=VALUE,
)
FIGURE = st.one_of(COUNT, COUNT, NUMBER)
TIED = st.integers(0, 3)  # small counts: ties, so the name order has to break them
BREAKDOWN = st.lists(st.builds(Breakdown, NAMES, st.one_of(TIED, TIED, FIGURE), st.one_of(TIED, FIGURE)), max_size=7)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    day = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=draw(st.integers(0, 3 * 365)))
    if draw(st.booleans()):
        return Period("daily", day, day + timedelta(days=1))
    monday = day - timedelta(days=day.weekday())
    return Period("weekly", monday, monday + timedelta(days=7))


TENANT = st.builds(
    Tenant,
    id=st.just("t"),
    name=NAMES,
    contacts=st.just(("a@b.test",)),
    locale=st.sampled_from(["fr", "FR ", "fr-CA", "en-GB", "", "de", "xx_YY", "\x00"]),
    monthly_call_quota=st.one_of(
        st.integers(1, 10**9),
        st.integers(1, 10**9),
        st.none(),
        st.integers(-10, 0),
        st.sampled_from([1, 10**15, 2**53 + 1, 10**30]),
    ),
    apis=st.none() | st.integers(-3, 10**6),
    applications=st.none() | st.integers(-3, 10**6),
    users=st.none() | st.integers(-3, 10**6),
)


POINTS = st.lists(st.tuples(st.integers(0, 5), NUMBER), max_size=5)
SERIES = st.dictionaries(st.sampled_from(["calls", "errors", "latency_p95", "bytes_in"]), POINTS, max_size=3)


@st.composite
def usages(draw: st.DrawFn) -> TenantUsage:
    period = draw(periods())
    drawn = draw(SERIES)
    series = {name: tuple((period.start + period.step * i, v) for i, v in points) for name, points in drawn.items()}
    return TenantUsage(
        tenant=draw(TENANT),
        period=period,
        current=None if draw(st.integers(0, 4)) == 0 else draw(WINDOW),  # mostly traffic
        previous=None if draw(st.integers(0, 4)) == 0 else draw(WINDOW),
        month_to_date_calls=draw(VALUE),
        series=series,
        apis=tuple(draw(BREAKDOWN)),
        applications=tuple(draw(BREAKDOWN)),
        breakdown_source=draw(st.sampled_from(["prometheus", "gateway_analytics", ""])),
        completeness=draw(st.one_of(st.floats(0, 1), st.just(1.0), RAW)),
        methods={"calls": "sum(...)"},
        problems=tuple(draw(st.lists(st.sampled_from(["latency: query timed out", "", "y" * 5_000]), max_size=2))),
    )


#: a usage is ~70 draws: 60 of them per property keep the module near 30 s on a quiet machine;
#: the timeout is for this 2-core VM under seven parallel sessions
PROFILE = settings(max_examples=60, deadline=None)
pytestmark = pytest.mark.timeout(400)


def floats_in(value: object) -> Iterator[float]:
    """Every float anywhere in a report (dataclasses, mappings, tuples, Note values)."""
    if isinstance(value, bool):
        return
    if isinstance(value, float | int):
        yield float(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from floats_in(getattr(value, f.name))
    elif isinstance(value, dict) or hasattr(value, "items"):
        for item in value.items():  # type: ignore[union-attr]
            yield from floats_in(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from floats_in(item)


def report_of(usage: TenantUsage, top_n: int = 5) -> TenantReport:
    return aggregate(usage, top_n=top_n)


@PROFILE
@given(usage=usages())
def test_no_nan_or_infinity_anywhere_in_a_report(usage: TenantUsage) -> None:
    report = report_of(usage)
    figures = [v for v in floats_in(dataclasses.replace(report, notes=())) if not math.isfinite(v)]
    assert figures == []


@PROFILE
@given(usage=usages())
def test_counts_add_up_and_the_error_rate_is_a_share(usage: TenantUsage) -> None:
    k = report_of(usage).kpis
    calls, success, failed, rate = (k[n].value for n in ("calls", "success", "failed", "error_rate"))
    if calls is not None and success is not None and failed is not None:
        assert success + failed <= calls
    if rate is not None:
        assert 0 <= rate <= 1
        assert calls and failed is not None and rate == failed / calls


#: two names tied in reverse order, a third behind: the order must come from the names
TIES = TenantUsage(
    Tenant("t", "T", ()),
    Period("daily", datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
    apis=(Breakdown("b", 5, 1), Breakdown("a", 5, 1), Breakdown("c", 1, 1)),
)


def expected_top(items: tuple[Breakdown, ...], n: int, by: str) -> list[tuple[str, float]]:
    """The reference ranking: bad figures count 0, same names add up, > 0 only, ties by name."""
    totals: dict[str, float] = {}
    for item in items:
        value = getattr(item, by)
        good = value if isinstance(value, float | int) and math.isfinite(value) and value >= 0 else 0.0
        totals[item.name] = totals.get(item.name, 0.0) + float(good)
    ranked = sorted(
        ((name, v) for name, v in totals.items() if math.isfinite(v) and v > 0), key=lambda p: (-p[1], p[0])
    )
    return ranked[:n]


@PROFILE
@given(usage=usages(), n=st.integers(0, 8))
@example(usage=TIES, n=2)
def test_top_lists_are_the_n_largest_with_ties_by_name(usage: TenantUsage, n: int) -> None:
    report = report_of(usage, n)
    for items, calls, errors in (
        (usage.apis, report.top_apis_by_calls, report.top_apis_by_errors),
        (usage.applications, report.top_applications_by_calls, report.top_applications_by_errors),
    ):
        assert [(b.name, b.calls) for b in calls] == expected_top(items, n, "calls")
        assert [(b.name, b.errors) for b in errors] == expected_top(items, n, "errors")


@PROFILE
@given(usage=usages())
def test_changes_point_the_way_the_figure_moved(usage: TenantUsage) -> None:
    for name, kpi in report_of(usage).kpis.items():
        if name in UNCOMPARED:
            assert (kpi.compared, kpi.previous, kpi.change_percent) == (False, None, None)
            continue
        if kpi.change_percent is None:
            assert (
                kpi.value is None
                or kpi.previous is None
                or kpi.previous == 0
                or not math.isfinite((kpi.value - kpi.previous) / kpi.previous * 100)  # 1 / 5e-324
            )
            continue
        assert kpi.value is not None and kpi.previous is not None and kpi.previous > 0
        assert (kpi.change_percent > 0) == (kpi.value > kpi.previous) and (kpi.change_percent < 0) == (
            kpi.value < kpi.previous
        )


@PROFILE
@given(usage=usages())
def test_every_note_has_words_in_both_languages(usage: TenantUsage) -> None:
    report = report_of(usage)
    assert report.locale in locale.LOCALES
    for note in report.notes:
        assert note.key in locale.NOTE_KEYS
        for language in locale.LOCALES.values():
            sentence = language.note(note)
            # a template's own placeholders are always filled (format_map with a default); a brace
            # may only come from a value (an application named `{`), shown literally
            brace_in_values = any("{" in str(v) for v in note.values.values())
            assert sentence and ("{" not in sentence or brace_in_values)
    for name in KPIS:
        for language in locale.LOCALES.values():
            assert "nan" not in language.kpi(name, report.kpis[name].value) + language.change(report.kpis[name])


@PROFILE
@given(usage=usages())
def test_the_quota_block_is_consistent(usage: TenantUsage) -> None:
    report = report_of(usage)
    q, monthly = report.quota, usage.tenant.monthly_call_quota
    if monthly is None or monthly <= 0 or monthly > 2**53:
        assert q is None
        assert any(n.key == "quota_invalid" for n in report.notes) == (monthly is not None)
        return
    assert q is not None and q.period_allowance > 0
    assert q.exceeded == (q.month_to_date_calls is not None and q.month_to_date_calls > monthly)
    if q.runs_out_on is not None:
        assert (
            not q.exceeded
            and usage.period.end <= q.runs_out_on + timedelta(days=1)
            and q.runs_out_on < month_end(usage.period)
        )
    assert any(n.key == "quota_exceeded" for n in report.notes) == q.exceeded


@PROFILE
@given(usage=usages(), below=st.floats(0, 1))
def test_no_traffic_and_completeness_are_stated(usage: TenantUsage, below: float) -> None:
    report = aggregate(usage, complete_below=below)
    keys = [n.key for n in report.notes]
    assert report.no_traffic == (report.kpis["calls"].value == 0 and "no_traffic" in keys)
    if usage.current is None:
        assert report.no_traffic
    c = report.completeness
    assert c is None or 0 <= c <= 1
    assert ("incomplete" in keys) == (c is not None and c < 1)
    assert report.incomplete == (c < below if c is not None else not report.no_traffic)
