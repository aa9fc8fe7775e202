"""What the inventory hands to the policy: a managed secret as its KV v2 metadata describes it.

Custom metadata is not versioned in KV v2, so the job keeps `current_version` there and
reconciles it with the versions that exist on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from jobs.core.digits import is_ascii_digits

if TYPE_CHECKING:
    from jobs.secret_rotation.journal_store import JournalEntry

#: custom metadata keys the job reads and maintains
TYPE, OWNER, LAST_ROTATED, ROTATED_BY = "type", "owner", "last_rotated", "rotated_by"
CURRENT, PENDING = "current_version", "pending_version"
#: a rotation rolled back (a version and its copy written): how many times in a row, last when
ROLLBACKS, ROLLED_BACK_AT = "rollbacks", "rolled_back_at"
#: data keys that name things rather than keep them secret: shown in errors, never masked
IDENTIFIERS = frozenset({"username", "user", "client_id", "host", "port", "database", "dbname"})


def secret_values(data: Mapping[str, str]) -> set[str]:
    """The values of `data` that are secret: every one but those under an identifier key (in
    any case or spacing), and a value that is also under a secret key stays secret."""
    return {value for key, value in data.items() if key.strip().lower() not in IDENTIFIERS}


#: what KV v2 keeps when neither the secret nor the mount sets `max_versions`
KV_DEFAULT_MAX_VERSIONS = 10


@dataclass(frozen=True)
class ManagedSecret:
    mount: str
    path: str  # under the mount: apps/billing/db
    metadata: Mapping[str, str]  # custom metadata, as read
    latest_version: int
    created: Mapping[int, datetime] = field(default_factory=dict)  # live version → created_time
    max_versions: int = 0  # the secret's own setting; 0: the mount's

    @property
    def resource(self) -> str:
        return f"vault:{self.mount}/{self.path}"

    @property
    def type(self) -> str:
        return self.metadata.get(TYPE, "").strip()

    @property
    def owner(self) -> str:
        return self.metadata.get(OWNER, "").strip()

    @property
    def current_version(self) -> int:
        """The version consumers were given: recorded by the job, else the latest. Only
        [0-9] names a version: `²` passes str.isdigit() and int() refuses it, `٣` reads as 3."""
        recorded = self.metadata.get(CURRENT, "")
        return int(recorded) if is_ascii_digits(recorded) else self.latest_version


@dataclass(frozen=True)
class Tracked:
    """A managed secret with what earlier runs left of it in the state DB: the open entries of
    a rotation they did not finish, and the owner warnings they sent (key → when). Everything
    the plan reads about a secret, so the plan needs nothing but its arguments."""

    secret: ManagedSecret
    journal: tuple[JournalEntry, ...] = ()
    warned: Mapping[str, datetime] = field(default_factory=dict)

    @property
    def resource(self) -> str:
        return self.secret.resource
