"""Files, Kubernetes (fake API through the real client), Vault PKI (real OpenBao), ACM (moto)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from kubernetes import client as k8s

from jobs.core.runtime import Runtime
from tests import services
from tests.certificate_checker.conftest import NOW, Pki, by_resource, issue_from, run_checker
from tests.fakes.kubernetes import FakeKubernetes

NOW_ARG = ("--now", NOW.isoformat())


# -- files -------------------------------------------------------------------------------------
def test_files_bundles_der_and_globs(pki: Pki, tmp_path: Path) -> None:
    certs = tmp_path / "certs" / "nested"
    certs.mkdir(parents=True)
    (certs / "site.pem").write_bytes(pki.leaf("site.test", 20).pem())  # leaf + intermediate
    (certs / "site.der").write_bytes(pki.leaf("der.test", 5).cert.public_bytes(serialization.Encoding.DER))
    (certs / "mixed.pem").write_bytes(
        pki.leaf("a.test", 100).pem(False)
        + b"-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n"
        + pki.leaf("b.test", 40).pem(False)
    )
    (certs / "notes.txt").write_text("not a certificate")
    result = run_checker(
        tmp_path,
        {"files": [f"{tmp_path}/certs/**/*.pem", f"{tmp_path}/certs/nested/site.der", f"{tmp_path}/missing.pem",
                   f"{certs}/notes.txt"]},
        *NOW_ARG,
    )  # fmt: skip
    found = by_resource(result)
    assert found[f"file:{certs}/site.pem#0"]["severity"] == "warning"
    assert found[f"file:{certs}/site.pem#1"]["details"]["subject"] == "CN=test issuing CA"
    assert found[f"file:{certs}/site.der#0"]["severity"] == "critical"
    assert found[f"file:{certs}/mixed.pem#0"]["severity"] == "ok"
    assert found[f"file:{certs}/mixed.pem#2"]["severity"] == "info"  # the block after a corrupt one still counts
    errors = {e["source"]: e["message"] for e in result["errors"]}
    assert errors[f"file:{certs}/mixed.pem#1"].startswith("corrupt PEM certificate")
    assert errors[f"file:{tmp_path}/missing.pem"] == "no such file"
    assert errors[f"file:{certs}/notes.txt#0"].startswith("neither PEM nor DER certificate")
    assert result["status"] == "partial" and result["exit_code"] == 1


# -- Kubernetes --------------------------------------------------------------------------------
def k8s_runtime(fake: FakeKubernetes) -> Runtime:
    return Runtime(sleep=lambda _: None, clients={"kubernetes": k8s.ApiClient(k8s.Configuration(host=fake.url))})


def tls_secret(ns: str, name: str, pem: bytes, kind: str = "kubernetes.io/tls") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns}, "type": kind,
            "data": {"tls.crt": base64.b64encode(pem).decode(), "tls.key": "c2VjcmV0"}}  # fmt: skip


def test_kubernetes_tls_secrets_are_read_page_by_page(pki: Pki, kubernetes_api: FakeKubernetes, tmp_path: Path) -> None:
    for i in range(7):
        kubernetes_api.add("secrets", tls_secret(f"team{i % 2}", f"tls-{i}", pki.leaf(f"s{i}.test", 10 * i).pem()))
    kubernetes_api.add("secrets", tls_secret("team0", "opaque-with-cert", pki.leaf("o.test", 90).pem(), "Opaque"))
    kubernetes_api.add("secrets", {"metadata": {"name": "db", "namespace": "team0"}, "data": {"password": "eA=="}})
    kubernetes_api.add(
        "secrets", {"metadata": {"name": "empty-tls", "namespace": "team1"}, "type": "kubernetes.io/tls"}
    )
    kubernetes_api.add(
        "secrets", tls_secret("team1", "garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    )
    result = run_checker(
        tmp_path, {"kubernetes": {"enabled": True, "page_size": 3}}, *NOW_ARG, runtime=k8s_runtime(kubernetes_api)
    )
    found = by_resource(result)
    assert sorted(found) == sorted([f"k8s:team{i % 2}/tls-{i}" for i in range(7)] + ["k8s:team0/opaque-with-cert"])
    assert found["k8s:team0/tls-0"]["severity"] == "critical" and found["k8s:team0/tls-0"]["details"]["days_left"] == 0
    assert len(found["k8s:team1/tls-3"]["details"]["chain"]) == 2  # leaf + intermediate from tls.crt
    assert {e["source"]: e["message"] for e in result["errors"]} == {
        "k8s:team1/empty-tls": "Secret of type kubernetes.io/tls without tls.crt",
        "k8s:team1/garbage": "tls.crt certificate 0: corrupt PEM certificate: "
        + result["errors"][1]["message"].split("corrupt PEM certificate: ")[1],
    }
    pages = kubernetes_api.calls("GET", "/api/v1/secrets")
    assert len(pages) == 4 and all(r.query["limit"] == "3" for r in pages)


def test_kubernetes_selected_namespaces_and_a_missing_one(
    pki: Pki, kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    kubernetes_api.add("secrets", tls_secret("web", "tls", pki.leaf("web.test", 100).pem()))
    kubernetes_api.add("secrets", tls_secret("other", "tls", pki.leaf("other.test", 100).pem()))
    result = run_checker(
        tmp_path, {"kubernetes": {"enabled": True, "namespaces": ["web", "gone"]}}, runtime=k8s_runtime(kubernetes_api)
    )
    assert list(by_resource(result)) == ["k8s:web/tls"]
    assert result["errors"] == [{"source": "k8s:gone", "message": "namespace not found"}]


def test_a_kubernetes_api_that_fails_is_an_error_entry_not_a_crash(
    kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    from tests.fakes.base import Response

    kubernetes_api.fail_next("GET", "/api/v1/secrets", Response(403, {"kind": "Status", "reason": "Forbidden",
                             "message": "secrets is forbidden: User \"system:serviceaccount:secops:checker\""}))  # fmt: skip
    result = run_checker(tmp_path, {"kubernetes": {"enabled": True}}, runtime=k8s_runtime(kubernetes_api))
    assert result["errors"][0]["source"] == "k8s:*"
    assert "HTTP 403 Forbidden" in result["errors"][0]["message"]
    assert result["status"] == "partial"


# -- Vault / OpenBao PKI -----------------------------------------------------------------------
def counting_session() -> tuple[requests.Session, list[str]]:
    seen: list[str] = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *a, **k: seen.append(f"{r.request.method} {r.request.path_url}"))
    return session, seen


def test_vault_pki_certificates_revocations_superseded_and_cache(
    openbao: services.Vault, vault_pki: Any, tmp_path: Path
) -> None:
    import hvac

    client, mount = vault_pki
    api_old = issue_from(client, mount, "api.example.test", "240h")
    api_new = issue_from(client, mount, "api.example.test", "2000h")
    web = issue_from(client, mount, "web.example.test", "72h")
    gone = issue_from(client, mount, "gone.example.test", "720h")
    client.secrets.pki.revoke_certificate(gone, mount_point=mount)
    section = {"vault": {"enabled": True, "url": openbao.url, "token": openbao.token, "mounts": [mount, "no-such-pki"]}}

    session, seen = counting_session()
    counted = hvac.Client(url=openbao.url, token=openbao.token, session=session)
    first = run_checker(tmp_path, section, runtime=Runtime(clients={"vault-pki": counted}))
    found = by_resource(first)
    assert f"vault:{mount}/{gone}" not in found
    assert found[f"vault:{mount}/{web}"]["severity"] == "critical"  # 3 days
    assert found[f"vault:{mount}/{api_new}"]["severity"] == "ok"
    assert found[f"vault:{mount}/{api_old}"]["details"]["superseded_by"] == f"vault:{mount}/{api_new}"
    assert found[f"vault:{mount}/{api_old}"]["severity"] == "ok"
    assert {"source": "vault:no-such-pki", "message": "no PKI mount at no-such-pki"} in first["errors"]
    [root] = [f for f in found.values() if f["details"]["subject"] == "CN=vault test root"]
    assert (root["severity"], root["details"]["problems"]) == ("ok", [])  # the mount's own CA, self-signed by nature
    reads = [s for s in seen if f"/{mount}/cert/" in s and not s.endswith("/ca")]
    assert len(reads) == 4  # root, api x2, web; the revoked serial is known from the revoked list

    seen.clear()
    newest = issue_from(client, mount, "new.example.test", "720h")
    second = run_checker(tmp_path, section, runtime=Runtime(clients={"vault-pki": counted}))
    assert [s for s in seen if f"/{mount}/cert/" in s] == [f"GET /v1/{mount}/cert/{newest}"]  # only the unseen serial
    assert f"vault:{mount}/{newest}" in by_resource(second)
    client.secrets.pki.revoke_certificate(web, mount_point=mount)
    third = run_checker(tmp_path, section, runtime=Runtime(clients={"vault-pki": counted}))
    assert f"vault:{mount}/{web}" not in by_resource(third)  # revoked after it was cached


# -- ACM (moto) ---------------------------------------------------------------------------------
def test_acm_imported_certificates_with_chains(
    pki: Pki, moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from jobs.core.clients.aws import aws_client

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    moto.reset()
    acm = aws_client("acm", "eu-west-1")
    leaf = pki.leaf("shop.example.test", 12, key="rsa2048")
    arn = acm.import_certificate(
        Certificate=leaf.cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=leaf.key_pem(),
        CertificateChain=pki.inter.cert.public_bytes(serialization.Encoding.PEM),
    )["CertificateArn"]
    acm.request_certificate(DomainName="pending.example.test", ValidationMethod="DNS")  # no certificate yet
    result = run_checker(tmp_path, {"acm": {"enabled": True, "regions": ["eu-west-1"]}}, *NOW_ARG)
    found = by_resource(result)
    assert list(found) == [arn]
    assert found[arn]["severity"] == "warning", found[arn]
    assert found[arn]["details"]["source"] == "acm"
    assert found[arn]["details"]["chain"][1]["subject"] == "CN=test issuing CA"
    assert found[arn]["details"]["store"] == "eu-west-1"


def test_a_stored_chain_that_does_not_link_is_untrusted(pki: Pki, tmp_path: Path) -> None:
    from jobs.demo.issuing import issue

    other_ca = issue("unrelated CA", NOW, issuer=pki.root, ca=True, valid_days=500)
    leaf = pki.leaf("mixed.test", 100)
    misordered = leaf.cert.public_bytes(serialization.Encoding.PEM) + other_ca.cert.public_bytes(
        serialization.Encoding.PEM
    )
    appended_root = leaf.pem() + issue("reference root", NOW, ca=True).cert.public_bytes(serialization.Encoding.PEM)
    from jobs.certificate_checker.sources.kubernetes import observe

    broken, _ = observe(tls_secret("web", "broken", misordered))
    fine, _ = observe(tls_secret("web", "fine", appended_root))
    assert broken is not None and broken.chain_error == "certificate 0 is not issued by certificate 1"
    assert fine is not None and fine.chain_error is None
