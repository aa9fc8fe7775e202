"""The policies generated for the certificate checker are what it needs, proven where they
are enforced: an OpenBao token holding exactly the generated Vault policy checks a PKI mount, an
IAM user holding exactly the generated IAM document (moto with IAM enforcement) checks ACM, the
fake Kubernetes API authorising as the generated RBAC objects say lists TLS Secrets; and one
capability less, rendered by the same generator, fails each of them, naming what was denied.

moto checks ACM requests against resource `*`, so the user also holds the generated document's
ARN-scoped actions on `*` (tests.grants.moto_gaps, derived from the document); the ARNs themselves
are checked with moto's policy evaluator against the real certificate ARN.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from jobs.certificate_checker.job import permissions
from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.certificate_checker.sources import SOURCES
from jobs.core.deploy import policies
from jobs.core.permissions import Permissions
from tests import services
from tests.certificate_checker.conftest import NOW, Pki, by_resource, issue_from, run_checker
from tests.certificate_checker.test_sources import k8s_runtime, tls_secret
from tests.fakes.kubernetes import FakeKubernetes
from tests.grants import (
    as_iam_user,
    generated,
    iam_allows,
    iam_less,
    needs,
    one_less,
    rbac_rules,
    reset_auth,
    vault_less,
    vault_token,
)
from tests.helpers import write_config

JOB = "certificate-checker"
PKI = CertificateCheckerSettings.model_validate({"vault": {"enabled": True, "mounts": ["pki/"]}})
PKI_DROPS = [name for name, _ in one_less(list(permissions(PKI).vault))]


def deployment(tmp_path: Path, section: dict[str, Any]) -> str:
    """The settings file the policies are generated from (the run writes its own, same section)."""
    return write_config(tmp_path / "deployment.yaml", {"certificate_checker": section})


def pki_check(openbao: services.Vault, vault_pki: Any, tmp_path: Path, drop: int | None) -> tuple[dict[str, Any], str]:
    client, mount = vault_pki
    serial = issue_from(client, mount, "api.example.test", "720h")
    client.secrets.pki.revoke_certificate(issue_from(client, mount, "gone.example.test", "720h"), mount_point=mount)
    section = {"vault": {"enabled": True, "url": openbao.url, "token": "the-deployments-own", "mounts": [mount]}}
    config = deployment(tmp_path, section)
    policy = generated("vault", JOB, config) if drop is None else vault_less(needs(JOB, config), drop)
    limited = vault_token(openbao, policy)
    return run_checker(tmp_path, {"vault": {**section["vault"], "token": limited.token}}), f"vault:{mount}/{serial}"


def test_a_token_with_exactly_the_generated_vault_policy_checks_the_pki_mount(
    openbao: services.Vault, vault_pki: Any, tmp_path: Path
) -> None:
    result, resource = pki_check(openbao, vault_pki, tmp_path, None)
    assert result["errors"] == [] and result["status"] == "success", result
    assert resource in by_resource(result)


@pytest.mark.parametrize("drop", range(len(PKI_DROPS)), ids=PKI_DROPS)
def test_one_generated_pki_capability_less_and_the_check_fails(
    drop: int, openbao: services.Vault, vault_pki: Any, tmp_path: Path
) -> None:
    result, resource = pki_check(openbao, vault_pki, tmp_path, drop)
    assert result["errors"] and result["status"] != "success", result
    assert "permission denied" in result["errors"][0]["message"]
    assert resource not in by_resource(result)


# -- ACM under moto's IAM enforcement ------------------------------------------------------------
@pytest.fixture
def acm_account(moto: services.Moto, monkeypatch: pytest.MonkeyPatch, pki: Pki) -> Iterator[str]:
    """A region holding one imported certificate; moto enforcing IAM until the test ends."""
    from jobs.core.clients.aws import aws_client

    for name, value in {"AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    moto.reset()
    leaf = pki.leaf("shop.example.test", 12, key="rsa2048")
    arn = aws_client("acm", "eu-west-1").import_certificate(
        Certificate=leaf.cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=leaf.key_pem(),
        CertificateChain=pki.inter.cert.public_bytes(serialization.Encoding.PEM),
    )["CertificateArn"]
    try:
        yield str(arn)
    finally:
        reset_auth(moto, "inf")


ACM_SECTION = {"acm": {"enabled": True, "regions": ["eu-west-1"]}}
ACM = CertificateCheckerSettings.model_validate(ACM_SECTION)
ACM_DROPS = [name for name, _ in one_less(list(permissions(ACM).aws))]


def test_an_iam_user_with_exactly_the_generated_policy_checks_acm_and_its_arns_name_the_certificate(
    acm_account: str, moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    document = generated("iam", JOB, deployment(tmp_path, ACM_SECTION))
    as_iam_user(moto, monkeypatch, JOB, document)
    result = run_checker(tmp_path, ACM_SECTION, "--now", NOW.isoformat())
    assert result["errors"] == [] and list(by_resource(result)) == [acm_account], result
    policy = json.loads(document)
    assert iam_allows(policy, "acm:GetCertificate", acm_account) and iam_allows(policy, "acm:ListCertificates", "*")
    elsewhere = acm_account.replace(":eu-west-1:", ":ap-south-1:")
    assert not iam_allows(policy, "acm:GetCertificate", elsewhere)  # a region not configured is not granted


@pytest.mark.parametrize("drop", range(len(ACM_DROPS)), ids=ACM_DROPS)
def test_one_generated_acm_action_less_and_the_check_fails(
    drop: int, acm_account: str, moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    as_iam_user(moto, monkeypatch, JOB, iam_less(needs(JOB, deployment(tmp_path, ACM_SECTION)), drop))
    result = run_checker(tmp_path, ACM_SECTION, "--now", NOW.isoformat())
    assert result["errors"] and "AccessDenied" in result["errors"][0]["message"], result
    assert acm_account not in by_resource(result)


# -- Kubernetes under the generated RBAC -----------------------------------------------------------
SCOPES = {"two-namespaces": ["web", "api"], "every-namespace": []}


def generated_rules(namespaces: list[str]) -> list[Any]:
    cfg = CertificateCheckerSettings.model_validate({"kubernetes": {"enabled": True, "namespaces": namespaces}})
    return rbac_rules(policies.rbac(permissions(cfg), JOB, "secops"), JOB, "secops")


RBAC_CASES = [(scope, None) for scope in SCOPES] + [
    (scope, drop) for scope, namespaces in SCOPES.items() for drop in range(len(generated_rules(namespaces)))
]


@pytest.mark.parametrize(
    ("scope", "drop"), RBAC_CASES, ids=[f"{s}-{'all' if d is None else f'less-{d}'}" for s, d in RBAC_CASES]
)
def test_the_generated_rbac_lets_the_source_read_every_tls_secret_and_one_rule_less_is_forbidden(
    scope: str, drop: int | None, pki: Pki, kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    """TLS Secrets in two namespaces, read under the generated Role/ClusterRole bindings (printed
    by `permissions --format rbac`, one rule of them dropped), as the fake's authorizer applies them."""
    for ns in ("web", "api"):
        kubernetes_api.add("secrets", tls_secret(ns, f"{ns}-tls", pki.leaf(f"{ns}.example.test", 40).pem()))
    section = {"kubernetes": {"enabled": True, "namespaces": SCOPES[scope]}}
    rules = rbac_rules(list(yaml.safe_load_all(generated("rbac", JOB, deployment(tmp_path, section)))), JOB, "secops")
    assert rules == generated_rules(SCOPES[scope])
    kubernetes_api.rbac = rules if drop is None else rules[:drop] + rules[drop + 1 :]
    result = run_checker(tmp_path, section, "--now", NOW.isoformat(), runtime=k8s_runtime(kubernetes_api))
    if drop is None:
        assert result["errors"] == [] and set(by_resource(result)) == {"k8s:web/web-tls", "k8s:api/api-tls"}, result
    else:
        assert result["errors"] and "403 Forbidden" in str(result["errors"]), result


