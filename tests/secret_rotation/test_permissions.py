"""The policies generated for the rotation job are what it needs: a token holding exactly the
Vault policy `python -m jobs permissions --format vault` prints rotates, one capability less does
not; a Kubernetes Secret target is rotated under exactly the generated RBAC (the fake API
authorising as its Role bindings say), one verb less fails; every target kind declares its grants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobs.core.permissions import Permissions
from jobs.secret_rotation.job import permissions
from jobs.secret_rotation.settings import SecretRotationSettings
from jobs.secret_rotation.targets import TARGETS
from jobs.secret_rotation.targets import permissions as target_permissions
from tests.fakes.kubernetes import FakeKubernetes
from tests.grants import (
    audited_openbao,
    generated,
    needs,
    one_less,
    rbac_less,
    rbac_rules,
    read_vault_policy,
    vault_less,
    vault_requests,
    vault_rule_for,
    vault_token,
)
from tests.helpers import write_config
from tests.secret_rotation.kit import current, folder, put, run, settings
from tests.secret_rotation.test_consumers import cluster
from tests.services import Vault

OLD = "declared-grants-old-value-1"
JOB = "secret-rotation"


def rotation(openbao: Vault, tmp_path: Path, drop: int | None = None) -> tuple[dict[str, Any], str]:
    """A due api_key with a file target, rotated with a token holding the generated policy (with
    its `drop`-th capability removed); returns the result and the secret's current value after."""
    base = folder()
    path = f"{base}/key"
    put(openbao, path, {"api_key": OLD}, type="api_key")
    targets = [{"secret": path, "kind": "file", "path": str(tmp_path / f"{base.rsplit('/', 1)[1]}.env")}]
    config = write_config(tmp_path / "deployment.yaml", settings(openbao, [f"{base}/"], targets))
    token = vault_token(
        openbao, generated("vault", JOB, config) if drop is None else vault_less(needs(JOB, config), drop)
    )
    result = run(tmp_path, settings(token, [f"{base}/"], targets), "--apply")
    return result, current(openbao, path)["api_key"]


def test_a_token_with_exactly_the_generated_vault_policy_rotates_a_secret(openbao: Vault, tmp_path: Path) -> None:
    result, value = rotation(openbao, tmp_path)
    assert result["status"] == "success" and [a["outcome"] for a in result["actions"]] == ["done"], result
    assert value != OLD


def test_the_declared_vault_policy_names_kv_v2_data_and_metadata_paths_per_folder() -> None:
    cfg = SecretRotationSettings.model_validate({"vault": {"mount": "kv/", "paths": ["apps/", "/teams/billing"]}})
    assert {(g.path, g.capabilities) for g in permissions(cfg).vault} == {
        ("kv/config", ("read",)),
        ("kv/metadata/apps/*", ("list", "read", "update")),
        ("kv/data/apps/*", ("read", "update")),
        ("kv/metadata/teams/billing/*", ("list", "read", "update")),
        ("kv/data/teams/billing/*", ("read", "update")),
    }


#: what each drop case removes, from the declaration for one managed folder
DROPS = [name for name, _ in one_less(list(permissions(SecretRotationSettings()).vault))]


@pytest.mark.parametrize("drop", range(len(DROPS)), ids=DROPS)
def test_one_generated_vault_capability_less_and_the_rotation_fails(drop: int, openbao: Vault, tmp_path: Path) -> None:
    result, value = rotation(openbao, tmp_path, drop=drop)
    assert result["status"] != "success", result
    assert "permission denied" in json.dumps(result), result
    assert value == OLD  # nothing rotated, nothing half-done


def kubernetes_rotation(
    openbao: Vault, kubernetes_api: FakeKubernetes, tmp_path: Path, drop: int | None
) -> tuple[dict[str, Any], str]:
    base = folder()
    path = f"{base}/portal"
    api = cluster(kubernetes_api, "portal", "portal-oauth", {"CLIENT_SECRET": OLD}, "portal-web")
    put(openbao, path, {"client_id": "portal", "client_secret": OLD}, type="oauth_client")
    target = {
        "secret": path,
        "kind": "kubernetes_secret",
        "namespace": "portal",
        "name": "portal-oauth",
        "keys": {"client_secret": "CLIENT_SECRET"},
        "restart": ["deployment/portal-web"],
    }
    config = settings(openbao, [f"{base}/"], [target])
    deployment = write_config(tmp_path / "deployment.yaml", config)
    if drop is None:
        kubernetes_api.rbac = rbac_rules(list(yaml.safe_load_all(generated("rbac", JOB, deployment))), JOB, "secops")
    else:
        kubernetes_api.rbac = rbac_less(needs(JOB, deployment), JOB, "secops", drop)
    result = run(tmp_path, config, "--apply", clients={"kubernetes": api})
    return result, current(openbao, path)["client_secret"]


