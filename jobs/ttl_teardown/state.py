"""ttl-teardown's own tables: the extensions owners were granted, and its counters.

Owned here, migrated by the core's migrator (jobs/core/state/owners.py names this module):
`MIGRATIONS` is this job's table, versioned from 1. The warnings it sends are kept in the
core's notices store, which secret-rotation shares. `TALLIES` are the cumulative series
metrics.py exports, added to as each deletion is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.state.audit import backfill
from jobs.core.state.base import Base, Store
from jobs.core.state.counters import Tally
from jobs.core.state.migrations import Migration, create
from jobs.core.state.notices import CHUNK

JOB_ID = "ttl-teardown"
DELETED = Tally("deleted", "delete", ("type", "project"))
COST_AVOIDED = Tally("cost_avoided_usd", "delete", ("project",), amount="cost_avoided_usd")
TALLIES = (DELETED, COST_AVOIDED)


class Extension(Base):
    __tablename__ = "secops_extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String(512), index=True)
    days: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]


#: this job's migrations; append only, never edit a released step
MIGRATIONS: list[Migration] = [
    Migration(1, "extensions", create(Extension)),  # core migration 1 made it until release 4
    Migration(2, "deletion counters from the audit", backfill(JOB_ID, TALLIES)),
]


def extension_days(state: Store, resources: list[str]) -> dict[str, float]:
    """resource → days granted in all, in batches (an IN list per 500)."""
    totals: dict[str, float] = {}
    with state.session() as s:
        for start in range(0, len(resources), CHUNK):
            chunk = resources[start : start + CHUNK]
            rows = s.execute(
                select(Extension.resource, func.sum(Extension.days))
                .where(Extension.resource.in_(chunk))
                .group_by(Extension.resource)
            )
            totals.update({resource: float(days) for resource, days in rows})
    return totals


def extensions(state: Store, resource: str) -> list[float]:
    with state.session() as s:
        return [float(d) for d in s.scalars(select(Extension.days).where(Extension.resource == resource))]


def add_extension(state: Store, resource: str, days: float, reason: str, by: str, at: datetime) -> None:
    with state.session() as s:
        s.add(Extension(resource=resource, days=days, reason=reason, requested_by=by, created_at=at))
