"""The HTTP fakes hold up under the real client libraries the jobs will use."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from tests.fakes.keycloak import ADMIN_PASSWORD, ADMIN_USER, FakeKeycloak
from tests.fakes.kubernetes import FakeKubernetes


def api(fake: FakeKubernetes) -> k8s.ApiClient:
    config = k8s.Configuration(host=fake.url)
    config.api_key = {"authorization": "Bearer test-token"}
    return k8s.ApiClient(config)


def tls_secret(ns: str, name: str, **labels: str) -> dict[str, Any]:
    pem = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n...").decode()
    return {
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": pem, "tls.key": pem},
    }


def test_secrets_page_with_limit_and_continue_across_namespaces(kubernetes_api: FakeKubernetes) -> None:
    for i in range(7):
        kubernetes_api.add("secrets", tls_secret(f"ns{i % 3}", f"tls-{i}", team="edge" if i % 2 else "core"))
    core = k8s.CoreV1Api(api(kubernetes_api))
    names: list[str] = []
    token = None
    pages = 0
    while True:
        page = core.list_secret_for_all_namespaces(limit=3, _continue=token)
        names += [s.metadata.name for s in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
    assert pages == 3 and sorted(names) == [f"tls-{i}" for i in range(7)]
    assert page.items[0].type == "kubernetes.io/tls"
    edge = core.list_namespaced_secret("ns1", label_selector="team=edge")
    assert [s.metadata.name for s in edge.items] == ["tls-1"]


def test_not_found_and_conflicts_come_back_as_status_objects(kubernetes_api: FakeKubernetes) -> None:
    kubernetes_api.add("secrets", tls_secret("billing", "db-credentials"))
    core = k8s.CoreV1Api(api(kubernetes_api))
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_secret("nope", "billing")
    assert missing.value.status == 404 and '"reason": "NotFound"' in missing.value.body
    with pytest.raises(ApiException) as exists:
        core.create_namespaced_secret("billing", k8s.V1Secret(metadata=k8s.V1ObjectMeta(name="db-credentials")))
    assert exists.value.status == 409 and '"reason": "AlreadyExists"' in exists.value.body
    current = core.read_namespaced_secret("db-credentials", "billing")
    current.string_data = {"password": "new"}
    core.replace_namespaced_secret("db-credentials", "billing", current)
    current.string_data = {"password": "newer"}  # stale resourceVersion now
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_secret("db-credentials", "billing", current)
    assert conflict.value.status == 409 and '"reason": "Conflict"' in conflict.value.body
    stored = core.read_namespaced_secret("db-credentials", "billing")
    assert base64.b64decode(stored.data["password"]) == b"new"


def test_a_restart_annotation_rolls_a_deployment_out(kubernetes_api: FakeKubernetes) -> None:
    kubernetes_api.add(
        "deployments", {"metadata": {"name": "billing-api", "namespace": "billing"}, "spec": {"replicas": 2}}
    )
    apps = k8s.AppsV1Api(api(kubernetes_api))
    before = apps.read_namespaced_deployment("billing-api", "billing")
    patch = {"spec": {"template": {"metadata": {"annotations": {"secops.io/restartedAt": "2026-11-23T02:00:00Z"}}}}}
    after = apps.patch_namespaced_deployment("billing-api", "billing", patch)
    assert after.metadata.generation == before.metadata.generation + 1
    assert after.status.observed_generation == after.metadata.generation
    assert after.status.updated_replicas == after.status.ready_replicas == 2
    assert after.spec.template.metadata.annotations == {"secops.io/restartedAt": "2026-11-23T02:00:00Z"}
    assert after.spec.template.spec.containers[0].name == "billing-api"  # merged, not replaced


def test_a_stuck_rollout_never_becomes_ready(kubernetes_api: FakeKubernetes) -> None:
    kubernetes_api.add("deployments", {"metadata": {"name": "web", "namespace": "shop"}})
    kubernetes_api.stuck_rollouts.add(("shop", "web"))
    apps = k8s.AppsV1Api(api(kubernetes_api))
    after = apps.patch_namespaced_deployment(
        "web", "shop", {"spec": {"template": {"metadata": {"annotations": {"a": "b"}}}}}
    )
    assert after.status.observed_generation != after.metadata.generation


def test_deleting_a_namespace_deletes_what_is_in_it(kubernetes_api: FakeKubernetes) -> None:
    kubernetes_api.add("configmaps", {"metadata": {"name": "cfg", "namespace": "pr-42", "labels": {"ttl": "7d"}}})
    kubernetes_api.add("statefulsets", {"metadata": {"name": "db", "namespace": "pr-42"}})
    core, apps = k8s.CoreV1Api(api(kubernetes_api)), k8s.AppsV1Api(api(kubernetes_api))
    assert [n.metadata.name for n in core.list_namespace().items] == ["pr-42"]
    assert apps.list_namespaced_stateful_set("pr-42").items[0].spec.service_name == "db"
    core.delete_namespace("pr-42")
    assert core.list_config_map_for_all_namespaces().items == []
    with pytest.raises(ApiException) as gone:
        core.create_namespaced_config_map("pr-42", k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="x")))
    assert gone.value.status == 404


def admin_token(http: httpx.Client, url: str) -> str:
    answer = http.post(
        f"{url}/realms/master/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "admin-cli", "username": ADMIN_USER, "password": ADMIN_PASSWORD},
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def client_token(http: httpx.Client, url: str, secret: str) -> int:
    return http.post(
        f"{url}/realms/stoa/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": "portal", "client_secret": secret},
    ).status_code


def test_keycloak_regenerated_secret_keeps_the_old_one_for_a_grace_period(keycloak: FakeKeycloak) -> None:
    keycloak.add_client("stoa", "portal", "old-secret-value")
    with httpx.Client(timeout=5) as http:
        headers = {"Authorization": f"Bearer {admin_token(http, keycloak.url)}"}
        [found] = http.get(
            f"{keycloak.url}/admin/realms/stoa/clients", params={"clientId": "portal"}, headers=headers
        ).json()
        new = http.post(f"{keycloak.url}/admin/realms/stoa/clients/{found['id']}/client-secret", headers=headers).json()
        assert new["type"] == "secret" and new["value"] != "old-secret-value"
        assert client_token(http, keycloak.url, new["value"]) == 200
        assert client_token(http, keycloak.url, "old-secret-value") == 200  # rotated, still valid
        rotated = f"{keycloak.url}/admin/realms/stoa/clients/{found['id']}/client-secret/rotated"
        assert http.get(rotated, headers=headers).json()["value"] == "old-secret-value"
        assert http.delete(rotated, headers=headers).status_code == 204
        assert client_token(http, keycloak.url, "old-secret-value") == 401
        assert (
            http.get(f"{keycloak.url}/admin/realms/stoa/clients", headers={"Authorization": "Bearer x"}).status_code
            == 401
        )
        missing = http.get(f"{keycloak.url}/admin/realms/stoa/clients/nope/client-secret", headers=headers)
        assert (missing.status_code, missing.json()) == (404, {"error": "Could not find client"})
