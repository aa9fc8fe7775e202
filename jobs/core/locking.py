"""Taking a job's run lock: one run per job and shard, and a yielding run (warn-only) never
makes the full run skip. The daily teardown and the hourly warn-only run share a lock (they
would otherwise send the same owner warnings twice); the full run waits for a warn-only
holder to finish, and a warn-only run finding any holder is skipped, since the holder does
everything it would. Every skip is a warning and a `skipped` run in the history (so
`security_job_runs_total{status="skipped"}` counts it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from jobs.core.registry import JobSpec
from jobs.core.settings import Settings
from jobs.core.state.engine import StateStore
from jobs.core.state.locks import acquire_lock, lock_holder

log = logging.getLogger("secops.runner")

POLL_SECONDS = 2.0


def lock_mode(spec: JobSpec, job_args: Mapping[str, Any]) -> str | None:
    """The yielding options this run has on, e.g. "warn_only"; None for a full run."""
    return spec.mode(job_args)


def take_lock(
    state: StateStore,
    job_id: str,
    shard: str,
    run_id: str,
    mode: str | None,
    settings: Settings,
    sleep: Callable[[float], None],
) -> str | None:
    """None once this run holds the lock; else the reason it is skipped."""
    ttl = timedelta(minutes=settings.run_lock_ttl_minutes)
    deadline = time.monotonic() + settings.run_lock_wait_minutes * 60
    waiting = False
    while True:
        if acquire_lock(state, job_id, shard, run_id, datetime.now(UTC), ttl, mode):
            return None
        holder = lock_holder(state, job_id, shard)
        more_time = time.monotonic() < deadline
        if holder is None and more_time:
            continue  # released in between
        if holder is None:
            return "another run holds the lock"
        since = f"run {holder.run_id} has held the lock since {holder.acquired_at:%Y-%m-%dT%H:%M:%SZ}"
        if mode is None and holder.mode and more_time:  # a full run outranks a yielding one: wait
            if not waiting:
                log.info("run_waiting", extra={"fields": {"holder": holder.run_id, "holder_mode": holder.mode}})
                waiting = True
            sleep(POLL_SECONDS)
            continue
        return since + (f" ({holder.mode})" if holder.mode else "")
