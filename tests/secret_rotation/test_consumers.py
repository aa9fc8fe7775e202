"""Kubernetes and Keycloak consumers (through their fakes), restarts, and the rollback when a
consumer does not come back."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client as k8s

from tests.fakes.base import Response
from tests.fakes.keycloak import ADMIN_PASSWORD, ADMIN_USER, FakeKeycloak
from tests.fakes.kubernetes import FakeKubernetes
from tests.helpers import outbox
from tests.secret_rotation.kit import current, folder, logs_in, make_role, metadata, put, run, settings
from tests.services import Postgres, Vault


def cluster(fake: FakeKubernetes, namespace: str, secret: str, data: dict[str, str], deployment: str) -> Any:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    fake.add("secrets", {"metadata": {"name": secret, "namespace": namespace}, "data": encoded})
    fake.add("deployments", {"metadata": {"name": deployment, "namespace": namespace}, "spec": {"replicas": 2}})
    return k8s.ApiClient(k8s.Configuration(host=fake.url))


def secret_value(fake: FakeKubernetes, namespace: str, name: str, key: str) -> str:
    stored = fake.get("secrets", namespace, name)
    assert stored is not None
    return base64.b64decode(stored["data"][key]).decode()


def token_status(keycloak: FakeKeycloak, secret: str) -> int:
    form = {"grant_type": "client_credentials", "client_id": "portal", "client_secret": secret}
    return httpx.post(f"{keycloak.url}/realms/stoa/protocol/openid-connect/token", data=form).status_code


def test_an_oauth_client_secret_reaches_keycloak_and_a_kubernetes_secret_and_the_app_restarts(
    openbao: Vault, keycloak: FakeKeycloak, kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    base, old = folder(), "old-portal-secret-value"
    keycloak.add_client("stoa", "portal", old)
    api = cluster(kubernetes_api, "portal", "portal-oauth", {"CLIENT_SECRET": old}, "portal-web")
    put(openbao, f"{base}/portal", {"client_id": "portal", "client_secret": old}, type="oauth_client")
    targets = [
        {
            "secret": f"{base}/portal",
            "kind": "keycloak_client",
            "url": keycloak.url,
            "realm": "stoa",
            "client_id": "portal",
            "admin_username": ADMIN_USER,
            "admin_password": ADMIN_PASSWORD,
        },
        {
            "secret": f"{base}/portal",
            "kind": "kubernetes_secret",
            "namespace": "portal",
            "name": "portal-oauth",
            "keys": {"client_secret": "CLIENT_SECRET"},
            "restart": ["deployment/portal-web"],
        },
    ]
    keycloak.fail_next("PUT", r"/admin/realms/stoa/clients/[^/]+", Response(503, {"error": "unavailable"}))
    result = run(tmp_path, settings(openbao, [f"{base}/"], targets), "--apply", clients={"kubernetes": api})
    assert result["exit_code"] == 0 and [a["outcome"] for a in result["actions"]] == ["done"], result
    assert len(keycloak.calls("PUT")) == 2  # a 503 is waited out, not rolled back
    new = current(openbao, f"{base}/portal")["client_secret"]
    assert new != old and secret_value(kubernetes_api, "portal", "portal-oauth", "CLIENT_SECRET") == new
    assert token_status(keycloak, new) == 200
    assert token_status(keycloak, old) == 200  # Keycloak's grace period: pods not yet restarted keep working
    deployment = kubernetes_api.get("deployments", "portal", "portal-web")
    assert deployment is not None
    assert "kubectl.kubernetes.io/restartedAt" in deployment["spec"]["template"]["metadata"]["annotations"]


def stuck_rollout(
    openbao: Vault, postgres: Postgres, kubernetes_api: FakeKubernetes, base: str, old: str
) -> tuple[str, Any, dict[str, Any]]:
    """A db_password consumed by PostgreSQL and a Kubernetes Secret whose deployment never becomes ready."""
    role = make_role(postgres, old)
    api = cluster(kubernetes_api, "billing", "db-credentials", {"password": old, "username": role}, "billing-api")
    kubernetes_api.stuck_rollouts.add(("billing", "billing-api"))
    put(openbao, f"{base}/db", {"username": role, "password": old}, type="db_password")
    targets = [
        {"secret": f"{base}/db", "kind": "postgres", "dsn": postgres.url()},
        {
            "secret": f"{base}/db",
            "kind": "kubernetes_secret",
            "namespace": "billing",
            "name": "db-credentials",
            "restart": ["deployment/billing-api"],
        },
    ]
    config = settings(openbao, [f"{base}/"], targets, rollout_timeout_seconds=0.2)
    return role, api, config


def test_a_consumer_that_does_not_come_back_rolls_everything_back_and_pages(
    openbao: Vault, postgres: Postgres, kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    base, old = folder(), "rollback-password-1"
    role, api, config = stuck_rollout(openbao, postgres, kubernetes_api, base, old)
    result = run(tmp_path, config, "--apply", clients={"kubernetes": api})
    assert result["exit_code"] == 1 and result["status"] == "failure"
    (action,) = result["actions"]
    assert action["outcome"] == "failed" and "rotation failed" in action["error"] and "not ready" in action["error"]
    assert "rollback incomplete" in action["error"]  # the values are back, but the stuck rollout is still stuck
    assert current(openbao, f"{base}/db")["password"] == old  # the KV's current value is the old one again
    assert metadata(openbao, f"{base}/db")["current_version"] == 3  # v2 failed, v3 = v1's value
    assert logs_in(postgres, role, old)
    assert secret_value(kubernetes_api, "billing", "db-credentials", "password") == old
    failed = [f for f in result["findings"] if f["type"] == "rotation_failed"]
    assert failed and failed[0]["severity"] == "critical" and result["summary"]["critical"] == 1
    assert any(m["severity"] == "critical" for m in outbox(tmp_path))


def test_bad_input_is_reported_by_name_and_the_rest_rotates(
    openbao: Vault, postgres: Postgres, kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    base = folder()
    put(openbao, f"{base}/bare", {"api_key": "k-bare-0000000000"}, age_days=None)  # no metadata at all
    put(openbao, f"{base}/odd", {"api_key": "k-odd-00000000000"}, type="ssh_key")
    put(openbao, f"{base}/nouser", {"password": "no-user-password-1"}, type="db_password")
    put(openbao, f"{base}/ghost", {"api_key": "k-ghost-000000000"}, type="api_key")
    put(openbao, f"{base}/good", {"api_key": "k-good-0000000000"}, type="api_key")
    api = k8s.ApiClient(k8s.Configuration(host=kubernetes_api.url))
    targets = [
        {"secret": f"{base}/nouser", "kind": "postgres", "dsn": postgres.url()},
        {"secret": f"{base}/ghost", "kind": "kubernetes_secret", "namespace": "nowhere", "name": "missing"},
        {"secret": f"{base}/good", "kind": "file", "path": str(tmp_path / "good.key"), "format": "value"},
        {"secret": "apps/elsewhere/db", "kind": "file", "path": str(tmp_path / "x")},
    ]
    result = run(tmp_path, settings(openbao, [f"{base}/"], targets), "--apply", clients={"kubernetes": api})
    assert result["exit_code"] == 1
    by_path = {a["resource"].rsplit("/", 1)[1]: a for a in result["actions"]}
    assert by_path["good"]["outcome"] == "done"
    assert "no `username`" in by_path["nouser"]["error"] and "no such Secret" in by_path["ghost"]["error"]
    invalid = {
        f["resource"].rsplit("/", 1)[1]: f["message"]
        for f in result["findings"]
        if f["type"] == "secret_rotation" and f["details"]["status"] == "invalid"
    }
    assert "no `type`" in invalid["bare"] and "'ssh_key' has no policy" in invalid["odd"]
    assert any(f["type"] == "target_without_secret" for f in result["findings"])
    for untouched in ("bare", "odd", "nouser", "ghost"):  # nothing half-rotated
        assert metadata(openbao, f"{base}/{untouched}")["current_version"] == 1
    assert (tmp_path / "good.key").read_text().strip() == current(openbao, f"{base}/good")["api_key"]


def test_a_vault_that_refuses_the_token_is_an_error_line_without_the_token(openbao: Vault, tmp_path: Path) -> None:
    config = settings(openbao, ["apps/"], [])
    config["secret_rotation"]["vault"]["token"] = "s.not-a-valid-token-1234"
    result = run(tmp_path, config, "--apply")
    assert result["exit_code"] == 1 and result["errors"]
    assert "permission denied" in result["errors"][0]["message"] and result["errors"][0]["source"].startswith("vault:")
    assert "not-a-valid-token" not in str(result)


def test_owners_are_warned_once_per_window_and_encryption_keys_only_alert(openbao: Vault, tmp_path: Path) -> None:
    base = folder()
    put(
        openbao, f"{base}/soon", {"api_key": "k-soon-0000000000"}, age_days=25, type="api_key", owner="dana@example.com"
    )
    put(openbao, f"{base}/kek", {"key": "k-kek-00000000000"}, age_days=400, type="encryption_key")
    config = settings(openbao, [f"{base}/"], [])
    first = run(tmp_path, config, "--apply", "--force")
    kinds = [a["kind"] for a in first["actions"]]
    assert kinds.count("rotate") == 1  # forced: the api key, never the encryption key
    assert metadata(openbao, f"{base}/kek")["current_version"] == 1
    overdue = [f for f in first["findings"] if f["details"].get("status") == "manual_overdue"]
    assert overdue and overdue[0]["severity"] == "critical"
    base2 = folder()
    put(
        openbao,
        f"{base2}/soon",
        {"api_key": "k-soon-0000000000"},
        age_days=25,
        type="api_key",
        owner="dana@example.com",
    )
    config = settings(openbao, [f"{base2}/"], [])
    for _ in range(2):
        run(tmp_path, config, "--apply")
    warnings = [m for m in outbox(tmp_path) if m.get("recipients") == ["dana@example.com"]]
    assert len(warnings) == 1 and f"{base2}/soon" in warnings[0]["body"]


def test_no_vault_configured_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(tmp_path, {"secret_rotation": {"targets": []}}, "--apply")
    assert result["exit_code"] == 2
    assert "secret_rotation.vault.url: no Vault to read it from" in capsys.readouterr().err


def test_a_consumer_that_keeps_refusing_is_retried_with_growing_pauses_so_versions_are_not_burnt_every_run(
    openbao: Vault, postgres: Postgres, kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    from datetime import timedelta

    from tests.secret_rotation.kit import NOW

    base, old = folder(), "refused-again-password-1"
    role, api, config = stuck_rollout(openbao, postgres, kubernetes_api, base, old)
    seen = []
    for hours in (0, 6, 25, 48, 74):
        at = (NOW + timedelta(hours=hours)).isoformat()
        result = run(tmp_path, config, "--apply", "--now", at, clients={"kubernetes": api})
        statuses = [f["details"]["status"] for f in result["findings"] if f["type"] == "secret_rotation"]
        seen.append((statuses, metadata(openbao, f"{base}/db")["current_version"]))
        assert current(openbao, f"{base}/db")["password"] == old and logs_in(postgres, role, old)
    assert seen == [
        (["due"], 3),  # refused: the new version and the copy of the old one
        (["backing_off"], 3),  # a day's pause after the first rollback
        (["due"], 5),
        (["backing_off"], 5),  # two days after the second
        (["due"], 7),
    ]
    backing_off = run(tmp_path, config, "--now", (NOW + timedelta(hours=75)).isoformat(), clients={"kubernetes": api})
    (finding,) = [f for f in backing_off["findings"] if f["type"] == "secret_rotation"]
    assert finding["severity"] == "warning" and "rolled back 3 time(s) in a row" in finding["message"]
