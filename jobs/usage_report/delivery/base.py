"""What every delivery channel is: built once per run, `deliver` per tenant, `close` at the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from jobs.core.settings import Settings
from jobs.usage_report.model import Bundle
from jobs.usage_report.settings import UsageReportSettings


@dataclass(frozen=True)
class Delivered:
    """Where a channel put a tenant's report (a mailbox list, an `s3://` URI, a path), and what
    it could not do while doing the rest (a contact the server refused): the report is
    delivered, the job records it and reports the rest as a finding."""

    where: str
    refused: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.where


class Channel(Protocol):
    """`client`: the channel's connection a caller hands in (a test's, a bench's), else its own."""

    def __init__(self, settings: Settings, cfg: UsageReportSettings, client: Any = None) -> None: ...

    def deliver(self, bundle: Bundle) -> Delivered:
        """Deliver one tenant's bundle; PermanentError / TransientError when it did not go."""

    def close(self) -> None:
        """Release what the channel held for the run (an SMTP session); idempotent."""
