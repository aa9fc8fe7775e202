"""THE generator of API-gateway series: N tenants, written as OpenMetrics for a promtool backfill.

Tests, the demo and the bench all read their Prometheus from here, and ask the returned
`Generated` for the exact figures Prometheus must give back (gateway_expect.py computes them
with Prometheus' own arithmetic, promql_model.py), so every comparison is `==`.

Per tenant: a calls-per-hour profile by UTC hour (weekends at 60 %), an error share (404s and
500s), routes (api, application) cycling through its APIs and applications, a latency
distribution over the histogram's buckets, bytes per call, an optional gap [start, end) when
Prometheus scraped nothing (the gateway kept counting: the counters jump after it), and an
optional "no traffic" (no series at all). Deterministic from the seed; ~18 series a tenant.
The file is streamed, a timestamp at a time, so 1,000 tenants x 30 days needs no memory.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobs.usage_report.settings import MetricNames

#: the histogram's upper bounds (seconds) and the latency each bucket's calls are counted at
BOUNDS = (0.1, 0.25, 0.5, 1.0, math.inf)
LATENCIES = (0.0625, 0.1875, 0.375, 0.75, 1.5)  # binary fractions: sums stay exact longer
CODES = ("200", "404", "500")
#: a business day's calls per UTC hour: quiet nights, a morning and an afternoon peak
DAY_PROFILE = (20, 12, 8, 6, 6, 10, 40, 120, 300, 420, 450, 430, 380, 400, 440, 420, 360, 260, 160, 110, 80, 60, 40, 30)


@dataclass(frozen=True)
class TenantProfile:
    """One tenant's traffic, as the gateway would count it."""

    id: str
    calls_per_hour: tuple[int, ...] = DAY_PROFILE  # 24 values, by UTC hour
    error_share: float = 0.03  # 4xx and 5xx among calls (404 : 500 = 3 : 2)
    apis: tuple[str, ...] = ("orders", "billing", "search")
    applications: tuple[str, ...] = ("web", "mobile")
    latency_shares: tuple[float, ...] = (0.55, 0.25, 0.12, 0.075, 0.005)  # calls per BOUNDS bucket
    bytes_in_per_call: int = 600
    bytes_out_per_call: int = 4200
    gap: tuple[datetime, datetime] | None = None  # [start, end): no sample written
    no_traffic: bool = False  # no series at all
    labelled: bool = True  # False: the requests counter has no api/application labels

    @property
    def routes(self) -> tuple[tuple[str, str], ...]:
        """(api, application) pairs with traffic; ("", "") for an unlabelled tenant."""
        if not self.labelled:
            return (("", ""),)
        count = max(len(self.apis), len(self.applications))
        return tuple(
            (self.apis[i % len(self.apis)], self.applications[i % len(self.applications)]) for i in range(count)
        )


@dataclass(frozen=True)
class SeriesKey:
    name: str
    labels: tuple[tuple[str, str], ...]  # sorted by label name, as Prometheus orders them

    def text(self) -> str:
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in self.labels)
        return f"{self.name}{{{inner}}}"

    def label(self, name: str) -> str:
        return dict(self.labels).get(name, "")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series_keys(profile: TenantProfile, names: MetricNames, tenant_label: str) -> list[SeriesKey]:
    """Every series of one tenant, in the order the values are kept and written."""
    if profile.no_traffic:
        return []
    tenant = (tenant_label, profile.id)

    def key(name: str, *labels: tuple[str, str]) -> SeriesKey:
        return SeriesKey(name, tuple(sorted((tenant, *(lb for lb in labels if lb[1])))))

    keys = [
        key(names.requests, (names.api_label, api), (names.application_label, app), (names.code_label, code))
        for api, app in profile.routes
        for code in CODES
    ]
    keys += [key(f"{names.duration}_bucket", ("le", _le(bound))) for bound in BOUNDS]
    keys += [key(f"{names.duration}_sum"), key(f"{names.duration}_count")]
    return [*keys, key(names.request_bytes), key(names.response_bytes)]


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


