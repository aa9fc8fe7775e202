"""The series the alert rules and dashboards read that the runner added for them, as real runs
push them to the real Pushgateway: a lesser run's own group and history, the run-duration
histogram (all runs, for a p95 of runs) and the guardrail gauge."""

from __future__ import annotations

import re
from pathlib import Path

from tests import services
from tests.helpers import run_sample, write_config
from tests.sample_jobs import write_items

FULL = {"job": "sample-store", "job_name": "sample-store", "shard": "all"}


def sample_value(text: str, name: str, **labels: str) -> float | None:
    """The sample of `name` with exactly these labels (besides the Pushgateway's empty instance)."""
    for line in text.splitlines():
        if line.startswith(name + "{"):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
            found.pop("instance", None)
            if found == labels:
                return float(line.rsplit(" ", 1)[1])
    return None


def test_a_lesser_runs_success_never_stands_in_for_the_full_runs(
    pushgateway: services.Pushgateway, tmp_path: Path
) -> None:
    """The full run fails (a broken item: partial), the lesser one (verbose mode, as ttl-teardown's
    warn-only) succeeds: the full group still has no success, and its history counts its own run."""
    pushgateway.wipe()
    write_items(tmp_path / "s", {"id": "a"})
    (tmp_path / "s" / "broken.json").write_text("{")
    config = write_config(tmp_path / "c.yaml", {"pushgateway_url": pushgateway.url})
    assert run_sample(tmp_path / "s", "--config", config).code == 1
    assert run_sample(tmp_path / "s", "--config", config, "--verbose-mode").code == 1  # partial too
    (tmp_path / "s" / "broken.json").unlink()
    assert run_sample(tmp_path / "s", "--config", config, "--verbose-mode").code == 0
    text = pushgateway.metrics()
    lesser = {**FULL, "mode": "verbose_mode"}
    assert sample_value(text, "security_job_last_success_timestamp", **lesser) is not None
    assert [line for line in text.splitlines() if line.startswith("security_job_last_success_timestamp{")] == [
        line
        for line in text.splitlines()
        if line.startswith("security_job_last_success_timestamp{") and "mode=" in line
    ]  # the full group has none
    assert sample_value(text, "security_job_runs_total", status="partial", **FULL) == 1
    assert sample_value(text, "security_job_runs_total", status="success", **FULL) is None
    assert sample_value(text, "security_job_runs_total", status="partial", **lesser) == 1
    assert sample_value(text, "security_job_runs_total", status="success", **lesser) == 1


def test_the_duration_histogram_counts_every_run_and_the_guardrail_gauge_says_when_it_stopped_one(
    pushgateway: services.Pushgateway, tmp_path: Path
) -> None:
    pushgateway.wipe()
    write_items(tmp_path / "s", *[{"id": f"k{i}", "expires_at": "2020-01-01T00:00:00+00:00"} for i in range(3)])
    tight = write_config(
        tmp_path / "tight.yaml", {"pushgateway_url": pushgateway.url, "sample_store": {"max_actions": 1}}
    )
    assert run_sample(tmp_path / "s", "--config", tight, "--apply").code == 3  # three deletions planned, one allowed
    text = pushgateway.metrics()
    assert sample_value(text, "security_job_guardrail_tripped", **FULL) == 1
    assert sample_value(text, "security_job_run_duration_seconds_count", **FULL) == 1
    loose = write_config(
        tmp_path / "loose.yaml", {"pushgateway_url": pushgateway.url, "sample_store": {"max_actions_percent": 100}}
    )
    assert run_sample(tmp_path / "s", "--config", loose, "--apply").code == 0
    text = pushgateway.metrics()
    assert sample_value(text, "security_job_guardrail_tripped", **FULL) == 0
    assert sample_value(text, "security_job_run_duration_seconds_count", **FULL) == 2
    assert sample_value(text, "security_job_run_duration_seconds_bucket", le="+Inf", **FULL) == 2
    assert sample_value(text, "security_job_run_duration_seconds_bucket", le="600", **FULL) == 2
