"""The runner: clock, the one dry-run branch, guardrails, isolation, history, metrics, alerts.

The run record and metrics are record.py's, the lock locking.py's, the audit intents.py's,
acting apply.py's, the options and seams runtime.py's.

Every entry point (CLI, Lambda, scheduler, demo) ends here through invoke.py, so every job
behaves the same way.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobs.core import redact
from jobs.core.apply import apply_all
from jobs.core.context import JobContext
from jobs.core.delivery import alert_guardrail, send_alerts
from jobs.core.errors import ConfigError, GuardrailTripped, StateUnavailable
from jobs.core.intents import AuditLog, reconcile
from jobs.core.job import BaseJob
from jobs.core.locking import take_lock
from jobs.core.logs import log_context
from jobs.core.metrics import RunMetrics
from jobs.core.model import (
    Action,
    Finding,
    Inventory,
    Outcome,
    OutcomeKind,
    Plan,
    RunError,
    RunResult,
    RunStatus,
    Severity,
)
from jobs.core.record import RunBooks
from jobs.core.registry import JobSpec
from jobs.core.resolve import job_class
from jobs.core.runtime import ACTOR, RunOptions, Runtime
from jobs.core.settings import JobSettings, Settings
from jobs.core.state.engine import StateStore
from jobs.core.state.locks import release_lock
from jobs.core.state.runs import new_run_id

log = logging.getLogger("secops.runner")


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


def run_job(spec: JobSpec, settings: Settings, options: RunOptions, rt: Runtime | None = None) -> RunResult:
    """One run, closed in `finally`: whatever fails (the state DB, an alert channel, the job),
    the result is recorded where it can be, metrics are pushed and the result is returned."""
    rt = rt or Runtime()
    run_id = new_run_id()
    now = options.now or rt.clock()
    shard = options.shard.label if options.shard else "all"
    job_cfg = settings.job_settings(spec.section, spec.destructive)
    dry_run = options.dry_run if options.dry_run is not None else bool(job_cfg.dry_run)
    result = _empty(spec, run_id, now, shard, dry_run, RunStatus.SUCCESS)
    books = RunBooks(settings, result, options.fail_on, RunMetrics(spec.id, spec.mode(options.job_args)))
    with log_context(job=spec.id, run_id=run_id):
        try:
            state = books.open_state()
            _locked(spec, settings, options, rt, state, books)
        except ConfigError:
            books.abandoned = True
            raise
        except StateUnavailable as exc:
            books.state_failed(exc)
        except Exception as exc:  # an alert channel or a job hook crashed after the work: recorded, not lost
            log.exception("run_crashed")
            result.errors.append(RunError("runner", redact.scrub(f"{type(exc).__name__}: {exc}")))
            result.status = RunStatus.FAILURE
        finally:
            books.finish(rt.sleep)
    return result


def _locked(
    spec: JobSpec, settings: Settings, options: RunOptions, rt: Runtime, state: StateStore, books: RunBooks
) -> None:
    result = books.result
    mode = books.metrics.mode
    skipped = take_lock(state, spec.id, result.shard, result.run_id, mode, settings, rt.sleep)
    if skipped:
        log.warning("run_skipped", extra={"fields": {"reason": skipped, "mode": mode}})
        result.status, result.reason, books.full_metrics = RunStatus.SKIPPED, skipped, False
        return
    try:
        owns = options.shard.owns if options.shard else (lambda key: True)
        job_cfg = settings.job_settings(spec.section, spec.destructive)
        args = dict(options.job_args)
        ctx = JobContext(
            settings, job_cfg, state, result.run_id, result.dry_run, args, rt.clients, owns, rt.sleep, result.started_at
        )
        clock = lambda: result.started_at + books.elapsed()  # noqa: E731 - the run's clock, --now based
        audit = AuditLog(state, spec.id, result.run_id, ACTOR, clock)
        _execute(spec, ctx, rt, books.metrics, audit, result)
    finally:
        try:
            release_lock(state, spec.id, result.shard, result.run_id)
        except StateUnavailable as exc:  # the lock expires or is taken over once this process exits
            log.error("lock_not_released", extra={"fields": {"error": str(exc)}})


@dataclass(frozen=True)
class _Planned:
    job: BaseJob[Any, JobSettings]
    inventory: Inventory[Any]
    plan: Plan


def _execute(
    spec: JobSpec, ctx: JobContext, rt: Runtime, metrics: RunMetrics, audit: AuditLog, result: RunResult
) -> None:
    """One run inside its lock: the plan, the guardrail, then the one dry-run branch."""
    now, shard = result.started_at, result.shard
    log.info("run_started", extra={"fields": {"dry_run": ctx.dry_run, "now": now.isoformat(), "shard": shard}})
    planned = _planned(spec, ctx, audit, result)
    if planned is None or not _guarded(spec, ctx, planned, rt, audit, result):
        return
    job, plan = planned.job, planned.plan
    if ctx.dry_run:
        result.outcomes = [Outcome(a, OutcomeKind.PLANNED) for a in plan.actions]
        audit.record(result.outcomes)
    else:
        _act(job, plan, rt, audit, result, resolve_missing=not planned.inventory.errors)
    job.record_metrics(metrics.registry, plan, result.outcomes)
    _publish(job, result)
    result.status = _status(result)


def _publish(job: BaseJob[Any, JobSettings], result: RunResult) -> None:
    """The job's reports (SARIF, SBOM): a failure is the run's error, never a crash."""
    try:
        job.publish(result)
    except Exception as exc:  # the findings are made; a report that cannot be written is recorded
        log.exception("publish_failed")
        result.errors.append(RunError("publish", redact.scrub(f"{type(exc).__name__}: {exc}")))


def _planned(spec: JobSpec, ctx: JobContext, audit: AuditLog, result: RunResult) -> _Planned | None:
    """The job built, actions an earlier run left open settled, the inventory read and the plan
    made, all written into `result`; None when one of them crashed (the run's failure)."""
    try:
        job = job_class(spec)(ctx)
        reconciled = 0 if ctx.dry_run else reconcile(job, audit, result)
        inventory = job.collect()
        items = inventory.items  # already this shard's: collect decided with ctx.owns (JobContext)
        with gc_paused():
            plan = job.plan(items, result.started_at)
    except (ConfigError, StateUnavailable):
        raise
    except Exception as exc:  # a crash of collect/plan is the run's failure, recorded, never a traceback dump
        log.exception("run_crashed")
        result.errors.append(RunError("job", redact.scrub(f"{type(exc).__name__}: {exc}")))
        result.status = RunStatus.FAILURE
        return None
    result.errors.extend(inventory.errors + plan.errors)
    result.findings = plan.findings
    result.summary = _summary(len(items), plan)
    if reconciled:
        result.summary["reconciled"] = reconciled
    return _Planned(job, inventory, plan)


def _guarded(
    spec: JobSpec, ctx: JobContext, planned: _Planned, rt: Runtime, audit: AuditLog, result: RunResult
) -> bool:
    """Whether the plan is within the guardrail. When it is not, nothing is done: every action
    is recorded skipped, the run fails (exit 3) and, unless it was a dry run, alerts."""
    actions = planned.plan.actions
    try:
        _guard(spec, ctx.job_settings, actions, len(planned.inventory.items))
    except GuardrailTripped as exc:
        result.errors.append(RunError("guardrail", str(exc)))
        result.outcomes = [Outcome(a, OutcomeKind.SKIPPED, reason="guardrail: nothing done") for a in actions]
        result.status = RunStatus.FAILURE
        audit.record(result.outcomes)
        if not ctx.dry_run:
            alert_guardrail(spec.id, ctx.settings, result, str(exc), rt.sleep)
        return False
    return True


def _act(
    job: BaseJob[Any, JobSettings], plan: Plan, rt: Runtime, audit: AuditLog, result: RunResult, resolve_missing: bool
) -> None:
    result.outcomes = apply_all(job, plan.actions, rt, audit)
    late = job.outcome_findings(result.outcomes)
    if late:
        result.findings = [*result.findings, *late]
        result.summary.update(severity_counts(result.findings))
    try:
        job.after_apply(result.run_id, result.outcomes)
    except Exception as exc:  # the actions are done; a failed export is recorded, not a crash
        log.exception("after_apply_failed")
        result.errors.append(RunError("after_apply", redact.scrub(f"{type(exc).__name__}: {exc}")))
    send_alerts(job.id, job.ctx, result, resolve_missing=resolve_missing, sleep=rt.sleep, group=job.alert_group)


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


def severity_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Each resource once, at its worst finding: a resource with a second finding (a
    created_at mismatch beside its ttl verdict, a rotation that failed after it was due)
    must not count twice, or the severities stop adding up to what was checked."""
    worst: dict[str, Severity] = {}
    for finding in findings:
        seen = worst.get(finding.resource)
        if seen is None or finding.severity.rank > seen.rank:
            worst[finding.resource] = finding.severity
    counts = Counter(str(s) for s in worst.values())
    return {str(s): counts.get(str(s), 0) for s in Severity}


def _summary(total: int, plan: Plan) -> dict[str, Any]:
    return {"total_checked": total, **severity_counts(plan.findings), **plan.summary}


def _status(result: RunResult) -> RunStatus:
    failed = sum(o.outcome is OutcomeKind.FAILED for o in result.outcomes)
    if result.outcomes and failed == len(result.outcomes):
        return RunStatus.FAILURE
    if failed or result.errors:
        return RunStatus.PARTIAL
    return RunStatus.SUCCESS
