"""A state DB that cannot be reached or written is a reported failure, never a traceback; two
runs on an empty DB make the schema once; `db status` creates nothing."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobs.core.cli import main
from jobs.core.state.engine import StateStore
from jobs.core.state.schema import SCHEMA_VERSION
from tests import services
from tests.helpers import outbox, run_sample_process, write_config
from tests.sample_jobs import write_items

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("where", ["unreachable_postgresql", "unwritable_sqlite"])
def test_a_state_db_that_cannot_be_used_is_one_line_a_failure_result_metrics_and_an_alert(
    tmp_path: Path, where: str, pushgateway: services.Pushgateway
) -> None:
    if where == "unreachable_postgresql":
        url, reason = f"postgresql://app@127.0.0.1:{services.free_port()}/state", "Connection refused"
    else:
        url, reason = f"sqlite:///{tmp_path}/no-such-dir/state.db", "unable to open database file"
    write_items(tmp_path / "store", {"id": "a", "expires_at": "2020-01-01T00:00:00+00:00"})
    settings = {"state_db_url": url, "state_retry_seconds": 1, "pushgateway_url": pushgateway.url}
    cfg = write_config(tmp_path / "c.yaml", settings)
    proc = run_sample_process(tmp_path / "store", "--apply", "--json", "--config", cfg, cwd=tmp_path)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 1
    result = json.loads(out)
    assert result["status"] == "failure" and result["actions"] == []
    [error] = result["errors"]
    assert error["source"] == "state_db" and error["message"].startswith("state_db_url: ")
    assert reason in error["message"] and "\n" not in error["message"]
    assert "Traceback" not in err
    [line] = [json.loads(x) for x in err.splitlines() if '"level": "error"' in x]
    assert line["event"] == "state_db_unavailable" and reason in line["fields"]["error"]
    assert (tmp_path / "store" / "a.json").exists()  # nothing done unrecorded
    assert [m["title"] for m in outbox(tmp_path)] == ["sample-store: state DB unavailable"]
    metrics = pushgateway.metrics()
    assert 'security_job_state_db_up{instance="",job="sample-store",job_name="sample-store",shard="all"} 0' in metrics
    assert "security_job_last_run_timestamp" in metrics


def test_the_job_command_reports_an_unusable_state_db_in_one_line_under_the_jobs_cli(tmp_path: Path) -> None:
    """`python -m jobs db upgrade` and `db status` too: one line naming state_db_url, exit 1."""
    url = f"postgresql://app@127.0.0.1:{services.free_port()}/state"
    cfg = write_config(tmp_path / "c.yaml", {"state_db_url": url, "state_retry_seconds": 0.5})
    for action in ("upgrade", "status"):
        err = io.StringIO()
        import contextlib

        with contextlib.redirect_stderr(err):
            assert main(["db", action, "--config", cfg], stdout=io.StringIO()) == 1
        [line] = err.getvalue().splitlines()
        assert line.startswith(f"db {action}: state_db_url: ") and "Connection refused" in line


def test_db_status_reports_a_missing_sqlite_file_without_creating_it(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", {"state_db_url": f"sqlite:///{tmp_path}/later.db"})
    out = io.StringIO()
    assert main(["db", "status", "--config", cfg], stdout=out) == 0
    assert "schema version 0" in out.getvalue() and not (tmp_path / "later.db").exists()
    assert main(["db", "upgrade", "--config", cfg], stdout=io.StringIO()) == 0
    out = io.StringIO()
    assert main(["db", "status", "--config", cfg], stdout=out) == 0
    assert out.getvalue().strip() == f"schema version {SCHEMA_VERSION} (latest {SCHEMA_VERSION})"


def race(url: str, racers: int = 6) -> tuple[list[list[int]], list[BaseException]]:
    """`racers` stores of their own upgrading `url` at the same instant."""
    stores = [StateStore(url) for _ in range(racers)]
    start = threading.Barrier(racers)
    applied: list[list[int]] = []
    errors: list[BaseException] = []

    def migrate(store: StateStore) -> None:
        start.wait()
        try:
            applied.append(store.upgrade(NOW))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return applied, errors


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_runs_starting_together_on_an_empty_db_make_the_schema_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    for attempt in range(3):  # a race: several rounds, each on a fresh empty DB
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path}/state{attempt}.db"
        else:
            url = request.getfixturevalue("postgres").create_database(f"race{attempt}_{tmp_path.name[-8:].lower()}")
        applied, errors = race(url)
        assert errors == []
        assert sorted(applied, key=len) == [[]] * 5 + [list(range(1, SCHEMA_VERSION + 1))]
        assert StateStore(url).current_version() == SCHEMA_VERSION
