"""The two-extension limit and single-use links hold against concurrent processes (cold Lambda
instances posting at once through the real handler), on SQLite and on a real PostgreSQL, both
starting from a fresh state DB whose schema the first requests create together. And a
database the release before wrote gets its extensions numbered."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jobs.core.state.engine import StateStore
from jobs.core.state.migrations import version_of
from jobs.ttl_teardown.state import Extension, NewExtension, Refusal, record_extension
from tests.ttl_teardown import snooze_worker
from tests.ttl_teardown.snooze_site import Site, arn, query_of

PROCESSES = 6


def state_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, empty state DB: no schema yet."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/fresh.db"
    return str(request.getfixturevalue("postgres").create_database(f"snooze_{tmp_path.name[-20:].lower()}"))


def together(target: Any, args: list[tuple[Any, ...]]) -> list[Any]:
    """`target(*arg, barrier, answers)` in one process per arg, all released at once; the answers."""
    ctx = multiprocessing.get_context("fork")  # forked from this interpreter: no re-import per process
    barrier, answers = ctx.Barrier(len(args)), ctx.Queue()
    workers = [ctx.Process(target=target, args=(*arg, barrier, answers)) for arg in args]
    for worker in workers:
        worker.start()
    found = [answers.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    return sorted(found)


def post_together(bodies: list[str]) -> list[tuple[int, str]]:
    """Each body POSTed by its own process through the handler, all released at once."""
    return together(snooze_worker.post, [(body,) for body in bodies])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_slow_decision_cannot_let_two_processes_record_past_the_limits(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Each process decides for 0.3 s between reading the extensions and recording its own (as
    a slow inventory read would): the unique (resource, number) still lets one record each number."""
    url = state_url(backend, tmp_path, request)
    StateStore(url).upgrade(datetime.now(UTC))
    answers = together(snooze_worker.record, [(url, days) for days in (14, 7, 7, 14, 7, 7)])
    store = StateStore(url)
    with store.session() as s:
        rows = s.execute(select(Extension.number, Extension.days).order_by(Extension.number)).all()
    assert len(rows) <= 3 and sum(days for _, days in rows) <= 21, rows
    assert [n for n, _ in rows] == list(range(1, len(rows) + 1))
    assert sorted(a for a in answers if a != "refused") == [f"granted {n}" for n, _ in rows]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_links_for_one_resource_record_no_more_than_the_count_and_the_total(
    backend: str, fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Six different valid links for one resource (14, 14, 7, 7, 7 and 14 days) against at most
    3 extensions and 21 days: what is recorded never passes either bound, and each 303 is one."""
    limits = {"allowed_days": [7, 14], "max_count": 3, "max_total_days": 21}
    site = Site(fleet, monkeypatch, state_url(backend, tmp_path, request), extension=limits)
    links = [site.link(days=d, hours=72 + i) for i, d in enumerate([14, 14, 7, 7, 7, 14])]
    answers = post_together([query_of(link) for link in links])
    statuses = [status for status, _ in answers]
    assert set(statuses) <= {303, 409}, answers  # never a 5xx, never a traceback
    rows = site.rows()
    assert 1 <= len(rows) <= 3 and sum(row[1] for row in rows) <= 21, rows
    assert statuses.count(303) == len(rows) and sorted(row[2] for row in rows) == list(range(1, len(rows) + 1))
    assert all("Cannot extend now." in page for status, page in answers if status == 409)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_one_link_posted_by_six_processes_at_once_extends_once(
    backend: str, fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    site = Site(fleet, monkeypatch, state_url(backend, tmp_path, request))
    answers = post_together([query_of(site.link())] * PROCESSES)
    assert [status for status, _ in answers] == [303] + [409] * (PROCESSES - 1), answers
    assert all("Already used" in page or "already used" in page for status, page in answers if status == 409)
    assert [row[:3] for row in site.rows()] == [(arn(site.ids["doomed"]), 7.0, 1)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_release_4_database_gets_its_extensions_numbered_and_the_next_one_follows(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.test_state_migrations import release_db

    store = StateStore(release_db(backend, tmp_path, request))
    store.upgrade(datetime(2026, 12, 2, tzinfo=UTC))
    with store.engine.connect() as conn:
        assert version_of(conn, "ttl-teardown") == 3
    resource = "arn:aws:ec2:us-east-1:123456789012:instance/i-0fixture"
    with store.session() as s:
        numbered = s.execute(select(Extension.days, Extension.number).where(Extension.resource == resource)).all()
    assert sorted(map(tuple, numbered)) == [(1.5, 2), (3.0, 1)]
    new = NewExtension(resource, 7, "demo", "dana@example.com", datetime(2026, 12, 2, tzinfo=UTC), "ab" * 32)
    granted = record_extension(store, new, lambda before: None)
    assert not isinstance(granted, Refusal) and (granted.number, granted.before) == (3, (3.0, 1.5))
    again = record_extension(store, new, lambda before: None)
    assert again == Refusal("this link was already used", link_used=True)
