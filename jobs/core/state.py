"""The durable state every later run trusts: history, alert state, locks, job journals.

SQLite by default, PostgreSQL in production; the models and migrations are in schema.py.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import create_engine, delete, event, func, insert, select, update
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from jobs.core.digits import is_ascii_digits
from jobs.core.durability import RETRY_SECONDS, SQLITE_BUSY_MS, retrying
from jobs.core.errors import ConfigError
from jobs.core.model import Outcome
from jobs.core.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    AlertState,
    AuditEntry,
    CacheEntry,
    Extension,
    FindingRow,
    JournalEntry,
    ResourceLock,
    Run,
    RunLock,
    SchemaVersion,
    WarningSent,
    migrate,
    version_of,
)

__all__ = [  # the models are importable from here too: callers need not know where they live
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AlertRecord",
    "AuditEntry",
    "FindingRow",
    "JournalEntry",
    "ResourceLock",
    "Run",
    "RunLock",
    "SchemaVersion",
    "StateStore",
    "holder_gone",
    "new_run_id",
]


HOLDER = f"{socket.gethostname()}:{os.getpid()}"
P = ParamSpec("P")
T = TypeVar("T")


def holder_gone(holder: str | None) -> bool:
    """A holder on this host whose process has exited (a crash, a kill -9)."""
    host, _, pid = (holder or "").rpartition(":")
    if host != socket.gethostname() or not is_ascii_digits(pid):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _sqlite_wal(connection: Any, _record: Any, busy_ms: int = SQLITE_BUSY_MS) -> None:
    """Write-ahead logging with `synchronous=NORMAL`: a commit survives the process dying
    (what the rotation journal and the locks guard against) without an fsync each; readers
    never wait for the writer. bench/secret_rotation.py: 30 → 57 rotations/s."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")  # first: switching to WAL waits for others too
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def durable(method: Callable[Concatenate[StateStore, P], T]) -> Callable[Concatenate[StateStore, P], T]:
    """A store method retried while the DB is locked or unreachable (StateStore.retrying)."""

    def wrapper(self: StateStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.retrying(lambda: method(self, *args, **kwargs), method.__name__)

    functools.update_wrapper(wrapper, method)
    return wrapper


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we ship), not psycopg2."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass(frozen=True)
class AlertRecord:
    severity: str
    title: str
    first_sent_at: datetime
    last_sent_at: datetime


