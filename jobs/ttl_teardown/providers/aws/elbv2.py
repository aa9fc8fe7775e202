"""Load balancing (v2): load balancers and target groups, tags in batches of 20."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.providers.aws.base import Aws, aws_call, found, make_item, tag_dict, ttl_key


def _tags(aws: Aws, arns: list[str]) -> dict[str, dict[str, str]]:
    """Tags of up to 20 ARNs per call, the API's batch size."""
    tagged: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), 20):
        answer = aws.client("elbv2").describe_tags(ResourceArns=arns[start : start + 20])
        tagged.update({d["ResourceArn"]: tag_dict(d.get("Tags")) for d in answer.get("TagDescriptions", [])})
    return tagged


def _described(aws: Aws, what: str, arns: tuple[str, ...]) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """Every `what` (LoadBalancer, TargetGroup), or those of `arns`, and their tags."""
    one = {f"{what}Arns": list(arns)} if arns else {}
    records = list(aws.pages("elbv2", f"describe_{_snake(what)}s", f"{what}s", **one))
    return records, _tags(aws, [r[f"{what}Arn"] for r in records if r.get(f"{what}Arn")])


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def load_balancers(aws: Aws, arns: tuple[str, ...] = ()) -> Iterator[Item]:
    balancers, tags = _described(aws, "LoadBalancer", arns)

    def balancer(lb: dict[str, Any]) -> Item:
        arn = lb["LoadBalancerArn"]
        groups = [aws.arn("ec2", f"security-group/{g}") for g in lb.get("SecurityGroups", [])]
        name, created = lb["LoadBalancerName"], lb.get("CreatedTime")
        return make_item(
            aws, "elbv2:load-balancer", arn, name, tags.get(arn, {}), created, holds=groups, resource_arn=arn
        )

    yield from aws.each("elbv2:load-balancer", balancers, balancer, "LoadBalancerName")


def load_balancer(aws: Aws, rid: str) -> Item | None:
    """One load balancer by ARN: DescribeLoadBalancers and DescribeTags for it alone."""
    return found(lambda: next(load_balancers(aws, (rid,)), None))


def target_groups(aws: Aws, arns: tuple[str, ...] = ()) -> Iterator[Item]:
    """Held by the load balancers forwarding to them (deleting one in use fails: ResourceInUse)."""
    groups, tags = _described(aws, "TargetGroup", arns)

    def target_group(group: dict[str, Any]) -> Item:
        arn = group["TargetGroupArn"]
        by = group.get("LoadBalancerArns", [])
        name = group["TargetGroupName"]
        return make_item(aws, "elbv2:target-group", arn, name, tags.get(arn, {}), None, held_by=by, resource_arn=arn)

    yield from aws.each("elbv2:target-group", groups, target_group, "TargetGroupName")


def target_group(aws: Aws, rid: str) -> Item | None:
    return found(lambda: next(target_groups(aws, (rid,)), None))


def delete_load_balancer(aws: Aws, target: Target, run_id: str) -> None:
    arn = target.details["resource_arn"]
    aws_call(f"delete {target.name}", lambda: aws.client("elbv2").delete_load_balancer(LoadBalancerArn=arn))


def delete_target_group(aws: Aws, target: Target, run_id: str) -> None:
    arn = target.details["resource_arn"]
    aws_call(f"delete {target.name}", lambda: aws.client("elbv2").delete_target_group(TargetGroupArn=arn))


def tag(aws: Aws, item: Item, value: str) -> None:
    pair = [{"Key": ttl_key(item), "Value": value}]
    aws_call(f"tag {item.name}", lambda: aws.client("elbv2").add_tags(ResourceArns=[item.id], Tags=pair))
