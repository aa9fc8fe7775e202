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
    # What must go before this can, and what this holds on to, as resource ids (ARNs). A reader
    # fills in what its own record tells: a volume its instances, an Auto Scaling group its members.
    held_by: tuple[str, ...] = ()  # a volume's instance, a security group's users, a target group's balancers
    holds: tuple[str, ...] = ()  # an Auto Scaling group's instances, an instance's security groups

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def type(self) -> str:
        return self.resource.type

    def tag(self, key: str) -> str:
        return self.resource.normalised.get(key, "")
