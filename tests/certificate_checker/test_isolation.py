"""Material nobody here wrote: pyca's x509 vectors. One bad certificate never blinds a source."""

from __future__ import annotations

import glob
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from jobs.demo.tlslab import TLSServer
from tests import services
from tests.certificate_checker.conftest import NOW, Pki, by_resource, run_checker
from tests.certificate_checker.test_sources import k8s_runtime, tls_secret
from tests.fakes.kubernetes import FakeKubernetes

vectors = pytest.importorskip("cryptography_vectors")
X509 = Path(vectors.__file__).parent / "x509"
NOW_ARG = ("--now", NOW.isoformat())
#: cryptography reads the outer structure of these but not a field the checker needs
DUPLICATE_EXTENSION = (X509 / "custom" / "two_basic_constraints.pem").read_bytes()
BAD_SUBJECT = (X509 / "custom" / "invalid_utf8_common_name.pem").read_bytes()


def place(resource: str) -> str:
    """`file:<path>#<i>` → `<path>`."""
    return resource.removeprefix("file:").rpartition("#")[0] or resource.removeprefix("file:")


def test_every_x509_vector_file_is_a_finding_or_an_error_naming_it(tmp_path: Path) -> None:
    files = {str(Path(f)) for f in glob.glob(f"{X509}/**/*", recursive=True) if Path(f).is_file()}
    assert len(files) > 600 and any(f.endswith(".der") for f in files) and any(f.endswith(".pem") for f in files)
    result = run_checker(tmp_path, {"files": [f"{X509}/**/*"]}, *NOW_ARG)
    named = {place(f["resource"]) for f in result["findings"]} | {place(e["source"]) for e in result["errors"]}
    assert files - named == set()
    assert not [e for e in result["errors"] if not e["source"].startswith("file:")]  # no source-wide failure
    assert len(result["findings"]) > 400
    summary = result["summary"]
    assert summary["total_checked"] == len(result["findings"]) == sum(summary[s] for s in ("critical", "warning",
                                                                                          "info", "ok"))  # fmt: skip
    for error in result["errors"]:  # sentences, not the parser's debug structures
        assert "ParseError" not in error["message"] and "{" not in error["message"], error
    errors = {e["source"]: e["message"] for e in result["errors"]}
    assert errors[f"file:{X509}/custom/two_basic_constraints.pem#0"] == (
        "malformed certificate: Duplicate 2.5.29.19 extension found"
    )
    assert errors[f"file:{X509}/custom/invalid_utf8_common_name.pem#0"] == (
        "malformed certificate: malformed ASN.1 (invalid value at subject)"
    )


def test_one_bad_file_among_good_ones_leaves_the_good_ones_judged(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "a-bad.pem").write_bytes(BAD_SUBJECT)
    (tmp_path / "b-bundle.pem").write_bytes(pki.leaf("one.test", 100).pem(False) + DUPLICATE_EXTENSION)
    (tmp_path / "c-good.pem").write_bytes(pki.leaf("two.test", 20).pem(False))
    result = run_checker(tmp_path, {"files": [f"{tmp_path}/*.pem"]}, *NOW_ARG)
    assert sorted(by_resource(result)) == [f"file:{tmp_path}/b-bundle.pem#0", f"file:{tmp_path}/c-good.pem#0"]
    assert sorted(e["source"] for e in result["errors"]) == [
        f"file:{tmp_path}/a-bad.pem#0",
        f"file:{tmp_path}/b-bundle.pem#1",
    ]


def test_a_server_presenting_a_malformed_extra_certificate_blinds_no_endpoint(
    pki: Pki, tls: Callable[..., TLSServer], tmp_path: Path
) -> None:
    odd = pki.leaf("odd.test", 100)
    odd.extra = DUPLICATE_EXTENSION
    names = {"odd.test": odd, "critical.test": pki.leaf("critical.test", 2)}
    server = tls(pki.leaf("default.test", 200), names)
    endpoints = [{"host": "127.0.0.1", "port": server.port, "server_name": n} for n in names]
    result = run_checker(tmp_path, {"endpoints": endpoints, "ca_bundle": str(pki.ca_file)}, *NOW_ARG)
    found = {f["details"]["hostname"]: f for f in result["findings"]}
    assert found["critical.test"]["severity"] == "critical"
    assert found["odd.test"]["details"]["problems"] == [] and found["odd.test"]["severity"] == "ok"
    assert {e["source"]: e["message"] for e in result["errors"]} == {
        f"endpoint:127.0.0.1:{server.port}/odd.test": (
            "presented certificate 2: malformed certificate: Duplicate 2.5.29.19 extension found"
        ),
    }


def test_one_malformed_kubernetes_secret_leaves_the_others_judged(
    pki: Pki, kubernetes_api: FakeKubernetes, tmp_path: Path
) -> None:
    kubernetes_api.add("secrets", tls_secret("web", "a-bad", BAD_SUBJECT))
    kubernetes_api.add("secrets", tls_secret("web", "b-extra", pki.leaf("b.test", 100).pem() + DUPLICATE_EXTENSION))
    kubernetes_api.add("secrets", tls_secret("web", "c-good", pki.leaf("c.test", 3).pem()))
    result = run_checker(tmp_path, {"kubernetes": {"enabled": True}}, *NOW_ARG, runtime=k8s_runtime(kubernetes_api))
    found = by_resource(result)
    assert sorted(found) == ["k8s:web/b-extra", "k8s:web/c-good"]
    assert found["k8s:web/c-good"]["severity"] == "critical"
    assert found["k8s:web/b-extra"]["details"]["problems"] == []  # leaf + intermediate still link
    assert {e["source"]: e["message"] for e in result["errors"]} == {
        "k8s:web/a-bad": "tls.crt certificate 0: malformed certificate: malformed ASN.1 (invalid value at subject)",
        "k8s:web/b-extra": "tls.crt certificate 2: malformed certificate: Duplicate 2.5.29.19 extension found",
    }


def test_one_malformed_acm_chain_leaves_the_others_judged(
    pki: Pki, moto: services.Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from jobs.core.clients.aws import aws_client

    for name, value in {"AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    moto.reset()
    acm = aws_client("acm", "eu-west-1")
    arns = {}
    for name, days, extra in (("odd.example.test", 100, DUPLICATE_EXTENSION), ("soon.example.test", 20, b"")):
        leaf = pki.leaf(name, days, key="rsa2048")
        arns[name] = acm.import_certificate(
            Certificate=leaf.cert.public_bytes(serialization.Encoding.PEM),
            PrivateKey=leaf.key_pem(),
            CertificateChain=pki.inter.cert.public_bytes(serialization.Encoding.PEM) + extra,
        )["CertificateArn"]
    result = run_checker(tmp_path, {"acm": {"enabled": True, "regions": ["eu-west-1"]}}, *NOW_ARG)
    found = by_resource(result)
    assert found[arns["soon.example.test"]]["severity"] == "warning"
    assert found[arns["odd.example.test"]]["severity"] == "ok"
    [error] = result["errors"]
    assert error["source"] == arns["odd.example.test"] and "Duplicate 2.5.29.19 extension" in error["message"]


def test_an_unreadable_block_is_named_and_the_parser_never_leaks_its_structures() -> None:
    from jobs.certificate_checker.parse import split_bundle

    [parsed] = split_bundle(b"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n")
    assert parsed.error is not None and parsed.error.startswith("corrupt PEM certificate: malformed ASN.1 (")
    assert "{" not in parsed.error and "ParseError" not in parsed.error
