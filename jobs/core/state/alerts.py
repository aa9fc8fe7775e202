"""What was last alerted for each finding key: what dedup, escalation and resolve compare with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.state.base import Base, Store


class AlertState(Base):
    __tablename__ = "secops_alert_state"
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    shard: Mapped[str] = mapped_column(String(32), primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    first_sent_at: Mapped[datetime]
    last_sent_at: Mapped[datetime]


@dataclass(frozen=True)
class AlertRecord:
    severity: str
    title: str
    first_sent_at: datetime
    last_sent_at: datetime


def alert_states(state: Store, job_id: str, shard: str) -> dict[str, AlertRecord]:
    with state.session() as s:
        rows = s.scalars(select(AlertState).where(AlertState.job_id == job_id, AlertState.shard == shard))
        return {r.alert_key: AlertRecord(r.severity, r.title, r.first_sent_at, r.last_sent_at) for r in rows}


def save_alert(state: Store, job_id: str, shard: str, key: str, record: AlertRecord | None) -> None:
    """Store what was last sent for `key`; None forgets it (the finding cleared)."""
    with state.session() as s:
        row = s.get(AlertState, (job_id, shard, key))
        if record is None:
            if row is not None:
                s.delete(row)
            return
        if row is None:
            row = AlertState(job_id=job_id, shard=shard, alert_key=key)
            s.add(row)
        row.severity, row.title = record.severity, record.title
        row.first_sent_at, row.last_sent_at = record.first_sent_at, record.last_sent_at
