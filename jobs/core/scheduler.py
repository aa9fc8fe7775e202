"""`python -m jobs schedule`: every available job on its cron, in one long-running process.

UTC cron triggers, coalesced misfires, at most one instance per job, a misfire grace
period, and a clean shutdown on SIGTERM (running jobs finish and release their locks).
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Mapping
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from jobs.core import logs
from jobs.core.cli import execute, job_parser
from jobs.core.registry import JOBS, JobSpec, Schedule

log = logging.getLogger("secops.scheduler")
MISFIRE_GRACE_SECONDS = 3600


def schedule_argv(schedule: Schedule, config: str | None) -> list[str]:
    """The command-line options one scheduled run uses (so it behaves as a manual run)."""
    argv = ["--config", config] if config else []
    for name, value in schedule.args.items():
        flag = "--" + name.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return argv


def run_scheduled(spec: JobSpec, argv: list[str]) -> int:
    args = job_parser(spec, spec.module).parse_args(argv)
    code, _ = execute(spec, args)
    log.info("scheduled_run_done", extra={"fields": {"job": spec.id, "exit_code": code}})
    return code


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def cron_trigger(expression: str) -> CronTrigger:
    """A five-field cron line in UTC with cron's weekday numbers (0 and 7 = Sunday).

    APScheduler 3 numbers weekdays from Monday = 0, even in `from_crontab`, so
    "0 2 * * 0" would fire on Mondays: weekday numbers are turned into names first.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron {expression!r}: expected five fields")
    minute, hour, day, month, weekday = fields
    weekday = re.sub(r"\d+", lambda m: _WEEKDAYS[int(m.group()) % 7], weekday)
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday, timezone="UTC")


def build_scheduler(config: str | None, jobs: Mapping[str, JobSpec], scheduler: BaseScheduler) -> BaseScheduler:
    scheduler.configure(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    for spec in jobs.values():
        if not spec.available:
            continue
        for index, schedule in enumerate(spec.schedules):
            scheduler.add_job(
                run_scheduled,
                cron_trigger(schedule.cron),
                args=[spec, schedule_argv(schedule, config)],
                id=f"{spec.id}#{index}",
                name=f"{spec.id} {schedule.note or schedule.cron}".strip(),
            )
    return scheduler


def serve(config: str | None, jobs: Mapping[str, JobSpec] = JOBS) -> int:
    """Run until SIGTERM/SIGINT, then let running jobs finish (they hold locks) and exit 0."""
    logs.configure()
    scheduler = build_scheduler(config, jobs, BackgroundScheduler(timezone="UTC"))
    if not scheduler.get_jobs():
        log.error("nothing_to_schedule", extra={"fields": {"reason": "no job is available in this build"}})
        return 2
    received: list[int] = []
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
    log.info("scheduler_started", extra={"fields": {"jobs": [j.id for j in scheduler.get_jobs()]}})
    stopping.wait()
    log.info("shutting_down", extra={"fields": {"signal": signal.Signals(received[0]).name}})
    scheduler.shutdown(wait=True)
    return 0
