"""The audit is written as a run acts: a kill mid-apply or a locked state DB loses no record of
what was done, a later run settles what was left open, and `python -m jobs audit` tells it."""

from __future__ import annotations

import io
import json
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jobs.core.cli import main
from jobs.core.state.audit import AuditEntry
from jobs.core.state.engine import StateStore
from jobs.core.state.locks import release_lock
from tests.helpers import outbox, run_sample, run_sample_process, write_config
from tests.sample_jobs import SPEC, write_items

PAST = "2026-01-01T00:00:00+00:00"
FUTURE = "2027-01-01T00:00:00+00:00"


def store_of(tmp_path: Path, expired: int, special: dict[int, str] | None = None) -> Path:
    """`expired` due deletions (old0…) among 20 fresh items; `special` gives some a behaviour."""
    store = tmp_path / "store"
    items: list[dict[str, Any]] = [{"id": f"new{i}", "expires_at": FUTURE} for i in range(20)]
    for i in range(expired):
        item = {"id": f"old{i}", "expires_at": PAST}
        if special and i in special:
            item["behaviour"] = special[i]
        items.append(item)
    write_items(store, *items)
    return store


def config(tmp_path: Path, **settings: Any) -> str:
    base = {"state_db_url": f"sqlite:///{tmp_path}/state.db", "sample_store": {"max_actions_percent": 50}}
    return write_config(tmp_path / "c.yaml", {**base, **settings})


def rows(tmp_path: Path) -> list[AuditEntry]:
    with StateStore(f"sqlite:///{tmp_path}/state.db").session() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def gone(store: Path, expired: int) -> set[str]:
    return {f"store:old{i}" for i in range(expired) if not (store / f"old{i}.json").exists()}


def wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def audit_cli(tmp_path: Path, *argv: str) -> tuple[int, str]:
    """`python -m jobs audit` with the state DB of the runs (its config knows no sample job)."""
    cfg = write_config(tmp_path / "audit.yaml", {"state_db_url": f"sqlite:///{tmp_path}/state.db"})
    out = io.StringIO()
    code = main(["audit", "--config", cfg, *argv], stdout=out)
    return code, out.getvalue()


@pytest.mark.parametrize("at", [0, 2, 5])
@pytest.mark.parametrize("phase", ["before", "after"])
def test_a_run_killed_mid_apply_leaves_a_record_of_every_deletion_and_the_next_run_settles_it(
    tmp_path: Path, at: int, phase: str
) -> None:
    store = store_of(tmp_path, 6, {at: f"hang_{phase}"})
    cfg = config(tmp_path)
    proc = run_sample_process(store, "--apply", "--json", "--config", cfg, cwd=tmp_path, env={"SAMPLE_HANG": "1"})
    wait_for(store / f"old{at}.hanging")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)

    deleted = gone(store, 6)
    assert len(deleted) == at + (phase == "after")
    recorded = {r.resource: r.outcome for r in rows(tmp_path)}
    assert deleted <= set(recorded), "a deletion that happened has no record"
    assert recorded[f"store:old{at}"] == "started"  # the intent was durable before the side effect
    assert all(recorded[r] == "done" for r in deleted - {f"store:old{at}"})

    after = run_sample(store, "--apply", "--config", cfg)  # takes over the dead run's lock at once
    assert after.code == 0 and after.result and after.result["summary"]["reconciled"] == 1
    killed = next(r for r in rows(tmp_path) if r.resource == f"store:old{at}")
    if phase == "after":
        assert (killed.outcome, killed.reason) == ("done", f"interrupted, and old{at} is gone")
    else:
        assert (killed.outcome, killed.reason) == ("failed", f"interrupted: old{at} still exists")
    assert gone(store, 6) == {f"store:old{i}" for i in range(6)}
    assert not [r for r in rows(tmp_path) if r.outcome == "started"]


def test_the_default_reconcile_leaves_an_open_intent_unknown_with_the_reason(tmp_path: Path) -> None:
    from dataclasses import replace

    store = store_of(tmp_path, 3, {1: "hang_before"})
    cfg = config(tmp_path)
    env = {"SAMPLE_HANG": "1", "SAMPLE_CLASS": "tests.sample_jobs:ForgetfulStoreJob"}
    proc = run_sample_process(store, "--apply", "--config", cfg, cwd=tmp_path, env=env)
    wait_for(store / "old1.hanging")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    [open_intent] = [r for r in rows(tmp_path) if r.outcome == "started"]

    forgetful = replace(SPEC, class_path="tests.sample_jobs:ForgetfulStoreJob")
    assert run_sample(store, "--apply", "--config", cfg, spec=forgetful).code == 0
    settled = next(r for r in rows(tmp_path) if r.action_id == open_intent.action_id)
    assert settled.outcome == "unknown"
    assert settled.reason == f"interrupted: run {open_intent.run_id} ended before recording an outcome"


def hold_exclusive(db: Path, seconds: float, when: Path, started: threading.Event) -> threading.Thread:
    """Another connection holds SQLite's write lock for `seconds` once `when` is gone."""

    def hold() -> None:
        deadline = time.monotonic() + 30
        while when.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        started.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    return thread