class StateStore:
    """The one door to the state DB; sessions are short and never cross a network call."""

    def __init__(self, url: str, retry_seconds: float = RETRY_SECONDS) -> None:
        self.retry_seconds = retry_seconds
        try:
            url = normalise_url(url)  # a network database may drop idle connections: ping before use
            self.engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"), future=True)
        except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
            why = (  # the driver's reason; never the URL itself, which may carry a password
                "not a database URL (e.g. sqlite:///./secops-state.db or postgresql://user@host/db)"
                if type(exc) is ArgumentError
                else f"no such kind of database ({exc})"
                if isinstance(exc, NoSuchModuleError)
                else f"its driver is not installed ({exc})"
                if isinstance(exc, ImportError)
                else str(exc)
            )
            raise ConfigError(f"state_db_url: cannot use this URL: {why}") from None
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

    # -- schema ---------------------------------------------------------------
    @durable
    def current_version(self) -> int:
        with self.engine.connect() as conn:
            return version_of(conn)

    @durable
    def upgrade(self, now: datetime) -> list[int]:
        """Apply pending migrations (schema.migrate: once, under a lock, in one transaction)."""
        with self.engine.connect() as conn:
            return migrate(conn, now)

    # -- run lock -------------------------------------------------------------
    @durable
    def acquire_lock(
        self, job_id: str, shard: str, run_id: str, now: datetime, ttl: timedelta, mode: str | None = None
    ) -> bool:
        """True if this run now holds the lock; one past its expiry, or left by a process on
        this host that has exited, is taken over. `mode` tells others what kind of run holds it."""
        values = {"run_id": run_id, "acquired_at": now, "expires_at": now + ttl, "holder": HOLDER, "mode": mode}
        try:
            with self.session() as s:
                s.add(RunLock(job_id=job_id, shard=shard, **values))
            return True
        except IntegrityError:
            pass
        with self.session() as s:
            row = s.get(RunLock, (job_id, shard))
            if row is not None and row.run_id == run_id:
                return True  # a retried insert that had committed after all
            stale = RunLock.expires_at < now
            if row is not None and holder_gone(row.holder):
                stale = RunLock.run_id == row.run_id
            taken = s.execute(
                update(RunLock).where(RunLock.job_id == job_id, RunLock.shard == shard, stale).values(**values)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def acquire_resource_lock(self, job_id: str, resource: str, run_id: str, now: datetime, ttl: timedelta) -> bool:
        """The same rules for one resource; the run that holds it may take it again."""
        try:
            with self.session() as s:
                s.add(
                    ResourceLock(
                        job_id=job_id,
                        resource=resource,
                        run_id=run_id,
                        holder=HOLDER,
                        acquired_at=now,
                        expires_at=now + ttl,
                    )
                )
            return True
        except IntegrityError:
            pass
        with self.session() as s:
            row = s.get(ResourceLock, (job_id, resource))
            if row is None:
                return False
            if not (row.run_id == run_id or row.expires_at < now or holder_gone(row.holder)):
                return False
            taken = s.execute(
                update(ResourceLock)
                .where(
                    ResourceLock.job_id == job_id, ResourceLock.resource == resource, ResourceLock.run_id == row.run_id
                )
                .values(run_id=run_id, holder=HOLDER, acquired_at=now, expires_at=now + ttl)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def refresh_resource_lock(self, job_id: str, resource: str, run_id: str, now: datetime, ttl: timedelta) -> bool:
        """The holder's heartbeat: its lock now expires `ttl` from `now`. False if the lock
        is no longer this run's (it was taken over)."""
        with self.session() as s:
            kept = s.execute(
                update(ResourceLock)
                .where(ResourceLock.job_id == job_id, ResourceLock.resource == resource, ResourceLock.run_id == run_id)
                .values(expires_at=now + ttl)
            )
            return bool(kept.rowcount)  # type: ignore[attr-defined]

    def release_resource_lock(self, job_id: str, resource: str, run_id: str) -> None:
        with self.session() as s:
            s.execute(
                delete(ResourceLock).where(
                    ResourceLock.job_id == job_id, ResourceLock.resource == resource, ResourceLock.run_id == run_id
                )
            )

    @durable
    def lock_holder(self, job_id: str, shard: str) -> RunLock | None:
        with self.session() as s:
            return s.get(RunLock, (job_id, shard))

    @durable
    def release_lock(self, job_id: str, shard: str, run_id: str) -> None:
        with self.session() as s:
            s.execute(delete(RunLock).where(RunLock.job_id == job_id, RunLock.shard == shard, RunLock.run_id == run_id))

    # -- history --------------------------------------------------------------
    @durable
    def record_run(self, run: Run, findings: list[dict[str, Any]], audit: list[dict[str, Any]]) -> None:
        """The run, its findings and its actions (plain dicts: one executemany each)."""
        with self.session() as s:
            s.add(run)
            s.flush()
            if findings:
                s.execute(insert(FindingRow), [{**f, "run_id": run.run_id} for f in findings])
            if audit:
                s.execute(insert(AuditEntry), [{**a, "run_id": run.run_id, "job_id": run.job_id} for a in audit])

    @durable
    def done_actions(self, job_id: str, kind: str, outcomes: Sequence[Outcome] = ()) -> list[dict[str, Any]]:
        """The details of every `kind` action done, this run's included: each is in the audit
        as soon as it is done (intents.AuditLog), so `outcomes` adds nothing any more."""
        with self.session() as s:
            rows = s.scalars(
                select(AuditEntry.details).where(
                    AuditEntry.job_id == job_id, AuditEntry.kind == kind, AuditEntry.outcome == "done"
                )
            )
            return [dict(d) for d in rows]

    @durable
    def run_counts(self, job_id: str, shard: str) -> dict[str, int]:
        with self.session() as s:
            rows = s.execute(
                select(Run.status, func.count()).where(Run.job_id == job_id, Run.shard == shard).group_by(Run.status)
            )
            return {status: int(count) for status, count in rows}

    @durable
    def last_success(self, job_id: str, shard: str) -> datetime | None:
        with self.session() as s:
            return s.scalar(
                select(func.max(Run.completed_at)).where(
                    Run.job_id == job_id, Run.shard == shard, Run.status == "success"
                )
            )

    # -- alert state ----------------------------------------------------------
    def alert_states(self, job_id: str, shard: str) -> dict[str, AlertRecord]:
        with self.session() as s:
            rows = s.scalars(select(AlertState).where(AlertState.job_id == job_id, AlertState.shard == shard))
            return {r.alert_key: AlertRecord(r.severity, r.title, r.first_sent_at, r.last_sent_at) for r in rows}

    def save_alert(self, job_id: str, shard: str, key: str, record: AlertRecord | None) -> None:
        """Store what was last sent for `key`; None forgets it (the finding cleared)."""
        with self.session() as s:
            row = s.get(AlertState, (job_id, shard, key))
            if record is None:
                if row is not None:
                    s.delete(row)
                return
            if row is None:
                row = AlertState(job_id=job_id, shard=shard, alert_key=key)
                s.add(row)
            row.severity, row.title = record.severity, record.title
            row.first_sent_at, row.last_sent_at = record.first_sent_at, record.last_sent_at

    # -- warnings and extensions ------------------------------------------------
    def warnings_sent(self, job_id: str, resources: list[str]) -> dict[str, dict[str, datetime]]:
        """resource → {warning key → when sent}, in batches (an IN list per 500)."""
        found: dict[str, dict[str, datetime]] = {}
        with self.session() as s:
            for start in range(0, len(resources), 500):
                chunk = resources[start : start + 500]
                rows = s.scalars(
                    select(WarningSent).where(WarningSent.job_id == job_id, WarningSent.resource.in_(chunk))
                )
                for row in rows:
                    found.setdefault(row.resource, {})[row.warning] = row.sent_at
        return found

    def record_warning(self, job_id: str, resource: str, warning: str, at: datetime, details: dict[str, Any]) -> None:
        with self.session() as s:
            if s.get(WarningSent, (job_id, resource, warning)) is None:
                s.add(WarningSent(job_id=job_id, resource=resource, warning=warning, sent_at=at, details=details))

    def extension_days(self, resources: list[str]) -> dict[str, float]:
        totals: dict[str, float] = {}
        with self.session() as s:
            for start in range(0, len(resources), 500):
                chunk = resources[start : start + 500]
                rows = s.execute(
                    select(Extension.resource, func.sum(Extension.days))
                    .where(Extension.resource.in_(chunk))
                    .group_by(Extension.resource)
                )
                totals.update({resource: float(days) for resource, days in rows})
        return totals

    def extensions(self, resource: str) -> list[float]:
        with self.session() as s:
            return [float(d) for d in s.scalars(select(Extension.days).where(Extension.resource == resource))]

    def add_extension(self, resource: str, days: float, reason: str, by: str, at: datetime) -> None:
        with self.session() as s:
            s.add(Extension(resource=resource, days=days, reason=reason, requested_by=by, created_at=at))

    # -- journal --------------------------------------------------------------
    @durable
    def journal(
        self, job_id: str, subject: str, operation_id: str, at: datetime, entries: Sequence[tuple[str, str, Any]]
    ) -> None:
        """(step, phase, data) entries of a multi-step operation, in one commit (never a secret
        value). One Core INSERT, no ORM unit of work: a rotation writes several."""
        rows = [
            {
                "job_id": job_id,
                "subject": subject,
                "operation_id": operation_id,
                "step": step,
                "phase": phase,
                "at": at,
                "data": dict(data),
            }
            for step, phase, data in entries
        ]
        with self.engine.begin() as conn:
            conn.execute(insert(JournalEntry), rows)

    def open_operations(self, job_id: str, closed: str) -> dict[str, list[JournalEntry]]:
        """subject → the entries of its operation that never reached phase `closed` (a crash)."""
        with self.session() as s:
            ended = select(JournalEntry.operation_id).where(JournalEntry.job_id == job_id, JournalEntry.phase == closed)
            rows = s.scalars(
                select(JournalEntry)
                .where(JournalEntry.job_id == job_id, JournalEntry.operation_id.not_in(ended))
                .order_by(JournalEntry.id)
            )
            found: dict[str, list[JournalEntry]] = {}
            for row in rows:
                found.setdefault(row.subject, []).append(row)
            return found

    def prune_journal(self, job_id: str, closed: str, before: datetime) -> int:
        """Forget operations that closed before `before`: the audit keeps what was done, and
        the journal only has to outlive a crash. Returns how many entries went."""
        with self.session() as s:
            old = select(JournalEntry.operation_id).where(
                JournalEntry.job_id == job_id, JournalEntry.phase == closed, JournalEntry.at < before
            )
            gone = s.execute(delete(JournalEntry).where(JournalEntry.operation_id.in_(old)))
            return int(gone.rowcount)  # type: ignore[attr-defined]

    # -- cache ----------------------------------------------------------------
    def cache_get(self, namespace: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        with self.session() as s:
            rows = s.scalars(select(CacheEntry).where(CacheEntry.namespace == namespace, CacheEntry.key.in_(keys)))
            return {r.key: r.value for r in rows}

    def cache_put(self, namespace: str, values: dict[str, dict[str, Any]], now: datetime) -> None:
        with self.session() as s:
            for key, value in values.items():
                row = s.get(CacheEntry, (namespace, key))
                if row is None:
                    s.add(CacheEntry(namespace=namespace, key=key, value=value, updated_at=now))
                else:
                    row.value, row.updated_at = value, now


def new_run_id() -> str:
    return str(uuid.uuid4())
