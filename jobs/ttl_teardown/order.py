"""Deletion order: what holds on to what goes first (aws-nuke's lesson, without its loops).

IAM roles are detached first, Auto Scaling groups scaled to zero before their instances
go, load balancers before their target groups, instances before their volumes and
security groups, node groups before their cluster, namespaced objects before namespaces.
Dependencies that remain (an instance still shutting down) are retried later in the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeVar

ORDER: Final[tuple[str, ...]] = (
    "iam:role",
    "autoscaling:group",
    "ec2:instance",
    "elbv2:load-balancer",
    "elbv2:target-group",
    "s3:bucket",
    "rds:instance",
    "ec2:volume",
    "ec2:security-group",
    "eks:nodegroup",
    "eks:cluster",
    "k8s:deployment",
    "k8s:statefulset",
    "k8s:service",
    "k8s:configmap",
    "k8s:namespace",
)
_RANK = {kind: rank for rank, kind in enumerate(ORDER)}

T = TypeVar("T")


def rank(resource_type: str) -> int:
    """Position of a type in the order; an unknown type goes last (and is never guessed at)."""
    return _RANK.get(resource_type, len(ORDER))


def in_order(items: Sequence[T], type_of: dict[int, str]) -> list[T]:
    """`items` sorted by their type's rank, stable within a type (`type_of` by position)."""
    return [items[i] for i in sorted(range(len(items)), key=lambda i: rank(type_of[i]))]
