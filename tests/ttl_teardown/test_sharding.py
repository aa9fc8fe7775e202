"""`--shard i/n` for ttl-teardown on moto's server: every resource is decided by exactly one shard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from tests.helpers import run_cli
from tests.sharding import assert_shards_partition
from tests.ttl_teardown.fleet import T0, ttl_config


def test_the_shards_of_a_dry_run_partition_the_fleet(fleet: dict[str, Any]) -> None:
    config = ttl_config(fleet["dir"], whitelist={"tags": [{"key": "critical", "value": "true"}]})

    def run(shard: str | None) -> dict[str, Any]:
        argv = [
            "--config",
            config,
            "--now",
            (T0 + timedelta(days=3)).isoformat(),
            *(["--shard", shard] if shard else []),
        ]
        return run_cli(JOBS["ttl-teardown"], argv, Runtime(sleep=lambda _: None))

    checked = assert_shards_partition(run)
    resources = {resource for _, resource in checked}
    assert all(any(i in r for r in resources) for i in fleet["ids"].values())  # every instance was decided
