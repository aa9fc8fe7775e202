"""The sharding property every job must keep: the shards of 1..5 partition an unsharded run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

SHARD_COUNTS = range(1, 6)


def checked(result: dict[str, Any]) -> Counter[tuple[str, str]]:
    """What a run looked at: one (finding type, resource) per finding."""
    return Counter((f["type"], f["resource"]) for f in result["findings"])


def assert_shards_partition(run: Callable[[str | None], dict[str, Any]]) -> Counter[tuple[str, str]]:
    """`run(shard)` is one run of a job (`shard` None: unsharded). For every shard count, the
    shards together check exactly what the unsharded run checks, each item in one shard."""
    whole = run(None)
    expected = checked(whole)
    assert expected, "the unsharded run checked nothing: the test proves nothing"
    for count in SHARD_COUNTS:
        together: Counter[tuple[str, str]] = Counter()
        total = 0
        for index in range(count):
            part = run(f"{index}/{count}")
            assert part["shard"] == f"{index}/{count}"
            together += checked(part)
            total += part["summary"]["total_checked"]
        assert together == expected, f"{count} shards: missing {expected - together}, extra {together - expected}"
        assert total == whole["summary"]["total_checked"], f"{count} shards checked {total} items"
    return expected
