"""A consumer that goes away at any point of the protocol: PostgreSQL behind a proxy that
refuses connections from the k-th one on, for every k through the whole rotation. While it
is away, the password the role holds is Vault's current version or the pending one an open
journal names; once it is back, the next run converges and exactly the current version's
password logs in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobs.core.state.engine import StateStore
from jobs.secret_rotation.journal_store import open_operations
from jobs.secret_rotation.steps import CLOSED
from tests.fakes.keycloak import ADMIN_PASSWORD, ADMIN_USER, FakeKeycloak
from tests.secret_rotation.kit import current, folder, logs_in, make_role, metadata, put, run, settings, version_data
from tests.secret_rotation.proxy import OutageProxy, outage_proxy
from tests.services import Postgres, Vault

OLD = "before-the-outage-1"
#: connections a rotation without outage makes to PostgreSQL: check, set, test
CLEAN_RUN = 3


@pytest.fixture
def proxy(postgres: Postgres) -> Iterator[OutageProxy]:
    with outage_proxy(postgres.port) as p:
        yield p


def through(proxy: OutageProxy, pg: Postgres) -> str:
    return f"postgresql://{pg.admin}@127.0.0.1:{proxy.port}/postgres"


def secret_with_consumers(
    vault: Vault, pg: Postgres, proxy: OutageProxy, tmp: Path, **section: Any
) -> tuple[str, str, dict[str, Any]]:
    base = folder()
    path = f"{base}/db"
    role = make_role(pg, OLD)
    put(vault, path, {"username": role, "password": OLD}, type="db_password")
    targets = [
        {"secret": path, "kind": "postgres", "dsn": through(proxy, pg), "connect_timeout_seconds": 2},
        {"secret": path, "kind": "file", "path": str(tmp / "db.env")},
    ]
    return path, role, settings(vault, [f"{base}/"], targets, test_attempts=2, **section)


def live_passwords(vault: Vault, path: str) -> set[str]:
    meta = metadata(vault, path)
    live = [int(n) for n, v in meta["versions"].items() if not v["destroyed"] and not v["deletion_time"]]
    return {version_data(vault, path, n)["password"] for n in live}


def pending_password(vault: Vault, path: str) -> str | None:
    custom = metadata(vault, path).get("custom_metadata") or {}
    return (
        version_data(vault, path, int(custom["pending_version"]))["password"] if custom.get("pending_version") else None
    )


def open_journal(tmp: Path) -> dict[str, Any]:
    return open_operations(StateStore(f"sqlite:///{tmp / 'secops-state.db'}"), "secret-rotation", CLOSED)


def assert_converged(vault: Vault, pg: Postgres, path: str, role: str, tmp: Path) -> None:
    final = current(vault, path)
    assert open_journal(tmp) == {}
    assert "pending_version" not in (metadata(vault, path).get("custom_metadata") or {})
    assert {p for p in live_passwords(vault, path) if logs_in(pg, role, p)} == {final["password"]}
    assert (tmp / "db.env").read_text() == f"PASSWORD={final['password']}\nUSERNAME={role}\n"


@pytest.mark.parametrize("lasting", [None, 1, 2], ids=["outage", "one-refused", "two-refused"])
@pytest.mark.parametrize("after", range(CLEAN_RUN + 4))
def test_postgres_going_away_after_any_connection_leaves_vault_current_and_the_next_run_converges(
    after: int, lasting: int | None, openbao: Vault, postgres: Postgres, proxy: OutageProxy, tmp_path: Path
) -> None:
    path, role, config = secret_with_consumers(openbao, postgres, proxy, tmp_path)
    proxy.cut(after, lasting)
    first = run(tmp_path, config, "--apply")
    assert first["exit_code"] in (0, 1), first
    # during the outage: the role holds Vault's current value, or the pending one an open journal names
    holds = current(openbao, path)["password"]
    if not logs_in(postgres, role, holds):
        pending = pending_password(openbao, path)
        assert pending is not None and open_journal(tmp_path) and logs_in(postgres, role, pending)
    assert OLD not in str(first)
    proxy.heal()
    second = run(tmp_path, config, "--apply")
    assert second["exit_code"] in (0, 1), second
    assert_converged(openbao, postgres, path, role, tmp_path)
    assert metadata(openbao, path)["current_version"] <= 5  # at most a new version and a copy per run


def test_postgres_that_took_the_new_password_then_went_away_keeps_it_once_back(
    openbao: Vault, postgres: Postgres, proxy: OutageProxy, tmp_path: Path
) -> None:
    """The reported case: ALTER ROLE went through, the login test and the rollback found the
    server gone. The old value must not become current; back, the role's value is kept."""
    base = folder()
    path = f"{base}/db"
    role = make_role(postgres, OLD)
    put(openbao, path, {"username": role, "password": OLD}, type="db_password")
    target = {"secret": path, "kind": "postgres", "dsn": through(proxy, postgres), "connect_timeout_seconds": 2}
    config = settings(openbao, [f"{base}/"], [target], test_attempts=2)
    proxy.cut(2)  # the check and the ALTER ROLE pass; the test and everything after are refused
    first = run(tmp_path, config, "--apply")
    (action,) = first["actions"]
    assert action["outcome"] == "failed" and "pending" in action["error"], action
    assert not logs_in(postgres, role, OLD) and logs_in(postgres, role, pending_password(openbao, path) or "")
    proxy.heal()
    second = run(tmp_path, config, "--apply")
    assert [(a["kind"], a["outcome"]) for a in second["actions"]] == [("resume", "done")], second
    final = current(openbao, path)
    assert final["password"] != OLD and logs_in(postgres, role, final["password"])
    assert metadata(openbao, path)["current_version"] == 2  # kept as it was: no version burnt
    assert open_journal(tmp_path) == {}


