"""The grants each certificate source declares are what it needs: an OpenBao token holding
exactly the declared PKI policy checks a mount, an IAM user holding exactly the declared ACM
actions (moto with IAM enforcement) checks a region, and one capability less fails either."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from jobs.certificate_checker.job import permissions
from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.certificate_checker.sources import SOURCES
from jobs.core.permissions import AwsGrant, Permissions
from tests import services
from tests.certificate_checker.conftest import NOW, Pki, by_resource, issue_from, run_checker
from tests.grants import iam_policy, one_less, vault_token

PKI = CertificateCheckerSettings.model_validate({"vault": {"enabled": True, "mounts": ["pki/"]}})
PKI_DROPS = [name for name, _ in one_less(list(permissions(PKI).vault))]


def pki_check(openbao: services.Vault, vault_pki: Any, tmp_path: Path, drop: int | None) -> tuple[dict[str, Any], str]:
    client, mount = vault_pki
    serial = issue_from(client, mount, "api.example.test", "720h")
    client.secrets.pki.revoke_certificate(issue_from(client, mount, "gone.example.test", "720h"), mount_point=mount)
    cfg = CertificateCheckerSettings.model_validate({"vault": {"enabled": True, "mounts": [mount]}})
    grants = list(permissions(cfg).vault)
    limited = vault_token(openbao, grants if drop is None else list(one_less(grants))[drop][1])
    section = {"vault": {"enabled": True, "url": limited.url, "token": limited.token, "mounts": [mount]}}
    return run_checker(tmp_path, section), f"vault:{mount}/{serial}"


def test_a_token_with_exactly_the_declared_pki_policy_checks_the_mount(
    openbao: services.Vault, vault_pki: Any, tmp_path: Path
) -> None:
    result, resource = pki_check(openbao, vault_pki, tmp_path, None)
    assert result["errors"] == [] and result["status"] == "success", result
    assert resource in by_resource(result)


@pytest.mark.parametrize("drop", range(len(PKI_DROPS)), ids=PKI_DROPS)
def test_one_declared_pki_capability_less_and_the_check_fails(
    drop: int, openbao: services.Vault, vault_pki: Any, tmp_path: Path
) -> None:
    result, resource = pki_check(openbao, vault_pki, tmp_path, drop)
    assert result["errors"] and result["status"] != "success", result
    assert "permission denied" in result["errors"][0]["message"]
    assert resource not in by_resource(result)


# -- ACM under moto's IAM enforcement ------------------------------------------------------------
def reset_auth(moto: services.Moto, unauthenticated: str) -> None:
    """After `unauthenticated` more requests, moto checks every request against IAM."""
    request = urllib.request.Request(
        f"{moto.endpoint}/moto-api/reset-auth", unauthenticated.encode(), {"Content-Type": "text/plain"}, method="POST"
    )
    urllib.request.urlopen(request, timeout=10).close()


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


def as_user_with(monkeypatch: pytest.MonkeyPatch, moto: services.Moto, grants: list[AwsGrant]) -> None:
    """An IAM user holding exactly `grants` (made in moto's three unauthenticated calls), then
    every request, the job's, as that user."""
    from jobs.core.clients.aws import aws_client

    reset_auth(moto, "3")
    iam = aws_client("iam", "us-east-1")
    iam.create_user(UserName="certificate-checker")
    iam.put_user_policy(UserName="certificate-checker", PolicyName="declared", PolicyDocument=iam_policy(grants))
    key = iam.create_access_key(UserName="certificate-checker")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])


ACM = CertificateCheckerSettings.model_validate({"acm": {"enabled": True, "regions": ["eu-west-1"]}})
ACM_DROPS = [name for name, _ in one_less(list(permissions(ACM).aws))]


def test_an_iam_user_with_exactly_the_declared_acm_actions_checks_the_region(
    acm_account: str, moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    as_user_with(monkeypatch, moto, list(permissions(ACM).aws))
    result = run_checker(tmp_path, {"acm": {"enabled": True, "regions": ["eu-west-1"]}}, "--now", NOW.isoformat())
    assert result["errors"] == [] and list(by_resource(result)) == [acm_account], result


@pytest.mark.parametrize("drop", range(len(ACM_DROPS)), ids=ACM_DROPS)
def test_one_declared_acm_action_less_and_the_check_fails(
    drop: int, acm_account: str, moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    as_user_with(monkeypatch, moto, list(one_less(list(permissions(ACM).aws)))[drop][1])
    result = run_checker(tmp_path, {"acm": {"enabled": True, "regions": ["eu-west-1"]}}, "--now", NOW.isoformat())
    assert result["errors"] and "AccessDenied" in result["errors"][0]["message"], result
    assert acm_account not in by_resource(result)


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
