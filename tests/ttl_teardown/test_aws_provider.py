"""The AWS provider against moto's server: what is read, and that each deletion really deletes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobs.core.clients.aws import aws_client
from jobs.core.errors import PermanentError, RetryLater
from jobs.ttl_teardown.model import Target
from jobs.ttl_teardown.providers.aws.base import Aws
from jobs.ttl_teardown.providers.aws.types import TYPES
from tests import services
from tests.ttl_teardown.test_rules import GOOD

REGION = "eu-west-1"


@pytest.fixture
def aws(moto: services.Moto, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    moto.reset()
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = aws_client(service, REGION)
        return clients[service]

    yield Aws(REGION, client, client("sts").get_caller_identity()["Account"])


def tags(**extra: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in {**GOOD, **extra}.items()]


def run_instances(aws: Aws, count: int = 1, **extra: str) -> list[str]:
    ec2 = aws.client("ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    answer = ec2.run_instances(
        ImageId=image,
        MinCount=count,
        MaxCount=count,
        InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags(**extra)}],
    )
    return [i["InstanceId"] for i in answer["Instances"]]


def test_instances_are_read_with_tags_arns_and_sizing_and_terminated(aws: Aws) -> None:
    [kept] = run_instances(aws, environment="prod")
    [doomed] = run_instances(aws)
    items = {i.name: i for i in TYPES["ec2:instance"].reader()(aws)}
    assert set(items) == {kept, doomed}
    item = items[doomed]
    assert item.id == f"arn:aws:ec2:{REGION}:{aws.account}:instance/{doomed}"
    assert item.tag("environment") == "dev" and item.sizing.instance_type == "t3.micro" and item.sizing.running
    assert item.resource.api_created_at is not None
    TYPES["ec2:instance"].deleter()(aws, Target("ec2:instance", REGION, doomed, dict(item.details)), "run-1")
    state = aws.client("ec2").describe_instances(InstanceIds=[doomed])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] in ("shutting-down", "terminated")
    assert {i.name for i in TYPES["ec2:instance"].reader()(aws)} == {kept}  # server-side state filter
    TYPES["ec2:instance"].deleter()(
        aws, Target("ec2:instance", REGION, "i-0000000000000dead", {}), "run-1"
    )  # gone: fine


def test_an_auto_scaling_member_is_never_terminated_alone(aws: Aws) -> None:
    with pytest.raises(PermanentError, match="Auto Scaling group web-asg"):
        TYPES["ec2:instance"].deleter()(aws, Target("ec2:instance", REGION, "i-1", {"asg": "web-asg"}), "run-1")


def test_an_attached_volume_waits_for_its_instance(aws: Aws) -> None:
    ec2 = aws.client("ec2")
    [instance] = run_instances(aws)
    vol = ec2.create_volume(
        AvailabilityZone=f"{REGION}a",
        Size=20,
        VolumeType="gp3",
        TagSpecifications=[{"ResourceType": "volume", "Tags": tags()}],
    )["VolumeId"]
    ec2.attach_volume(VolumeId=vol, InstanceId=instance, Device="/dev/sdf")
    [item] = [i for i in TYPES["ec2:volume"].reader()(aws) if i.name == vol]
    assert (item.sizing.volume_type, item.sizing.size_gb, item.details["attached_to"]) == ("gp3", 20.0, [instance])
    with pytest.raises(RetryLater, match="VolumeInUse"):
        TYPES["ec2:volume"].deleter()(aws, Target("ec2:volume", REGION, vol, {}), "run-1")
    ec2.detach_volume(VolumeId=vol, InstanceId=instance, Device="/dev/sdf")
    TYPES["ec2:volume"].deleter()(aws, Target("ec2:volume", REGION, vol, {}), "run-1")
    assert vol not in {i.name for i in TYPES["ec2:volume"].reader()(aws)}


def test_security_groups_skip_default_and_delete(aws: Aws) -> None:
    ec2 = aws.client("ec2")
    group = ec2.create_security_group(
        GroupName="scratch", Description="x", TagSpecifications=[{"ResourceType": "security-group", "Tags": tags()}]
    )["GroupId"]
    names = {i.name: i for i in TYPES["ec2:security-group"].reader()(aws)}
    assert group in names and all(i.details["group_id"] != "default" for i in names.values())
    assert names[group].tag("owner") == "dana@example.com"
    TYPES["ec2:security-group"].deleter()(aws, Target("ec2:security-group", REGION, group, {}), "run-1")
    assert group not in {i.name for i in TYPES["ec2:security-group"].reader()(aws)}


def test_buckets_with_and_without_tags_and_a_versioned_bucket_is_emptied_first(aws: Aws) -> None:
    s3 = aws.client("s3")
    for name in ("tagged-bucket", "untagged-bucket"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="tagged-bucket", Tagging={"TagSet": tags()})
    s3.put_bucket_versioning(Bucket="tagged-bucket", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two", b"three"):
        s3.put_object(Bucket="tagged-bucket", Key="data.txt", Body=body)
    s3.delete_object(Bucket="tagged-bucket", Key="data.txt")  # leaves a delete marker
    items = {i.name: i for i in TYPES["s3:bucket"].reader()(aws)}
    assert items["tagged-bucket"].tag("project") == "checkout"
    assert dict(items["untagged-bucket"].resource.tags) == {}  # listed, so its violations are reported
    assert items["tagged-bucket"].sizing.size_gb is None
    TYPES["s3:bucket"].deleter()(aws, Target("s3:bucket", REGION, "tagged-bucket", {}), "run-1")
    assert "tagged-bucket" not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_databases_go_with_a_final_snapshot_unless_protected(aws: Aws) -> None:
    rds = aws.client("rds")
    for name, protected in (("scratch-db", False), ("guarded-db", True)):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="admin",
            MasterUserPassword="a-Long-pw-123",
            AllocatedStorage=20,
            MultiAZ=True,
            Tags=tags(),
            DeletionProtection=protected,
        )
    items = {i.name: i for i in TYPES["rds:instance"].reader()(aws)}
    assert items["scratch-db"].sizing.instance_type == "db.t3.micro" and items["scratch-db"].sizing.multi_az
    TYPES["rds:instance"].deleter()(
        aws, Target("rds:instance", REGION, "scratch-db", dict(items["scratch-db"].details)), "abcdef12-run"
    )
    snapshots = rds.describe_db_snapshots(DBInstanceIdentifier="scratch-db", SnapshotType="manual")["DBSnapshots"]
    # moto prefixes every snapshot with "rds:" (real AWS does so for automated ones only)
    assert [s["DBSnapshotIdentifier"].removeprefix("rds:") for s in snapshots] == ["scratch-db-final-abcdef12"]
    with pytest.raises(PermanentError, match="guarded-db has deletion protection on: left alone"):
        TYPES["rds:instance"].deleter()(
            aws, Target("rds:instance", REGION, "guarded-db", dict(items["guarded-db"].details)), "run"
        )
