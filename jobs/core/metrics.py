"""One registry per run, pushed once at the end (and/or written for node_exporter).

Names are those the shipped alert rules and dashboard use (ARCHITECTURE rule 7).
`security_job_runs_total` is rebuilt from the state DB, so it keeps growing across
runs even though each run pushes a fresh registry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, pushadd_to_gateway, write_to_textfile

from jobs.core import redact

log = logging.getLogger("secops.metrics")

SEVERITIES = ("critical", "warning", "info", "ok")
#: seconds; 600 is where SecurityJobSlow starts
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)


class RunMetrics:
    """`mode`: the yielding options the run has on (JobSpec.mode). A lesser run (warn-only)
    pushes to a group of its own (grouping key `mode`, which Prometheus sees as a label), so it
    never replaces the full run's gauges: its success is not the full run's, and the alert
    rules tell them apart by `mode`."""

    def __init__(self, job_id: str, mode: str | None = None) -> None:
        self.job_id = job_id
        self.mode = mode
        self.registry = CollectorRegistry()

    def record(
        self,
        *,
        run_counts: Mapping[str, int] | None,
        started_at: datetime,
        duration_seconds: float,
        last_success: datetime | None,
        findings_by_severity: Mapping[str, int],
        counters_only: bool = False,
        guardrail_tripped: bool = False,
        run_durations: Sequence[float] | None = None,
    ) -> None:
        """`counters_only` for a skipped run: pushadd replaces whole families, so a skipped
        run must not even declare the gauges of the run that holds the lock.

        `run_counts` None: the state DB could not be read. The cumulative counter and the
        findings are left as the last good run pushed them (a fresh count would look like a
        reset, zero findings like a resolution), and `security_job_state_db_up` says 0."""
        if run_counts is not None:
            runs = Counter(
                "security_job_runs", "Runs of the job, by final status", ["job_name", "status"], registry=self.registry
            )
            for status, count in run_counts.items():
                runs.labels(self.job_id, status).inc(count)
        if run_durations is not None:  # a histogram of runs, not of scrapes: what a p95 of runs needs
            histogram = Histogram(
                "security_job_run_duration_seconds",
                "Wall time of every run, all runs (rebuilt from the state DB)",
                ["job_name"],
                buckets=DURATION_BUCKETS,
                registry=self.registry,
            )
            for seconds in run_durations:
                histogram.labels(self.job_id).observe(seconds)
        if counters_only:
            return
        self._gauge("security_job_duration_seconds", "Wall time of the last run").set(duration_seconds)
        self._gauge("security_job_last_run_timestamp", "When the last run started (unix seconds)").set(
            started_at.timestamp()
        )
        self._gauge("security_job_state_db_up", "1 if the last run could use its state DB").set(
            int(run_counts is not None)
        )
        self._gauge("security_job_guardrail_tripped", "1 if a guardrail stopped the last run before it acted").set(
            int(guardrail_tripped)
        )
        if run_counts is None:
            return
        if last_success is not None:
            self._gauge(
                "security_job_last_success_timestamp", "When the last successful run completed (unix seconds)"
            ).set(last_success.timestamp())
        findings = Gauge(
            "security_job_findings",
            "Findings of the last run, by severity",
            ["job_name", "severity"],
            registry=self.registry,
        )
        for severity in SEVERITIES:
            findings.labels(self.job_id, severity).set(findings_by_severity.get(severity, 0))

    def _gauge(self, name: str, documentation: str) -> Gauge:
        gauge = Gauge(name, documentation, ["job_name"], registry=self.registry)
        return gauge.labels(self.job_id)

    def publish(self, shard: str, pushgateway_url: str | None, timeout: float, textfile: str | None) -> None:
        """Push and/or write; a metrics sink that is down is a warning, never a failed job."""
        if pushgateway_url:
            try:
                pushadd_to_gateway(
                    pushgateway_url,
                    job=self.job_id,
                    registry=self.registry,
                    grouping_key={"shard": shard, **({"mode": self.mode} if self.mode else {})},
                    timeout=timeout,
                )
            except OSError as exc:  # URLError, refused, timeout: all OSError
                log.warning("metrics_push_failed", extra={"fields": {"error": redact.scrub(str(exc))}})
        if textfile:
            path = Path(textfile.replace("{job}", self.job_id))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_to_textfile(str(path), self.registry)
            except OSError as exc:
                log.warning("metrics_textfile_failed", extra={"fields": {"path": str(path), "error": str(exc)}})
