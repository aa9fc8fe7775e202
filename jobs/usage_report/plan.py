"""usage-report's decisions, pure: figures, findings, and what to deliver where.

Each tenant's usage becomes its TenantReport (aggregate.py); the report says what is missing,
the findings tell the operator: data incomplete, a source that could not be read, a tenant
over its quota, no address to mail. One action per tenant and channel not yet delivered for
the period (every channel with `--force`), carrying the rendered bundle (bundles.py: PDF, CSV
and JSON, rendered once in a process pool and handed to every channel). Rendering is pure too,
so the plan stays a plan: a dry run renders the same bytes and sends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from jobs.core.model import Action, Finding, Outcome, OutcomeKind, Plan, Severity
from jobs.usage_report.model import Period, TenantReport, TenantUsage
from jobs.usage_report.settings import UsageReportSettings

#: delivery channel → the action kind that delivers to it (the contract's names)
KINDS: Final = {"email": "email_report", "s3": "store_report_s3", "directory": "write_report_file"}


@dataclass(frozen=True)
class Options:
    """What the run asked for beside the settings: `--force`, and what collect counted."""

    force: bool = False
    queries: Mapping[str, int] = field(default_factory=dict)  # source → requests made
    period: Period | None = None
    elsewhere: tuple[str, ...] = ()  # tenants named with --tenant that another shard owns


@dataclass(frozen=True)
class Decided:
    """One tenant's report, findings and the channels still to deliver it to."""

    report: TenantReport
    findings: list[Finding]
    channels: list[str]  # still to deliver to
    recipients: tuple[str, ...]
    done: tuple[str, ...] = ()  # delivered by an earlier run of the period (not again)
    held: bool = False  # its calls could not be read: not delivered this run (see `unread`)


def percent(share: float) -> str:
    """A share as a percentage, one decimal, never rounded up to 100 (99.96 % is not complete)."""
    text = f"{share * 100:.1f}"
    return f"{'99.9' if text == '100.0' and share < 1 else text.removesuffix('.0')} %"


def decide(usage: TenantUsage, cfg: UsageReportSettings, force: bool) -> Decided:
    """One tenant: its report, findings, and the channels it still needs the report on. The
    control plane gives contacts parsed (a malformed address is a problem it names, and left
    out); a tenant with none is not mailed, and says so."""
    from jobs.usage_report.aggregate import aggregate
    from jobs.usage_report.delivery import channels_for

    report = aggregate(usage, cfg.top_n, cfg.completeness_warning_below)
    findings = judge(report, cfg)
    configured = channels_for(cfg.delivery, usage.tenant)  # no mail to a tenant without contacts
    done = () if force else tuple(c for c in configured if c in usage.delivered)
    held = unread(report)
    channels = [] if held else [c for c in configured if c not in done]
    if cfg.delivery.email and not usage.tenant.contacts:
        findings.append(_no_contact(usage, bool(configured)))
    return Decided(report, findings, channels, usage.tenant.contacts, done, held)


def unread(report: TenantReport) -> bool:
    """Whether the period's calls could not be read: such a report is not complete and must
    not go out as if it were (nor be recorded delivered), so a later run sends a correct one."""
    calls = report.kpis.get("calls")
    return calls is None or calls.value is None


def judge(report: TenantReport, cfg: UsageReportSettings) -> list[Finding]:
    """What the operator hears about one tenant's figures (the report states each too)."""
    resource = f"tenant:{report.tenant.id}"
    label = report.period.label
    base: dict[str, Any] = {"tenant": report.tenant.id, "period": label}
    findings = [_checked(report, base)]
    share = report.completeness
    if report.incomplete:  # aggregate judged it against completeness_warning_below
        told = f"{percent(share)} complete" if share is not None else "of unknown completeness (not measured)"
        message = f"usage data {told} for {label}: the report states what is missing"
        findings.append(
            Finding("usage_data_incomplete", Severity.WARNING, resource, message, {**base, "completeness": share})
        )
    held = unread(report)
    if report.problems or held:
        message = f"{len(report.problems)} part(s) of the {label} usage could not be read: " + "; ".join(
            report.problems
        )
        if held:
            why = message if report.problems else "no status code had a usable value (NaN, infinite or negative)"
            message = (
                f"the {label} calls could not be read: the report is NOT delivered this run (a later run, "
                f"or a re-run with --now, sends a correct one); {why}"
            )
        details = {**base, "problems": list(report.problems), "held_back": held}
        findings.append(Finding("usage_source_problem", Severity.WARNING, resource, message, details))
    quota = report.quota
    if quota is not None and quota.exceeded:
        used = f"{quota.month_used_percent:.1f} %" if quota.month_used_percent is not None else "over 100 %"
        message = f"monthly call quota exceeded: {used} of {quota.monthly} calls used this month"
        details = {**base, "monthly_call_quota": quota.monthly, "month_to_date_calls": quota.month_to_date_calls}
        findings.append(Finding("usage_quota_exceeded", Severity.INFO, resource, message, details))
    return findings


