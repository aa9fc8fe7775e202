"""The scanner's own series, what its alert rules (alerts.py) and dashboard panel read.

- `security_repo_findings{repo,type,severity}`: findings of the last run that are not accepted
  (a baselined finding is off the gate and not alerted, so not here either). Every scanned
  repository gets every type and severity, zero included, so a fixed secret reads 0, not gone.
- `security_repo_scan_duration_seconds{repo}`, `security_repo_commits_scanned{repo}` (history).
- `security_repo_repositories{outcome}`: repositories scanned and failed (not readable at
  all): a run that stopped covering repositories shows here.
- `security_repo_scanner_repositories{scanner,state}`: per scanner, the repositories it
  `ran` on, `not_run` (no database, no semgrep: it did not look), `failed` or `disabled`.

Labels are bounded by configuration: `repo` is a configured (or discovered) target's name;
never a path, a rule, a fingerprint or a commit. The registry is the run's, pushed once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from prometheus_client import Gauge

from jobs.core.model import Plan
from jobs.repo_scanner.model import RepoScan

TYPES: Final = ("secret", "sast", "vulnerability", "license")
SEVERITIES: Final = ("critical", "warning", "info")
STATES: Final = ("ran", "not_run", "failed", "disabled")


def repository_of(resource: str, names: Sequence[str]) -> str | None:
    """The repository a `repo:<name>:<path>:<line>` resource belongs to (the longest name
    matching, so a name holding ':' is read right); None for anything else (`osv:...`)."""
    for name in sorted(names, key=len, reverse=True):
        if resource.startswith(f"repo:{name}:"):
            return name
    return None


def state_of(outcome: str) -> str:
    """A RepoScan.scanners value (`ran`, `disabled`, `failed`, or why it did not run)."""
    return outcome if outcome in ("ran", "disabled", "failed") else "not_run"


def failed(scan: RepoScan) -> bool:
    """The repository itself could not be read (its checkout failed), not one scanner."""
    return any(error.source == f"repo:{scan.target.name}" for error in scan.errors)


def record(registry: Any, plan: Plan, scans: Sequence[RepoScan]) -> None:
    findings = Gauge(
        "security_repo_findings",
        "Findings of the last run not accepted by the baseline, by repository, type and severity",
        ["repo", "type", "severity"],
        registry=registry,
    )
    names = [scan.target.name for scan in scans]
    counts: Counter[tuple[str, str, str]] = Counter()
    for finding in plan.findings:
        repo = repository_of(finding.resource, names)
        if repo is not None and not finding.accepted and str(finding.severity) in SEVERITIES:
            counts[(repo, finding.type, str(finding.severity))] += 1
    for repo in names:
        for kind in TYPES:
            for severity in SEVERITIES:
                findings.labels(repo, kind, severity).set(counts[(repo, kind, severity)])
    _per_repository(registry, scans)
    _coverage(registry, scans)


def _per_repository(registry: Any, scans: Sequence[RepoScan]) -> None:
    duration = Gauge(
        "security_repo_scan_duration_seconds", "Wall time of the repository's scan", ["repo"], registry=registry
    )
    commits = Gauge(
        "security_repo_commits_scanned",
        "History commits the last run scanned, by repository",
        ["repo"],
        registry=registry,
    )
    for scan in scans:
        duration.labels(scan.target.name).set(float(scan.stats.get("seconds", 0.0)))
        commits.labels(scan.target.name).set(_commits(scan))


def _commits(scan: RepoScan) -> float:
    value = scan.stats.get("history_commits", 0)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _coverage(registry: Any, scans: Sequence[RepoScan]) -> None:
    repositories = Gauge(
        "security_repo_repositories", "Repositories of the last run, by outcome", ["outcome"], registry=registry
    )
    unreadable = sum(1 for scan in scans if failed(scan))
    repositories.labels("scanned").set(len(scans) - unreadable)
    repositories.labels("failed").set(unreadable)
    scanners = Gauge(
        "security_repo_scanner_repositories",
        "Repositories each scanner ran on, did not run on (and why: not_run, failed) or is disabled for",
        ["scanner", "state"],
        registry=registry,
    )
    tally: Counter[tuple[str, str]] = Counter()
    seen: set[str] = set()
    for scan in scans:
        if failed(scan):
            continue
        for scanner, outcome in scan.scanners.items():
            tally[(scanner, state_of(outcome))] += 1
            seen.add(scanner)
    for scanner in sorted(seen):
        for state in STATES:
            scanners.labels(scanner, state).set(tally[(scanner, state)])
