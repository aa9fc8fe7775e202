"""The control plane against a real PostgreSQL (default schema, an overridden one) and SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from jobs.core import redact
from jobs.core.errors import ConfigError
from jobs.usage_report.model import Period, Tenant
from jobs.usage_report.settings import ControlPlaneQueries, ControlPlaneSettings, UsageReportSettings
from jobs.usage_report.sources import Reading
from jobs.usage_report.sources.control_plane import read
from tests import services
from tests.usage_report.sources.context import source_context

START = datetime(2026, 11, 30, tzinfo=UTC)
PERIOD = Period("daily", START, START + timedelta(days=1))
PASSWORD = "Rep0rter-s3cret"
SCHEMA = """
CREATE TABLE tenants (id text PRIMARY KEY, name text, contact_email text, locale text DEFAULT 'en',
                      monthly_call_quota bigint NULL, active boolean);
CREATE TABLE apis (id text PRIMARY KEY, tenant_id text);
CREATE TABLE applications (id text PRIMARY KEY, tenant_id text);
CREATE TABLE users (id text PRIMARY KEY, tenant_id text);
"""
DEFAULT = object()  # the column left out: its DEFAULT 'en'
TENANTS: list[tuple[Any, ...]] = [
    ("acme", "Acme Corp", "ops@acme.example, Finance@Acme.example ,, ops@ACME.example", "en", 1_000_000, True),
    ("globex", "Globex", "bob@@globex.example, alice@globex.example", "FR ", 0, True),
    ("initech", None, "it@initech.example", DEFAULT, None, False),
    ("société", "Société\nGénérale", "contact@société.example", "fr", -5, True),
    ("with space", "  ", "", "en", 10, None),
    ("a/b", "Slashed", "x@y.example", "en", 1, True),
    ("  ", "Blank id", "x@y.example", "en", 1, True),
]
COUNTS = {"apis": {"acme": 3, "globex": 1}, "applications": {"acme": 2}, "users": {"acme": 5, "société": 1}}


def seed(execute: Any) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            execute(statement)
    for row in TENANTS:
        if row[3] is DEFAULT:
            execute(
                "INSERT INTO tenants (id, name, contact_email, monthly_call_quota, active) VALUES (?, ?, ?, ?, ?)",
                row[:3] + row[4:],
            )
        else:
            execute("INSERT INTO tenants VALUES (?, ?, ?, ?, ?, ?)", row)
    for table, counts in COUNTS.items():
        for tenant_id, n in counts.items():
            for i in range(n):
                execute(f"INSERT INTO {table} VALUES (?, ?)", (f"{tenant_id}-{i}", tenant_id))


@pytest.fixture(scope="module")
def database(postgres: services.Postgres) -> Iterator[str]:
    """The default schema, seeded, and a read-only role `reporter` (SELECT only) to read it."""
    admin = postgres.create_database("control_plane")
    with psycopg.connect(admin, autocommit=True) as conn:
        seed(lambda sql, params=(): conn.execute(sql.replace("?", "%s"), params))
        conn.execute("DROP ROLE IF EXISTS reporter")
        conn.execute(f"CREATE ROLE reporter LOGIN PASSWORD '{PASSWORD}'")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reporter")
    yield admin


def settings(dsn: str, timeout: float = 5, **queries: str) -> UsageReportSettings:
    section = ControlPlaneSettings(dsn=SecretStr(dsn), timeout_seconds=timeout, queries=ControlPlaneQueries(**queries))
    return UsageReportSettings(control_plane=section)


def run(tmp_path: Path, cfg: UsageReportSettings, sleeps: list[float] | None = None) -> Reading:
    return read(cfg, source_context(tmp_path, cfg, sleeps), PERIOD, [])


def reporter(postgres: services.Postgres, password: str = PASSWORD) -> str:
    return postgres.url("control_plane", "reporter", password)


EXPECTED = {
    "acme": Tenant("acme", "Acme Corp", ("ops@acme.example", "Finance@acme.example"), "en", 1_000_000, True, 3, 2, 5),
    "globex": Tenant("globex", "Globex", ("alice@globex.example",), "FR ", None, True, 1, 0, 0),
    "initech": Tenant("initech", "initech", ("it@initech.example",), "en", None, False, 0, 0, 0),
    "société": Tenant("société", "Société Générale", ("contact@xn--socit-esab.example",), "fr", None, True, 0, 0, 1),
    "with space": Tenant("with space", "with space", (), "en", 10, False, 0, 0, 0),
}
PROBLEMS = {
    "globex": [
        "contact_email: 'bob@@globex.example' is not an address (local@domain): not mailed",
        "monthly_call_quota is 0: a quota must be positive, no quota shown",
    ],
    "initech": ["has no name in the control plane: its id is shown instead"],
    "société": [
        "monthly_call_quota is -5: a quota must be positive, no quota shown",
        "its name 'Société\\nGénérale' has line breaks or control characters: shown as 'Société Générale'",
    ],
    "with space": [
        "the tenant id 'with space' contains spaces: its files and S3 keys do too",
        "contact_email is empty: the report cannot be mailed",
        "active is NULL, not true or false: treated as inactive",
        "has no name in the control plane: its id is shown instead",
    ],
}
ERRORS = [
    "a tenants row (name 'Slashed') has the id 'a/b', which names a folder (unusable in a file name or an S3 key): skipped",
    "a tenants row (name 'Blank id') has an empty id: skipped",
]


def test_the_default_schema_gives_every_tenant_its_contacts_quota_and_counts(
    tmp_path: Path, postgres: services.Postgres, database: str
) -> None:
    reading = run(tmp_path, settings(reporter(postgres)))
    assert reading.tenants == EXPECTED
    assert reading.problems == PROBLEMS
    assert [e.message for e in reading.errors] == ERRORS and {e.source for e in reading.errors} == {"control_plane"}
    assert reading.queries == 4
    defaults = ControlPlaneQueries()
    assert reading.methods == {
        "apis": defaults.apis,
        "applications": defaults.applications,
        "users": defaults.users,
        "quota": defaults.tenants,
    }


def test_an_overridden_schema_is_read_through_its_own_statements(tmp_path: Path, postgres: services.Postgres) -> None:
    """Another control plane: customers with e-mails in an array, a quota in thousands, a
    status text; counts from other tables, one counting rows without GROUP BY (they add up)."""
    dsn = postgres.create_database("other_control_plane")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE customers (customer_id int, display_name text, emails text[], lang text, quota_k int, status text)"
        )
        conn.execute(
            "INSERT INTO customers VALUES (7, 'Umbrella', '{a@umbrella.example, b@umbrella.example}', 'fr-FR', 50, 'live'),"
            " (8, 'Hooli', '{}', 'en', NULL, 'gone'), (8, 'Hooli', '{}', 'en', NULL, 'gone'),"
            " (9, 'Twice', '{t@twice.example}', 'en', 1, 'live'), (9, 'Twice', '{other@twice.example}', 'en', 1, 'live')"
        )
        conn.execute("CREATE TABLE routes (owner int)")
        conn.execute("INSERT INTO routes VALUES (7), (7), (8)")
    queries = {
        "tenants": "SELECT customer_id, display_name, array_to_string(emails, ','), lang, quota_k * 1000,"
        " status = 'live' FROM customers ORDER BY customer_id",
        "apis": "SELECT owner, 1 FROM routes",
        "applications": "SELECT owner, count(*) FROM routes WHERE owner = 8 GROUP BY owner",
        "users": "SELECT 7, 12.0::numeric",
    }
    reading = run(tmp_path, settings(dsn, **queries))
    assert reading.tenants == {
        "7": Tenant("7", "Umbrella", ("a@umbrella.example", "b@umbrella.example"), "fr-FR", 50_000, True, 2, 0, 12),
        "8": Tenant("8", "Hooli", (), "en", None, False, 1, 1, 0),
    }
    assert reading.problems == {
        "8": [
            "contact_email is empty: the report cannot be mailed",
            "listed 2 times in tenants (identical rows): reported once",
        ]
    }
    assert [e.message for e in reading.errors] == [
        "tenant '9' is listed 2 times in tenants with different values: not reported until the control plane lists it once"
    ]
    assert reading.methods["apis"] == "SELECT owner, 1 FROM routes"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tenants SET name = 'pwned' RETURNING id, name, contact_email, locale, monthly_call_quota, active",
        "WITH gone AS (DELETE FROM tenants RETURNING *) SELECT id, name, contact_email, locale, monthly_call_quota, active FROM gone",
    ],
)
def test_a_tenants_statement_that_writes_is_refused_by_the_database_and_fails_the_source(
    tmp_path: Path, postgres: services.Postgres, database: str, statement: str
) -> None:
    """As the admin (a superuser, whom no grant stops): the transaction itself is read-only."""
    reading = run(tmp_path, settings(database, tenants=statement))
    verb = "UPDATE" if statement.startswith("UPDATE") else "SELECT"  # PostgreSQL names a writing CTE's SELECT
    assert [e.message for e in reading.errors] == [
        f"tenants: cannot execute {verb} in a read-only transaction (the statement writes: the control plane is only read)"
    ]
    assert reading.tenants == {}
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM tenants WHERE name = 'pwned'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM tenants").fetchone() == (len(TENANTS),)


def test_two_statements_in_one_cannot_switch_the_transaction_to_read_write(
    tmp_path: Path, postgres: services.Postgres, database: str
) -> None:
    sneaky = "SET TRANSACTION READ WRITE; DELETE FROM apis RETURNING tenant_id, 1; COMMIT"
    reading = run(tmp_path, settings(database, apis=sneaky))
    assert reading.tenants["acme"].apis is None and reading.tenants["acme"].users == 5
    assert (
        "apis: could not be counted (cannot insert multiple commands into a prepared statement)"
        in (reading.problems["acme"])
    )
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM apis").fetchone() == (4,)


def test_a_failed_count_statement_leaves_that_count_unknown_for_every_tenant(
    tmp_path: Path, postgres: services.Postgres, database: str
) -> None:
    reading = run(tmp_path, settings(reporter(postgres), users="SELECT tenant_id, count(*) FROM members GROUP BY 1"))
    assert {t.users for t in reading.tenants.values()} == {None}
    assert reading.tenants["acme"].apis == 3  # the other counts still read
    said = 'users: could not be counted (relation "members" does not exist)'
    assert all(problems[-1] == said for problems in reading.problems.values())
    assert set(reading.problems) == set(EXPECTED)


def test_a_write_in_a_count_statement_is_refused_and_reported(
    tmp_path: Path, postgres: services.Postgres, database: str
) -> None:
    deleting = "WITH gone AS (DELETE FROM users RETURNING tenant_id) SELECT tenant_id, count(*) FROM gone GROUP BY 1"
    reading = run(tmp_path, settings(database, users=deleting))
    assert reading.problems["acme"] == [
        "users: could not be counted (cannot execute SELECT in a read-only transaction"
        " (the statement writes: the control plane is only read))"
    ]
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (6,)


def test_a_slow_statement_is_cancelled_at_the_timeout(
    tmp_path: Path, postgres: services.Postgres, database: str
) -> None:
    slow = "SELECT tenant_id, count(*) FROM apis, pg_sleep(5) GROUP BY tenant_id"
    reading = run(tmp_path, settings(reporter(postgres), timeout=1, apis=slow))
    assert reading.problems["acme"] == [
        "apis: could not be counted (did not finish within 1 s (canceling statement due to statement timeout))"
    ]


def test_a_refused_password_is_said_without_the_password_and_not_retried(
    tmp_path: Path, postgres: services.Postgres, database: str
) -> None:
    wrong = "Wr0ng-passw0rd-42"
    sleeps: list[float] = []
    reading = run(tmp_path, settings(reporter(postgres, wrong)), sleeps)
    [error] = reading.errors
    assert error.message.startswith("tenants: could not connect: connection failed: ")
    assert error.message.endswith('password authentication failed for user "reporter"')
    assert wrong not in json.dumps(error.to_json()) and sleeps == []
    assert redact.scrub(f"dsn={reporter(postgres, wrong)}") == "dsn=***"


def test_an_unreachable_database_is_tried_once_more_then_said(tmp_path: Path) -> None:
    sleeps: list[float] = []
    port = services.free_port()
    dsn = f"postgresql://reporter:{PASSWORD}@127.0.0.1:{port}/control_plane?sslmode=disable"
    reading = run(tmp_path, settings(dsn), sleeps)
    assert len(sleeps) == 1 and reading.queries == 1
    [error] = reading.errors
    assert (
        error.message
        == f'tenants: could not connect: connection failed: connection to server at "127.0.0.1", port {port} failed: Connection refused'
    )
    assert PASSWORD not in error.message


@pytest.mark.parametrize(
    ("dsn", "said"),
    [
        ("mysql://reporter:pw@db/cp", "a mysql URL; read-only is enforced for postgresql:// and sqlite:///"),
        ("not a url at all: Sup3r-secret", "cannot use it (not a URL)"),
        ("sqlite://", "a SQLite control plane is a file (sqlite:///path.db)"),
    ],
)
def test_a_dsn_that_cannot_be_used_is_a_config_error_that_does_not_quote_it(
    tmp_path: Path, dsn: str, said: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        run(tmp_path, settings(dsn))
    assert str(caught.value) == f"usage_report.control_plane.dsn: {said}"


# -- SQLite (the demo's control plane) ----------------------------------------------------------
@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "control plane.db"
    with sqlite3.connect(path) as conn:
        seed(conn.execute)
    return path


def test_a_sqlite_control_plane_reads_like_postgresql(tmp_path: Path, sqlite_file: Path) -> None:
    reading = run(tmp_path, settings(f"sqlite:///{sqlite_file}"))
    assert reading.tenants == EXPECTED and reading.problems == PROBLEMS
    assert [e.message for e in reading.errors] == ERRORS


def test_a_sqlite_control_plane_is_opened_read_only(tmp_path: Path, sqlite_file: Path) -> None:
    writes = "UPDATE tenants SET name = 'pwned' RETURNING id, name, contact_email, locale, monthly_call_quota, active"
    reading = run(tmp_path, settings(f"sqlite:///{sqlite_file}", tenants=writes))
    assert [e.message for e in reading.errors] == [
        "tenants: attempt to write a readonly database (the statement writes: the control plane is only read)"
    ]
    with sqlite3.connect(sqlite_file) as conn:
        assert conn.execute("SELECT count(*) FROM tenants WHERE name = 'pwned'").fetchone() == (0,)


def test_a_missing_sqlite_file_is_said_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    reading = run(tmp_path, settings(f"sqlite:///{missing}"))
    assert [e.message for e in reading.errors] == ["tenants: could not connect: unable to open database file"]
    assert not missing.exists()


def test_a_slow_sqlite_statement_is_interrupted_at_the_timeout(tmp_path: Path, sqlite_file: Path) -> None:
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT 'acme', count(*) FROM n"
    reading = run(tmp_path, settings(f"sqlite:///{sqlite_file}", timeout=0.5, apis=endless))
    assert reading.problems["acme"] == ["apis: could not be counted (did not finish within 0.5 s (interrupted))"]
