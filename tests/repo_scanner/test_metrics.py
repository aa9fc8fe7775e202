"""The scanner's series as a real run writes them (the node_exporter textfile, the same registry
the Pushgateway gets): findings per repository, type and severity, zero included, accepted
(baselined) ones left out; labels only from the configuration, never a path or a fingerprint;
coverage per repository and per scanner."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from jobs.core.registry import JOBS
from jobs.demo.planting import aws_key_pair
from jobs.repo_scanner.metrics import SEVERITIES, TYPES, repository_of
from tests.helpers import run_cli
from tests.repo_scanner.test_job import GPL, configure, make_repo, targets

SPEC = JOBS["repo-scanner"]


def samples(path: Path) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if k != "job_name"}
            found.setdefault(sample.name, []).append((labels, sample.value))
    return found


def run(tmp_path: Path, section: dict[str, Any], *argv: str) -> tuple[dict[str, Any], dict[str, Any]]:
    textfile = tmp_path / "metrics.prom"
    config = configure(tmp_path, section, metrics_textfile=str(textfile))
    result = run_cli(SPEC, ["--config", config, *argv])
    return result, samples(textfile)


def test_findings_are_counted_per_repository_type_and_severity_with_bounded_labels(tmp_path: Path) -> None:
    key_id, secret = aws_key_pair()
    app = make_repo(tmp_path / "app", {".env": f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n",
                                       "node_modules/gpl-thing/package.json": GPL})  # fmt: skip
    clean = make_repo(tmp_path / "clean")
    result, found = run(tmp_path, targets(app, clean))
    expected = Counter((f["resource"].split(":")[1], f["type"], f["severity"]) for f in result["findings"])
    gauges = {(s["repo"], s["type"], s["severity"]): v for s, v in found["security_repo_findings"]}
    assert len(gauges) == 2 * len(TYPES) * len(SEVERITIES)  # every combination, zero included
    assert {k: v for k, v in gauges.items() if v} == dict(expected)
    assert expected[("app", "secret", "critical")] >= 2 and expected[("app", "license", "warning")] == 1
    for labels, _ in [s for name, series in found.items() if name.startswith("security_repo") for s in series]:
        assert set(labels.values()) <= {"app", "clean", *TYPES, *SEVERITIES, "scanned", "failed", "ran",
                                        "not_run", "disabled", "secrets", "sast", "dependencies", "licenses",
                                        "gitleaks"}, labels  # fmt: skip
    assert {s["repo"] for s, v in found["security_repo_scan_duration_seconds"]} == {"app", "clean"}


def test_baselined_findings_leave_the_gauge_and_coverage_counts_what_could_not_be_read(tmp_path: Path) -> None:
    app = make_repo(tmp_path / "app", {"node_modules/gpl-thing/package.json": GPL})
    baseline = tmp_path / "baseline.json"
    run(tmp_path, targets(app), "--write-baseline", str(baseline))
    result, found = run(tmp_path, {**targets(app, tmp_path / "gone"), "baseline": str(baseline)})
    assert [f["details"].get("baselined") for f in result["findings"]] == [True]
    assert sum(v for _, v in found["security_repo_findings"]) == 0
    repositories = {s["outcome"]: v for s, v in found["security_repo_repositories"]}
    assert repositories == {"scanned": 1, "failed": 1}
    scanners = {(s["scanner"], s["state"]): v for s, v in found["security_repo_scanner_repositories"]}
    assert scanners[("dependencies", "not_run")] == 1 and scanners[("licenses", "ran")] == 1
    assert scanners[("sast", "disabled")] == 1


def test_a_findings_repository_is_read_from_its_resource_even_when_names_share_a_prefix() -> None:
    names = ["app", "app:v2", "platform/app"]
    assert repository_of("repo:app:v2:src/x.py:3", names) == "app:v2"
    assert repository_of("repo:app:src/x.py:3", names) == "app"
    assert repository_of("repo:platform/app:a:1", names) == "platform/app"
    assert repository_of("osv:/var/lib/osv", names) is None
