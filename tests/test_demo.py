"""`python -m jobs demo` from a clean directory: every available job against the sandbox."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import ROOT

# the whole demo (five jobs, real servers) runs in the module's first test: on this shared 2-core
# machine under load it has taken 100 s, so the default 120 s leaves no margin
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    where = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [sys.executable, "-m", "jobs", "demo", "--output", str(where / "out")],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=280,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (where / "stderr.txt").write_text(proc.stderr)
    return proc.stdout, where / "out"


def result(out: Path, job: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / f"{job}.json").read_text())
    return data


def test_the_certificate_demo_shows_every_severity_and_problem(demo: tuple[str, Path]) -> None:
    stdout, out = demo
    assert "certificate-checker" in stdout
    found = result(out, "certificate-checker")
    assert {f["severity"] for f in found["findings"]} == {"critical", "warning", "info", "ok"}
    problems = {p for f in found["findings"] for p in f["details"]["problems"]}
    assert problems == {
        "expired",
        "not_yet_valid",
        "hostname_mismatch",
        "untrusted",
        "self_signed",
        "weak_key",
        "sha1_signature",
        "chain_expiring",
        "unreachable",
        "stale_deployment",
    }
    assert any("linked" in f["details"] for f in found["findings"])
    assert [e["source"].rsplit("/", 1)[1] for e in found["errors"]] == ["corrupt.pem#0"]


def test_the_teardown_demo_warns_keeps_with_reasons_deletes_and_counts_dollars(demo: tuple[str, Path]) -> None:
    stdout, out = demo
    found = result(out, "ttl-teardown")
    actions = [(a["kind"], a["outcome"]) for a in found["actions"]]
    assert actions.count(("delete", "done")) == 3 and ("warn", "done") in actions
    assert ("notify_violations", "done") in actions
    kept = {
        f["details"]["kept_reason"] for f in found["findings"] if f["details"].get("kept_reason") and f["type"] == "ttl"
    }
    assert kept == {
        "environment=prod",
        "data-class=restricted",
        "auto-teardown is not true",
        "whitelisted by tag critical=true",
    }
    assert found["summary"]["cost_avoided_usd"] > 0
    assert "kept     arn:aws:ec2" in stdout and "cost avoided usd" in stdout


def test_the_secret_rotation_demo_rotates_warns_and_alerts_without_showing_a_value(demo: tuple[str, Path]) -> None:
    _, out = demo
    found = result(out, "secret-rotation")
    done = {(a["kind"], a["resource"]) for a in found["actions"] if a["outcome"] == "done"}
    assert ("rotate", "vault:secret/apps/payments/api") in done and ("notify", "owner:sam@example.com") in done
    overdue = [f for f in found["findings"] if f["details"]["status"] == "manual_overdue"]
    assert [f["severity"] for f in overdue] == ["critical"]
    env = out / "secret-rotation" / "payments.env"
    value = env.read_text().strip().split("=", 1)[1]
    assert env.stat().st_mode & 0o777 == 0o600 and len(value) == 40
    assert value not in (out / "secret-rotation.json").read_text()
    assert value not in (out / "secret-rotation" / "outbox.jsonl").read_text()


def test_the_demo_prints_no_access_log_and_says_what_it_is_doing(demo: tuple[str, Path]) -> None:
    stdout, out = demo
    stderr = (out.parent / "stderr.txt").read_text()
    assert "HTTP/1.1" not in stderr + stdout, stderr[:2000]
    assert stdout.index("ttl-teardown: preparing its sandbox") < stdout.index("ttl-teardown success")


def test_the_demo_summary_counts_what_each_job_did(demo: tuple[str, Path]) -> None:
    stdout, _ = demo
    table = stdout[stdout.index("job                   status") :].splitlines()
    [ttl] = [row for row in table if row.startswith("ttl-teardown")]
    assert "deleted 3" in ttl and "owner warned 2" in ttl and "actions" not in ttl
    [rotation] = [row for row in table if row.startswith("secret-rotation")]
    assert "rotated 1" in rotation
    assert "would " not in stdout  # the demo acts: nothing in it is only planned


def test_the_saved_ttl_config_points_at_nothing_and_says_why(demo: tuple[str, Path], tmp_path: Path) -> None:
    _, out = demo
    saved = out / "ttl-teardown" / "secops.yaml"
    text = saved.read_text()
    assert "whatever account your credentials reach" in text and "pointing at nothing" in text
    section = yaml.safe_load(text)["ttl_teardown"]
    assert section["aws"] == {"enabled": False} and section["dry_run"] is True
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "real", "AWS_SECRET_ACCESS_KEY": "x"}
    proc = subprocess.run(
        [sys.executable, "-m", "jobs.ttl_teardown", "--config", str(saved), "--json"],
        cwd=out.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    rerun = json.loads(proc.stdout)
    assert rerun["dry_run"] is True and rerun["summary"]["total_checked"] == 0 and rerun["errors"] == []


def test_make_demo_says_the_first_install_takes_minutes_before_it_starts_and_shows_progress(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    proc = subprocess.run(["make", "-n", "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    notice = next(i for i, line in enumerate(lines) if "a few minutes" in line)
    installs = [i for i, line in enumerate(lines) if "pip install" in line and "-e " in line]
    assert installs and notice < installs[0]
    assert all(" -q " not in lines[i] for i in installs), lines


def test_the_repo_scanner_demo_finds_the_planted_secrets_a_vulnerable_lockfile_and_a_denied_license(
    demo: tuple[str, Path],
) -> None:
    stdout, out = demo
    found = result(out, "repo-scanner")
    assert found["status"] == "success"
    by_type = {(f["type"], f["details"]["path"]) for f in found["findings"] if "path" in f["details"]}
    assert {("secret", ".env"), ("secret", "deploy/ci.yaml"), ("secret", "deploy/deploy_key")} <= by_type
    assert ("secret", "app/settings.py") in by_type  # the PostgreSQL URL's password
    [removed] = [f for f in found["findings"] if f["details"].get("path") == "scripts/notify.sh"]
    assert removed["details"]["commit"] and removed["severity"] == "warning"  # only in history
    [vulnerable] = [f for f in found["findings"] if f["type"] == "vulnerability"]
    assert vulnerable["details"]["rule"] == "PYSEC-2021-142" and vulnerable["severity"] == "critical"
    assert any(f["type"] == "license" and "GPL-3.0" in json.dumps(f["details"]) for f in found["findings"])
    assert "repo-scanner" in stdout


def test_the_repo_scanner_demo_writes_sarif_and_an_sbom_and_shows_no_planted_value(demo: tuple[str, Path]) -> None:
    _, out = demo
    sandbox = out / "repo-scanner"
    sarif = json.loads((sandbox / "repo-scanner.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert json.loads((sandbox / "repo-scanner.cdx.json").read_text())["bomFormat"] == "CycloneDX"
    env = dict(line.split("=", 1) for line in (sandbox / "shop-api" / ".env").read_text().splitlines())
    planted = [env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]]
    outputs = [out / "repo-scanner.json", sandbox / "repo-scanner.sarif", sandbox / "outbox.jsonl"]
    for path in outputs:
        text = path.read_text() if path.exists() else ""
        assert not [value for value in planted if value in text], path


# -- usage-report --------------------------------------------------------------------------------
USAGE_TENANTS = {"acme": "Acme Corp", "globex": "Globex", "lumiere": "Société Lumière"}


def usage_pdf(out: Path, tenant: str) -> Path:
    return out / "usage-report" / tenant / "daily" / "2026-11-30.pdf"


def test_the_usage_report_demo_reports_an_over_quota_a_gap_and_a_french_tenant(demo: tuple[str, Path]) -> None:
    stdout, out = demo
    found = result(out, "usage-report")
    assert found["status"] == "success" and found["errors"] == []
    assert {(f["resource"], f["severity"]) for f in found["findings"] if f["severity"] != "ok"} == {
        ("tenant:acme", "info"),  # over its monthly quota
        ("tenant:globex", "warning"),  # 5 of 24 hours not scraped
    }
    assert {f["resource"] for f in found["findings"]} == {f"tenant:{t}" for t in USAGE_TENANTS}
    assert found["duration_seconds"] < 20  # seconds for this job: make demo stays fast
    table = stdout[stdout.index("job                   status") :].splitlines()
    [row] = [line for line in table if line.startswith("usage-report")]
    assert row.split()[1] == "success" and "email_report done 3" in row
    if shutil.which("pdftotext") is None:
        return
    texts = {
        t: subprocess.run(["pdftotext", str(usage_pdf(out, t)), "-"], capture_output=True, text=True, check=True).stdout
        for t in USAGE_TENANTS
    }
    assert "Société Lumière" in texts["lumiere"] and "Chiffres clés" in texts["lumiere"]
    assert "79.2" in texts["globex"]  # the completeness, stated
    for tenant, text in texts.items():  # each PDF names its own tenant only
        assert USAGE_TENANTS[tenant] in text
        assert not any(name in text for other, name in USAGE_TENANTS.items() if other != tenant)


def test_the_usage_report_demo_mails_each_pdf_to_the_local_sink_only(demo: tuple[str, Path]) -> None:
    import email
    import email.policy

    _, out = demo
    mails = sorted(p.name for p in (out / "usage-report" / "mail").iterdir())
    assert mails == ["direction@lumiere.example.eml", "ops@acme.example.eml", "reports@globex.example.eml"]
    message = email.message_from_bytes(
        (out / "usage-report" / "mail" / "ops@acme.example.eml").read_bytes(), policy=email.policy.default
    )
    assert message["To"] == "ops@acme.example, finance@acme.example"
    [attached] = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert attached.get_content() == usage_pdf(out, "acme").read_bytes()


def test_without_prometheus_the_recorded_answers_give_the_same_pdfs(
    demo: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where Prometheus is missing the demo replays jobs/demo/usage_report_answers.json: it must
    still be what the Prometheus source asks today (re-record: make usage-demo-answers)."""
    from jobs.core.invoke import invoke
    from jobs.demo.usage_report import prepare

    _, out = demo
    monkeypatch.setenv("PATH", str(tmp_path / "no-prometheus-here"))
    _, replayed = invoke(prepare(tmp_path / "usage-report"))
    assert replayed.status == "success", replayed.errors
    assert not (tmp_path / "usage-report" / "sandbox" / "prometheus-data").exists()
    for tenant in USAGE_TENANTS:
        again = tmp_path / "usage-report" / tenant / "daily" / "2026-11-30.pdf"
        assert again.read_bytes() == usage_pdf(out, tenant).read_bytes()
