"""The scanner inside the job: its findings get their severity from CVSS, a stale database
is a warning, and a run without a database says dependencies were not checked."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from jobs.core.registry import JOBS
from jobs.repo_scanner.scanners.dependencies import NOT_CONFIGURED
from tests.helpers import run_cli, write_config
from tests.repo_scanner.dependencies.helpers import SAMPLES
from tests.repo_scanner.dependencies.osv_fixture import write_db


def git_repo(root: Path) -> Path:
    shutil.copytree(SAMPLES / "gosvc", root)
    shutil.copy(SAMPLES / "requirements.txt", root / "requirements.txt")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "lockfiles"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "-C", str(root), *args], check=True
        )
    return root


def run(tmp_path: Path, dependencies: dict[str, Any], now: str) -> dict[str, Any]:
    repo = git_repo(tmp_path / "app")
    config = write_config(
        tmp_path / "config.yaml",
        {
            "state_db_url": f"sqlite:///{tmp_path / 'state.db'}",
            "repo_scanner": {
                "scanners": {
                    "dependencies": dependencies,
                    "sast": {"enabled": False},
                    "secrets": {"enabled": False},
                    "licenses": {"enabled": False},
                }
            },
        },
    )
    return run_cli(JOBS["repo-scanner"], ["--config", config, "--repo", str(repo), "--now", now])


def test_vulnerabilities_are_graded_by_cvss_and_an_old_database_is_a_warning(tmp_path: Path) -> None:
    db = write_db(tmp_path / "osv")  # newest advisory: 2024-03-01
    result = run(tmp_path, {"osv_db": str(db), "max_db_age_days": 7}, "2024-03-20T00:00:00Z")
    found = sorted((f["severity"], f["resource"], f["details"]["rule"]) for f in result["findings"])
    assert found == [
        ("critical", "repo:app:go.sum:1", "GO-2023-1737"),
        ("critical", "repo:app:requirements.txt:11", "PYSEC-2023-80"),
        ("info", "repo:app:requirements.txt:13", "GHSA-j8r2-6x86-q33q"),
        ("warning", f"osv:{db}", "database:stale"),
    ]
    stale = next(f for f in result["findings"] if f["details"]["rule"] == "database:stale")
    assert stale["message"] == ("the OSV database is 18 days old (max_db_age_days is 7): newer advisories are unknown")


def test_a_fresh_database_raises_no_staleness_finding(tmp_path: Path) -> None:
    db = write_db(tmp_path / "osv")
    result = run(tmp_path, {"osv_db": str(db)}, "2024-03-02T00:00:00Z")
    assert "database:stale" not in {f["details"]["rule"] for f in result["findings"]}


def test_without_a_database_the_run_says_dependencies_were_not_checked(tmp_path: Path) -> None:
    result = run(tmp_path, {}, "2024-03-02T00:00:00Z")
    assert result["findings"] == []
    assert result["summary"]["repositories"]["app"]["scanners"]["dependencies"] == NOT_CONFIGURED
