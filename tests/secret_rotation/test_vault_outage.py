"""OpenBao itself going away at any request of a rotation (refused, or its answer lost):
the consumers keep working with a value Vault names current or pending, and once OpenBao is
back the next run converges."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.secret_rotation.kit import current, folder, logs_in, make_role, metadata, put, run, settings
from tests.secret_rotation.test_outages import live_passwords, open_journal, pending_password
from tests.secret_rotation.vault_proxy import vault_outage
from tests.services import Postgres, Vault

OLD = "before-the-vault-outage-1"


#: requests a clean rotation makes to OpenBao: list, metadata (plan, lock), mount config,
#: version data, the new version, then metadata (current and pending, finish); 9 without a
#: recorded current_version. The early ones fail the run before anything is written.
CUTS = [(after, False) for after in range(4, 10)] + [(after, True) for after in (5, 6, 7)]


@pytest.mark.parametrize(("after", "lost"), CUTS)
def test_openbao_going_away_at_any_request_of_a_rotation_leaves_a_named_value_and_the_next_run_converges(
    after: int, lost: bool, openbao: Vault, postgres: Postgres, tmp_path: Path
) -> None:
    base = folder()
    path = f"{base}/db"
    role = make_role(postgres, OLD)
    put(openbao, path, {"username": role, "password": OLD}, type="db_password")
    target = {"secret": path, "kind": "postgres", "dsn": postgres.url(), "connect_timeout_seconds": 2}
    with vault_outage(int(openbao.url.rsplit(":", 1)[1])) as proxy:
        config = settings(openbao, [f"{base}/"], [target], test_attempts=2)
        config["secret_rotation"]["vault"]["url"] = proxy.url
        proxy.cut(after, lost)
        first = run(tmp_path, config, "--apply")
        assert OLD not in str(first)
        holds = current(openbao, path)["password"]
        if not logs_in(postgres, role, holds):
            pending = pending_password(openbao, path)
            assert pending is not None and open_journal(tmp_path) and logs_in(postgres, role, pending), metadata(
                openbao, path
            )
        proxy.heal()
        second = run(tmp_path, config, "--apply")
        assert second["exit_code"] in (0, 1), second
    final = current(openbao, path)
    assert open_journal(tmp_path) == {}
    assert "pending_version" not in (metadata(openbao, path).get("custom_metadata") or {})
    assert {p for p in live_passwords(openbao, path) if logs_in(postgres, role, p)} == {final["password"]}
