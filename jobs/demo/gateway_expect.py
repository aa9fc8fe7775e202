"""What Prometheus must answer for generated gateway series: the exact TenantUsage fields.

`expected_usage(generated, tenant_id, period, scrape_interval)` re-runs one tenant's counters
(gateway_series.TenantCounters, same seed, same samples) and applies Prometheus' arithmetic
(promql_model.py) over the same windows the source queries: the period and the one before
(instant queries at their ends), month to date, one point per `period.step` (range queries),
the api/application breakdowns and the completeness. Tests compare with `==`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jobs.demo.gateway_series import Generated, SeriesKey, TenantCounters, instants
from jobs.demo.promql_model import Samples, bucket_quantile, increase
from jobs.usage_report.model import Breakdown, Period, Series, Window
from jobs.usage_report.period import month_start


@dataclass(frozen=True)
class TenantSamples:
    """One tenant's written samples, per series, in Prometheus' series order."""

    keys: tuple[SeriesKey, ...]
    samples: tuple[tuple[tuple[int, float], ...], ...]

    def of(self, name: str, where: Callable[[SeriesKey], bool] = lambda k: True) -> list[tuple[SeriesKey, Samples]]:
        return [(k, s) for k, s in zip(self.keys, self.samples, strict=True) if k.name == name and where(k)]


@lru_cache(maxsize=64)
def tenant_samples(generated: Generated, tenant_id: str) -> TenantSamples:
    """Re-run one tenant from the generator's start to its end (cached: a test asks often)."""
    counters = TenantCounters(
        generated.profiles[tenant_id], generated.seed, generated.interval, generated.names, generated.tenant_label
    )
    collected: list[list[tuple[int, float]]] = [[] for _ in counters.keys]
    for at in instants(generated.start, generated.end, generated.interval):
        if counters.scraped(at):
            stamp = int(at.timestamp())
            for column, value in zip(collected, counters.values, strict=True):
                column.append((stamp, float(value)))
        counters.advance(at)
    order = sorted(range(len(counters.keys)), key=lambda i: _sort_key(counters.keys[i]))
    return TenantSamples(tuple(counters.keys[i] for i in order), tuple(tuple(collected[i]) for i in order))


def _sort_key(key: SeriesKey) -> list[tuple[str, str]]:
    return sorted((("__name__", key.name), *key.labels))


def _sum_increase(series: list[tuple[SeriesKey, Samples]], start: int, end: int) -> float | None:
    """`sum(increase(x[end - start]))` at `end` over these series: None when none has output."""
    values = [v for _, s in series if (v := increase(s, start, end)) is not None]
    return sum(values[1:], values[0]) if values else None


def _grouped(series: list[tuple[SeriesKey, Samples]], label: str, start: int, end: int) -> dict[str, float]:
    groups: dict[str, list[tuple[SeriesKey, Samples]]] = {}
    for key, samples in series:
        groups.setdefault(key.label(label), []).append((key, samples))
    found = {name: _sum_increase(members, start, end) for name, members in groups.items()}
    return {name: value for name, value in found.items() if value is not None}


def _is_error(key: SeriesKey, code_label: str) -> bool:
    code = key.label(code_label)
    return len(code) == 3 and code[0] in "45"


def _quantiles(ts: TenantSamples, generated: Generated, start: int, end: int) -> dict[float, float | None]:
    buckets = _grouped(ts.of(f"{generated.names.duration}_bucket"), "le", start, end)
    if not buckets:
        return dict.fromkeys((0.5, 0.95, 0.99))
    pairs = [(float(le), count) for le, count in buckets.items()]
    found = {q: bucket_quantile(q, pairs) for q in (0.5, 0.95, 0.99)}
    return {q: (v if math.isfinite(v) else None) for q, v in found.items()}


def window(generated: Generated, tenant_id: str, start: datetime, end: datetime) -> Window | None:
    """The figures instant queries at `end` over `[start, end]` give; None: no output at all."""
    ts = tenant_samples(generated, tenant_id)
    names, a, b = generated.names, int(start.timestamp()), int(end.timestamp())
    codes = _grouped(ts.of(names.requests), names.code_label, a, b)
    quantiles = _quantiles(ts, generated, a, b)
    found = Window(
        calls_by_code=codes,
        bytes_in=_sum_increase(ts.of(names.request_bytes), a, b),
        bytes_out=_sum_increase(ts.of(names.response_bytes), a, b),
        latency_sum=_sum_increase(ts.of(f"{names.duration}_sum"), a, b),
        latency_count=_sum_increase(ts.of(f"{names.duration}_count"), a, b),
        latency_p50=quantiles[0.5],
        latency_p95=quantiles[0.95],
        latency_p99=quantiles[0.99],
    )
    return None if found == Window() else found


