"""RDS database instances: read with their tags, deleted with a final snapshot, tagged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jobs.core.errors import PermanentError
from jobs.ttl_teardown.cost import Sizing
from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.providers.aws.base import Aws, aws_call, found, make_item, tag_dict, ttl_key


def databases(aws: Aws, **one: str) -> Iterator[Item]:
    records = aws.pages("rds", "describe_db_instances", "DBInstances", **one)
    live = (db for db in records if db.get("DBInstanceStatus") != "deleting")
    yield from aws.each("rds:instance", live, lambda db: _database(aws, db), "DBInstanceIdentifier")


def database(aws: Aws, rid: str) -> Item | None:
    """One database by ARN (`...:db:name`) or identifier."""
    identifier = rid.rsplit(":", 1)[-1]
    return found(lambda: next(databases(aws, DBInstanceIdentifier=identifier), None))


def _database(aws: Aws, db: dict[str, Any]) -> Item:
    sizing = Sizing(instance_type=db.get("DBInstanceClass"), multi_az=bool(db.get("MultiAZ")))
    groups = [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", []) if g.get("VpcSecurityGroupId")]
    return make_item(
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


def delete_database(aws: Aws, target: Target, run_id: str) -> None:
    """Always with a final snapshot, named after the run so a retry does not take two."""
    if target.details.get("deletion_protection"):
        raise PermanentError(f"{target.name} has deletion protection on: left alone")
    identifier = target.name
    aws_call(
        f"delete database {identifier}",
        lambda: aws.client("rds").delete_db_instance(
            DBInstanceIdentifier=identifier,
            SkipFinalSnapshot=False,
            FinalDBSnapshotIdentifier=f"{identifier}-final-{run_id[:8]}",
            DeleteAutomatedBackups=False,
        ),
    )


def tag(aws: Aws, item: Item, value: str) -> None:
    pair = [{"Key": ttl_key(item), "Value": value}]
    aws_call(f"tag {item.name}", lambda: aws.client("rds").add_tags_to_resource(ResourceName=item.id, Tags=pair))
