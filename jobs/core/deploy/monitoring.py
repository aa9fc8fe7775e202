"""ARTIFACTS["monitoring"]: everything under monitoring/, from the job table and the settings:
the alert rules and their promtool tests, the Alertmanager example and the Grafana dashboards."""

from __future__ import annotations

from collections.abc import Mapping

from jobs.core.deploy import alert_rules, alertmanager, dashboards
from jobs.core.registry import JOBS, JobSpec
from jobs.core.settings import Settings


def files(settings: Settings, jobs: Mapping[str, JobSpec] = JOBS) -> dict[str, str]:
    return {
        **alert_rules.files(settings, jobs),
        **alertmanager.files(settings),
        **dashboards.files(settings, jobs),
    }
