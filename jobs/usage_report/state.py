"""usage-report's own table: which reports went where, so a re-run of a period mails nobody twice.

Owned here, migrated by the core's migrator (jobs/core/state/owners.py names this module). One
row per tenant, period (kind + label) and channel, written right after the channel took the
report: `collect` reads the period's rows for every tenant in ONE query (`delivered`) and the
plan leaves those channels out (`--force` sends again). Re-recording a delivery (a retried
action, a rival run, `--force`) keeps the first row: insert-or-ignore on the unique key, the
same on SQLite and PostgreSQL. No row holds a secret: `location` is a mailbox list, an
`s3://` URI or a path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.state.base import Base, Store, upsert_insert
from jobs.core.state.durability import durable
from jobs.core.state.migrations import Migration, create
from jobs.usage_report.metrics import DELIVERED
from jobs.usage_report.model import Period

JOB_ID = "usage-report"
#: the cumulative delivery counters the audit adds to as each delivery is done (metrics.py)
TALLIES = DELIVERED

#: bound parameters per SELECT: far under SQLite's 32,766 and PostgreSQL's 65,535, so 10,000
#: tenants are still a single statement
_CHUNK = 10_000


class Delivery(Base):
    """A tenant's report for one period, delivered on one channel: by which run, when, where."""

    __tablename__ = "secops_usage_deliveries"
    tenant: Mapped[str] = mapped_column(Text, primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    period_label: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    location: Mapped[str] = mapped_column(Text)


#: this job's migrations; append only, never edit a released step
MIGRATIONS: list[Migration] = [
    Migration(1, "report deliveries per tenant, period and channel", create(Delivery)),
]


@durable
def delivered(state: Store, period: Period, tenant_ids: Iterable[str]) -> dict[str, frozenset[str]]:
    """Tenant → the channels its report for `period` already went to (tenants with none are
    absent). One SELECT for the whole run, whatever the number of tenants."""
    wanted = sorted(set(tenant_ids))
    found: dict[str, set[str]] = {}
    with state.session() as s:
        for start in range(0, len(wanted), _CHUNK):
            rows = s.execute(
                select(Delivery.tenant, Delivery.channel).where(
                    Delivery.period_kind == period.kind,
                    Delivery.period_label == period.label,
                    Delivery.tenant.in_(wanted[start : start + _CHUNK]),
                )
            )
            for tenant, channel in rows:
                found.setdefault(str(tenant), set()).add(str(channel))
    return {tenant: frozenset(channels) for tenant, channels in found.items()}


@durable
def record_delivery(
    state: Store, period: Period, tenant_id: str, channel: str, run_id: str, location: str, at: datetime | None = None
) -> bool:
    """Record that `channel` took the tenant's report; False when it was recorded already
    (the first record stands: who delivered first, and when)."""
    row = {
        "tenant": tenant_id,
        "period_kind": period.kind,
        "period_label": period.label,
        "channel": channel,
        "run_id": run_id,
        "at": at or datetime.now(UTC),  # when it went, for people; no decision reads it
        "location": location,
    }
    with state.engine.begin() as conn:
        statement = upsert_insert(conn)(Delivery).values(row).on_conflict_do_nothing().returning(Delivery.tenant)
        return conn.execute(statement).first() is not None  # psycopg's rowcount here is -1
