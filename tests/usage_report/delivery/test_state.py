"""Deliveries in the state DB, on SQLite and PostgreSQL: read in one query, recorded once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, func, select

from jobs.core.state.engine import StateStore
from jobs.usage_report import state
from jobs.usage_report.state import Delivery
from tests.usage_report.delivery.samples import DAY, WEEK

AT = datetime(2026, 12, 1, 1, 0, 5, tzinfo=UTC)


def test_a_delivery_is_recorded_once_and_the_first_record_stands(any_state: StateStore) -> None:
    assert state.record_delivery(any_state, DAY, "acme", "email", "run-1", "mailto:ops@acme.test", AT)
    assert not state.record_delivery(any_state, DAY, "acme", "email", "run-2", "mailto:other@acme.test")
    with any_state.session() as s:
        [row] = s.scalars(select(Delivery)).all()
        assert (row.run_id, row.location, row.at) == ("run-1", "mailto:ops@acme.test", AT)


def test_delivered_names_each_tenant_s_channels_for_that_period_only(any_state: StateStore) -> None:
    for tenant, channel in [("acme", "email"), ("acme", "s3"), ("globex", "directory")]:
        state.record_delivery(any_state, DAY, tenant, channel, "run-1", "somewhere", AT)
    state.record_delivery(any_state, WEEK, "initech", "email", "run-1", "somewhere", AT)  # another period
    state.record_delivery(any_state, DAY, "umbrella", "email", "run-1", "somewhere", AT)  # not asked for
    found = state.delivered(any_state, DAY, ["acme", "globex", "initech", "acme"])
    assert found == {"acme": frozenset({"email", "s3"}), "globex": frozenset({"directory"})}
    assert state.delivered(any_state, WEEK, ["initech"]) == {"initech": frozenset({"email"})}
    assert state.delivered(any_state, DAY, []) == {}


def test_delivered_reads_a_thousand_tenants_in_one_query(any_state: StateStore) -> None:
    tenants = [f"tenant-{i:04d}" for i in range(1000)]
    with any_state.engine.begin() as conn:
        conn.execute(
            Delivery.__table__.insert(),
            [{"tenant": t, "period_kind": "daily", "period_label": DAY.label, "channel": "email", "run_id": "r",
              "at": AT, "location": "x"} for t in tenants[::2]],
        )  # fmt: skip
    statements: list[str] = []
    event.listen(any_state.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    found = state.delivered(any_state, DAY, tenants)
    assert len(found) == 500 and found["tenant-0998"] == frozenset({"email"}) and "tenant-0999" not in found
    assert len([s for s in statements if "secops_usage_deliveries" in s]) == 1


def test_odd_tenant_ids_are_keys_like_any_other(any_state: StateStore) -> None:
    odd = ["../etc", "a/b", "Ünïcode", "x" * 2000, "'; DROP TABLE secops_usage_deliveries; --"]
    for tenant in odd:
        state.record_delivery(any_state, DAY, tenant, "email", "run-1", "somewhere", AT)
    assert set(state.delivered(any_state, DAY, odd)) == set(odd)
    with any_state.session() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == len(odd)
