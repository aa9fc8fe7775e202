"""AWS deletions, one side effect each, idempotent: a resource already gone is done.

A dependency still in use (a volume on a terminating instance, a security group still
referenced) raises RetryLater, and the runner tries again after the other deletions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from jobs.core.errors import PermanentError, RetryLater, TransientError
from jobs.ttl_teardown.providers.aws_read import Aws

GONE = {
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


DELETERS: Final[dict[str, Callable[[Aws, Mapping[str, Any], str], None]]] = {
    "ec2:instance": terminate_instance,
    "ec2:volume": delete_volume,
    "ec2:security-group": delete_security_group,
    "s3:bucket": delete_bucket,
    "rds:instance": delete_database,
}
