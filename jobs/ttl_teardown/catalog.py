"""Every resource type this job knows, AWS and Kubernetes, as their own tables declare them
(providers.aws.types.TYPES, providers.kubernetes.KINDS): the deletion order, what each counts
against a quota, its price key. Nothing here is defined twice.

Deletion order is aws-nuke's lesson without its loops: IAM roles are detached first, Auto
Scaling groups scaled to zero before their instances go, load balancers before their target
groups, instances before their volumes and security groups, node groups before their cluster,
namespaced objects before namespaces. Dependencies that remain (an instance still shutting
down) are retried later in the run.
"""

from __future__ import annotations

from typing import Final

from jobs.ttl_teardown.cost import Pricing, Sizing, price
from jobs.ttl_teardown.providers.aws.types import TYPES
from jobs.ttl_teardown.providers.kubernetes import KINDS
from jobs.ttl_teardown.quota import Quota

ORDER: Final[tuple[str, ...]] = (
    *sorted(TYPES, key=lambda t: TYPES[t].order),
    *(f"k8s:{kind}" for kind in sorted(KINDS, key=lambda k: KINDS[k].order)),
)
_RANK = {kind: rank for rank, kind in enumerate(ORDER)}
#: resource type → the quota it counts against
QUOTAS: Final[dict[str, Quota]] = {
    **{t: s.quota for t, s in TYPES.items() if s.quota},
    **{f"k8s:{k}": s.quota for k, s in KINDS.items() if s.quota},
}
#: resource type → its key in cost.PRICES (a type without one has no known price)
PRICE_KEYS: Final[dict[str, str]] = {t: s.price for t, s in TYPES.items() if s.price}


def rank(resource_type: str) -> int:
    """Position of a type in the order; an unknown type goes last (and is never guessed at)."""
    return _RANK.get(resource_type, len(ORDER))


def hourly(resource_type: str, sizing: Sizing, pricing: Pricing) -> float | None:
    """On-demand dollars per hour, or None when the price list does not know the resource."""
    key = PRICE_KEYS.get(resource_type)
    return None if key is None else price(key, sizing, pricing)
