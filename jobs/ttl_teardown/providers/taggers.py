"""Writing an extension back to the resource's own `ttl` tag, so people see it where they look.

The state DB stays the source of truth; a failed write-back is reported, not fatal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.providers.aws_delete import aws_call
from jobs.ttl_teardown.providers.aws_read import Aws


def _key(item: Item) -> str:
    """The tag key as the resource spells it (TTL, Ttl or ttl)."""
    return next((k for k in item.resource.tags if k.strip().lower() == "ttl"), "ttl")


def ec2(aws: Aws, item: Item, value: str) -> None:
    tag = [{"Key": _key(item), "Value": value}]
    aws_call(f"tag {item.name}", lambda: aws.client("ec2").create_tags(Resources=[item.name], Tags=tag))


def s3(aws: Aws, item: Item, value: str) -> None:
    """Bucket tags are replaced as a set: keep every other tag."""
    tags = [{"Key": k, "Value": v} for k, v in item.resource.tags.items() if k != _key(item)]
    tags.append({"Key": _key(item), "Value": value})
    aws_call(
        f"tag {item.name}", lambda: aws.client("s3").put_bucket_tagging(Bucket=item.name, Tagging={"TagSet": tags})
    )


def rds(aws: Aws, item: Item, value: str) -> None:
    tag = [{"Key": _key(item), "Value": value}]
    aws_call(f"tag {item.name}", lambda: aws.client("rds").add_tags_to_resource(ResourceName=item.id, Tags=tag))


def auto_scaling(aws: Aws, item: Item, value: str) -> None:
    """Whether the tag propagates to new instances stays as it was."""
    tag = {
        "ResourceId": item.name,
        "ResourceType": "auto-scaling-group",
        "Key": _key(item),
        "Value": value,
        "PropagateAtLaunch": bool(item.details.get("ttl_propagates")),
    }
    aws_call(f"tag {item.name}", lambda: aws.client("autoscaling").create_or_update_tags(Tags=[tag]))


def elbv2(aws: Aws, item: Item, value: str) -> None:
    tag = [{"Key": _key(item), "Value": value}]
    aws_call(f"tag {item.name}", lambda: aws.client("elbv2").add_tags(ResourceArns=[item.id], Tags=tag))


def eks(aws: Aws, item: Item, value: str) -> None:
    aws_call(f"tag {item.name}", lambda: aws.client("eks").tag_resource(resourceArn=item.id, tags={_key(item): value}))


def iam_role(aws: Aws, item: Item, value: str) -> None:
    tag = [{"Key": _key(item), "Value": value}]
    aws_call(f"tag {item.name}", lambda: aws.client("iam").tag_role(RoleName=item.name, Tags=tag))


TAGGERS: Final[dict[str, Callable[[Aws, Item, str], None]]] = {
    "ec2:instance": ec2,
    "ec2:volume": ec2,
    "ec2:security-group": ec2,
    "s3:bucket": s3,
    "rds:instance": rds,
    "autoscaling:group": auto_scaling,
    "elbv2:load-balancer": elbv2,
    "elbv2:target-group": elbv2,
    "eks:nodegroup": eks,
    "eks:cluster": eks,
    "iam:role": iam_role,
}


def annotate(cluster: Any, item: Item, value: str) -> None:
    """Kubernetes: an annotation (a label value cannot hold `7d+14d`)."""
    from jobs.core.clients.kubernetes import api_call
    from jobs.ttl_teardown.providers.kubernetes import KINDS

    details = item.details
    spec = KINDS[details["kind"]]
    patch = {"metadata": {"annotations": {"ttl": value}}}
    name = "patch_namespace" if details["kind"] == "namespace" else spec.delete.replace("delete_", "patch_")
    method = getattr(cluster.apis[spec.api], name)
    args = [details["name"], patch] if not spec.namespaced else [details["name"], details["namespace"], patch]
    api_call(lambda: method(*args), f"annotate {item.name}")
