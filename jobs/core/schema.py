"""The state DB's schema: SQLAlchemy models and the versioned migrations that make them.

One set of models for SQLite and PostgreSQL. Migrations are append-only: a released step is
never edited, a new version is added (`python -m jobs db upgrade` or at start-up).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state DB")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class SchemaVersion(Base):
    __tablename__ = "secops_schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    applied_at: Mapped[datetime]


class Run(Base):
    __tablename__ = "secops_runs"
    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), index=True)
    shard: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    exit_code: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]]


class FindingRow(Base):
    __tablename__ = "secops_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("secops_runs.run_id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]


class AlertState(Base):
    """The last alert sent for one finding key: what dedup, escalation and resolve compare with."""

    __tablename__ = "secops_alert_state"
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    shard: Mapped[str] = mapped_column(String(32), primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    first_sent_at: Mapped[datetime]
    last_sent_at: Mapped[datetime]


class RunLock(Base):
    __tablename__ = "secops_run_locks"
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    shard: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    holder: Mapped[str | None] = mapped_column(String(255), nullable=True)  # host:pid (migration 3)
    mode: Mapped[str | None] = mapped_column(String(64), nullable=True)  # e.g. "warn_only" (migration 4)


class ResourceLock(Base):
    """One resource worked on by one run at a time (a secret mid-rotation)."""

    __tablename__ = "secops_resource_locks"
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(512), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36))
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class WarningSent(Base):
    """A warning that must go out once (ttl-teardown's 48 h/24 h, secret-rotation's notice)."""

    __tablename__ = "secops_warnings_sent"
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(512), primary_key=True)
    warning: Mapped[str] = mapped_column(String(64), primary_key=True)
    sent_at: Mapped[datetime]
    details: Mapped[dict[str, Any]]


class Extension(Base):
    __tablename__ = "secops_extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String(512), index=True)
    days: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]


class JournalEntry(Base):
    """Write-ahead journal of multi-step operations (secret rotation), for crash recovery."""

    __tablename__ = "secops_journal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(512), index=True)
    operation_id: Mapped[str] = mapped_column(String(36), index=True)
    step: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class CacheEntry(Base):
    """Values worth keeping between runs (PKI serial → not_after, price lists)."""

    __tablename__ = "secops_cache"
    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class AuditEntry(Base):
    """Every action of every run: planned, done, failed or skipped; who, why, what it cost.

    An action that acts is written twice, each in its own commit: `started` before the side
    effect (`at`), its outcome right after (`finished_at`). A row still `started` when its run
    is gone is an intent left open by a kill, settled by a later run (intents.py)."""

    __tablename__ = "secops_audit"
    __table_args__ = (
        Index("ix_secops_audit_action_id", "action_id", unique=True),
        Index("ix_secops_audit_open", "job_id", "outcome"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36), index=True)
    job_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any]]
    action_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # migration 4
    holder: Mapped[str | None] = mapped_column(String(255), nullable=True)  # host:pid that acted
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


Bind = Engine | Connection


def _create(*tables: type[Base]) -> Callable[[Bind], None]:
    def step(bind: Bind) -> None:
        chosen = [Base.metadata.tables[str(t.__tablename__)] for t in tables]
        Base.metadata.create_all(bind, tables=chosen, checkfirst=True)

    return step


#: (version, name, upgrade); append only, never edit a released step
MIGRATIONS: list[tuple[int, str, Callable[[Bind], None]]] = [
    (
        1,
        "initial schema",
        _create(SchemaVersion, Run, FindingRow, AlertState, RunLock, WarningSent, Extension, JournalEntry, CacheEntry),
    ),
    (2, "action audit", _create(AuditEntry)),
    (3, "lock holders and resource locks", lambda bind: _lock_holders(bind)),
    (4, "audit intents and lock modes", lambda bind: _intents(bind)),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
#: pg_advisory_xact_lock key for migrations: "secops" in ASCII
MIGRATION_LOCK = 0x7365636F7073


def version_of(conn: Connection) -> int:
    if not inspect(conn).has_table(SchemaVersion.__tablename__):
        return 0
    return int(conn.scalar(select(func.max(SchemaVersion.version))) or 0)


def migrate(conn: Connection, now: datetime) -> list[int]:
    """Apply pending migrations in order, all in one transaction under a lock (PostgreSQL: an
    advisory lock; SQLite: the write lock), so two processes starting together on an empty
    DB run them once, and a crash mid-way leaves the schema as it was."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    current = version_of(conn)
    applied: list[int] = []
    for version, name, step in MIGRATIONS:
        if version <= current:
            continue
        step(conn)
        conn.execute(insert(SchemaVersion).values(version=version, name=name, applied_at=now))
        applied.append(version)
    conn.commit()
    return applied


@contextmanager
def _connection(bind: Bind) -> Iterator[Connection]:
    """The migration's own connection (upgrade runs every step in one transaction), or a
    transaction of its own when a step is handed an engine."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.begin() as conn:
            yield conn


def _add_columns(bind: Bind, table: str, columns: dict[str, str]) -> None:
    """ALTER TABLE … ADD COLUMN for each column the table lacks (idempotent)."""
    with _connection(bind) as conn:
        have = {c["name"] for c in inspect(conn).get_columns(table)}
        for name, ddl in columns.items():
            if name not in have:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))


def _lock_holders(bind: Bind) -> None:
    """Locks name their process, so one left by a process that died is taken over at once."""
    _add_columns(bind, RunLock.__tablename__, {"holder": "VARCHAR(255)"})
    _create(ResourceLock)(bind)


def _intents(bind: Bind) -> None:
    """Audit rows written before acting (an id, the acting process, when it finished) and the
    mode a run lock was taken in (a warn-only run yields to the teardown)."""
    stamp = "TIMESTAMP WITH TIME ZONE" if bind.dialect.name == "postgresql" else "DATETIME"
    table = AuditEntry.__tablename__
    _add_columns(bind, table, {"action_id": "VARCHAR(36)", "holder": "VARCHAR(255)", "finished_at": stamp})
    _add_columns(bind, RunLock.__tablename__, {"mode": "VARCHAR(64)"})
    with _connection(bind) as conn:
        indexes = {i["name"] for i in inspect(conn).get_indexes(table)}
        if "ix_secops_audit_action_id" not in indexes:
            conn.execute(text(f"CREATE UNIQUE INDEX ix_secops_audit_action_id ON {table} (action_id)"))
        if "ix_secops_audit_open" not in indexes:
            conn.execute(text(f"CREATE INDEX ix_secops_audit_open ON {table} (job_id, outcome)"))
