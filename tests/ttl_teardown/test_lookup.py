"""`explain`, `extend` and the snooze link read the one resource they are about, through its
type's single-resource reader: counted on the clients' own event hooks, against moto."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from jobs.core.clients.aws import aws_client
from jobs.core.resolve import load_settings
from jobs.ttl_teardown.extend import explain, extend
from jobs.ttl_teardown.providers.aws.types import TYPES
from tests.ttl_teardown.fleet import OWNER, REGION, T0, tags, ttl_config

SERVICES = ("ec2", "s3", "resourcegroupstaggingapi", "rds", "autoscaling", "elbv2", "eks", "iam", "sts")


class Counted(dict[str, Any]):
    """Clients for every service the job may call, each counting the operations it sends (the
    account, read once per run with STS, is handed in)."""

    def __init__(self) -> None:
        super().__init__()
        self["aws:account"] = aws_client("sts", REGION).get_caller_identity()["Account"]
        self.calls: Counter[str] = Counter()
        for service in SERVICES:
            client = aws_client(service, REGION)
            client.meta.events.register("before-call.*.*", self._count)
            self[f"aws:{service}:{REGION}"] = client

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1


def every_type(fleet: dict[str, Any]) -> Any:
    """The configuration a whole run would read eleven types with."""
    return load_settings(ttl_config(fleet["dir"], aws={"types": list(TYPES)}))


@pytest.mark.parametrize("how", ["id", "arn"])
def test_explaining_an_instance_makes_one_describe_call_not_a_fleet_read(fleet: dict[str, Any], how: str) -> None:
    doomed = fleet["ids"]["doomed"]
    clients = Counted()
    wanted = doomed if how == "id" else f"arn:aws:ec2:{REGION}:{clients['aws:account']}:instance/{doomed}"
    answer = explain(every_type(fleet), wanted, T0, clients)
    assert answer["name"] == doomed and answer["verdict"] == "warn"
    assert clients.calls == Counter({"DescribeInstances": 1})


def test_extending_a_volume_reads_it_alone_and_tags_it(fleet: dict[str, Any]) -> None:
    ec2 = fleet["ec2"]
    volume = ec2.create_volume(
        AvailabilityZone=f"{REGION}a", Size=8, TagSpecifications=[{"ResourceType": "volume", "Tags": tags(T0)}]
    )["VolumeId"]
    clients = Counted()
    answer = extend(every_type(fleet), volume, 7, "demo", OWNER, T0, clients)
    assert answer["ttl_tag"] == "2d+7d"
    assert clients.calls == Counter({"DescribeVolumes": 1, "CreateTags": 1})


def test_a_security_group_is_read_with_what_uses_it_and_nothing_else(fleet: dict[str, Any]) -> None:
    ec2 = fleet["ec2"]
    group = ec2.create_security_group(
        GroupName="web", Description="web", TagSpecifications=[{"ResourceType": "security-group", "Tags": tags(T0)}]
    )["GroupId"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    user = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SecurityGroupIds=[group])["Instances"][0]
    clients = Counted()
    answer = explain(every_type(fleet), group, T0, clients)
    assert answer["related"] == [user["InstanceId"]]
    assert set(clients.calls) == {"DescribeSecurityGroups", "DescribeNetworkInterfaces"}


def test_a_name_still_needs_the_whole_inventory(fleet: dict[str, Any]) -> None:
    """A Name tag may be any type's: only a full read can say it names one resource."""
    clients = Counted()
    assert explain(every_type(fleet), "doomed", T0, clients)["name"] == fleet["ids"]["doomed"]
    assert clients.calls["DescribeInstances"] == 1 and clients.calls["ListBuckets"] == 1
    assert clients.calls["DescribeDBInstances"] == 1 and clients.calls["ListRoles"] == 1
