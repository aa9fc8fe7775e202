"""Gateway analytics through the real opensearch-py client against tests/fakes/opensearch.py."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from jobs.core import redact
from jobs.usage_report.model import Breakdown, Period, Tenant
from jobs.usage_report.settings import GatewayAnalyticsSettings, UsageReportSettings
from jobs.usage_report.sources import Reading
from jobs.usage_report.sources.gateway_analytics import read, terms_size
from tests.fakes.base import Response
from tests.fakes.opensearch import FakeOpenSearch
from tests.services import free_port
from tests.usage_report.sources.context import source_context

START = datetime(2026, 11, 30, tzinfo=UTC)
PERIOD = Period("daily", START, START + timedelta(days=1))
PASSWORD = "an4lytics-Pa55"
TENANTS = [Tenant("acme", "Acme", ()), Tenant("globex", "Globex", ()), Tenant("initech", "Initech", ())]


def call(tenant: str, api: str, application: str, status: int, minute: int = 30) -> dict[str, Any]:
    at = START + timedelta(minutes=minute)
    return {
        "@timestamp": at.isoformat().replace("+00:00", "Z"),
        "tenant": tenant,
        "api": api,
        "application": application,
        "status": status,
    }


def calls() -> list[dict[str, Any]]:
    docs = [call("acme", "orders", "shop", 200) for _ in range(7)]
    docs += [call("acme", "orders", "shop", 503) for _ in range(2)]
    docs += [call("acme", "payments", "billing", 402) for _ in range(3)]
    docs += [call("acme", "payments", "shop", 200)]
    docs += [call("globex", "search", "portal", 200) for _ in range(4)]
    docs.append(call("acme", "orders", "shop", 200, minute=0))  # the period's first instant: in
    docs.append(call("acme", "orders", "shop", 500, minute=24 * 60))  # its end: out (the next day's)
    docs.append(call("acme", "orders", "shop", 500, minute=-1))  # the day before: out
    docs.append(call("umbrella", "orders", "shop", 200))  # not one of the tenants asked for
    return docs


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenSearch]:
    with FakeOpenSearch("reporter", PASSWORD) as fake:
        yield fake


@pytest.fixture
def fake(server: FakeOpenSearch) -> FakeOpenSearch:
    server.reset()
    server.index("gateway-2026.11.30", calls())
    return server


def config(
    url: str, index: str = "gateway-*", password: str = PASSWORD, top_n: int = 5, **extra: Any
) -> UsageReportSettings:
    section = GatewayAnalyticsSettings(url=url, index=index, username="reporter", password=SecretStr(password), **extra)
    return UsageReportSettings(gateway_analytics=section, top_n=top_n)


def run(tmp_path: Path, cfg: UsageReportSettings, tenants: list[Tenant] = TENANTS) -> Reading:
    return read(cfg, source_context(tmp_path, cfg), PERIOD, tenants)


def test_one_aggregation_search_per_dimension_for_all_tenants_gives_exact_breakdowns(
    tmp_path: Path, fake: FakeOpenSearch
) -> None:
    reading = run(tmp_path, config(fake.url))
    assert reading.queries == 2 and reading.errors == []
    searches = fake.searches()
    assert len(searches) == 2 and all(body["size"] == 0 for body in searches)
    assert searches[0]["query"]["bool"]["filter"][1] == {"terms": {"tenant": ["acme", "globex", "initech"]}}
    assert searches[0]["aggs"]["tenants"]["aggs"]["top"]["terms"] == {"field": "api", "size": 100}
    acme = reading.fields["acme"]
    assert acme["apis"] == (Breakdown("orders", 10, 2), Breakdown("payments", 4, 3))
    assert acme["applications"] == (Breakdown("shop", 11, 2), Breakdown("billing", 3, 3))
    assert acme["breakdown_source"] == "gateway_analytics"
    assert reading.fields["globex"]["apis"] == (Breakdown("search", 4, 0),)
    assert reading.fields["initech"] == {"apis": (), "applications": (), "breakdown_source": "gateway_analytics"}
    assert "umbrella" not in reading.fields
    assert reading.problems == {"acme": [], "globex": [], "initech": []}


def test_the_appendix_query_names_no_tenant(tmp_path: Path, fake: FakeOpenSearch) -> None:
    """Each tenant's PDF holds only its own data: the method text shows a placeholder, not the
    list of every tenant the search asked for."""
    reading = run(tmp_path, config(fake.url))
    assert set(reading.methods) == {"analytics_apis", "analytics_applications"}
    for text in reading.methods.values():
        assert "acme" not in text and "globex" not in text and "<the report's tenant>" in text
        assert json.loads(text)["aggs"]["tenants"]["aggs"]["top"]["aggs"]["errors"] == {
            "filter": {"range": {"status": {"gte": 400}}}
        }


def test_a_top_list_cut_short_says_how_many_calls_it_leaves_out(tmp_path: Path, fake: FakeOpenSearch) -> None:
    fake.index("gateway-2026.11.30", [call("globex", f"api-{i:03d}", "portal", 200) for i in range(103)])
    reading = run(tmp_path, config(fake.url))
    apis = reading.fields["globex"]["apis"]
    assert len(apis) == 100 and sum(b.calls for b in apis) == 4 + 99
    assert reading.problems["globex"] == [
        "gateway analytics: the top apis list shows 100 entries; 4 more calls went to apis not listed"
    ]
    assert reading.problems["acme"] == []


def test_calls_naming_no_api_are_said_not_dropped(tmp_path: Path, fake: FakeOpenSearch) -> None:
    unnamed = call("initech", "x", "desk", 200)
    del unnamed["api"]
    fake.index("gateway-2026.11.30", [unnamed, unnamed])
    reading = run(tmp_path, config(fake.url))
    assert reading.fields["initech"]["apis"] == ()
    assert reading.fields["initech"]["applications"] == (Breakdown("desk", 2, 0),)
    assert reading.problems["initech"] == ["gateway analytics: 2 calls name no api and are in no top apis row"]


def test_failed_shards_make_every_list_say_it_may_miss_calls(tmp_path: Path, fake: FakeOpenSearch) -> None:
    fake.failed_shards = 2
    reading = run(tmp_path, config(fake.url))
    said = "gateway analytics: 2 of 5 shards failed: the top lists may miss calls"
    assert all(reading.problems[t.id] == [said, said] for t in TENANTS)
    assert reading.fields["acme"]["apis"][0] == Breakdown("orders", 10, 2)


def test_a_missing_index_is_an_error_naming_it_and_a_problem_of_every_tenant(
    tmp_path: Path, fake: FakeOpenSearch
) -> None:
    reading = run(tmp_path, config(fake.url, index="gateway-archive"))
    assert [e.message for e in reading.errors] == [
        f"{d}: index 'gateway-archive' not found (404: index_not_found_exception: no such index [gateway-archive])"
        for d in ("apis", "applications")
    ]
    assert reading.fields == {}
    assert reading.problems["globex"][0].startswith("gateway analytics: top apis not read (index 'gateway-archive'")


def test_a_wildcard_matching_no_index_is_no_calls_not_an_error(tmp_path: Path, fake: FakeOpenSearch) -> None:
    reading = run(tmp_path, config(fake.url, index="other-*"))
    assert reading.errors == [] and reading.fields["acme"]["apis"] == ()


def test_a_refused_aggregation_quotes_the_root_cause(tmp_path: Path, fake: FakeOpenSearch) -> None:
    fake.text_fields["gateway-2026.11.30"] = {"application"}
    reading = run(tmp_path, config(fake.url))
    [error] = reading.errors
    assert error.message.startswith(
        "applications: the search was refused (400: illegal_argument_exception: Text fields are not optimised"
    )
    assert reading.fields["acme"]["apis"][0] == Breakdown("orders", 10, 2)  # the other dimension still read
    assert "applications" not in reading.fields["acme"]


@pytest.mark.parametrize("in_url", [False, True])
def test_refused_credentials_are_said_and_no_password_is_shown(
    tmp_path: Path, fake: FakeOpenSearch, in_url: bool
) -> None:
    wrong = "wr0ng-Secret-99"
    if in_url:
        host = fake.url.replace("http://", f"http://reporter:{wrong}@")
        cfg = UsageReportSettings(gateway_analytics=GatewayAnalyticsSettings(url=host, index="gateway-*"))
    else:
        cfg = config(fake.url, password=wrong)
    reading = run(tmp_path, cfg)
    assert reading.errors[0].message == (
        "apis: the credentials were refused (401): set usage_report.gateway_analytics.username/password"
    )
    everything = (
        json.dumps([e.to_json() for e in reading.errors]) + json.dumps(reading.problems) + json.dumps(reading.methods)
    )
    assert wrong not in everything
    assert redact.scrub(f"x {wrong} y") == "x *** y"  # registered for every log line too
    assert fake.calls()[0].headers["authorization"].startswith("Basic ")
    assert all(wrong not in r.path for r in fake.calls())


def test_a_gateway_error_is_retried_once_by_the_client_and_only_once(tmp_path: Path, fake: FakeOpenSearch) -> None:
    fake.fail_next("POST", r"/.*/_search", Response(503, {"error": "unavailable"}), times=1)
    reading = run(tmp_path, config(fake.url))
    assert reading.errors == [] and len(fake.calls()) == 3
    fake.requests.clear()
    fake.fail_next("POST", r"/.*/_search", Response(503, {"error": "unavailable"}), times=2)
    reading = run(tmp_path, config(fake.url))
    assert [e.message for e in reading.errors] == ["apis: the search was refused (503: unavailable)"]
    assert len(fake.calls()) == 2 + 1  # apis: two tries; applications: one


def test_a_search_that_does_not_answer_in_time_is_tried_twice_then_said(tmp_path: Path, stalling: str) -> None:
    began = time.monotonic()
    reading = run(tmp_path, config(stalling, timeout_seconds=0.3))
    took = time.monotonic() - began
    assert [e.message for e in reading.errors] == [
        f"{d}: no answer from {stalling} within 0.3 s (tried twice)" for d in ("apis", "applications")
    ]
    assert 4 * 0.3 <= took < 4 * 0.3 + 1.5  # two tries per dimension, no third, no sleeping retry layer


def test_an_unreachable_server_is_said(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    reading = run(tmp_path, config(url))
    assert reading.errors[0].message == f"apis: could not reach {url} ([Errno 111] Connection refused; tried twice)"


def test_no_tenants_means_no_search(tmp_path: Path, fake: FakeOpenSearch) -> None:
    assert run(tmp_path, config(fake.url), []) == Reading()
    assert fake.calls() == []


@pytest.mark.parametrize(
    ("tenants", "top_n", "size"),
    [(1, 5, 100), (3, 5, 100), (300, 5, 100), (1000, 5, 30), (10_000, 5, 20), (1000, 50, 200)],
)
def test_the_terms_size_spends_the_bucket_budget_but_never_drops_under_the_tables(
    tenants: int, top_n: int, size: int
) -> None:
    assert terms_size(tenants, top_n) == size


# -- the protective rule: no call is silently dropped from a tenant's breakdown ----------------
api_names = st.sampled_from([f"api-{i}" for i in range(8)] + ["", "ünïcode", "Orders", "orders"])
docs = st.lists(
    st.tuples(st.sampled_from(["acme", "globex"]), st.one_of(st.none(), api_names), st.sampled_from([200, 404, 500])),
    max_size=60,
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=docs, top_n=st.integers(1, 2), wide=st.booleans())
def test_listed_plus_stated_calls_are_every_call_of_the_tenant(
    tmp_path: Path, fake: FakeOpenSearch, docs: list[tuple[str, str | None, int]], top_n: int, wide: bool
) -> None:
    """Duplicates, case variants, an empty name, non-ASCII, calls with no api at all, and (wide)
    more APIs than the list holds: what is listed plus what the problems state is every call."""
    if wide:
        docs = docs + [("acme", f"wide-{i:03d}", 200) for i in range(101)]
    fake.reset()
    made = []
    for tenant, api, status in docs:
        doc = call(tenant, api or "", "app", status)
        if api is None:
            del doc["api"]
        made.append(doc)
    fake.index("gateway", made)
    cfg = config(fake.url, index="gateway", top_n=top_n)
    reading = read(cfg, source_context(tmp_path, cfg), PERIOD, TENANTS[:2])
    for tenant in ("acme", "globex"):
        mine = [d for d in docs if d[0] == tenant]
        listed = reading.fields[tenant]["apis"]
        stated = sum(_stated_calls(p) for p in reading.problems[tenant])
        assert sum(b.calls for b in listed) + stated == len(mine)
        named = Counter(api for _, api, _ in mine if api is not None)
        for row in listed:
            assert named[row.name if row.name != "(empty)" else ""] == row.calls


def _stated_calls(problem: str) -> int:
    if "more calls went to" in problem:
        return int(problem.split("; ")[1].split(" ")[0])
    if "calls name no" in problem:
        return int(problem.split(": ")[1].split(" ")[0])
    return 0
