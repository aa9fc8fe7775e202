"""The PromQL texts of the Prometheus source: pure, one function per kind of query.

Every query is for ALL the run's tenants at once (`sum by (<tenant label>, ...)`): their
number grows with the metrics, never with the tenants. A run limited to some tenants
(`--tenant`) adds ONE regex matcher naming exactly them, escaped twice: for the regex (RE2
metacharacters) and for the PromQL string (quotes, backslashes, control characters), so a
tenant id such as `a.b`, `a|b` or `x"}` never selects another tenant's series.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.usage_report.settings import MetricNames

QUANTILES = {"latency_p50": "0.5", "latency_p95": "0.95", "latency_p99": "0.99"}
ERROR_CODES = "4..|5.."  # failed calls: any 4xx or 5xx
_REGEX_SPECIAL = frozenset("\\.+*?()|[]{}^$")
_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def regex_literal(text: str) -> str:
    """`text` as an RE2 pattern matching exactly itself."""
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def string_literal(text: str) -> str:
    """A double-quoted PromQL string: JSON's escapes are a subset of the Go escapes PromQL reads."""
    return json.dumps(text, ensure_ascii=False)


def tenant_matcher(label: str, tenant_ids: Sequence[str] | None) -> str:
    """`tenant=~"^(?:a|b)$"` for exactly these ids (sorted, deduplicated); "" for all tenants."""
    if tenant_ids is None:
        return ""
    alternatives = "|".join(regex_literal(t) for t in sorted(set(tenant_ids)))
    return f"{label}=~{string_literal(alternatives)}"


def duration(seconds: int) -> str:
    """A PromQL duration in its largest whole unit: 1d, 1w, 6h, 29d, 90s."""
    for unit, size in _UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable: the seconds unit divides every integer")


def _millis(milliseconds: int) -> str:
    return duration(milliseconds // 1000) if milliseconds % 1000 == 0 else f"{milliseconds}ms"


@dataclass(frozen=True)
class Selectors:
    """The metric selectors of one run: names from the settings, the tenant matcher."""

    names: MetricNames
    tenant: str  # the tenant label
    matcher: str = ""  # tenant_matcher(...) or ""

    def select(self, metric: str, *extra: str) -> str:
        matchers = ",".join(m for m in (self.matcher, *extra) if m)
        return f"{metric}{{{matchers}}}" if matchers else metric

    def requests(self, errors_only: bool = False) -> str:
        extra = f"{self.names.code_label}=~{string_literal(ERROR_CODES)}" if errors_only else ""
        return self.select(self.names.requests, extra)

    def increase(self, selector: str, seconds: int, *by: str) -> str:
        labels = ", ".join((self.tenant, *by))
        return f"sum by ({labels}) (increase({selector}[{duration(seconds)}]))"

    def quantile(self, q: str, seconds: int) -> str:
        buckets = self.increase(self.select(f"{self.names.duration}_bucket"), seconds, "le")
        return f"histogram_quantile({q}, {buckets})"


def window_queries(s: Selectors, seconds: int) -> dict[str, str]:
    """One window's figures (the period or the one before), evaluated at the window's end."""
    return {
        "calls_by_code": s.increase(s.requests(), seconds, s.names.code_label),
        "bytes_in": s.increase(s.select(s.names.request_bytes), seconds),
        "bytes_out": s.increase(s.select(s.names.response_bytes), seconds),
        "latency_sum": s.increase(s.select(f"{s.names.duration}_sum"), seconds),
        "latency_count": s.increase(s.select(f"{s.names.duration}_count"), seconds),
        **{name: s.quantile(q, seconds) for name, q in QUANTILES.items()},
    }


def breakdown_queries(s: Selectors, seconds: int) -> dict[str, str]:
    """Calls and failed calls per API and per application over the period."""
    found = {}
    for kind, label in (("apis", s.names.api_label), ("applications", s.names.application_label)):
        found[f"{kind}_calls"] = s.increase(s.requests(), seconds, label)
        found[f"{kind}_errors"] = s.increase(s.requests(errors_only=True), seconds, label)
    return found


def series_queries(s: Selectors, step: int) -> dict[str, str]:
    """One range query per chart series (model.SERIES), each point the increase over a step."""
    return {
        "calls": s.increase(s.requests(), step),
        "errors": s.increase(s.requests(errors_only=True), step),
        **{name: s.quantile(q, step) for name, q in QUANTILES.items()},
        "bytes_in": s.increase(s.select(s.names.request_bytes), step),
        "bytes_out": s.increase(s.select(s.names.response_bytes), step),
    }


def completeness_query(s: Selectors, period_seconds: int, interval: int) -> str:
    """Per tenant, how many of the period's scrape intervals hold a sample, evaluated at the
    period's end (divide by period / interval for the share).

    The inner `count_over_time(x[I - 1ms] offset 1ms)` at a step t sees exactly [t - I, t)
    (2.42's ranges are closed at both ends: without the millisecond, an aligned sample would
    count in two intervals); the subquery `[P - I : I]` takes the steps t = start + I, ...,
    end, so the intervals [start, start + I), ..., [end - I, end): the period, no more."""
    inner = f"count_over_time({s.requests()}[{_millis(interval * 1000 - 1)}] offset 1ms)"
    window = f"{duration(period_seconds - interval)}:{duration(interval)}"
    return f"count_over_time((count by ({s.tenant}) ({inner}))[{window}])"
