"""The control plane (PostgreSQL in production, SQLite in the demo): tenants and their counts.

Read-only three times over: the DSN should name a read-only role (the database's word is the
one that holds); every statement runs in a transaction opened `READ ONLY` (PostgreSQL) or on a
connection opened `mode=ro` with `query_only` (SQLite); and one statement per call, so an
overridden statement cannot switch the transaction back to read-write before it writes (the
driver refuses a second statement). A statement that writes is refused by the database, and
the refusal is reported like any other failure.

Each statement has the timeout (PostgreSQL's `statement_timeout`, an interrupt on SQLite), the
connection too; a connection that fails is tried once more, a statement never (a timed-out
one would time out again). The DSN, its password included, never reaches a message: the
driver's words are cut to their first line and scrubbed.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from jobs.core import redact
from jobs.core.context import JobContext
from jobs.core.errors import ConfigError, PermanentError, TransientError
from jobs.core.model import RunError
from jobs.core.retry import RetryPolicy, call_with_retry
from jobs.core.state.engine import normalise_url
from jobs.usage_report.model import Period, Tenant
from jobs.usage_report.settings import ControlPlaneSettings, UsageReportSettings
from jobs.usage_report.sources import Reading
from jobs.usage_report.sources.control_rows import COUNTS, apply_counts, parse_tenants

SOURCE = "control_plane"
#: a connection that fails is tried once more, after a short pause; nothing else is retried
CONNECT_RETRY = RetryPolicy(attempts=2, base_delay=0.5, max_delay=2.0)
_NOT_RETRIED = ("authentication failed", "does not exist", "no password supplied", "unable to open database file")


class StatementFailed(Exception):
    """One statement could not be run; the message is the driver's first line, scrubbed."""


def read(cfg: UsageReportSettings, ctx: JobContext[Any], period: Period, tenants: Sequence[Tenant]) -> Reading:
    """Every tenant of the control plane (the job filters inactive ones, shards and --tenant),
    with its counts. The tenants statement failing fails the source (a RunError: nothing to
    report on); a count statement failing leaves that count unknown for every tenant."""
    section = cfg.control_plane
    if section is None:
        raise ConfigError("usage_report.control_plane: not set (the control plane names the tenants)")
    reading = Reading(methods=methods(section))
    db = ControlPlane(section, ctx.sleep)
    try:
        try:
            rows = db.rows(section.queries.tenants)
        except StatementFailed as exc:
            reading.errors.append(RunError(SOURCE, f"tenants: {exc}"))
            return reading
        parsed = parse_tenants(rows)
        for name in COUNTS:
            try:
                apply_counts(parsed, name, db.rows(getattr(section.queries, name)))
            except StatementFailed as exc:
                apply_counts(parsed, name, None, str(exc))
    finally:
        reading.queries = db.statements
        db.close()
    reading.tenants = parsed.tenants
    reading.problems = parsed.problems
    reading.errors += [RunError(SOURCE, message) for message in parsed.errors]
    return reading


def methods(section: ControlPlaneSettings) -> dict[str, str]:
    """The appendix's "how computed" for what the control plane gives: its statements."""
    queries = section.queries
    return {
        "apis": queries.apis,
        "applications": queries.applications,
        "users": queries.users,
        "quota": queries.tenants,
    }


