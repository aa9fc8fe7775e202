"""The gateway fleet the Prometheus tests backfill, and raw PromQL over HTTP to check it.

Periods: daily 2026-11-30 and weekly 2026-W48 (Nov 23 to 30), each with the period before and
the month to date (from Nov 1); the data runs from Oct 25 to Dec 1 00:00, hourly.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from jobs.core.context import JobContext
from jobs.core.settings import Settings
from jobs.core.state.engine import StateStore
from jobs.demo import gateway_series as gs
from jobs.usage_report.model import Period, Tenant
from jobs.usage_report.settings import PrometheusSettings, UsageReportSettings

START, END = gs.utc(2026, 10, 25), gs.utc(2026, 12, 1)
DAILY = Period("daily", gs.utc(2026, 11, 30), gs.utc(2026, 12, 1))
WEEKLY = Period("weekly", gs.utc(2026, 11, 23), gs.utc(2026, 11, 30))

FLEET = (
    gs.TenantProfile("acme"),
    # Prometheus scraped nothing 09:00-12:00 on the 30th: 21 of the day's 24 hours
    gs.TenantProfile("gappy", error_share=0.08, gap=(gs.utc(2026, 11, 30, 9), gs.utc(2026, 11, 30, 12))),
    # the gap spans the daily period's start: Prometheus extrapolates both days' windows
    gs.TenantProfile(
        "edge", apis=("maps",), applications=("kiosk",), gap=(gs.utc(2026, 11, 29, 20), gs.utc(2026, 11, 30, 2))
    ),
    gs.TenantProfile("bare", labelled=False, bytes_out_per_call=900),  # no api/application labels
    gs.TenantProfile("idle", calls_per_hour=(0,) * 24),  # series, all flat: percentiles are NaN
    gs.TenantProfile("ghost", no_traffic=True),  # in the control plane, no series at all
    gs.TenantProfile("stranger"),  # series, but the control plane does not know it
)


def write(directory: Path, profiles: tuple[gs.TenantProfile, ...] = FLEET) -> gs.Generated:
    """The fleet (and whatever else a module adds), hourly from START to END, seed 13."""
    return gs.write_openmetrics(directory / "gateway.om", profiles, START, END, interval=3600, seed=13)


def instant(url: str, query: str, at: Any) -> list[dict[str, Any]]:
    """One instant query, straight over HTTP (the source under test is not used here)."""
    response = httpx.post(f"{url}/api/v1/query", data={"query": query, "time": str(int(at.timestamp()))}, timeout=30)
    response.raise_for_status()
    return list(response.json()["data"]["result"])


def value(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None


#: 24 more tenants of the bench's kind: the queries must not grow from 3 tenants to 30
#: (scraped from Nov 16 only: the weekly periods, and a smaller backfill)
CROWD = tuple(replace(p, gap=(START, gs.utc(2026, 11, 16))) for p in gs.tenants(24, prefix="crowd-"))
KNOWN = tuple(p.id for p in FLEET if p.id != "stranger")


def settings(url: str, **prometheus: Any) -> UsageReportSettings:
    return UsageReportSettings(
        prometheus=PrometheusSettings(url=url, **{"scrape_interval_seconds": 3600, **prometheus})
    )


def context(cfg: UsageReportSettings, clients: dict[str, object] | None = None, **options: Any) -> JobContext[Any]:
    """A run's context: no state is read by the source, retries do not really sleep."""
    return JobContext(
        Settings(),
        cfg,
        StateStore("sqlite://"),
        "run",
        False,
        options=options,
        clients=clients or {},
        sleep=lambda s: None,
    )


def tenant_rows(*ids: str) -> list[Tenant]:
    return [Tenant(id=i, name=i.title(), contacts=(f"ops@{i}.example",)) for i in ids]
