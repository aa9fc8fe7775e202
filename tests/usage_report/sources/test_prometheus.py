"""The Prometheus source against a real Prometheus backfilled with the generator's series:
every figure it reads equals the generator's expectation exactly, in the same few queries
whether the run has 3 tenants or 30."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobs.core.clients.prometheus import PrometheusClient
from jobs.demo import gateway_expect as ge
from jobs.demo import gateway_series as gs
from jobs.usage_report.model import Period
from jobs.usage_report.settings import MetricNames
from jobs.usage_report.sources import prometheus
from tests import services
from tests.usage_report.sources import gateway
from tests.usage_report.sources.gateway import CROWD, DAILY, FLEET, KNOWN, WEEKLY

QUERIES = 29  # 8 per window x 2, month to date, 4 breakdowns, completeness, 7 series


@pytest.fixture(scope="module")
def backfilled(
    prometheus_backfill: Callable[[Path], services.BackfilledPrometheus], tmp_path_factory: pytest.TempPathFactory
) -> tuple[gs.Generated, str]:
    generated = gateway.write(tmp_path_factory.mktemp("gateway"), FLEET + CROWD)
    return generated, prometheus_backfill(generated.path).url


class Recording(httpx.BaseTransport):
    """A real transport that keeps the PromQL texts sent (the test's window on the queries)."""

    def __init__(self) -> None:
        self.real = httpx.HTTPTransport()
        self.queries: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.queries.append(dict(httpx.QueryParams(request.content.decode()))["query"])
        return self.real.handle_request(request)


def _read(url: str, period: Period, ids: tuple[str, ...], **options: Any) -> tuple[Any, Recording]:
    cfg = gateway.settings(url)
    transport = Recording()
    client = PrometheusClient(url, 30, transport=transport)
    ctx = gateway.context(cfg, {"prometheus": client}, **options)
    return prometheus.read(cfg, ctx, period, gateway.tenant_rows(*ids)), transport


@pytest.mark.parametrize("period", [DAILY, WEEKLY], ids=lambda p: p.kind)
def test_every_figure_is_the_generators_exactly(backfilled: tuple[gs.Generated, str], period: Period) -> None:
    generated, url = backfilled
    reading, _ = _read(url, period, KNOWN)
    assert reading.errors == []
    for tenant in KNOWN:
        assert reading.fields[tenant] == ge.expected_usage(generated, tenant, period, 3600), tenant
    assert reading.problems == {}  # the idle tenant's NaN percentiles are no problem: no calls to rank


def test_the_figures_a_report_states_are_the_cases_it_must_state(backfilled: tuple[gs.Generated, str]) -> None:
    """Not just equal to the generator: the cases the reports word differently are there."""
    _, url = backfilled
    fields = _read(url, DAILY, KNOWN)[0].fields
    assert fields["acme"]["completeness"] == 1.0
    assert fields["gappy"]["completeness"] == 21 / 24  # 09:00-12:00 not scraped
    assert fields["edge"]["completeness"] == 22 / 24
    assert len(fields["gappy"]["series"]["calls"]) == 24 - 4  # 3 hours and the one after the gap
    assert fields["ghost"]["current"] is None and fields["ghost"]["completeness"] is None  # no traffic
    assert fields["idle"]["current"].latency_p95 is None and fields["idle"]["current"].latency_count == 0
    assert fields["bare"]["breakdown_source"] == "" and fields["bare"]["apis"] == ()  # no api label
    assert [b.name for b in fields["acme"]["apis"]] == ["billing", "orders", "search"]
    assert fields["acme"]["breakdown_source"] == "prometheus"
    acme = fields["acme"]["current"]
    assert fields["acme"]["month_to_date_calls"] > 20 * sum(acme.calls_by_code.values())  # 30 days, weekends quieter


def test_queries_scale_with_metrics_not_tenants(backfilled: tuple[gs.Generated, str]) -> None:
    _, url = backfilled
    few, few_sent = _read(url, WEEKLY, KNOWN[:3])
    many, many_sent = _read(url, WEEKLY, KNOWN + tuple(p.id for p in CROWD))
    assert few.queries == many.queries == QUERIES == len(few_sent.queries)
    assert len(many.fields) == 30 and len(few.fields) == 3
    assert sorted(few_sent.queries) == sorted(many_sent.queries)  # the same texts: no tenant in them


def test_a_run_for_named_tenants_sends_one_matcher_and_reads_the_same(backfilled: tuple[gs.Generated, str]) -> None:
    generated, url = backfilled
    reading, sent = _read(url, DAILY, ("gappy",), tenant=["gappy"])
    assert reading.fields["gappy"] == ge.expected_usage(generated, "gappy", DAILY, 3600)
    assert reading.queries == QUERIES
    assert all('tenant=~"gappy"' in q for q in sent.queries)
    assert all("gappy" not in text for text in reading.methods.values())  # no tenant in a report's appendix


def test_series_of_unknown_tenants_are_counted_and_ignored(
    backfilled: tuple[gs.Generated, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, url = backfilled
    with caplog.at_level(logging.INFO, "secops.usage_report"):
        reading, _ = _read(url, DAILY, KNOWN)
    assert set(reading.fields) == set(KNOWN)  # "stranger" and the crowd are not reported on
    assert "prometheus: series of 25 tenants not in this run, ignored" in caplog.text
    assert reading.errors == [] and reading.problems == {}


def test_no_figure_is_a_nan(backfilled: tuple[gs.Generated, str]) -> None:
    _, url = backfilled
    for period in (DAILY, WEEKLY):
        for fields in _read(url, period, KNOWN)[0].fields.values():
            assert not [v for v in _floats(fields) if not math.isfinite(v)]


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, tuple | list):
        return [f for v in value for f in _floats(v)]
    if hasattr(value, "__dataclass_fields__"):
        return [f for name in value.__dataclass_fields__ for f in _floats(getattr(value, name))]
    return []


def test_the_methods_are_the_promql_of_each_figure(backfilled: tuple[gs.Generated, str]) -> None:
    _, url = backfilled
    methods = _read(url, DAILY, KNOWN[:1])[0].methods
    assert methods["calls"] == "sum by (tenant, code) (increase(gateway_requests_total[1d]))"
    assert methods["latency_p95"] == (
        "histogram_quantile(0.95, sum by (tenant, le) (increase(gateway_request_duration_seconds_bucket[1d])))"
    )
    assert methods["month_to_date_calls"] == "sum by (tenant) (increase(gateway_requests_total[30d]))"
    assert methods["completeness"].endswith("[23h:1h]) / 24")
    assert set(methods) >= {"calls", "mb_in", "mb_out", "latency_avg", "top_apis", "top_applications"}


def test_a_failed_query_is_a_problem_for_every_tenant_and_the_rest_is_read(
    backfilled: tuple[gs.Generated, str],
) -> None:
    """The latency histogram misnamed into invalid PromQL: Prometheus answers 400 bad_data for
    its queries; every tenant gets the problems, every other figure is still exact."""
    generated, url = backfilled
    cfg = gateway.settings(url, headers={"Authorization": "Bearer s3cr3t-token-42"})
    # past the settings' name check on purpose: what Prometheus answers to invalid PromQL
    bad = MetricNames.model_construct(**{**MetricNames().model_dump(), "duration": "gateway_request_duration_seconds}"})
    cfg = cfg.model_copy(update={"queries": bad})
    reading = prometheus.read(cfg, gateway.context(cfg), DAILY, gateway.tenant_rows(*KNOWN))
    assert reading.errors == [] and reading.queries == QUERIES
    for tenant in KNOWN:
        problems = reading.problems[tenant]
        assert len(problems) == 13  # 5 latency queries per window, 3 series
        failed = 'Prometheus query failed (HTTP 400, bad_data): invalid parameter "query": '
        assert problems[0].startswith(f"latency_count: {failed}")
        assert any(p.startswith(f"latency_p99 (previous period): {failed}") for p in problems)
        assert not [p for p in problems if "s3cr3t" in p]
        expected = ge.expected_usage(generated, tenant, DAILY, 3600)
        fields = reading.fields[tenant]
        if expected["current"] is None:  # ghost: the calls query answered without it: no traffic
            assert fields["current"] is None and fields["completeness"] is None
            continue
        assert fields["current"] == replace(
            expected["current"],
            latency_sum=None,
            latency_count=None,
            latency_p50=None,
            latency_p95=None,
            latency_p99=None,
        )
        assert fields["series"]["calls"] == expected["series"]["calls"] and "latency_p95" not in fields["series"]
        assert fields["completeness"] == expected["completeness"]
