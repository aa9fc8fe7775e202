"""The core's migrations, and the upgrade that applies every owner's (migrations.py).

One set of models for SQLite and PostgreSQL; released steps are not edited, with one
exception: migration 1 no longer names the extensions and journal tables, because their
jobs' own first migrations create them where missing (a no-op on any database release 1
made), so every database still ends with the same tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, inspect, text

from jobs.core.state import owners
from jobs.core.state.alerts import AlertState
from jobs.core.state.audit import AuditEntry
from jobs.core.state.base import Bind
from jobs.core.state.caches import CacheEntry
from jobs.core.state.counters import CounterRow
from jobs.core.state.locks import ResourceLock, RunLock
from jobs.core.state.migrations import (
    CORE,
    Migration,
    OwnerVersion,
    SchemaVersion,
    add_columns,
    connection,
    create,
    migrate,
    version_of,
)
from jobs.core.state.notices import WarningSent
from jobs.core.state.runs import FindingRow, Run


def _lock_holders(bind: Bind) -> None:
    """Locks name their process, so one left by a process that died is taken over at once."""
    add_columns(bind, RunLock.__tablename__, {"holder": "VARCHAR(255)"})
    create(ResourceLock)(bind)


def _intents(bind: Bind) -> None:
    """Audit rows written before acting (an id, the acting process, when it finished) and the
    mode a run lock was taken in (a warn-only run yields to the teardown)."""
    stamp = "TIMESTAMP WITH TIME ZONE" if bind.dialect.name == "postgresql" else "DATETIME"
    table = AuditEntry.__tablename__
    add_columns(bind, table, {"action_id": "VARCHAR(36)", "holder": "VARCHAR(255)", "finished_at": stamp})
    add_columns(bind, RunLock.__tablename__, {"mode": "VARCHAR(64)"})
    with connection(bind) as conn:
        indexes = {i["name"] for i in inspect(conn).get_indexes(table)}
        if "ix_secops_audit_action_id" not in indexes:
            conn.execute(text(f"CREATE UNIQUE INDEX ix_secops_audit_action_id ON {table} (action_id)"))
        if "ix_secops_audit_open" not in indexes:
            conn.execute(text(f"CREATE INDEX ix_secops_audit_open ON {table} (job_id, outcome)"))


#: the core's migrations; append only, never edit a released step
MIGRATIONS: list[Migration] = [
    Migration(
        1, "initial schema", create(SchemaVersion, Run, FindingRow, AlertState, RunLock, WarningSent, CacheEntry)
    ),
    Migration(2, "action audit", create(AuditEntry)),
    Migration(3, "lock holders and resource locks", _lock_holders),
    Migration(4, "audit intents and lock modes", _intents),
    Migration(5, "jobs' own migrations and action counters", create(OwnerVersion, CounterRow)),
    Migration(6, "run modes", lambda bind: add_columns(bind, Run.__tablename__, {"mode": "VARCHAR(64)"})),
]
SCHEMA_VERSION = MIGRATIONS[-1].version


def upgrade(engine: Engine, now: datetime) -> list[int]:
    """The core's pending migrations, then each owner's, in one transaction; the core
    versions applied."""
    with engine.connect() as conn:
        return migrate(conn, now, {CORE: MIGRATIONS, **owners.migrations()})


def current_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return version_of(conn)
