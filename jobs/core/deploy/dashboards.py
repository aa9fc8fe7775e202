"""monitoring/dashboards/*.json: the Grafana dashboards, from the job table and the metrics.

Security Jobs Overview has a status tile per deployable job (generated, so a new job gets its
tile), the runs of the last 7 days, findings by severity, the p95 run duration and the firing
alerts (`ALERTS`). The p95 is of runs, not of scrapes: it reads the duration histogram the runner
rebuilds from the run history (`security_job_run_duration_seconds`), since a quantile over time
of the last-run gauge would weigh each run by how long it stayed the last one.

Series that every shard or kind of run pushes with the same all-runs total (ttl-teardown's
deletions and dollars come from counters shared by its shards) are read with `max by`, never
summed across groups. Each panel's query is checked against a real Prometheus in the tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from jobs.core.deploy.declared import deployable
from jobs.core.registry import JOBS, JobSpec
from jobs.core.settings import Settings

FOLDER: Final = "dashboards"
DATASOURCE: Final = {"type": "prometheus", "uid": "${datasource}"}
_WIDTH: Final = 24


@dataclass(frozen=True)
class Panel:
    title: str
    kind: str  # Grafana panel type: stat, timeseries, bargauge, table
    queries: tuple[tuple[str, str], ...]  # (PromQL, legend)
    width: int = 12
    height: int = 8
    unit: str = "short"
    instant: bool = False
    mappings: tuple[Mapping[str, Any], ...] = ()


def _status(job: str) -> tuple[tuple[str, str], ...]:
    """1 when the last full run succeeded, 0 when it did not (or never did), and when it ran."""
    run = f'security_job_last_run_timestamp{{job_name="{job}",mode=""}}'
    success = f'security_job_last_success_timestamp{{job_name="{job}",mode=""}}'
    return ((f"({success} >= bool {run}) or ({run} * 0)", "{{shard}}"),)


_OK_FAILED: Final = (
    {
        "type": "value",
        "options": {
            "0": {"text": "FAILED", "color": "red", "index": 0},
            "1": {"text": "OK", "color": "green", "index": 1},
        },
    },
)


def overview(jobs: list[JobSpec]) -> list[Panel]:
    tiles = [
        Panel(f"{spec.id}: last run", "stat", _status(spec.id), width=6, height=4, instant=True, mappings=_OK_FAILED)
        for spec in jobs
    ]
    tiles += [
        Panel(
            f"{spec.id}: last run started",
            "stat",
            ((f'max(security_job_last_run_timestamp{{job_name="{spec.id}"}}) * 1000', "last run"),),
            width=6,
            height=4,
            unit="dateTimeFromNow",
            instant=True,
        )
        for spec in jobs
    ]
    return [
        *tiles,
        Panel(
            "Runs per hour, by status (7 days)",
            "timeseries",
            (("sum by (job_name, status) (increase(security_job_runs_total[1h]))", "{{job_name}} {{status}}"),),
            width=_WIDTH,
        ),
        Panel(
            "Findings of the last run, by severity",
            "bargauge",
            (('sum by (job_name, severity) (security_job_findings{severity!="ok"})', "{{job_name}} {{severity}}"),),
            instant=True,
        ),
        Panel(
            "p95 run duration (7 days)",
            "timeseries",
            (
                (
                    "histogram_quantile(0.95, sum by (job_name, le) "
                    "(increase(security_job_run_duration_seconds_bucket[7d])))",
                    "{{job_name}}",
                ),
            ),
            unit="s",
        ),
        Panel(
            "Firing alerts",
            "table",
            (('ALERTS{alertstate="firing"}', "{{alertname}}"),),
            width=_WIDTH,
            instant=True,
        ),
    ]


def repositories() -> list[Panel]:
    """repo-scanner's panels: its daily run's findings per repository (the full run's group,
    `mode=""`: a CI or push run of one repository would show a partial picture) and how long
    each repository took."""
    return [
        Panel(
            "Repository findings of the daily scan, by repository and severity",
            "bargauge",
            (('sum by (repo, severity) (security_repo_findings{mode=""})', "{{repo}} {{severity}}"),),
            instant=True,
        ),
        Panel(
            "Repository scan duration",
            "timeseries",
            (('max by (repo) (security_repo_scan_duration_seconds{mode=""})', "{{repo}}"),),
            unit="s",
        ),
    ]


def lifecycle() -> list[Panel]:
    return [
        Panel(
            "Resources whose ttl ends soon",
            "stat",
            (("max by (within) (security_resources_expiring)", "within {{within}}"),),
            instant=True,
        ),
        Panel(
            "Certificates: days left",
            "table",
            (("sort((security_certificate_expiry_timestamp - time()) / 86400)", "{{resource}}"),),
            instant=True,
        ),
        Panel(
            "Resources deleted per day, by type",
            "timeseries",
            (("sum by (type) (increase(security_resources_deleted_total[1d]))", "{{type}}"),),
        ),
        Panel(
            "Resources deleted, all time, by type and project",
            "bargauge",
            (("max by (type, project) (security_resources_deleted_total)", "{{type}} {{project}}"),),
            instant=True,
        ),
        Panel(
            "Tag violations of the last run, by tag",
            "bargauge",
            (("max by (tag) (security_tag_violations)", "{{tag}}"),),
            width=_WIDTH,
            instant=True,
        ),
    ]


def cost() -> list[Panel]:
    by_project = "max by (project) (security_cost_avoided_usd)"
    return [
        Panel("Cost avoided, all time", "stat", ((f"sum({by_project})", "total"),), unit="currencyUSD", instant=True),
        Panel("Cost avoided by project", "bargauge", ((by_project, "{{project}}"),), unit="currencyUSD", instant=True),
        Panel(
            "Cost avoided over time, by project",
            "timeseries",
            ((by_project, "{{project}}"),),
            width=_WIDTH,
            unit="currencyUSD",
        ),
    ]


def _positions(panels: list[Panel]) -> Iterator[dict[str, int]]:
    """Left to right, wrapping at Grafana's 24 columns."""
    x = y = row = 0
    for panel in panels:
        if x + panel.width > _WIDTH:
            x, y = 0, y + row
            row = 0
        yield {"h": panel.height, "w": panel.width, "x": x, "y": y}
        x, row = x + panel.width, max(row, panel.height)


