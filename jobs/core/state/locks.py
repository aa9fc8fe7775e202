"""Run locks (one run per job and shard) and resource locks (one secret mid-rotation).

A lock names its holder (host:pid), so one left by a process on this host that has exited
is taken over at once, and one past its expiry by anyone.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.digits import is_ascii_digits
from jobs.core.state.base import Base, Store
from jobs.core.state.durability import durable

HOLDER = f"{socket.gethostname()}:{os.getpid()}"


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


@durable
def acquire_lock(
    state: Store, job_id: str, shard: str, run_id: str, now: datetime, ttl: timedelta, mode: str | None = None
) -> bool:
    """True if this run now holds the lock; one past its expiry, or left by a process on
    this host that has exited, is taken over. `mode` tells others what kind of run holds it."""
    values = {"run_id": run_id, "acquired_at": now, "expires_at": now + ttl, "holder": HOLDER, "mode": mode}
    try:
        with state.session() as s:
            s.add(RunLock(job_id=job_id, shard=shard, **values))
        return True
    except IntegrityError:
        pass
    with state.session() as s:
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


@durable
def lock_holder(state: Store, job_id: str, shard: str) -> RunLock | None:
    with state.session() as s:
        return s.get(RunLock, (job_id, shard))


@durable
def release_lock(state: Store, job_id: str, shard: str, run_id: str) -> None:
    with state.session() as s:
        s.execute(delete(RunLock).where(RunLock.job_id == job_id, RunLock.shard == shard, RunLock.run_id == run_id))


def acquire_resource_lock(state: Store, job_id: str, resource: str, run_id: str, now: datetime, ttl: timedelta) -> bool:
    """The same rules for one resource; the run that holds it may take it again."""
    try:
        with state.session() as s:
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
    with state.session() as s:
        row = s.get(ResourceLock, (job_id, resource))
        if row is None:
            return False
        if not (row.run_id == run_id or row.expires_at < now or holder_gone(row.holder)):
            return False
        taken = s.execute(
            update(ResourceLock)
            .where(ResourceLock.job_id == job_id, ResourceLock.resource == resource, ResourceLock.run_id == row.run_id)
            .values(run_id=run_id, holder=HOLDER, acquired_at=now, expires_at=now + ttl)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]


def refresh_resource_lock(state: Store, job_id: str, resource: str, run_id: str, now: datetime, ttl: timedelta) -> bool:
    """The holder's heartbeat: its lock now expires `ttl` from `now`. False if the lock
    is no longer this run's (it was taken over)."""
    with state.session() as s:
        kept = s.execute(
            update(ResourceLock)
            .where(ResourceLock.job_id == job_id, ResourceLock.resource == resource, ResourceLock.run_id == run_id)
            .values(expires_at=now + ttl)
        )
        return bool(kept.rowcount)  # type: ignore[attr-defined]


def release_resource_lock(state: Store, job_id: str, resource: str, run_id: str) -> None:
    with state.session() as s:
        s.execute(
            delete(ResourceLock).where(
                ResourceLock.job_id == job_id, ResourceLock.resource == resource, ResourceLock.run_id == run_id
            )
        )
