"""The runner: clock, the one dry-run branch, guardrails, isolation, history, metrics, alerts.

Every entry point (CLI, Lambda, scheduler) ends here, so every job behaves the same way.
"""

from __future__ import annotations

import contextlib
import gc
import getpass
import hashlib
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from jobs.core import redact
from jobs.core.apply import apply_all
from jobs.core.context import JobContext
from jobs.core.delivery import alert_guardrail, send_alerts
from jobs.core.errors import ConfigError, GuardrailTripped
from jobs.core.job import (
    Action,
    Finding,
    Outcome,
    OutcomeKind,
    Plan,
    RunError,
    RunResult,
    RunStatus,
    Severity,
)
from jobs.core.logs import log_context
from jobs.core.metrics import RunMetrics
from jobs.core.registry import JobSpec
from jobs.core.retry import RetryPolicy
from jobs.core.settings import JobSettings, Settings
from jobs.core.state import Run, StateStore, new_run_id

log = logging.getLogger("secops.runner")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, sep, count = text.partition("/")
        try:
            shard = cls(int(index), int(count))
        except ValueError:
            raise ConfigError(f"--shard {text!r}: expected i/n, e.g. 0/4") from None
        if not sep or shard.count < 1 or not 0 <= shard.index < shard.count:
            raise ConfigError(f"--shard {text!r}: need 0 <= i < n")
        return shard

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        """Stable across processes and Python versions (unlike hash())."""
        digest = hashlib.sha256(key.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool | None = None  # None: the job's settings decide
    now: datetime | None = None
    fail_on: Severity | None = None
    shard: Shard | None = None
    job_args: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Runtime:
    """Seams for tests and the scheduler: clocks, sleeping and pre-built clients."""

    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep
    clients: dict[str, Any] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Plans are pure and allocate a few acyclic objects per item: reference counting frees
    them, and the cyclic collector's passes over a 100,000-item inventory only cost time
    (a third of ttl-teardown's plan, measured in bench/ttl_teardown.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def exit_code(result: RunResult, fail_on: Severity | None) -> int:
    """CONTRACT exit codes; a failed run outranks the --fail-on gate."""
    if any(e.source == "guardrail" for e in result.errors):
        return 3
    if result.status in (RunStatus.FAILURE, RunStatus.PARTIAL):
        return 1
    if fail_on is not None and any(
        f.severity is not Severity.OK and f.severity.rank >= fail_on.rank for f in result.findings
    ):
        return 4
    return 0


def run_job(spec: JobSpec, settings: Settings, options: RunOptions, rt: Runtime | None = None) -> RunResult:
    rt = rt or Runtime()
    run_id = new_run_id()
    now = options.now or rt.clock()
    shard = options.shard.label if options.shard else "all"
    job_cfg = settings.job_settings(spec.section, spec.destructive)
    dry_run = options.dry_run if options.dry_run is not None else bool(job_cfg.dry_run)
    state = StateStore(settings.state_db_url)
    if settings.state_auto_migrate:
        state.upgrade(now)
    metrics = RunMetrics(spec.id)
    started = time.monotonic()
    with log_context(job=spec.id, run_id=run_id):
        wall = datetime.now(UTC)
        if not state.acquire_lock(spec.id, shard, run_id, wall, timedelta(minutes=settings.run_lock_ttl_minutes)):
            holder = state.lock_holder(spec.id, shard)
            reason = (
                f"run {holder.run_id} has held the lock since {holder.acquired_at:%Y-%m-%dT%H:%M:%SZ}"
                if holder
                else "another run holds the lock"
            )
            log.info("run_skipped", extra={"fields": {"reason": reason}})
            result = _empty(spec, run_id, now, shard, dry_run, RunStatus.SKIPPED, reason)
            _finish(state, metrics, settings, result, started, options, full_metrics=False)
            return result
        try:
            owns = options.shard.owns if options.shard else (lambda key: True)
            ctx = JobContext(settings, job_cfg, state, run_id, dry_run, dict(options.job_args), rt.clients, owns)
            result = _execute(spec, ctx, job_cfg, options, now, shard, rt, metrics)
        finally:
            state.release_lock(spec.id, shard, run_id)
        _finish(state, metrics, settings, result, started, options, full_metrics=True)
        return result


def _execute(
    spec: JobSpec,
    ctx: JobContext,
    job_cfg: JobSettings,
    options: RunOptions,
    now: datetime,
    shard: str,
    rt: Runtime,
    metrics: RunMetrics,
) -> RunResult:
    log.info("run_started", extra={"fields": {"dry_run": ctx.dry_run, "now": now.isoformat(), "shard": shard}})
    result = _empty(spec, ctx.run_id, now, shard, ctx.dry_run, RunStatus.SUCCESS)
    try:
        job = spec.load()(ctx)
        inventory = job.collect()
        items = [i for i in inventory.items if options.shard is None or options.shard.owns(job.shard_key(i))]
        with gc_paused():
            plan = job.plan(items, now)
    except ConfigError:
        raise
    except Exception as exc:  # a crash of collect/plan is the run's failure, recorded, never a traceback dump
        log.exception("run_crashed")
        result.errors.append(RunError("job", redact.scrub(f"{type(exc).__name__}: {exc}")))
        result.status = RunStatus.FAILURE
        return result
    result.errors.extend(inventory.errors + plan.errors)
    result.findings = plan.findings
    result.summary = _summary(len(items), plan)
    try:
        _guard(spec, job_cfg, plan.actions, len(items))
    except GuardrailTripped as exc:
        result.errors.append(RunError("guardrail", str(exc)))
        result.outcomes = [Outcome(a, OutcomeKind.SKIPPED, reason="guardrail: nothing done") for a in plan.actions]
        result.status = RunStatus.FAILURE
        if not ctx.dry_run:
            alert_guardrail(spec.id, ctx.settings, result, str(exc), rt.sleep)
        return result
    if ctx.dry_run:
        result.outcomes = [Outcome(a, OutcomeKind.PLANNED) for a in plan.actions]
    else:
        result.outcomes = apply_all(job, plan.actions, rt)
        late = job.outcome_findings(result.outcomes)
        result.findings = [*result.findings, *late]
        for finding in late:
            result.summary[str(finding.severity)] += 1
        try:
            job.after_apply(ctx.run_id, result.outcomes)
        except Exception as exc:  # the actions are done; a failed export is recorded, not a crash
            log.exception("after_apply_failed")
            result.errors.append(RunError("after_apply", redact.scrub(f"{type(exc).__name__}: {exc}")))
        send_alerts(spec.id, ctx, result, resolve_missing=not inventory.errors, sleep=rt.sleep)
    job.record_metrics(metrics.registry, plan, result.outcomes)
    result.status = _status(result)
    return result


def _guard(spec: JobSpec, cfg: JobSettings, actions: Sequence[Action], inventory_size: int) -> None:
    """Destructive plans bigger than the limits stop before anything is done."""
    count = sum(a.destructive for a in actions)
    if not spec.destructive or not count:
        return
    if count > cfg.max_actions:
        raise GuardrailTripped(f"{count} actions planned, max_actions is {cfg.max_actions}: nothing done")
    if count * 100 > cfg.max_actions_percent * max(inventory_size, 1):
        percent = 100 * count / max(inventory_size, 1)
        raise GuardrailTripped(
            f"{count} actions are {percent:.0f}% of {inventory_size} resources, "
            f"max_actions_percent is {cfg.max_actions_percent:g}: nothing done"
        )


#: who acted: the scheduler, a Lambda, or the person at the terminal
ACTOR = os.environ.get("SECOPS_ACTOR") or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or getpass.getuser()


def _empty(
    spec: JobSpec, run_id: str, now: datetime, shard: str, dry_run: bool, status: RunStatus, reason: str | None = None
) -> RunResult:
    return RunResult(
        job=spec.id,
        run_id=run_id,
        started_at=now,
        completed_at=now,
        status=status,
        dry_run=dry_run,
        summary={"total_checked": 0, **{str(s): 0 for s in Severity}},
        findings=[],
        outcomes=[],
        alerts_sent=[],
        errors=[],
        shard=shard,
        reason=reason,
    )


def _summary(total: int, plan: Plan) -> dict[str, Any]:
    counts = Counter(str(f.severity) for f in plan.findings)
    return {"total_checked": total, **{str(s): counts.get(str(s), 0) for s in Severity}, **plan.summary}


def _status(result: RunResult) -> RunStatus:
    failed = sum(o.outcome is OutcomeKind.FAILED for o in result.outcomes)
    if result.outcomes and failed == len(result.outcomes):
        return RunStatus.FAILURE
    if failed or result.errors:
        return RunStatus.PARTIAL
    return RunStatus.SUCCESS


def _finish(
    state: StateStore,
    metrics: RunMetrics,
    settings: Settings,
    result: RunResult,
    started: float,
    options: RunOptions,
    full_metrics: bool,
) -> None:
    """Close the result, keep it, publish metrics: whatever happened before."""
    result.completed_at = result.started_at + timedelta(seconds=time.monotonic() - started)
    result.exit_code = exit_code(result, options.fail_on)
    state.record_run(
        Run(
            run_id=result.run_id,
            job_id=result.job,
            shard=result.shard,
            started_at=result.started_at,
            completed_at=result.completed_at,
            status=str(result.status),
            dry_run=result.dry_run,
            exit_code=result.exit_code,
            summary=result.summary,
        ),
        [_finding_row(result, f) for f in result.findings],
        [_audit_row(result, o) for o in result.outcomes],
    )
    metrics.record(
        run_counts=state.run_counts(result.job, result.shard),
        started_at=result.started_at,
        duration_seconds=result.duration_seconds,
        last_success=state.last_success(result.job, result.shard),
        findings_by_severity={k: v for k, v in result.summary.items() if isinstance(v, int)},
        counters_only=not full_metrics,
    )
    metrics.publish(
        result.shard, settings.pushgateway_url, settings.pushgateway_timeout_seconds, settings.metrics_textfile
    )
    log.info(
        "run_finished",
        extra={"fields": {"status": str(result.status), "exit_code": result.exit_code, **result.summary}},
    )


def _audit_row(result: RunResult, outcome: Outcome) -> dict[str, Any]:
    action = outcome.action
    return {
        "at": result.completed_at,
        "actor": ACTOR,
        "kind": action.kind,
        "resource": action.resource,
        "outcome": str(outcome.outcome),
        "reason": outcome.reason or action.reason,
        "error": outcome.error,
        "details": redact.scrub_data(dict(action.details)),
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
