"""The job's actions, typed: each carries what `apply` needs (the instant the plan was made
for, the path and versions, an interrupted rotation's journal, the owner's entries), so
`apply` reads nothing the job kept on `self` since `plan`.

Subclasses of the contract's Action: the runner, guardrails and audit see plain Actions
(`params` stays empty; the typed fields never reach the result, only `details` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jobs.core.model import Action

if TYPE_CHECKING:
    from jobs.secret_rotation.journal_store import JournalEntry


@dataclass(frozen=True, kw_only=True)
class RotationAction(Action):
    """What every action of the job carries besides the contract's fields."""

    at: datetime  # the plan's instant (the run's --now): stamped on journal entries and metadata


@dataclass(frozen=True, kw_only=True)
class Rotate(RotationAction):
    """Rotate one secret from the version the plan saw (kind `rotate`)."""

    path: str
    secret_type: str
    version: int


@dataclass(frozen=True, kw_only=True)
class Resume(Rotate):
    """Finish or undo an interrupted rotation, then rotate afresh if it had changed nothing and
    the secret is due (kind `resume`)."""

    entries: tuple[JournalEntry, ...] = field(compare=False)
    rotate_after: bool


@dataclass(frozen=True, kw_only=True)
class Reconcile(RotationAction):
    """Write the custom metadata back in line with the versions (kind `reconcile`)."""

    path: str
    custom: Mapping[str, str] = field(compare=False)


@dataclass(frozen=True, kw_only=True)
class Notice(RotationAction):
    """One message to one owner listing their secrets due soon (kind `notify`); each entry is
    recorded as sent once the message was delivered."""

    owner: str
    entries: tuple[Mapping[str, Any], ...] = field(compare=False)
