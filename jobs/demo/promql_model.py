"""Prometheus 2.42's arithmetic, re-done in Python so a test knows the exact answer.

The generator (gateway_series.py) writes samples; these functions compute what PromQL gives
for them, operation for operation (promql/functions.go `extrapolatedRate`, promql/quantile.go
`bucketQuantile`), so expected figures are compared with `==`, not with a tolerance that
would also hide an off-by-one window. Range selectors are closed at both ends in 2.42:
`x[r]` evaluated at `t` holds the samples in `[t - r, t]`.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

#: (timestamp in seconds, value) in time order
Samples = Sequence[tuple[int, float]]


def increase(samples: Samples, range_start: int, range_end: int) -> float | None:
    """`increase(x[range_end - range_start])` at `range_end`: None (no output) under two samples.

    Counter resets are added back; the result is extrapolated to the range's bounds when the
    first/last sample lies within 1.1 average intervals of them, else by half an interval,
    and never below the counter's zero point (as Prometheus does)."""
    inside = samples[bisect_left(samples, range_start, key=_stamp) : bisect_right(samples, range_end, key=_stamp)]
    if len(inside) < 2:
        return None
    first_t, first_v = inside[0]
    last_t, last_v = inside[-1]
    result = last_v - first_v
    previous = 0.0
    for _, value in inside:
        if value < previous:
            result += previous
        previous = value
    to_start = float(first_t - range_start)
    to_end = float(range_end - last_t)
    sampled = float(last_t - first_t)
    average = sampled / float(len(inside) - 1)
    if result > 0 and first_v >= 0:
        to_zero = sampled * (first_v / result)
        if to_zero < to_start:
            to_start = to_zero
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    return result * (interval / sampled)


def _stamp(sample: tuple[int, float]) -> int:
    return sample[0]


def bucket_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """`histogram_quantile(q, ...)` over one group's (upper bound, cumulative count) buckets.

    NaN when there is no +Inf bucket, fewer than two buckets or no observation at all (what
    a tenant without calls in the window gets: the source maps it to None)."""
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = _coalesce(sorted(buckets, key=lambda b: b[0]))
    if not ordered or not math.isinf(ordered[-1][0]):
        return math.nan
    ordered = _monotonic(ordered)
    if len(ordered) < 2:
        return math.nan
    observations = ordered[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next((i for i in range(len(ordered) - 1) if ordered[i][1] >= rank), len(ordered) - 1)
    if b == len(ordered) - 1:
        return ordered[-2][0]
    if b == 0 and ordered[0][0] <= 0:
        return ordered[0][0]
    bucket_start = 0.0
    bucket_end, count = ordered[b]
    if b > 0:
        bucket_start = ordered[b - 1][0]
        count -= ordered[b - 1][1]
        rank -= ordered[b - 1][1]
    return bucket_start + (bucket_end - bucket_start) * (rank / count)


def _coalesce(buckets: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for bound, count in buckets:
        if merged and merged[-1][0] == bound:
            merged[-1] = (bound, merged[-1][1] + count)
        else:
            merged.append((bound, count))
    return merged


def _monotonic(buckets: list[tuple[float, float]]) -> list[tuple[float, float]]:
    highest = -math.inf
    fixed = []
    for bound, count in buckets:
        highest = max(highest, count)
        fixed.append((bound, highest))
    return fixed
