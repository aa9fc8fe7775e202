"""`--shard i/n` for secret-rotation on a real OpenBao: every managed secret is judged by one shard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.secret_rotation.kit import folder, put, run, settings
from tests.services import Vault
from tests.sharding import assert_shards_partition


def test_the_shards_of_a_dry_run_partition_the_managed_secrets(openbao: Vault, tmp_path: Path) -> None:
    base = folder()
    for i in range(9):
        put(openbao, f"{base}/app{i}/key", {"api_key": f"value-{i}-abcdefghijkl"}, age_days=10 * i, type="api_key")
    config = settings(openbao, [f"{base}/"], [])

    def one(shard: str | None) -> dict[str, Any]:
        return run(tmp_path, config, *(["--shard", shard] if shard else []))

    checked = assert_shards_partition(one)
    assert len({resource for _, resource in checked}) == 9
