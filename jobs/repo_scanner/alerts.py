"""repo-scanner's own alerts, on the series metrics.py pushes for the daily (full) run only
(`mode=""`: a CI or push run of one repository neither raises nor clears them):

- RepoSecretExposed (critical): a live secret (a key usable as found) in a repository's tree.
- RepoScanCoverageDropped (warning): repositories the run could not read at all, or fewer
  repositories scanned than at any time in the last 7 days (a group lost, a token expired).
- RepoScannerNotRunning (warning): a scanner that is enabled but did not look at some
  repositories (no OSV database, no semgrep, a crash): silence there is not a clean bill.
"""

from __future__ import annotations

from jobs.core.alerting import Alert, Case, Runbook, series
from jobs.repo_scanner.settings import RepoScannerSettings

_JOB = {"job": "repo-scanner", "shard": "all"}
_FINDING = {**_JOB, "repo": "platform/api", "type": "secret", "severity": "critical"}
_FINDINGS = series("security_repo_findings", _FINDING)
_SCANNED = series("security_repo_repositories", {**_JOB, "outcome": "scanned"})
_FAILED = series("security_repo_repositories", {**_JOB, "outcome": "failed"})
_NOT_RUN = {**_JOB, "scanner": "dependencies", "state": "not_run"}
_NOT_RUN_SERIES = series("security_repo_scanner_repositories", _NOT_RUN)
_SCAN = "python -m jobs run repo-scanner --dry-run --json"

SECRET_RUNBOOK = Runbook(
    meaning="The daily repo-scanner run found a live secret (a cloud or private key, a provider token) "
    "in the working tree of `repo`: anyone who can read the repository can use it. Removing it from the "
    "tree is not enough: it stays in history and in every clone. The finding's `redacted` form and "
    "`fingerprint` say which one; the secret itself is never in a result, log or alert.",
    checks=(
        f'{_SCAN} --target <repo> | jq \'.findings[] | select(.type == "secret" and .severity == "critical")\'',
        "python -m jobs audit --job repo-scanner --since $(date -u -d '-2 days' +%FT%TZ)",
        'security_repo_findings{type="secret",severity="critical",mode=""} > 0',
    ),
    resolve=(
        "Revoke or rotate the secret at its issuer first (AWS IAM, GitHub, the database), then remove it from "
        "the tree; a rewrite of history is only worth it for a repository that is still private.",
        "A false positive (a test fixture, a placeholder): add its fingerprint to the repository's "
        "`.secops-ignore.yaml` with a reason, an owner and an expiry, or to the baseline "
        "(`--write-baseline`); never widen a rule to hide one value.",
    ),
)

COVERAGE_RUNBOOK = Runbook(
    meaning="The daily repo-scanner run scanned fewer repositories than it should: some could not be read at "
    "all (a clone failed, a path is gone), or fewer were scanned than at any time in the last 7 days (a GitLab "
    "group or token lost access, a target was dropped). The repositories it did not read are not known to be clean.",
    checks=(
        f"{_SCAN} | jq '.errors, .summary.repositories | keys'",
        "python -m jobs audit --job repo-scanner --since $(date -u -d '-8 days' +%FT%TZ)",
        'security_repo_repositories{mode=""}',
        "kubectl -n secops logs -l app.kubernetes.io/name=repo-scanner --tail=200",
    ),
    resolve=(
        "Fix what the run's `errors` name: the GitLab token (`repo_scanner.gitlab.token`, read_api and "
        "read_repository), a moved repository, the cache volume.",
        "A repository removed on purpose: the alert clears by itself once the 7-day window no longer holds "
        "the larger count.",
    ),
)

SCANNER_RUNBOOK = Runbook(
    meaning="An enabled scanner did not look at some repositories of the daily run (`state` not_run or failed): "
    "the dependencies scanner without an OSV database (`repo_scanner.scanners.dependencies.osv_db`), SAST "
    "without semgrep (the Lambda zip has none: use the image), a scanner that crashed. Nothing it would have "
    "found is reported, which must not read as clean.",
    checks=(
        f"{_SCAN} | jq '.summary.repositories[] | .scanners'",
        'security_repo_scanner_repositories{state=~"not_run|failed",mode=""} > 0',
    ),
    resolve=(
        "Give the scanner what it needs (an OSV folder refreshed daily, semgrep in the image's `sast` extra), "
        "or disable it (`repo_scanner.scanners.<name>.enabled: false`) where it is not wanted.",
    ),
)


def alerts(cfg: RepoScannerSettings) -> list[Alert]:
    return [
        Alert(
            "RepoSecretExposed",
            'security_repo_findings{type="secret",severity="critical",mode=""} > 0',
            "critical",
            "A live secret is in repository {{ $labels.repo }}",
            "The last repo-scanner run found a critical secret in the working tree of {{ $labels.repo }}: "
            "revoke it, then remove it.",
            SECRET_RUNBOOK,
            fires=Case({_FINDINGS: "1x10"}, (_FINDING,)),
            quiet=Case({_FINDINGS: "0x10"}),
        ),
        Alert(
            "RepoScanCoverageDropped",
            'security_repo_repositories{outcome="failed",mode=""} > 0 or security_repo_repositories'
            '{outcome="scanned",mode=""} < max_over_time(security_repo_repositories{outcome="scanned",mode=""}[7d])',
            "warning",
            "repo-scanner did not cover every repository",
            "The last repo-scanner run could not read some repositories ({{ $labels.outcome }}), or scanned fewer "
            "than in the last 7 days.",
            COVERAGE_RUNBOOK,
            fires=Case({_SCANNED: "5 5 5 4x7", _FAILED: "0x10"}, ({**_JOB, "outcome": "scanned"},)),
            quiet=Case({_SCANNED: "4 4 5x8", _FAILED: "0x10"}),
        ),
        Alert(
            "RepoScannerNotRunning",
            'security_repo_scanner_repositories{state=~"not_run|failed",mode=""} > 0',
            "warning",
            "repo-scanner's {{ $labels.scanner }} scanner did not run",
            "The {{ $labels.scanner }} scanner is enabled but did not look at some repositories ({{ $labels.state }}).",
            SCANNER_RUNBOOK,
            fires=Case({_NOT_RUN_SERIES: "3x10"}, (_NOT_RUN,)),
            quiet=Case({_NOT_RUN_SERIES: "0x10"}),
        ),
    ]