def test_a_state_db_held_locked_mid_apply_still_gets_every_record(tmp_path: Path) -> None:
    """Locked longer than SQLite's own busy wait: the writes are retried, none is lost."""
    store = store_of(tmp_path, 6, dict.fromkeys(range(6), "slow:0.3"))
    cfg = config(tmp_path)
    StateStore(f"sqlite:///{tmp_path}/state.db").upgrade(datetime_now())
    locked = threading.Event()
    holder = hold_exclusive(tmp_path / "state.db", 12, store / "old0.json", locked)
    ran = run_sample(store, "--apply", "--config", cfg)
    holder.join()
    assert locked.is_set()
    assert ran.code == 0 and ran.result and ran.result["status"] == "success"
    recorded = [(r.resource, r.outcome) for r in rows(tmp_path)]
    assert sorted(recorded) == sorted((f"store:old{i}", "done") for i in range(6))
    code, out = audit_cli(tmp_path, "--json")
    assert code == 0 and len(json.loads(out)) == 6


def test_an_intent_that_cannot_be_written_stops_the_run_acting_and_nothing_goes_unrecorded(tmp_path: Path) -> None:
    store = store_of(tmp_path, 6, dict.fromkeys(range(6), "slow:0.3"))
    cfg = config(tmp_path, state_retry_seconds=1)
    StateStore(f"sqlite:///{tmp_path}/state.db").upgrade(datetime_now())
    locked = threading.Event()
    holder = hold_exclusive(tmp_path / "state.db", 8, store / "old0.json", locked)
    ran = run_sample(store, "--apply", "--config", cfg)
    holder.join()
    assert ran.code == 1 and ran.result
    outcomes = [a["outcome"] for a in ran.result["actions"]]
    assert outcomes[0] == "done" and "skipped" in outcomes
    skipped = [a for a in ran.result["actions"] if a["outcome"] == "skipped"]
    assert all(a["reason"].startswith("not attempted: the state DB cannot record it") for a in skipped)
    assert all((store / f"{a['resource'][6:]}.json").exists() for a in skipped)  # not acted on
    deleted = gone(store, 6)
    assert deleted <= {r.resource for r in rows(tmp_path)}  # every side effect has its intent
    assert any(e["source"] == "state_db" for e in ran.result["errors"])
    assert [m["title"] for m in outbox(tmp_path)] == ["sample-store: state DB unavailable"]
    before = [r for r in rows(tmp_path) if r.outcome == "started"]
    # its lock could not be released either: it goes when this process exits, as here
    release_lock(StateStore(f"sqlite:///{tmp_path}/state.db"), "sample-store", "all", ran.result["run_id"])
    again = run_sample(store, "--apply", "--config", cfg)  # the DB is back: the rest is done
    assert again.code == 0 and again.result  # and an outcome that could not be written is settled:
    assert again.result["summary"].get("reconciled", 0) == len(before)
    assert not [r for r in rows(tmp_path) if r.outcome == "started"]


def test_audit_lists_every_recorded_action_as_json_or_a_table_filtered_by_job_and_time(tmp_path: Path) -> None:
    store = store_of(tmp_path, 2, {1: "permanent"})
    cfg = config(tmp_path)
    run_sample(store, "--config", cfg, "--now", "2026-03-01T00:00:00Z")  # a dry run: planned
    run_sample(store, "--apply", "--config", cfg, "--now", "2026-03-02T00:00:00Z")
    code, out = audit_cli(tmp_path, "--json")
    entries = json.loads(out)
    assert code == 0
    assert [(e["resource"], e["outcome"]) for e in entries] == [
        ("store:old0", "planned"),
        ("store:old1", "planned"),
        ("store:old0", "done"),
        ("store:old1", "failed"),
    ]
    assert set(entries[0]) == {"run_id", "job", "at", "kind", "resource", "outcome", "reason", "error"}
    assert entries[3]["error"] == "store:old1: refused by the store" and entries[3]["job"] == "sample-store"
    _, recent = audit_cli(tmp_path, "--json", "--since", "2026-03-02T00:00:00Z", "--job", "sample-store")
    assert [e["outcome"] for e in json.loads(recent)] == ["done", "failed"]
    _, other = audit_cli(tmp_path, "--json", "--job", "ttl-teardown")
    assert json.loads(other) == []
    _, text = audit_cli(tmp_path)
    header, *lines = text.splitlines()
    assert header.split() == ["run_id", "job", "at", "kind", "resource", "outcome", "reason", "error"]
    assert len(lines) == 4 and "refused by the store" in lines[3]
    assert lines[3].index("failed") == header.index("outcome")  # columns line up


def test_audit_on_a_state_db_that_does_not_exist_says_so_and_creates_nothing(tmp_path: Path) -> None:
    assert audit_cli(tmp_path, "--json") == (0, "[]\n")
    assert not (tmp_path / "state.db").exists()


def datetime_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.mark.parametrize("broken", ["job_metrics", "pushgateway_url"])
def test_the_run_is_recorded_and_reported_even_when_its_metrics_fail(tmp_path: Path, broken: str) -> None:
    store = store_of(tmp_path, 1)
    if broken == "job_metrics":
        (store / "_metrics_crash").write_text("")
        cfg = config(tmp_path)
    else:
        cfg = config(tmp_path, pushgateway_url="http://[not-a-host")
    ran = run_sample(store, "--apply", "--config", cfg)
    assert ran.result is not None, "no result printed"
    with StateStore(f"sqlite:///{tmp_path}/state.db").session() as s:
        from jobs.core.state.runs import Run

        [run] = s.scalars(select(Run)).all()
    assert run.run_id == ran.result["run_id"] and run.exit_code == ran.code
    assert [(r.resource, r.outcome) for r in rows(tmp_path)] == [("store:old0", "done")]
    if broken == "job_metrics":
        assert (ran.code, ran.result["status"]) == (1, "failure")
        assert ran.result["errors"] == [{"source": "runner", "message": "RuntimeError: metrics exporter broke"}]
    else:
        assert (ran.code, ran.result["status"]) == (0, "success")  # a metrics sink never fails the run
