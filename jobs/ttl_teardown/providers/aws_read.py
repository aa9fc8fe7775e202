"""AWS inventory, read-only: paginated, server-side filtered, tags fetched in batches.

Every reader returns Items with the tags, the API's own creation time (reported when it
disagrees with the `created_at` tag; LaunchTime resets on stop/start, so it is never the
clock) and what pricing and deletion need.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from jobs.core.model import RunError
from jobs.ttl_teardown.cost import Sizing
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.rules import Resource

LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped"]
LIVE_VOLUME_STATES = ["creating", "available", "in-use"]


@dataclass
class Aws:
    """Clients for one region, and the account (one STS call per run)."""

    region: str
    client: Callable[[str], Any]  # service name → client for this region
    account: str
    errors: list[RunError] = field(default_factory=list)  # records that could not be read

    def arn(self, service: str, what: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{what}"

    def each(
        self, kind: str, records: Iterable[Any], make: Callable[[Any], Item | None], key: str = "Name"
    ) -> Iterator[Item]:
        """`make` over every record (None: not ours); one that cannot be read, or whose own call
        fails, is an error naming it, never the end of its type: the rest are still read."""
        for record in records:
            try:
                item = make(record)
            except _unreadable() as exc:
                name = record.get(key) if isinstance(record, dict) else record
                self.errors.append(RunError(f"aws:{self.region}:{kind}:{name or '?'}", f"unreadable: {why(exc)}"))
                continue
            if item is not None:
                yield item

    def pages(self, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        for page in self.client(service).get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])


@functools.cache
def _unreadable() -> tuple[type[Exception], ...]:
    from botocore.exceptions import ClientError

    return (AttributeError, KeyError, TypeError, ValueError, ClientError)


def why(exc: Exception) -> str:
    """An error as one line: an AWS error's code and message, else the exception's type and text."""
    error = getattr(exc, "response", {}).get("Error", {})
    return f"{error.get('Code')}: {error.get('Message')}" if error else f"{type(exc).__name__}: {exc}"


def tag_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """AWS's `[{Key, Value}]` as a mapping. `Value` is optional in botocore's models (EC2, RDS,
    Auto Scaling, ELBv2): a tag without one is an empty tag, never a failed read."""
    return {t["Key"]: t.get("Value") or "" for t in tags or () if isinstance(t.get("Key"), str)}


def _item(
    aws: Aws,
    kind: str,
    arn: str,
    name: str,
    tags: Mapping[str, str],
    created: datetime | None,
    sizing: Sizing | None = None,
    held_by: Iterable[str] = (),
    holds: Iterable[str] = (),
    **details: Any,
) -> Item:
    resource = Resource(arn, kind, dict(tags), api_created_at=created)
    return Item(resource, "aws", aws.region, name, sizing or Sizing(), details, tuple(held_by), tuple(holds))


def instances(aws: Aws) -> Iterator[Item]:
    filters = [{"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES}]
    for reservation in aws.pages("ec2", "describe_instances", "Reservations", Filters=filters):
        make = functools.partial(_instance, aws, reservation.get("OwnerId", aws.account))
        yield from aws.each("ec2:instance", reservation.get("Instances", []), make, "InstanceId")


def _instance(aws: Aws, account: str, ins: dict[str, Any]) -> Item:
    tags = tag_dict(ins.get("Tags"))
    state = ins.get("State", {}).get("Name", "")
    sizing = Sizing(instance_type=ins.get("InstanceType"), running=state in ("pending", "running"))
    volumes = [m["Ebs"]["VolumeId"] for m in ins.get("BlockDeviceMappings", []) if m.get("Ebs", {}).get("VolumeId")]
    groups = [g["GroupId"] for g in ins.get("SecurityGroups", [])]
    return _item(
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


def volumes(aws: Aws) -> Iterator[Item]:
    filters = [{"Name": "status", "Values": LIVE_VOLUME_STATES}]
    yield from aws.each(
        "ec2:volume",
        aws.pages("ec2", "describe_volumes", "Volumes", Filters=filters),
        lambda v: _volume(aws, v),
        "VolumeId",
    )


def _volume(aws: Aws, vol: dict[str, Any]) -> Item:
    sizing = Sizing(volume_type=vol.get("VolumeType"), size_gb=float(vol.get("Size", 0)))
    attached = [a["InstanceId"] for a in vol.get("Attachments", []) if a.get("InstanceId")]
    return _item(
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
    users = _group_users(aws, groups)
    for group in groups:
        if group.get("GroupName") == "default":  # cannot be deleted; not ours to judge
            continue
        yield from aws.each("ec2:security-group", [group], lambda g: _group(aws, g, users), "GroupId")


def _group(aws: Aws, group: dict[str, Any], users: Mapping[str, set[str]]) -> Item:
    arn = f"arn:aws:ec2:{aws.region}:{group.get('OwnerId', aws.account)}:security-group/{group['GroupId']}"
    return _item(
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


def _group_users(aws: Aws, groups: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Group id → the ARNs using it: an ENI's instance (or the ENI itself), a referencing group."""
    users: dict[str, set[str]] = {}
    for eni in aws.pages("ec2", "describe_network_interfaces", "NetworkInterfaces"):
        instance = (eni.get("Attachment") or {}).get("InstanceId")
        user = aws.arn(
            "ec2", f"instance/{instance}" if instance else f"network-interface/{eni.get('NetworkInterfaceId')}"
        )
        for g in eni.get("Groups", []):
            users.setdefault(g.get("GroupId", ""), set()).add(user)
    for group in groups:
        for rule in group.get("IpPermissions", []) + group.get("IpPermissionsEgress", []):
            for pair in rule.get("UserIdGroupPairs", []):
                if pair.get("GroupId") and pair["GroupId"] != group.get("GroupId"):
                    users.setdefault(pair["GroupId"], set()).add(aws.arn("ec2", f"security-group/{group['GroupId']}"))
    return users


