"""A state DB the current release wrote (schema 4) upgrades in place, on SQLite and on a real
PostgreSQL: every row still reads through the stores that now own it, the counters equal what
the release's audit rescan gave, and a second upgrade changes nothing.

The fixtures (tests/fixtures/state_v4.*) were written by that release's own code: see
tests/fixtures/make_state_v4.py.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import inspect, select, text

from jobs.core.audit import entries
from jobs.core.intents import AuditLog
from jobs.core.model import Plan
from jobs.core.state.alerts import alert_states
from jobs.core.state.caches import cache_get
from jobs.core.state.engine import StateStore
from jobs.core.state.locks import lock_holder
from jobs.core.state.migrations import version_of
from jobs.core.state.notices import warnings_sent
from jobs.core.state.runs import run_counts
from jobs.core.state.schema import SCHEMA_VERSION
from jobs.secret_rotation import metrics as rotation_metrics
from jobs.secret_rotation.journal_store import open_operations
from jobs.ttl_teardown import metrics as teardown_metrics
from jobs.ttl_teardown.state import extension_days, extensions
from tests import services
from tests.fixtures import make_state_v4

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
TABLES = make_state_v4.TABLES[1:]  # every table of release 4 but its schema versions


def release_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database as the release left it: its schema, its rows."""
    if backend == "sqlite":
        with sqlite3.connect(tmp_path / "state.db") as conn:
            conn.executescript((FIXTURES / "state_v4.sqlite.sql").read_text())
        return f"sqlite:///{tmp_path}/state.db"
    import psycopg

    postgres: services.Postgres = request.getfixturevalue("postgres")
    url = postgres.create_database(f"v4_{tmp_path.name[-20:].lower().replace('-', '_')}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute((FIXTURES / "state_v4.postgresql.sql").read_text().encode())
    return url


def table_rows(store: StateStore) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}"))), key=repr) for t in TABLES}


def job_series(store: StateStore) -> list[str]:
    """The cumulative series as exposition lines (`_created` stamps vary by run)."""
    lines: list[str] = []
    for job, metrics in (("ttl-teardown", teardown_metrics), ("secret-rotation", rotation_metrics)):
        registry = CollectorRegistry()
        metrics.record(registry, Plan(), [], store, job)
        lines += generate_latest(registry).decode().splitlines()
    return [line for line in lines if not line.startswith("#") and "_created{" not in line]


