"""Trust as clients judge it, and issuer links for every signature algorithm (SHA-1 and MD5 too)."""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from jobs.certificate_checker.signatures import issued_by
from jobs.demo.issuing import Issued, issue, issue_sha1
from jobs.demo.tlslab import TLSServer
from tests.certificate_checker.conftest import NOW, Pki, by_resource, run_checker
from tests.certificate_checker.test_sources import k8s_runtime
from tests.fakes.kubernetes import FakeKubernetes

NOW_ARG = ("--now", NOW.isoformat())
pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def pem(*certs: Issued) -> bytes:
    return b"".join(c.cert.public_bytes(serialization.Encoding.PEM) for c in certs)


def endpoint(server: TLSServer, name: str) -> dict[str, object]:
    return {"host": "127.0.0.1", "port": server.port, "server_name": name}


def python_ssl_accepts(server: TLSServer, name: str, ca_file: Path) -> bool:
    context = ssl.create_default_context(cafile=str(ca_file))
    try:
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=name),
        ):
            return True
    except ssl.SSLCertVerificationError:
        return False


def test_a_private_chain_without_key_usage_or_key_identifiers_is_trusted_as_openssl_and_python_trust_it(
    tls: Callable[..., TLSServer], tmp_path: Path
) -> None:
    """The WebPKI profile demands keyUsage, SKI and AKI of CAs; OpenSSL, curl and `ssl` do not."""
    root = issue("bare root", NOW, ca=True, valid_days=3650, starts_days=-100, minimal=True)
    inter = issue("bare issuing CA", NOW, issuer=root, ca=True, valid_days=1000, starts_days=-100, minimal=True)
    leaf = issue("bare.test", NOW, issuer=inter, valid_days=200, minimal=True)
    ca_file, chain = tmp_path / "root.pem", tmp_path / "chain.pem"
    ca_file.write_bytes(pem(root))
    chain.write_bytes(pem(inter))
    (tmp_path / "leaf.pem").write_bytes(pem(leaf))
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(ca_file), "-untrusted", str(chain), str(tmp_path / "leaf.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    server = tls(leaf)
    assert python_ssl_accepts(server, "bare.test", ca_file)
    result = run_checker(tmp_path, {"endpoints": [endpoint(server, "bare.test")], "ca_bundle": str(ca_file)}, *NOW_ARG)
    [finding] = result["findings"]
    assert finding["details"]["problems"] == [] and finding["severity"] == "ok", finding


def test_an_issuer_that_is_not_a_ca_is_still_untrusted(pki: Pki, tls: Callable[..., TLSServer], tmp_path: Path) -> None:
    not_a_ca = issue("not a CA", NOW, issuer=pki.inter, ca=False, valid_days=500, sans=[])
    leaf = issue("under.test", NOW, issuer=not_a_ca, valid_days=200)
    server = tls(leaf)
    result = run_checker(
        tmp_path, {"endpoints": [endpoint(server, "under.test")], "ca_bundle": str(pki.ca_file)}, *NOW_ARG
    )
    [finding] = result["findings"]
    assert "untrusted" in finding["details"]["problems"]
    assert "{" not in finding["details"]["trust_error"]  # a sentence, not a Rust structure


def test_sha1_and_md5_signatures_link_a_certificate_to_its_issuer(pki: Pki) -> None:
    sha1_root = issue_sha1("sha1 root", None, NOW, 3650, starts_days=-100, ca=True)
    md5_leaf = issue_sha1("md5.test", sha1_root, NOW, digest="md5")
    sha1_leaf = issue_sha1("sha1.test", pki.inter, NOW)
    assert issued_by(sha1_root.cert, sha1_root.cert)
    assert issued_by(md5_leaf.cert, sha1_root.cert)
    assert issued_by(sha1_leaf.cert, pki.inter.cert)
    assert not issued_by(sha1_leaf.cert, pki.root.cert)  # names differ
    impostor = issue_sha1("sha1 root", None, NOW, 3650, ca=True)  # same name, another key
    assert not issued_by(md5_leaf.cert, impostor.cert)


def test_an_expired_sha1_root_appended_to_a_good_chain_is_no_intermediate(
    pki: Pki, tls: Callable[..., TLSServer], tmp_path: Path
) -> None:
    """The AddTrust 2020 pattern: the leaf has 89 days; the appended root expired years ago."""
    old_root = issue_sha1("AddTrust-like root", None, NOW - timedelta(days=7000), 4624, ca=True)
    leaf = pki.leaf("addtrust.test", 89)
    leaf.chain.append(old_root.cert)
    server = tls(leaf)
    result = run_checker(
        tmp_path, {"endpoints": [endpoint(server, "addtrust.test")], "ca_bundle": str(pki.ca_file)}, *NOW_ARG
    )
    [finding] = result["findings"]
    assert finding["message"] == "certificate expires in 89 days"
    assert (finding["severity"], finding["details"]["days_left"], finding["details"]["problems"]) == ("ok", 89, [])


def test_a_served_sha1_self_signed_certificate_is_self_signed(tls: Callable[..., TLSServer], tmp_path: Path) -> None:
    server = tls(issue_sha1("selfsha1.test", None, NOW, 200))
    [finding] = run_checker(tmp_path, {"endpoints": [endpoint(server, "selfsha1.test")]}, *NOW_ARG)["findings"]
    assert finding["details"]["problems"] == ["untrusted", "self_signed", "sha1_signature"]


def test_stored_sha1_chains_link_and_are_only_a_weak_signature(kubernetes_api: FakeKubernetes, tmp_path: Path) -> None:
    root = issue_sha1("stored sha1 root", None, NOW, 3650, starts_days=-100, ca=True)
    inter = issue_sha1("stored sha1 CA", root, NOW, 1000, starts_days=-100, ca=True)
    leaf = issue_sha1("stored.test", inter, NOW, 120, starts_days=-10)
    data = base64.b64encode(pem(leaf, inter, root)).decode()
    kubernetes_api.add(
        "secrets", {"metadata": {"name": "sha1", "namespace": "web"}, "type": "kubernetes.io/tls",
                    "data": {"tls.crt": data}},
    )  # fmt: skip
    result = run_checker(tmp_path, {"kubernetes": {"enabled": True}}, *NOW_ARG, runtime=k8s_runtime(kubernetes_api))
    finding = by_resource(result)["k8s:web/sha1"]
    assert finding["details"]["problems"] == ["sha1_signature"]  # linked, not untrusted
    assert (finding["severity"], finding["details"]["days_left"]) == ("warning", 110)
