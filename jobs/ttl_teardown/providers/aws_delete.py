"""AWS deletions, one side effect each, idempotent: a resource already gone is done.

A dependency still in use (a volume on a terminating instance, a security group still
referenced) raises RetryLater, and the runner tries again after the other deletions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Final

from jobs.core.clients.aws import endpoint_down
from jobs.core.errors import EndpointDown, PermanentError, RetryLater, TransientError
from jobs.ttl_teardown.providers.aws_read import Aws

GONE = {
    "NoSuchEntity",
    "LoadBalancerNotFound",
    "TargetGroupNotFound",
    "ResourceNotFoundException",
    "InvalidInstanceID.NotFound",
    "InvalidVolume.NotFound",
    "InvalidGroup.NotFound",
    "NoSuchBucket",
    "DBInstanceNotFound",
    "DBInstanceNotFoundFault",
}
IN_USE = {"DependencyViolation", "VolumeInUse", "ResourceInUse", "BucketNotEmpty", "InvalidDBInstanceState"}
THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown", "TooManyRequestsException"}


def aws_call(what: str, call: Callable[[], Any]) -> Any:
    """One AWS call with its errors in our terms; None when the resource is already gone."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in GONE:
            return None
        if code in IN_USE:
            raise RetryLater(f"{what}: {code}: {message}") from None
        if code in THROTTLED:
            raise TransientError(f"{what}: {code}") from None
        raise PermanentError(f"{what}: {code}: {message}") from None
    except BotoCoreError as exc:
        if endpoint_down(exc):  # the client's retries are spent: the runner's breaker decides
            raise EndpointDown(
                f"{what}: {exc}", endpoint=str(getattr(exc, "kwargs", {}).get("endpoint_url", ""))
            ) from None
        raise TransientError(f"{what}: {type(exc).__name__}") from None


def terminate_instance(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    details = params["details"]
    if details.get("asg"):
        raise PermanentError(
            f"part of Auto Scaling group {details['asg']}, which would replace it: tear the group down"
        )
    aws_call(f"terminate {params['name']}", lambda: aws.client("ec2").terminate_instances(InstanceIds=[params["name"]]))


def delete_volume(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    aws_call(f"delete volume {params['name']}", lambda: aws.client("ec2").delete_volume(VolumeId=params["name"]))


def delete_security_group(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    aws_call(f"delete {params['name']}", lambda: aws.client("ec2").delete_security_group(GroupId=params["name"]))


def delete_bucket(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    """Every object version and delete marker first (a versioned bucket hides them), then the bucket."""
    s3, bucket = aws.client("s3"), params["name"]
    while True:
        page = aws_call(f"list versions in {bucket}", lambda: s3.list_object_versions(Bucket=bucket, MaxKeys=1000))
        if page is None:
            return  # already gone
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
        doomed += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in page.get("DeleteMarkers", [])]
        if not doomed:
            break
        batch = {"Objects": doomed, "Quiet": True}
        aws_call(f"empty {bucket}", lambda: s3.delete_objects(Bucket=bucket, Delete=batch))  # noqa: B023 - called at once
    aws_call(f"delete bucket {bucket}", lambda: s3.delete_bucket(Bucket=bucket))


def delete_database(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    """Always with a final snapshot, named after the run so a retry does not take two."""
    if params["details"].get("deletion_protection"):
        raise PermanentError(f"{params['name']} has deletion protection on: left alone")
    identifier = params["name"]
    aws_call(
        f"delete database {identifier}",
        lambda: aws.client("rds").delete_db_instance(
            DBInstanceIdentifier=identifier,
            SkipFinalSnapshot=False,
            FinalDBSnapshotIdentifier=f"{identifier}-final-{run_id[:8]}",
            DeleteAutomatedBackups=False,
        ),
    )


def delete_auto_scaling_group(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    """Scaled to zero first, so its instances go and nothing replaces them; then the group."""
    asg, name = aws.client("autoscaling"), params["name"]
    aws_call(
        f"scale {name} to 0",
        lambda: asg.update_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, MaxSize=0, DesiredCapacity=0),
    )
    aws_call(f"delete {name}", lambda: asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True))


def delete_load_balancer(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    arn = params["details"]["resource_arn"]
    aws_call(f"delete {params['name']}", lambda: aws.client("elbv2").delete_load_balancer(LoadBalancerArn=arn))


def delete_target_group(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    arn = params["details"]["resource_arn"]
    aws_call(f"delete {params['name']}", lambda: aws.client("elbv2").delete_target_group(TargetGroupArn=arn))


def delete_nodegroup(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    d = params["details"]
    aws_call(
        f"delete nodegroup {params['name']}",
        lambda: aws.client("eks").delete_nodegroup(clusterName=d["cluster"], nodegroupName=d["nodegroup"]),
    )


def delete_cluster(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    """Only when nothing is left in it: a node group still there (even one being deleted) waits."""
    eks, name = aws.client("eks"), params["details"]["cluster"]
    left = aws_call(f"list nodegroups of {name}", lambda: eks.list_nodegroups(clusterName=name))
    if left and left.get("nodegroups"):
        raise RetryLater(f"cluster {name} still has node groups: {', '.join(left['nodegroups'])}")
    aws_call(f"delete cluster {name}", lambda: eks.delete_cluster(name=name))


def delete_role(aws: Aws, params: Mapping[str, Any], run_id: str) -> None:
    """Detached from everything first (policies, inline policies, instance profiles), then deleted."""
    iam, role = aws.client("iam"), params["details"]["role"]
    attached = aws_call(f"list policies of {role}", lambda: iam.list_attached_role_policies(RoleName=role)) or {}
    for policy in attached.get("AttachedPolicies", []):
        arn = policy["PolicyArn"]
        aws_call(f"detach {arn} from {role}", partial(iam.detach_role_policy, RoleName=role, PolicyArn=arn))
    inline = aws_call(f"list inline policies of {role}", lambda: iam.list_role_policies(RoleName=role)) or {}
    for name in inline.get("PolicyNames", []):
        aws_call(f"delete {name} of {role}", partial(iam.delete_role_policy, RoleName=role, PolicyName=name))
    profiles = aws_call(f"list profiles of {role}", lambda: iam.list_instance_profiles_for_role(RoleName=role)) or {}
    for profile in profiles.get("InstanceProfiles", []):
        name = profile["InstanceProfileName"]
        detach = partial(iam.remove_role_from_instance_profile, InstanceProfileName=name, RoleName=role)
        aws_call(f"remove {role} from {name}", detach)
    aws_call(f"delete role {role}", lambda: iam.delete_role(RoleName=role))


DELETERS: Final[dict[str, Callable[[Aws, Mapping[str, Any], str], None]]] = {
    "autoscaling:group": delete_auto_scaling_group,
    "elbv2:load-balancer": delete_load_balancer,
    "elbv2:target-group": delete_target_group,
    "eks:nodegroup": delete_nodegroup,
    "eks:cluster": delete_cluster,
    "iam:role": delete_role,
    "ec2:instance": terminate_instance,
    "ec2:volume": delete_volume,
    "ec2:security-group": delete_security_group,
    "s3:bucket": delete_bucket,
    "rds:instance": delete_database,
}
