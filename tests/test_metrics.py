"""Metrics reach a real Pushgateway under the contract names, and runs_total keeps growing."""

from __future__ import annotations

import re
from pathlib import Path

from tests import services
from tests.helpers import run_sample, write_config
from tests.sample_jobs import write_items


def sample_value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_contract_series_arrive_and_runs_total_grows_across_runs(
    pushgateway: services.Pushgateway, tmp_path: Path
) -> None:
    pushgateway.wipe()
    write_items(tmp_path / "s", {"id": "a", "severity": "critical"}, {"id": "b", "severity": "warning"}, {"id": "c"})
    config = write_config(tmp_path / "c.yaml", {"pushgateway_url": pushgateway.url})
    run_sample(tmp_path / "s", "--config", config, "--now", "2026-11-23T06:00:00Z")
    first = pushgateway.metrics()
    labels = {"job": "sample-store", "job_name": "sample-store", "shard": "all"}
    assert sample_value(first, "security_job_runs_total", status="success", **labels) == 1
    assert sample_value(first, "security_job_findings", severity="critical", **labels) == 1
    assert sample_value(first, "security_job_findings", severity="warning", **labels) == 1
    assert sample_value(first, "security_job_findings", severity="ok", **labels) == 1
    assert sample_value(first, "security_job_last_run_timestamp", **labels) == 1795413600.0
    assert sample_value(first, "security_job_last_success_timestamp", **labels) is not None
    assert sample_value(first, "security_job_duration_seconds", **labels) is not None

    (tmp_path / "s" / "broken.json").write_text("{")  # the second run is partial
    run_sample(tmp_path / "s", "--config", config)
    second = pushgateway.metrics()
    assert sample_value(second, "security_job_runs_total", status="success", **labels) == 1
    assert sample_value(second, "security_job_runs_total", status="partial", **labels) == 1
    assert sample_value(second, "security_job_last_success_timestamp", **labels) == sample_value(
        first, "security_job_last_success_timestamp", **labels
    )


def test_each_shard_is_its_own_group(pushgateway: services.Pushgateway, tmp_path: Path) -> None:
    pushgateway.wipe()
    write_items(tmp_path / "s", *[{"id": f"r{i}"} for i in range(6)])
    config = write_config(tmp_path / "c.yaml", {"pushgateway_url": pushgateway.url})
    run_sample(tmp_path / "s", "--config", config, "--shard", "0/2")
    run_sample(tmp_path / "s", "--config", config, "--shard", "1/2")
    text = pushgateway.metrics()
    for shard in ("0/2", "1/2"):
        assert sample_value(text, "security_job_runs_total", shard=shard, status="success") == 1


def test_a_pushgateway_that_is_down_is_a_warning_not_a_failed_run(tmp_path: Path, capfd: object) -> None:
    write_items(tmp_path / "s", {"id": "a"})
    config = write_config(
        tmp_path / "c.yaml",
        {"pushgateway_url": f"http://127.0.0.1:{services.free_port()}", "pushgateway_timeout_seconds": 1},
    )
    ran = run_sample(tmp_path / "s", "--config", config)
    assert ran.code == 0 and ran.result and ran.result["status"] == "success"
    err = capfd.readouterr().err  # type: ignore[attr-defined]
    assert '"event": "metrics_push_failed"' in err


def test_textfile_carries_the_same_series_for_node_exporter(tmp_path: Path) -> None:
    write_items(tmp_path / "s", {"id": "a", "severity": "info"})
    config = write_config(tmp_path / "c.yaml", {"metrics_textfile": str(tmp_path / "tf" / "secops-{job}.prom")})
    run_sample(tmp_path / "s", "--config", config)
    run_sample(tmp_path / "s", "--config", config)
    text = (tmp_path / "tf" / "secops-sample-store.prom").read_text()
    assert sample_value(text, "security_job_runs_total", job_name="sample-store", status="success") == 2
    assert sample_value(text, "security_job_findings", job_name="sample-store", severity="info") == 1
