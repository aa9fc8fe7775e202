"""The command line operators script against (CONTRACT.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jobs.core.registry import JOBS
from jobs.core.settings_doc import END, START, reference
from jobs.core.state import MIGRATIONS
from tests.helpers import ROOT


def python_m(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_list_prints_one_line_per_job_with_its_schedules() -> None:
    proc = python_m("jobs", "list")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(JOBS)
    ttl = next(line for line in lines if line.startswith("ttl-teardown"))
    assert "0 2 * * *" in ttl and "0 * * * * (hourly pre-alerts)" in ttl


def test_job_ids_and_modules_are_the_contracts() -> None:
    assert {job_id: spec.module for job_id, spec in JOBS.items()} == {
        "certificate-checker": "jobs.certificate_checker",
        "secret-rotation": "jobs.secret_rotation",
        "usage-report": "jobs.usage_report",
        "repo-scanner": "jobs.repo_scanner",
        "ttl-teardown": "jobs.ttl_teardown",
    }


def test_run_help_lists_every_contract_option_and_the_jobs_own() -> None:
    proc = python_m("jobs", "run", "secret-rotation", "--help")
    assert proc.returncode == 0
    for option in ("--config", "--dry-run", "--apply", "--now", "--json", "--fail-on", "--shard", "--force"):
        assert option in proc.stdout


def test_a_job_that_is_not_in_this_build_is_a_usage_error_not_a_crash(tmp_path: Path) -> None:
    missing = [spec for spec in JOBS.values() if not spec.available]
    if not missing:
        pytest.skip("every job is in this build")
    proc = python_m("jobs", "run", missing[0].id, cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"{missing[0].id}: configuration error: job {missing[0].id} is not available in this build"
    )


def test_unknown_options_and_jobs_exit_2() -> None:
    assert python_m("jobs", "run", "no-such-job").returncode == 2
    assert python_m("jobs", "run", "ttl-teardown", "--bogus").returncode == 2
    assert python_m("jobs", "run", "ttl-teardown", "--dry-run", "--apply").returncode == 2


def test_db_upgrade_creates_the_schema_explicitly(tmp_path: Path) -> None:
    proc = python_m("jobs", "db", "status", cwd=tmp_path)
    assert proc.stdout.startswith("schema version 0")
    versions = [v for v, _, _ in MIGRATIONS]
    assert python_m("jobs", "db", "upgrade", cwd=tmp_path).stdout.startswith(f"applied migrations: {versions}")
    latest = versions[-1]
    assert python_m("jobs", "db", "status", cwd=tmp_path).stdout.startswith(
        f"schema version {latest} (latest {latest})"
    )


def test_readme_settings_reference_is_generated_from_the_models() -> None:
    readme = (ROOT / "README.md").read_text()
    current = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert current == reference().strip(), "run `make docs` to regenerate the README settings reference"
