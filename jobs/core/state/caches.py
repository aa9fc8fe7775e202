"""Values worth keeping between runs (PKI serial → not_after, price lists), by namespace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from jobs.core.state.base import Base, Store


class CacheEntry(Base):
    __tablename__ = "secops_cache"
    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


def cache_get(state: Store, namespace: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    with state.session() as s:
        rows = s.scalars(select(CacheEntry).where(CacheEntry.namespace == namespace, CacheEntry.key.in_(keys)))
        return {r.key: r.value for r in rows}


def cache_put(state: Store, namespace: str, values: dict[str, dict[str, Any]], now: datetime) -> None:
    with state.session() as s:
        for key, value in values.items():
            row = s.get(CacheEntry, (namespace, key))
            if row is None:
                s.add(CacheEntry(namespace=namespace, key=key, value=value, updated_at=now))
            else:
                row.value, row.updated_at = value, now
