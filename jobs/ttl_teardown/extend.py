"""Explaining and extending one resource: the same rules, settings and state as a run.

Used by `python -m jobs.ttl_teardown explain|extend` and by the Lambda route that
serves the signed snooze links in warning e-mails.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from jobs.core.context import JobContext
from jobs.core.errors import PermanentError, TransientError
from jobs.core.model import iso
from jobs.core.settings import Settings
from jobs.core.state.engine import StateStore
from jobs.ttl_teardown.extension_rules import ExtensionRules, extended_ttl, extension_refusal
from jobs.ttl_teardown.job import Job
from jobs.ttl_teardown.lookup import ExtensionRefused, LinkUsed, find
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.rules import Decision, History, Verdict, decide
from jobs.ttl_teardown.settings import TtlTeardownSettings
from jobs.ttl_teardown.state import LinkUse, NewExtension, Refusal, link_use, record_extension


def _job(settings: Settings, clients: Mapping[str, object] | None, state: StateStore | None = None) -> Job:
    return Job(JobContext.outside_a_run(settings, "ttl_teardown", True, TtlTeardownSettings, clients, state))


def _refuse_if_kept(item: Item, decision: Decision) -> None:
    """A kept resource is never deleted, so more time means nothing and would only hide why."""
    if decision.verdict is not Verdict.KEEP:
        return
    if decision.violations:
        raise ExtensionRefused(
            f"{item.id} is kept while its tags have problems ({'; '.join(decision.violations)}): "
            "fix the tags; there is nothing to extend"
        )
    raise ExtensionRefused(f"{item.id} is never deleted ({decision.reason}): there is nothing to extend")


def explain(
    settings: Settings, resource: str, now: datetime, clients: Mapping[str, object] | None = None
) -> dict[str, Any]:
    job = _job(settings, clients)
    item, together = find(job, resource)
    history = item.history
    decision = decide(item.resource, job.policy(), history, now)
    return {
        "resource": item.id,
        "name": item.name,
        "type": item.type,
        "verdict": str(decision.verdict),
        "reason": decision.reason,
        "violations": list(decision.violations),
        "expires_at": iso(decision.expires_at) if decision.expires_at else None,
        "warnings_sent": {k: v.isoformat() for k, v in history.warnings.items()},
        "extension_days": history.extension_days,
        "tags": dict(item.resource.tags),
        "related": together,
    }


def extend(
    settings: Settings,
    resource: str,
    days: int,
    reason: str,
    by: str,
    now: datetime,
    clients: Mapping[str, object] | None = None,
    link: str | None = None,
    state: StateStore | None = None,
) -> dict[str, Any]:
    """Grant and record (the source of truth; the rules checked in the same transaction, and
    a snooze `link`'s signature recorded so it works once), then write the ttl tag back (best
    effort). LinkUsed when `link` already extended its resource. `state`: the caller's store
    (the route's, kept per cold start), else one of its own."""
    job = _job(settings, clients, state)
    if link is not None and link_use(job.ctx.state, link) is not None:
        raise LinkUsed("this link was already used")  # before any inventory read
    item, together = find(job, resource)
    ext = job.cfg.extension
    rules = ExtensionRules(tuple(ext.allowed_days), ext.max_count, ext.max_total_days)
    _refuse_if_kept(item, decide(item.resource, job.policy(), item.history, now))
    if not reason.strip():
        raise ExtensionRefused("a reason is required")
    new = NewExtension(item.id, days, reason.strip(), by, now, link)
    outcome = record_extension(
        job.ctx.state, new, lambda granted: extension_refusal(item.resource.tags, by, days, granted, rules)
    )
    if isinstance(outcome, Refusal):
        raise LinkUsed(outcome.reason) if outcome.link_used else ExtensionRefused(outcome.reason)
    written = _write_back(job, item, extended_ttl(item.tag("ttl"), days))
    decision = decide(item.resource, job.policy(), History(extension_days=sum(outcome.before) + days), now)
    expires = decision.expires_at or now + timedelta(days=days)
    return {
        "resource": item.id,
        "days": days,
        "expires_at": iso(expires),
        "extensions": outcome.number,
        "ttl_tag": written,
        "related": together,  # kept while this one is, with their own ttl once it goes
    }


def used_link(state: StateStore, link: str) -> LinkUse | None:
    """What a snooze link extended, or None while it is unused (the route's result page)."""
    return link_use(state, link)


def _write_back(job: Job, item: Item, value: str) -> str:
    from jobs.ttl_teardown.providers.sources import tag

    try:
        tag(job.cfg, job.ctx, item, value)
    except (PermanentError, TransientError) as exc:
        return f"not written ({exc}); the extension is recorded and counts"
    return value
