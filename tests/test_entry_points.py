"""The Lambda handler and the scheduler end in the same runner as the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from jobs.core.aws_lambda import JobRunFailed, handle, handler
from jobs.core.cli import job_parser, request
from jobs.core.invoke import request_from_options
from jobs.core.registry import JOBS, Schedule
from jobs.core.runtime import RunOptions
from jobs.core.scheduler import MISFIRE_GRACE_SECONDS, build_scheduler, cron_trigger, schedule_request
from tests.sample_jobs import SAMPLE_JOBS, SPEC, write_items

# what an EventBridge rule with a constant input delivers, and a scheduled event with detail
CONSTANT_INPUT = {"job": "sample-store", "args": {"apply": True, "now": "2026-11-23T02:00:00Z"}}
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-23T02:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/ttl-teardown-daily"],
    "detail": CONSTANT_INPUT,
}


def test_lambda_runs_the_job_from_an_eventbridge_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    write_items(store, {"id": "old", "expires_at": "2026-01-01T00:00:00+00:00"}, *[{"id": f"k{i}"} for i in range(9)])
    monkeypatch.setenv("SAMPLE_STORE", str(store))
    result = handle(SCHEDULED_EVENT, SAMPLE_JOBS)
    assert result["status"] == "success" and result["dry_run"] is False
    assert result["started_at"] == "2026-11-23T02:00:00Z"
    assert [a["outcome"] for a in result["actions"]] == ["done"] and result["exit_code"] == 0
    assert not (store / "old.json").exists()
    json.dumps(result)  # the return value must serialise for Lambda


def test_lambda_raises_with_the_errors_text_when_the_run_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    write_items(
        store,
        {"id": "bad", "expires_at": "2026-01-01T00:00:00+00:00", "behaviour": "permanent"},
        *[{"id": f"k{i}"} for i in range(9)],
    )
    monkeypatch.setenv("SAMPLE_STORE", str(store))
    with pytest.raises(JobRunFailed) as caught:
        handle(CONSTANT_INPUT, SAMPLE_JOBS)
    assert caught.value.code == 1 and caught.value.result and caught.value.result["status"] == "failure"
    assert str(caught.value) == (
        "sample-store exited 1 (status failure): delete store:bad: store:bad: refused by the store"
    )


def test_lambda_returns_a_guardrail_trip_so_eventbridge_does_not_retry_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    write_items(store, *[{"id": f"old{i}", "expires_at": "2026-01-01T00:00:00+00:00"} for i in range(5)])
    monkeypatch.setenv("SAMPLE_STORE", str(store))
    result = handle(CONSTANT_INPUT, SAMPLE_JOBS)
    assert (result["exit_code"], result["status"]) == (3, "failure")
    assert [e["source"] for e in result["errors"]] == ["guardrail"]
    assert {a["outcome"] for a in result["actions"]} == {"skipped"} and len(list(store.glob("*.json"))) == 5


@pytest.mark.parametrize(
    ("event", "env", "message"),
    [
        ({"job": "nope"}, {}, "event names no known job: 'nope' (known: sample-store)"),
        ({"job": "sample-store", "args": ["--apply"]}, {}, "event 'args' must be an object"),
        (
            {"job": "sample-store", "args": {"bogus_flag": True}},
            {},
            "event args not understood: unrecognized arguments: --bogus-flag",
        ),
        (
            {"detail": {"job": "sample-store", "args": {"now": "tomorrow"}}},
            {},
            "event args not understood: argument --now: 'tomorrow' is not an ISO 8601 instant",
        ),
        (
            CONSTANT_INPUT,
            {"SECOPS_SAMPLE_STORE__MAX_ACTIONS": "-1"},
            "sample_store.max_actions (from $SECOPS_SAMPLE_STORE__MAX_ACTIONS): Input should be greater than or "
            "equal to 0 (got '-1')",
        ),
        ({"job": "sample-store", "args": {"shard": "4/2"}}, {}, "--shard '4/2': need 0 <= i < n"),
        (
            {"job": "sample-store", "args": {"dry_run": True, "apply": True}},
            {},
            "event args not understood: argument --apply: not allowed with argument --dry-run",
        ),
        (
            {"job": "sample-store", "args": {"fail_on": "fatal"}},
            {},
            "event args not understood: argument --fail-on: invalid choice: 'fatal' "
            "(choose from 'critical', 'warning', 'info')",
        ),
    ],
)
def test_lambda_returns_a_configuration_error_naming_the_culprit_instead_of_raising(
    event: dict[str, object], env: dict[str, str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_items(tmp_path / "store", {"id": "a", "expires_at": "2026-01-01T00:00:00+00:00"})
    monkeypatch.setenv("SAMPLE_STORE", str(tmp_path / "store"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = handle(event, SAMPLE_JOBS)
    assert (result["exit_code"], result["status"], result["actions"]) == (2, "failure", [])
    assert result["errors"] == [{"source": "configuration", "message": message}]
    assert (tmp_path / "store" / "a.json").exists()  # nothing was done
    json.dumps(result)


def cli_request(*argv: str) -> tuple[RunOptions, str | None]:
    """What the sample job's command line asks for: its run options and settings file."""
    made = request(SPEC, job_parser(SPEC, SPEC.id).parse_args(argv))
    return made.options, made.config


