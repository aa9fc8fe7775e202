"""SOURCES: where usage-report reads from, one entry each, loaded lazily.

Every source is a function `(cfg, ctx, period, tenants) -> Reading`, called in this table's
order: the control plane first (it names the tenants, with their contacts, locale, quota and
counts), then Prometheus (one query per metric for ALL the tenants: queries scale with metrics,
never with tenants), then gateway analytics (top APIs and applications where Prometheus lacks
the labels). A source that fails entirely is a `RunError`; one that could not read something
for some tenants says so per tenant (`Reading.problems`), and their reports state it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from jobs.core.model import RunError
from jobs.usage_report.model import Tenant
from jobs.usage_report.settings import UsageReportSettings


@dataclass
class Reading:
    """What one source read: tenants (the control plane's), and per tenant the `TenantUsage`
    fields it fills (`fields[tenant_id]` is passed to `dataclasses.replace`)."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: metric → the query text (PromQL, SQL, an aggregation), for the reports' appendix
    methods: dict[str, str] = field(default_factory=dict)
    #: tenant id → what could not be read for it ("latency: query timed out")
    problems: dict[str, list[str]] = field(default_factory=dict)
    errors: list[RunError] = field(default_factory=list)
    queries: int = 0  # requests made (the bench checks they do not grow with tenants)


@dataclass(frozen=True)
class SourceSpec:
    target: str  # "module:function"
    enabled: Callable[[UsageReportSettings], bool]
    #: a required source that fails leaves nothing to report: the run fails, no report is sent
    required: bool


SOURCES: Final[dict[str, SourceSpec]] = {
    "control_plane": SourceSpec(
        "jobs.usage_report.sources.control_plane:read", lambda cfg: cfg.control_plane is not None, True
    ),
    "prometheus": SourceSpec("jobs.usage_report.sources.prometheus:read", lambda cfg: cfg.prometheus is not None, True),
    "gateway_analytics": SourceSpec(
        "jobs.usage_report.sources.gateway_analytics:read", lambda cfg: cfg.gateway_analytics is not None, False
    ),
}