def series(generated: Generated, tenant_id: str, period: Period) -> dict[str, Series]:
    """One point per `period.step`, stamped at the start of the step it covers; steps with no
    output (fewer than two samples, no calls for a percentile) are absent."""
    step = period.step
    points: dict[str, list[tuple[datetime, float]]] = {}
    at = period.start
    while at < period.end:
        figures = _step_figures(generated, tenant_id, at, at + step)
        for name, value in figures.items():
            if value is not None:
                points.setdefault(name, []).append((at, value))
        at += step
    return {name: tuple(values) for name, values in points.items()}


def _step_figures(generated: Generated, tenant_id: str, start: datetime, end: datetime) -> dict[str, float | None]:
    ts = tenant_samples(generated, tenant_id)
    names, a, b = generated.names, int(start.timestamp()), int(end.timestamp())
    quantiles = _quantiles(ts, generated, a, b)
    return {
        "calls": _sum_increase(ts.of(names.requests), a, b),
        "errors": _sum_increase(ts.of(names.requests, lambda k: _is_error(k, names.code_label)), a, b),
        "latency_p50": quantiles[0.5],
        "latency_p95": quantiles[0.95],
        "latency_p99": quantiles[0.99],
        "bytes_in": _sum_increase(ts.of(names.request_bytes), a, b),
        "bytes_out": _sum_increase(ts.of(names.response_bytes), a, b),
    }


def breakdown(generated: Generated, tenant_id: str, period: Period, label: str) -> tuple[Breakdown, ...]:
    """Calls and failed calls per value of `label` over the period, by name; unlabelled: ()."""
    ts = tenant_samples(generated, tenant_id)
    a, b, code = int(period.start.timestamp()), int(period.end.timestamp()), generated.names.code_label
    requests = ts.of(generated.names.requests)
    calls = _grouped(requests, label, a, b)
    errors = _grouped([(k, s) for k, s in requests if _is_error(k, code)], label, a, b)
    return tuple(Breakdown(name, calls[name], errors.get(name, 0.0)) for name in sorted(calls) if name)


def completeness(generated: Generated, tenant_id: str, period: Period, scrape_interval: int) -> float | None:
    """The share of the period's scrape intervals [t, t + I) holding at least one sample."""
    ts = tenant_samples(generated, tenant_id)
    stamps = {t for column in ts.samples for t, _ in column}
    start, end = int(period.start.timestamp()), int(period.end.timestamp())
    intervals = (end - start) // scrape_interval
    filled = sum(
        1
        for k in range(intervals)
        if any(start + k * scrape_interval <= t < start + (k + 1) * scrape_interval for t in stamps)
    )
    return filled / intervals


def expected_usage(generated: Generated, tenant_id: str, period: Period, scrape_interval: int) -> Mapping[str, Any]:
    """The TenantUsage fields the Prometheus source must fill for this tenant, exactly."""
    current = window(generated, tenant_id, period.start, period.end)
    previous = window(generated, tenant_id, period.previous.start, period.previous.end)
    ts = tenant_samples(generated, tenant_id)
    mtd = _sum_increase(ts.of(generated.names.requests), epoch(month_start(period)), epoch(period.end))
    apis = breakdown(generated, tenant_id, period, generated.names.api_label)
    applications = breakdown(generated, tenant_id, period, generated.names.application_label)
    has_traffic = current is not None or previous is not None
    return {
        "current": current,
        "previous": previous,
        "month_to_date_calls": mtd,
        "series": series(generated, tenant_id, period),
        "apis": apis,
        "applications": applications,
        "breakdown_source": "prometheus" if (apis and applications) or not has_traffic else "",
        "completeness": completeness(generated, tenant_id, period, scrape_interval) if has_traffic else None,
    }


def epoch(at: datetime) -> int:
    return int(at.astimezone(UTC).timestamp())
