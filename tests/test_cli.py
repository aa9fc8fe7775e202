"""The command line operators script against (CONTRACT.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.core.registry import JOBS
from jobs.core.settings_doc import END, START, reference
from jobs.core.state.schema import MIGRATIONS
from tests.helpers import ROOT


def python_m(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_list_prints_a_header_then_one_aligned_line_per_job_with_its_schedules_and_destructive_marker() -> None:
    proc = python_m("jobs", "list")
    assert proc.returncode == 0
    header, *lines = proc.stdout.splitlines()
    assert header.split("  ")[0] == "JOB" and "SCHEDULE (UTC)" in header and "DESTRUCTIVE" in header
    assert [line.split()[0] for line in lines] == list(JOBS)
    for column in ("SCHEDULE (UTC)", "DESTRUCTIVE", "DESCRIPTION"):  # every line starts each column at one place
        at = header.index(column)
        assert all(line[at - 2 : at] == "  " and line[at] != " " for line in lines), column
    ttl = next(line for line in lines if line.startswith("ttl-teardown"))
    assert "0 2 * * *" in ttl and "0 * * * * (hourly pre-alerts)" in ttl
    marks = {line.split()[0]: line[header.index("DESTRUCTIVE") :].split()[0] for line in lines}
    assert marks == {spec.id: "yes" if spec.destructive else "no" for spec in JOBS.values()}


def test_list_json_gives_each_jobs_id_module_destructive_and_schedules_with_args() -> None:
    proc = python_m("jobs", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {job["id"]: job for job in json.loads(proc.stdout)}
    assert list(listed) == list(JOBS)
    ttl = listed["ttl-teardown"]
    assert (ttl["module"], ttl["destructive"], ttl["available"]) == ("jobs.ttl_teardown", True, True)
    assert ttl["schedules"] == [
        {"cron": "0 2 * * *", "args": {}, "note": "teardown", "shards": 1},
        {"cron": "0 * * * *", "args": {"warn_only": True}, "note": "hourly pre-alerts", "shards": 1},
    ]
    assert listed["certificate-checker"]["destructive"] is False


def test_version_prints_the_installed_distributions_version() -> None:
    from importlib.metadata import version

    for argv in (("jobs", "--version"), ("jobs.ttl_teardown", "--version")):
        proc = python_m(*argv)
        assert (proc.returncode, proc.stdout) == (0, f"secops-jobs {version('secops-jobs')}\n")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (("jobs", "run", "ttl-teardown", "--now", "yesterday"),
         "python -m jobs run ttl-teardown: argument --now: 'yesterday' is not an ISO 8601 instant"),
        (("jobs.certificate_checker", "--bogus"), "python -m jobs.certificate_checker: unrecognized arguments: --bogus"),
        (("jobs", "run", "ttl-teardown", "--dry-run", "--apply"),
         "python -m jobs run ttl-teardown: argument --apply: not allowed with argument --dry-run"),
        (("jobs", "run", "secret-rotation", "--fail-on", "fatal"),
         "python -m jobs run secret-rotation: argument --fail-on: invalid choice: 'fatal' "
         "(choose from 'critical', 'warning', 'info')"),
        (("jobs", "list", "--jsn"), "python -m jobs: unrecognized arguments: --jsn"),
    ],
)  # fmt: skip
def test_a_bad_command_line_is_one_usage_line_naming_the_option_and_exit_2(argv: tuple[str, ...], line: str) -> None:
    proc = python_m(*argv)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"usage error: {line} (see --help)\n"


def test_a_state_db_url_that_cannot_be_used_gives_the_reason_not_an_exception_name(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    for url, reason in (
        ("nonsense", "not a database URL (e.g. sqlite:///./secops-state.db or postgresql://user@host/db)"),
        ("mysqlx://u:hunter2pw@db/x", "no such kind of database (Can't load plugin: sqlalchemy.dialects:mysqlx)"),
    ):
        config.write_text(f"state_db_url: '{url}'\n")
        proc = python_m("jobs", "run", "certificate-checker", "--config", str(config), cwd=tmp_path)
        assert proc.returncode == 2
        assert proc.stderr.splitlines()[-1] == (
            f"certificate-checker: configuration error: state_db_url: cannot use this URL: {reason}"
        )
        assert "hunter2pw" not in proc.stderr


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
