"""Watermarks and history hits in the state DB: read at collect, written by the one action.

`record` stores a run's new history hits and moves the branches' watermarks in ONE
transaction: killed before its commit, neither happened and the next run scans the same
commits again; after it, both did. A watermark never passes a commit whose hits are not stored.
Re-recording a hit (a rival run, a retried action) changes nothing: one row per repository,
fingerprint and commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from jobs.core.state.base import Store, upsert_insert
from jobs.core.state.durability import durable
from jobs.repo_scanner.model import BranchProgress, Hit, ScanTarget, printable
from jobs.repo_scanner.state import HistoryHit, Watermark

_HIT_KEY = ("repo", "fingerprint", "commit")


def _row(repo: str, hit: Hit) -> dict[str, Any]:
    return {
        "repo": repo,
        "fingerprint": hit.fingerprint,
        "rule": hit.rule,
        "path": printable(hit.path),
        "line": hit.line,
        "commit": hit.commit or "",
        "author": printable(hit.author) if hit.author else None,
        "date": hit.date,
        "category": hit.category,
        "redacted": hit.redacted,
        "secret_id": hit.secret_id,
        "message": hit.message,
    }


@durable
def record(state: Store, target: ScanTarget, progress: Sequence[BranchProgress], hits: Sequence[Hit]) -> None:
    """The run's new history hits and the watermarks they were found under, together."""
    now = datetime.now(UTC)  # when the row was written, for people; no decision reads it
    rows = [_row(target.name, hit) for hit in hits if hit.commit]
    with state.engine.begin() as conn:
        insert = upsert_insert(conn)
        if rows:
            conn.execute(insert(HistoryHit).values(rows).on_conflict_do_nothing(index_elements=list(_HIT_KEY)))
        for moved in progress:
            statement = insert(Watermark).values(repo=target.name, branch=moved.branch, commit=moved.tip, updated=now)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["repo", "branch"], set_={"commit": moved.tip, "updated": now}
                )
            )


@durable
def watermarks(state: Store, repo: str) -> dict[str, str]:
    """branch → the last commit scanned on it."""
    with state.session() as s:
        rows = s.execute(select(Watermark.branch, Watermark.commit).where(Watermark.repo == repo))
        return {str(branch): str(commit) for branch, commit in rows}


@durable
def stored_hits(state: Store, repo: str) -> list[Hit]:
    """Every history hit recorded for `repo`, as Hits again (secret-free as they were)."""
    with state.session() as s:
        rows = s.scalars(select(HistoryHit).where(HistoryHit.repo == repo).order_by(HistoryHit.id))
        return [
            Hit(
                type="secret",
                scanner="secrets",
                rule=row.rule,
                path=row.path,
                line=row.line,
                message=row.message,
                fingerprint=row.fingerprint,
                category=row.category,
                redacted=row.redacted,
                commit=row.commit,
                author=row.author,
                date=row.date,
                secret_id=row.secret_id,
            )
            for row in rows
        ]
