"""`--shard i/n`: one key function, decided once, partitions every run (tests/sharding.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from jobs.core.runtime import Shard
from tests.helpers import run_sample
from tests.sample_jobs import write_items
from tests.sharding import assert_shards_partition

# keys as sources spell them, and worse: case and whitespace variants, '#', non-ASCII and look-alike
# digits, empty, huge, and lone surrogates (a file name that is not UTF-8, as os.fsdecode gives it)
keys = st.one_of(
    st.text(),
    st.text(st.characters(codec=None, categories=("Cs", "L", "N", "Zs")), max_size=30),
    st.sampled_from(
        ["", " ", "file:a.pem", "FILE:a.pem", " file:a.pem", "file:a.pem#0", "file:a#b.pem#1", "\u0662", "\uff12"]
    ),
    st.text(min_size=1, max_size=20).map(lambda t: t * 5_000),  # huge
)


@given(st.lists(keys, max_size=60), st.integers(1, 5))
def test_every_key_is_owned_by_exactly_one_shard_of_any_count(items: list[str], count: int) -> None:
    for key in items:
        assert sum(Shard(i, count).owns(key) for i in range(count)) == 1


def test_utf8_keys_keep_the_shard_they_always_had() -> None:
    assert [Shard(i, 4).owns("file:/etc/ssl/site.pem") for i in range(4)] == [False, True, False, False]


def test_the_sample_jobs_shards_partition_an_unsharded_run(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_items(store, *[{"id": f"r{i}", "severity": "warning" if i % 4 else "ok"} for i in range(37)])

    def run(shard: str | None) -> dict[str, Any]:
        ran = run_sample(store, *(["--shard", shard] if shard else []))
        assert ran.result is not None
        return ran.result

    assert len(assert_shards_partition(run)) == 37
