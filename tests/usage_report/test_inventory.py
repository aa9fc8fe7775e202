"""Which tenants a run reports on, and how the sources' readings join: pure (inventory.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.core.errors import ConfigError
from jobs.core.runtime import Shard
from jobs.usage_report import inventory
from jobs.usage_report.model import Breakdown, Period, Tenant, Window
from jobs.usage_report.period import from_label, period_for
from jobs.usage_report.sources import Reading

DAY = Period("daily", datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))

# tenant ids as a control plane holds them, and worse: case and whitespace variants of one
# another, non-ASCII, look-alike digits, separators, empty and huge
ids = st.one_of(
    st.sampled_from(["acme", "ACME", " acme", "acme ", "acmé", "ac\u200bme", "\u0662", "a/b", "../x", "", "a,b"]),
    st.text(max_size=12),
    st.text(min_size=1, max_size=5).map(lambda t: t * 2_000),
)


def tenants_of(names: list[str], inactive: set[str] = frozenset()) -> dict[str, Tenant]:  # type: ignore[assignment]
    return {n: Tenant(n, f"Tenant {n}", (f"ops@{len(n)}.example",), active=n not in inactive) for n in names}


@given(st.lists(ids, unique=True, max_size=20), st.data())
def test_a_one_off_run_reports_on_exactly_the_tenants_named_never_another(
    names: list[str], data: st.DataObject
) -> None:
    known = tenants_of(names)
    asked = data.draw(st.lists(st.sampled_from(names), max_size=5)) if names else []
    chosen = inventory.selected(known, False, asked, lambda key: True)
    assert {t.id for t in chosen} == (set(asked) if asked else set(names))  # nobody else, however alike


@given(st.lists(ids, unique=True, min_size=1, max_size=20), ids)
def test_an_unknown_tenant_is_a_usage_error_naming_it_never_a_near_match(names: list[str], other: str) -> None:
    known = tenants_of(names)
    if other in known or other.strip() in known:
        return
    with pytest.raises(ConfigError) as raised:
        inventory.selected(known, False, [other], lambda key: True)
    assert repr(other) in str(raised.value) and "no such tenant" in str(raised.value)


@given(st.lists(ids, unique=True, max_size=30), st.integers(1, 5))
def test_shards_partition_the_active_tenants(names: list[str], count: int) -> None:
    known = tenants_of(names, inactive=set(names[::3]))
    whole = {t.id for t in inventory.selected(known, False, [], lambda key: True)}
    parts = [{t.id for t in inventory.selected(known, False, [], Shard(i, count).owns)} for i in range(count)]
    assert set().union(*parts) == whole and sum(map(len, parts)) == len(whole)
    assert whole == {n for n in names if n not in set(names[::3])}


@given(st.lists(ids, unique=True, min_size=1, max_size=20), st.integers(2, 5))
def test_a_named_tenant_another_shard_owns_is_said_never_silently_dropped(names: list[str], count: int) -> None:
    """`--tenant X --shard i/n`: X is reported by exactly one shard, and every other shard says
    it belongs elsewhere (a one-off that sent nothing must not read as "nothing to send")."""
    known = tenants_of(names)
    asked = sorted(known)[:2]
    seen: list[str] = []
    for i in range(count):
        elsewhere: list[str] = []
        chosen = [t.id for t in inventory.selected(known, False, asked, Shard(i, count).owns, elsewhere)]
        assert sorted(chosen + elsewhere) == asked
        seen += chosen
    assert sorted(seen) == asked


def test_inactive_tenants_only_when_asked_or_named() -> None:
    known = tenants_of(["a", "b"], inactive={"b"})
    assert [t.id for t in inventory.selected(known, False, [], lambda key: True)] == ["a"]
    assert [t.id for t in inventory.selected(known, True, [], lambda key: True)] == ["a", "b"]
    assert [t.id for t in inventory.selected(known, False, ["b"], lambda key: True)] == ["b"]


def test_readings_lay_over_each_other_problems_add_up_and_stray_fields_are_named() -> None:
    usages = inventory.start(list(tenants_of(["a", "b"]).values()), DAY)
    prometheus = Reading(
        fields={"a": {"current": Window(calls_by_code={"200": 5.0}), "breakdown_source": ""}, "b": {"bogus": 1}},
        methods={"calls": "sum by (tenant) (increase(x[1d]))"},
        problems={"a": ["latency: timed out"]},
    )
    assert inventory.merge(usages, prometheus, "prometheus") == ["prometheus: unknown fields bogus for tenant b"]
    assert [t.id for t in inventory.needing_breakdowns(usages)] == ["a"]
    analytics = Reading(
        fields={"a": {"apis": (Breakdown("orders", 5, 0),), "breakdown_source": "gateway_analytics"}},
        methods={"apis": "terms api"},
        problems={"a": ["latency: timed out", "applications: index missing"]},
    )
    inventory.merge(usages, analytics, "gateway_analytics")
    a = usages["a"]
    assert a.current == Window(calls_by_code={"200": 5.0}) and a.apis == (Breakdown("orders", 5, 0),)
    assert a.breakdown_source == "gateway_analytics"
    assert a.problems == ("latency: timed out", "applications: index missing")  # once each, in order
    assert a.methods == {"calls": "sum by (tenant) (increase(x[1d]))", "apis": "terms api"}
    inventory.delivered(usages, {"b": {"email"}, "zz": {"s3"}})
    assert usages["b"].delivered == frozenset({"email"}) and usages["a"].delivered == frozenset()


@given(st.datetimes(min_value=datetime(2000, 1, 3), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_a_period_is_read_back_from_its_label(now: datetime) -> None:
    for kind in ("daily", "weekly"):
        period = period_for(kind, now)
        assert from_label(kind, period.label) == period
