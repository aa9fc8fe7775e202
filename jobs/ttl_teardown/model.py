"""What providers hand to the plan: a resource for the rules, plus what pricing and deletion need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobs.ttl_teardown.cost import Sizing
from jobs.ttl_teardown.rules import Resource


@dataclass(frozen=True)
class Item:
    resource: Resource
    provider: str  # aws | kubernetes
    region: str | None
    name: str  # what people call it: i-0abc, a bucket name, pr-42/web
    sizing: Sizing = field(default_factory=Sizing)
    details: Mapping[str, Any] = field(default_factory=dict)  # facts the deleter needs (cluster, versioning, ...)

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def type(self) -> str:
        return self.resource.type

    def tag(self, key: str) -> str:
        return self.resource.normalised.get(key, "")
