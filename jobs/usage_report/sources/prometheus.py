"""The Prometheus source: every tenant's calls, bytes, latency, series and breakdowns.

The queries (promql.py) are for all the run's tenants at once, about thirty of them whatever
the number of tenants, run a few at a time on one client. The answers are spread per tenant
(the `tenant_label`); series for a tenant the control plane does not know are counted and
ignored. A query that fails is a problem for every tenant (its figure stays None and the
report states it); Prometheus failing every query is a `RunError`: nothing to report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobs.core.clients.prometheus import PrometheusClient, Result
from jobs.core.context import JobContext
from jobs.core.errors import EndpointDown, SecopsError
from jobs.core.model import RunError
from jobs.usage_report.model import Period, Tenant
from jobs.usage_report.period import month_start
from jobs.usage_report.settings import PrometheusSettings, UsageReportSettings
from jobs.usage_report.sources import Reading
from jobs.usage_report.sources import prometheus_figures as figures
from jobs.usage_report.sources.promql import (
    Selectors,
    breakdown_queries,
    completeness_query,
    series_queries,
    tenant_matcher,
    window_queries,
)

log = logging.getLogger("secops.usage_report")
WORKERS = 4  # queries in flight: Prometheus runs them in parallel, the run waits for the slowest


@dataclass(frozen=True)
class Query:
    key: str  # "current.latency_p95", "series.calls", "completeness", ...
    text: str
    at: datetime  # an instant query's time, a range query's end
    start: datetime | None = None  # a range query's first evaluation
    step: int = 0

    @property
    def metric(self) -> str:
        """What a failure names: the figure (and "previous period"), not where it is kept."""
        return figures.name(self.key)


def plan(cfg: UsageReportSettings, period: Period, matcher: str) -> list[Query]:
    """Every query of a run, the same list for 3 tenants or 3,000."""
    assert cfg.prometheus is not None
    s = Selectors(cfg.queries, cfg.prometheus.tenant_label, matcher)
    length, step = _seconds(period.length), _seconds(period.step)
    queries = [Query(f"current.{k}", q, period.end) for k, q in window_queries(s, length).items()]
    queries += [Query(f"previous.{k}", q, period.start) for k, q in window_queries(s, length).items()]
    mtd = s.increase(s.requests(), _seconds(period.end - month_start(period)))
    queries.append(Query("month_to_date_calls", mtd, period.end))
    queries += [Query(k, q, period.end) for k, q in breakdown_queries(s, length).items()]
    interval = cfg.prometheus.scrape_interval_seconds
    queries.append(Query("completeness", completeness_query(s, length, interval), period.end))
    first = period.start + period.step
    queries += [Query(f"series.{k}", q, period.end, first, step) for k, q in series_queries(s, step).items()]
    return queries


def methods(cfg: UsageReportSettings, period: Period) -> dict[str, str]:
    """metric → PromQL for the appendix, WITHOUT the --tenant matcher: a report names no other
    tenant, and the query is the same for every one."""
    by_key = {q.key: q.text for q in plan(cfg, period, "")}
    window = {k: by_key[f"current.{k}"] for k in ("latency_p50", "latency_p95", "latency_p99")}
    interval = cfg.prometheus.scrape_interval_seconds if cfg.prometheus else 60
    return {
        "calls": by_key["current.calls_by_code"],
        "mb_in": by_key["current.bytes_in"],
        "mb_out": by_key["current.bytes_out"],
        "latency_avg": f"{by_key['current.latency_sum']} / {by_key['current.latency_count']}",
        **window,
        "month_to_date_calls": by_key["month_to_date_calls"],
        "top_apis": f"{by_key['apis_calls']}; failed: {by_key['apis_errors']}",
        "top_applications": f"{by_key['applications_calls']}; failed: {by_key['applications_errors']}",
        "completeness": f"{by_key['completeness']} / {_seconds(period.length) // interval}",
    }


def read(cfg: UsageReportSettings, ctx: JobContext[Any], period: Period, tenants: Sequence[Tenant]) -> Reading:
    reading = Reading(methods=methods(cfg, period) if cfg.prometheus else {})
    if cfg.prometheus is None or not tenants:
        return reading
    settings = cfg.prometheus
    client = ctx.client("prometheus", PrometheusClient, lambda: client_for(settings, ctx))
    named = ctx.options.get("tenant")
    queries = plan(cfg, period, tenant_matcher(settings.tenant_label, [t.id for t in tenants]) if named else "")
    before = client.requests
    answers, failures = run(client, queries)
    reading.queries = client.requests - before
    if not answers:
        first = next(iter(failures.values()), "no answer")
        reading.errors.append(RunError("prometheus", f"every Prometheus query failed: {first}"))
        return reading
    known = {t.id for t in tenants}
    interval = settings.scrape_interval_seconds
    spread = figures.Spread(settings.tenant_label, cfg.queries, known, period, interval, answers, failures)
    for tenant in tenants:
        fields, problems = spread.tenant(tenant.id)
        reading.fields[tenant.id] = fields
        if problems:
            reading.problems[tenant.id] = problems
    if spread.strangers:
        # unknown to the control plane, or another shard's (the queries are for every tenant)
        log.info("prometheus: series of %d tenants not in this run, ignored", len(spread.strangers))
    return reading


def client_for(settings: PrometheusSettings, ctx: JobContext[Any]) -> PrometheusClient:
    headers = {name: value.get_secret_value() for name, value in settings.headers.items()}
    return PrometheusClient(settings.url, settings.timeout_seconds, headers, settings.ca_file, sleep=ctx.sleep)


def run(client: PrometheusClient, queries: Sequence[Query]) -> tuple[dict[str, Result], dict[str, str]]:
    """Every query, WORKERS at a time: answers by key, and failures by key (their message).

    Prometheus unreachable (the client's retries spent on a refused connection) stops the
    queries not yet sent: each would wait the same way; they are failures too."""
    answers: dict[str, Result] = {}
    failures: dict[str, str] = {}
    down: list[str] = []

    def one(query: Query) -> None:
        if down:
            failures[query.key] = down[0]
            return
        try:
            answers[query.key] = _ask(client, query)
        except EndpointDown as exc:
            down.append(str(exc))
            failures[query.key] = str(exc)
        except SecopsError as exc:
            failures[query.key] = str(exc)

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="prometheus") as pool:
        list(pool.map(one, queries))
    return answers, failures


def _ask(client: PrometheusClient, query: Query) -> Result:
    if query.start is None:
        return client.instant(query.text, query.at, query.metric)
    return client.range(query.text, query.start, query.at, query.step, query.metric)


def _seconds(length: timedelta) -> int:
    return int(length.total_seconds())
