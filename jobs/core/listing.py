"""`python -m jobs list [--json]`: the job table as people read it and as scripts read it.

Pure over the registry (imports nothing else), so `list` stays as fast as `--help`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobs.core.registry import JobSpec, Schedule

HEADER = ("JOB", "SCHEDULE (UTC)", "DESTRUCTIVE", "DESCRIPTION")


def schedule_text(schedule: Schedule) -> str:
    """`0 * * * * (hourly pre-alerts)`: the cron line and, when it has one, what it is for."""
    return schedule.cron + (f" ({schedule.note})" if schedule.note else "")


def rows(jobs: Mapping[str, JobSpec]) -> list[tuple[str, str, str, str]]:
    return [
        (
            spec.id,
            "; ".join(schedule_text(s) for s in spec.schedules),
            "yes" if spec.destructive else "no",
            spec.description + ("" if spec.available else " [not in this build yet]"),
        )
        for spec in jobs.values()
    ]


def table(jobs: Mapping[str, JobSpec]) -> str:
    """A header and one line per job, every column as wide as its widest cell."""
    lines = [HEADER, *rows(jobs)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(line, widths, strict=False)), line[-1]]) for line in lines
    )


def as_json(jobs: Mapping[str, JobSpec]) -> list[dict[str, Any]]:
    """One object per job: what a CronJob generator or a deployment check needs."""
    return [
        {
            "id": spec.id,
            "module": spec.module,
            "destructive": spec.destructive,
            "available": spec.available,
            "description": spec.description,
            "schedules": [
                {"cron": s.cron, "args": dict(s.args), "note": s.note, "shards": s.shards} for s in spec.schedules
            ],
        }
        for spec in jobs.values()
    ]
