"""AWS inventory, continued: Auto Scaling, load balancing, EKS and IAM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.providers.aws_read import Aws, _item, tag_dict

SERVICE_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/", "/service-role/")


def auto_scaling_groups(aws: Aws) -> Iterator[Item]:
    for group in aws.pages("autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups"):
        name = group["AutoScalingGroupName"]
        instances = [i["InstanceId"] for i in group.get("Instances", [])]
        yield _item(
            aws,
            "autoscaling:group",
            group["AutoScalingGroupARN"],
            name,
            tag_dict(group.get("Tags")),
            group.get("CreatedTime"),
            group_name=name,
            instances=instances,
            ttl_propagates=any(
                t["Key"].strip().lower() == "ttl" and t.get("PropagateAtLaunch") for t in group.get("Tags", [])
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
    tags = _elb_tags(aws, [b["LoadBalancerArn"] for b in balancers])
    for lb in balancers:
        arn = lb["LoadBalancerArn"]
        yield _item(
            aws,
            "elbv2:load-balancer",
            arn,
            lb["LoadBalancerName"],
            tags.get(arn, {}),
            lb.get("CreatedTime"),
            resource_arn=arn,
        )


def target_groups(aws: Aws) -> Iterator[Item]:
    groups = list(aws.pages("elbv2", "describe_target_groups", "TargetGroups"))
    tags = _elb_tags(aws, [g["TargetGroupArn"] for g in groups])
    for group in groups:
        arn = group["TargetGroupArn"]
        yield _item(aws, "elbv2:target-group", arn, group["TargetGroupName"], tags.get(arn, {}), None, resource_arn=arn)


def _clusters(aws: Aws) -> list[str]:
    return list(aws.pages("eks", "list_clusters", "clusters"))


def nodegroups(aws: Aws) -> Iterator[Item]:
    eks = aws.client("eks")
    for cluster in _clusters(aws):
        for name in aws.pages("eks", "list_nodegroups", "nodegroups", clusterName=cluster):
            group: dict[str, Any] = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
            yield _item(
                aws,
                "eks:nodegroup",
                group["nodegroupArn"],
                f"{cluster}/{name}",
                group.get("tags") or {},
                group.get("createdAt"),
                cluster=cluster,
                nodegroup=name,
            )


def clusters(aws: Aws) -> Iterator[Item]:
    eks = aws.client("eks")
    for name in _clusters(aws):
        cluster: dict[str, Any] = eks.describe_cluster(name=name)["cluster"]
        yield _item(
            aws, "eks:cluster", cluster["arn"], name, cluster.get("tags") or {}, cluster.get("createdAt"), cluster=name
        )


def roles(aws: Aws) -> Iterator[Item]:
    """Only roles tagged with an environment are teardown's business; AWS's own roles never are."""
    iam = aws.client("iam")
    for role in aws.pages("iam", "list_roles", "Roles"):
        if role.get("Path", "/").startswith(SERVICE_ROLE_PATHS):
            continue
        tags = tag_dict(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))
        if not any(k.strip().lower() == "environment" for k in tags):
            continue
        yield _item(aws, "iam:role", role["Arn"], role["RoleName"], tags, role.get("CreateDate"), role=role["RoleName"])
