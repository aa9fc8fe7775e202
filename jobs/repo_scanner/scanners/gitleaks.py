"""The gitleaks cross-check: when enabled and the binary is there, its findings join ours.

`gitleaks dir` writes a JSON report into a private temporary folder; each finding's `Secret` is
read only to fingerprint and mask it (a Match, match.py) and is gone with the folder. Nothing
gitleaks prints is kept: its output may quote a secret (an error says the exit code and that
is all). The report is not redacted (`--redact` would leave nothing to fingerprint, and the
fingerprint is what dedups its hits against ours and lets one suppression cover both).
plan.py drops a gitleaks hit on a line ours reported; what remains is what only gitleaks saw.
gitleaks reads the repository's own `.gitleaks.toml` as it always does; our engine never lets
that file silence a rule (loading.py), so the difference shows in the bench.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from jobs.core.model import RunError
from jobs.repo_scanner.model import Checkout, Hit, ScanReport
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.secrets.match import Match, hit_from_match

#: gitleaks rule ids (of its default config) usable as found: categories as severity.py knows
#: them; any other rule (generic-api-key, jwt, a custom one) is secret:generic
KEY_RULE_PREFIXES: Final = (
    "aws-",
    "github-",
    "gitlab-",
    "slack-",
    "private-key",
    "stripe-",
    "gcp-",
    "npm-access-token",
    "pypi-upload-token",
    "vault-",
    "hashicorp-",
    "sendgrid-",
    "azure-",
    "openai-",
)


def category(rule: str) -> str:
    return "secret:key" if rule.startswith(KEY_RULE_PREFIXES) else "secret:generic"


def command(binary: str, root: Path, report: Path, ignore_dir: Path, max_megabytes: int) -> list[str]:
    """`gitleaks dir`: findings to a JSON file, exit 0 with or without findings (a non-zero
    exit is then a failure), no banner, no .gitleaksignore of the repository's (an empty
    folder is named instead: a cross-check must not be silenced by the tree it checks)."""
    return [
        binary,
        "dir",
        "--no-banner",
        "--no-color",
        "--log-level=error",
        "--exit-code=0",
        "--report-format=json",
        f"--report-path={report}",
        f"--gitleaks-ignore-path={ignore_dir}",
        f"--max-target-megabytes={max_megabytes}",
        str(root),
    ]


def scan(checkout: Checkout, env: ScanEnv) -> ScanReport:
    cfg = env.cfg.scanners.gitleaks
    binary = shutil.which(cfg.binary)
    if binary is None:
        return ScanReport(ran=False, stats={"why_not_run": f"gitleaks binary not found: {cfg.binary}"})
    source = f"gitleaks:{checkout.target.name}"
    max_megabytes = max(1, env.cfg.scanners.secrets.max_file_bytes // 1_000_000)
    with tempfile.TemporaryDirectory(prefix="secops-gitleaks-") as private:
        report, ignore_dir = Path(private) / "report.json", Path(private) / "ignore"
        ignore_dir.mkdir()
        try:
            done = subprocess.run(  # noqa: S603 - our argument list, no shell
                command(binary, checkout.root, report, ignore_dir, max_megabytes),
                capture_output=True,
                timeout=cfg.timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return _failed(source, f"timed out after {cfg.timeout_seconds:g} s")
        except OSError as exc:
            return _failed(source, f"could not start {cfg.binary}: {exc.strerror}")
        if done.returncode != 0:
            return _failed(source, f"exited with {done.returncode} (its output is not kept: it may quote a secret)")
        try:
            findings = json.loads(report.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError) as exc:
            return _failed(source, f"unreadable report: {exc.__class__.__name__}")
    hits = hits_of(findings, checkout, env)
    return ScanReport(hits=hits, stats={"findings": len(findings) if isinstance(findings, list) else 0})


def _failed(source: str, message: str) -> ScanReport:
    return ScanReport(ran=False, errors=[RunError(source, message)], stats={"why_not_run": "failed"})


def hits_of(findings: Any, checkout: Checkout, env: ScanEnv) -> list[Hit]:
    """Secret-free hits of gitleaks' report, for the files the checkout lists (gitleaks walks
    the folder: ignored and untracked-ignored files are not ours to report)."""
    if not isinstance(findings, list):
        return []
    listed = set(checkout.files)
    hits = []
    for finding in findings:
        rel = _relative(finding.get("File"), checkout.root) if isinstance(finding, dict) else None
        secret = finding.get("Secret") if rel is not None else None
        if rel is None or rel not in listed or not isinstance(secret, str) or not secret:
            continue
        rule = str(finding.get("RuleID") or "gitleaks")
        line = finding.get("StartLine")
        line = line if isinstance(line, int) and line > 0 else 0
        match = Match(rule, str(finding.get("Description") or rule), category(rule), line, secret)
        hits.append(replace(hit_from_match(match, rel, env.fingerprints), scanner="gitleaks"))
    return hits


def _relative(file: Any, root: Path) -> str | None:
    if not isinstance(file, str) or not file:
        return None
    path = Path(file)
    try:
        return (path.relative_to(root) if path.is_absolute() else path).as_posix()
    except ValueError:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return None
