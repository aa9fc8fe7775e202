"""The human rendering of a run result (stdout without --json)."""

from __future__ import annotations

from jobs.core.job import RunResult, Severity

_ORDER = {s: -s.rank for s in Severity}
_STANDARD = {"total_checked", "critical", "warning", "info", "ok"}


def render_text(result: RunResult, max_rows: int = 50) -> str:
    s = result.summary
    mode = "dry run" if result.dry_run else "applied"
    lines = [
        f"{result.job} {result.status} ({mode}, {result.duration_seconds:.1f}s, run {result.run_id[:8]})",
        f"checked {s.get('total_checked', 0)}: critical {s.get('critical', 0)}, warning {s.get('warning', 0)}, "
        f"info {s.get('info', 0)}, ok {s.get('ok', 0)}",
    ]
    extras = {k: v for k, v in s.items() if k not in _STANDARD and isinstance(v, int | float | str)}
    if extras:
        lines.append(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in extras.items()))
    if result.reason:
        lines.append(f"skipped: {result.reason}")
    shown = sorted((f for f in result.findings if f.severity is not Severity.OK), key=lambda f: _ORDER[f.severity])
    for finding in shown[:max_rows]:
        lines.append(f"  {finding.severity:8} {finding.resource}  {finding.message}")
    if len(shown) > max_rows:
        lines.append(f"  ... {len(shown) - max_rows} more (use --json)")
    kept = [f for f in result.findings if f.severity is Severity.OK and f.details.get("kept_reason")]
    lines.extend(f"  kept     {f.resource}  {f.details['kept_reason']}" for f in kept[:max_rows])
    for outcome in result.outcomes[:max_rows]:
        failure = f"  ({outcome.error})" if outcome.error else ""
        action = outcome.action
        lines.append(f"  {outcome.outcome:8} {action.kind} {action.resource}: {action.reason}{failure}")
    lines.extend(f"  error    {e.source}: {e.message}" for e in result.errors)
    if result.alerts_sent:
        lines.append(f"alerts sent: {', '.join(result.alerts_sent)}")
    return "\n".join(lines)
