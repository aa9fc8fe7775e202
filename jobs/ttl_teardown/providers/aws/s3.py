"""S3 buckets: one namespace, read once (from the first region); emptied of every version, then deleted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jobs.ttl_teardown.cost import Sizing
from jobs.ttl_teardown.model import Item, Target
from jobs.ttl_teardown.providers.aws.base import Aws, aws_call, found, make_item, tag_dict, ttl_key


def buckets(aws: Aws) -> Iterator[Item]:
    """Tags from the tagging API in batches, so untagged buckets are still listed (and reported), not skipped."""
    tagged = {
        m["ResourceARN"]: tag_dict(m.get("Tags"))
        for m in aws.pages(
            "resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList", ResourceTypeFilters=["s3"]
        )
        if m.get("ResourceARN")
    }
    listed = aws.client("s3").list_buckets().get("Buckets", [])
    yield from aws.each("s3:bucket", listed, lambda b: _bucket(aws, b, tagged.get(f"arn:aws:s3:::{b['Name']}", {})))


def bucket(aws: Aws, rid: str) -> Item | None:
    """One bucket by ARN or name: its creation date from ListBuckets (no other call has it), its own tags."""
    name = rid.removeprefix("arn:aws:s3:::")
    listed = [b for b in aws.client("s3").list_buckets().get("Buckets", []) if b.get("Name") == name]
    if not listed:
        return None
    tags = found(lambda: _tags(aws, name))
    return None if tags is None else aws.one("s3:bucket", listed, lambda b: _bucket(aws, b, tags))


def _tags(aws: Aws, name: str) -> dict[str, str]:
    """A bucket's tags; S3 answers NoSuchTagSet for a bucket without any, an error that means "none"."""
    from botocore.exceptions import ClientError

    try:
        answer = aws.client("s3").get_bucket_tagging(Bucket=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchTagSet":
            return {}
        raise
    return tag_dict(answer.get("TagSet"))


def _bucket(aws: Aws, b: Mapping[str, Any], tags: Mapping[str, str]) -> Item:
    arn = f"arn:aws:s3:::{b['Name']}"
    return make_item(
        aws, "s3:bucket", arn, b["Name"], tags, b.get("CreationDate"), Sizing(size_gb=None), bucket=b["Name"]
    )


def delete_bucket(aws: Aws, target: Target, run_id: str) -> None:
    """Every object version and delete marker first (a versioned bucket hides them), then the bucket."""
    s3, name = aws.client("s3"), target.name
    while True:
        page = aws_call(f"list versions in {name}", lambda: s3.list_object_versions(Bucket=name, MaxKeys=1000))
        if page is None:
            return  # already gone
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
        doomed += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in page.get("DeleteMarkers", [])]
        if not doomed:
            break
        batch = {"Objects": doomed, "Quiet": True}
        aws_call(f"empty {name}", lambda: s3.delete_objects(Bucket=name, Delete=batch))  # noqa: B023 - called at once
    aws_call(f"delete bucket {name}", lambda: s3.delete_bucket(Bucket=name))


def tag(aws: Aws, item: Item, value: str) -> None:
    """Bucket tags are replaced as a set: keep every other tag."""
    key = ttl_key(item)
    tags = [{"Key": k, "Value": v} for k, v in item.resource.tags.items() if k != key]
    tags.append({"Key": key, "Value": value})
    aws_call(
        f"tag {item.name}", lambda: aws.client("s3").put_bucket_tagging(Bucket=item.name, Tagging={"TagSet": tags})
    )
