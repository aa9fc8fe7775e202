"""IAM roles: only those tagged with an environment are teardown's business; detached, then deleted."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.providers.aws.base import Aws, aws_call, found, make_item, tag_dict, ttl_key
from jobs.ttl_teardown.tags import normal_key

SERVICE_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/", "/service-role/")


def roles(aws: Aws) -> Iterator[Item]:
    """Only roles tagged with an environment (any spelling) are teardown's business; AWS's own roles never are."""
    iam = aws.client("iam")

    def role_of(record: dict[str, Any]) -> Item | None:
        tags = tag_dict(iam.list_role_tags(RoleName=record["RoleName"]).get("Tags"))
        return _role(aws, record, tags)

    ours = (r for r in aws.pages("iam", "list_roles", "Roles") if _ours(r))
    yield from aws.each("iam:role", ours, role_of, "RoleName")


def role(aws: Aws, rid: str) -> Item | None:
    """One role by ARN (`...:role/<path>/<name>`) or name: GetRole answers with its tags."""
    name = rid.rsplit("/", 1)[-1]
    answer = found(lambda: aws.client("iam").get_role(RoleName=name))
    record = (answer or {}).get("Role")
    if not record or not _ours(record):
        return None
    return aws.one("iam:role", [record], lambda r: _role(aws, r, tag_dict(r.get("Tags"))), "RoleName")


def _ours(record: dict[str, Any]) -> bool:
    return not str(record.get("Path", "/")).startswith(SERVICE_ROLE_PATHS)


def _role(aws: Aws, record: dict[str, Any], tags: dict[str, str]) -> Item | None:
    if not any(normal_key(k) == "environment" for k in tags):
        return None
    name = record["RoleName"]
    return make_item(aws, "iam:role", record["Arn"], name, tags, record.get("CreateDate"), role=name)


def delete_role(aws: Aws, target: Target, run_id: str) -> None:
    """Detached from everything first (policies, inline policies, instance profiles), then deleted."""
    iam, name = aws.client("iam"), target.details["role"]
    attached = aws_call(f"list policies of {name}", lambda: iam.list_attached_role_policies(RoleName=name)) or {}
    for policy in attached.get("AttachedPolicies", []):
        arn = policy["PolicyArn"]
        aws_call(f"detach {arn} from {name}", partial(iam.detach_role_policy, RoleName=name, PolicyArn=arn))
    inline = aws_call(f"list inline policies of {name}", lambda: iam.list_role_policies(RoleName=name)) or {}
    for policy_name in inline.get("PolicyNames", []):
        drop = partial(iam.delete_role_policy, RoleName=name, PolicyName=policy_name)
        aws_call(f"delete {policy_name} of {name}", drop)
    profiles = aws_call(f"list profiles of {name}", lambda: iam.list_instance_profiles_for_role(RoleName=name)) or {}
    for profile in profiles.get("InstanceProfiles", []):
        profile_name = profile["InstanceProfileName"]
        detach = partial(iam.remove_role_from_instance_profile, InstanceProfileName=profile_name, RoleName=name)
        aws_call(f"remove {name} from {profile_name}", detach)
    aws_call(f"delete role {name}", lambda: iam.delete_role(RoleName=name))


def tag(aws: Aws, item: Item, value: str) -> None:
    pair = [{"Key": ttl_key(item), "Value": value}]
    aws_call(f"tag {item.name}", lambda: aws.client("iam").tag_role(RoleName=item.name, Tags=pair))
