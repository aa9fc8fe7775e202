"""Rotation end to end against a real OpenBao and a real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import outbox
from tests.secret_rotation.kit import (
    OWNER,
    current,
    folder,
    logs_in,
    make_role,
    metadata,
    put,
    run,
    settings,
)
from tests.services import Postgres, Vault


def test_a_due_db_password_rotates_the_new_one_logs_in_and_the_old_one_does_not(
    openbao: Vault, postgres: Postgres, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    base = folder()
    role = make_role(postgres, "old-password-123")
    put(
        openbao,
        f"{base}/billing/db",
        {"username": role, "password": "old-password-123"},
        type="db_password",
        owner=OWNER,
    )
    env_file = tmp_path / "billing.env"
    config = settings(
        openbao,
        [f"{base}/"],
        [
            {"secret": f"{base}/billing/db", "kind": "postgres", "dsn": postgres.url()},
            {"secret": f"{base}/billing/db", "kind": "file", "path": str(env_file), "prefix": "DB_"},
        ],
    )
    config["metrics_textfile"] = str(tmp_path / "{job}.prom")
    result = run(tmp_path, config, "--apply")
    assert result["exit_code"] == 0, result
    assert [(a["kind"], a["outcome"]) for a in result["actions"]] == [("rotate", "done")]
    metrics = (tmp_path / "secret-rotation.prom").read_text()
    assert 'security_secrets_rotated_total{type="db_password"} 1.0' in metrics
    assert 'security_secrets{status="due",type="db_password"} 1.0' in metrics
    new = current(openbao, f"{base}/billing/db")
    assert new["username"] == role and new["password"] != "old-password-123" and len(new["password"]) == 32
    assert logs_in(postgres, role, new["password"]) and not logs_in(postgres, role, "old-password-123")
    assert env_file.read_text() == f"DB_PASSWORD={new['password']}\nDB_USERNAME={role}\n"
    assert env_file.stat().st_mode & 0o777 == 0o600
    custom = metadata(openbao, f"{base}/billing/db")["custom_metadata"]
    assert custom["current_version"] == "2" and custom["last_rotated"] == "2026-11-29T02:00:00Z"
    assert custom["rotated_by"] and "pending_version" not in custom and custom["owner"] == OWNER
    # the value is nowhere but in Vault, the role and the file
    logs = capfd.readouterr()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("secops-state.db*")).decode("latin-1")
    seen = json.dumps(result) + json.dumps(outbox(tmp_path)) + stored + logs.out + logs.err
    assert "rotated to version 2" in logs.err  # the logs are there, and say what happened
    assert new["password"] not in seen and "old-password-123" not in seen
    again = run(tmp_path, config, "--apply")  # now it is fresh: nothing to do
    assert again["actions"] == [] and again["summary"]["ok"] == 1


def test_a_dry_run_rotates_nothing(openbao: Vault, postgres: Postgres, tmp_path: Path) -> None:
    base = folder()
    role = make_role(postgres, "dry-run-password-1")
    put(openbao, f"{base}/db", {"username": role, "password": "dry-run-password-1"}, type="db_password")
    config = settings(openbao, [f"{base}/"], [{"secret": f"{base}/db", "kind": "postgres", "dsn": postgres.url()}])
    result = run(tmp_path, config)
    assert result["dry_run"] and [(a["kind"], a["outcome"]) for a in result["actions"]] == [("rotate", "planned")]
    assert metadata(openbao, f"{base}/db")["current_version"] == 1
    assert logs_in(postgres, role, "dry-run-password-1")


def test_a_secret_another_run_is_rotating_is_left_alone(openbao: Vault, postgres: Postgres, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from jobs.core.state.engine import StateStore
    from jobs.core.state.locks import acquire_resource_lock

    base = folder()
    role = make_role(postgres, "locked-password-1")
    put(openbao, f"{base}/db", {"username": role, "password": "locked-password-1"}, type="db_password")
    store = StateStore(f"sqlite:///{tmp_path / 'secops-state.db'}")
    store.upgrade(datetime.now(UTC))
    assert acquire_resource_lock(
        store, "secret-rotation", f"{base}/db", "other-run", datetime.now(UTC), timedelta(minutes=30)
    )
    config = settings(openbao, [f"{base}/"], [{"secret": f"{base}/db", "kind": "postgres", "dsn": postgres.url()}])
    result = run(tmp_path, config, "--apply")
    (action,) = result["actions"]
    assert action["outcome"] == "failed" and "another run is rotating it" in action["error"]
    assert metadata(openbao, f"{base}/db")["current_version"] == 1 and logs_in(postgres, role, "locked-password-1")
