"""Auto Scaling, load balancing, EKS and IAM against moto: read with tags, deleted in full."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jobs.core.errors import RetryLater
from jobs.ttl_teardown.model import Target
from jobs.ttl_teardown.providers.aws.base import Aws
from jobs.ttl_teardown.providers.aws.types import TYPES
from tests.ttl_teardown.test_aws_provider import REGION, aws, tags  # noqa: F401 - the aws fixture

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


def read(aws: Aws, kind: str) -> dict[str, Any]:  # noqa: F811
    return {i.name: i for i in TYPES[kind].reader()(aws)}


def delete(aws: Aws, kind: str, item: Any) -> None:  # noqa: F811
    TYPES[kind].deleter()(aws, Target(kind, REGION, item.name, dict(item.details)), "run-1")


def subnets(aws: Aws) -> list[str]:  # noqa: F811
    return [s["SubnetId"] for s in aws.client("ec2").describe_subnets()["Subnets"]][:2]


def make_auto_scaling_group(aws: Aws) -> None:  # noqa: F811
    ec2, asg = aws.client("ec2"), aws.client("autoscaling")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.create_launch_template(
        LaunchTemplateName="ci-template", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="ci-runners",
        LaunchTemplate={"LaunchTemplateName": "ci-template", "Version": "$Latest"},
        MinSize=1,
        MaxSize=2,
        DesiredCapacity=1,
        AvailabilityZones=[f"{REGION}a"],
        Tags=[{**t, "PropagateAtLaunch": True} for t in tags()],
    )


def test_an_auto_scaling_group_is_scaled_to_zero_and_deleted(aws: Aws) -> None:  # noqa: F811
    make_auto_scaling_group(aws)
    item = read(aws, "autoscaling:group")["ci-runners"]
    assert item.tag("owner") == "dana@example.com" and len(item.details["instances"]) == 1
    delete(aws, "autoscaling:group", item)
    assert "ci-runners" not in read(aws, "autoscaling:group")


def make_balancers(aws: Aws) -> tuple[dict[str, Any], dict[str, Any]]:  # noqa: F811
    elb = aws.client("elbv2")
    vpc = aws.client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
    lb = elb.create_load_balancer(Name="pr-42-alb", Subnets=subnets(aws), Tags=tags())["LoadBalancers"][0]
    tg = elb.create_target_group(Name="pr-42-tg", Protocol="HTTP", Port=80, VpcId=vpc, Tags=tags())["TargetGroups"][0]
    return lb, tg


def test_load_balancers_and_target_groups_with_batched_tags(aws: Aws) -> None:  # noqa: F811
    lb, tg = make_balancers(aws)
    balancers, groups = read(aws, "elbv2:load-balancer"), read(aws, "elbv2:target-group")
    assert balancers["pr-42-alb"].id == lb["LoadBalancerArn"] and balancers["pr-42-alb"].tag("project") == "checkout"
    assert groups["pr-42-tg"].id == tg["TargetGroupArn"] and groups["pr-42-tg"].tag("ttl") == "7d"
    delete(aws, "elbv2:load-balancer", balancers["pr-42-alb"])
    delete(aws, "elbv2:target-group", groups["pr-42-tg"])
    assert read(aws, "elbv2:load-balancer") == {} and read(aws, "elbv2:target-group") == {}


def make_eks(aws: Aws) -> None:  # noqa: F811
    eks, role = aws.client("eks"), "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(
        name="preview",
        roleArn=role,
        resourcesVpcConfig={"subnetIds": subnets(aws)},
        tags={t["Key"]: t["Value"] for t in tags()},
    )
    eks.create_nodegroup(
        clusterName="preview",
        nodegroupName="workers",
        nodeRole=role,
        subnets=subnets(aws),
        tags={t["Key"]: t["Value"] for t in tags()},
    )


def test_an_eks_cluster_goes_only_when_its_node_groups_are_gone(aws: Aws) -> None:  # noqa: F811
    make_eks(aws)
    groups, clusters = read(aws, "eks:nodegroup"), read(aws, "eks:cluster")
    assert groups["preview/workers"].tag("environment") == "dev" and "preview" in clusters
    with pytest.raises(RetryLater, match="still has node groups: workers"):
        delete(aws, "eks:cluster", clusters["preview"])
    delete(aws, "eks:nodegroup", groups["preview/workers"])
    delete(aws, "eks:cluster", clusters["preview"])
    assert read(aws, "eks:cluster") == {}


def make_role(aws: Aws) -> None:  # noqa: F811
    aws.client("iam").create_role(RoleName="pr-42-app", AssumeRolePolicyDocument=TRUST, Tags=tags())


def test_only_roles_tagged_for_an_environment_and_they_are_detached_before_deletion(aws: Aws) -> None:  # noqa: F811
    iam = aws.client("iam")
    make_role(aws)
    iam.create_role(RoleName="untagged-legacy", AssumeRolePolicyDocument=TRUST)
    iam.create_role(
        RoleName="AWSServiceRoleForX",
        Path="/aws-service-role/x.amazonaws.com/",
        AssumeRolePolicyDocument=TRUST,
        Tags=tags(),
    )
    policy = iam.create_policy(
        PolicyName="read",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="pr-42-app", PolicyArn=policy)
    iam.put_role_policy(
        RoleName="pr-42-app",
        PolicyName="inline",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
        ),
    )
    iam.create_instance_profile(InstanceProfileName="pr-42-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="pr-42-profile", RoleName="pr-42-app")
    roles = read(aws, "iam:role")
    assert list(roles) == ["pr-42-app"]
    delete(aws, "iam:role", roles["pr-42-app"])
    assert read(aws, "iam:role") == {}
    assert iam.get_instance_profile(InstanceProfileName="pr-42-profile")["InstanceProfile"]["Roles"] == []


MAKERS = {
    "autoscaling:group": make_auto_scaling_group,
    "elbv2:load-balancer": make_balancers,
    "elbv2:target-group": make_balancers,
    "eks:cluster": make_eks,  # not eks:nodegroup: moto's TagResource tags clusters only (real EKS tags both)
    "iam:role": make_role,
}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_an_extension_is_written_back_to_the_ttl_tag_and_nothing_else_changes(aws: Aws, kind: str) -> None:  # noqa: F811
    MAKERS[kind](aws)
    (item,) = read(aws, kind).values()
    TYPES[kind].tagger()(aws, item, "7d+7d")
    again = read(aws, kind)[item.name]
    assert again.tag("ttl") == "7d+7d"
    assert {k: v for k, v in again.resource.tags.items() if k != "ttl"} == {
        k: v for k, v in item.resource.tags.items() if k != "ttl"
    }
    if kind == "autoscaling:group":  # new instances still get the tag
        assert again.details["ttl_propagates"] is True
