"""The history store on SQLite and PostgreSQL: hits and watermarks in one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from jobs.core.errors import StateUnavailable
from jobs.core.state.engine import StateStore
from jobs.repo_scanner import history_store
from jobs.repo_scanner.model import BranchProgress, Hit, ScanTarget
from jobs.repo_scanner.state import HistoryHit, Watermark

TARGET = ScanTarget("platform/api", url="https://gitlab.example.test/platform/api.git")


def hit(commit: str, fingerprint: str = "f" * 64, line: int = 3) -> Hit:
    return Hit(
        type="secret",
        scanner="secrets",
        rule="aws-access-key-id",
        path="config/prod.env",
        line=line,
        message="AWS access key id",
        fingerprint=fingerprint,
        category="secret:key",
        redacted="AKIA…(20 chars)",
        commit=commit,
        author="Ada Dev <ada@example.test>",
        date="2026-11-30T10:00:00+00:00",
        secret_id="s" * 64,
    )


def rows(state: StateStore) -> tuple[int, dict[str, str]]:
    with state.session() as s:
        count = s.scalar(select(func.count()).select_from(HistoryHit)) or 0
        marks = {w.branch: w.commit for w in s.scalars(select(Watermark))}
    return count, marks


def test_hits_and_watermarks_are_recorded_together_and_a_repeat_changes_nothing(any_state: StateStore) -> None:
    first = [BranchProgress("main", "a" * 40, None), BranchProgress("dev", "b" * 40, None)]
    history_store.record(any_state, TARGET, first, [hit("1" * 40), hit("2" * 40, "e" * 64)])
    history_store.record(any_state, TARGET, first, [hit("1" * 40)])  # a retried action
    assert rows(any_state) == (2, {"main": "a" * 40, "dev": "b" * 40})
    history_store.record(any_state, TARGET, [BranchProgress("main", "c" * 40, "a" * 40)], [])
    assert history_store.watermarks(any_state, "platform/api") == {"main": "c" * 40, "dev": "b" * 40}
    assert history_store.watermarks(any_state, "other") == {}
    assert history_store.stored_hits(any_state, "platform/api") == [hit("1" * 40), hit("2" * 40, "e" * 64)]


TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER no_marks BEFORE INSERT ON secops_repo_watermarks BEGIN SELECT RAISE(ABORT, 'disk said no'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION no_marks() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk said no'; END $$ "
        "LANGUAGE plpgsql",
        "CREATE TRIGGER no_marks BEFORE INSERT ON secops_repo_watermarks FOR EACH ROW EXECUTE FUNCTION no_marks()",
    ],
}


def test_a_failure_after_the_hits_were_written_stores_neither(any_state: StateStore) -> None:
    """The database itself refuses the watermark (a trigger), after the hits' INSERT ran:
    the hits are rolled back with it, so no watermark ever passes unstored hits, and no hit
    is half recorded."""
    with any_state.engine.begin() as conn:
        for statement in TRIGGERS[any_state.engine.dialect.name]:
            conn.execute(text(statement))
    with pytest.raises((DBAPIError, StateUnavailable), match="disk said no"):
        history_store.record(any_state, TARGET, [BranchProgress("main", "a" * 40, None)], [hit("1" * 40)])
    assert rows(any_state) == (0, {})
