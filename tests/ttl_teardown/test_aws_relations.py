"""What holds what, read from moto's server, and what the plan makes of it: a resource a kept
one depends on is kept naming it, never a delete that fails every day with VolumeInUse."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from jobs.core.clients.aws import aws_client
from jobs.core.registry import JOBS
from jobs.core.resolve import load_settings
from jobs.core.runtime import Runtime
from jobs.ttl_teardown.extend import extend
from jobs.ttl_teardown.providers.aws.base import Aws
from jobs.ttl_teardown.providers.aws.types import TYPES as SPECS
from tests import services
from tests.helpers import outbox, run_cli
from tests.ttl_teardown.fleet import OWNER, REGION, T0, tags, ttl_config
from tests.ttl_teardown.test_aws_reads import moto_env, through

__all__ = ["moto_env"]  # the fixture, shared
CREATED = T0 - timedelta(days=1)  # ttl 2d: expired at T0 + 1 day
TYPES = {"types": ["ec2:instance", "ec2:volume", "ec2:security-group"]}


def web_server(ec2: Any) -> tuple[str, str, str]:
    """An instance in its own security group with a data volume attached, all three tagged alike."""

    def spec(kind: str) -> list[dict[str, Any]]:
        return [{"ResourceType": kind, "Tags": tags(CREATED)}]

    group = ec2.create_security_group(GroupName="web", Description="web", TagSpecifications=spec("security-group"))
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, SecurityGroupIds=[group["GroupId"]], TagSpecifications=spec("instance")
    )["Instances"][0]["InstanceId"]
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=10, TagSpecifications=spec("volume"))["VolumeId"]
    ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/sdf")
    return instance, volume, group["GroupId"]


def run(tmp_path: Path, when: Any) -> dict[str, Any]:
    config = ttl_config(tmp_path, aws=TYPES)
    argv = ["--config", config, "--now", when.isoformat(), "--apply"]
    return run_cli(JOBS["ttl-teardown"], argv, Runtime(sleep=lambda _: None))


def test_extending_an_instance_keeps_its_volume_and_group_and_no_delete_fails(
    moto_env: services.Moto, tmp_path: Path
) -> None:
    ec2 = aws_client("ec2", REGION)
    instance, volume, group = web_server(ec2)
    first = run(tmp_path, T0 + timedelta(days=3))  # all expired, never warned: the owner is warned
    assert [a["kind"] for a in first["actions"]] == ["warn"]
    [mail] = [m for m in outbox(tmp_path) if m["recipients"] == [OWNER]]
    [line] = [line for line in mail["body"].splitlines() if line.startswith(f"- {instance} (ec2:instance")]
    assert "; goes with " in line and group in line and volume in line
    extended = extend(
        load_settings(ttl_config(tmp_path, aws=TYPES)), instance, 7, "demo", OWNER, T0 + timedelta(days=3)
    )
    assert set(extended["related"]) >= {volume, group}

    second = run(tmp_path, T0 + timedelta(days=4, hours=1))  # the notice has run for the volume and the group
    assert [a for a in second["actions"] if a["kind"] == "delete"] == [] and second["exit_code"] == 0
    kept = {f["details"]["name"]: f["details"].get("kept_reason") for f in second["findings"] if f["type"] == "ttl"}
    assert kept[volume] == kept[group] == f"in use by {instance} (ec2:instance), which stays: expires in 3d 23h"
    assert ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["State"] == "in-use"
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]  # moto would delete it in use


def test_readers_record_attachments_network_interfaces_and_group_references(moto_env: services.Moto) -> None:
    ec2 = aws_client("ec2", REGION)
    instance, volume, group = web_server(ec2)
    other = ec2.create_security_group(GroupName="db", Description="db")["GroupId"]
    pair = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": group}]}
    ec2.authorize_security_group_ingress(GroupId=other, IpPermissions=[pair])  # "db" admits "web"
    aws = Aws(REGION, lambda service: aws_client(service, REGION), "123456789012")
    arn = {i.name: i for kind in TYPES["types"] for i in SPECS[kind].reader()(aws)}
    assert arn[instance].id in arn[volume].held_by
    assert {arn[instance].id, arn[other].id} <= set(arn[group].held_by)
    assert {arn[volume].id, arn[group].id} <= set(arn[instance].holds)


def test_a_target_group_is_held_by_its_load_balancer_and_an_instance_by_its_group(
    moto_env: services.Moto, monkeypatch: Any
) -> None:
    ec2, elb, asg = (aws_client(s, REGION) for s in ("ec2", "elbv2", "autoscaling"))
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"][:2]]
    balancer = elb.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    target = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    forward = [{"Type": "forward", "TargetGroupArn": target["TargetGroupArn"]}]
    elb.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=forward)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.create_launch_template(LaunchTemplateName="runner", LaunchTemplateData={"ImageId": image})
    asg.create_auto_scaling_group(
        AutoScalingGroupName="ci-runners", LaunchTemplate={"LaunchTemplateName": "runner"}, MinSize=1, MaxSize=1,
        DesiredCapacity=1, VPCZoneIdentifier=subnets[0],
    )  # fmt: skip
    aws = through(moto_env.endpoint, monkeypatch)
    [group] = SPECS["elbv2:target-group"].reader()(aws)
    assert group.held_by == (balancer,)
    [runners] = SPECS["autoscaling:group"].reader()(aws)
    members = {i.id for i in SPECS["ec2:instance"].reader()(aws)}
    assert set(runners.holds) == members and len(members) == 1
