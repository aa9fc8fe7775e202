"""The two schedules of one job never skip each other silently: a yielding run (ttl-teardown's
hourly warn-only) lets the full run (the daily teardown) wait for the lock instead of being
skipped, and any skipped run is a warning and a counted `skipped` run."""

from __future__ import annotations

import json
from pathlib import Path

from jobs.core.locking import lock_mode
from jobs.core.registry import JOBS
from tests import services
from tests.helpers import rival_runs, write_config
from tests.sample_jobs import write_items


def both(
    tmp_path: Path, first: tuple[str, ...], second: tuple[str, ...], **settings: object
) -> list[dict[str, object]]:
    cfg = write_config(tmp_path / "c.yaml", {"state_db_url": f"sqlite:///{tmp_path}/state.db", **settings})
    s = tmp_path / "store"
    write_items(s, {"id": "old", "expires_at": "2020-01-01T00:00:00+00:00"}, *[{"id": f"k{i}"} for i in range(9)])
    argv = ("--apply", "--json", "--config", str(cfg))
    outputs = rival_runs(s, (*argv, *first), (*argv, *second), cwd=tmp_path)
    assert [code for code, _, _ in outputs] == [0, 0], [err for _, _, err in outputs]
    return [{**json.loads(out), "stderr": err} for _, out, err in outputs]


def test_the_ttl_teardown_hourly_warn_only_schedule_yields_and_the_daily_teardown_does_not() -> None:
    spec = JOBS["ttl-teardown"]
    modes = {s.note: lock_mode(spec, s.args) for s in spec.schedules}
    assert modes == {"teardown": None, "hourly pre-alerts": "warn_only"}


def test_a_full_run_waits_for_a_yielding_run_holding_the_lock_instead_of_being_skipped(tmp_path: Path) -> None:
    lesser, full = both(tmp_path, ("--verbose-mode",), ())
    assert [lesser["status"], full["status"]] == ["success", "success"]
    # it collected only after the lesser run let go of the lock
    assert str(full["completed_at"]) >= str(lesser["completed_at"])
    assert '"event": "run_waiting"' in str(full["stderr"])


def test_a_yielding_run_finding_the_lock_held_is_skipped_at_warning_and_counted(
    tmp_path: Path, pushgateway: services.Pushgateway
) -> None:
    pushgateway.wipe()
    full, lesser = both(tmp_path, (), ("--verbose-mode",), pushgateway_url=pushgateway.url)
    assert [full["status"], lesser["status"]] == ["success", "skipped"]
    assert str(lesser["reason"]).startswith(f"run {full['run_id']} has held the lock since")
    [skip] = [json.loads(x) for x in str(lesser["stderr"]).splitlines() if '"run_skipped"' in x]
    assert skip["level"] == "warning" and skip["fields"]["reason"] == lesser["reason"]
    metrics = pushgateway.metrics()
    # counted in the lesser mode's own group: a skipped warn-only run is not the full run's history
    labels = 'instance="",job="sample-store",job_name="sample-store",mode="verbose_mode",shard="all"'
    assert f'security_job_runs_total{{{labels},status="skipped"}} 1' in metrics
    assert (
        'security_job_runs_total{instance="",job="sample-store",job_name="sample-store",shard="all",status="success"} 1'
        in metrics
    )


def test_two_full_runs_still_exclude_each_other(tmp_path: Path) -> None:
    first, second = both(tmp_path, (), ())
    assert [first["status"], second["status"]] == ["success", "skipped"]
