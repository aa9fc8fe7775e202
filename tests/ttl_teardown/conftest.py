"""The moto fleet the ttl-teardown job and extension tests share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.core.clients.aws import aws_client
from tests import services
from tests.ttl_teardown.fleet import REGION, T0, tags


@pytest.fixture
def fleet(moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    moto.reset()
    ec2 = aws_client("ec2", REGION)
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
    yield {"ids": ids, "ec2": ec2, "dir": tmp_path}
