"""The alert rules, their promtool tests, the Alertmanager example and the runbooks, checked by
the real tools (promtool, amtool) on what the generators write, for the job table and for a
table with one more job; and the checks that guard them, each shown failing on a planted bug."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobs.core.deploy import alert_rules, alertmanager, artifacts, dashboards, declared, monitoring, runbooks
from jobs.core.registry import JOBS
from tests.sample_jobs import SPEC

ROOT = Path(__file__).resolve().parents[2]
WITH_SAMPLE = {**JOBS, SPEC.id: SPEC}  # a job added to the table: alerted on with no YAML written


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (make system-deps)")
    return found


def written(tmp_path: Path, jobs: dict[str, Any] = JOBS) -> Path:
    """monitoring/ and docs/runbooks/ as the generators write them for `jobs`, under tmp_path."""
    settings = declared.read(ROOT / artifacts.EXAMPLE_CONFIG, jobs)
    for folder, found in (
        ("monitoring", monitoring.files(settings, jobs)),
        ("runbooks", runbooks.files(settings, jobs)),
    ):
        for rel, text in found.items():
            (tmp_path / folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / rel).write_text(text)
    return tmp_path


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def rules_of(root: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load((root / "monitoring" / alert_rules.RULES_FILE).read_text())
    return [r for group in document["groups"] for r in group["rules"]]


# -- the checks, as functions, so a planted bug can be shown to trip each ---------------------------
def rule_problems(rules: list[dict[str, Any]], runbook_pages: set[str]) -> list[str]:
    """Every rule: a severity of ours, the three annotations, a runbook_url to a page that exists."""
    problems = []
    for r in rules:
        name = r["alert"]
        if r.get("labels", {}).get("severity") not in ("critical", "warning"):
            problems.append(f"{name}: severity")
        notes = r.get("annotations", {})
        problems += [f"{name}: no {key}" for key in ("summary", "description", "runbook_url") if not notes.get(key)]
        if notes.get("runbook_url") != alert_rules.runbook_url(name):
            problems.append(f"{name}: runbook_url {notes.get('runbook_url')!r}")
        if f"{name}.md" not in runbook_pages:
            problems.append(f"{name}: no docs/runbooks/{name}.md")
    return problems


def untested(rules: list[dict[str, Any]], tests: dict[str, Any]) -> list[str]:
    """Each alert name needs as many firing promtool cases as it has rules, and a quiet one."""
    cases = [c for group in tests["tests"] for c in group["alert_rule_test"]]
    problems = []
    for name in dict.fromkeys(r["alert"] for r in rules):
        count = sum(r["alert"] == name for r in rules)
        firing = sum(c["alertname"] == name and bool(c.get("exp_alerts")) for c in cases)
        quiet = sum(c["alertname"] == name and not c.get("exp_alerts") for c in cases)
        if firing < count or quiet < count:
            problems.append(f"{name}: {count} rules, {firing} firing and {quiet} quiet cases")
    return problems


# -- the real tools ----------------------------------------------------------------------------------
@pytest.mark.parametrize("jobs", [JOBS, WITH_SAMPLE], ids=["job table", "one more job"])
def test_promtool_checks_the_rules_and_every_unit_test_passes(tmp_path: Path, jobs: dict[str, Any]) -> None:
    root = written(tmp_path, jobs) / "monitoring"
    checked = promtool("check", "rules", alert_rules.RULES_FILE, cwd=root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", alert_rules.TESTS_FILE, cwd=root)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_a_rule_that_does_not_behave_as_its_case_says_fails_promtool(tmp_path: Path) -> None:
    """Planted: SecurityJobSlow at 900 s while its case says 601 s fires."""
    root = written(tmp_path) / "monitoring"
    rules = root / alert_rules.RULES_FILE
    rules.write_text(
        rules.read_text().replace("security_job_duration_seconds > 600", "security_job_duration_seconds > 900")
    )
    tested = promtool("test", "rules", alert_rules.TESTS_FILE, cwd=root)
    assert tested.returncode != 0 and "SecurityJobSlow" in tested.stdout + tested.stderr


def test_every_alert_has_a_severity_summary_description_and_a_runbook_page(tmp_path: Path) -> None:
    root = written(tmp_path)
    pages = {p.name for p in (root / "runbooks").glob("*.md")}
    rules = rules_of(root)
    assert {r["alert"] for r in rules} >= {
        "SecurityJobNotRunning", "SecurityJobFailed", "SecurityCriticalFindings", "SecurityJobSlow",
        "CertificateExpiringSoon", "SecretRotationOverdue", "TeardownGuardrailTripped", "SecurityMetricsStale",
    }  # fmt: skip
    assert rule_problems(rules, pages) == []
    assert pages == {f"{r['alert']}.md" for r in rules} | {runbooks.INDEX}  # one page per alert, no orphan
    for name in {r["alert"] for r in rules}:
        text = (root / "runbooks" / f"{name}.md").read_text()
        assert "## What it means" in text and "## First checks" in text and "## How to resolve" in text
        assert "python -m jobs" in text, name  # a command to run, not only prose


def test_an_alert_without_runbook_url_or_page_is_reported(tmp_path: Path) -> None:
    root = written(tmp_path)
    pages = {p.name for p in (root / "runbooks").glob("*.md")}
    rules = rules_of(root)
    del rules[0]["annotations"]["runbook_url"]  # planted: the annotation left out
    assert rule_problems(rules, pages) == [
        f"{rules[0]['alert']}: no runbook_url",
        f"{rules[0]['alert']}: runbook_url None",
    ]
    pages.discard("SecretRotationOverdue.md")  # planted: the page missing
    assert "SecretRotationOverdue: no docs/runbooks/SecretRotationOverdue.md" in rule_problems(rules, pages)


def test_every_rule_has_a_firing_and_a_quiet_promtool_case(tmp_path: Path) -> None:
    root = written(tmp_path, WITH_SAMPLE)
    tests = yaml.safe_load((root / "monitoring" / alert_rules.TESTS_FILE).read_text())
    rules = rules_of(root)
    assert untested(rules, tests) == []
    dropped = [g for g in tests["tests"] if g["alert_rule_test"][0]["alertname"] != "TeardownGuardrailTripped"]
    assert untested(rules, {"tests": dropped}) == ["TeardownGuardrailTripped: 1 rules, 0 firing and 0 quiet cases"]
    # promtool alone would not notice: a test file without the case still passes
    (root / "monitoring" / alert_rules.TESTS_FILE).write_text(yaml.safe_dump({**tests, "tests": dropped}))
    assert promtool("test", "rules", alert_rules.TESTS_FILE, cwd=root / "monitoring").returncode == 0


# -- generated from the table --------------------------------------------------------------------------
def test_a_job_added_to_the_table_gets_its_own_not_running_and_stale_rules_and_a_status_tile(tmp_path: Path) -> None:
    """The sample job runs every 5 minutes and, as a lesser mode, weekly: two not-running rules
    at twice each interval, and a stale-metrics rule at twice the shortest."""
    rules = rules_of(written(tmp_path, WITH_SAMPLE))
    mine = {(r["alert"], r["labels"]["severity"]): r["expr"] for r in rules if r["labels"].get("job_name") == SPEC.id}
    assert mine == {
        (
            "SecurityJobNotRunning",
            "critical",
        ): 'time() - security_job_last_success_timestamp{job_name="sample-store",mode=""} > 600',
        (
            "SecurityJobNotRunning",
            "warning",
        ): 'time() - security_job_last_success_timestamp{job_name="sample-store",mode="verbose_mode"} > 1209600',
        ("SecurityMetricsStale", "warning"): 'time() - max by (job) (push_time_seconds{job="sample-store"}) > 600',
    }
    assert "SecurityJobNotRunning" not in {
        r["alert"] for r in rules_of(written(tmp_path / "t", JOBS)) if r["labels"].get("job_name") == SPEC.id
    }
    tiles = [p["title"] for p in dashboards.dashboards(WITH_SAMPLE)["security-jobs-overview.json"]["panels"]]
    assert "sample-store: last run" in tiles and "ttl-teardown: last run" in tiles


def test_the_teardowns_warn_only_runs_are_watched_apart_from_its_daily_teardown(tmp_path: Path) -> None:
    rules = [r for r in rules_of(written(tmp_path)) if r["alert"] == "SecurityJobNotRunning"]
    teardown = {r["labels"]["severity"]: r["expr"] for r in rules if r["labels"]["job_name"] == "ttl-teardown"}
    assert teardown == {
        "critical": 'time() - security_job_last_success_timestamp{job_name="ttl-teardown",mode=""} > 172800',
        "warning": 'time() - security_job_last_success_timestamp{job_name="ttl-teardown",mode="warn_only"} > 7200',
    }
    rotation = [r["expr"] for r in rules if r["labels"]["job_name"] == "secret-rotation"]
    assert rotation == ['time() - security_job_last_success_timestamp{job_name="secret-rotation",mode=""} > 1209600']


def test_certificate_thresholds_come_from_the_settings(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("certificate_checker: {thresholds: {critical_days: 3, warning_days: 14, info_days: 60}}\n")
    found = alert_rules.groups(declared.read(config))
    exprs = [a.expr for _, alerts in found for a in alerts if a.name == "CertificateExpiringSoon"]
    assert exprs == [
        "(security_certificate_expiry_timestamp - time()) / 86400 < 3",
        "(security_certificate_expiry_timestamp - time()) / 86400 < 14 and (security_certificate_expiry_timestamp - time()) / 86400 >= 3",
    ]


# -- Alertmanager --------------------------------------------------------------------------------------
def test_amtool_accepts_the_alertmanager_config_and_routes_by_severity(tmp_path: Path) -> None:
    amtool = tool("amtool")
    path = written(tmp_path) / "monitoring" / "alertmanager.yml"
    checked = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    routes = {}
    for severity in ("critical", "warning"):
        test = [amtool, "config", "routes", "test", f"--config.file={path}", f"severity={severity}", "alertname=X"]
        routes[severity] = subprocess.run(test, capture_output=True, text=True, timeout=60).stdout.strip()
    assert routes == {"critical": "critical", "warning": "warning"}
    receivers = {
        r["name"]: sorted(k for k in r if k.endswith("_configs")) for r in yaml.safe_load(path.read_text())["receivers"]
    }
    assert receivers == {
        "critical": ["email_configs", "pagerduty_configs"],
        "warning": ["email_configs", "slack_configs"],
    }


def test_the_alertmanager_config_holds_no_secret_only_files_to_read_them_from(tmp_path: Path) -> None:
    config = alertmanager.config(declared.read(ROOT / artifacts.EXAMPLE_CONFIG))
    text = json.dumps(config)
    assert "vault:" not in text and "hooks.slack.com" not in text
    assert config["global"]["smtp_auth_password_file"].startswith(alertmanager.SECRETS_DIR)
    assert config["receivers"][0]["pagerduty_configs"][0]["routing_key_file"].startswith(alertmanager.SECRETS_DIR)
    assert config["receivers"][0]["email_configs"][0]["to"] == "oncall@example.com, security@example.com"


def test_a_job_whose_schedule_never_fires_is_refused_naming_it() -> None:
    from dataclasses import replace

    from jobs.core.errors import ConfigError
    from jobs.core.registry import Schedule

    never = replace(SPEC, schedules=(Schedule("0 0 30 2 *"),))
    settings = declared.read(ROOT / artifacts.EXAMPLE_CONFIG, {**JOBS, SPEC.id: never})
    with pytest.raises(ConfigError, match="job sample-store: schedule 0 0 30 2 \\* never fires"):
        alert_rules.groups(settings, {**JOBS, SPEC.id: never})
