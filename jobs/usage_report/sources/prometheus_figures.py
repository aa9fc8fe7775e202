"""Prometheus' answers spread per tenant into TenantUsage fields: pure, no I/O.

The rules a report relies on:
- `current` is None ("no traffic") only when the calls query answered without the tenant and
  no other query had a series for it; when the calls query failed, it is a Window whose
  `calls_by_code` is None (not read, not {}) and the problems say why, never a false "no
  traffic", also when every code answered NaN or was malformed.
- A NaN or an infinity from Prometheus is None, and a problem, except a percentile of a
  window without a single timed call (histogram_quantile has nothing to rank: no latency).
  In a chart series, such points are left out (a missing step is absent, not 0).
- `completeness` is the share of scrape intervals with samples, 0.0 for a tenant that had
  traffic before but none in the period, None for one with no series at all.
- `breakdown_source` is "" when the tenant's series lack the api or application label (the
  job then asks gateway analytics), or when the breakdown could not be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobs.core.clients.prometheus import Points, Result, Sample
from jobs.usage_report.model import SERIES, Breakdown, Period, Series, Window
from jobs.usage_report.settings import MetricNames

WINDOW_FIELDS = ("bytes_in", "bytes_out", "latency_sum", "latency_count", "latency_p50", "latency_p95", "latency_p99")
QUIET_NAN = frozenset({"latency_p50", "latency_p95", "latency_p99"})  # NaN without calls: no latency


@dataclass
class Spread:
    tenant_label: str
    names: MetricNames
    known: set[str]
    period: Period
    interval: int
    answers: Mapping[str, Result]
    failures: Mapping[str, str]
    strangers: set[str] = field(default_factory=set)  # tenants in Prometheus, not in the control plane
    _samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)
    _points: dict[str, dict[str, list[Points]]] = field(default_factory=dict)
    _malformed: dict[str, dict[str, list[Mapping[str, str]]]] = field(default_factory=dict)
    _every: list[str] = field(default_factory=list)  # what every tenant is told (partial answers)

    def __post_init__(self) -> None:
        """Index every answer by tenant once (a run has thousands of tenants). A malformed
        series whose tenant cannot be told makes its whole query failed (it may be anyone's)."""
        self.failures = dict(self.failures)
        for key, result in sorted(self.answers.items()):
            if any(self.tenant_label not in labels for labels, _ in result.malformed):
                why = next(w for labels, w in result.malformed if self.tenant_label not in labels)
                self.failures[key] = f"{name(key)}: Prometheus answered a malformed series of no tenant ({why})"
                continue
            for labels, _why in result.malformed:
                self._malformed.setdefault(key, {}).setdefault(labels[self.tenant_label], []).append(labels)
            if result.warnings:
                told = "; ".join(result.warnings)
                self._every.append(f"{name(key)}: Prometheus answered a partial response ({told}); may be incomplete")
        self.answers = {k: v for k, v in self.answers.items() if k not in self.failures}
        for key, result in self.answers.items():
            for sample in result.samples:
                self._samples.setdefault(key, {}).setdefault(self._owner(sample.labels), []).append(sample)
            for points in result.series:
                self._points.setdefault(key, {}).setdefault(self._owner(points.labels), []).append(points)

    def _owner(self, labels: Mapping[str, str]) -> str:
        tenant = labels.get(self.tenant_label, "")
        if tenant not in self.known:
            self.strangers.add(tenant)
        return tenant

    def tenant(self, tenant_id: str) -> tuple[dict[str, Any], list[str]]:
        """The TenantUsage fields for one tenant, and what could not be read for it."""
        problems = [self.failures[k] for k in sorted(self.failures)] + list(self._every)
        for key in sorted(self._malformed):
            if tenant_id in self._malformed[key]:
                problems.append(f"{name(key)}: Prometheus answered a malformed sample; that series is left out")
        current = self._window(tenant_id, "current", problems)
        previous = self._window(tenant_id, "previous", problems)
        traffic = current is not None or previous is not None
        apis = self._breakdown(tenant_id, "apis", self.names.api_label)
        applications = self._breakdown(tenant_id, "applications", self.names.application_label)
        labelled = bool(apis and applications)
        fields = {
            "current": current,
            "previous": previous,
            "month_to_date_calls": self._scalar(tenant_id, "month_to_date_calls", problems),
            "series": self._series(tenant_id, problems),
            "apis": apis,
            "applications": applications,
            "breakdown_source": "prometheus" if labelled or not traffic else "",
            "completeness": self._completeness(tenant_id, problems) if traffic else None,
        }
        return fields, problems

    def _of(self, key: str, tenant_id: str) -> list[Sample]:
        return self._samples.get(key, {}).get(tenant_id, [])

    def _scalar(self, tenant_id: str, key: str, problems: list[str], quiet: bool = False) -> float | None:
        """The tenant's one value of a `sum by (tenant)` query; None when absent or not finite."""
        found = self._of(key, tenant_id)
        if not found:
            return None
        if found[0].value is None and not quiet:
            problems.append(f"{name(key)}: Prometheus returned NaN or an infinity; left out")
        return found[0].value

    def _window(self, tenant_id: str, prefix: str, problems: list[str]) -> Window | None:
        by_code: dict[str, float] = {}
        for sample in self._of(f"{prefix}.calls_by_code", tenant_id):
            code = sample.labels.get(self.names.code_label, "")
            if sample.value is None:
                problems.append(f"{name(prefix + '.calls')}: Prometheus returned NaN for code {code!r}; not counted")
            else:
                by_code[code] = sample.value
        bad = self._malformed.get(f"{prefix}.calls_by_code", {}).get(tenant_id, [])
        nan = any(s.value is None for s in self._of(f"{prefix}.calls_by_code", tenant_id))
        count = self._scalar(tenant_id, f"{prefix}.latency_count", [])
        values = {
            name: self._scalar(tenant_id, f"{prefix}.{name}", problems, quiet=name in QUIET_NAN and count == 0)
            for name in WINDOW_FIELDS
        }
        seen = bool(by_code or bad) or any(self._of(f"{prefix}.{k}", tenant_id) for k in WINDOW_FIELDS)
        unread = f"{prefix}.calls_by_code" in self.failures  # no calls read: "no traffic" is unknown
        # None, not {}: "not read" is not "zero calls"; a dropped (malformed) code row leaves the
        # total unknown too, never a smaller total read as complete
        if unread or bad or (nan and not by_code):
            return Window(calls_by_code=None, **values)
        return Window(calls_by_code=by_code, **values) if seen else None

    def _series(self, tenant_id: str, problems: list[str]) -> dict[str, Series]:
        """Each point stamped at the start of the step it covers (Prometheus stamps its end)."""
        step = self.period.step
        found: dict[str, Series] = {}
        for name in SERIES:
            key = f"series.{name}"
            for points in self._points.get(key, {}).get(tenant_id, []):
                if points.values:
                    found[name] = tuple((at - step, value) for at, value in points.values)
            if name not in QUIET_NAN and self._nonfinite(key, tenant_id):
                problems.append(f"{name} series: Prometheus returned NaN or an infinity; those points are left out")
        return found

    def _nonfinite(self, key: str, tenant_id: str) -> bool:
        result = self.answers.get(key)
        return bool(result) and any(labels.get(self.tenant_label) == tenant_id for labels in result.nonfinite)  # type: ignore[union-attr]

    def _breakdown(self, tenant_id: str, kind: str, label: str) -> tuple[Breakdown, ...]:
        calls = {s.labels.get(label, ""): s.value for s in self._of(f"{kind}_calls", tenant_id)}
        errors = {s.labels.get(label, ""): s.value for s in self._of(f"{kind}_errors", tenant_id)}
        return tuple(
            Breakdown(name, value, errors.get(name) or 0.0)
            for name, value in sorted(calls.items())
            if name and value is not None
        )

    def _completeness(self, tenant_id: str, problems: list[str]) -> float | None:
        if "completeness" in self.failures:
            return None
        intervals = int(self.period.length.total_seconds()) // self.interval
        counted = self._scalar(tenant_id, "completeness", problems)
        return min(1.0, (counted or 0.0) / intervals)


def name(key: str) -> str:
    """`previous.latency_p95` → `latency_p95 (previous period)`: what a problem names."""
    where, _, metric = key.rpartition(".")
    return f"{metric} (previous period)" if where == "previous" else metric
