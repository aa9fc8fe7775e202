"""`python -m jobs schedule`: validated before it schedules, only the selected and enabled jobs,
next fire times logged, a failed run logged at error and alerted. The real APScheduler process."""

from __future__ import annotations

import io
import json
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.core.errors import ConfigError
from jobs.core.invoke import RunRequest
from jobs.core.resolve import load_settings
from jobs.core.scheduler import parse_jobs_option, run_scheduled, select_jobs
from tests.helpers import outbox, run_sample_process, write_config
from tests.sample_jobs import MINUTELY, write_items


def finished(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def test_bad_settings_stop_the_scheduler_before_it_schedules_anything(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", {"sample_store": {"max_actions": -1}})
    code, err = finished(run_sample_process(tmp_path / "store", "schedule", config, cwd=tmp_path))
    assert code == 2
    assert err.splitlines()[-1] == (
        "schedule: configuration error: sample_store.max_actions: Input should be greater than or equal to 0 (got -1)"
    )
    assert "scheduler_started" not in err


def test_the_real_command_validates_its_config_too(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("ttl_teardown: {max_actions: 3\n")
    proc = subprocess.run(
        [*_python_m(), "schedule", "--config", str(tmp_path / "c.yaml")],
        cwd=tmp_path, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith(
        f"schedule: configuration error: --config {tmp_path / 'c.yaml'}: line 2, column 1: not valid YAML"
    )


def test_a_state_db_that_cannot_be_reached_stops_the_scheduler_with_one_line(tmp_path: Path) -> None:
    from tests import services

    url = f"postgresql://secops:hunter2pw@127.0.0.1:{services.free_port()}/state"
    config = write_config(tmp_path / "c.yaml", {"state_db_url": url, "state_retry_seconds": 0.5})
    code, err = finished(run_sample_process(tmp_path / "store", "schedule", config, cwd=tmp_path))
    assert code == 1
    last = err.splitlines()[-1]
    assert last.startswith("schedule: cannot prepare the state DB: state_db_url: ") and "refused" in last
    assert "hunter2pw" not in err and "scheduler_started" not in err


def _python_m() -> list[str]:
    import sys

    return [sys.executable, "-m", "jobs"]


@pytest.mark.parametrize(
    ("jobs", "problem"),
    [
        ("sample-store,nope", "--jobs names 'nope': expected job ids from: sample-store, sample-broken, sample-idle, "
                              "sample-other"),
        (" , ", "--jobs names nothing: expected job ids from: sample-store, sample-broken, sample-idle, sample-other"),
        ("sample-idle", "nothing to schedule: no selected job is in this build and enabled"),
    ],
)  # fmt: skip
def test_a_selection_that_schedules_nothing_or_names_no_job_is_exit_2(tmp_path: Path, jobs: str, problem: str) -> None:
    config = write_config(tmp_path / "c.yaml", {"sample_idle": {"enabled": False}})
    proc = run_sample_process(tmp_path / "store", "schedule", config, "--jobs", jobs, "--minutely", cwd=tmp_path)
    code, err = finished(proc)
    assert (code, err.splitlines()[-1]) == (2, f"schedule: configuration error: {problem}")


def test_jobs_are_those_named_and_enabled_in_their_order_each_once() -> None:
    settings = load_settings(None, MINUTELY, sample_idle={"enabled": False})
    assert list(select_jobs(MINUTELY, settings, None)) == ["sample-store", "sample-broken", "sample-other"]
    chosen = select_jobs(MINUTELY, settings, parse_jobs_option("sample-other, sample-idle,sample-store,sample-other"))
    assert list(chosen) == ["sample-other", "sample-store"]
    with pytest.raises(ConfigError, match="--jobs names 'Sample-Store'"):
        select_jobs(MINUTELY, settings, ["Sample-Store"])
    assert parse_jobs_option(None) is None


def test_a_failed_scheduled_run_is_logged_at_error_and_alerted_through_the_router(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from jobs.core import logs

    settings = load_settings(None, MINUTELY)
    logs.configure()
    code = run_scheduled(RunRequest(MINUTELY["sample-broken"], jobs=MINUTELY), "* * * * *", settings)
    assert code == 1
    [message] = outbox(tmp_path)
    assert (message["severity"], message["title"]) == ("critical", "sample-broken: scheduled run failed (* * * * *)")
    assert "job: ConnectionError: store at 127.0.0.1:9 refused the connection" in message["body"]
    failed = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "scheduled_run_failed" in line]
    assert [(f["level"], f["fields"]["job"], f["fields"]["exit_code"]) for f in failed] == [
        ("error", "sample-broken", 1)
    ]


def test_a_run_whose_settings_broke_after_start_is_alerted_with_the_settings_from_start(tmp_path: Path) -> None:
    settings = load_settings(None, MINUTELY)
    broken = write_config(tmp_path / "later.yaml", {"sample_store": {"max_actoins": 1}})
    request = RunRequest(MINUTELY["sample-store"], config=broken, jobs=MINUTELY)
    assert run_scheduled(request, "* * * * *", settings) == 2
    [message] = outbox(tmp_path)
    assert "sample_store.max_actoins: Extra inputs are not permitted" in message["body"]


def lines_of(stream: Any) -> queue.Queue[str]:
    """stderr lines as they come, without blocking the test on a quiet process."""
    found: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [found.put(line) for line in stream], daemon=True).start()
    return found


def events_until(
    stream: queue.Queue[str], done: Callable[[list[str]], bool], seconds: float = 100
) -> list[dict[str, Any]]:
    """The JSON log events a process writes, read until `done(events so far)` holds or `seconds`
    pass (a scheduled job first fires at the next minute)."""
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not done([e["event"] for e in events]):
        try:
            line = stream.get(timeout=1)
        except queue.Empty:
            continue
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_the_scheduler_process_logs_next_fire_times_runs_the_selected_jobs_and_alerts_on_a_failure(
    tmp_path: Path,
) -> None:
    write_items(tmp_path / "store", {"id": "a"})
    config = write_config(tmp_path / "c.yaml", {"sample_idle": {"enabled": False}})
    proc = run_sample_process(
        tmp_path / "store", "schedule", config, "--jobs", "sample-store,sample-broken,sample-idle", "--minutely",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.stderr is not None
    started = datetime.now(UTC)
    stream = lines_of(proc.stderr)
    events = events_until(stream, lambda seen: {"scheduled_run_failed", "scheduled_run_done"} <= set(seen))
    proc.send_signal(signal.SIGTERM)
    code, _ = finished(proc)
    by_event: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_event.setdefault(event["event"], []).append(event)
    scheduled = {e["fields"]["id"]: e for e in by_event["job_scheduled"]}
    assert set(scheduled) == {"sample-store#0", "sample-broken#0"}  # idle is disabled, other not selected
    for event in scheduled.values():
        moment = datetime.fromisoformat(event["fields"]["next_run"].replace("Z", "+00:00"))
        logged = datetime.fromisoformat(event["ts"].replace("Z", "+00:00"))
        # the next minute after the scheduler said so (its own start may cross a minute under load)
        assert moment.second == 0 and moment > started and moment - logged <= timedelta(seconds=60)
    assert [e["fields"]["setting"] for e in by_event["job_disabled"]] == ["sample_idle.enabled"]
    [failed] = by_event["scheduled_run_failed"]
    assert failed["level"] == "error" and failed["fields"]["job"] == "sample-broken"
    assert "ConnectionError: store at 127.0.0.1:9 refused the connection" in failed["fields"]["error"]
    assert [e["fields"]["job"] for e in by_event["scheduled_run_done"]] == ["sample-store"]
    alerts = [m for m in outbox(tmp_path) if m["title"].startswith("sample-broken: scheduled run failed")]
    assert len(alerts) == 1 and alerts[0]["severity"] == "critical"
    assert code == 0


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_sigterm_lets_the_running_job_finish_and_record_its_run_then_exits_0(tmp_path: Path) -> None:
    from jobs.core.cli import main

    store = tmp_path / "store"
    write_items(store, {"id": "old", "expires_at": "2026-01-01T00:00:00+00:00"}, *[{"id": f"k{i}"} for i in range(9)])
    (store / "_hold").write_text("5")  # collect takes 5 s: the run is under way when SIGTERM comes
    config = write_config(tmp_path / "c.yaml", {"log_level": "info", "state_db_url": f"sqlite:///{tmp_path / 's.db'}"})
    proc = run_sample_process(store, "schedule", config, "--jobs", "sample-store", "--minutely", cwd=tmp_path)
    assert proc.stderr is not None
    stream = lines_of(proc.stderr)
    events = events_until(stream, lambda seen: "run_started" in seen)
    seen = [e["event"] for e in events]
    assert "run_started" in seen and "scheduled_run_done" not in seen  # the guard: a job is running
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    while True:  # the rest of stderr, through the same reader (communicate() would race it)
        try:
            line = stream.get(timeout=2)
        except queue.Empty:
            break
        events += [json.loads(line)] if line.startswith("{") else []
    seen = [e["event"] for e in events]
    assert code == 0
    [stop] = [e for e in events if e["event"] == "shutting_down"]
    assert stop["fields"]["signal"] == "SIGTERM"
    assert seen.index("shutting_down") < seen.index("scheduled_run_done")  # finished after the signal
    [done] = [e for e in events if e["event"] == "scheduled_run_done"]
    assert (done["fields"]["job"], done["fields"]["exit_code"]) == ("sample-store", 0)
    out = io.StringIO()
    assert main(["audit", "--json", "--config", config], out) == 0
    assert [(a["job"], a["resource"], a["outcome"]) for a in json.loads(out.getvalue())] == [
        ("sample-store", "store:old", "done")
    ]
    assert not (store / "old.json").exists()  # the run acted to the end
    assert outbox(tmp_path) == []
