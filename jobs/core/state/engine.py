"""The one door to the state DB: an engine, short sessions, outages waited out.

SQLite by default, PostgreSQL in production. Sessions are short and never cross a network
call; every store module (runs, audit, locks, ...) goes through a StateStore it is handed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from jobs.core.errors import ConfigError
from jobs.core.state import schema
from jobs.core.state.durability import RETRY_SECONDS, SQLITE_BUSY_MS, retrying

T = TypeVar("T")


def _sqlite_wal(connection: Any, _record: Any, busy_ms: int = SQLITE_BUSY_MS) -> None:
    """Write-ahead logging with `synchronous=NORMAL`: a commit survives the process dying
    (what the rotation journal and the locks guard against) without an fsync each; readers
    never wait for the writer. bench/secret_rotation.py: 30 → 57 rotations/s."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")  # first: switching to WAL waits for others too
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we ship), not psycopg2."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _unusable(exc: Exception) -> str:
    """The driver's reason; never the URL itself, which may carry a password."""
    if type(exc) is ArgumentError:
        return "not a database URL (e.g. sqlite:///./secops-state.db or postgresql://user@host/db)"
    if isinstance(exc, NoSuchModuleError):
        return f"no such kind of database ({exc})"
    if isinstance(exc, ImportError):
        return f"its driver is not installed ({exc})"
    return str(exc)


class StateStore:
    """The state DB's engine and sessions; what each store module is handed."""

    def __init__(self, url: str, retry_seconds: float = RETRY_SECONDS) -> None:
        self.retry_seconds = retry_seconds
        try:
            url = normalise_url(url)  # a network database may drop idle connections: ping before use
            self.engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"), future=True)
        except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
            raise ConfigError(f"state_db_url: cannot use this URL: {_unusable(exc)}") from None
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            busy_ms = int(min(SQLITE_BUSY_MS, retry_seconds * 250))  # a short budget is not spent in one wait
            event.listen(self.engine, "connect", functools.partial(_sqlite_wal, busy_ms=busy_ms))
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def retrying(self, fn: Callable[[], T], what: str) -> T:
        """`fn`, retried while the DB is locked or unreachable (durability.retrying)."""
        return retrying(fn, what, self.retry_seconds, self.engine.dialect.name)

    def exists(self) -> bool:
        """False for a SQLite file not made yet (`db status` must not create it)."""
        database = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and database not in (None, "", ":memory:"):
            return Path(database).exists()
        return True

    def current_version(self) -> int:
        """The core schema's version (what `db status` reports)."""
        return self.retrying(lambda: schema.current_version(self.engine), "current_version")

    def upgrade(self, now: datetime) -> list[int]:
        """Apply pending migrations of every owner (schema.upgrade: once, under a lock, in one
        transaction); returns the core versions applied."""
        return self.retrying(lambda: schema.upgrade(self.engine, now), "upgrade")