def test_a_kubernetes_secret_target_rotates_under_exactly_the_generated_rbac(
    openbao: Vault, kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    result, value = kubernetes_rotation(openbao, kubernetes_api, tmp_path, None)
    assert result["status"] == "success" and [a["outcome"] for a in result["actions"]] == ["done"], result
    assert value != OLD


PORTAL = {"secret": "apps/portal", "kind": "kubernetes_secret", "namespace": "portal", "name": "portal-oauth",
          "restart": ["deployment/portal-web"]}  # fmt: skip
K8S_DROPS = [
    n for n, _ in one_less(list(permissions(SecretRotationSettings.model_validate({"targets": [PORTAL]})).kubernetes))
]


@pytest.mark.parametrize("drop", range(len(K8S_DROPS)), ids=K8S_DROPS)
def test_one_generated_rbac_verb_less_and_the_kubernetes_rotation_fails(
    drop: int, openbao: Vault, kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    result, value = kubernetes_rotation(openbao, kubernetes_api, tmp_path, drop)
    assert result["status"] != "success", result
    assert [a["outcome"] for a in result["actions"]] == ["failed"], result
    assert value == OLD


def test_the_kubernetes_target_declares_its_secret_and_workloads_by_name_in_its_namespace() -> None:
    cfg = SecretRotationSettings.model_validate(
        {
            "targets": [
                {"secret": "apps/a", "kind": "kubernetes_secret", "namespace": "shop", "name": "db",
                 "restart": ["deployment/web", "sts/queue", "deploy/api"]},
            ]
        }
    )  # fmt: skip
    rules = {(r.api_group, r.resources, r.verbs, r.namespace, r.names) for r in permissions(cfg).kubernetes}
    assert rules == {
        ("", ("secrets",), ("get", "update"), "shop", ("db",)),
        ("apps", ("deployments",), ("get", "patch"), "shop", ("api", "web")),
        ("apps", ("statefulsets",), ("get", "patch"), "shop", ("queue",)),
    }


def test_every_target_kind_declares_its_grants() -> None:
    examples = {
        "postgres": {"dsn": "postgresql://admin@db/app"},
        "kubernetes_secret": {"namespace": "n", "name": "s"},
        "keycloak_client": {"url": "http://kc", "realm": "r", "client_id": "c", "admin_client_secret": "x"},
        "file": {"path": "/run/app.env"},
    }
    assert set(examples) == set(TARGETS)
    for kind, fields in examples.items():
        cfg = SecretRotationSettings.model_validate({"targets": [{"secret": "apps/a", "kind": kind, **fields}]})
        assert isinstance(target_permissions(cfg.targets[0]), Permissions), kind


def test_every_vault_request_of_a_rotation_is_allowed_by_a_generated_rule_and_every_rule_is_used(
    tmp_path: Path,
) -> None:
    """OpenBao's audit log of a rotation under exactly the generated policy: each request the
    job made, mapped to the capability it needs, is what some rule grants (nothing denied and
    swallowed), and each capability the policy grants was used (nothing granted for nothing)."""
    with audited_openbao(tmp_path) as (server, log):
        base = folder()
        put(server, f"{base}/key", {"api_key": OLD}, type="api_key")
        targets = [{"secret": f"{base}/key", "kind": "file", "path": str(tmp_path / "key.env")}]
        policy = generated(
            "vault", JOB, write_config(tmp_path / "deployment.yaml", settings(server, [f"{base}/"], targets))
        )
        token = vault_token(server, policy)
        result = run(tmp_path, settings(token, [f"{base}/"], targets), "--apply")
        assert result["status"] == "success", result
        requests = vault_requests(log, token.token)
    rules = read_vault_policy(policy)
    assert [r for r in requests if r[2]] == []
    used = {(vault_rule_for(rules, path), CAPABILITY[operation]) for operation, path, _ in requests}
    assert used == {(path, capability) for path, caps in rules.items() for capability in caps}, requests


#: the capability a request's operation (as the audit log names it) needs
CAPABILITY = {"read": "read", "list": "list", "update": "update", "create": "create", "delete": "delete"}
