"""The generator's expected figures are what a real Prometheus answers for its backfilled file.

Raw PromQL over HTTP, not the source: this proves the generator (jobs/demo/gateway_series.py,
gateway_expect.py) and the fixture, which every usage-report test, the demo and the bench
trust. Every comparison is `==`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobs.demo import gateway_expect as ge
from jobs.demo import gateway_series as gs
from jobs.usage_report.model import Period, Window
from tests import services
from tests.usage_report.sources import gateway
from tests.usage_report.sources.gateway import DAILY, WEEKLY

REQ, DUR = "gateway_requests_total", "gateway_request_duration_seconds"


@pytest.fixture(scope="module")
def backfilled(
    prometheus_backfill: Callable[[Path], services.BackfilledPrometheus], tmp_path_factory: pytest.TempPathFactory
) -> tuple[gs.Generated, str]:
    generated = gateway.write(tmp_path_factory.mktemp("gateway"))
    return generated, prometheus_backfill(generated.path).url


def _window(url: str, period: Period) -> dict[str, Window]:
    """Every Window field for every tenant, one raw query each, at the period's end."""
    r, at = f"{int(period.length.total_seconds())}s", period.end
    by_code: dict[str, dict[str, float]] = {}
    for row in gateway.instant(url, f"sum by (tenant, code) (increase({REQ}[{r}]))", at):
        by_code.setdefault(row["metric"]["tenant"], {})[row["metric"]["code"]] = float(row["value"][1])
    scalars: dict[str, dict[str, float | None]] = {}
    queries = {
        "bytes_in": f"sum by (tenant) (increase(gateway_request_size_bytes_total[{r}]))",
        "bytes_out": f"sum by (tenant) (increase(gateway_response_size_bytes_total[{r}]))",
        "latency_sum": f"sum by (tenant) (increase({DUR}_sum[{r}]))",
        "latency_count": f"sum by (tenant) (increase({DUR}_count[{r}]))",
        **{
            f"latency_p{q}": f"histogram_quantile(0.{q}, sum by (tenant, le) (increase({DUR}_bucket[{r}])))"
            for q in ("50", "95", "99")
        },
    }
    for name, query in queries.items():
        for row in gateway.instant(url, query, at):
            scalars.setdefault(row["metric"]["tenant"], {})[name] = gateway.value(row["value"][1])
    return {t: Window(calls_by_code=by_code.get(t, {}), **scalars.get(t, {})) for t in by_code.keys() | scalars.keys()}  # type: ignore[arg-type]


@pytest.mark.parametrize("period", [DAILY, DAILY.previous, WEEKLY, WEEKLY.previous], ids=lambda p: p.label)
def test_every_window_figure_is_what_prometheus_answers(backfilled: tuple[gs.Generated, str], period: Period) -> None:
    generated, url = backfilled
    answered = _window(url, period)
    expected = {t: w for t in generated.profiles if (w := ge.window(generated, t, period.start, period.end))}
    assert answered == expected
    assert "ghost" not in answered  # no series at all: no output, not zeros


def test_the_edge_gap_is_extrapolated_as_prometheus_does(backfilled: tuple[gs.Generated, str]) -> None:
    """The gap spans midnight: the day's first sample is at 02:00, so Prometheus extrapolates
    the increase to 00:00; the generator's arithmetic agrees to the last bit."""
    generated, url = backfilled
    day = ge.window(generated, "edge", DAILY.start, DAILY.end)
    assert day is not None
    calls = sum(day.calls_by_code.values())
    assert calls != int(calls)  # extrapolated: not a whole number of calls
    assert _window(url, DAILY)["edge"] == day


def test_the_series_points_are_what_range_queries_answer(backfilled: tuple[gs.Generated, str]) -> None:
    generated, url = backfilled
    for period in (DAILY, WEEKLY):
        step = int(period.step.total_seconds())
        query = f"sum by (tenant) (increase({REQ}[{step}s]))"
        response = httpx.post(
            f"{url}/api/v1/query_range",
            data={
                "query": query,
                "start": str(ge.epoch(period.start) + step),
                "end": str(ge.epoch(period.end)),
                "step": str(step),
            },
            timeout=30,
        )
        rows = {r["metric"]["tenant"]: r["values"] for r in response.json()["data"]["result"]}
        for tenant in ("acme", "gappy", "edge"):
            expected = ge.series(generated, tenant, period)["calls"]
            answered = tuple((datetime.fromtimestamp(int(t) - step, UTC), float(v)) for t, v in rows[tenant])
            assert answered == expected, tenant


def test_completeness_counts_the_scrape_intervals_with_samples(backfilled: tuple[gs.Generated, str]) -> None:
    generated, url = backfilled
    query = f"count_over_time((count by (tenant) (count_over_time({REQ}[3599999ms] offset 1ms)))[82800s:3600s])"
    rows = {r["metric"]["tenant"]: float(r["value"][1]) / 24 for r in gateway.instant(url, query, DAILY.end)}
    assert rows["acme"] == 1.0 == ge.completeness(generated, "acme", DAILY, 3600)
    assert rows["gappy"] == 21 / 24 == ge.completeness(generated, "gappy", DAILY, 3600)
    assert rows["edge"] == 22 / 24 == ge.completeness(generated, "edge", DAILY, 3600)


def test_the_file_is_deterministic_and_a_tenant_does_not_depend_on_the_others(tmp_path: Path) -> None:
    one = gs.write_openmetrics(tmp_path / "a.om", gateway.FLEET[:2], gateway.START, gs.utc(2026, 10, 27), seed=5)
    again = gs.write_openmetrics(tmp_path / "b.om", gateway.FLEET[:2], gateway.START, gs.utc(2026, 10, 27), seed=5)
    alone = gs.write_openmetrics(tmp_path / "c.om", gateway.FLEET[1:2], gateway.START, gs.utc(2026, 10, 27), seed=5)
    text = one.path.read_text()
    assert text == again.path.read_text()
    assert text.endswith("# EOF\n")
    gappy = [line for line in text.splitlines() if 'tenant="gappy"' in line]
    assert gappy == alone.path.read_text().splitlines()[:-1]
    assert one.lines == len(text.splitlines()) - 1 == 2 * 18 * 49  # 18 series a tenant, 49 hourly samples
