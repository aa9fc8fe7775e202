"""aggregate: exact figures for a known tenant, and every adversarial input turned into a Note
or a None (never a NaN, an infinity or an exception)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from jobs.usage_report import locale
from jobs.usage_report.aggregate import aggregate, status_class
from jobs.usage_report.model import Breakdown, Kpi, Note, Period, Quota, Tenant, TenantUsage, Window
from jobs.usage_report.quota import allowance, quota

DAY = Period("daily", datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC))
TENANT = Tenant("acme", "Acme", ("ops@acme.test",), "fr", 3_000_000, True, apis=12, applications=4, users=30)
CURRENT = Window(
    calls_by_code={"200": 80_000, "302": 5_000, "404": 3_000, "500": 2_000, "0": 10},
    bytes_in=54_000_000,
    bytes_out=378_000_000,
    latency_sum=9_001.0,
    latency_count=90_010,
    latency_p50=0.08,
    latency_p95=0.3,
    latency_p99=0.9,
)
PREVIOUS = Window(calls_by_code={"200": 70_000, "404": 5_000}, bytes_in=50_000_000, bytes_out=400_000_000)
APIS = (
    Breakdown("search", 30_000, 1_000),
    Breakdown("orders", 50_000, 3_000),
    Breakdown("billing", 30_000, 1_000),
    Breakdown("", 10, 0),
    Breakdown("Ça coûte", 5, 5),
)
USAGE = TenantUsage(
    tenant=TENANT,
    period=DAY,
    current=CURRENT,
    previous=PREVIOUS,
    month_to_date_calls=1_500_000,
    series={"calls": ((DAY.start, 3_000.0),), "latency_p95": ((DAY.start, 0.25),), "bytes_in": ((DAY.start, 2e6),)},
    apis=APIS,
    applications=(Breakdown("web", 60_000, 4_000), Breakdown("mobile", 30_010, 1_000)),
    completeness=0.95,
    methods={"calls": "sum by (tenant) (increase(gateway_requests_total[1d]))"},
    problems=("users: statement timed out",),
)


def test_the_kpis_of_a_known_day() -> None:
    report = aggregate(USAGE, top_n=3)
    calls = 80_000 + 5_000 + 3_000 + 2_000 + 10
    assert dict(report.kpis) == {
        "calls": Kpi(calls, 75_000, (calls - 75_000) / 75_000 * 100),
        "success": Kpi(85_000, 70_000, (85_000 - 70_000) / 70_000 * 100),
        "failed": Kpi(5_000, 5_000, 0.0),
        "error_rate": Kpi(5_000 / calls, 5_000 / 75_000, (5_000 / calls - 5_000 / 75_000) / (5_000 / 75_000) * 100),
        "mb_in": Kpi(54.0, 50.0, 8.0),
        "mb_out": Kpi(378.0, 400.0, -5.5),
        "mb_total": Kpi(432.0, 450.0, -4.0),
        "latency_avg": Kpi(100.0, None, None),
        "latency_p50": Kpi(80.0, None, None),
        "latency_p95": Kpi(300.0, None, None),
        "latency_p99": Kpi(900.0, None, None),
        "apis": Kpi(12, compared=False),
        "applications": Kpi(4, compared=False),
        "users": Kpi(30, compared=False),
    }
    assert report.locale == "fr" and report.no_traffic is False


def test_the_quota_of_a_known_day() -> None:
    report = aggregate(USAGE)
    # 3,000,000 over November's 30 days: 100,000 for the day; 1,500,000 left at 90,010 a day
    # from 11 November: 16.66 days, so it runs out on the 27th
    assert report.quota == Quota(
        monthly=3_000_000,
        period_allowance=100_000.0,
        period_used_percent=90.01,
        month_to_date_calls=1_500_000,
        month_used_percent=50.0,
        runs_out_on=datetime(2026, 11, 27, tzinfo=UTC),
        exceeded=False,
    )


def test_top_lists_are_by_calls_and_by_errors_with_ties_in_name_order() -> None:
    report = aggregate(USAGE, top_n=3)
    assert [b.name for b in report.top_apis_by_calls] == ["orders", "billing", "search"]
    assert [b.name for b in report.top_apis_by_errors] == ["orders", "billing", "search"]
    assert [b.name for b in aggregate(USAGE, top_n=10).top_apis_by_errors] == [
        "orders",
        "billing",
        "search",
        "Ça coûte",
    ]
    assert [b.name for b in aggregate(USAGE, top_n=10).top_apis_by_calls][-2:] == ["", "Ça coûte"]
    assert [b.name for b in report.top_applications_by_calls] == ["web", "mobile"]
    assert aggregate(USAGE, top_n=0).top_apis_by_calls == ()


def test_the_notes_of_a_known_day_in_order() -> None:
    assert aggregate(USAGE).notes == (
        Note("incomplete", {"percent": 95.0}),
        Note("quota_runs_out", {"date": "2026-11-27"}),
        Note("codes_other", {"codes": "0", "calls": 10.0}),
        Note("name_empty", {"kind": "api", "count": 1}),
        Note("source_problem", {"problem": "users: statement timed out"}),
    )


def test_series_come_in_report_units_and_methods_and_problems_pass_through() -> None:
    report = aggregate(USAGE)
    assert dict(report.series) == {
        "bytes_in": ((DAY.start, 2.0),),
        "calls": ((DAY.start, 3_000.0),),
        "latency_p95": ((DAY.start, 250.0),),
    }
    assert report.methods == USAGE.methods and report.problems == USAGE.problems


@pytest.mark.parametrize(("below", "incomplete"), [(1.0, True), (0.96, True), (0.95, False), (0.5, False)])
def test_completeness_below_the_setting_is_what_the_job_warns_about(below: float, incomplete: bool) -> None:
    report = aggregate(USAGE, complete_below=below)
    assert (report.completeness, report.incomplete) == (0.95, incomplete)
    assert Note("incomplete", {"percent": 95.0}) in report.notes  # stated whatever the setting


def test_a_week_across_two_months_gets_each_days_share_of_its_own_month() -> None:
    week = Period("weekly", datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC))
    assert allowance(3_100_000, week) == math.fsum([3_100_000 / 30] + [3_100_000 / 31] * 6)
    # month to date counts from 1 December; 2,000,000 left at 700,000 a day: 2.86 days from the 7th
    found, notes = quota(3_100_000, week, 4_900_000, 1_100_000)
    assert found is not None and found.runs_out_on == datetime(2026, 12, 9, tzinfo=UTC)
    assert notes == [Note("quota_runs_out", {"date": "2026-12-09"})]


@pytest.mark.parametrize(
    ("mtd", "runs_out_on", "exceeded", "notes"),
    [
        (3_000_001, None, True, [Note("quota_exceeded", {"quota": 3_000_000, "used": 3_000_001.0})]),
        (3_000_000, None, False, []),  # used up, not over: nothing left to forecast
        (100, None, False, []),  # 20 days to the month's end, 33 days of quota left
        (None, None, False, [Note("month_to_date_missing")]),
        (
            math.nan,
            None,
            False,
            [Note("value_invalid", {"field": "month_to_date_calls", "value": math.nan}), Note("month_to_date_missing")],
        ),
    ],
)
def test_quota_forecasts_and_flags(
    mtd: float | None, runs_out_on: datetime | None, exceeded: bool, notes: list[Note]
) -> None:
    found, said = quota(3_000_000, DAY, 90_010, mtd)
    assert found is not None and (found.runs_out_on, found.exceeded) == (runs_out_on, exceeded)
    assert repr(said) == repr(notes)  # NaN != NaN: compare as written


@pytest.mark.parametrize(
    ("monthly", "notes"),
    [
        (None, []),
        (0, [Note("quota_invalid", {"quota": 0.0})]),
        (-5, [Note("quota_invalid", {"quota": -5.0})]),
        (10**30, [Note("quota_invalid", {"quota": str(10**30)})]),
    ],
)
def test_no_quota_or_an_unusable_one_gives_no_quota_block(monthly: int | None, notes: list[Note]) -> None:
    report = aggregate(replace(USAGE, tenant=replace(TENANT, monthly_call_quota=monthly)))
    assert report.quota is None
    assert [n for n in report.notes if n.key.startswith("quota")] == notes


@pytest.mark.parametrize(
    ("code", "kind"),
    [("200", "success"), ("101", "success"), ("399", "success"), ("2xx", "success"), (" 3XX ", "success"),
     ("400", "failed"), ("599", "failed"), ("404", "failed"), ("5xx", "failed"),
     ("0", "other"), ("600", "other"), ("", "other"), ("abc", "other"), ("\uff12\uff10\uff10", "other"), ("20", "other"), ("2000", "other")],
)  # fmt: skip
def test_status_classes(code: str, kind: str) -> None:
    assert status_class(code) == kind


def usage_with(**changes: object) -> TenantUsage:
    return replace(USAGE, **changes)  # type: ignore[arg-type]


def test_a_tenant_without_traffic_gets_a_report_saying_so() -> None:
    report = aggregate(usage_with(current=None, completeness=None, apis=(), applications=(), series={}))
    assert report.no_traffic and report.kpis["calls"] == Kpi(0.0, 75_000, -100.0)
    assert report.kpis["error_rate"].value is None and report.kpis["latency_p95"].value is None
    assert report.notes[0] == Note("no_traffic") and not report.incomplete
    assert report.top_apis_by_calls == () and report.quota is not None and report.quota.period_used_percent == 0.0


def test_a_nan_counter_is_left_out_and_named() -> None:
    report = aggregate(usage_with(current=Window(calls_by_code={"200": math.nan, "500": 10})))
    assert report.kpis["calls"].value == 10 and report.kpis["error_rate"].value == 1.0
    assert repr(report.notes[1]) == repr(Note("value_invalid", {"field": "calls", "value": math.nan, "code": "200"}))


def test_a_counter_reset_is_left_out_named_and_not_taken_for_no_traffic() -> None:
    report = aggregate(usage_with(current=Window(calls_by_code={"200": -5.0})))
    assert report.kpis["calls"].value is None and not report.no_traffic  # every code invalid: unknown
    assert Note("value_negative", {"field": "calls", "value": -5.0, "code": "200"}) in report.notes
    assert locale.LOCALES["en"].note(Note("value_negative", {"field": "calls", "value": -5.0, "code": "200"})) == (
        "The call count (status code 200) was negative (-5), as after a counter reset: it was left out."
    )


def test_latency_without_calls_is_left_out() -> None:
    report = aggregate(
        usage_with(current=Window(calls_by_code={"200": 0}, latency_sum=3.0, latency_count=10, latency_p95=math.nan))
    )
    assert all(report.kpis[k].value is None for k in ("latency_avg", "latency_p50", "latency_p95", "latency_p99"))
    assert Note("latency_without_calls") in report.notes and report.no_traffic


def test_the_previous_period_missing_gives_no_change_and_a_note() -> None:
    report = aggregate(usage_with(previous=None))
    assert report.kpis["calls"] == Kpi(90_010, None, None)
    assert locale.LOCALES["en"].change(report.kpis["calls"]) == "new"
    assert Note("previous_missing") in report.notes


def test_bad_values_of_the_previous_period_say_so() -> None:
    report = aggregate(usage_with(previous=Window(calls_by_code={"200": math.inf})))
    assert repr(
        Note("value_invalid", {"field": "calls", "value": math.inf, "code": "200", "window": "previous"})
    ) in repr(report.notes)
    assert report.kpis["calls"] == Kpi(90_010, None, None)  # the previous calls unknown, not 0


def test_huge_numbers_are_figures_and_sums_past_a_float_are_notes() -> None:
    report = aggregate(
        usage_with(current=Window(calls_by_code={"200": 1e15, "500": 1e15}, bytes_in=1e15, bytes_out=1e15))
    )
    assert report.kpis["calls"].value == 2e15 and report.kpis["error_rate"].value == 0.5
    assert report.kpis["mb_total"].value == 2e9
    report = aggregate(usage_with(current=Window(calls_by_code={"200": 1.7e308, "201": 1.7e308})))
    assert report.kpis["calls"].value is None and report.kpis["error_rate"].value is None
    assert Note("value_overflow", {"field": "calls"}) in report.notes


def test_odd_api_names_are_kept_counted_and_added_up() -> None:
    long = "x" * 10_000
    apis = (
        Breakdown("", 5, 0),
        Breakdown(long, 7, 1),
        Breakdown("Ça", 1, 0),
        Breakdown("Ça", 2, 1),
        Breakdown("a", math.nan, 1),
    )
    report = aggregate(usage_with(apis=apis), top_n=10)
    assert [(b.name, b.calls, b.errors) for b in report.top_apis_by_calls] == [(long, 7, 1), ("", 5, 0), ("Ça", 3, 1)]
    assert [(b.name, b.errors) for b in report.top_apis_by_errors] == [("a", 1), (long, 1), ("Ça", 1)]
    keys = [n.key for n in report.notes if n.values.get("kind") == "api" or n.values.get("field") == "api_calls"]
    assert keys == ["value_invalid", "name_duplicate", "name_empty", "name_long"]
    assert "x" * 61 not in " ".join(locale.LOCALES["fr"].note(n) for n in report.notes)


def test_nan_points_of_a_series_are_dropped_and_counted() -> None:
    at = [datetime(2026, 11, 10, h, tzinfo=UTC) for h in range(4)]
    series = {"calls": ((at[2], 5.0), (at[0], 1.0), (at[1], math.nan), (at[3], -2.0))}
    report = aggregate(usage_with(series=series))
    assert report.series["calls"] == ((at[0], 1.0), (at[2], 5.0))
    assert Note("series_points_dropped", {"series": "calls", "count": 2}) in report.notes


@pytest.mark.parametrize(
    ("code", "language", "note"), [("FR ", "fr", None), ("de_DE", "en", Note("locale_unknown", {"locale": "de_DE"}))]
)
def test_the_report_is_in_the_tenants_language_or_says_why_not(code: str, language: str, note: Note | None) -> None:
    report = aggregate(usage_with(tenant=replace(TENANT, locale=code)))
    assert report.locale == language and (report.notes[0] == note if note else report.notes[0].key != "locale_unknown")


def test_no_breakdown_source_is_stated_unless_there_was_no_traffic() -> None:
    assert Note("breakdown_missing") in aggregate(usage_with(apis=(), applications=(), breakdown_source="")).notes
    assert Note("breakdown_missing") not in aggregate(usage_with(current=None, breakdown_source="")).notes


def test_completeness_unmeasured_with_traffic_is_a_warning_and_a_note() -> None:
    report = aggregate(usage_with(completeness=None))
    assert report.incomplete and Note("completeness_unknown") in report.notes
    assert aggregate(usage_with(completeness=1.02)).completeness == 1.0
