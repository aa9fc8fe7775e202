"""The /snooze route on a warm Lambda instance, through the real handler: one connection to the
state DB and one migration per cold start, however many requests; its log lines with their
fields at the configured level; settings that fail are not loaded again by every anonymous
request, and one slow load is shared, not queued behind; an expiry past what a date can hold is
a 400, never a 500."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

import psycopg
import pytest

from jobs.core import http_route
from jobs.core.errors import ConfigError
from jobs.core.resolve import load_settings
from jobs.core.state.migrations import MIGRATION_LOCK
from jobs.ttl_teardown import snooze
from tests import services
from tests.fakes.base import FakeServer, Request, Response
from tests.ttl_teardown.fleet import OWNER
from tests.ttl_teardown.snooze_site import (
    BASE,
    KEY,
    Site,
    arn,
    call,
    follow,
    log_lines,
    press,
    query_of,
    url_event,
)

#: six well-formed fields no key signed: what anyone can send
ANONYMOUS = "v=1&r=x&o=y&d=7&e=1&s=" + "0" * 64


def connections(url: str) -> int:
    """Sessions open on the database of `url`, but this one."""
    with psycopg.connect(url, autocommit=True) as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


# -- D1: one state store per cold start ---------------------------------------------------------
def test_a_warm_instance_holds_one_state_db_connection_and_migrates_once_however_many_requests(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, postgres: services.Postgres
) -> None:
    url = postgres.create_database("snooze_warm")
    with psycopg.connect(url, autocommit=True) as admin:  # a migrator waiting for its lock gives up fast
        admin.execute("ALTER DATABASE snooze_warm SET lock_timeout = '500ms'")
    site = Site(fleet, monkeypatch, state_url=url, top={"state_retry_seconds": 1})
    links = [site.link(days=7, hours=72 - n) for n in range(3)]
    shown = call(url_event("GET", query_of(links[0])))  # the cold start: migrates
    assert shown["statusCode"] == 200
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))  # a request that migrated would wait
        done = press(shown)
        pages = [follow(done)["statusCode"] for _ in range(30)]
        pages += [call(url_event("GET", query_of(link)))["statusCode"] for link in links[1:] * 10]
        replays = [call(url_event("POST", body=query_of(links[0]), b64=True))["statusCode"] for _ in range(20)]
        assert (done["statusCode"], set(pages), set(replays)) == (303, {200}, {409})
        assert connections(url) == 2  # the route's one, and the lock holder's
    assert connections(url) == 1
    assert [row[1:3] for row in site.rows()] == [(7.0, 1)]


# -- D2: the route's logs -------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["info", "warning"])
def test_the_routes_log_lines_carry_resource_owner_and_reason_at_the_configured_level_never_the_key(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], level: str
) -> None:
    site = Site(fleet, monkeypatch, top={"log_level": level})
    good, eve = site.link(), site.link(owner="eve@example.com")
    assert press(call(url_event("GET", query_of(good))))["statusCode"] == 303
    assert call(url_event("POST", body=query_of(good), b64=True))["statusCode"] == 409
    assert call(url_event("POST", body=query_of(eve), b64=True))["statusCode"] == 409
    err = capsys.readouterr().err
    doomed = arn(site.ids["doomed"])
    signatures = [dict(parse_qsl(query_of(link)))["s"] for link in (good, eve)]
    extended = [{"resource": doomed, "owner": OWNER, "days": 7, "link": signatures[0][:12]}]
    assert log_lines(err, "snooze_extended") == (extended if level == "info" else [])
    refused = log_lines(err, "snooze_refused")
    assert [(line["resource"], line["link"]) for line in refused] == [(doomed, s[:12]) for s in signatures]
    assert refused[0]["reason"] == "already used" and "only the owner" in refused[1]["reason"]
    assert KEY not in err and not any(s in err for s in signatures)


# -- D3: settings that fail ------------------------------------------------------------------------
class CountingVault(FakeServer):
    """KV v2 reads of `secret/snooze`, counted; its key and its delay set by the test."""

    def __init__(self) -> None:
        super().__init__()
        self.key, self.delay = "short", 0.0
        self.route("GET", "/v1/secret/data/snooze")(self._read)

    def _read(self, request: Request) -> Response:
        time.sleep(self.delay)
        return Response(200, {"data": {"data": {"key": self.key}, "metadata": {"version": 1}}})

    def reads(self) -> int:
        return len(self.calls("GET"))


@pytest.fixture
def vault() -> Any:
    fake = CountingVault().start()
    yield fake
    fake.stop()


def vault_site(fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, vault: CountingVault) -> Site:
    top = {"vault": {"url": vault.url, "token": "vault-test-token", "timeout_seconds": 5}}
    return Site(fleet, monkeypatch, top=top, snooze={"hmac_key": "vault:secret/snooze#key", "base_url": BASE})


def test_settings_that_fail_are_not_loaded_again_by_each_request_and_a_fixed_secret_is_read_later(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, vault: CountingVault
) -> None:
    site = vault_site(fleet, monkeypatch, vault)
    answers = [call(url_event("GET", ANONYMOUS))["statusCode"] for _ in range(5)]
    assert answers == [503] * 5 and vault.reads() == 1
    vault.key = KEY  # fixed in Vault: no redeploy, no restart
    assert call(url_event("GET", query_of(site.link())))["statusCode"] == 503 and vault.reads() == 1
    monkeypatch.setattr(http_route, "RETRY_FAILED_SECONDS", 0.3)  # instead of waiting out the minute
    time.sleep(0.4)
    assert call(url_event("GET", query_of(site.link())))["statusCode"] == 200 and vault.reads() == 2
    assert call(url_event("GET", query_of(site.link())))["statusCode"] == 200 and vault.reads() == 2


def test_one_slow_failing_load_of_the_settings_is_shared_by_the_requests_arriving_meanwhile(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch, vault: CountingVault
) -> None:
    vault.delay = 1.0  # and the key is too short
    vault_site(fleet, monkeypatch, vault)
    statuses: list[int] = []

    def get() -> None:
        statuses.append(call(url_event("GET", ANONYMOUS))["statusCode"])

    threads = [threading.Thread(target=get) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (statuses, vault.reads()) == ([503] * 4, 1)
    assert time.monotonic() - started < 2.5  # one load of 1 s, not four in a row


# -- informational: bounds ---------------------------------------------------------------------------
def test_a_signed_expiry_past_what_a_date_can_hold_is_a_400_never_a_500(
    fleet: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Site(fleet, monkeypatch)
    resource = arn(site.ids["doomed"])
    for expires, status in ((snooze.MAX_EXPIRES, 200), (snooze.MAX_EXPIRES + 1, 400), (999_999_999_999, 400)):
        signature = snooze._signature(KEY.encode(), resource, OWNER, 7, expires)
        query = urlencode({"v": "1", "r": resource, "o": OWNER, "d": "7", "e": str(expires), "s": signature})
        assert call(url_event("GET", query))["statusCode"] == status, expires
        if status == 400:
            assert call(url_event("POST", body=query, b64=True))["statusCode"] == 400
    assert site.rows() == []


@pytest.mark.parametrize(("hours", "valid"), [(720, True), (721, False), (10**9, False)])
def test_a_link_works_at_most_30_days(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, hours: int, valid: bool) -> None:
    from tests.helpers import write_config

    section = {"snooze": {"hmac_key": KEY, "base_url": BASE, "link_ttl_hours": hours}}
    monkeypatch.setenv("SECOPS_CONFIG", write_config(tmp_path / "c.yaml", {"ttl_teardown": section}))
    if valid:
        assert load_settings().ttl_teardown.snooze.link_ttl_hours == hours  # type: ignore[attr-defined]
        return
    with pytest.raises(ConfigError) as refused:
        load_settings()
    [problem] = refused.value.problems
    assert problem.startswith("ttl_teardown.snooze.link_ttl_hours") and "720" in problem
