"""What the ttl-teardown tests share: the region and clock, tags, a config, Kubernetes labels."""

from __future__ import annotations

from datetime import UTC, datetime
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