def test_a_consumer_down_before_the_rotation_burns_no_version(
    openbao: Vault, postgres: Postgres, proxy: OutageProxy, tmp_path: Path
) -> None:
    path, role, config = secret_with_consumers(openbao, postgres, proxy, tmp_path)
    proxy.cut(0)
    for _ in range(3):
        result = run(tmp_path, config, "--apply")
        assert result["actions"][0]["outcome"] == "failed"
    assert metadata(openbao, path)["current_version"] == 1 and logs_in(postgres, role, OLD)


def test_a_max_versions_that_would_destroy_the_held_version_refuses_to_rotate(
    openbao: Vault, postgres: Postgres, proxy: OutageProxy, tmp_path: Path
) -> None:
    path, role, config = secret_with_consumers(openbao, postgres, proxy, tmp_path)
    openbao.client().secrets.kv.v2.update_metadata(path=path, max_versions=2, mount_point="secret")
    result = run(tmp_path, config, "--apply")
    (action,) = result["actions"]
    assert action["outcome"] == "failed" and "max_versions 2" in action["error"] and "3 or more" in action["error"]
    assert metadata(openbao, path)["current_version"] == 1 and logs_in(postgres, role, OLD)


#: requests (one connection each) a Keycloak rotation makes without outage: check 3, set 4, test 1
KEYCLOAK_CLEAN_RUN = 8


@pytest.mark.parametrize("after", range(KEYCLOAK_CLEAN_RUN + 6))
def test_keycloak_going_away_after_any_request_ends_with_vault_current_being_the_client_secret(
    after: int, openbao: Vault, keycloak: FakeKeycloak, tmp_path: Path
) -> None:
    """Keycloak's grace period lets the rotated secret obtain tokens, so a token proves
    nothing about which value the client holds: the admin API's own secret decides."""
    base, old = folder(), "old-portal-secret-value"
    keycloak.add_client("stoa", "portal", old)
    put(openbao, f"{base}/portal", {"client_id": "portal", "client_secret": old}, type="oauth_client")
    with outage_proxy(int(keycloak.url.rsplit(":", 1)[1])) as proxy:
        target = {
            "secret": f"{base}/portal",
            "kind": "keycloak_client",
            "url": f"http://127.0.0.1:{proxy.port}",
            "realm": "stoa",
            "client_id": "portal",
            "admin_username": ADMIN_USER,
            "admin_password": ADMIN_PASSWORD,
        }
        config = settings(openbao, [f"{base}/"], [target], test_attempts=2)
        proxy.cut(after)
        run(tmp_path, config, "--apply")
        held = keycloak.client("stoa", "portal").secret
        if held != current(openbao, f"{base}/portal")["client_secret"]:
            assert open_journal(tmp_path) and held == (pending_secret(openbao, f"{base}/portal") or "")
        proxy.heal()
        run(tmp_path, config, "--apply")
    assert open_journal(tmp_path) == {}
    assert keycloak.client("stoa", "portal").secret == current(openbao, f"{base}/portal")["client_secret"]
    assert "pending_version" not in (metadata(openbao, f"{base}/portal").get("custom_metadata") or {})


def pending_secret(vault: Vault, path: str) -> str | None:
    custom = metadata(vault, path).get("custom_metadata") or {}
    pending = custom.get("pending_version")
    return version_data(vault, path, int(pending))["client_secret"] if pending else None
