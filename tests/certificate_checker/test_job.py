"""The whole job: contract details, alerts across days, metrics, the demo sandbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.certificate_checker.conftest import NOW, Pki, run_checker
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.slack import FakeSlack
from tests.test_metrics import sample_value
from tests.test_notifications import ROUTING_KEY


def test_findings_carry_every_contract_detail(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "a.pem").write_bytes(pki.leaf("a.example.test", 5).pem(False))
    result = run_checker(tmp_path, {"files": [str(tmp_path / "a.pem")]}, "--now", NOW.isoformat())
    [finding] = result["findings"]
    assert finding["type"] == "certificate" and finding["resource"] == f"file:{tmp_path}/a.pem#0"
    assert finding["message"] == "certificate expires in 5 days"
    details = finding["details"]
    assert set(details) >= {
        "days_left",
        "not_after",
        "subject",
        "issuer",
        "sans",
        "fingerprint_sha256",
        "source",
        "problems",
    }
    assert (details["days_left"], details["sans"], details["source"]) == (5, ["a.example.test"], "file")
    assert details["not_after"] == (NOW + timedelta(days=5)).isoformat().replace("+00:00", "Z")
    assert result["summary"] == {"total_checked": 1, "critical": 1, "warning": 0, "info": 0, "ok": 0,
                                 "sources": {"file": 1}}  # fmt: skip


def test_fail_on_gates_ci_on_certificate_severity(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "a.pem").write_bytes(pki.leaf("a.example.test", 20).pem(False))
    section = {"files": [str(tmp_path / "a.pem")]}
    assert run_checker(tmp_path, section, "--now", NOW.isoformat(), "--fail-on", "critical")["exit_code"] == 0
    assert run_checker(tmp_path, section, "--now", NOW.isoformat(), "--fail-on", "warning")["exit_code"] == 4


def test_alerts_on_entering_a_worse_tier_daily_while_critical_never_daily_at_warning_resolved_when_renewed(
    pki: Pki, tmp_path: Path, slack: FakeSlack, pagerduty: FakePagerDuty
) -> None:
    cert = tmp_path / "site.pem"
    cert.write_bytes(pki.leaf("site.example.test", 40).pem(False))
    notifications = {
        "slack": {"webhook_url": slack.webhook_url},
        "pagerduty": {"routing_key": ROUTING_KEY, "events_url": pagerduty.events_url},
    }

    def day(n: float) -> list[str]:
        when = (NOW + timedelta(days=n)).isoformat()
        return run_checker(tmp_path, {"files": [str(cert)]}, "--now", when, notifications=notifications)["alerts_sent"]

    assert day(0) == ["slack"]  # info: 40 days left
    assert day(1) == []
    assert day(11) == ["slack"]  # warning: 29 days left
    assert day(12) == [] and day(20) == []  # never a daily repeat at warning
    assert day(34) == ["slack", "pagerduty"]  # critical: 6 days left
    assert day(34.5) == []
    assert day(35) == ["slack", "pagerduty"]  # still critical a day later
    cert.write_bytes(pki.leaf("site.example.test", 400).pem(False))  # renewed in place
    assert day(36) == ["slack", "pagerduty"]
    assert pagerduty.events[-1]["event_action"] == "resolve"
    assert slack.webhook_posts[-1]["text"].startswith("[RESOLVED]")
    assert pagerduty.open_incidents == {}


def test_expiry_timestamps_and_counts_are_exported(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "a.pem").write_bytes(pki.leaf("a.example.test", 50).pem(False))
    textfile = tmp_path / "metrics" / "{job}.prom"
    run_checker(
        tmp_path, {"files": [str(tmp_path / "a.pem")]}, "--now", NOW.isoformat(), metrics_textfile=str(textfile)
    )
    text = (tmp_path / "metrics" / "certificate-checker.prom").read_text()
    expiry = sample_value(
        text, "security_certificate_expiry_timestamp", source="file", resource=f"file:{tmp_path}/a.pem#0"
    )
    assert expiry == int((NOW + timedelta(days=50)).timestamp())
    assert sample_value(text, "security_certificates", source="file", severity="info") == 1
    assert sample_value(text, "security_job_findings", job_name="certificate-checker", severity="info") == 1


def test_a_run_with_no_source_configured_says_so_instead_of_success_checked_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_checker(tmp_path, {"thresholds": {"critical_days": 3}})
    assert result["exit_code"] == 2
    assert "certificate_checker: no source configured" in capsys.readouterr().err


def test_the_example_configs_certificate_checker_section_is_valid_and_uses_every_source() -> None:
    import yaml

    from jobs.certificate_checker.settings import CertificateCheckerSettings
    from tests.helpers import ROOT

    section = yaml.safe_load((ROOT / "config" / "example.yaml").read_text())["certificate_checker"]
    cfg = CertificateCheckerSettings.model_validate(section)
    assert cfg.files and cfg.kubernetes.enabled and cfg.vault.enabled and cfg.acm.enabled
    resources = [e.resource for e in cfg.endpoints]
    assert "endpoint:[2001:db8::10]:8443" in resources and "endpoint:www.example.com:443" in resources
