"""Explaining and extending one resource: the same rules, settings and state as a run.

Used by `python -m jobs.ttl_teardown explain|extend` and by the Lambda route that
serves the signed snooze links in warning e-mails.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from jobs.core.context import JobContext
from jobs.core.errors import PermanentError, TransientError
from jobs.core.model import iso
from jobs.core.settings import Settings
from jobs.ttl_teardown.job import Job
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.relations import related_to
from jobs.ttl_teardown.rules import (
    Decision,
    ExtensionRules,
    History,
    Verdict,
    decide,
    extended_ttl,
    extension_refusal,
)
from jobs.ttl_teardown.settings import TtlTeardownSettings


class ExtensionRefused(Exception):
    """The request breaks a rule; the message says which."""


class Unreadable(ExtensionRefused):
    """A source could not be read, so whether the resource exists is unknown (not "absent")."""


def _job(settings: Settings, clients: Mapping[str, object] | None) -> Job:
    return Job(JobContext.outside_a_run(settings, "ttl_teardown", True, TtlTeardownSettings, clients))


def _spelling(text: str) -> str:
    """A name as a person reads it: accents composed however they were typed (a console
    stores NFC, a macOS terminal may send NFD), no surrounding spaces."""
    return unicodedata.normalize("NFC", text).strip()


def _names(item: Item) -> set[str]:
    """What an operator may call a resource: its id, its provider name (i-0abc, a bucket),
    and its `Name` tag in any spelling (EC2 consoles show that one)."""
    tags = item.resource.tags
    tagged = {_spelling(v) for k, v in tags.items() if k.strip().lower() == "name" and _spelling(v)}
    return {item.id, _spelling(item.name), *tagged}


def _find(job: Job, resource: str) -> tuple[Item, list[str]]:
    """The one resource `resource` names, and what goes with it (an attached volume, its
    security groups). An id is unique; a name is known to be unique only when the whole
    inventory was read: an unread resource may carry it too, or be the one meant."""
    inventory = job.collect()
    wanted = _spelling(resource)
    exact = [item for item in inventory.items if item.id == wanted]
    if len(exact) == 1:
        return exact[0], related_to(exact[0], inventory.items)
    found = [item for item in inventory.items if wanted in _names(item)]
    ids = ", ".join(sorted(item.id for item in found))
    if inventory.errors:
        errors = "; ".join(f"{e.source}: {e.message}" for e in inventory.errors)
        unknown = f"whether {resource!r} names only {ids} (give its id)" if found else f"whether {resource!r} exists"
        raise Unreadable(f"could not read the inventory ({errors}): cannot tell {unknown}")
    if len(found) == 1:
        return found[0], related_to(found[0], inventory.items)
    if found:
        raise ExtensionRefused(f"{resource!r} names {len(found)} resources ({ids}): give the one you mean by its id")
    raise ExtensionRefused(f"{resource!r} is not in the inventory (no resource has that id, name or Name tag)")


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


def explain(settings: Settings, resource: str, now: datetime, clients: dict[str, Any] | None = None) -> dict[str, Any]:
    job = _job(settings, clients)
    item, together = _find(job, resource)
    history = job.history(item.id)
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
    clients: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Grant, record (the source of truth), then write the ttl tag back (best effort)."""
    job = _job(settings, clients)
    item, together = _find(job, resource)
    ext = job.cfg.extension
    rules = ExtensionRules(tuple(ext.allowed_days), ext.max_count, ext.max_total_days)
    _refuse_if_kept(item, decide(item.resource, job.policy(), job.history(item.id), now))
    granted = job.ctx.state.extensions(item.id)
    why = extension_refusal(item.resource.tags, by, days, granted, rules)
    if why:
        raise ExtensionRefused(why)
    if not reason.strip():
        raise ExtensionRefused("a reason is required")
    job.ctx.state.add_extension(item.id, days, reason.strip(), by, now)
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
    from jobs.ttl_teardown.providers.sources import aws_for, cluster_for
    from jobs.ttl_teardown.providers.taggers import TAGGERS, annotate

    try:
        if item.provider == "kubernetes":
            annotate(cluster_for(job.cfg, job.ctx), item, value)
        else:
            TAGGERS[item.type](aws_for(job.ctx, item.region or job.cfg.regions[0]), item, value)
    except (PermanentError, TransientError) as exc:
        return f"not written ({exc}); the extension is recorded and counts"
    return value
