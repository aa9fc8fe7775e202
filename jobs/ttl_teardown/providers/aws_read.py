"""AWS inventory, read-only: paginated, server-side filtered, tags fetched in batches.

Every reader returns Items with the tags, the API's own creation time (reported when it
disagrees with the `created_at` tag; LaunchTime resets on stop/start, so it is never the
clock) and what pricing and deletion need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

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

    def pages(self, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        for page in self.client(service).get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def _item(
    aws: Aws,
    kind: str,
    arn: str,
    name: str,
    tags: Mapping[str, str],
    created: datetime | None,
    sizing: Sizing | None = None,
    **details: Any,
) -> Item:
    resource = Resource(arn, kind, dict(tags), api_created_at=created)
    return Item(resource, "aws", aws.region, name, sizing or Sizing(), details)


def instances(aws: Aws) -> Iterator[Item]:
    filters = [{"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES}]
    for reservation in aws.pages("ec2", "describe_instances", "Reservations", Filters=filters):
        account = reservation.get("OwnerId", aws.account)
        for ins in reservation.get("Instances", []):
            tags = tag_dict(ins.get("Tags"))
            state = ins.get("State", {}).get("Name", "")
            sizing = Sizing(instance_type=ins.get("InstanceType"), running=state in ("pending", "running"))
            arn = f"arn:aws:ec2:{aws.region}:{account}:instance/{ins['InstanceId']}"
            yield _item(
                aws,
                "ec2:instance",
                arn,
                ins["InstanceId"],
                tags,
                ins.get("LaunchTime"),
                sizing,
                instance_id=ins["InstanceId"],
                asg=tags.get("aws:autoscaling:groupName"),
                state=state,
            )


def volumes(aws: Aws) -> Iterator[Item]:
    filters = [{"Name": "status", "Values": LIVE_VOLUME_STATES}]
    for vol in aws.pages("ec2", "describe_volumes", "Volumes", Filters=filters):
        arn = f"arn:aws:ec2:{aws.region}:{aws.account}:volume/{vol['VolumeId']}"
        sizing = Sizing(volume_type=vol.get("VolumeType"), size_gb=float(vol.get("Size", 0)))
        attached = [a["InstanceId"] for a in vol.get("Attachments", [])]
        yield _item(
            aws,
            "ec2:volume",
            arn,
            vol["VolumeId"],
            tag_dict(vol.get("Tags")),
            vol.get("CreateTime"),
            sizing,
            volume_id=vol["VolumeId"],
            attached_to=attached,
        )


def security_groups(aws: Aws) -> Iterator[Item]:
    for group in aws.pages("ec2", "describe_security_groups", "SecurityGroups"):
        if group.get("GroupName") == "default":  # cannot be deleted; not ours to judge
            continue
        arn = f"arn:aws:ec2:{aws.region}:{group.get('OwnerId', aws.account)}:security-group/{group['GroupId']}"
        yield _item(
            aws,
            "ec2:security-group",
            arn,
            group["GroupId"],
            tag_dict(group.get("Tags")),
            None,
            group_id=group["GroupId"],
            vpc=group.get("VpcId"),
        )


def buckets(aws: Aws) -> Iterator[Item]:
    """S3 is one namespace: read once (from the first region); tags from the tagging API in
    batches, so untagged buckets are still listed (and reported), not skipped."""
    tagged = {
        m["ResourceARN"]: tag_dict(m.get("Tags"))
        for m in aws.pages(
            "resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList", ResourceTypeFilters=["s3"]
        )
    }
    for bucket in aws.client("s3").list_buckets().get("Buckets", []):
        arn = f"arn:aws:s3:::{bucket['Name']}"
        yield _item(
            aws,
            "s3:bucket",
            arn,
            bucket["Name"],
            tagged.get(arn, {}),
            bucket.get("CreationDate"),
            Sizing(size_gb=None),
            bucket=bucket["Name"],
        )


def databases(aws: Aws) -> Iterator[Item]:
    for db in aws.pages("rds", "describe_db_instances", "DBInstances"):
        if db.get("DBInstanceStatus") == "deleting":
            continue
        sizing = Sizing(instance_type=db.get("DBInstanceClass"), multi_az=bool(db.get("MultiAZ")))
        yield _item(
            aws,
            "rds:instance",
            db["DBInstanceArn"],
            db["DBInstanceIdentifier"],
            tag_dict(db.get("TagList")),
            db.get("InstanceCreateTime"),
            sizing,
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
