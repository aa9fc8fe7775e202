"""Shared pieces of the secret-rotation tests: secrets in a real OpenBao, roles in a real
PostgreSQL, settings files, and runs in-process or as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from jobs.core.registry import JOBS
from jobs.core.runtime import Runtime
from tests.helpers import ROOT, run_cli, write_config
from tests.services import Postgres, Vault

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # a Sunday, 02:00
OWNER = "dana@example.com"
SPEC = JOBS["secret-rotation"]


def folder() -> str:
    """A fresh folder per test: the OpenBao server is shared by the session."""
    return f"apps/t{uuid.uuid4().hex[:10]}"


def put(vault: Vault, path: str, data: dict[str, str], age_days: float | None = 100, **custom: str) -> None:
    kv = vault.client().secrets.kv.v2
    kv.create_or_update_secret(path=path, secret=data, mount_point="secret")
    meta = dict(custom)
    if age_days is not None:
        meta.setdefault("last_rotated", (NOW - timedelta(days=age_days)).isoformat().replace("+00:00", "Z"))
    if meta:
        kv.update_metadata(path=path, custom_metadata=meta, mount_point="secret")


def metadata(vault: Vault, path: str) -> dict[str, Any]:
    answer = vault.client().secrets.kv.v2.read_secret_metadata(path=path, mount_point="secret")
    return dict(answer["data"])


def current(vault: Vault, path: str) -> dict[str, str]:
    """The data of the version the job calls current."""
    meta = metadata(vault, path)
    version = int((meta.get("custom_metadata") or {}).get("current_version") or meta["current_version"])
    return version_data(vault, path, version)


def version_data(vault: Vault, path: str, version: int) -> dict[str, str]:
    kv = vault.client().secrets.kv.v2
    return dict(
        kv.read_secret_version(path=path, version=version, mount_point="secret", raise_on_deleted_version=True)["data"][
            "data"
        ]
    )


def make_role(pg: Postgres, password: str) -> str:
    name = f"svc_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))
    return name


def logs_in(pg: Postgres, user: str, password: str) -> bool:
    try:
        with psycopg.connect(pg.url(user=user, password=password), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def settings(vault: Vault, paths: list[str], targets: list[dict[str, Any]], **section: Any) -> dict[str, Any]:
    return {
        "secret_rotation": {
            "vault": {"url": vault.url, "token": vault.token, "paths": paths},
            "targets": targets,
            "test_backoff_seconds": 0,
            **section,
        },
    }


def run(tmp: Path, config: dict[str, Any], *argv: str, clients: dict[str, Any] | None = None) -> dict[str, Any]:
    path = write_config(tmp / "secops.yaml", config)
    runtime = Runtime(sleep=lambda _: None, clients=dict(clients or {}))
    return run_cli(SPEC, ("--config", path, "--now", NOW.isoformat(), *argv), runtime)


def run_process(
    tmp: Path, config: dict[str, Any], *argv: str, killed_after: str | None = None
) -> tuple[int, dict[str, Any] | None, str]:
    """The job as its own process (a crash must kill a real process); `killed_after`: the step
    after whose journal entry the process SIGKILLs itself. Returns code, result, stdout + stderr."""
    path = write_config(tmp / "secops.yaml", config)
    entry = ["tests.secret_rotation.crashing", killed_after] if killed_after else ["jobs.secret_rotation"]
    proc = subprocess.run(
        [sys.executable, "-m", *entry, "--config", path, "--now", NOW.isoformat(), "--json", *argv],
        cwd=tmp,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, result, proc.stdout + proc.stderr
