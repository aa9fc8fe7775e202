"""EC2: instances, volumes and security groups; read (all, or one by id), deleted, tagged."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jobs.core.errors import PermanentError
from jobs.ttl_teardown.cost import Sizing
from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.providers.aws.base import Aws, aws_call, found, make_item, tag_dict, ttl_key

LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped"]
LIVE_VOLUME_STATES = ["creating", "available", "in-use"]


def _last(rid: str) -> str:
    """`i-0abc` of `arn:aws:ec2:...:instance/i-0abc` (and of `i-0abc` itself)."""
    return rid.rsplit("/", 1)[-1]


def instances(aws: Aws, ids: Iterable[str] = ()) -> Iterator[Item]:
    filters = [{"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES}]
    extra = {"InstanceIds": list(ids)} if ids else {}
    for reservation in aws.pages("ec2", "describe_instances", "Reservations", Filters=filters, **extra):
        make = functools.partial(_instance, aws, reservation.get("OwnerId", aws.account))
        yield from aws.each("ec2:instance", reservation.get("Instances", []), make, "InstanceId")


def instance(aws: Aws, rid: str) -> Item | None:
    """One live instance by ARN or id: one DescribeInstances call."""
    return found(lambda: next(instances(aws, [_last(rid)]), None))


def _instance(aws: Aws, account: str, ins: dict[str, Any]) -> Item:
    tags = tag_dict(ins.get("Tags"))
    state = ins.get("State", {}).get("Name", "")
    sizing = Sizing(instance_type=ins.get("InstanceType"), running=state in ("pending", "running"))
    volumes = [m["Ebs"]["VolumeId"] for m in ins.get("BlockDeviceMappings", []) if m.get("Ebs", {}).get("VolumeId")]
    groups = [g["GroupId"] for g in ins.get("SecurityGroups", [])]
    return make_item(
        aws,
        "ec2:instance",
        f"arn:aws:ec2:{aws.region}:{account}:instance/{ins['InstanceId']}",
        ins["InstanceId"],
        tags,
        ins.get("LaunchTime"),
        sizing,
        holds=[aws.arn("ec2", f"volume/{v}") for v in volumes]
        + [aws.arn("ec2", f"security-group/{g}") for g in groups],
        instance_id=ins["InstanceId"],
        asg=tags.get("aws:autoscaling:groupName"),
        state=state,
    )


def volumes(aws: Aws, ids: Iterable[str] = ()) -> Iterator[Item]:
    filters = [{"Name": "status", "Values": LIVE_VOLUME_STATES}]
    extra = {"VolumeIds": list(ids)} if ids else {}
    records = aws.pages("ec2", "describe_volumes", "Volumes", Filters=filters, **extra)
    yield from aws.each("ec2:volume", records, lambda v: _volume(aws, v), "VolumeId")


def volume(aws: Aws, rid: str) -> Item | None:
    return found(lambda: next(volumes(aws, [_last(rid)]), None))


def _volume(aws: Aws, vol: dict[str, Any]) -> Item:
    sizing = Sizing(volume_type=vol.get("VolumeType"), size_gb=float(vol.get("Size", 0)))
    attached = [a["InstanceId"] for a in vol.get("Attachments", []) if a.get("InstanceId")]
    return make_item(
        aws,
        "ec2:volume",
        aws.arn("ec2", f"volume/{vol['VolumeId']}"),
        vol["VolumeId"],
        tag_dict(vol.get("Tags")),
        vol.get("CreateTime"),
        sizing,
        held_by=[aws.arn("ec2", f"instance/{i}") for i in attached],
        volume_id=vol["VolumeId"],
        attached_to=attached,
    )


def security_groups(aws: Aws) -> Iterator[Item]:
    """Held by whatever uses them: instances and other network interfaces (Lambda, RDS, load
    balancers: an ENI this job does not read, so the group stays), and groups whose rules name them."""
    groups = list(aws.pages("ec2", "describe_security_groups", "SecurityGroups"))
    users = _group_users(aws, aws.pages("ec2", "describe_network_interfaces", "NetworkInterfaces"), groups)
    yield from _groups(aws, groups, users)


def security_group(aws: Aws, rid: str) -> Item | None:
    """One group by ARN or id, with its users: the interfaces in it and the groups naming it."""
    group_id = _last(rid)
    mine = found(lambda: list(aws.pages("ec2", "describe_security_groups", "SecurityGroups", GroupIds=[group_id])))
    if not mine:
        return None
    by_id = [{"Name": "group-id", "Values": [group_id]}]
    enis = aws.pages("ec2", "describe_network_interfaces", "NetworkInterfaces", Filters=by_id)
    naming = [
        {"Name": f"{side}ip-permission.group-id", "Values": [group_id]} for side in ("", "egress.")
    ]  # a group whose inbound or outbound rules admit this one
    referring = [g for f in naming for g in aws.pages("ec2", "describe_security_groups", "SecurityGroups", Filters=[f])]
    return next(_groups(aws, mine, _group_users(aws, enis, referring)), None)


def _groups(aws: Aws, groups: list[dict[str, Any]], users: Mapping[str, set[str]]) -> Iterator[Item]:
    for group in groups:
        if group.get("GroupName") == "default":  # cannot be deleted; not ours to judge
            continue
        yield from aws.each("ec2:security-group", [group], lambda g: _group(aws, g, users), "GroupId")


def _group(aws: Aws, group: dict[str, Any], users: Mapping[str, set[str]]) -> Item:
    arn = f"arn:aws:ec2:{aws.region}:{group.get('OwnerId', aws.account)}:security-group/{group['GroupId']}"
    return make_item(
        aws,
        "ec2:security-group",
        arn,
        group["GroupId"],
        tag_dict(group.get("Tags")),
        None,
        held_by=sorted(users.get(group["GroupId"], ())),
        group_id=group["GroupId"],
        vpc=group.get("VpcId"),
    )


def _group_users(aws: Aws, enis: Iterable[dict[str, Any]], groups: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Group id → the ARNs using it: an ENI's instance (or the ENI itself), a referencing group."""
    users: dict[str, set[str]] = {}
    for eni in enis:
        instance_id = (eni.get("Attachment") or {}).get("InstanceId")
        user = aws.arn(
            "ec2", f"instance/{instance_id}" if instance_id else f"network-interface/{eni.get('NetworkInterfaceId')}"
        )
        for g in eni.get("Groups", []):
            users.setdefault(g.get("GroupId", ""), set()).add(user)
    for group in groups:
        for rule in group.get("IpPermissions", []) + group.get("IpPermissionsEgress", []):
            for pair in rule.get("UserIdGroupPairs", []):
                if pair.get("GroupId") and pair["GroupId"] != group.get("GroupId"):
                    users.setdefault(pair["GroupId"], set()).add(aws.arn("ec2", f"security-group/{group['GroupId']}"))
    return users


def terminate_instance(aws: Aws, target: Target, run_id: str) -> None:
    if target.details.get("asg"):
        raise PermanentError(
            f"part of Auto Scaling group {target.details['asg']}, which would replace it: tear the group down"
        )
    aws_call(f"terminate {target.name}", lambda: aws.client("ec2").terminate_instances(InstanceIds=[target.name]))


def delete_volume(aws: Aws, target: Target, run_id: str) -> None:
    aws_call(f"delete volume {target.name}", lambda: aws.client("ec2").delete_volume(VolumeId=target.name))


def delete_security_group(aws: Aws, target: Target, run_id: str) -> None:
    aws_call(f"delete {target.name}", lambda: aws.client("ec2").delete_security_group(GroupId=target.name))


def tag(aws: Aws, item: Item, value: str) -> None:
    """The same for all three: CreateTags by id."""
    pair = [{"Key": ttl_key(item), "Value": value}]
    aws_call(f"tag {item.name}", lambda: aws.client("ec2").create_tags(Resources=[item.name], Tags=pair))
