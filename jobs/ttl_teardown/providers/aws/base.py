"""What every AWS service module shares: the region's clients, paging, records that cannot be
read, tags as a mapping, and one call with its errors in our terms.

Every reader returns Items with the tags, the API's own creation time (reported when it
disagrees with the `created_at` tag; LaunchTime resets on stop/start, so it is never the
clock) and what pricing and deletion need.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from jobs.core.clients.aws import endpoint_down
from jobs.core.errors import EndpointDown, PermanentError, RetryLater, TransientError
from jobs.core.model import RunError
from jobs.ttl_teardown.cost import Sizing
from jobs.ttl_teardown.model import Item
from jobs.ttl_teardown.rules import Resource

#: error codes meaning the resource is already gone: its delete is done
GONE = frozenset(
    {
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
)
#: what a read-one also takes for "no such resource": an id of the wrong shape names nothing
NOT_FOUND = GONE | {"InvalidInstanceID.Malformed", "InvalidVolumeID.Malformed", "InvalidGroupId.Malformed"}
IN_USE = frozenset({"DependencyViolation", "VolumeInUse", "ResourceInUse", "BucketNotEmpty", "InvalidDBInstanceState"})
THROTTLED = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown", "TooManyRequestsException"}
)

T = TypeVar("T")


@dataclass
class Aws:
    """Clients for one region, and the account (one STS call per run)."""

    region: str
    client: Callable[[str], Any]  # service name → client for this region
    account: str
    errors: list[RunError] = field(default_factory=list)  # records that could not be read

    def arn(self, service: str, what: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{what}"

    def each(
        self, kind: str, records: Iterable[Any], make: Callable[[Any], Item | None], key: str = "Name"
    ) -> Iterator[Item]:
        """`make` over every record (None: not ours); one that cannot be read, or whose own call
        fails, is an error naming it, never the end of its type: the rest are still read."""
        for record in records:
            try:
                item = make(record)
            except _unreadable() as exc:
                name = record.get(key) if isinstance(record, dict) else record
                self.errors.append(RunError(f"aws:{self.region}:{kind}:{name or '?'}", f"unreadable: {why(exc)}"))
                continue
            if item is not None:
                yield item

    def one(
        self, kind: str, records: Iterable[Any], make: Callable[[Any], Item | None], key: str = "Name"
    ) -> Item | None:
        """The first readable record as an Item, or None (a read-one: absent, or not ours)."""
        return next(iter(self.each(kind, records, make, key)), None)

    def pages(self, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        for page in self.client(service).get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])


@functools.cache
def _unreadable() -> tuple[type[Exception], ...]:
    from botocore.exceptions import ClientError

    return (AttributeError, KeyError, TypeError, ValueError, ClientError)


def why(exc: Exception) -> str:
    """An error as one line: an AWS error's code and message, else the exception's type and text."""
    error = getattr(exc, "response", {}).get("Error", {})
    return f"{error.get('Code')}: {error.get('Message')}" if error else f"{type(exc).__name__}: {exc}"


def tag_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """AWS's `[{Key, Value}]` as a mapping. `Value` is optional in botocore's models (EC2, RDS,
    Auto Scaling, ELBv2): a tag without one is an empty tag, never a failed read."""
    return {t["Key"]: t.get("Value") or "" for t in tags or () if isinstance(t.get("Key"), str)}


def ttl_key(item: Item) -> str:
    """The ttl tag key as the resource spells it (TTL, Ttl or ttl), for writing it back."""
    return next((k for k in item.resource.tags if k.strip().lower() == "ttl"), "ttl")


def make_item(
    aws: Aws,
    kind: str,
    arn: str,
    name: str,
    tags: Mapping[str, str],
    created: datetime | None,
    sizing: Sizing | None = None,
    held_by: Iterable[str] = (),
    holds: Iterable[str] = (),
    **details: Any,
) -> Item:
    resource = Resource(arn, kind, dict(tags), api_created_at=created)
    return Item(resource, "aws", aws.region, name, sizing or Sizing(), details, tuple(held_by), tuple(holds))


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
        if code in THROTTLED:  # after botocore's own retries: the one layer for AWS
            raise TransientError(f"{what}: {code}", retried=True) from None
        raise PermanentError(f"{what}: {code}: {message}") from None
    except BotoCoreError as exc:
        if endpoint_down(exc):  # the client's retries are spent: the runner's breaker decides
            raise EndpointDown(
                f"{what}: {exc}", endpoint=str(getattr(exc, "kwargs", {}).get("endpoint_url", ""))
            ) from None
        raise TransientError(f"{what}: {type(exc).__name__}", retried=True) from None


def found(call: Callable[[], T]) -> T | None:
    """A read-one's call: None when AWS says there is no such resource. Any other error is
    raised: the resource may exist, so "absent" would be a guess."""
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in NOT_FOUND:
            return None
        raise
