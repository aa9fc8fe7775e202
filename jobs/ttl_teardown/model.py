"""What providers hand to the plan: a resource for the rules, plus what pricing and deletion need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobs.ttl_teardown.cost import Sizing
from jobs.ttl_teardown.rules import History, Resource

NO_HISTORY = History()  # shared: most resources have none, and a plan reads 100,000 of them


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
    # What the plan needs besides the resource, attached by collect: what earlier runs sent and
    # granted (the state DB), and the on-demand price per hour (None: not known, never 0).
    history: History = NO_HISTORY
    hourly_usd: float | None = None

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def type(self) -> str:
        return self.resource.type

    def tag(self, key: str) -> str:
        return self.resource.normalised.get(key, "")

    def target(self) -> Target:
        return Target(self.type, self.region, self.name, dict(self.details))


@dataclass(frozen=True)
class Target:
    """What a deleter needs of the resource it deletes, as the plan saw it."""

    type: str
    region: str | None
    name: str
    details: Mapping[str, Any] = field(default_factory=dict)
