"""SARIF 2.1.0: validated against the OASIS schema, and checked field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from jobs.core.model import Finding, RunError, Severity
from jobs.repo_scanner import sarif
from tests.repo_scanner.running import config, git_repo, package_lock, scan

FP1, FP2, FP3 = "a" * 64, "b" * 64, "c" * 64


def finding(severity: Severity, repo: str, path: str, line: int, rule: str, fp: str, **details: object) -> Finding:
    info = {"scanner": "secrets", "rule": rule, "path": path, "line": line, "fingerprint": fp, **details}
    return Finding("secret", severity, f"repo:{repo}:{path}:{line}", f"{rule} found", info)


FINDINGS = [
    finding(
        Severity.CRITICAL, "app", "config/prod settings.py", 12, "aws-access-key-id", FP1, redacted="AKIA…(20 chars)"
    ),
    finding(Severity.WARNING, "app", "old.env", 3, "generic-password", FP2, commit="0" * 40, baselined=True),
    Finding(
        "license",
        Severity.INFO,
        "repo:app:package-lock.json:0",
        "x 1.0: license odd is not a known SPDX license",
        {
            "scanner": "licenses",
            "rule": "license:unknown",
            "path": "package-lock.json",
            "line": 0,
            "fingerprint": FP3,
            "suppression_expired": {"expires": "2026-01-31", "owner": "ana", "reason": "vendor review"},
        },
    ),
    Finding(
        "vulnerability", Severity.WARNING, "osv:/db", "the OSV database is 30 days old", {"rule": "database:stale"}
    ),
]


def test_one_repository_document_validates_and_says_what_each_field_must() -> None:
    doc = sarif.document(FINDINGS, [RunError("sast:app", "semgrep timed out")], baseline_used=True)
    sarif.validate(doc)
    Draft4Validator(sarif.schema()).validate(doc)  # and straight through jsonschema, for the reader
    assert (doc["version"], doc["$schema"]) == ("2.1.0", sarif.SCHEMA_URI)
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "secops-jobs repo-scanner"
    rules = {r["id"]: r for r in driver["rules"]}
    assert sorted(rules) == ["aws-access-key-id", "generic-password", "license:unknown"]
    assert rules["aws-access-key-id"]["defaultConfiguration"] == {"level": "error"}
    assert rules["aws-access-key-id"]["properties"] == {
        "tags": ["security", "secret", "secrets"],
        "security-severity": "9.5",
    }
    assert rules["license:unknown"]["defaultConfiguration"] == {"level": "note"}
    key, old, lic = run["results"]
    assert key == {
        "ruleId": "aws-access-key-id",
        "level": "error",
        "message": {"text": "aws-access-key-id found"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "config/prod%20settings.py", "uriBaseId": "SRCROOT"},
                    "region": {"startLine": 12},
                }
            }
        ],
        "partialFingerprints": {"secopsFingerprint/v1": FP1},
        "suppressions": [],
        "properties": {
            "severity": "critical",
            "type": "secret",
            "resource": "repo:app:config/prod settings.py:12",
            "scanner": "secrets",
            "redacted": "AKIA…(20 chars)",
        },
        "baselineState": "new",
    }
    assert (old["level"], old["baselineState"], old["properties"]["commit"], old["properties"]["baselined"]) == (
        "warning",
        "unchanged",
        "0" * 40,
        True,
    )
    assert "region" not in lic["locations"][0]["physicalLocation"]  # line 0: the whole file
    assert lic["suppressions"] == [
        {"kind": "external", "status": "rejected", "justification": "expired 2026-01-31: vendor review (ana)"}
    ]
    assert run["originalUriBaseIds"] == {"SRCROOT": {"description": {"text": "the root of repository app"}}}
    notes = run["invocations"][0]
    assert notes["executionSuccessful"] is False
    assert [n["message"]["text"] for n in notes["toolExecutionNotifications"]] == [
        "sast:app: semgrep timed out",
        "osv:/db: the OSV database is 30 days old",
    ]


def test_several_repositories_are_told_apart_by_their_uri_base() -> None:
    two = [FINDINGS[0], finding(Severity.WARNING, "api:v2", "a.py", 1, "generic-password", FP2)]
    doc = sarif.document(two, [], baseline_used=False)
    sarif.validate(doc)
    bases = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] for r in doc["runs"][0]["results"]]
    assert bases == ["app", "api:v2"]
    assert sorted(doc["runs"][0]["originalUriBaseIds"]) == ["api:v2", "app"]
    assert all("baselineState" not in r for r in doc["runs"][0]["results"])  # no baseline: no state claimed


def test_a_document_that_breaks_the_schema_is_refused() -> None:
    doc = sarif.document(FINDINGS[:1], [], baseline_used=False)
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(sarif.SarifInvalid, match="runs/0/results/0/level"):
        sarif.validate(doc)


def test_the_cli_writes_a_valid_sarif_of_the_run(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "app", {"package-lock.json": package_lock({"gplonly": "GPL-3.0-only"})})
    out = tmp_path / "reports" / "scan.sarif"
    result = scan(config(tmp_path), "--repo", str(repo), "--sarif", str(out))
    assert result["errors"] == []
    doc = json.loads(out.read_text())
    Draft4Validator(sarif.schema()).validate(doc)
    (res,) = doc["runs"][0]["results"]
    assert (res["ruleId"], res["level"]) == ("GPL-3.0-only", "warning")
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 10}
    assert res["partialFingerprints"]["secopsFingerprint/v1"] == result["findings"][0]["details"]["fingerprint"]
