"""A CycloneDX 1.6 SBOM of the dependencies the run found, with their vulnerabilities.

Components come from the lockfiles (ScanReport.components: ecosystem, name, version, path,
line, purl, license); one per repository, lockfile and package URL, so the same package in two
repositories is two components a reader can trace back (properties `secops:repo`,
`secops:path`). Each vulnerability finding becomes a vulnerability entry (advisory id, OSV as
its source, aliases as references, the CVSS rating) that `affects` the components it was
found in. The document is validated with the library's own JSON schema validator before it is
written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from jobs import __version__
from jobs.core.model import Finding
from jobs.repo_scanner.licensing import canonical
from jobs.repo_scanner.model import RepoScan
from jobs.repo_scanner.plan import repo_name

TOOL: Final = "secops-jobs repo-scanner"


class SbomInvalid(ValueError):
    """The document does not validate against the CycloneDX schema (a bug of ours)."""


def ref(repo: str, path: str, purl: str) -> str:
    return f"{repo}:{path}:{purl}"


def render(scans: Sequence[RepoScan], findings: Sequence[Finding], at: datetime) -> str:
    """The SBOM as JSON text, validated."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    bom = Bom()
    bom.metadata.timestamp = at
    bom.metadata.tools.components.add(Component(type=ComponentType.APPLICATION, name=TOOL, version=__version__))
    index: dict[tuple[str, str, str, str], str] = {}
    refs: set[str] = set()
    for scan in scans:
        for record in scan.components:
            component = _component(scan.target.name, record)
            if component is None or component.bom_ref.value in refs:
                continue
            refs.add(str(component.bom_ref.value))
            bom.components.add(component)
            key = (scan.target.name, str(record.get("path")), str(record.get("name")), str(record.get("version")))
            index[key] = str(component.bom_ref.value)
    for vulnerability in _vulnerabilities(findings, index):
        bom.vulnerabilities.add(vulnerability)
    text: str = JsonV1Dot6(bom).output_as_string(indent=2)
    problem = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if problem is not None:
        raise SbomInvalid(f"CycloneDX does not validate: {str(problem).splitlines()[0]}")
    return text


def _component(repo: str, record: Mapping[str, Any]) -> Any:
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    name, version, purl = record.get("name"), record.get("version"), record.get("purl")
    if not isinstance(name, str) or not name or not isinstance(purl, str):
        return None
    component = Component(
        type=ComponentType.LIBRARY,
        name=name,
        version=str(version) if version else None,
        purl=PackageURL.from_string(purl),
        bom_ref=ref(repo, str(record.get("path", "")), purl),
        properties=[Property(name="secops:repo", value=repo), Property(name="secops:path", value=str(record["path"]))],
    )
    license = _license(record.get("license"))
    if license is not None:
        component.licenses.add(license)
    return component


def _license(raw: Any) -> Any:
    """A valid SPDX expression as an expression, a single SPDX id as an id, anything else by
    its name (never dropped: an unknown license is information)."""
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression

    if not isinstance(raw, str) or not raw.strip():
        return None
    normal = canonical(raw)
    if normal is None:
        return DisjunctiveLicense(name=raw.strip()[:200])
    if " " in normal:
        return LicenseExpression(normal)
    return DisjunctiveLicense(id=normal)


def _vulnerabilities(findings: Iterable[Finding], index: Mapping[tuple[str, str, str, str], str]) -> list[Any]:
    from cyclonedx.model.vulnerability import BomTarget, Vulnerability, VulnerabilitySource

    by_id: dict[str, Any] = {}
    for finding in findings:
        info = finding.details
        advisory = info.get("advisory") or info.get("rule")
        if finding.type != "vulnerability" or not isinstance(advisory, str) or "path" not in info:
            continue
        key = (repo_name(finding), str(info["path"]), str(info.get("package")), str(info.get("version")))
        vulnerability = by_id.get(advisory)
        if vulnerability is None:
            vulnerability = Vulnerability(
                id=advisory,
                source=VulnerabilitySource(name="OSV"),
                description=finding.message,
                ratings=_ratings(info),
                references=_references(info.get("aliases")),
            )
            by_id[advisory] = vulnerability
        target = index.get(key)
        if target is not None and all(t.ref != target for t in vulnerability.affects):
            vulnerability.affects.add(BomTarget(ref=target))
    return list(by_id.values())


def _ratings(info: Mapping[str, Any]) -> list[Any]:
    from cyclonedx.model.vulnerability import VulnerabilityRating, VulnerabilityScoreSource, VulnerabilitySeverity

    score = info.get("cvss")
    if not isinstance(score, int | float):
        return []
    vector = str(info.get("cvss_vector") or "")
    method = {
        "CVSS:4.0": VulnerabilityScoreSource.CVSS_V4,
        "CVSS:3.1": VulnerabilityScoreSource.CVSS_V3_1,
        "CVSS:3.0": VulnerabilityScoreSource.CVSS_V3,
    }.get(vector.split("/", 1)[0])
    bands = [(9.0, "CRITICAL"), (7.0, "HIGH"), (4.0, "MEDIUM"), (0.1, "LOW")]
    severity = next((VulnerabilitySeverity[n] for floor, n in bands if score >= floor), VulnerabilitySeverity.NONE)
    return [VulnerabilityRating(score=Decimal(str(score)), severity=severity, method=method, vector=vector or None)]


def _references(aliases: Any) -> list[Any]:
    from cyclonedx.model.vulnerability import VulnerabilityReference, VulnerabilitySource

    found = []
    for alias in aliases if isinstance(aliases, list) else []:
        if isinstance(alias, str) and alias:
            source = "NVD" if alias.startswith("CVE-") else "GitHub" if alias.startswith("GHSA-") else "OSV"
            found.append(VulnerabilityReference(id=alias, source=VulnerabilitySource(name=source)))
    return found
