"""repo-scanner's own tables: the history watermarks and the history hits of earlier runs.

Owned here, migrated by the core's migrator (jobs/core/state/owners.py names this module):
`MIGRATIONS` is this job's table, versioned from 1. A watermark is the last commit of a branch
whose history was scanned; a history hit is what the secrets engine found in a commit, kept so
a later run (which reads only newer commits) still reports it while it is reachable. Neither
holds a secret: a hit is its keyed fingerprint, a masked form and where it was.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.state.base import Base
from jobs.core.state.counters import Tally
from jobs.core.state.migrations import Migration, create

JOB_ID = "repo-scanner"
TALLIES: tuple[Tally, ...] = ()


class Watermark(Base):
    """repo + branch → the last commit scanned on it."""

    __tablename__ = "secops_repo_watermarks"
    repo: Mapped[str] = mapped_column(String(512), primary_key=True)
    branch: Mapped[str] = mapped_column(String(512), primary_key=True)
    commit: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime]


class HistoryHit(Base):
    """A secret found in a commit's added lines (never the secret: fingerprint and mask)."""

    __tablename__ = "secops_repo_history_hits"
    __table_args__ = (UniqueConstraint("repo", "fingerprint", "commit", name="uq_repo_history_hit"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    repo: Mapped[str] = mapped_column(String(512), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(Integer)
    commit: Mapped[str] = mapped_column(String(64))
    author: Mapped[str | None] = mapped_column(Text, nullable=True)
    date: Mapped[str | None] = mapped_column(String(40), nullable=True)
    category: Mapped[str] = mapped_column(String(64))
    redacted: Mapped[str] = mapped_column(String(200))
    secret_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str] = mapped_column(Text)


#: this job's migrations; append only, never edit a released step
MIGRATIONS: list[Migration] = [
    Migration(1, "history watermarks and hits", create(Watermark, HistoryHit)),
]
