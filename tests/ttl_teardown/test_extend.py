"""Extensions: owner only, bounded, recorded, written back; explained; and the snooze route."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from jobs.core.settings import load_settings
from jobs.ttl_teardown import snooze
from jobs.ttl_teardown.commands import main as ttl_command
from jobs.ttl_teardown.extend import ExtensionRefused, explain, extend
from jobs.ttl_teardown.rules import ExtensionRules, extension_refusal, parse_ttl
from jobs.ttl_teardown.snooze_route import respond
from tests.ttl_teardown.fleet import OWNER, T0, ttl_config

RULES = ExtensionRules()
KEY = "route-test-snooze-key"


@pytest.mark.parametrize(
    ("by", "days", "granted", "refusal"),
    [
        (OWNER, 7, [], None),
        ("DANA@example.com", 14, [7], None),
        ("eve@example.com", 7, [], "only the owner (dana@example.com) may extend this resource"),
        (OWNER, 5, [], "an extension is 7 or 14 days, not 5"),
        (OWNER, 7, [7, 14], "already extended 2 times (the most is 2)"),
    ],
)
def test_extension_rules(by: str, days: int, granted: list[float], refusal: str | None) -> None:
    assert extension_refusal({"Owner": OWNER}, by, days, granted, RULES) == refusal


def test_the_total_is_bounded_and_an_extended_ttl_tag_still_parses() -> None:
    rules = ExtensionRules(allowed_days=(30,), max_count=3, max_total_days=60)
    refusal = extension_refusal({"owner": OWNER}, OWNER, 30, [30, 30], rules)
    assert refusal == "60 days already granted; 30 more would pass the 60-day limit"
    ttl, why = parse_ttl("7d+14d", 30)
    assert why is None and ttl == timedelta(days=7)  # the days granted come from the state DB


def settings(fleet: dict[str, Any]) -> Any:
    return load_settings(ttl_config(fleet["dir"], snooze={"hmac_key": KEY, "base_url": "https://x.test"}))


def test_the_owner_extends_twice_and_no_more_and_the_tag_shows_it(fleet: dict[str, Any]) -> None:
    s, doomed = settings(fleet), fleet["ids"]["doomed"]
    before = explain(s, doomed, T0)
    assert before["expires_at"] == "2026-11-24T02:00:00Z" and before["verdict"] == "warn"  # within 48 h
    first = extend(s, doomed, 7, "demo on Friday", OWNER, T0)
    assert (first["expires_at"], first["ttl_tag"], first["extensions"]) == ("2026-12-01T02:00:00Z", "2d+7d", 1)
    tags = fleet["ec2"].describe_instances(InstanceIds=[doomed])["Reservations"][0]["Instances"][0]["Tags"]
    assert {t["Key"]: t["Value"] for t in tags}["ttl"] == "2d+7d"
    assert explain(s, doomed, T0)["expires_at"] == "2026-12-01T02:00:00Z"
    extend(s, doomed, 14, "still needed", OWNER, T0)
    with pytest.raises(ExtensionRefused, match="already extended 2 times"):
        extend(s, doomed, 7, "again", OWNER, T0)
    with pytest.raises(ExtensionRefused, match="only the owner"):
        extend(s, fleet["ids"]["fresh0"], 7, "mine now", "eve@example.com", T0)


def test_the_command_line_explains_and_refuses_with_exit_codes(
    fleet: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    settings(fleet)
    config = str(fleet["dir"] / "c.yaml")
    assert ttl_command(["explain", fleet["ids"]["prod"], "--config", config, "--now", T0.isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["reason"] == "environment=prod"
    code = ttl_command(
        ["extend", fleet["ids"]["doomed"], "--days", "9", "--reason", "x", "--by", OWNER, "--config", config]
    )
    assert code == 1 and "refused: an extension is 7 or 14 days, not 9" in capsys.readouterr().err


def url_event(link: str, method: str) -> dict[str, Any]:
    parts = urlsplit(link)
    return {
        "rawPath": parts.path,
        "queryStringParameters": dict(parse_qsl(parts.query)),
        "requestContext": {"http": {"method": method}},
    }


def test_a_snooze_link_shows_a_button_on_get_and_extends_on_post(
    fleet: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings(fleet)
    monkeypatch.setenv("SECOPS_CONFIG", str(fleet["dir"] / "c.yaml"))
    doomed = fleet["ids"]["doomed"]
    link = snooze.link("https://x.test", KEY.encode(), doomed, OWNER, 7, T0, 72)
    shown = respond(url_event(link, "GET"), now=T0)
    assert shown["statusCode"] == 200 and "<button>Extend</button>" in shown["body"]
    assert load_settings() and explain(load_settings(), doomed, T0)["extension_days"] == 0  # GET changed nothing
    done = respond(url_event(link, "POST"), now=T0)
    assert done["statusCode"] == 200 and "now expires at 2026-12-01T02:00:00Z" in done["body"]
    tampered = url_event(link.replace("d=7", "d=14"), "POST")
    assert respond(tampered, now=T0)["statusCode"] == 403
    assert respond(url_event(link, "POST"), now=T0 + timedelta(hours=73))["statusCode"] == 403
