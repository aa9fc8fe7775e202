"""The human rendering of a run result (stdout without --json), and how a terminal entry point
(the CLI, the demo) writes a result or a refusal.

Every line about an action is worded from its outcome, never from the plan: a dry run
says "would delete", a guardrail stop "not deleted: guardrail", a failure "deletion
failed: <why>", and only a delivered warning "owner warned". The demo's summary table and
the text report share `outcome_counts`, so no output claims what did not happen.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TextIO

from jobs.core import redact
from jobs.core.errors import ConfigError
from jobs.core.model import Outcome, OutcomeKind, RunResult, RunStatus, Severity

_ORDER = {s: -s.rank for s in Severity}
_STANDARD = {"total_checked", "critical", "warning", "info", "ok"}


@dataclass(frozen=True)
class Words:
    """How a person reads each outcome of one kind of action."""

    planned: str  # a dry run: nothing happened
    done: str
    failed: str  # followed by ": <error>"
    skipped: str  # followed by ": <reason>" (a guardrail, an outage)

    def of(self, outcome: OutcomeKind) -> str:
        return {
            OutcomeKind.PLANNED: self.planned,
            OutcomeKind.DONE: self.done,
            OutcomeKind.FAILED: self.failed,
            OutcomeKind.SKIPPED: self.skipped,
            # an interrupted action a later run could not settle (the audit's): never a claim either way
            OutcomeKind.UNKNOWN: f"{self.planned.removeprefix('would ')}: outcome unknown",
        }[outcome]


#: action kind (every job's) → its wording; a kind not listed reads as `generic(kind)`
WORDS: Final[dict[str, Words]] = {
    "delete": Words("would delete", "deleted", "deletion failed", "not deleted"),
    "warn": Words("would warn owner", "owner warned", "owner warning failed", "owner not warned"),
    "notify_violations": Words(
        "would tell owner of tag problems", "owner told of tag problems", "tag notice failed", "owner not told"
    ),
    "notify": Words("would notify owner", "owner notified", "owner notice failed", "owner not notified"),
    "rotate": Words("would rotate", "rotated", "rotation failed", "not rotated"),
    "resume": Words(
        "would resume the rotation", "interrupted rotation resumed", "resuming failed", "rotation not resumed"
    ),
    "reconcile": Words(
        "would reconcile metadata", "metadata reconciled", "reconciling failed", "metadata not reconciled"
    ),
}


def words(kind: str) -> Words:
    return WORDS.get(kind) or Words(f"would {kind}", f"{kind} done", f"{kind} failed", f"{kind} not done")


def outcome_line(outcome: Outcome) -> str:
    """`deleted <resource> (<why it was planned>)`, `deletion failed: <error> <resource> (...)`."""
    action = outcome.action
    head = words(action.kind).of(outcome.outcome)
    if outcome.outcome is OutcomeKind.FAILED:
        head = f"{head}: {outcome.error or 'no reason given'}"
    elif outcome.outcome is OutcomeKind.SKIPPED:
        head = f"{head}: {outcome.reason or 'no reason given'}"
    return f"{head}  {action.resource}  ({action.reason})"


def outcome_counts(outcomes: Sequence[Outcome]) -> str:
    """`deleted 3, deletion failed 1, owner warned 2`, in plan order; "no actions" when none."""
    counts = Counter(words(o.action.kind).of(o.outcome) for o in outcomes)
    return ", ".join(f"{phrase} {n}" for phrase, n in counts.items()) or "no actions"


def _mode(result: RunResult) -> str:
    """What the run did with its plan, from what happened, not from the flag alone."""
    if result.dry_run:
        return "dry run: nothing done"
    if any(e.source == "guardrail" for e in result.errors):
        return "stopped by a guardrail: nothing done"
    if result.status is RunStatus.SKIPPED:
        return "nothing done"
    acted = [o for o in result.outcomes if o.outcome in (OutcomeKind.DONE, OutcomeKind.FAILED)]
    if acted:
        return "applied"
    return "nothing done" if result.outcomes else "no actions"


def render_text(result: RunResult, max_rows: int = 50) -> str:
    s = result.summary
    lines = [
        f"{result.job} {result.status} ({_mode(result)}, {result.duration_seconds:.1f}s, run {result.run_id[:8]})",
        f"checked {s.get('total_checked', 0)}: critical {s.get('critical', 0)}, warning {s.get('warning', 0)}, "
        f"info {s.get('info', 0)}, ok {s.get('ok', 0)}",
    ]
    extras = {k: v for k, v in s.items() if k not in _STANDARD and isinstance(v, int | float | str)}
    if extras:
        lines.append(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in extras.items()))
    if result.outcomes:
        lines.append(f"actions: {outcome_counts(result.outcomes)}")
    if result.reason:
        lines.append(f"skipped: {result.reason}")
    shown = sorted((f for f in result.findings if f.severity is not Severity.OK), key=lambda f: _ORDER[f.severity])
    for finding in shown[:max_rows]:
        lines.append(f"  {finding.severity:8} {finding.resource}  {finding.message}")
    if len(shown) > max_rows:
        lines.append(f"  ... {len(shown) - max_rows} more (use --json)")
    kept = [f for f in result.findings if f.severity is Severity.OK and f.details.get("kept_reason")]
    lines.extend(f"  kept     {f.resource}  {f.details['kept_reason']}" for f in kept[:max_rows])
    lines.extend(f"  {outcome_line(o)}" for o in result.outcomes[:max_rows])
    if len(result.outcomes) > max_rows:
        lines.append(f"  ... {len(result.outcomes) - max_rows} more actions (use --json)")
    lines.extend(f"  error    {e.source}: {e.message}" for e in result.errors)
    if result.alerts_sent:
        lines.append(f"alerts sent: {', '.join(result.alerts_sent)}")
    return "\n".join(lines)


def failure_summary(result: RunResult, limit: int = 2000) -> str:
    """Why a run is not clean, in one bounded line: its errors, then its failed actions. What a
    Lambda's error message and a failed scheduled run's alert say."""
    parts = [f"{e.source}: {e.message}" for e in result.errors]
    parts += [f"{o.action.kind} {o.action.resource}: {o.error}" for o in result.outcomes if o.error]
    if not parts and result.exit_code == 4:
        parts = ["a finding is at or above fail_on"]
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_result(result: RunResult, stdout: TextIO, as_json: bool = False) -> None:
    """A run as a terminal shows it: the text report, or with --json the result on one line,
    C-encoded (a result with 10,000 findings prints in milliseconds). Secrets scrubbed."""
    if as_json:
        stdout.write(redact.scrub(json.dumps(result.to_json())) + "\n")
    else:
        print(redact.scrub(render_text(result)), file=stdout)


def write_refusal(job_id: str, exc: ConfigError) -> int:
    """A run that never started: one line per problem on stderr, each naming the key. Exit 2."""
    for problem in exc.problems:
        print(f"{job_id}: configuration error: {redact.scrub(problem)}", file=sys.stderr)
    return 2
