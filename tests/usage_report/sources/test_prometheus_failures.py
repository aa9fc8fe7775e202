"""When Prometheus cannot answer: a RunError when nothing could be read (the source is
required), problems per tenant when something could not, never a traceback, never a NaN."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.core.clients.prometheus import PrometheusClient
from jobs.core.model import RunError
from jobs.usage_report.sources import prometheus
from tests import services
from tests.usage_report.sources import gateway
from tests.usage_report.sources.gateway import DAILY
from tests.usage_report.sources.test_prometheus import _floats


def test_prometheus_down_is_a_run_error_and_stops_asking() -> None:
    url = f"http://reader:hunter22@127.0.0.1:{services.free_port()}"
    cfg = gateway.settings(url, headers={"Authorization": "Bearer s3cr3t-token-42"})
    reading = prometheus.read(cfg, gateway.context(cfg), DAILY, gateway.tenant_rows("acme", "gappy"))
    [error] = reading.errors
    assert error.source == "prometheus"
    assert error.message.startswith("every Prometheus query failed: ")
    assert "Prometheus unreachable at http://127.0.0.1:" in error.message
    assert "hunter22" not in error.message and "s3cr3t" not in error.message
    assert reading.fields == {} and reading.problems == {}
    assert reading.queries <= 3 * prometheus.WORKERS  # the queries not yet sent are not sent


def test_prometheus_stalling_times_out_every_query_into_a_run_error(stalling: str) -> None:
    cfg = gateway.settings(stalling, timeout_seconds=0.1)
    started = time.monotonic()
    reading = prometheus.read(cfg, gateway.context(cfg), DAILY, gateway.tenant_rows("acme"))
    assert (
        reading.errors == [RunError("prometheus", reading.errors[0].message)]
        and "Prometheus query timed out after 0.1s" in reading.errors[0].message
    )
    assert reading.queries == 3 * 29  # each query tried three times, no more
    assert time.monotonic() - started < 15


def _nan_everywhere(request: httpx.Request) -> httpx.Response:
    """A Prometheus whose every answer for tenant acme is NaN (a broken histogram, a bad rule)."""
    form = dict(httpx.QueryParams(request.content.decode()))
    labels = {"tenant": "acme", "code": "200", "api": "orders", "application": "web", "le": "+Inf"}
    if request.url.path.endswith("query_range"):
        data = {"resultType": "matrix", "result": [{"metric": labels, "values": [[float(form["end"]), "NaN"]]}]}
    else:
        data = {"resultType": "vector", "result": [{"metric": labels, "value": [float(form["time"]), "NaN"]}]}
    return httpx.Response(200, content=json.dumps({"status": "success", "data": data}))


@pytest.fixture
def nan_client() -> Iterator[PrometheusClient]:
    with PrometheusClient("http://prometheus.test", 5, transport=httpx.MockTransport(_nan_everywhere)) as client:
        yield client


def test_nan_answers_are_none_and_stated_never_a_nan_figure(nan_client: PrometheusClient) -> None:
    cfg = gateway.settings("http://prometheus.test")
    reading = prometheus.read(cfg, gateway.context(cfg, {"prometheus": nan_client}), DAILY, gateway.tenant_rows("acme"))
    fields = reading.fields["acme"]
    current = fields["current"]
    assert current is not None  # answered, if badly: not "no traffic"
    # every code NaN: the calls are unknown (None), never {} (zero calls, "no traffic")
    assert current.calls_by_code is None
    assert current.latency_sum is None and current.latency_p95 is None
    assert fields["month_to_date_calls"] is None and fields["series"] == {} and fields["apis"] == ()
    problems = reading.problems["acme"]
    assert "calls: Prometheus returned NaN for code '200'; not counted" in problems
    assert "latency_p95: Prometheus returned NaN or an infinity; left out" in problems
    assert "bytes_in (previous period): Prometheus returned NaN or an infinity; left out" in problems
    assert "calls series: Prometheus returned NaN or an infinity; those points are left out" in problems
    assert not any(isinstance(v, float) and math.isnan(v) for v in fields.values())


def test_no_tenants_means_no_query() -> None:
    cfg = gateway.settings(f"http://127.0.0.1:{services.free_port()}")
    reading = prometheus.read(cfg, gateway.context(cfg), DAILY, [])
    assert reading.queries == 0 and reading.errors == [] and reading.methods  # the appendix still has them


VALUES = st.sampled_from(["NaN", "+Inf", "-Inf", "0", "1.5", "12345"])
PLAN = prometheus.plan(gateway.settings("http://prometheus.test"), DAILY, "")


@settings(max_examples=60)
@given(answers=st.fixed_dictionaries({q.key: VALUES for q in PLAN}))
def test_no_answer_makes_a_nan_figure_and_every_odd_one_is_stated(answers: dict[str, str]) -> None:
    """Whatever mix of NaN, infinities and numbers Prometheus answers, no figure is non-finite,
    and each non-finite answer is a problem, but for a percentile of a window without calls."""
    by_query = {(q.text, q.at.timestamp()): answers[q.key] for q in PLAN}  # a window and the one before differ by time

    def answer(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        value = by_query[form["query"], float(form.get("time") or form["end"])]
        labels = {"tenant": "acme", "code": "500", "api": "orders", "application": "web"}
        if request.url.path.endswith("query_range"):
            data = {"resultType": "matrix", "result": [{"metric": labels, "values": [[float(form["end"]), value]]}]}
        else:
            data = {"resultType": "vector", "result": [{"metric": labels, "value": [float(form["time"]), value]}]}
        return httpx.Response(200, content=json.dumps({"status": "success", "data": data}))

    cfg = gateway.settings("http://prometheus.test")
    with PrometheusClient("http://prometheus.test", 5, transport=httpx.MockTransport(answer)) as client:
        reading = prometheus.read(cfg, gateway.context(cfg, {"prometheus": client}), DAILY, gateway.tenant_rows("acme"))
    assert not [v for v in _floats(reading.fields["acme"]) if not math.isfinite(v)]
    problems = " | ".join(reading.problems.get("acme", []))
    for key, value in answers.items():
        odd = value in ("NaN", "+Inf", "-Inf")
        window, _, metric = key.rpartition(".")
        quiet = metric.startswith("latency_p") and (window == "series" or answers.get(f"{window}.latency_count") == "0")
        if odd and not quiet and not key.startswith(("apis", "applications")):
            assert metric.removesuffix("_by_code") in problems, key
