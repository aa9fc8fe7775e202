"""What every owner's tables are made of: one declarative base, aware UTC times, JSON.

Owners (the core, and jobs with tables of their own) declare their models on this one base
so the state DB stays one schema, made by one migrator (migrations.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import JSON, Connection, DateTime, Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

Bind = Engine | Connection
T = TypeVar("T")


class Store(Protocol):
    """What every store function is handed (engine.StateStore): sessions and a retry budget.
    A protocol, so the stores need not import the engine that migrates their tables."""

    engine: Engine

    def session(self) -> AbstractContextManager[Session]: ...

    def retrying(self, fn: Callable[[], T], what: str) -> T: ...


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


def upsert_insert(conn: Connection) -> Any:
    """The dialect's own INSERT, the one with `on_conflict_do_nothing/do_update` (SQLite and
    PostgreSQL spell it alike): what an idempotent store writes with."""
    from sqlalchemy.dialects import postgresql, sqlite

    found: Any = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(conn.dialect.name)
    if found is None:
        raise NotImplementedError(f"state DB {conn.dialect.name}: SQLite and PostgreSQL only")
    return found


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}
