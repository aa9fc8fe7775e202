"""AWS inventory, continued: Auto Scaling, load balancing, EKS and IAM."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.providers.aws_read import Aws, _item, tag_dict
from jobs.ttl_teardown.tags import normal_key

SERVICE_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/", "/service-role/")


def auto_scaling_groups(aws: Aws) -> Iterator[Item]:
    """A group holds its instances: none is deleted while the group stays."""
    groups = aws.pages("autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups")
    yield from aws.each("autoscaling:group", groups, lambda g: _auto_scaling_group(aws, g), "AutoScalingGroupName")


def _auto_scaling_group(aws: Aws, group: dict[str, Any]) -> Item:
    name = group["AutoScalingGroupName"]
    instances = [i["InstanceId"] for i in group.get("Instances", [])]
    return _item(
        aws,
        "autoscaling:group",
        group["AutoScalingGroupARN"],
        name,
        tag_dict(group.get("Tags")),
        group.get("CreatedTime"),
        holds=[aws.arn("ec2", f"instance/{i}") for i in instances],
        group_name=name,
        instances=instances,
        ttl_propagates=any(
            normal_key(t.get("Key") or "") == "ttl" and t.get("PropagateAtLaunch") for t in group.get("Tags", [])
        ),
    )


def _elb_tags(aws: Aws, arns: list[str]) -> dict[str, dict[str, str]]:
    """Tags of up to 20 ARNs per call, the API's batch size."""
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), 20):
        answer = aws.client("elbv2").describe_tags(ResourceArns=arns[start : start + 20])
        found.update({d["ResourceArn"]: tag_dict(d.get("Tags")) for d in answer.get("TagDescriptions", [])})
    return found


def load_balancers(aws: Aws) -> Iterator[Item]:
    balancers = list(aws.pages("elbv2", "describe_load_balancers", "LoadBalancers"))
    tags = _elb_tags(aws, [b["LoadBalancerArn"] for b in balancers if b.get("LoadBalancerArn")])

    def balancer(lb: dict[str, Any]) -> Item:
        arn = lb["LoadBalancerArn"]
        groups = [aws.arn("ec2", f"security-group/{g}") for g in lb.get("SecurityGroups", [])]
        name, created = lb["LoadBalancerName"], lb.get("CreatedTime")
        return _item(aws, "elbv2:load-balancer", arn, name, tags.get(arn, {}), created, holds=groups, resource_arn=arn)

    yield from aws.each("elbv2:load-balancer", balancers, balancer, "LoadBalancerName")


def target_groups(aws: Aws) -> Iterator[Item]:
    """Held by the load balancers forwarding to them (deleting one in use fails: ResourceInUse)."""
    groups = list(aws.pages("elbv2", "describe_target_groups", "TargetGroups"))
    tags = _elb_tags(aws, [g["TargetGroupArn"] for g in groups if g.get("TargetGroupArn")])

    def target_group(group: dict[str, Any]) -> Item:
        arn = group["TargetGroupArn"]
        by = group.get("LoadBalancerArns", [])
        return _item(
            aws,
            "elbv2:target-group",
            arn,
            group["TargetGroupName"],
            tags.get(arn, {}),
            None,
            held_by=by,
            resource_arn=arn,
        )

    yield from aws.each("elbv2:target-group", groups, target_group, "TargetGroupName")


def _clusters(aws: Aws) -> list[str]:
    return list(aws.pages("eks", "list_clusters", "clusters"))


def nodegroups(aws: Aws) -> Iterator[Item]:
    """A node group and its cluster go together or not at all: a cluster with a node group left
    cannot be deleted, and a kept cluster keeps its nodes."""
    for cluster in _clusters(aws):
        names = aws.pages("eks", "list_nodegroups", "nodegroups", clusterName=cluster)
        yield from aws.each("eks:nodegroup", names, functools.partial(_nodegroup, aws, cluster))


def _nodegroup(aws: Aws, cluster: str, name: str) -> Item:
    group: dict[str, Any] = aws.client("eks").describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
    cluster_arn = aws.arn("eks", f"cluster/{cluster}")
    return _item(
        aws,
        "eks:nodegroup",
        group["nodegroupArn"],
        f"{cluster}/{group['nodegroupName']}",
        group.get("tags") or {},
        group.get("createdAt"),
        held_by=[cluster_arn],
        holds=[cluster_arn],
        cluster=cluster,
        nodegroup=group["nodegroupName"],
    )


def clusters(aws: Aws) -> Iterator[Item]:
    eks = aws.client("eks")

    def cluster(name: str) -> Item:
        found: dict[str, Any] = eks.describe_cluster(name=name)["cluster"]
        return _item(
            aws, "eks:cluster", found["arn"], name, found.get("tags") or {}, found.get("createdAt"), cluster=name
        )

    yield from aws.each("eks:cluster", _clusters(aws), cluster)


def roles(aws: Aws) -> Iterator[Item]:
    """Only roles tagged with an environment (any spelling) are teardown's business; AWS's own roles never are."""
    iam = aws.client("iam")

    def role(found: dict[str, Any]) -> Item | None:
        tags = tag_dict(iam.list_role_tags(RoleName=found["RoleName"]).get("Tags"))
        if not any(normal_key(k) == "environment" for k in tags):
            return None
        return _item(
            aws, "iam:role", found["Arn"], found["RoleName"], tags, found.get("CreateDate"), role=found["RoleName"]
        )

    ours = (r for r in aws.pages("iam", "list_roles", "Roles") if not r.get("Path", "/").startswith(SERVICE_ROLE_PATHS))
    yield from aws.each("iam:role", ours, role, "RoleName")
