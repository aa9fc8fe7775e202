"""Where a tenant's report goes: its contacts' mailboxes, an S3 bucket, a directory.

`channels_for` decides (pure) which channels a tenant's report is due on; the job leaves out
those the state DB says are done (`state.delivered`) unless `--force`. A `Deliverer` is what
the job holds for a run: it builds each channel once, on first use, so one SMTP session serves
every tenant of the run, and `close` ends them. One table, CHANNELS, names each channel's
module, imported lazily (a run without S3 never imports boto3).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import Any, Final

from jobs.core.errors import PermanentError
from jobs.core.settings import Settings
from jobs.usage_report.delivery.base import Channel, Delivered
from jobs.usage_report.delivery.headers import addresses
from jobs.usage_report.model import Bundle, Tenant
from jobs.usage_report.settings import DeliverySettings, UsageReportSettings

__all__ = ["CHANNELS", "Delivered", "Deliverer", "channels_for", "problems"]

#: channel → its class, in the order a report is delivered (the mail first: what tenants read)
CHANNELS: Final[dict[str, str]] = {
    "email": "jobs.usage_report.delivery.mail:MailChannel",
    "s3": "jobs.usage_report.delivery.s3:S3Channel",
    "directory": "jobs.usage_report.delivery.directory:DirectoryChannel",
}


def channels_for(delivery: DeliverySettings, tenant: Tenant) -> tuple[str, ...]:
    """The channels a tenant's report is due on: e-mail when on and the tenant has contacts
    (one without is a finding of the job's, not a mail to nobody), S3 and the directory when set."""
    due = {
        "email": delivery.email and bool(tenant.contacts),
        "s3": bool(delivery.s3_bucket),
        "directory": bool(delivery.directory),
    }
    return tuple(name for name in CHANNELS if due[name])


def problems(settings: Settings, cfg: UsageReportSettings) -> list[str]:
    """What makes a configured channel unusable, one line per setting: for the job's ConfigError
    before anything is read."""
    found = []
    if cfg.delivery.email and settings.notifications.email is None:
        found.append("usage_report.delivery.email: needs notifications.email (the SMTP server and sender)")
    for raw in addresses(cfg.delivery.bcc)[1]:
        found.append(f"usage_report.delivery.bcc: {raw[:200]!r} is not one e-mail address")
    if cfg.delivery.s3_kms_key_id and cfg.delivery.s3_encryption != "aws:kms":
        found.append("usage_report.delivery.s3_kms_key_id: only with s3_encryption: aws:kms")
    return found


def _load(name: str) -> type[Channel]:
    module, _, attr = CHANNELS[name].partition(":")
    found: type[Channel] = getattr(importlib.import_module(module), attr)
    return found


class Deliverer:
    """The run's channels, each built once, on first use; thread-safe (actions may run in
    parallel: each channel serialises what must be, the SMTP session)."""

    def __init__(self, settings: Settings, cfg: UsageReportSettings, clients: Mapping[str, Any] | None = None) -> None:
        self.settings = settings
        self.cfg = cfg
        self.clients = dict(clients or {})  # channel → a client to use (a test's SmtpSession, an S3 client)
        self._open: dict[str, Channel] = {}
        self._lock = threading.Lock()

    def channel(self, name: str) -> Channel:
        if name not in CHANNELS:
            raise PermanentError(f"unknown delivery channel {name!r} (known: {', '.join(CHANNELS)})")
        with self._lock:
            if name not in self._open:
                self._open[name] = _load(name)(self.settings, self.cfg, self.clients.get(name))
            return self._open[name]

    def deliver(self, channel: str, bundle: Bundle) -> Delivered:
        """Deliver one tenant's bundle on one channel: where it went (and who refused it).
        PermanentError / TransientError when it did not go; nothing is recorded here (the job
        records the delivery in the state DB right after)."""
        return self.channel(channel).deliver(bundle)

    def close(self) -> None:
        """End every channel opened (QUIT the SMTP session). Idempotent."""
        with self._lock:
            opened, self._open = list(self._open.values()), {}
        for channel in opened:
            channel.close()

    def __enter__(self) -> Deliverer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
