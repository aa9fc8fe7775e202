"""Two rules that protect a tenant's report, checked on a real Prometheus:

- the `--tenant` matcher selects exactly the named tenants, whatever their ids hold (quotes,
  backslashes, regex metacharacters, non-ASCII, control characters, case and space variants):
  one tenant's filter never brings in another's series;
- completeness counts exactly the period's scrape intervals with samples, at every edge of
  the period (a gap ending at its start, starting at its end, covering it, one hour inside).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.demo import gateway_expect as ge
from jobs.demo import gateway_series as gs
from jobs.usage_report.model import Period
from jobs.usage_report.sources import prometheus
from jobs.usage_report.sources.promql import tenant_matcher
from tests import services
from tests.usage_report.sources import gateway

DAY = Period("daily", gs.utc(2026, 11, 30), gs.utc(2026, 12, 1))
START, END = gs.utc(2026, 11, 28), gs.utc(2026, 12, 2)

#: ids that differ from one another by what an unescaped matcher would blur
ODD_IDS = (
    "a", "A", "aa", "ab", "b", "a.b", "axb", "a|b", "a*", "a+", "a?", "(a)", "[a]", "a{1}", "^a$", ".*",
    'x"y', "x\\y", "x\\\\y", "x\\.y", "é", "e", "É", "e\u0301", "日本", " a", "a ", "a\tb", "a\nb", "a-b", "a/b",
)  # fmt: skip
#: the gap of each tenant around the day's edges, and the share of the day scraped
GAPS = {
    "gap-first-hour": ((gs.utc(2026, 11, 30, 0), gs.utc(2026, 11, 30, 1)), 23 / 24),
    "gap-last-hour": ((gs.utc(2026, 11, 30, 23), gs.utc(2026, 12, 1, 0)), 23 / 24),
    "gap-at-the-end-instant": ((gs.utc(2026, 12, 1, 0), gs.utc(2026, 12, 1, 1)), 1.0),
    "gap-just-before": ((gs.utc(2026, 11, 29, 23), gs.utc(2026, 11, 30, 0)), 1.0),
    "gap-across-the-start": ((gs.utc(2026, 11, 29, 20), gs.utc(2026, 11, 30, 3)), 21 / 24),
    "gap-across-the-end": ((gs.utc(2026, 11, 30, 22), gs.utc(2026, 12, 1, 5)), 22 / 24),
    "gap-one-hour-inside": ((gs.utc(2026, 11, 30, 13), gs.utc(2026, 11, 30, 14)), 23 / 24),
    "gap-the-whole-day": ((gs.utc(2026, 11, 30, 0), gs.utc(2026, 12, 1, 0)), 0.0),
    "gap-and-more": ((gs.utc(2026, 11, 29, 12), gs.utc(2026, 12, 1, 12)), 0.0),
    "no-gap": (None, 1.0),
}
SMALL = {"apis": ("x",), "applications": ("y",)}


@pytest.fixture(scope="module")
def backfilled(
    prometheus_backfill: Callable[[Path], services.BackfilledPrometheus], tmp_path_factory: pytest.TempPathFactory
) -> tuple[gs.Generated, str]:
    profiles = [gs.TenantProfile(i, **SMALL) for i in ODD_IDS]  # type: ignore[arg-type]
    profiles += [gs.TenantProfile(i, gap=gap, **SMALL) for i, (gap, _) in GAPS.items()]  # type: ignore[arg-type]
    path = tmp_path_factory.mktemp("odd") / "odd.om"
    generated = gs.write_openmetrics(path, profiles, START, END, interval=3600, seed=3)
    return generated, prometheus_backfill(generated.path).url


def _selected(url: str, ids: list[str]) -> set[str]:
    query = f"count by (tenant) (gateway_requests_total{{{tenant_matcher('tenant', ids)}}})"
    return {row["metric"]["tenant"] for row in gateway.instant(url, query, END)}


#: ids of tenants a control plane may hold: any text PostgreSQL stores (no NUL, no surrogate)
any_id = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@settings(max_examples=40)
@given(chosen=st.lists(st.sampled_from(ODD_IDS), min_size=1, max_size=4), others=st.lists(any_id, max_size=2))
def test_the_tenant_matcher_selects_exactly_the_named_tenants(
    backfilled: tuple[gs.Generated, str], chosen: list[str], others: list[str]
) -> None:
    _, url = backfilled
    assert _selected(url, chosen + others) == set(chosen + others) & set(ODD_IDS)


@settings(max_examples=300)
@given(chosen=st.lists(any_id, min_size=1, max_size=4), others=st.lists(any_id, max_size=6))
def test_the_matcher_pattern_matches_exactly_its_ids(chosen: list[str], others: list[str]) -> None:
    """The same rule without a server, on many more ids: the PromQL string decoded (JSON's
    escapes are the Go ones PromQL reads) is a pattern matching the chosen ids and no other."""
    matcher = tenant_matcher("tenant", chosen)
    assert matcher.startswith('tenant=~"')
    pattern = json.loads(matcher.removeprefix("tenant=~"))
    for candidate in chosen + others + [c.upper() for c in chosen] + [f" {c}" for c in chosen]:
        assert bool(re.fullmatch(pattern, candidate, re.DOTALL)) == (candidate in chosen), candidate


def test_completeness_at_every_edge_of_the_period(backfilled: tuple[gs.Generated, str]) -> None:
    generated, url = backfilled
    cfg = gateway.settings(url)
    tenants = gateway.tenant_rows(*GAPS)
    reading = prometheus.read(cfg, gateway.context(cfg), DAY, tenants)
    found = {t: reading.fields[t]["completeness"] for t in GAPS}
    assert found == {t: share for t, (_, share) in GAPS.items()}
    assert found == {t: ge.completeness(generated, t, DAY, 3600) for t in GAPS}
    # a whole day unscraped after a day with traffic: no calls read (current None), but 0 %
    # complete, so the report says data is missing rather than only "no traffic"
    assert reading.fields["gap-the-whole-day"]["current"] is None
    assert reading.fields["gap-the-whole-day"]["previous"] is not None
    for tenant in GAPS:
        assert reading.fields[tenant] == ge.expected_usage(generated, tenant, DAY, 3600), tenant