def _checked(report: TenantReport, base: dict[str, Any]) -> Finding:
    """Every tenant's one `ok` line: what its report says in a sentence (so the result lists
    every tenant checked, and severities add up to `total_checked`)."""
    calls = report.kpis.get("calls")
    if calls is None or calls.value is None:  # not read is not "no traffic"
        message = f"{base['period']} usage report: calls not read"
    elif report.no_traffic:
        message = f"{base['period']} usage report: no traffic"
    else:
        message = f"{base['period']} usage report: {calls.value:,.0f} calls"
    details = {**base, "calls": calls.value if calls else None, "completeness": report.completeness}
    return Finding("usage_report", Severity.OK, f"tenant:{report.tenant.id}", message, details)


def _no_contact(usage: TenantUsage, elsewhere: bool) -> Finding:
    tenant = usage.tenant.id
    what = "only stored" if elsewhere else "not delivered"
    message = f"tenant {tenant} has no usable contact address: its {usage.period.label} report is {what}"
    contact = [p for p in usage.problems if p.startswith("contact_email")]
    details = {"tenant": tenant, "period": usage.period.label, "problems": contact}
    return Finding("usage_no_contact", Severity.WARNING, f"tenant:{tenant}", message, details)


def build_plan(items: Sequence[TenantUsage], cfg: UsageReportSettings, options: Options) -> Plan:
    from jobs.usage_report import fonts
    from jobs.usage_report.bundles import render_all

    decided = [decide(usage, cfg, options.force) for usage in items]
    pending = [d for d in decided if d.channels]
    faces = fonts.find(cfg.font_dir)  # the setting's fonts (check_settings made sure they are there)
    bundles = render_all([d.report for d in pending], cfg.render_workers, fonts=faces)
    actions: list[Action] = []
    findings = [f for d in decided for f in d.findings]
    for d, bundle in zip(pending, bundles, strict=True):
        if isinstance(bundle, str):  # this tenant's renderer crashed: its finding, the others go on
            findings.append(_not_rendered(d.report, bundle))
            continue
        actions.extend(_action(d, channel, bundle) for channel in d.channels)
    return Plan(findings=findings, actions=actions, summary=summary(decided, cfg, options))


def _not_rendered(report: TenantReport, error: str) -> Finding:
    from jobs.core.redact import scrub

    details = {"tenant": report.tenant.id, "period": report.period.label, "error": scrub(error)}
    message = f"{report.period.label} usage report could not be rendered: {scrub(error)}"
    return Finding("usage_report_not_delivered", Severity.WARNING, f"tenant:{report.tenant.id}", message, details)


def _action(decided: Decided, channel: str, bundle: Any) -> Action:
    report = decided.report
    period = report.period
    where = f"by e-mail to {len(decided.recipients)} contact(s)" if channel == "email" else f"to {channel}"
    return Action(
        KINDS[channel],
        f"tenant:{report.tenant.id}",
        f"{period.label} usage report {where}",
        params={"bundle": bundle},
        details={"tenant": report.tenant.id, "period": period.label, "channel": channel, "period_kind": period.kind},
        destructive=False,  # a mail is not a deletion: off the guardrails
    )


def summary(decided: Sequence[Decided], cfg: UsageReportSettings, options: Options) -> dict[str, Any]:
    period = options.period or (decided[0].report.period if decided else None)
    return {
        "period": period.label if period else None,
        "period_kind": period.kind if period else None,
        "tenants_reported": sum(1 for d in decided if d.channels),
        "tenants_already_delivered": sum(1 for d in decided if d.done and not d.channels),
        "tenants_undeliverable": sum(1 for d in decided if not d.done and not d.channels and not d.held),
        "tenants_held_back": sum(1 for d in decided if d.held),
        "tenants_no_traffic": sum(1 for d in decided if d.report.no_traffic),
        "tenants_incomplete": sum(1 for d in decided if d.report.incomplete),
        "queries": dict(options.queries),
        "tenants_in_other_shards": list(options.elsewhere),
    }


def not_delivered(outcomes: Sequence[Outcome]) -> list[Finding]:
    """A delivery that failed (a refused address, an SMTP 5xx, S3 denied): that tenant's finding."""
    found = []
    for outcome in outcomes:
        if outcome.outcome is not OutcomeKind.FAILED:
            continue
        details = dict(outcome.action.details)
        channel, label = details.get("channel"), details.get("period")
        message = f"{label} usage report not delivered to {channel}: {outcome.error}"
        found.append(Finding("usage_report_not_delivered", Severity.WARNING, outcome.action.resource, message, details))
    return found


def refused(outcomes: Sequence[Outcome], by_action: Mapping[tuple[str, str], Sequence[str]]) -> list[Finding]:
    """A mail delivered to some contacts while the server refused others: named, per tenant."""
    found = []
    for outcome in outcomes:
        details = dict(outcome.action.details)
        addresses = by_action.get((outcome.action.resource, str(details.get("channel"))))
        if outcome.outcome is OutcomeKind.DONE and addresses:
            message = f"{details.get('period')} usage report mailed, but the server refused {', '.join(addresses)}"
            details["refused"] = list(addresses)
            found.append(Finding("usage_contact_refused", Severity.WARNING, outcome.action.resource, message, details))
    return found
