"""Cumulative counters over a job's done actions, kept as the audit is written.

`security_resources_deleted_total` and friends are cumulative across runs (so `increase()`
works on a Pushgateway). Reading them off the whole audit history cost a scan per run that
grew without bound; instead the audit adds to these rows in the very transaction that marks
an action done (audit.py), and a job's migration backfills the rows from the audit it had.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Float, Integer, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from jobs.core.state.base import Base, Store
from jobs.core.state.durability import durable

#: (series, labels) → amount to add, and the audit id that first fed it (the series' order)
Amounts = dict[tuple[str, str], tuple[float, int]]


@dataclass(frozen=True)
class Tally:
    """One series a job keeps over its done actions of `kind`: a count, or the detail
    `amount` summed, per the values of the detail fields `labels` (as the audit stored them)."""

    series: str
    kind: str
    labels: tuple[str, ...]
    amount: str | None = None

    def key(self, details: Mapping[str, Any]) -> str:
        return json.dumps([details.get(name) for name in self.labels], separators=(",", ":"))

    def increment(self, details: Mapping[str, Any]) -> float:
        return 1.0 if self.amount is None else float(details.get(self.amount) or 0.0)


class CounterRow(Base):
    __tablename__ = "secops_counters"
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    series: Mapped[str] = mapped_column(String(64), primary_key=True)
    labels: Mapped[str] = mapped_column(String(512), primary_key=True)  # JSON list of the label values
    value: Mapped[float] = mapped_column(Float)
    first_id: Mapped[int] = mapped_column(Integer)  # the audit row that first fed it


def tally(tallies: Sequence[Tally], rows: Iterable[tuple[int, str, Mapping[str, Any]]]) -> Amounts:
    """What done audit rows (id, kind, details), in id order, add to each series."""
    amounts: Amounts = {}
    for audit_id, kind, details in rows:
        for t in tallies:
            if t.kind == kind:
                key = (t.series, t.key(details))
                value, first = amounts.get(key, (0.0, audit_id))
                amounts[key] = (value + t.increment(details), first)
    return amounts


def add(bind: Session | Connection, job_id: str, amounts: Amounts) -> None:
    """Add to the counters in the caller's transaction: one upsert, atomic against other
    writers (`value = value + excluded.value`), so parallel actions lose no increment."""
    if not amounts:
        return
    rows = [
        {"job_id": job_id, "series": series, "labels": labels, "value": value, "first_id": first}
        for (series, labels), (value, first) in amounts.items()
    ]
    dialect = bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name
    upsert = (postgresql if dialect == "postgresql" else sqlite).insert(CounterRow)
    statement = upsert.on_conflict_do_update(
        index_elements=["job_id", "series", "labels"], set_={"value": CounterRow.value + upsert.excluded.value}
    )
    bind.execute(statement, rows)


@durable
def totals(state: Store, job_id: str, series: str) -> list[tuple[list[Any], float]]:
    """(label values, total) of one series, in the order the audit first fed them."""
    with state.session() as s:
        rows = s.execute(
            select(CounterRow.labels, CounterRow.value)
            .where(CounterRow.job_id == job_id, CounterRow.series == series)
            .order_by(CounterRow.first_id, CounterRow.labels)
        )
        return [(list(json.loads(labels)), float(value)) for labels, value in rows]