def buckets(aws: Aws) -> Iterator[Item]:
    """S3 is one namespace: read once (from the first region); tags from the tagging API in
    batches, so untagged buckets are still listed (and reported), not skipped."""
    tagged = {
        m["ResourceARN"]: tag_dict(m.get("Tags"))
        for m in aws.pages(
            "resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList", ResourceTypeFilters=["s3"]
        )
        if m.get("ResourceARN")
    }

    def bucket(b: dict[str, Any]) -> Item:
        arn = f"arn:aws:s3:::{b['Name']}"
        return _item(
            aws,
            "s3:bucket",
            arn,
            b["Name"],
            tagged.get(arn, {}),
            b.get("CreationDate"),
            Sizing(size_gb=None),
            bucket=b["Name"],
        )

    yield from aws.each("s3:bucket", aws.client("s3").list_buckets().get("Buckets", []), bucket)


def databases(aws: Aws) -> Iterator[Item]:
    live = (
        db
        for db in aws.pages("rds", "describe_db_instances", "DBInstances")
        if db.get("DBInstanceStatus") != "deleting"
    )
    yield from aws.each("rds:instance", live, lambda db: _database(aws, db), "DBInstanceIdentifier")


def _database(aws: Aws, db: dict[str, Any]) -> Item:
    sizing = Sizing(instance_type=db.get("DBInstanceClass"), multi_az=bool(db.get("MultiAZ")))
    groups = [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", []) if g.get("VpcSecurityGroupId")]
    return _item(
        aws,
        "rds:instance",
        db["DBInstanceArn"],
        db["DBInstanceIdentifier"],
        tag_dict(db.get("TagList")),
        db.get("InstanceCreateTime"),
        sizing,
        holds=[aws.arn("ec2", f"security-group/{g}") for g in groups],
        identifier=db["DBInstanceIdentifier"],
        deletion_protection=bool(db.get("DeletionProtection")),
    )


def _more(name: str) -> Callable[[Aws], Iterator[Item]]:
    """A reader from aws_read_more, imported when used."""

    def read(aws: Aws) -> Iterator[Item]:
        from jobs.ttl_teardown.providers import aws_read_more

        reader: Callable[[Aws], Iterator[Item]] = getattr(aws_read_more, name)
        return reader(aws)

    return read


#: resource type → reader; `GLOBAL` types are read once, not per region
READERS: Final[dict[str, Callable[[Aws], Iterator[Item]]]] = {
    "ec2:instance": instances,
    "ec2:volume": volumes,
    "ec2:security-group": security_groups,
    "s3:bucket": buckets,
    "rds:instance": databases,
    "autoscaling:group": _more("auto_scaling_groups"),
    "elbv2:load-balancer": _more("load_balancers"),
    "elbv2:target-group": _more("target_groups"),
    "eks:nodegroup": _more("nodegroups"),
    "eks:cluster": _more("clusters"),
    "iam:role": _more("roles"),
}
GLOBAL: Final = frozenset({"s3:bucket", "iam:role"})
