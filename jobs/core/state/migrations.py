"""The one migrator: a table of migrations per owner, each applied in order, all at once.

The core's table (schema.py) comes first and is what `python -m jobs db` reports as the
schema version; then each job that keeps tables of its own (owners.py names its module,
loaded lazily, so the core imports no job package). Migrations are append-only:
a released step is never edited, a new version is added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, Integer, String, func, insert, inspect, select, text
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.state.base import Base, Bind

#: pg_advisory_xact_lock key for migrations: "secops" in ASCII
MIGRATION_LOCK = 0x7365636F7073
CORE = "core"


class Migration(NamedTuple):
    version: int
    name: str
    step: Callable[[Bind], None]


class SchemaVersion(Base):
    """The core's migrations applied (the schema version `db status` reports)."""

    __tablename__ = "secops_schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    applied_at: Mapped[datetime]


class OwnerVersion(Base):
    """The migrations applied of each job that keeps tables of its own (core migration 5)."""

    __tablename__ = "secops_owner_versions"
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    applied_at: Mapped[datetime]


def create(*tables: type[Base]) -> Callable[[Bind], None]:
    """A step that creates these tables where they are missing."""

    def step(bind: Bind) -> None:
        chosen = [Base.metadata.tables[str(t.__tablename__)] for t in tables]
        Base.metadata.create_all(bind, tables=chosen, checkfirst=True)

    return step


@contextmanager
def connection(bind: Bind) -> Iterator[Connection]:
    """The migration's own connection (upgrade runs every step in one transaction), or a
    transaction of its own when a step is handed an engine."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.begin() as conn:
            yield conn


def add_columns(bind: Bind, table: str, columns: dict[str, str]) -> None:
    """ALTER TABLE … ADD COLUMN for each column the table lacks (idempotent)."""
    with connection(bind) as conn:
        have = {c["name"] for c in inspect(conn).get_columns(table)}
        for name, ddl in columns.items():
            if name not in have:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))


def version_of(conn: Connection, owner: str = CORE) -> int:
    """The last migration applied of `owner` (0: none, or no state DB yet)."""
    table = SchemaVersion if owner == CORE else OwnerVersion
    if not inspect(conn).has_table(table.__tablename__):
        return 0
    query = select(func.max(table.version))
    if table is OwnerVersion:
        query = query.where(OwnerVersion.owner == owner)
    return int(conn.scalar(query) or 0)


def migrate(conn: Connection, now: datetime, tables: Mapping[str, Sequence[Migration]]) -> list[int]:
    """Apply each owner's pending migrations in order (the core's first), all in one
    transaction under a lock (PostgreSQL: an advisory lock; SQLite: the write lock), so two
    processes starting together on an empty DB run them once, and a crash mid-way leaves the
    schema as it was. Returns the core versions applied."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    applied: dict[str, list[int]] = {}
    for owner, steps in tables.items():
        current = version_of(conn, owner)
        for version, name, step in steps:
            if version <= current:
                continue
            step(conn)
            row = {"version": version, "name": name, "applied_at": now}
            conn.execute(insert(SchemaVersion) if owner == CORE else insert(OwnerVersion), [row | _owner(owner)])
            applied.setdefault(owner, []).append(version)
    conn.commit()
    return applied.get(CORE, [])


def pending(conn: Connection, tables: Mapping[str, Sequence[Migration]]) -> dict[str, list[int]]:
    """Owner → versions not applied yet."""
    found = {
        owner: [m.version for m in steps if m.version > version_of(conn, owner)] for owner, steps in tables.items()
    }
    return {owner: versions for owner, versions in found.items() if versions}


def _owner(owner: str) -> dict[str, str]:
    return {} if owner == CORE else {"owner": owner}
