"""The job's actions, typed: each carries what `apply` needs (the plan's instant, the target or
the owner's entries), so `apply` reads nothing the job kept on `self` since `plan`.

Subclasses of the contract's Action: the runner, guardrails and audit see plain Actions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jobs.core.model import Action, owner_actions
from jobs.ttl_teardown.model import Target


@dataclass(frozen=True, kw_only=True)
class TtlAction(Action):
    """Any of the job's actions: `at` is the instant the plan was made for (the run's `--now`)."""

    at: datetime


@dataclass(frozen=True, kw_only=True)
class Deletion(TtlAction):
    """Delete one resource (kind `delete`)."""

    target: Target


@dataclass(frozen=True, kw_only=True)
class OwnerMail(TtlAction):
    """One message to one owner listing their entries (kinds `warn` and `notify_violations`);
    each entry is recorded as sent once the message was delivered."""

    owner: str
    entries: tuple[Mapping[str, Any], ...] = field(compare=False)


def owner_mails(
    kind: str, by_owner: Mapping[str, Sequence[Mapping[str, Any]]], what: str, at: datetime
) -> list[OwnerMail]:
    """One mail per owner (the contract's `owner_actions`), typed."""
    return [
        OwnerMail(
            a.kind,
            a.resource,
            a.reason,
            details=a.details,
            destructive=False,
            at=at,
            owner=a.params["owner"],
            entries=tuple(a.params["entries"]),
        )
        for a in owner_actions(kind, by_owner, "resource", what)
    ]
