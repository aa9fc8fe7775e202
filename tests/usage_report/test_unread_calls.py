"""Review 13 D1/D3/D4: "not read" never reads as "zero" or "no traffic"; a malformed sample or
a partial (warnings) answer is stated, never a crash, never silent."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.core.clients.prometheus import PrometheusClient
from jobs.usage_report.aggregate import aggregate
from jobs.usage_report.model import Tenant, TenantUsage, Window
from jobs.usage_report.plan import Options, build_plan
from tests.usage_report.test_plan import PERIOD, cfg

AT = datetime(2026, 12, 1, tzinfo=UTC)
BAD = st.sampled_from([math.nan, -1.0, math.inf, -math.inf, "abc"])
CODES = st.sampled_from(["200", "404", "500", "abc", ""])
CALLS = st.none() | st.dictionaries(CODES, BAD, max_size=4) | st.dictionaries(CODES, st.floats(0, 1e9) | BAD)


@settings(max_examples=200)
@given(CALLS, st.integers(1, 10**9) | st.none())
def test_unknown_calls_are_never_no_traffic_nor_a_zero(calls: dict[str, object] | None, quota: int | None) -> None:
    window = Window(calls_by_code=calls, bytes_in=1e6, latency_sum=2.0, latency_count=4.0)  # type: ignore[arg-type]
    usage = TenantUsage(Tenant("acme", "Acme", ("a@x.example",), "en", quota), PERIOD, current=window, previous=window)
    report = aggregate(usage)
    if report.kpis["calls"].value is None:
        assert report.no_traffic is False
        assert all(report.kpis[k].value != 0 for k in ("calls", "success", "failed", "error_rate"))
        assert report.quota is None or report.quota.period_used_percent != 0


def test_a_tenant_whose_calls_were_not_read_is_not_delivered_and_told() -> None:
    window = Window(calls_by_code=None, bytes_in=1e6)
    good = Window(calls_by_code={"200": 5.0}, bytes_in=1e6)
    held = TenantUsage(
        Tenant("acme", "Acme", ("a@x.example",)),
        PERIOD,
        current=window,
        completeness=1.0,
        problems=("calls_by_code: Prometheus query failed (HTTP 422, execution): timeout",),
    )
    sent = TenantUsage(Tenant("beta", "Beta", ("b@x.example",)), PERIOD, current=good, completeness=1.0)
    plan = build_plan([held, sent], cfg(), Options())
    assert {a.resource for a in plan.actions} == {"tenant:beta"}
    [problem] = [f for f in plan.findings if f.type == "usage_source_problem"]
    assert problem.resource == "tenant:acme" and "NOT delivered this run" in problem.message
    assert plan.summary["tenants_held_back"] == 1 and plan.summary["tenants_no_traffic"] == 0
    [ok] = [f for f in plan.findings if f.type == "usage_report" and f.resource == "tenant:acme"]
    assert "no traffic" not in ok.message


def _client(body: dict[str, object]) -> PrometheusClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=json.dumps(body)))
    return PrometheusClient("http://prometheus.test", 5, transport=transport)


def test_a_malformed_sample_drops_its_series_not_the_query() -> None:
    rows = [
        {"metric": {"tenant": "acme"}, "value": [1, "abc"]},
        {"metric": {"tenant": "beta"}},
        {"metric": {"tenant": "gamma"}, "value": [1, "7"]},
    ]
    body = {"status": "success", "data": {"resultType": "vector", "result": rows}}
    with _client(body) as client:
        result = client.instant("q", AT, "calls")
    assert [s.labels["tenant"] for s in result.samples] == ["gamma"] and result.samples[0].value == 7.0
    assert [labels["tenant"] for labels, _ in result.malformed] == ["acme", "beta"]


def test_a_bad_timestamp_in_a_range_drops_that_series() -> None:
    rows = [{"metric": {"tenant": "acme"}, "values": [["x", "1"]]}, {"metric": {"tenant": "b"}, "values": [[1, "1"]]}]
    body = {"status": "success", "data": {"resultType": "matrix", "result": rows}}
    with _client(body) as client:
        result = client.range("q", AT, AT, 60, "calls")
    assert [p.labels["tenant"] for p in result.series] == ["b"] and len(result.malformed) == 1


def test_warnings_of_a_success_are_kept() -> None:
    body = {
        "status": "success",
        "warnings": ["partial response: store 2 of 3 unreachable"],
        "data": {"resultType": "vector", "result": []},
    }
    with _client(body) as client:
        assert client.instant("q", AT, "calls").warnings == ("partial response: store 2 of 3 unreachable",)


def test_a_malformed_calls_row_leaves_that_tenants_calls_unknown_not_smaller() -> None:
    """acme's 200 row malformed: its calls are unknown (held back), never the 500s alone."""
    from jobs.usage_report.sources import prometheus
    from tests.usage_report.sources import gateway
    from tests.usage_report.sources.gateway import DAILY

    def answer(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        rows: list[dict[str, object]] = []
        if "code" in form["query"] and "query_range" not in request.url.path:
            rows = [{"metric": {"tenant": "acme", "code": "200"}, "value": [1, "abc"]}]
            rows.append({"metric": {"tenant": "acme", "code": "500"}, "value": [1, "12"]})
            rows.append({"metric": {"tenant": "beta", "code": "200"}, "value": [1, "7"]})
        kind = "matrix" if request.url.path.endswith("query_range") else "vector"
        return httpx.Response(200, json={"status": "success", "data": {"resultType": kind, "result": rows}})

    cfg = gateway.settings("http://prometheus.test")
    with PrometheusClient("http://prometheus.test", 5, transport=httpx.MockTransport(answer)) as client:
        reading = prometheus.read(
            cfg, gateway.context(cfg, {"prometheus": client}), DAILY, gateway.tenant_rows("acme", "beta")
        )
    assert reading.fields["acme"]["current"].calls_by_code is None
    assert "calls_by_code: Prometheus answered a malformed sample; that series is left out" in reading.problems["acme"]
    assert reading.fields["beta"]["current"].calls_by_code == {"200": 7.0} and "beta" not in reading.problems
