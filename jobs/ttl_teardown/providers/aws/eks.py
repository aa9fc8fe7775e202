"""EKS: clusters and their node groups, which go together or not at all."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from jobs.core.errors import RetryLater
from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.providers.aws.base import Aws, aws_call, found, make_item, ttl_key


def _clusters(aws: Aws) -> list[str]:
    return list(aws.pages("eks", "list_clusters", "clusters"))


def nodegroups(aws: Aws) -> Iterator[Item]:
    """A node group and its cluster go together or not at all: a cluster with a node group left
    cannot be deleted, and a kept cluster keeps its nodes."""
    for cluster_name in _clusters(aws):
        names = aws.pages("eks", "list_nodegroups", "nodegroups", clusterName=cluster_name)
        yield from aws.each("eks:nodegroup", names, functools.partial(_nodegroup, aws, cluster_name))


def nodegroup(aws: Aws, rid: str) -> Item | None:
    """One node group by ARN (`...:nodegroup/<cluster>/<name>/<uuid>`) or `<cluster>/<name>`."""
    parts = rid.split(":nodegroup/", 1)[-1].split("/")
    if len(parts) < 2:
        return None
    return found(lambda: aws.one("eks:nodegroup", [parts[1]], functools.partial(_nodegroup, aws, parts[0])))


def _nodegroup(aws: Aws, cluster_name: str, name: str) -> Item:
    group: dict[str, Any] = aws.client("eks").describe_nodegroup(clusterName=cluster_name, nodegroupName=name)[
        "nodegroup"
    ]
    cluster_arn = aws.arn("eks", f"cluster/{cluster_name}")
    return make_item(
        aws,
        "eks:nodegroup",
        group["nodegroupArn"],
        f"{cluster_name}/{group['nodegroupName']}",
        group.get("tags") or {},
        group.get("createdAt"),
        held_by=[cluster_arn],
        holds=[cluster_arn],
        cluster=cluster_name,
        nodegroup=group["nodegroupName"],
    )


def clusters(aws: Aws) -> Iterator[Item]:
    yield from aws.each("eks:cluster", _clusters(aws), functools.partial(_cluster, aws))


def cluster(aws: Aws, rid: str) -> Item | None:
    """One cluster by ARN (`...:cluster/<name>`) or name: one DescribeCluster call."""
    name = rid.rsplit("cluster/", 1)[-1]
    return found(lambda: aws.one("eks:cluster", [name], functools.partial(_cluster, aws)))


def _cluster(aws: Aws, name: str) -> Item:
    record: dict[str, Any] = aws.client("eks").describe_cluster(name=name)["cluster"]
    return make_item(
        aws, "eks:cluster", record["arn"], name, record.get("tags") or {}, record.get("createdAt"), cluster=name
    )


def delete_nodegroup(aws: Aws, target: Target, run_id: str) -> None:
    d = target.details
    aws_call(
        f"delete nodegroup {target.name}",
        lambda: aws.client("eks").delete_nodegroup(clusterName=d["cluster"], nodegroupName=d["nodegroup"]),
    )


def delete_cluster(aws: Aws, target: Target, run_id: str) -> None:
    """Only when nothing is left in it: a node group still there (even one being deleted) waits."""
    eks, name = aws.client("eks"), target.details["cluster"]
    left = aws_call(f"list nodegroups of {name}", lambda: eks.list_nodegroups(clusterName=name))
    if left and left.get("nodegroups"):
        raise RetryLater(f"cluster {name} still has node groups: {', '.join(left['nodegroups'])}")
    aws_call(f"delete cluster {name}", lambda: eks.delete_cluster(name=name))


def tag(aws: Aws, item: Item, value: str) -> None:
    aws_call(
        f"tag {item.name}", lambda: aws.client("eks").tag_resource(resourceArn=item.id, tags={ttl_key(item): value})
    )