# -- the table -----------------------------------------------------------------------------------
def test_every_certificate_source_declares_its_grants_as_a_function_of_the_settings() -> None:
    everything = CertificateCheckerSettings.model_validate(
        {
            "files": ["/etc/ssl/site.pem"],
            "endpoints": ["shop.example.test:443"],
            "kubernetes": {"enabled": True, "namespaces": ["web", "api"]},
            "vault": {"enabled": True, "mounts": ["pki", "pki_int/"]},
            "acm": {"enabled": True, "regions": ["eu-west-1", "us-east-1"]},
        }
    )
    from jobs.core.registry import load_attr

    declared = {name: load_attr(spec.permissions)(everything) for name, spec in SOURCES.items()}
    assert all(isinstance(p, Permissions) for p in declared.values())
    assert declared["files"] == declared["endpoints"] == Permissions()  # a file read, an anonymous handshake
    assert {(g.resources, g.verbs, g.namespace, g.names) for g in declared["kubernetes"].kubernetes} == {
        (("secrets",), ("list",), "web", ()),
        (("secrets",), ("list",), "api", ()),
        (("namespaces",), ("get",), "", ("web", "api")),
    }
    assert {g.path for g in declared["vault"].vault} == {
        f"{m}/{p}" for m in ("pki", "pki_int") for p in ("certs", "certs/revoked")
    }
    assert declared["acm"].aws_actions() == {"acm:ListCertificates", "acm:GetCertificate"}
    assert {g.resource for g in declared["acm"].aws} == {
        "*", "arn:aws:acm:eu-west-1:*:certificate/*", "arn:aws:acm:us-east-1:*:certificate/*"
    }  # fmt: skip
    assert permissions(everything) == sum(declared.values(), Permissions())
    only_files = CertificateCheckerSettings.model_validate({"files": ["/etc/ssl/site.pem"]})
    assert permissions(only_files) == Permissions()  # a disabled source needs nothing
