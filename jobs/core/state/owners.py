"""The jobs that keep tables of their own, and where: one lazy table, like the registry's.

A job's state module holds its models, `MIGRATIONS` (its own table, versioned from 1) and
`TALLIES` (the counters its metrics read, counters.py). The core names it by string and
imports it only when migrating or counting, so no core module imports a job package; the
registry is not asked, because it sits above the state DB (its jobs take a JobContext
holding a StateStore) and must stay importable without it.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Final

from jobs.core.state.counters import Tally
from jobs.core.state.migrations import Migration

#: job id → its state module
OWNERS: Final[dict[str, str]] = {
    "ttl-teardown": "jobs.ttl_teardown.state",
    "secret-rotation": "jobs.secret_rotation.journal_store",
    "repo-scanner": "jobs.repo_scanner.state",
    "usage-report": "jobs.usage_report.state",
}


def _module_attr(job_id: str, name: str) -> object:
    module = OWNERS.get(job_id)
    if module is None:
        return ()
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):  # this build does not ship the job
            return ()
        raise
    return getattr(loaded, name)


def migrations() -> dict[str, Sequence[Migration]]:
    """Owner → its migrations, in the order they are applied (after the core's)."""
    found = {job_id: _module_attr(job_id, "MIGRATIONS") for job_id in OWNERS}
    return {job_id: steps for job_id, steps in found.items() if isinstance(steps, list) and steps}


def tallies(job_id: str) -> Sequence[Tally]:
    """The counters `job_id` keeps over its done actions (none for a job without tables)."""
    found = _module_attr(job_id, "TALLIES")
    return found if isinstance(found, tuple) else ()
