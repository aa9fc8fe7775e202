"""What rotation errors show (values masked, names readable) and how long a dead holder's
lock keeps others out (its heartbeat, on any host)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from jobs.core import redact
from jobs.core.state.engine import StateStore
from jobs.core.state.locks import acquire_resource_lock
from jobs.secret_rotation.journal_store import open_operations
from jobs.secret_rotation.lock import SecretLocks
from jobs.secret_rotation.model import IDENTIFIERS, secret_values
from tests.helpers import ROOT, write_config
from tests.secret_rotation.kit import NOW, current, folder, logs_in, make_role, metadata, put, run, settings
from tests.secret_rotation.proxy import outage_proxy
from tests.services import Postgres, Vault, wait_until

JOB = "secret-rotation"


def test_a_refused_login_names_the_role_and_masks_only_the_password(
    openbao: Vault, postgres: Postgres, tmp_path: Path
) -> None:
    base = folder()
    role = make_role(postgres, "what-postgres-holds-1")
    path = f"{base}/{role}"  # the path names the role too: it stays readable
    put(openbao, path, {"username": role, "password": "what-vault-holds-1"}, type="db_password")
    config = settings(openbao, [f"{base}/"], [{"secret": path, "kind": "postgres", "dsn": postgres.url()}])
    result = run(tmp_path, config, "--apply")
    (action,) = result["actions"]
    assert action["outcome"] == "failed" and action["resource"] == f"vault:secret/{path}"
    assert f'password authentication failed for user "{role}"' in action["error"]
    assert "***" not in action["error"] and "what-vault-holds-1" not in str(result)


identifier_spellings = st.sampled_from(sorted(IDENTIFIERS)).flatmap(
    lambda k: st.sampled_from([k, k.upper(), k.title(), f" {k}", f"{k}\t", f" {k.upper()} "])
)
values = st.one_of(st.just(""), st.text(max_size=8), st.text(min_size=20, max_size=60), st.just("pässwörd-ünïcode"))
data = st.dictionaries(st.one_of(identifier_spellings, st.text(max_size=12)), values, max_size=8)


def test_a_dsn_libpq_cannot_parse_fails_its_target_without_quoting_a_piece_of_its_password(
    openbao: Vault, postgres: Postgres, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """libpq quotes the word it stumbled on ('missing "=" after "<word>"'): with an unquoted
    space in a key=value DSN's password that word is the password's tail, which the
    registered DSN as a whole does not mask."""
    base = folder()
    path = f"{base}/db"
    role = make_role(postgres, "before-a-bad-dsn-1")
    put(openbao, path, {"username": role, "password": "before-a-bad-dsn-1"}, type="db_password")
    dsn = f"host=127.0.0.1 port={postgres.port} user={postgres.admin} password=Adm1n tail-of-the-pw0rd dbname=postgres"
    result = run(
        tmp_path, settings(openbao, [f"{base}/"], [{"secret": path, "kind": "postgres", "dsn": dsn}]), "--apply"
    )
    (action,) = result["actions"]
    assert action["outcome"] == "failed" and f"postgres:{path}" in action["error"] and "dsn" in action["error"]
    assert "tail-of-the-pw0rd" not in str(result) + capsys.readouterr().err
    assert metadata(openbao, path)["current_version"] == 1 and logs_in(postgres, role, "before-a-bad-dsn-1")


@given(data)
def test_every_value_but_identifiers_is_secret_and_a_value_also_under_a_secret_key_stays_secret(
    secret: dict[str, str],
) -> None:
    found = secret_values(secret)
    for key, value in secret.items():
        if key.strip().lower() not in IDENTIFIERS:
            assert value in found
    assert all(any(v == value and k.strip().lower() not in IDENTIFIERS for k, v in secret.items()) for value in found)


@given(
    password=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=4, max_size=40),
    user=st.sampled_from(["admin", "app_owner", "ünïcode-user"]),
)
def test_a_dsn_masks_its_password_wherever_it_appears_alone_and_keeps_user_and_host(password: str, user: str) -> None:
    redact.forget_all()
    try:
        redact.register(f"postgresql://{quote(user)}:{quote(password, safe='')}@db.internal:5432/control")
        shown = redact.scrub(f"login as {user} on db.internal refused: {password}")
        assert password not in shown.replace(redact.MASK, "")
        if password not in user and password not in "db.internal":
            assert f"as {user} on db.internal" in shown
    finally:
        redact.forget_all()


def test_a_held_lock_is_kept_by_its_heartbeat_beyond_its_staleness(tmp_path: Path) -> None:
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    state.upgrade(datetime.now(UTC))
    locks = SecretLocks(state, JOB, "run-a", timedelta(seconds=0.6))
    locks.take("apps/x")
    time.sleep(1.5)  # two and a half staleness periods: only the heartbeat keeps it
    assert not acquire_resource_lock(state, JOB, "apps/x", "run-b", datetime.now(UTC), timedelta(seconds=0.6))
    locks.release("apps/x")
    assert acquire_resource_lock(state, JOB, "apps/x", "run-b", datetime.now(UTC), timedelta(seconds=0.6))


def test_a_lock_left_by_a_killed_holder_on_another_host_is_taken_over_once_its_heartbeat_is_stale(
    openbao: Vault, postgres: Postgres, tmp_path: Path
) -> None:
    """Killed between taking the lock and its first journal entry (its check of the current
    value hung), on another host: taken over after `lock_minutes`, not after 30 minutes."""
    base = folder()
    path = f"{base}/db"
    role = make_role(postgres, "lock-holder-password-1")
    put(openbao, path, {"username": role, "password": "lock-holder-password-1"}, type="db_password")
    state = StateStore(f"sqlite:///{tmp_path / 'secops-state.db'}")
    with outage_proxy(postgres.port) as proxy:
        dsn = f"postgresql://{postgres.admin}@127.0.0.1:{proxy.port}/postgres"
        target = {"secret": path, "kind": "postgres", "dsn": dsn, "connect_timeout_seconds": 60}
        config = settings(openbao, [f"{base}/"], [target], lock_minutes=0.05)  # stale after 3 s
        config_path = write_config(tmp_path / "secops.yaml", config)
        proxy.hang()
        argv = [sys.executable, "-m", "jobs.secret_rotation", "--config", config_path, "--now", NOW.isoformat()]
        holder = subprocess.Popen(
            [*argv, "--apply"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.DEVNULL
        )
        try:
            wait_until(lambda: _locked(state, path), 30, "the first run's lock")
        finally:
            holder.kill()
            holder.wait()
        with state.session() as s:  # as if that process had run on another node
            s.execute(
                text("UPDATE secops_resource_locks SET holder = 'node-7:4242'"),
            )
        assert open_operations(state, JOB, "closed") == {}  # it died before its first journal entry
        proxy.heal()
        time.sleep(3.5)
        result = run(tmp_path, config, "--apply")
    assert [(a["kind"], a["outcome"]) for a in result["actions"]] == [("rotate", "done")], result
    assert metadata(openbao, path)["current_version"] == 2
    assert logs_in(postgres, role, current(openbao, path)["password"])


def _locked(state: StateStore, path: str) -> bool:
    try:
        with state.session() as s:
            rows = s.execute(text("SELECT resource FROM secops_resource_locks")).all()
    except Exception:
        return False
    return (path,) in [tuple(r) for r in rows]
