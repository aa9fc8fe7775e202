"""Auto Scaling groups: a group holds its instances; scaled to zero, then deleted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.providers.aws.base import Aws, aws_call, found, make_item, tag_dict, ttl_key
from jobs.ttl_teardown.tags import normal_key


def groups(aws: Aws, names: tuple[str, ...] = ()) -> Iterator[Item]:
    """A group holds its instances: none is deleted while the group stays."""
    one = {"AutoScalingGroupNames": list(names)} if names else {}
    records = aws.pages("autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups", **one)
    yield from aws.each("autoscaling:group", records, lambda g: _group(aws, g), "AutoScalingGroupName")


def group(aws: Aws, rid: str) -> Item | None:
    """One group by ARN (`...:autoScalingGroupName/<name>`) or name."""
    name = rid.rsplit("autoScalingGroupName/", 1)[-1]
    return found(lambda: next(groups(aws, (name,)), None))


def _group(aws: Aws, record: dict[str, Any]) -> Item:
    name = record["AutoScalingGroupName"]
    members = [i["InstanceId"] for i in record.get("Instances", [])]
    return make_item(
        aws,
        "autoscaling:group",
        record["AutoScalingGroupARN"],
        name,
        tag_dict(record.get("Tags")),
        record.get("CreatedTime"),
        holds=[aws.arn("ec2", f"instance/{i}") for i in members],
        group_name=name,
        instances=members,
        ttl_propagates=any(
            normal_key(t.get("Key") or "") == "ttl" and t.get("PropagateAtLaunch") for t in record.get("Tags", [])
        ),
    )


def delete_group(aws: Aws, target: Target, run_id: str) -> None:
    """Scaled to zero first, so its instances go and nothing replaces them; then the group."""
    asg, name = aws.client("autoscaling"), target.name
    aws_call(
        f"scale {name} to 0",
        lambda: asg.update_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, MaxSize=0, DesiredCapacity=0),
    )
    aws_call(f"delete {name}", lambda: asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True))


def tag(aws: Aws, item: Item, value: str) -> None:
    """Whether the tag propagates to new instances stays as it was."""
    pair = {
        "ResourceId": item.name,
        "ResourceType": "auto-scaling-group",
        "Key": ttl_key(item),
        "Value": value,
        "PropagateAtLaunch": bool(item.details.get("ttl_propagates")),
    }
    aws_call(f"tag {item.name}", lambda: aws.client("autoscaling").create_or_update_tags(Tags=[pair]))
