"""`python -m jobs schedule`: the selected jobs on their crons, in one long-running process.

The settings are validated before anything is scheduled (exit 2 naming the bad key), the
jobs are those `--jobs` names (default: every job in this build) whose section does not say
`enabled: false`, and each job's next fire time is logged. UTC cron triggers, coalesced
misfires, at most one instance per job, a misfire grace period, and a clean shutdown on
SIGTERM (running jobs finish and release their locks). A scheduled run that fails is logged
at error and routed as an alert with the settings validated at start, so a settings file
broken after start-up is still reported.

An entry point: each Schedule becomes a RunRequest (invoke.request_from_options, as a Lambda
event's args do) once, at start, and each fire invokes it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import TextIO

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import SQLAlchemyError

from jobs.core import crontab, logs, redact
from jobs.core.errors import ConfigError, StateUnavailable
from jobs.core.invoke import RunRequest, invoke, request_from_options
from jobs.core.model import iso
from jobs.core.registry import JOBS, JobSpec, Schedule
from jobs.core.report import failure_summary, render_text
from jobs.core.resolve import load_settings
from jobs.core.settings import Settings
from notifications.message import Message

log = logging.getLogger("secops.scheduler")
MISFIRE_GRACE_SECONDS = 3600


def schedule_request(
    spec: JobSpec, schedule: Schedule, config: str | None, jobs: Mapping[str, JobSpec] = JOBS
) -> RunRequest:
    """The run one schedule asks for, as a manual run with the same options would; the
    settings sections are those of `jobs` (the table validated at start). UsageError for
    options the command line would refuse."""
    return request_from_options(spec, {"config": config, **schedule.args}, jobs)


def run_scheduled(request: RunRequest, name: str = "", alerts: Settings | None = None) -> int:
    """One fire of one schedule. Never raises into APScheduler: a failure is logged at error
    and, when `alerts` (the settings validated at start) is given, routed as an alert."""
    spec = request.spec
    try:
        _, result = invoke(request)
    except ConfigError as exc:
        code, status, why = 2, "failure", "; ".join(exc.problems)
    except Exception as exc:  # a crash outside the runner's isolation: reported, and the next fire still runs
        log.exception("scheduled_run_crashed", extra={"fields": {"job": spec.id}})
        code, status, why = 1, "failure", f"{type(exc).__name__}: {exc}"
    else:
        print(redact.scrub(render_text(result)), flush=True)
        code, status, why = result.exit_code, str(result.status), failure_summary(result)
    fields = {"job": spec.id, "schedule": name, "exit_code": code, "status": status}
    if code in (0, 4):
        log.info("scheduled_run_done", extra={"fields": fields})
        return code
    log.error("scheduled_run_failed", extra={"fields": {**fields, "error": redact.scrub(why)}})
    if alerts is not None and code != 3:  # a guardrail trip has alerted already (runner)
        alert_failure(alerts, spec, name, code, status, redact.scrub(why))
    return code


def alert_failure(settings: Settings, spec: JobSpec, name: str, code: int, status: str, why: str) -> None:
    """The failed run as a message through the notifications router (critical; warning when
    only part of the run failed). A channel that fails is logged; the schedule goes on."""
    from jobs.core.delivery import router_for

    message = Message(
        severity="warning" if status == "partial" else "critical",
        title=f"{spec.id}: scheduled run failed ({name})",
        body=f"The {name} run exited {code} (status {status}): {why}",
        source=spec.id,
        fields={"job": spec.id, "schedule": name, "exit_code": str(code), "status": status},
        dedup_key=f"{spec.id}:scheduled-run",
    )
    try:
        delivery = router_for(settings, time.sleep).deliver([message])
    except Exception:  # a notifier that cannot even be built must not stop the scheduler
        log.exception("scheduled_run_alert_failed", extra={"fields": {"job": spec.id}})
        return
    for channel, error in delivery.errors:
        log.error("scheduled_run_alert_failed", extra={"fields": {"job": spec.id, "channel": channel, "error": error}})


def cron_trigger(expression: str) -> BaseTrigger:
    """A five-field cron line in UTC, firing when the Kubernetes CronJob controller would.

    The line is read by jobs.core.crontab (as every generator reads it) and handed to APScheduler
    as explicit value lists, never as text: APScheduler 3 numbers weekdays from Monday = 0 even in
    `from_crontab` ("0 2 * * 0" would fire on Mondays), reads `0-7` or `*/2` in its own way, and
    requires both day fields to match where cron fires on a day matching either (so a line
    restricting both is two triggers, OR-ed). ValueError naming the line for a bad one.
    """
    cron = crontab.parse(expression)

    def trigger(days: str, weekdays: str) -> CronTrigger:
        return CronTrigger(
            minute=_listed(cron.minutes),
            hour=_listed(cron.hours),
            day=days,
            month=_listed(cron.months),
            day_of_week=weekdays,
            timezone="UTC",
        )

    days = _listed(cron.days) if cron.day_restricted else "*"
    weekdays = ",".join(crontab.WEEKDAYS[w] for w in sorted(cron.weekdays)) if cron.weekday_restricted else "*"
    if cron.either_day:
        return OrTrigger([trigger(days, "*"), trigger("*", weekdays)])
    return trigger(days, weekdays)


def _listed(values: frozenset[int]) -> str:
    return ",".join(str(v) for v in sorted(values))


def select_jobs(jobs: Mapping[str, JobSpec], settings: Settings, only: Sequence[str] | None) -> dict[str, JobSpec]:
    """The jobs to schedule: those `only` names (default: every job in this build), minus those
    whose section says `enabled: false`. ConfigError for a name that is no job of this build."""
    if only is not None:
        unknown = [name for name in only if name not in jobs]
        if unknown or not only:
            named = ", ".join(repr(n) for n in unknown) or "nothing"
            raise ConfigError(f"--jobs names {named}: expected job ids from: {', '.join(jobs)}")
        missing = [name for name in only if not jobs[name].available]
        if missing:
            raise ConfigError(f"--jobs: {', '.join(missing)} not available in this build")
    chosen = [jobs[name] for name in dict.fromkeys(only)] if only is not None else jobs.values()
    selected: dict[str, JobSpec] = {}
    for spec in chosen:
        if not spec.available:
            continue
        if settings.job_settings(spec.section, spec.destructive).enabled:
            selected[spec.id] = spec
        else:
            log.info("job_disabled", extra={"fields": {"job": spec.id, "setting": f"{spec.section}.enabled"}})
    return selected


def parse_jobs_option(text: str | None) -> list[str] | None:
    """`--jobs a, b,,c` → ["a", "b", "c"]; None when the option is absent."""
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def build_scheduler(
    config: str | None,
    jobs: Mapping[str, JobSpec],
    scheduler: BaseScheduler,
    alerts: Settings | None = None,
    table: Mapping[str, JobSpec] | None = None,
) -> BaseScheduler:
    """`jobs` on their crons; `table` (default: `jobs`) is what the settings are read against.
    UsageError when a schedule's options are not the job's."""
    scheduler.configure(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    for spec in jobs.values():
        if not spec.available:
            continue
        for index, schedule in enumerate(spec.schedules):
            name = schedule.note or schedule.cron
            scheduler.add_job(
                run_scheduled,
                cron_trigger(schedule.cron),
                args=[schedule_request(spec, schedule, config, table or jobs), name, alerts],
                id=f"{spec.id}#{index}",
                name=f"{spec.id} {name}" + (f" ({schedule.cron})" if schedule.note else ""),
            )
    return scheduler


def _migrate(settings: Settings) -> None:
    """The state schema, once, before any job fires: jobs scheduled at the same minute would
    otherwise all create it at once on a new database."""
    if settings.state_auto_migrate:
        from datetime import UTC, datetime

        from jobs.core.state.engine import StateStore

        StateStore(settings.state_db_url, settings.state_retry_seconds).upgrade(datetime.now(UTC))


def serve(config: str | None, jobs: Mapping[str, JobSpec] = JOBS, only: Sequence[str] | None = None) -> int:
    """Validate, schedule, run until SIGTERM/SIGINT, then let running jobs finish (they hold
    locks) and exit 0. Exit 2, before anything is scheduled, when the settings or the
    selection are bad or nothing is left to schedule."""
    logs.configure()
    try:
        settings = load_settings(config, jobs)
        logs.configure(settings.log_level)
        selected = select_jobs(jobs, settings, only)
        if not selected:
            raise ConfigError("nothing to schedule: no selected job is in this build and enabled")
        scheduler = build_scheduler(config, selected, BackgroundScheduler(timezone="UTC"), settings, jobs)
        _migrate(settings)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"schedule: configuration error: {redact.scrub(problem)}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, StateUnavailable) as exc:  # StateUnavailable names state_db_url itself
        reason = str(exc) if isinstance(exc, StateUnavailable) else f"state_db_url: {getattr(exc, 'orig', None) or exc}"
        print(f"schedule: cannot prepare the state DB: {redact.scrub(reason)}", file=sys.stderr)
        return 1
    received: list[int] = []
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
    for job in scheduler.get_jobs():
        fields = {"id": job.id, "name": job.name, "next_run": iso(job.next_run_time)}
        log.info("job_scheduled", extra={"fields": fields})
    log.info("scheduler_started", extra={"fields": {"jobs": [j.id for j in scheduler.get_jobs()]}})
    stopping.wait()
    log.info("shutting_down", extra={"fields": {"signal": signal.Signals(received[0]).name}})
    scheduler.shutdown(wait=True)
    return 0


def command(args: argparse.Namespace, stdout: TextIO) -> int:
    """`python -m jobs schedule [--config PATH] [--jobs ID,...]` (cli.COMMANDS)."""
    return serve(args.config, only=parse_jobs_option(args.jobs))
