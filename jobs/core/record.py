"""The end of every run, whatever happened before: the run record, metrics, and an alert when
the state DB itself failed. Each step is isolated, so a dead Pushgateway, a failing channel or
a lost state DB never keeps the others from happening (called from the runner's `finally`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from jobs.core import redact
from jobs.core.errors import StateUnavailable
from jobs.core.metrics import RunMetrics
from jobs.core.model import Finding, RunError, RunResult, RunStatus, Severity
from jobs.core.settings import Settings
from jobs.core.state import runs
from jobs.core.state.engine import StateStore

log = logging.getLogger("secops.runner")


def exit_code(result: RunResult, fail_on: Severity | None) -> int:
    """CONTRACT exit codes; a failed run outranks the --fail-on gate."""
    if any(e.source == "guardrail" for e in result.errors):
        return 3
    if result.status in (RunStatus.FAILURE, RunStatus.PARTIAL):
        return 1
    if fail_on is not None and any(
        f.severity is not Severity.OK and f.severity.rank >= fail_on.rank and not f.accepted for f in result.findings
    ):
        return 4
    return 0


@dataclass
class RunBooks:
    """What the runner keeps about one run until it closes it."""

    settings: Settings
    result: RunResult
    fail_on: Severity | None
    metrics: RunMetrics
    started: float = field(default_factory=time.monotonic)
    state: StateStore | None = None
    state_error: str | None = None
    full_metrics: bool = True
    abandoned: bool = False  # a configuration error: exit 2, nothing to record

    def elapsed(self) -> timedelta:
        return timedelta(seconds=time.monotonic() - self.started)

    def open_state(self) -> StateStore:
        """The state DB, migrated if allowed; StateUnavailable names `state_db_url` and why."""
        state = StateStore(self.settings.state_db_url, self.settings.state_retry_seconds)
        if self.settings.state_auto_migrate:
            state.upgrade(self.result.started_at)
        self.state = state
        return state

    def state_failed(self, exc: StateUnavailable, status: RunStatus = RunStatus.FAILURE) -> None:
        """One line, not a traceback; the run fails (or, when only its record was lost, is
        partial) and the failure is alerted on."""
        message = redact.scrub(str(exc))
        log.error("state_db_unavailable", extra={"fields": {"error": message}})
        self.result.errors.append(RunError("state_db", message))
        self.result.status = status
        self.state_error = message

    def finish(self, sleep: Callable[[float], None]) -> None:
        """Close the result, keep it, publish metrics, alert on a lost state DB."""
        if self.abandoned:
            return
        result = self.result
        result.completed_at = result.started_at + self.elapsed()
        result.exit_code = exit_code(result, self.fail_on)
        self._keep()
        self._publish()
        if self.state_error:
            self._alert_state(sleep)
        log.info(
            "run_finished",
            extra={"fields": {"status": str(result.status), "exit_code": result.exit_code, **result.summary}},
        )

    def _keep(self) -> None:
        result = self.result
        if self.state is None or self.state_error:
            return  # it failed once already: not another retry budget
        try:
            runs.record_run(
                self.state, _run_row(result, self.metrics.mode), [_finding_row(result, f) for f in result.findings]
            )
        except StateUnavailable as exc:
            kept = RunStatus.FAILURE if result.status is RunStatus.FAILURE else RunStatus.PARTIAL
            self.state_failed(exc, kept)
            result.exit_code = exit_code(result, self.fail_on)

    def _publish(self) -> None:
        result = self.result
        counts, last_success, durations = None, None, None
        if self.state is not None and self.state_error is None:
            try:
                mode = self.metrics.mode
                counts = runs.run_counts(self.state, result.job, result.shard, mode)
                last_success = runs.last_success(self.state, result.job, result.shard, mode)
                durations = runs.durations(self.state, result.job, result.shard, mode)
            except StateUnavailable as exc:
                log.error("state_db_unavailable", extra={"fields": {"error": redact.scrub(str(exc))}})
        try:
            self.metrics.record(
                run_counts=counts,
                run_durations=durations,
                started_at=result.started_at,
                duration_seconds=result.duration_seconds,
                last_success=last_success,
                findings_by_severity={k: v for k, v in result.summary.items() if isinstance(v, int)},
                counters_only=not self.full_metrics,
                guardrail_tripped=any(e.source == "guardrail" for e in result.errors),
            )
            s = self.settings
            self.metrics.publish(result.shard, s.pushgateway_url, s.pushgateway_timeout_seconds, s.metrics_textfile)
        except Exception:  # metrics never cost the run its record or its alert
            log.exception("metrics_failed")

    def _alert_state(self, sleep: Callable[[float], None]) -> None:
        from jobs.core.delivery import deliver
        from notifications.message import Message

        job = self.result.job
        message = Message(
            severity="critical",
            title=f"{job}: state DB unavailable",
            body=f"{self.state_error}. The run stopped without acting on anything it could not record.",
            source=job,
            dedup_key=f"{job}:state_db",
        )
        try:
            deliver(self.settings, self.result, [message], sleep)
        except Exception:  # a broken channel is logged; the run's result still says why
            log.exception("state_alert_failed")


def _run_row(result: RunResult, mode: str | None) -> dict[str, Any]:
    return {
        "mode": mode,
        "run_id": result.run_id,
        "job_id": result.job,
        "shard": result.shard,
        "started_at": result.started_at,
        "completed_at": result.completed_at,
        "status": str(result.status),
        "dry_run": result.dry_run,
        "exit_code": result.exit_code,
        "summary": result.summary,
    }


def _finding_row(result: RunResult, finding: Finding) -> dict[str, Any]:
    return {
        "job_id": result.job,
        "type": finding.type,
        "severity": str(finding.severity),
        "resource": finding.resource,
        "message": finding.message,
        "details": redact.scrub_data(dict(finding.details)),
    }
