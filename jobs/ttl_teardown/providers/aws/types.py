"""One entry per AWS resource type naming everything about it, as cloud-custodian's
`resource_type`: where it is read (all, or one), deleted and tagged, its place in the deletion
order, its scope, its price and quota keys, and the IAM grants each of those four needs.

Every other table of the job derives from this one (settings' type list, the deletion order,
pricing, quotas, the reads of `explain`), and the deployment generators read the grants. The
service modules are imported when a function is first asked for, so a Kubernetes-only run never
loads them (nor boto3).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Final, Literal

from jobs.core.permissions import AwsGrant, Permissions
from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.quota import Quota

if TYPE_CHECKING:
    from jobs.ttl_teardown.providers.aws.base import Aws

Scope = Literal["region", "global"]
Reader = Callable[["Aws"], Iterator[Item]]
ReadOne = Callable[["Aws", str], "Item | None"]
Deleter = Callable[["Aws", Target, str], None]
Tagger = Callable[["Aws", Item, str], None]


@dataclass(frozen=True)
class Grants:
    """The IAM actions each operation on the type needs, exactly as AWS spells them."""

    read: tuple[AwsGrant, ...]
    read_one: tuple[AwsGrant, ...]
    delete: tuple[AwsGrant, ...]
    tag: tuple[AwsGrant, ...]

    def permissions(self) -> Permissions:
        return Permissions(self.read) + Permissions(self.read_one) + Permissions(self.delete) + Permissions(self.tag)


@dataclass(frozen=True)
class TypeSpec:
    service: str  # the module under providers/aws that owns the type
    read: str  # function names in that module
    read_one: str
    delete: str
    tag: str
    order: int  # deletion order: lower goes first (what holds on to others)
    scope: Scope  # "global": read once, from the first region (S3, IAM)
    price: str | None  # key of cost.PRICES; None: no price is known, reported as unknown
    quota: Quota | None  # None: counts against no quota
    arn: tuple[str, str]  # (ARN service, resource prefix) of its ids: how `explain` knows an ARN's type
    short_id: str | None  # the shape of its own ids (`i-0abc`), or None where a name is all there is
    grants: Grants

    def _module(self) -> ModuleType:
        return importlib.import_module(f"jobs.ttl_teardown.providers.aws.{self.service}")

    def reader(self) -> Reader:
        found: Reader = getattr(self._module(), self.read)
        return found

    def reader_one(self) -> ReadOne:
        found: ReadOne = getattr(self._module(), self.read_one)
        return found

    def deleter(self) -> Deleter:
        found: Deleter = getattr(self._module(), self.delete)
        return found

    def tagger(self) -> Tagger:
        found: Tagger = getattr(self._module(), self.tag)
        return found

    def permissions(self) -> Permissions:
        return self.grants.permissions()


def _g(purpose: str, *actions: str) -> tuple[AwsGrant, ...]:
    return (AwsGrant(tuple(actions), "*", purpose),)


_EC2_TAG = _g("write an extension back to the ttl tag", "ec2:CreateTags")
_ELB_TAG = _g("write an extension back to the ttl tag", "elasticloadbalancing:AddTags")
_EKS_TAG = _g("write an extension back to the ttl tag", "eks:TagResource")


def _elb(noun: str, describe: str, delete: str) -> Grants:
    """Load balancers and target groups: described, their tags in batches, deleted, tagged alike."""
    reads = (f"elasticloadbalancing:{describe}", "elasticloadbalancing:DescribeTags")
    return Grants(
        read=_g(f"list {noun}s and their tags", *reads),
        read_one=_g(f"read one {noun} and its tags", *reads),
        delete=_g(f"delete a {noun}", f"elasticloadbalancing:{delete}"),
        tag=_ELB_TAG,
    )


_SG_READ = ("ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces")

TYPES: Final[dict[str, TypeSpec]] = {
    "iam:role": TypeSpec(
        "iam", "roles", "role", "delete_role", "tag", 0, "global", None, None, ("iam", "role/"), None,
        Grants(
            read=_g("list roles and their tags", "iam:ListRoles", "iam:ListRoleTags"),
            read_one=_g("read one role with its tags", "iam:GetRole"),
            delete=_g(
                "detach a role from everything, then delete it",
                "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy", "iam:ListRolePolicies",
                "iam:DeleteRolePolicy", "iam:ListInstanceProfilesForRole", "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteRole",
            ),
            tag=_g("write an extension back to the ttl tag", "iam:TagRole"),
        ),
    ),
    "autoscaling:group": TypeSpec(
        "autoscaling", "groups", "group", "delete_group", "tag", 1, "region", None, None,
        ("autoscaling", "autoScalingGroup:"), None,
        Grants(
            read=_g("list Auto Scaling groups", "autoscaling:DescribeAutoScalingGroups"),
            read_one=_g("read one Auto Scaling group", "autoscaling:DescribeAutoScalingGroups"),
            delete=_g(
                "scale a group to zero, then delete it",
                "autoscaling:UpdateAutoScalingGroup", "autoscaling:DeleteAutoScalingGroup",
            ),
            tag=_g("write an extension back to the ttl tag", "autoscaling:CreateOrUpdateTags"),
        ),
    ),
    "ec2:instance": TypeSpec(
        "ec2", "instances", "instance", "terminate_instance", "tag", 2, "region", "ec2", Quota("ec2_instances"),
        ("ec2", "instance/"), r"i-[0-9a-f]{8}(?:[0-9a-f]{9})?",
        Grants(
            read=_g("list live instances", "ec2:DescribeInstances"),
            read_one=_g("read one instance", "ec2:DescribeInstances"),
            delete=_g("terminate an instance", "ec2:TerminateInstances"),
            tag=_EC2_TAG,
        ),
    ),
    "elbv2:load-balancer": TypeSpec(
        "elbv2", "load_balancers", "load_balancer", "delete_load_balancer", "tag", 3, "region", None, None,
        ("elasticloadbalancing", "loadbalancer/"), None,
        _elb("load balancer", "DescribeLoadBalancers", "DeleteLoadBalancer"),
    ),
    "elbv2:target-group": TypeSpec(
        "elbv2", "target_groups", "target_group", "delete_target_group", "tag", 4, "region", None, None,
        ("elasticloadbalancing", "targetgroup/"), None,
        _elb("target group", "DescribeTargetGroups", "DeleteTargetGroup"),
    ),
    "s3:bucket": TypeSpec(
        "s3", "buckets", "bucket", "delete_bucket", "tag", 5, "global", "s3", Quota("s3_buckets"), ("s3", ""), None,
        Grants(
            read=_g("list buckets and their tags", "s3:ListAllMyBuckets", "tag:GetResources"),
            read_one=_g("read one bucket and its tags", "s3:ListAllMyBuckets", "s3:GetBucketTagging"),
            delete=_g(
                "empty a bucket of every version, then delete it",
                "s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket",
            ),
            tag=_g("write an extension back to the ttl tag (the whole tag set)", "s3:PutBucketTagging"),
        ),
    ),
    "rds:instance": TypeSpec(
        "rds", "databases", "database", "delete_database", "tag", 6, "region", "rds", Quota("rds_databases"),
        ("rds", "db:"), None,
        Grants(
            read=_g("list databases with their tags", "rds:DescribeDBInstances"),
            read_one=_g("read one database with its tags", "rds:DescribeDBInstances"),
            delete=_g(
                "delete a database, taking a final snapshot (which copies its tags)",
                "rds:DeleteDBInstance", "rds:CreateDBSnapshot", "rds:AddTagsToResource",
            ),
            tag=_g("write an extension back to the ttl tag", "rds:AddTagsToResource"),
        ),
    ),
    "ec2:volume": TypeSpec(
        "ec2", "volumes", "volume", "delete_volume", "tag", 7, "region", "ebs", Quota("ebs_volumes_gb", "size_gb"),
        ("ec2", "volume/"), r"vol-[0-9a-f]{8}(?:[0-9a-f]{9})?",
        Grants(
            read=_g("list live volumes", "ec2:DescribeVolumes"),
            read_one=_g("read one volume", "ec2:DescribeVolumes"),
            delete=_g("delete a volume", "ec2:DeleteVolume"),
            tag=_EC2_TAG,
        ),
    ),
    "ec2:security-group": TypeSpec(
        "ec2", "security_groups", "security_group", "delete_security_group", "tag", 8, "region", None, None,
        ("ec2", "security-group/"), r"sg-[0-9a-f]{8}(?:[0-9a-f]{9})?",
        Grants(
            read=_g("list security groups and the interfaces using them", *_SG_READ),
            read_one=_g("read one security group and what uses it", *_SG_READ),
            delete=_g("delete a security group", "ec2:DeleteSecurityGroup"),
            tag=_EC2_TAG,
        ),
    ),
    "eks:nodegroup": TypeSpec(
        "eks", "nodegroups", "nodegroup", "delete_nodegroup", "tag", 9, "region", None, None,
        ("eks", "nodegroup/"), None,
        Grants(
            read=_g("list clusters and their node groups", "eks:ListClusters", "eks:ListNodegroups",
                    "eks:DescribeNodegroup"),
            read_one=_g("read one node group", "eks:DescribeNodegroup"),
            delete=_g("delete a node group", "eks:DeleteNodegroup"),
            tag=_EKS_TAG,
        ),
    ),
    "eks:cluster": TypeSpec(
        "eks", "clusters", "cluster", "delete_cluster", "tag", 10, "region", None, None, ("eks", "cluster/"), None,
        Grants(
            read=_g("list clusters", "eks:ListClusters", "eks:DescribeCluster"),
            read_one=_g("read one cluster", "eks:DescribeCluster"),
            delete=_g("delete a cluster once it has no node group", "eks:ListNodegroups", "eks:DeleteCluster"),
            tag=_EKS_TAG,
        ),
    ),
}  # fmt: skip


def type_of_arn(arn: str) -> str | None:
    """The type an ARN names (`arn:aws:ec2:r:a:volume/vol-1` → ec2:volume), or None."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], parts[5]
    return next((t for t, s in TYPES.items() if s.arn[0] == service and resource.startswith(s.arn[1])), None)


def type_of_id(text: str) -> str | None:
    """The type whose own ids look like `text` (`i-0abc…` → ec2:instance), or None."""
    return next((t for t, s in TYPES.items() if s.short_id and re.fullmatch(s.short_id, text)), None)


def region_of(arn: str) -> str | None:
    """An ARN's region field (empty for S3 and IAM: the first region reads them)."""
    parts = arn.split(":")
    return parts[3] or None if arn.startswith("arn:") and len(parts) > 3 else None