def panel_json(panel: Panel, number: int, position: dict[str, int]) -> dict[str, Any]:
    return {
        "id": number,
        "type": panel.kind,
        "title": panel.title,
        "gridPos": position,
        "datasource": DATASOURCE,
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": expr,
                "legendFormat": legend,
                "instant": panel.instant,
                "range": not panel.instant,
            }
            for i, (expr, legend) in enumerate(panel.queries)
        ],
        "fieldConfig": {"defaults": {"unit": panel.unit, "mappings": list(panel.mappings)}, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
    }


def dashboard(uid: str, title: str, panels: list[Panel]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["secops-jobs"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "1m",
        "time": {"from": "now-7d", "to": "now"},
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]
        },
        "annotations": {"list": []},
        "panels": [panel_json(p, i + 1, at) for i, (p, at) in enumerate(zip(panels, _positions(panels), strict=True))],
    }


def dashboards(jobs: Mapping[str, JobSpec] = JOBS) -> dict[str, dict[str, Any]]:
    """File name → dashboard."""
    specs = deployable(jobs)
    scanner = repositories() if any(spec.id == "repo-scanner" for spec in specs) else []
    return {
        "security-jobs-overview.json": dashboard(
            "secops-jobs-overview", "Security Jobs Overview", overview(specs) + scanner
        ),
        "resource-lifecycle.json": dashboard("secops-resource-lifecycle", "Resource Lifecycle", lifecycle()),
        "cost-savings.json": dashboard("secops-cost-savings", "Cost Savings", cost()),
    }


def queries(board: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of a dashboard."""
    return [(p["title"], t["expr"]) for p in board["panels"] for t in p["targets"]]


def files(settings: Settings, jobs: Mapping[str, JobSpec] = JOBS) -> dict[str, str]:
    return {f"{FOLDER}/{name}": json.dumps(board, indent=2) + "\n" for name, board in dashboards(jobs).items()}
