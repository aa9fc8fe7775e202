"""What the ttl-teardown tests share: the region and clock, tags, a config, Kubernetes labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobs.core.clients.aws import aws_client
from tests.helpers import write_config

REGION = "eu-west-1"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
OWNER = "dana@example.com"
K8S_LABELS = {
    "environment": "dev",
    "project": "checkout",
    "cost-center": "cc-42",
    "auto-teardown": "true",
    "data-class": "internal",
}


def tags(created: datetime, ttl: str = "2d", **extra: str) -> list[dict[str, str]]:
    base = {
        "environment": "dev",
        "owner": "dana@example.com",
        "project": "checkout",
        "cost-center": "cc-42",
        "ttl": ttl,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "auto-teardown": "true",
        "data-class": "internal",
        **extra,
    }
    return [{"Key": k, "Value": v} for k, v in base.items()]


def launch_fleet(ec2: Any) -> dict[str, str]:
    """The EC2 instances the job tests start from, name → id: `doomed` (expired at T0 + 1 day),
    one of each kind that must stay (prod, restricted, opted out, whitelisted), `long` (a ttl
    over the maximum) and six fresh ones."""
    image = ec2.describe_images()["Images"][0]["ImageId"]

    def launch(name: str, **tag_args: Any) -> str:
        answer = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [*tags(**tag_args), {"Key": "Name", "Value": name}]}
            ],
        )
        return str(answer["Instances"][0]["InstanceId"])

    created = T0 - timedelta(days=1)
    ids = {
        "doomed": launch("doomed", created=created),
        "prod": launch("prod", created=created, environment="prod"),
        "restricted": launch("restricted", created=created, **{"data-class": "restricted"}),
        "opted-out": launch("opted-out", created=created, **{"auto-teardown": "false"}),
        "whitelisted": launch("whitelisted", created=created, critical="true"),
        "long": launch("long", created=created, ttl="90d"),
    }
    ids.update({f"fresh{n}": launch(f"fresh{n}", created=T0, ttl="30d") for n in range(6)})
    return ids


def ttl_config(directory: Path, **section: Any) -> str:
    """A settings file for EC2 instances in REGION, plus `section`."""
    base = {"regions": [REGION], "aws": {"types": ["ec2:instance"]}}
    return write_config(directory / "c.yaml", {"ttl_teardown": {**base, **section}})


def protected_database(created: datetime, identifier: str = "guarded") -> None:
    """An expired RDS instance with deletion protection on: its delete fails, the run's others must not."""
    aws_client("rds", REGION).create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="a-Long-pw-123",
        AllocatedStorage=20,
        Tags=tags(created),
        DeletionProtection=True,
    )
