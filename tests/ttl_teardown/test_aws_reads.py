"""Reading AWS as it really answers: tags without a value, one malformed record, one operation
denied, no credentials at all. One bad item never fails its type, one type never the others."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobs.core.clients.aws import aws_client
from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from jobs.ttl_teardown.providers.aws.base import Aws
from jobs.ttl_teardown.providers.aws.types import TYPES
from tests import services
from tests.helpers import run_cli
from tests.ttl_teardown.fleet import REGION, T0, tags, ttl_config
from tests.ttl_teardown.rewriting_proxy import Deny, Rewrite, rewriting_proxy

DROP = "value-the-proxy-drops"  # tags written with this value reach the reader without `Value`


def without_value(_: bytes, body: bytes) -> bytes:
    return re.sub(rf"<value>{DROP}</value>".encode(), b"", body, flags=re.IGNORECASE)


@pytest.fixture
def moto_env(moto: services.Moto, monkeypatch: pytest.MonkeyPatch) -> Iterator[services.Moto]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    moto.reset()
    yield moto


def through(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Aws:
    """An Aws whose clients go to `endpoint` (the proxy)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = aws_client(service, REGION, max_attempts=1)
        return clients[service]

    return Aws(REGION, client, "123456789012")


def launch(ec2: Any, **extra: str) -> str:
    image = ec2.describe_images()["Images"][0]["ImageId"]
    spec = [{"ResourceType": "instance", "Tags": tags(T0, **extra)}]
    return str(
        ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, TagSpecifications=spec)["Instances"][0]["InstanceId"]
    )


def test_an_s3_tag_with_an_empty_value_comes_without_value_and_is_read_as_empty(
    moto_env: services.Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = aws_client("s3", REGION)
    s3.create_bucket(Bucket="scratch-notes", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="scratch-notes", Tagging={"TagSet": [*tags(T0), {"Key": "note", "Value": ""}]})
    aws = through(moto_env.endpoint, monkeypatch)
    [bucket] = TYPES["s3:bucket"].reader()(aws)
    assert bucket.resource.tags["note"] == "" and bucket.tag("owner") == "dana@example.com"


def test_tags_without_a_value_are_empty_tags_for_every_type_that_allows_them(
    moto_env: services.Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    ec2, rds = aws_client("ec2", REGION), aws_client("rds", REGION)
    launch(ec2, note=DROP)
    ec2.create_volume(
        AvailabilityZone=f"{REGION}a",
        Size=1,
        TagSpecifications=[{"ResourceType": "volume", "Tags": tags(T0, note=DROP)}],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="scratch-db", DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="admin",
        MasterUserPassword="a-Long-pw-123", AllocatedStorage=20, Tags=tags(T0, note=DROP),
    )  # fmt: skip
    with rewriting_proxy(moto_env.endpoint, without_value) as endpoint:
        aws = through(endpoint, monkeypatch)
        for kind in ("ec2:instance", "ec2:volume", "rds:instance"):
            [item] = [i for i in TYPES[kind].reader()(aws) if "note" in i.resource.tags]  # not the root volume
            assert (kind, item.resource.tags["note"], item.tag("ttl")) == (kind, "", "2d")
        assert aws.errors == []


def test_one_unreadable_volume_is_an_error_naming_it_and_the_others_are_read(
    moto_env: services.Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    ec2 = aws_client("ec2", REGION)
    ids = [ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"] for _ in range(3)]

    def break_one(_: bytes, body: bytes) -> bytes:  # the middle one loses its id
        return body.replace(f"<volumeId>{ids[1]}</volumeId>".encode(), b"")

    with rewriting_proxy(moto_env.endpoint, break_one) as endpoint:
        aws = through(endpoint, monkeypatch)
        assert sorted(i.name for i in TYPES["ec2:volume"].reader()(aws)) == sorted([ids[0], ids[2]])
    assert [(e.source, e.message) for e in aws.errors] == [
        (f"aws:{REGION}:ec2:volume:?", "unreadable: KeyError: 'VolumeId'")
    ]


def run(tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch, **section: Any) -> dict[str, Any]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    config = ttl_config(tmp_path, **section)
    return run_cli(JOBS["ttl-teardown"], ["--config", config, "--now", T0.isoformat()], Runtime(sleep=lambda _: None))


def test_a_type_that_cannot_be_read_fails_alone(
    moto_env: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    instance = launch(aws_client("ec2", REGION))
    deny: Deny = lambda body: b"Action=DescribeVolumes" in body  # noqa: E731
    keep: Rewrite = lambda _, body: body  # noqa: E731
    with rewriting_proxy(moto_env.endpoint, keep, deny) as endpoint:
        result = run(tmp_path, endpoint, monkeypatch, aws={"types": ["ec2:instance", "ec2:volume", "s3:bucket"]})
    assert [f["details"]["name"] for f in result["findings"] if f["type"] == "ttl"] == [instance]
    assert result["errors"] == [
        {"source": f"aws:{REGION}:ec2:volume", "message": "UnauthorizedOperation: You are not authorized"}
    ]


def test_missing_credentials_are_one_error_naming_every_type_they_stopped(
    moto_env: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = run(tmp_path, moto_env.endpoint, monkeypatch, regions=[REGION, "us-east-1"], aws={"enabled": True})
    [error] = result["errors"]
    assert error["source"] == "aws"
    assert error["message"].startswith("NoCredentialsError: Unable to locate credentials (stopped 20 reads: ")
    assert f"{REGION}: iam:role, autoscaling:group, ec2:instance" in error["message"]
    assert "us-east-1: autoscaling:group, ec2:instance" in error["message"]  # the global types are read once
