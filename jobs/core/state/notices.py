"""Notices that must go out once: ttl-teardown's 48 h/24 h warnings, secret-rotation's notice.

A core store, not a job's: two jobs keep the same thing (job, resource, notice key → when
it went out), keyed by job id in one table since release 1; a copy per job would be the
same table and code twice, and the next jobs that mail owners would add a third.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.state.base import Base, Store

CHUNK = 500  # resources per IN list


class WarningSent(Base):
    __tablename__ = "secops_warnings_sent"
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(512), primary_key=True)
    warning: Mapped[str] = mapped_column(String(64), primary_key=True)
    sent_at: Mapped[datetime]
    details: Mapped[dict[str, Any]]


def warnings_sent(state: Store, job_id: str, resources: list[str]) -> dict[str, dict[str, datetime]]:
    """resource → {warning key → when sent}, in batches (an IN list per 500)."""
    found: dict[str, dict[str, datetime]] = {}
    with state.session() as s:
        for start in range(0, len(resources), CHUNK):
            chunk = resources[start : start + CHUNK]
            rows = s.scalars(select(WarningSent).where(WarningSent.job_id == job_id, WarningSent.resource.in_(chunk)))
            for row in rows:
                found.setdefault(row.resource, {})[row.warning] = row.sent_at
    return found


def record_warning(
    state: Store, job_id: str, resource: str, warning: str, at: datetime, details: dict[str, Any]
) -> None:
    with state.session() as s:
        if s.get(WarningSent, (job_id, resource, warning)) is None:
            s.add(WarningSent(job_id=job_id, resource=resource, warning=warning, sent_at=at, details=details))