class ControlPlane:
    """An engine on the DSN that only reads; `rows(sql)` runs one statement in its own
    read-only transaction (a failed one aborts only itself on PostgreSQL)."""

    def __init__(self, section: ControlPlaneSettings, sleep: Callable[[float], None]) -> None:
        dsn = section.dsn.get_secret_value()
        self._secrets = _register(dsn)
        self.timeout = section.timeout_seconds
        self.sleep = sleep
        self.statements = 0
        self.engine = self._engine(dsn)
        self.dialect = self.engine.dialect.name

    def _engine(self, dsn: str) -> Engine:
        try:
            url = make_url(normalise_url(dsn.strip()))
            backend = url.get_backend_name()
            if backend == "postgresql":
                connect_args = {"connect_timeout": max(2, math.ceil(self.timeout))}  # libpq: whole seconds, >= 2
                return create_engine(url, connect_args=connect_args, poolclass=NullPool, hide_parameters=True)
            if backend == "sqlite":
                return create_engine("sqlite://", creator=self._sqlite_creator(url.database), poolclass=NullPool)
        except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
            reason = "its driver is not installed" if isinstance(exc, ImportError | NoSuchModuleError) else "not a URL"
            raise ConfigError(f"usage_report.control_plane.dsn: cannot use it ({reason})") from None
        raise ConfigError(
            f"usage_report.control_plane.dsn: a {backend} URL; read-only is enforced for postgresql:// and sqlite:///"
        )

    def _sqlite_creator(self, database: str | None) -> Callable[[], sqlite3.Connection]:
        """A file opened `mode=ro` (never created, never written) with `query_only` on."""
        if not database or database == ":memory:":
            raise ConfigError("usage_report.control_plane.dsn: a SQLite control plane is a file (sqlite:///path.db)")
        uri = f"file:{quote(database)}?mode=ro"

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(uri, uri=True, timeout=self.timeout, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            return conn

        return connect

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        self.statements += 1
        with self._connection() as conn:
            transaction = conn.begin()
            try:
                if self.dialect == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {math.ceil(self.timeout * 1000)}")
                with self._deadline(conn):
                    return self._fetch(conn, sql)
            except (SQLAlchemyError, self.engine.dialect.loaded_dbapi.Error) as exc:
                raise StatementFailed(self._reason(exc)) from None
            finally:
                with contextlib.suppress(SQLAlchemyError):
                    transaction.rollback()  # nothing to keep: the transaction only read

    def _fetch(self, conn: Connection, sql: str) -> list[tuple[Any, ...]]:
        """The statement through the driver's own cursor, as written (no bind parameters, so
        `%` and `:` mean what they mean in SQL), and as one statement: psycopg in binary mode
        (the extended protocol, an unnamed statement: fine behind pgbouncer) and sqlite3 both
        refuse a second one, which could otherwise switch the transaction to read-write and
        commit. A value of a type psycopg has no binary loader for (an enum) arrives as bytes:
        it is text here."""
        raw: Any = conn.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            if self.dialect == "postgresql":
                cursor.execute(sql, binary=True)
            else:
                cursor.execute(sql)
            if cursor.description is None:
                raise StatementFailed("returned no rows (a SELECT is expected)")
            return [tuple(_text(value) for value in row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Connection]:
        def connect() -> Connection:
            try:
                return self.engine.connect()
            except DBAPIError as exc:
                reason = self._reason(exc)
                if any(word in reason for word in _NOT_RETRIED):
                    raise PermanentError(reason) from None
                raise TransientError(reason) from None

        try:
            conn = call_with_retry(connect, CONNECT_RETRY, sleep=self.sleep)
        except (TransientError, PermanentError) as exc:
            raise StatementFailed(f"could not connect: {exc}") from None
        try:
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _deadline(self, conn: Connection) -> Iterator[None]:
        """SQLite has no statement timeout: interrupt the statement from a timer instead."""
        if self.dialect != "sqlite":
            yield
            return
        raw: Any = conn.connection.dbapi_connection
        timer = threading.Timer(self.timeout, raw.interrupt)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _reason(self, exc: Exception) -> str:
        """The driver's first line, never SQLAlchemy's rendering (the statement, a URL)."""
        orig = getattr(exc, "orig", None) or exc
        lines = str(orig).strip().splitlines()
        first = lines[0].strip() if lines else type(orig).__name__
        if "canceling statement due to statement timeout" in first or first == "interrupted":
            first = f"did not finish within {self.timeout:g} s ({first})"
        elif "read-only transaction" in first or "readonly database" in first:
            first += " (the statement writes: the control plane is only read)"
        for secret in sorted(self._secrets, key=len, reverse=True):
            first = first.replace(secret, redact.MASK)
        return redact.scrub(first)

    def close(self) -> None:
        self.engine.dispose()


def _text(value: Any) -> Any:
    return bytes(value).decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else value


def _register(dsn: str) -> set[str]:
    """The DSN's password, wherever the URL holds it (user:password@ or ?password=), is a
    secret for every log line and result; returned for scrubbing this module's messages."""
    redact.register(dsn)
    found = {dsn}
    with contextlib.suppress(ArgumentError, ValueError):
        url = make_url(dsn.strip())
        in_query = url.query.get("password")
        for value in (url.password, *(in_query if isinstance(in_query, tuple) else (in_query,))):
            if isinstance(value, str) and len(value) >= 3:
                redact.register(value)
                found.add(value)
    return found
