"""The state DB on SQLite and on a real PostgreSQL: migrations, locks, history, one acting run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.core.state.alerts import AlertRecord, alert_states, save_alert
from jobs.core.state.caches import cache_get, cache_put
from jobs.core.state.engine import StateStore
from jobs.core.state.locks import acquire_lock, acquire_resource_lock, lock_holder, release_lock, release_resource_lock
from jobs.core.state.runs import run_counts
from jobs.core.state.schema import SCHEMA_VERSION
from jobs.secret_rotation.journal_store import journal, open_operations, prune_journal
from tests import services
from tests.helpers import rival_runs, run_sample, write_config
from tests.sample_jobs import write_items

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/state.db"
    postgres: services.Postgres = request.getfixturevalue("postgres")
    return postgres.create_database(f"state_{tmp_path.name[-20:].lower().replace('-', '_')}")


def test_migrations_are_explicit_versioned_and_idempotent(db_url: str) -> None:
    store = StateStore(db_url)
    assert store.current_version() == 0
    assert store.upgrade(NOW) == list(range(1, SCHEMA_VERSION + 1))
    assert store.upgrade(NOW) == []
    assert store.current_version() == SCHEMA_VERSION


def test_an_older_schema_is_upgraded_step_by_step(db_url: str) -> None:
    from sqlalchemy import inspect

    from jobs.core.state import schema as state

    store = StateStore(db_url)
    first = state.MIGRATIONS[:1]
    first[0][2](store.engine)  # a database made by the first release
    with store.session() as s:
        s.add(state.SchemaVersion(version=1, name=first[0][1], applied_at=NOW))
    assert not inspect(store.engine).has_table("secops_audit")
    assert store.upgrade(NOW) == [v for v, _, _ in state.MIGRATIONS[1:]]
    assert inspect(store.engine).has_table("secops_audit")


def test_one_lock_per_job_and_shard_and_a_stale_one_is_taken_over(db_url: str) -> None:
    store = StateStore(db_url)
    store.upgrade(NOW)
    ttl = timedelta(hours=1)
    assert acquire_lock(store, "job", "all", "run-1", NOW, ttl)
    assert not acquire_lock(store, "job", "all", "run-2", NOW + timedelta(minutes=59), ttl)
    assert acquire_lock(store, "job", "0/2", "run-3", NOW, ttl)  # another shard is independent
    assert acquire_lock(store, "job", "all", "run-4", NOW + timedelta(minutes=61), ttl)  # holder crashed
    holder = lock_holder(store, "job", "all")
    assert holder is not None and holder.run_id == "run-4"
    release_lock(store, "job", "all", "run-1")  # a late release by the old holder changes nothing
    assert lock_holder(store, "job", "all") is not None
    release_lock(store, "job", "all", "run-4")
    assert lock_holder(store, "job", "all") is None


def test_a_lock_left_by_a_process_that_died_is_taken_over_at_once(db_url: str) -> None:
    import socket
    import subprocess
    import sys

    from sqlalchemy import update

    from jobs.core.state.locks import ResourceLock, RunLock

    store = StateStore(db_url)
    store.upgrade(NOW)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{socket.gethostname()}:{gone.stdout.strip()}"  # a pid that has exited
    ttl = timedelta(hours=6)
    assert acquire_lock(store, "job", "all", "run-1", NOW, ttl)
    assert acquire_resource_lock(store, "job", "apps/db", "run-1", NOW, ttl)
    assert not acquire_lock(store, "job", "all", "run-2", NOW, ttl)  # its holder (this process) is alive
    assert not acquire_resource_lock(store, "job", "apps/db", "run-2", NOW, ttl)
    assert acquire_resource_lock(store, "job", "apps/db", "run-1", NOW, ttl)  # the holder may take it again
    with store.session() as s:
        s.execute(update(RunLock).values(holder=dead))
        s.execute(update(ResourceLock).values(holder=dead))
    assert acquire_lock(store, "job", "all", "run-2", NOW, ttl)
    assert acquire_resource_lock(store, "job", "apps/db", "run-2", NOW, ttl)
    release_resource_lock(store, "job", "apps/db", "run-1")  # a late release by the dead run changes nothing
    assert not acquire_resource_lock(store, "job", "apps/db", "run-3", NOW, ttl)


def test_alert_state_and_cache_round_trip_with_aware_times(db_url: str) -> None:
    store = StateStore(db_url)
    store.upgrade(NOW)
    record = AlertRecord("critical", "cert expiring", NOW, NOW + timedelta(hours=1))
    save_alert(store, "job", "all", "certificate:file:a.pem", record)
    assert alert_states(store, "job", "all") == {"certificate:file:a.pem": record}
    save_alert(store, "job", "all", "certificate:file:a.pem", None)
    assert alert_states(store, "job", "all") == {}
    cache_put(store, "pki", {"1a:2b": {"not_after": "2027-01-01T00:00:00Z"}}, NOW)
    assert cache_get(store, "pki", ["1a:2b", "ff"]) == {"1a:2b": {"not_after": "2027-01-01T00:00:00Z"}}


def test_a_whole_run_keeps_its_history_in_postgresql(postgres: services.Postgres, tmp_path: Path) -> None:
    url = postgres.create_database("history_run")
    write_items(tmp_path / "s", {"id": "a", "severity": "warning"})
    config = write_config(tmp_path / "c.yaml", {"state_db_url": url})
    first = run_sample(tmp_path / "s", "--config", config)
    second = run_sample(tmp_path / "s", "--config", config)
    assert (first.code, second.code) == (0, 0)
    assert run_counts(StateStore(url), "sample-store", "all") == {"success": 2}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_concurrent_runs_one_acts_and_one_is_skipped(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = tmp_path / "store"
    write_items(store, {"id": "old", "expires_at": "2020-01-01T00:00:00+00:00"}, *[{"id": f"k{i}"} for i in range(9)])
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/state.db"
    else:
        url = request.getfixturevalue("postgres").create_database("concurrency")
    config = write_config(tmp_path / "c.yaml", {"state_db_url": url})
    StateStore(url).upgrade(NOW)
    argv = ("--apply", "--json", "--config", config)
    outputs = rival_runs(store, argv, argv, cwd=tmp_path)  # the second starts while the first holds the lock
    codes = [code for code, _, _ in outputs]
    results = [json.loads(out) for _, out, _ in outputs]
    assert codes == [0, 0], [err for _, _, err in outputs]
    assert [r["status"] for r in results] == ["success", "skipped"]
    assert results[1]["reason"].startswith(f"run {results[0]['run_id']} has held the lock since")
    assert results[1]["actions"] == []
    assert [a["outcome"] for a in results[0]["actions"]] == ["done"]


def test_the_journal_forgets_old_closed_operations_and_keeps_open_ones(db_url: str) -> None:
    store = StateStore(db_url)
    store.upgrade(NOW)
    old, recent = NOW - timedelta(days=100), NOW - timedelta(days=1)
    for op, subject, at, closed in (
        ("op-old", "a", old, True),
        ("op-new", "b", recent, True),
        ("op-open", "c", old, False),
    ):
        journal(store, "job", subject, op, at, [("lock", "after", {"from": 1})])
        if closed:
            journal(store, "job", subject, op, at, [("done", "closed", {})])
    assert prune_journal(store, "job", "closed", NOW - timedelta(days=90)) == 2
    assert list(open_operations(store, "job", "closed")) == ["c"]
    assert prune_journal(store, "job", "closed", NOW - timedelta(days=90)) == 0
    with store.session() as s:
        from sqlalchemy import func, select

        from jobs.secret_rotation.journal_store import JournalRow

        assert s.scalar(select(func.count()).select_from(JournalRow)) == 3  # op-new (2) and op-open (1)


def test_a_release_2_database_gains_lock_holders_and_secret_locks(db_url: str) -> None:
    """Migration 3 on a database made before it: run locks had no holder column."""
    from sqlalchemy import inspect, text

    from jobs.core.state import schema as state

    store = StateStore(db_url)
    for _, _, step in state.MIGRATIONS[:2]:
        step(store.engine)
    with store.engine.begin() as conn:  # the run-lock table as release 2 made it
        conn.execute(text("DROP TABLE secops_run_locks"))
        conn.execute(
            text(
                "CREATE TABLE secops_run_locks (job_id VARCHAR(64) NOT NULL, shard VARCHAR(32) NOT NULL, "
                "run_id VARCHAR(36) NOT NULL, acquired_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL, "
                "PRIMARY KEY (job_id, shard))"
            )
        )
    with store.session() as s:
        s.add_all([state.SchemaVersion(version=v, name=n, applied_at=NOW) for v, n, _ in state.MIGRATIONS[:2]])
    assert store.upgrade(NOW) == list(range(3, SCHEMA_VERSION + 1))
    assert "holder" in {c["name"] for c in inspect(store.engine).get_columns("secops_run_locks")}
    assert acquire_lock(store, "job", "all", "run-1", NOW, timedelta(hours=1))
    assert acquire_resource_lock(store, "job", "apps/db", "run-1", NOW, timedelta(hours=1))
