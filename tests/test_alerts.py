"""Alert state: dedup window, escalation at once, resolve when cleared, retry when undelivered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from jobs.core.alerts import Change, decide_alerts, record_after_send
from jobs.core.model import Finding, Severity
from jobs.core.state.alerts import AlertRecord
from tests.fakes.base import Response
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.slack import FakeSlack
from tests.helpers import run_sample, write_config
from tests.sample_jobs import write_items
from tests.test_notifications import ROUTING_KEY

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
REPEAT = {"critical": 24.0, "warning": None, "info": None}


def finding(severity: str, resource: str = "file:a.pem") -> Finding:
    return Finding("certificate", Severity(severity), resource, f"{severity} problem")


def sent(severity: str, hours_ago: float) -> AlertRecord:
    at = NOW - timedelta(hours=hours_ago)
    return AlertRecord(severity, "t", at, at)


def changes(
    findings: list[Finding], previous: dict[str, AlertRecord], resolve: bool = True
) -> list[tuple[str, Change]]:
    return [(d.key, d.change) for d in decide_alerts(findings, previous, NOW, REPEAT, resolve)]


KEY = "certificate:file:a.pem"


def test_decision_table() -> None:
    assert changes([finding("warning")], {}) == [(KEY, Change.NEW)]
    assert changes([finding("ok")], {}) == []
    assert changes([finding("warning")], {KEY: sent("warning", 200)}) == []  # warnings never repeat daily
    assert changes([finding("critical")], {KEY: sent("critical", 21.5)}) == []
    assert changes([finding("critical")], {KEY: sent("critical", 23.99)}) == [(KEY, Change.REPEAT)]  # ran early
    assert changes([finding("critical")], {KEY: sent("critical", 24)}) == [(KEY, Change.REPEAT)]
    assert changes([finding("critical")], {KEY: sent("warning", 0.1)}) == [(KEY, Change.ESCALATED)]
    assert changes([finding("info")], {KEY: sent("warning", 0.1)}) == [(KEY, Change.DEESCALATED)]
    assert changes([finding("ok")], {KEY: sent("warning", 1)}) == [(KEY, Change.RESOLVED)]
    assert changes([], {KEY: sent("warning", 1)}) == [(KEY, Change.RESOLVED)]
    assert changes([], {KEY: sent("warning", 1)}, resolve=False) == []  # an incomplete inventory resolves nothing


def test_two_findings_on_one_key_alert_once_at_the_worse_severity() -> None:
    [decision] = decide_alerts([finding("info"), finding("critical")], {}, NOW, REPEAT, True)
    assert decision.finding is not None and decision.finding.severity is Severity.CRITICAL


severities = st.sampled_from(["ok", "info", "warning", "critical"])


@given(severities, severities, st.floats(0, 21.59))
def test_within_nine_tenths_of_the_window_an_unchanged_severity_is_never_resent(
    before: str, now_sev: str, hours: float
) -> None:
    previous = {} if before == "ok" else {KEY: sent(before, hours)}
    decisions = decide_alerts([finding(now_sev)], previous, NOW, REPEAT, True)
    if before == now_sev:
        assert decisions == []
    if Severity(now_sev).rank > Severity(before).rank:
        assert [d.change for d in decisions] in ([Change.NEW], [Change.ESCALATED])
    for decision in decisions:
        record = record_after_send(decision, NOW)
        assert record is None or record.last_sent_at == NOW


def _daily_runs(starts: list[datetime], window: float) -> list[Change | None]:
    """What each of a series of runs sends for one finding that stays critical."""
    previous: dict[str, AlertRecord] = {}
    seen: list[Change | None] = []
    for start in starts:
        decisions = decide_alerts([finding("critical")], previous, start, {"critical": window}, True)
        seen.append(decisions[0].change if decisions else None)
        for decision in decisions:
            record = record_after_send(decision, start)
            assert record is not None
            previous[decision.key] = record
    return seen


# a start is late by up to a tenth of the window (pod scheduling, a cold Lambda, a lock waited for)
jitters = st.lists(st.floats(0, 0.0999, allow_nan=False), min_size=2, max_size=30)


@given(jitters, st.sampled_from([1.0, 6.0, 24.0, 24 * 7.0]))
def test_a_run_on_the_windows_cadence_repeats_every_time_whatever_its_start_jitter(
    jitter: list[float], window: float
) -> None:
    starts = [NOW + timedelta(hours=window * (day + late)) for day, late in enumerate(jitter)]
    assert _daily_runs(starts, window) == [Change.NEW] + [Change.REPEAT] * (len(starts) - 1)


def test_a_daily_run_a_few_seconds_earlier_than_yesterdays_still_repeats_the_24h_alert() -> None:
    starts = [NOW + timedelta(seconds=5), NOW + timedelta(days=1), NOW + timedelta(days=2, seconds=3)]
    assert _daily_runs(starts, 24.0) == [Change.NEW, Change.REPEAT, Change.REPEAT]


@given(st.floats(0, 0.8999, allow_nan=False), st.floats(0.001, 10_000, allow_nan=False))
def test_a_run_earlier_than_nine_tenths_of_the_window_never_repeats(share: float, window: float) -> None:
    assert _daily_runs([NOW, NOW + timedelta(hours=window * share)], window) == [Change.NEW, None]


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, -1.0, 1e300, -1e300, float("inf"), float("nan")]),
    ),
    st.floats(-1e6, 1e6, allow_nan=False),
)
def test_any_window_setting_decides_without_raising(window: float, hours_ago: float) -> None:
    decisions = decide_alerts(
        [finding("critical")], {KEY: sent("critical", hours_ago)}, NOW, {"critical": window}, True
    )
    assert [d.change for d in decisions] in ([], [Change.REPEAT])
    if window != window or window == float("inf"):  # NaN or infinite: never again
        assert decisions == []


# -- through the runner, at the fakes ------------------------------------------------------------
def config(tmp_path: Path, pagerduty: FakePagerDuty, slack: FakeSlack) -> str:
    return write_config(
        tmp_path / "c.yaml",
        {
            "notifications": {
                "pagerduty": {"routing_key": ROUTING_KEY, "events_url": pagerduty.events_url},
                "slack": {"webhook_url": slack.webhook_url},
                "repeat_after_hours": {"critical": 24, "warning": None},
            }
        },
    )


def run_at(tmp_path: Path, cfg: str, when: datetime) -> dict[str, object]:
    ran = run_sample(tmp_path / "s", "--apply", "--config", cfg, "--now", when.isoformat())
    assert ran.result is not None
    return ran.result


def test_dedup_escalation_repeat_and_resolve_across_runs(
    tmp_path: Path, pagerduty: FakePagerDuty, slack: FakeSlack
) -> None:
    cfg = config(tmp_path, pagerduty, slack)
    write_items(tmp_path / "s", {"id": "a", "severity": "warning", "message": "expires in 20 days"})
    first = run_at(tmp_path, cfg, NOW)
    assert first["alerts_sent"] == ["slack"] and pagerduty.events == []  # CONTRACT: warning → slack (email unset)

    assert run_at(tmp_path, cfg, NOW + timedelta(days=3))["alerts_sent"] == []  # no daily repeat at warning

    write_items(tmp_path / "s", {"id": "a", "severity": "critical", "message": "expires in 5 days"})
    escalated = run_at(tmp_path, cfg, NOW + timedelta(days=3, hours=1))
    assert escalated["alerts_sent"] == ["slack", "pagerduty"]
    assert pagerduty.events[-1]["event_action"] == "trigger"
    assert "(was warning)" in slack.webhook_posts[-1]["blocks"][1]["text"]["text"]

    assert run_at(tmp_path, cfg, NOW + timedelta(days=3, hours=12))["alerts_sent"] == []
    repeated = run_at(tmp_path, cfg, NOW + timedelta(days=4, hours=2))
    assert repeated["alerts_sent"] == ["slack", "pagerduty"]  # still critical a day later: say so again

    write_items(tmp_path / "s", {"id": "a", "severity": "ok", "message": "renewed"})
    resolved = run_at(tmp_path, cfg, NOW + timedelta(days=5))
    assert resolved["alerts_sent"] == ["slack", "pagerduty"]
    assert pagerduty.events[-1] == {
        "routing_key": ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": "sample-store:sample:store:a",
    }
    assert pagerduty.open_incidents == {}
    assert slack.webhook_posts[-1]["text"].startswith("[RESOLVED] store:a: expires in 5 days")
    assert run_at(tmp_path, cfg, NOW + timedelta(days=6))["alerts_sent"] == []


def test_a_source_that_fails_to_answer_does_not_resolve_open_alerts(
    tmp_path: Path, pagerduty: FakePagerDuty, slack: FakeSlack
) -> None:
    cfg = config(tmp_path, pagerduty, slack)
    write_items(tmp_path / "s", {"id": "a", "severity": "critical"})
    run_at(tmp_path, cfg, NOW)
    (tmp_path / "s" / "a.json").unlink()
    (tmp_path / "s" / "broken.json").write_text("{")
    assert run_at(tmp_path, cfg, NOW + timedelta(hours=1))["alerts_sent"] == []
    assert list(pagerduty.open_incidents) == ["sample-store:sample:store:a"]


def test_an_undelivered_alert_is_tried_again_on_the_next_run(
    tmp_path: Path, pagerduty: FakePagerDuty, slack: FakeSlack
) -> None:
    cfg = config(tmp_path, pagerduty, slack)
    write_items(tmp_path / "s", {"id": "a", "severity": "critical"})
    pagerduty.fail_next("POST", "/v2/enqueue", Response(400, {"status": "invalid event", "errors": ["boom"]}))
    slack.fail_next("POST", "/services/.*", Response(404, "no_service"))
    failed = run_at(tmp_path, cfg, NOW)
    assert failed["status"] == "partial" and failed["alerts_sent"] == []
    assert {e["source"] for e in failed["errors"]} == {"notify:pagerduty", "notify:slack"}  # type: ignore[attr-defined]
    again = run_at(tmp_path, cfg, NOW + timedelta(minutes=10))
    assert again["alerts_sent"] == ["slack", "pagerduty"] and again["status"] == "success"