class TenantCounters:
    """One tenant's counters, advanced one sample interval at a time by its own RNG, so a
    tenant's samples are the same whether written with 3 others or 999 (the expectations
    re-run one tenant alone). Counters are ints (the latency sum a float): written as is."""

    def __init__(self, profile: TenantProfile, seed: int, interval: int, names: MetricNames, tenant_label: str):
        self.profile = profile
        self.interval = interval
        self.keys = series_keys(profile, names, tenant_label)
        self.values: list[int | float] = [0] * len(self.keys)
        self.rng = random.Random(f"{seed}/{profile.id}")
        self.prefixes = [f"{k.text()} " for k in self.keys]
        routes = len(profile.routes)
        self.route_shares = _normalised([routes - i for i in range(routes)])  # the first route busiest
        self.latency_shares = _normalised(profile.latency_shares)
        if self.keys:
            self.values[len(profile.routes) * len(CODES) + len(BOUNDS)] = 0.0  # the latency sum

    def advance(self, start: datetime) -> None:
        """Count the calls of the interval [start, start + interval)."""
        if not self.keys:
            return
        calls, rng, values, index = self._calls(int(start.timestamp())), self.rng, self.values, 0
        for share in _split(calls, self.route_shares):
            errors = min(share, _round(share * self.profile.error_share * rng.uniform(0.7, 1.3), rng))
            not_found = _round(errors * 0.6, rng)
            values[index] += share - errors
            values[index + 1] += not_found
            values[index + 2] += errors - not_found
            index += 3
        per_bucket = _split(calls, self.latency_shares)
        cumulative = 0
        for bucket, count in enumerate(per_bucket):
            cumulative += count
            values[index + bucket] += cumulative
        index += len(per_bucket)
        values[index] += sum(c * lat for c, lat in zip(per_bucket, LATENCIES, strict=True))
        values[index + 1] += calls
        values[index + 2] += calls * self.profile.bytes_in_per_call
        values[index + 3] += calls * self.profile.bytes_out_per_call

    def _calls(self, stamp: int) -> int:
        """The profile's calls over the interval, weekends at 60 %, +/- 15 % noise."""
        base = 0.0
        for hour_start in range(stamp, stamp + max(self.interval, 3600), 3600):
            weekend = (hour_start // 86400 + 3) % 7 >= 5  # 1970-01-01 was a Thursday
            base += self.profile.calls_per_hour[hour_start // 3600 % 24] * (0.6 if weekend else 1.0)
        base *= min(self.interval, 3600) / 3600
        return int(base * self.rng.uniform(0.85, 1.15))

    def scraped(self, at: datetime) -> bool:
        gap = self.profile.gap
        return bool(self.keys) and not (gap is not None and gap[0] <= at < gap[1])

    def lines(self, at: datetime) -> str:
        stamp = f" {int(at.timestamp())}\n"
        return "".join([f"{p}{v}{stamp}" for p, v in zip(self.prefixes, self.values, strict=True)])


def _normalised(weights: Sequence[float]) -> tuple[float, ...]:
    scale = sum(weights)
    return tuple(w / scale for w in weights)


def _round(value: float, rng: random.Random) -> int:
    """Stochastic rounding: an expected 0.3 errors an hour still gives errors over a day."""
    whole = int(value)
    return whole + (1 if rng.random() < value - whole else 0)


def _split(total: int, shares: Sequence[float]) -> list[int]:
    """`total` in whole parts by `shares` (summing to 1); the rounding's rest goes to the first."""
    parts = [int(total * share) for share in shares]
    parts[0] += total - sum(parts)
    return parts


def instants(start: datetime, end: datetime, interval: int) -> Iterator[datetime]:
    """Sample instants start, start + interval, ... up to and including end."""
    at = start
    while at <= end:
        yield at
        at += timedelta(seconds=interval)


@dataclass(frozen=True, eq=False)  # hashed by identity: the expectations cache per file written
class Generated:
    """What was written: enough to re-run any tenant and compute what Prometheus must answer."""

    path: Path
    profiles: dict[str, TenantProfile]
    start: datetime
    end: datetime
    interval: int
    seed: int
    names: MetricNames = field(default_factory=MetricNames)
    tenant_label: str = "tenant"
    lines: int = 0


def write_openmetrics(
    path: Path,
    profiles: Sequence[TenantProfile],
    start: datetime,
    end: datetime,
    interval: int = 3600,
    seed: int = 13,
    names: MetricNames | None = None,
    tenant_label: str = "tenant",
) -> Generated:
    """Stream every tenant's samples from `start` to `end` (both included) to `path`, ending
    `# EOF`. `start` and `end` must be UTC and aligned to `interval` (the queries' windows are)."""
    names = names or MetricNames()
    if start.tzinfo is None or int(start.timestamp()) % interval or int(end.timestamp()) % interval:
        raise ValueError("start and end must be timezone-aware and multiples of the interval")
    counters = [TenantCounters(p, seed, interval, names, tenant_label) for p in profiles]
    written = 0
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        for at in instants(start, end, interval):
            for tenant in counters:
                if tenant.scraped(at):
                    out.write(tenant.lines(at))
                    written += len(tenant.keys)
                tenant.advance(at)
        out.write("# EOF\n")
    return Generated(path, {p.id: p for p in profiles}, start, end, interval, seed, names, tenant_label, written)


def tenants(count: int, prefix: str = "tenant-", seed: int = 13) -> list[TenantProfile]:
    """`count` varied tenants (sizes, error shares, latencies, bytes): the bench's fleet."""
    rng = random.Random(f"{seed}/fleet")
    fleet = []
    for i in range(count):
        scale = rng.choice((0.05, 0.2, 0.5, 1.0, 2.0, 5.0))
        fleet.append(
            TenantProfile(
                id=f"{prefix}{i:04d}",
                calls_per_hour=tuple(max(0, round(c * scale)) for c in DAY_PROFILE),
                error_share=rng.choice((0.005, 0.01, 0.03, 0.08)),
                latency_shares=rng.choice(((0.55, 0.25, 0.12, 0.06, 0.02), (0.2, 0.3, 0.3, 0.15, 0.05))),
                bytes_in_per_call=rng.randrange(200, 2000),
                bytes_out_per_call=rng.randrange(1000, 20000),
            )
        )
    return fleet


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)
