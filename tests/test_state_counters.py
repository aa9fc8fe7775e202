"""The cumulative counters are kept with the audit: the row that says an action was done and
the counter it adds to commit or roll back together, and the metrics read the counters, never
the audit history (which grows with every run)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from jobs.core.errors import StateUnavailable
from jobs.core.intents import AuditLog
from jobs.core.model import Action, Outcome, OutcomeKind, Plan, Settled
from jobs.core.state import counters
from jobs.core.state.audit import AuditEntry
from jobs.core.state.engine import StateStore
from jobs.ttl_teardown import metrics
from jobs.ttl_teardown.state import TALLIES

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
JOB = "ttl-teardown"
FAIL_COUNTERS = {  # a fault between the audit row and its counter: the counter write fails
    "sqlite": [
        "CREATE TRIGGER fail_counters BEFORE INSERT ON secops_counters BEGIN SELECT RAISE(ABORT, 'injected'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION fail_counters() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER fail_counters BEFORE INSERT ON secops_counters FOR EACH ROW EXECUTE FUNCTION fail_counters()",
    ],
}

HEAL = {"sqlite": "DROP TRIGGER fail_counters", "postgresql": "DROP TRIGGER fail_counters ON secops_counters"}


@pytest.fixture
def store(any_state: StateStore) -> StateStore:
    """The suite's state DB of each kind (tests/conftest.py)."""
    return any_state


def deletion(i: int, project: str = "checkout") -> Action:
    details = {"type": "ec2:instance", "project": project, "cost_avoided_usd": 1.25}
    return Action("delete", f"arn:aws:ec2:us-east-1:1:instance/i-{i}", "ttl expired", details=details)


def deleted_series(state: StateStore) -> list[str]:
    registry = CollectorRegistry()
    metrics.record(registry, Plan(), [], state, JOB)
    text_ = generate_latest(registry).decode()
    return [
        line for line in text_.splitlines() if line.startswith(("security_resources_deleted_total", "security_cost"))
    ]


def audit_outcomes(state: StateStore) -> list[str]:
    with state.session() as s:
        return list(s.scalars(select(AuditEntry.outcome).order_by(AuditEntry.id)))


def test_a_deletion_s_audit_row_and_its_counter_commit_or_roll_back_together(store: StateStore) -> None:
    audit = AuditLog(store, JOB, "run-1", "test", lambda: NOW)
    action = deletion(1)
    action_id = audit.started(action)
    with store.engine.begin() as conn:
        for statement in FAIL_COUNTERS[store.engine.dialect.name]:
            conn.execute(text(statement))
    with pytest.raises((IntegrityError, StateUnavailable)):  # an answer, or an outage past the budget
        audit.finished(action_id, Outcome(action, OutcomeKind.DONE))
    assert audit_outcomes(store) == ["started"]  # the counter failed: the audit row was not closed either
    assert deleted_series(store) == []
    with store.engine.begin() as conn:
        conn.execute(text(HEAL[store.engine.dialect.name]))
    audit.finished(action_id, Outcome(action, OutcomeKind.DONE))
    assert audit_outcomes(store) == ["done"]
    assert deleted_series(store) == [
        'security_resources_deleted_total{project="checkout",type="ec2:instance"} 1.0',
        'security_cost_avoided_usd{project="checkout"} 1.25',
    ]


def test_every_path_to_done_counts_once_and_nothing_else_counts(store: StateStore) -> None:
    audit = AuditLog(store, JOB, "run-1", "test", lambda: NOW)
    done, failed, settled = deletion(1), deletion(2, "search"), deletion(3, "search")
    audit.finished(audit.started(done), Outcome(done, OutcomeKind.DONE))
    closed = audit.started(done)
    audit.finished(closed, Outcome(done, OutcomeKind.DONE))
    audit.finished(closed, Outcome(done, OutcomeKind.DONE))  # a retried close after an ambiguous commit
    audit.finished(audit.started(failed), Outcome(failed, OutcomeKind.FAILED, error="denied"))
    audit.record([Outcome(deletion(4), OutcomeKind.SKIPPED), Outcome(deletion(5), OutcomeKind.DONE)])
    left = AuditLog(store, JOB, "run-killed", "test", lambda: NOW).started(settled)
    later = AuditLog(store, JOB, "run-2", "test", lambda: NOW + timedelta(hours=1))
    assert later.settle([Settled(left, OutcomeKind.DONE, "resource gone")]) == 1
    assert later.settle([Settled(left, OutcomeKind.DONE, "resource gone")]) == 0  # another run closed it first
    assert deleted_series(store) == [
        'security_resources_deleted_total{project="checkout",type="ec2:instance"} 3.0',
        'security_resources_deleted_total{project="search",type="ec2:instance"} 1.0',
        'security_cost_avoided_usd{project="checkout"} 3.75',
        'security_cost_avoided_usd{project="search"} 1.25',
    ]


@pytest.fixture
def audit_statements(store: StateStore) -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", listen)
    yield seen
    event.remove(store.engine, "before_cursor_execute", listen)


def test_the_metrics_of_a_long_audit_history_read_the_counters_not_the_history(
    store: StateStore, audit_statements: list[str]
) -> None:
    history = 20_000
    rows = [
        {
            "run_id": f"run-{i // 100}",
            "job_id": JOB,
            "at": NOW,
            "actor": "test",
            "kind": "delete",
            "resource": f"r-{i}",
            "outcome": "done",
            "reason": "ttl expired",
            "details": {"type": "s3:bucket", "project": "search", "cost_avoided_usd": 0.5},
            "action_id": str(uuid.uuid4()),
        }
        for i in range(history)
    ]
    with store.engine.begin() as conn:  # as earlier runs left it: rows, and what they added up to
        conn.execute(insert(AuditEntry), rows)
        ids = conn.execute(select(AuditEntry.id, AuditEntry.kind, AuditEntry.details).order_by(AuditEntry.id))
        counters.add(conn, JOB, counters.tally(TALLIES, ids))
    audit_statements.clear()
    assert deleted_series(store) == [
        f'security_resources_deleted_total{{project="search",type="s3:bucket"}} {float(history)}',
        f'security_cost_avoided_usd{{project="search"}} {history * 0.5}',
    ]
    assert audit_statements and not [s for s in audit_statements if "secops_audit" in s]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == history


def test_parallel_actions_lose_no_increment(store: StateStore) -> None:
    """Eight writers on one SQLite file wait for each other's locks: with the fixture's 1 s budget
    (kept short for the outage tests) a loaded machine ran out of it; runs wait 60 s by default."""
    from concurrent.futures import ThreadPoolExecutor

    patient = StateStore(store.engine.url.render_as_string(hide_password=False), retry_seconds=30)
    audit = AuditLog(patient, JOB, "run-1", "test", lambda: NOW)

    def act(i: int) -> None:
        action = deletion(i)
        audit.finished(audit.started(action), Outcome(action, OutcomeKind.DONE))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(act, range(80)))
    assert deleted_series(store) == [
        'security_resources_deleted_total{project="checkout",type="ec2:instance"} 80.0',
        'security_cost_avoided_usd{project="checkout"} 100.0',
    ]