@pytest.fixture(params=["sqlite", "postgresql"])
def upgraded(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[StateStore, dict[str, list[tuple[Any, ...]]]]:
    store = StateStore(release_db(request.param, tmp_path, request))
    assert store.current_version() == 4
    before = table_rows(store)
    assert store.upgrade(NOW) == [5, 6]
    return store, before


def test_a_release_4_database_upgrades_to_the_owners_tables_without_touching_a_row(
    upgraded: tuple[StateStore, dict[str, list[tuple[Any, ...]]]],
) -> None:
    store, before = upgraded
    assert store.current_version() == SCHEMA_VERSION == 6
    with store.engine.connect() as conn:
        assert version_of(conn, "ttl-teardown") == 3  # 3: numbered extensions, single-use links
        assert version_of(conn, "secret-rotation") == 2
        assert inspect(conn).has_table("secops_counters")
    after = table_rows(store)
    width = {t: len(rows[0]) for t, rows in before.items() if rows}
    assert {t: [r[: width.get(t, 0)] for r in rows] for t, rows in after.items()} == before
    assert {r[width["secops_runs"] :] for r in after["secops_runs"]} == {(None,)}  # migration 6: mode, full runs
    assert all(before[t] for t in TABLES), [t for t in TABLES if not before[t]]  # the fixture fills every table


def test_every_row_of_a_release_4_database_reads_through_the_new_stores(
    upgraded: tuple[StateStore, dict[str, list[tuple[Any, ...]]]],
) -> None:
    store, before = upgraded
    runs = {(r[1], r[2]) for r in before["secops_runs"]}
    assert sum(sum(run_counts(store, job, shard).values()) for job, shard in runs) == len(before["secops_runs"])
    shards = {(r[0], r[1]) for r in before["secops_alert_state"]}
    assert sum(len(alert_states(store, job, shard)) for job, shard in shards) == len(before["secops_alert_state"])
    sent = [(r[0], r[1]) for r in before["secops_warnings_sent"]]
    found = {job: warnings_sent(store, job, [res for j, res in sent if j == job]) for job, _ in sent}
    assert sum(len(keys) for by_resource in found.values() for keys in by_resource.values()) == len(sent)
    granted = {r[1] for r in before["secops_extensions"]}
    assert sum(len(extensions(store, r)) for r in granted) == len(before["secops_extensions"])
    assert sum(extension_days(store, sorted(granted)).values()) == sum(r[2] for r in before["secops_extensions"])
    assert list(open_operations(store, "secret-rotation", "closed")) == ["apps/orders"]
    assert cache_get(store, "pki-not-after", ["1a:2b"]) == {"1a:2b": {"not_after": "2027-01-01T00:00:00Z"}}
    holder = lock_holder(store, "ttl-teardown", "all")
    assert holder is not None and holder.run_id == "run-crashed"
    assert len(entries(store, None, None)) == len(before["secops_audit"])
    [intent] = AuditLog(store, "ttl-teardown", "run-new", "test", lambda: NOW).open_intents()
    assert intent.run_id == "run-crashed" and intent.details == {"type": "ec2:instance"}


def test_the_counters_of_a_release_4_database_equal_the_release_s_audit_rescan(
    upgraded: tuple[StateStore, dict[str, list[tuple[Any, ...]]]],
) -> None:
    store, _ = upgraded
    release = [
        line
        for line in (FIXTURES / "state_v4.metrics.txt").read_text().splitlines()
        if not line.startswith("#") and "_created{" not in line and "expiring" not in line
    ]
    ours = [line for line in job_series(store) if "expiring" not in line]
    assert ours == release
    assert any(line.startswith("security_cost_avoided_usd{") for line in ours)


def test_a_second_upgrade_of_a_release_4_database_changes_nothing(
    upgraded: tuple[StateStore, dict[str, list[tuple[Any, ...]]]],
) -> None:
    store, _ = upgraded
    series, rows = job_series(store), table_rows(store)
    with store.engine.connect() as conn:
        counters = sorted(map(tuple, conn.execute(text("SELECT * FROM secops_counters"))))
    assert store.upgrade(NOW) == []
    assert (job_series(store), table_rows(store)) == (series, rows)
    with store.engine.connect() as conn:
        assert sorted(map(tuple, conn.execute(text("SELECT * FROM secops_counters")))) == counters


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_fresh_database_gets_every_owner_s_tables_and_empty_counters(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/fresh.db"
    else:
        url = request.getfixturevalue("postgres").create_database(f"fresh_{tmp_path.name[-20:].lower()}")
    store = StateStore(url)
    assert store.upgrade(NOW) == list(range(1, SCHEMA_VERSION + 1))
    assert store.upgrade(NOW) == []
    with store.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        owners = conn.execute(text("SELECT owner, version FROM secops_owner_versions ORDER BY owner, version"))
        assert list(map(tuple, owners)) == [("repo-scanner", 1), ("secret-rotation", 1), ("secret-rotation", 2)] + [
            ("ttl-teardown", v) for v in (1, 2, 3)
        ] + [("usage-report", 1)]
        assert conn.scalar(select(text("count(*)")).select_from(text("secops_counters"))) == 0
    assert {*TABLES, "secops_schema_version", "secops_owner_versions", "secops_counters"} <= names
    assert {"secops_repo_watermarks", "secops_repo_history_hits"} <= names
    assert job_series(store) == [
        'security_resources_expiring{within="24h"} 0.0',
        'security_resources_expiring{within="48h"} 0.0',
    ]
