"""Pure: hits of every repository → findings, with severity, suppressions and the baseline.

Dedup: a secret found in the tree and in history is one finding (the tree's); a history
hit is kept once per fingerprint (its earliest commit). A gitleaks cross-check hit on a line
our engine also reported is merged into ours. Suppressed findings leave the result (counted);
expired suppressions put them back, saying so. Baselined findings stay, marked, off the gate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jobs.core.model import Action, Finding, Plan, Severity
from jobs.repo_scanner.model import Hit, RepoScan, Suppression
from jobs.repo_scanner.severity import severity


@dataclass(frozen=True)
class Policy:
    """What the plan needs besides the scans: accepted fingerprints and severity overrides."""

    baseline: frozenset[str] = frozenset()
    suppressions: Sequence[Suppression] = ()  # from the settings' files (each repo adds its own)
    overrides: Mapping[str, Severity] = field(default_factory=dict)
    built_in_key: bool = False
    max_db_age_days: int = 7


def resource(name: str, hit: Hit) -> str:
    return f"repo:{name}:{hit.path}:{hit.line}"


def repo_name(finding: Finding) -> str:
    """`repo:<name>:<path>:<line>` → name (a name may hold colons; path and line end it)."""
    tail = f":{finding.details.get('path', '')}:{finding.details.get('line', 0)}"
    body = finding.resource.removeprefix("repo:")
    return body.removesuffix(tail) if body.endswith(tail) else body.split(":", 1)[0]


def unique_hits(hits: Iterable[Hit]) -> list[Hit]:
    """One hit per fingerprint, the tree's before history's, then the earliest commit's;
    gitleaks hits on a line ours reported are dropped (ours carries the finding)."""
    ordered = sorted(hits, key=lambda h: (h.in_history, h.date or "", h.commit or "", h.path, h.line, h.rule))
    seen: set[str] = set()
    ours: set[tuple[str, int, str | None]] = {(h.path, h.line, h.commit) for h in ordered if h.scanner == "secrets"}
    kept: list[Hit] = []
    for hit in ordered:
        if hit.fingerprint in seen:
            continue
        if hit.scanner == "gitleaks" and (hit.path, hit.line, hit.commit) in ours:
            continue
        seen.add(hit.fingerprint)
        kept.append(hit)
    return kept


def details(hit: Hit) -> dict[str, Any]:
    found: dict[str, Any] = {
        "scanner": hit.scanner,
        "rule": hit.rule,
        "path": hit.path,
        "line": hit.line,
        "fingerprint": hit.fingerprint,
    }
    if hit.redacted:
        found["redacted"] = hit.redacted
    if hit.commit:
        found.update(commit=hit.commit, author=hit.author, date=hit.date)
    if hit.cvss is not None:
        found["cvss"] = hit.cvss
    found.update({k: v for k, v in hit.extra.items() if k not in found})
    return found


def _suppression_state(
    fingerprint: str, suppressions: Mapping[str, Suppression], today: date
) -> tuple[bool, Suppression | None]:
    """(suppressed now, the entry). An entry without `expires` holds until removed."""
    entry = suppressions.get(fingerprint)
    if entry is None:
        return False, None
    if entry.expires is None:
        return True, entry
    try:
        until = date.fromisoformat(entry.expires[:10])
    except ValueError:  # an unreadable expiry never suppresses
        return False, entry
    return today <= until, entry


def findings_of(scan: RepoScan, policy: Policy, now: datetime) -> tuple[list[Finding], Counter[str]]:
    """The findings of one repository and its tallies (suppressed, baselined, by type)."""
    hits = unique_hits([*scan.hits, *scan.stored])
    live = frozenset(h.secret_id for h in hits if h.secret_id and not h.in_history)
    suppressions = {s.fingerprint: s for s in [*policy.suppressions, *scan.suppressions]}
    tally: Counter[str] = Counter()
    found: list[Finding] = []
    for hit in hits:
        suppressed, entry = _suppression_state(hit.fingerprint, suppressions, now.date())
        if suppressed:
            tally["suppressed"] += 1
            continue
        info = details(hit)
        message = hit.message
        if entry is not None:
            info["suppression_expired"] = {"expires": entry.expires, "owner": entry.owner, "reason": entry.reason}
            message += f" (suppression by {entry.owner} expired {entry.expires})"
        if hit.fingerprint in policy.baseline:
            info["baselined"] = True
            tally["baselined"] += 1
        tally[hit.type] += 1
        found.append(
            Finding(hit.type, severity(hit, live, policy.overrides), resource(scan.target.name, hit), message, info)
        )
    return found, tally


def history_action(scan: RepoScan) -> Action | None:
    """Store this run's new history hits and move the branches' watermarks, together: a dry
    run (which applies nothing) leaves both as they were, and the next run scans again."""
    if not scan.progress:
        return None
    new = [h for h in scan.hits if h.in_history]
    moved = ", ".join(f"{p.branch} → {p.tip[:12]}" for p in scan.progress)
    return Action(
        "record_history",
        f"repo:{scan.target.name}",
        f"history scanned ({len(new)} new hits): {moved}",
        params={"target": scan.target, "progress": list(scan.progress), "hits": new},
        details={"branches": {p.branch: p.tip for p in scan.progress}},
        destructive=False,
    )


def build_plan(scans: Sequence[RepoScan], now: datetime, policy: Policy) -> Plan:
    findings: list[Finding] = []
    actions: list[Action] = []
    totals: Counter[str] = Counter()
    repositories: dict[str, Any] = {}
    for scan in scans:
        found, tally = findings_of(scan, policy, now)
        findings.extend(found)
        totals.update(tally)
        repositories[scan.target.name] = {"head": scan.head, "scanners": dict(scan.scanners), **scan.stats}
        action = history_action(scan)
        if action is not None:
            actions.append(action)
    summary: dict[str, Any] = {
        "repositories": repositories,
        "by_type": {t: totals[t] for t in ("secret", "sast", "vulnerability", "license") if totals[t]},
        "suppressed": totals["suppressed"],
        "baselined": totals["baselined"],
    }
    if policy.built_in_key:
        summary["fingerprint_key"] = "built-in: set repo_scanner.fingerprint_key"
    stale = stale_database(scans, now, policy.max_db_age_days)
    if stale is not None:
        findings.append(stale)
    # scan errors travel on the inventory (collect), so the runner resolves no alert of a
    # repository a scanner could not read
    return Plan(findings=findings, actions=actions, summary=summary)


UPDATED = "dependencies_osv_db_updated"


def stale_database(scans: Sequence[RepoScan], now: datetime, max_age_days: int) -> Finding | None:
    """One warning when the OSV database the run matched against is older than allowed: its
    silence about new advisories is not a clean bill."""
    # job.run_scanners files each scanner's stats under its name: dependencies_osv_db_updated
    updated = sorted({str(s.stats[UPDATED]) for s in scans if s.stats.get(UPDATED)})
    if not updated:
        return None
    oldest = datetime.fromisoformat(updated[0].replace("Z", "+00:00"))
    age = (now - oldest).total_seconds() / 86400
    if age <= max_age_days:
        return None
    location = next(str(s.stats.get("dependencies_osv_db", "")) for s in scans if s.stats.get(UPDATED))
    return Finding(
        "vulnerability",
        Severity.WARNING,
        f"osv:{location}",
        f"the OSV database is {age:.0f} days old (max_db_age_days is {max_age_days}): newer advisories are unknown",
        {"scanner": "dependencies", "rule": "database:stale", "updated": updated[0], "max_db_age_days": max_age_days},
    )
