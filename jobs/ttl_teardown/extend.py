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
from jobs.ttl_teardown.extension_rules import ExtensionRules, extended_ttl, extension_refusal
from jobs.ttl_teardown.job import Job
from jobs.ttl_teardown.lookup import ExtensionRefused, find
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.rules import Decision, History, Verdict, decide
from jobs.ttl_teardown.settings import TtlTeardownSettings
from jobs.ttl_teardown.state import add_extension, extensions


def _job(settings: Settings, clients: Mapping[str, object] | None) -> Job:
    return Job(JobContext.outside_a_run(settings, "ttl_teardown", True, TtlTeardownSettings, clients))


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
) -> dict[str, Any]:
    """Grant, record (the source of truth), then write the ttl tag back (best effort)."""
    job = _job(settings, clients)
    item, together = find(job, resource)
    ext = job.cfg.extension
    rules = ExtensionRules(tuple(ext.allowed_days), ext.max_count, ext.max_total_days)
    _refuse_if_kept(item, decide(item.resource, job.policy(), item.history, now))
    granted = extensions(job.ctx.state, item.id)
    why = extension_refusal(item.resource.tags, by, days, granted, rules)
    if why:
        raise ExtensionRefused(why)
    if not reason.strip():
        raise ExtensionRefused("a reason is required")
    add_extension(job.ctx.state, item.id, days, reason.strip(), by, now)
    written = _write_back(job, item, extended_ttl(item.tag("ttl"), days))
    decision = decide(item.resource, job.policy(), History(extension_days=sum(granted) + days), now)
    expires = decision.expires_at or now + timedelta(days=days)
    return {
        "resource": item.id,
        "days": days,
        "expires_at": iso(expires),
        "extensions": len(granted) + 1,
        "ttl_tag": written,
        "related": together,  # kept while this one is, with their own ttl once it goes
    }


def _write_back(job: Job, item: Item, value: str) -> str:
    from jobs.ttl_teardown.providers.sources import tag

    try:
        tag(job.cfg, job.ctx, item, value)
    except (PermanentError, TransientError) as exc:
        return f"not written ({exc}); the extension is recorded and counts"
    return value