def test_lambda_args_ask_for_the_run_the_same_command_line_asks_for() -> None:
    made = request_from_options(SPEC, {"apply": True, "now": "2026-11-23T00:00:00Z", "dry_run": False, "shard": "0/2"})
    assert (made.options, made.config) == cli_request("--apply", "--now", "2026-11-23T00:00:00Z", "--shard", "0/2")
    assert made.options.dry_run is False and made.options.shard and made.options.shard.label == "0/2"


@pytest.mark.parametrize("false", [False, None])
def test_a_false_option_is_a_flag_not_given_in_a_schedule_and_an_event_alike(false: object) -> None:
    schedule = Schedule("* * * * *", {"verbose_mode": false})
    scheduled = schedule_request(SPEC, schedule, "c.yaml", SAMPLE_JOBS)
    event = request_from_options(SPEC, {"config": "c.yaml", "verbose_mode": false, "dry_run": false, "apply": false})
    assert (scheduled.options, scheduled.config) == (event.options, event.config) == cli_request("--config", "c.yaml")
    assert scheduled.options == RunOptions()
    weekly = schedule_request(SPEC, Schedule("* * * * *", {"verbose_mode": True}), None)
    assert (weekly.options, weekly.config) == cli_request("--verbose-mode")


def test_the_lambda_shim_exposes_the_handler() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "lambda_handler", Path(__file__).parent.parent / "lambda" / "handler.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.handler is handler


def test_scheduler_registers_every_cron_in_utc_with_safe_defaults() -> None:
    scheduler = build_scheduler("/etc/secops.yaml", SAMPLE_JOBS, BackgroundScheduler())
    scheduler.start(paused=True)  # defaults apply once jobs leave the pending list
    jobs = {j.id: j for j in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"sample-store#0", "sample-store#1"}
    every_five, weekly = jobs["sample-store#0"], jobs["sample-store#1"]
    now = datetime(2026, 11, 23, 3, 2, tzinfo=UTC)  # a Monday
    assert every_five.trigger.get_next_fire_time(None, now) == datetime(2026, 11, 23, 3, 5, tzinfo=UTC)
    assert weekly.trigger.get_next_fire_time(None, now) == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    scheduled = weekly.args[0]
    assert (scheduled.options, scheduled.config) == cli_request("--config", "/etc/secops.yaml", "--verbose-mode")
    assert dict(scheduled.options.job_args) == {"verbose_mode": True} and scheduled.config == "/etc/secops.yaml"
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, MISFIRE_GRACE_SECONDS)


@pytest.mark.parametrize(
    ("cron", "after", "fires"),
    [
        ("0 2 * * 0", datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 29, 2, tzinfo=UTC)),  # Sunday
        ("0 2 * * 7", datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 29, 2, tzinfo=UTC)),  # Sunday too
        ("0 2 * * 1-5", datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 11, 30, 2, tzinfo=UTC)),  # Sat → Mon
        ("0 3 1 * *", datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 12, 1, 3, tzinfo=UTC)),
    ],
)
def test_cron_weekdays_mean_what_they_mean_in_cron(cron: str, after: datetime, fires: datetime) -> None:
    assert cron_trigger(cron).get_next_fire_time(None, after) == fires


def test_the_shipped_schedules_match_the_registry() -> None:
    assert [s.cron for s in JOBS["secret-rotation"].schedules] == ["0 2 * * 0", "0 3 1 * *"]
    forced = schedule_request(JOBS["secret-rotation"], JOBS["secret-rotation"].schedules[1], None)
    assert (forced.options, forced.config) == (RunOptions(job_args={"force": True}), None)
    weekly = schedule_request(JOBS["usage-report"], JOBS["usage-report"].schedules[1], "c.yaml")
    assert (weekly.options, weekly.config) == (RunOptions(job_args={"period": "weekly"}), "c.yaml")
    assert [s.cron for s in JOBS["ttl-teardown"].schedules] == ["0 2 * * *", "0 * * * *"]
