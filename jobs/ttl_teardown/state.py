"""ttl-teardown's own tables: the extensions owners were granted, and its counters.

Owned here, migrated by the core's migrator (jobs/core/state/owners.py names this module):
`MIGRATIONS` is this job's table, versioned from 1. The warnings it sends are kept in the
core's notices store, which secret-rotation shares. `TALLIES` are the cumulative series
metrics.py exports, added to as each deletion is audited.

An extension is numbered per resource, and (resource, number) is unique: two requests that
read the same extensions cannot both record the next one, on SQLite as on PostgreSQL, so the
count and the total checked before recording hold however many arrive at once. A snooze link
records its signature, unique too: a link extends once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.state.audit import backfill
from jobs.core.state.base import Base, Bind, Store
from jobs.core.state.counters import Tally
from jobs.core.state.migrations import Migration, add_columns, connection, create
from jobs.core.state.notices import CHUNK

JOB_ID = "ttl-teardown"
DELETED = Tally("deleted", "delete", ("type", "project"))
COST_AVOIDED = Tally("cost_avoided_usd", "delete", ("project",), amount="cost_avoided_usd")
TALLIES = (DELETED, COST_AVOIDED)


class Extension(Base):
    __tablename__ = "secops_extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String(512), index=True)
    days: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
    #: 1, 2, … per resource (migration 3 numbered the rows before it)
    number: Mapped[int | None] = mapped_column(Integer)
    #: the signature of the snooze link that asked for it; none from the command line
    link: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        Index("ux_secops_extensions_number", "resource", "number", unique=True),
        Index("ux_secops_extensions_link", "link", unique=True),
    )


def _numbered_and_single_use(bind: Bind) -> None:
    """Number the extensions granted so far per resource (in the order recorded), then make
    (resource, number) and a link's signature unique."""
    table = Extension.__tablename__
    add_columns(bind, table, {"number": "INTEGER", "link": "VARCHAR(128)"})
    with connection(bind) as conn:
        conn.execute(
            text(  # the table's own name, no input
                f"UPDATE {table} SET number = (SELECT COUNT(*) FROM {table} AS earlier "  # noqa: S608
                f"WHERE earlier.resource = {table}.resource AND earlier.id <= {table}.id) WHERE number IS NULL"
            )
        )
        indexes = {i["name"] for i in inspect(conn).get_indexes(table)}
        if "ux_secops_extensions_number" not in indexes:
            conn.execute(text(f"CREATE UNIQUE INDEX ux_secops_extensions_number ON {table} (resource, number)"))
        if "ux_secops_extensions_link" not in indexes:
            conn.execute(text(f"CREATE UNIQUE INDEX ux_secops_extensions_link ON {table} (link)"))


#: this job's migrations; append only, never edit a released step
MIGRATIONS: list[Migration] = [
    Migration(1, "extensions", create(Extension)),  # core migration 1 made it until release 4
    Migration(2, "deletion counters from the audit", backfill(JOB_ID, TALLIES)),
    Migration(3, "numbered extensions and single-use snooze links", _numbered_and_single_use),
]


def extension_days(state: Store, resources: list[str]) -> dict[str, float]:
    """resource → days granted in all, in batches (an IN list per 500)."""
    totals: dict[str, float] = {}
    with state.session() as s:
        for start in range(0, len(resources), CHUNK):
            chunk = resources[start : start + CHUNK]
            rows = s.execute(
                select(Extension.resource, func.sum(Extension.days))
                .where(Extension.resource.in_(chunk))
                .group_by(Extension.resource)
            )
            totals.update({resource: float(days) for resource, days in rows})
    return totals


def extensions(state: Store, resource: str) -> list[float]:
    with state.session() as s:
        return [float(d) for d in s.scalars(select(Extension.days).where(Extension.resource == resource))]


@dataclass(frozen=True)
class NewExtension:
    resource: str
    days: float
    reason: str
    by: str
    at: datetime
    link: str | None = None  # the snooze link's signature


@dataclass(frozen=True)
class Granted:
    number: int
    before: tuple[float, ...]  # the days granted before this one


@dataclass(frozen=True)
class Refusal:
    reason: str
    link_used: bool = False


@dataclass(frozen=True)
class LinkUse:
    resource: str
    days: float
    number: int | None
    at: datetime


#: a refusal given what was granted before (extension_rules.extension_refusal), or None
Rule = Callable[[Sequence[float]], str | None]


def record_extension(state: Store, new: NewExtension, rule: Rule, attempts: int = 5) -> Granted | Refusal:
    """Check `rule` against the extensions recorded and record the next one, in one
    transaction. Another request that recorded one of this resource (or used this link) in
    between makes the insert fail on a unique index: then decide again on what is recorded now."""
    for _ in range(attempts):
        try:
            return state.retrying(lambda: _record_once(state, new, rule), "record_extension")
        except IntegrityError:
            continue
    return Refusal(f"{new.resource}: {attempts} extensions were recorded while this one was decided; try again")


def _record_once(state: Store, new: NewExtension, rule: Rule) -> Granted | Refusal:
    with state.session() as s:
        if new.link is not None and s.scalar(select(Extension.id).where(Extension.link == new.link)) is not None:
            return Refusal("this link was already used", link_used=True)
        query = select(Extension.number, Extension.days).where(Extension.resource == new.resource)
        rows = s.execute(query.order_by(Extension.number)).all()
        before = tuple(float(days) for _, days in rows)
        why = rule(before)
        if why:
            return Refusal(why)
        number = max((n or 0 for n, _ in rows), default=0) + 1
        s.add(
            Extension(
                resource=new.resource,
                days=new.days,
                reason=new.reason,
                requested_by=new.by,
                created_at=new.at,
                number=number,
                link=new.link,
            )
        )
    return Granted(number, before)  # committed: the unique indexes held


def link_use(state: Store, link: str) -> LinkUse | None:
    """The extension a snooze link was used for, or None while it is unused."""
    with state.session() as s:
        row = s.scalars(select(Extension).where(Extension.link == link)).first()
        return LinkUse(row.resource, float(row.days), row.number, row.created_at) if row else None
