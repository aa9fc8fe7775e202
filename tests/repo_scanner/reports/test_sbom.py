"""The CycloneDX SBOM: components with purls and licenses, vulnerabilities affecting them,
validated by cyclonedx-python-lib's own JSON validator."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from jobs.core.model import Finding, Severity
from jobs.repo_scanner import sbom
from jobs.repo_scanner.model import RepoScan, ScanTarget
from tests.repo_scanner.running import config, git_repo, scan

AT = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def component(name: str, version: str, path: str, license: str | None, ecosystem: str = "npm") -> dict[str, object]:
    kind = "npm" if ecosystem == "npm" else "pypi"
    return {
        "ecosystem": ecosystem,
        "name": name,
        "version": version,
        "path": path,
        "line": 3,
        "purl": f"pkg:{kind}/{name}@{version}",
        "license": license,
    }


def vulnerability(repo: str, path: str, package: str, version: str, advisory: str, cvss: float | None) -> Finding:
    details = {
        "scanner": "dependencies",
        "rule": advisory,
        "path": path,
        "line": 3,
        "fingerprint": "f" * 64,
        "advisory": advisory,
        "aliases": ["CVE-2026-1234"],
        "package": package,
        "version": version,
        "fixed_version": "4.17.21",
        "cvss": cvss,
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    }
    return Finding("vulnerability", Severity.CRITICAL, f"repo:{repo}:{path}:3", f"{package} {version}: bad", details)


def test_components_and_vulnerabilities_of_two_repositories() -> None:
    app = RepoScan(ScanTarget("app", path="/src/app"))
    app.components = [
        component("lodash", "4.17.20", "package-lock.json", "MIT"),
        component("dual", "1.0.0", "package-lock.json", "MIT OR Apache-2.0"),
        component("odd", "1.0.0", "package-lock.json", "SEE LICENSE IN LICENSE"),
        component("requests", "2.0.0", "requirements.txt", None, "PyPI"),
    ]
    api = RepoScan(ScanTarget("api", path="/src/api"))
    api.components = [component("lodash", "4.17.20", "web/package-lock.json", "MIT")]
    findings = [
        vulnerability("app", "package-lock.json", "lodash", "4.17.20", "GHSA-aaaa-bbbb-cccc", 9.8),
        vulnerability("api", "web/package-lock.json", "lodash", "4.17.20", "GHSA-aaaa-bbbb-cccc", 9.8),
    ]
    text = sbom.render([app, api], findings, AT)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert (doc["bomFormat"], doc["specVersion"], doc["metadata"]["timestamp"]) == (
        "CycloneDX",
        "1.6",
        "2026-11-30T03:00:00+00:00",
    )
    by_ref = {c["bom-ref"]: c for c in doc["components"]}
    assert sorted(by_ref) == [
        "api:web/package-lock.json:pkg:npm/lodash@4.17.20",
        "app:package-lock.json:pkg:npm/dual@1.0.0",
        "app:package-lock.json:pkg:npm/lodash@4.17.20",
        "app:package-lock.json:pkg:npm/odd@1.0.0",
        "app:requirements.txt:pkg:pypi/requests@2.0.0",
    ]
    lodash = by_ref["app:package-lock.json:pkg:npm/lodash@4.17.20"]
    assert (lodash["purl"], lodash["licenses"]) == ("pkg:npm/lodash@4.17.20", [{"license": {"id": "MIT"}}])
    assert by_ref["app:package-lock.json:pkg:npm/dual@1.0.0"]["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert by_ref["app:package-lock.json:pkg:npm/odd@1.0.0"]["licenses"] == [
        {"license": {"name": "SEE LICENSE IN LICENSE"}}
    ]
    assert "licenses" not in by_ref["app:requirements.txt:pkg:pypi/requests@2.0.0"]
    (vuln,) = doc["vulnerabilities"]
    assert (vuln["id"], vuln["source"]) == ("GHSA-aaaa-bbbb-cccc", {"name": "OSV"})
    assert vuln["ratings"] == [
        {"score": 9.8, "severity": "critical", "method": "CVSSv31", "vector": "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
    ]  # the library drops the prefix
    assert vuln["references"] == [{"id": "CVE-2026-1234", "source": {"name": "NVD"}}]
    assert sorted(a["ref"] for a in vuln["affects"]) == [
        "api:web/package-lock.json:pkg:npm/lodash@4.17.20",
        "app:package-lock.json:pkg:npm/lodash@4.17.20",
    ]


def test_the_cli_writes_a_valid_sbom_even_with_no_dependencies(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "app", {"README.md": "hello\n"})
    out = tmp_path / "bom.json"
    result = scan(config(tmp_path), "--repo", str(repo), "--sbom", str(out), "--dry-run")
    assert result["errors"] == []
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert json.loads(text)["metadata"]["tools"]["components"][0]["name"] == "secops-jobs repo-scanner"
